"""Callbacks: code that runs at fixed points of training, evaluation and prediction, the Keras way.

``fit`` calls every callback's hooks in order::

    on_train_begin
      on_epoch_begin(epoch)
        on_train_batch_begin(batch) ... on_train_batch_end(batch, logs)   # every mini-batch
        on_test_begin ... on_test_batch_end(batch, logs) ... on_test_end  # the validation pass
      on_epoch_end(epoch, logs)      # logs = {"loss": ..., "val_accuracy": ..., ...}
    on_train_end

``evaluate`` calls ``on_test_*`` and ``predict`` calls ``on_predict_*`` the same way. Keras 2's
``on_batch_begin``/``on_batch_end`` still work: the train-batch hooks call them.

A callback sees the model as ``self.model`` and can stop training by setting
``self.model.stop_training = True`` (that is how early stopping works).
"""

# The hooks called once per batch, by family. Calling a hook nobody overrides costs a Python
# call per callback per batch, so CallbackList skips a family no callback uses.
BATCH_HOOKS = {
    "train": ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"),
    "test": ("on_test_batch_begin", "on_test_batch_end"),
    "predict": ("on_predict_batch_begin", "on_predict_batch_end"),
}


class Callback:
    """Base class: override the hooks you need; each one does nothing by default.

    Attributes:
        model: the model being trained, evaluated or used to predict.
        params: what the loop is doing, e.g. ``{"epochs": 10, "steps": 1500, "verbose": 1}``.
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    # -- training ---------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)     # Keras 2's name, still called

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    # -- evaluation (also the validation pass of fit) ----------------------------------------
    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    # -- prediction -----------------------------------------------------------------------
    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


def overrides(callback, hook):
    """True when ``callback`` does something in ``hook``: a method of its class, or a function
    set on the instance (as LambdaCallback does)."""
    method = getattr(callback, hook)
    return getattr(method, "__func__", None) is not getattr(Callback, hook)


class CallbackList:
    """Calls each hook on every callback, in order.

    Args:
        callbacks: the callbacks.
        model, params: handed to each callback (``set_model``, ``set_params``).
        add_history: append a :class:`History` if none is in the list (as Keras's fit does,
            after the user's callbacks, so that it records what they add to the logs, such
            as ``learning_rate``).
        add_progbar: append a ``ProgressBar(params["verbose"])`` if none is in the list.

    ``has_train_batch_hooks`` (and ``has_test_batch_hooks``, ``has_predict_batch_hooks``)
    say whether any callback uses that family of per-batch hooks; when none does, the
    batch hooks return at once, and the loop may skip computing per-batch logs.
    """

    def __init__(self, callbacks=None, model=None, params=None, add_history=False,
                 add_progbar=False):
        from glassnet.engine.callbacks.progress import ProgressBar

        self.callbacks = list(callbacks or [])
        params = dict(params or {})
        self.history = next((c for c in self.callbacks if isinstance(c, History)), None)
        if add_history and self.history is None:
            self.history = History()
            self.callbacks.append(self.history)
        if add_progbar and params.get("verbose", 1) and not any(isinstance(c, ProgressBar)
                                                                for c in self.callbacks):
            self.callbacks.append(ProgressBar(params.get("verbose", 1)))
        self.model, self.params = model, params
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
        hooked = {family: [c for c in self.callbacks if any(overrides(c, h) for h in hooks)]
                  for family, hooks in BATCH_HOOKS.items()}
        self._batch_callbacks = hooked
        self.has_train_batch_hooks = bool(hooked["train"])
        self.has_test_batch_hooks = bool(hooked["test"])
        self.has_predict_batch_hooks = bool(hooked["predict"])

    def set_model(self, model):
        self.model = model
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params):
        self.params = params
        for callback in self.callbacks:
            callback.set_params(params)

    # Every hook gets a dict of logs, an empty one where there is nothing to tell, as in
    # Keras: a callback may write `list(logs.keys())` without checking for None.
    def _call(self, hook, *args):
        *head, logs = args
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            getattr(callback, hook)(*head, logs)

    def _call_batch(self, family, hook, batch, logs):
        logs = {} if logs is None else logs
        for callback in self._batch_callbacks[family]:
            getattr(callback, hook)(batch, logs)

    # -- training ---------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._call("on_train_begin", logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, logs)

    def on_train_batch_begin(self, batch, logs=None):
        self._call_batch("train", "on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._call_batch("train", "on_train_batch_end", batch, logs)

    # -- evaluation -------------------------------------------------------------------------
    def on_test_begin(self, logs=None):
        self._call("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", logs)

    def on_test_batch_begin(self, batch, logs=None):
        self._call_batch("test", "on_test_batch_begin", batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        self._call_batch("test", "on_test_batch_end", batch, logs)

    # -- prediction -------------------------------------------------------------------------
    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", logs)

    def on_predict_batch_begin(self, batch, logs=None):
        self._call_batch("predict", "on_predict_batch_begin", batch, logs)

    def on_predict_batch_end(self, batch, logs=None):
        self._call_batch("predict", "on_predict_batch_end", batch, logs)

    def __iter__(self):
        return iter(self.callbacks)


class History(Callback):
    """Records every epoch's logs: ``history.history["val_accuracy"][-1]``.

    As in Keras 3, ``fit`` makes a new one for every call and returns it; ``history.epoch``
    lists the epochs it saw and ``history.history`` maps each figure of the logs to its
    values, one per epoch. After each epoch it also sets ``model.history`` to itself.
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
