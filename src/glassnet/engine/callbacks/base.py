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

    # Keras 3's names; the Keras 2 names above are still called, from these.
    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs)

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


class CallbackList:
    """Calls one hook on every callback, in order."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
        # Per-batch hooks are the hot path; skip the loop when nobody overrides them.
        def overrides(*hooks):
            return [c for c in self.callbacks
                    if any(getattr(type(c), h, None) is not getattr(Callback, h) for h in hooks)]

        self._train_batch = overrides("on_batch_begin", "on_batch_end", "on_train_batch_begin",
                                      "on_train_batch_end")
        self._test_batch = overrides("on_test_batch_begin", "on_test_batch_end")
        self.has_batch_hooks = bool(self._train_batch)
        self.has_test_batch_hooks = bool(self._test_batch)

    def on_train_batch_begin(self, batch, logs=None):
        for callback in self._train_batch:
            callback.on_train_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        for callback in self._train_batch:
            callback.on_train_batch_end(batch, logs)

    def on_test_batch_begin(self, batch, logs=None):
        for callback in self._test_batch:
            callback.on_test_batch_begin(batch, logs)

    def on_test_batch_end(self, batch, logs=None):
        for callback in self._test_batch:
            callback.on_test_batch_end(batch, logs)

    def __getattr__(self, hook):
        def call(*args, **kwargs):
            for callback in self.callbacks:
                getattr(callback, hook)(*args, **kwargs)
        return call


class History(Callback):
    """Records the logs of every epoch of one ``fit``: ``history.history["val_accuracy"][-1]``.

    ``fit`` always adds one and returns it, as Keras does. (The model also keeps every
    epoch it ever trained, across fits and saves, in ``model.training_log``.)
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
