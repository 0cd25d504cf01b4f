"""``glassnet.optimizers.schedules``, where Keras keeps them: the learning-rate schedules of
:mod:`glassnet.engine.schedules`."""

from glassnet.engine.schedules import *  # noqa: F401,F403
from glassnet.engine.schedules import __all__  # noqa: F401
