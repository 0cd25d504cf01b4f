"""Interfaces: the ``glassnet`` command line and the drawing web page. They import the
engine and the workbench, never the other way round."""
