"""The digit workbench: ready-made architectures, metrics, pictures, reports, and reading
your own handwriting. Built on the engine; the engine never imports it."""
