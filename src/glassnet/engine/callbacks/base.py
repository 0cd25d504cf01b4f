"""Callbacks: code that runs at fixed points of training, the Keras way.

``fit`` calls every callback's hooks in order::

    on_train_begin
      on_epoch_begin(epoch)
        on_batch_begin(batch) ... on_batch_end(batch, logs)     # once per mini-batch
      on_epoch_end(epoch, logs)      # logs = {"loss": ..., "val_accuracy": ..., ...}
    on_train_end

A callback sees the model as ``self.model`` and can stop training by setting
``self.model.stop_training = True`` (that is how early stopping works).
"""


class Callback:
    """Base class: override the hooks you need; each one does nothing by default."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """Calls one hook on every callback, in order."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
        # Per-batch hooks are the hot path; skip the loop when nobody overrides them.
        self.has_batch_hooks = any(
            type(c).on_batch_begin is not Callback.on_batch_begin
            or type(c).on_batch_end is not Callback.on_batch_end
            for c in self.callbacks
        )

    def __getattr__(self, hook):
        def call(*args, **kwargs):
            for callback in self.callbacks:
                getattr(callback, hook)(*args, **kwargs)
        return call


class History(Callback):
    """Records every epoch's logs: ``history.history["val_accuracy"][-1]``.

    ``fit`` always adds one and returns it. A resumed training run starts from the history
    saved in the model file, so the curves continue where they stopped.
    """

    def __init__(self, history=None, epoch=None):
        super().__init__()
        self.history = {k: list(v) for k, v in (history or {}).items()}
        self.epoch = list(epoch or [])

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
