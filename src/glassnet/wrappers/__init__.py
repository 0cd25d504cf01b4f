"""``glassnet.wrappers``: Keras 2's ``keras.wrappers.scikit_learn`` (see :mod:`.scikit_learn`)."""

from glassnet.wrappers import scikit_learn

__all__ = ["scikit_learn"]
