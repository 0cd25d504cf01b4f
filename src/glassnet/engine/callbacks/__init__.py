"""Callbacks for ``fit``: hooks that run at the start and end of epochs and batches."""

from glassnet.engine.callbacks.base import Callback, CallbackList, History
from glassnet.engine.callbacks.checkpoint import ModelCheckpoint
from glassnet.engine.callbacks.csv_logger import CSVLogger
from glassnet.engine.callbacks.early_stopping import EarlyStopping
from glassnet.engine.callbacks.lr_scheduler import LearningRateScheduler, ReduceLROnPlateau
from glassnet.engine.callbacks.monitor import MONITORS
from glassnet.engine.callbacks.progress import ProgressBar
from glassnet.engine.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
           "LearningRateScheduler", "MONITORS", "ModelCheckpoint", "ProgressBar",
           "ReduceLROnPlateau", "TerminateOnNaN"]
