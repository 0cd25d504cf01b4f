"""Callbacks for ``fit``: hooks that run at the start and end of epochs and batches."""

from glassnet.engine.callbacks.base import Callback, CallbackList, History
from glassnet.engine.callbacks.progress import ProgressBar

__all__ = ["Callback", "CallbackList", "History", "ProgressBar"]
