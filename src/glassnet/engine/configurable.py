"""Objects that can be written down and rebuilt: Keras's ``get_config`` / ``from_config``.

A loss, a metric, an initializer, a regularizer and a learning-rate schedule are each
fully described by their class name and a small dict of settings. Saving a model
writes that dict (``get_config``); loading calls ``from_config`` on it, which here is
simply the class's constructor. The dict also makes a readable ``repr``::

    >>> from glassnet.engine.initializers import HeNormal
    >>> HeNormal(seed=3)
    HeNormal(seed=3)
"""


class Configurable:
    """Base for the settings-only objects of the engine (see the module docstring)."""

    def get_config(self):
        """The constructor arguments that rebuild this object, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """The object ``get_config`` describes: ``cls(**config)``."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
