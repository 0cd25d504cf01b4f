"""Callbacks for ``fit``, ``evaluate`` and ``predict``: hooks that run at the start and end of
epochs and batches (``glassnet.callbacks``, as ``keras.callbacks``)."""

from glassnet.engine.callbacks.backup_and_restore import BackupAndRestore
from glassnet.engine.callbacks.base import Callback, CallbackList, History
from glassnet.engine.callbacks.checkpoint import ModelCheckpoint
from glassnet.engine.callbacks.csv_logger import CSVLogger
from glassnet.engine.callbacks.early_stopping import EarlyStopping
from glassnet.engine.callbacks.lambda_callback import LambdaCallback
from glassnet.engine.callbacks.learning_check import LearningCheck, LearningWarning
from glassnet.engine.callbacks.lr_finder import BatchLosses, LearningRateFinder, find_learning_rate
from glassnet.engine.callbacks.lr_scheduler import LearningRateScheduler, ReduceLROnPlateau
from glassnet.engine.callbacks.progress import ProgressBar
from glassnet.engine.callbacks.swap_ema_weights import SwapEMAWeights
from glassnet.engine.callbacks.tensorboard import TensorBoard, TensorBoardWarning
from glassnet.engine.callbacks.terminate_on_nan import TerminateOnNaN

# Keras's name for the progress display.
ProgbarLogger = ProgressBar

__all__ = ["BackupAndRestore", "BatchLosses", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
           "LambdaCallback", "LearningCheck", "LearningRateFinder", "LearningRateScheduler",
           "LearningWarning", "ModelCheckpoint", "ProgbarLogger", "ProgressBar", "ReduceLROnPlateau",
           "SwapEMAWeights", "TensorBoard", "TensorBoardWarning", "TerminateOnNaN", "find_learning_rate"]
