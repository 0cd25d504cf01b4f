"""Sequential: a stack of layers with the Keras workflow, ``compile`` -> ``fit`` -> ``evaluate``.

Training is four steps repeated for every mini-batch::

    y_pred = forward(x)                 # each layer in turn
    loss   = loss_fn(y, y_pred)         # how wrong, one number
    dy     = dL/dy_pred                 # where the blame starts
    for layer in reversed(layers):      # backpropagation: the chain rule, layer by layer
        dy = layer.backward(dy)
    optimizer.step(weights, gradients)  # move every weight a little downhill

Everything random (initial weights, dropout masks, the shuffling of each epoch) comes from
one ``np.random.default_rng(seed)``, so the same seed gives the same model bit for bit.
"""

import math
import time

import numpy as np

from glassnet.engine import losses as losses_module
from glassnet.engine import optimizers as optimizers_module
from glassnet.engine.callbacks import CallbackList, History, ProgressBar, TerminateOnNaN
from glassnet.engine.layers.activations import Softmax
from glassnet.engine.layers.base import Layer, snake_case
from glassnet.engine.splits import stratified_split
from glassnet.engine.summary import summary_table
from glassnet.errors import DataError, ShapeError, TrainingError

METRICS = ("accuracy", "acc")


def accuracy(y_true, y_pred):
    """Fraction of rows whose largest output is the true class (labels: integers or one-hot)."""
    y_true = np.asarray(y_true)
    labels = y_true.argmax(axis=-1) if y_true.ndim == 2 and y_true.shape[1] > 1 else y_true.reshape(-1)
    return float(np.mean(y_pred.argmax(axis=-1) == labels))


class Sequential:
    """A model made of layers applied one after the other.

    Args:
        layers: list of layers; more can be added with :meth:`add`.
        name: shown by :meth:`summary`.
        seed: seeds the model's random generator (weights, dropout, shuffling). None draws
            a fresh seed from the operating system, as Keras does.

    Example::

        model = Sequential([
            Flatten(input_shape=(28, 28)),
            Dense(128, activation="relu"), Dropout(0.2),
            Dense(10, activation="softmax"),
        ], seed=0)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        history = model.fit(x_train, y_train, epochs=5, validation_split=0.2)
    """

    def __init__(self, layers=None, name="sequential", seed=None):
        self.name = name
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.layers = []
        self.built = False
        self.optimizer = None
        self.loss = None
        self.metrics = []
        self.stop_training = False
        self.history = History()   # grows over every fit(), and is saved with the model
        self.epoch = 0             # epochs trained so far: fit() continues from here
        self.settings = {}         # what the model was trained with (for reports)
        self._softmax = None       # the final softmax, when compile() fused it with the loss
        self._check_gradients = False  # only while a TerminateOnNaN callback is in use
        for layer in layers or []:
            self.add(layer)

    # -- building -----------------------------------------------------------------------
    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a Layer, got {type(layer).__name__}")
        if self.built:
            raise RuntimeError("can't add layers to a model that has already been built")
        if layer.name is None:
            base = snake_case(type(layer).__name__)
            taken = {l.name for l in self.layers}
            layer.name = base if base not in taken else next(
                f"{base}_{i}" for i in range(1, len(taken) + 2) if f"{base}_{i}" not in taken)
        self.layers.append(layer)

    @property
    def input_shape(self):
        return self.layers[0].input_shape if self.layers else None

    def build(self, input_shape=None):
        """Create every layer's weights, passing each layer's output shape to the next."""
        if not self.layers:
            raise ValueError("the model has no layers")
        shape = tuple(input_shape) if input_shape is not None else self.layers[0].input_shape
        if shape is None:
            raise ShapeError("the model doesn't know its input shape: pass input_shape= to the first layer")
        for layer in self.layers:
            if not layer.built:
                layer.build(shape, self.rng)
            else:
                layer.rng = self.rng
            shape = layer.output_shape(shape)
        # No gradient needs to flow below the first layer that has weights: the pixels
        # are not learned. Skipping it saves the largest matrix multiply of the backward pass.
        for layer in self.layers:
            layer.needs_input_grad = False
            if layer.params:
                break
        self._pack_weights()
        self.built = True

    def _pack_weights(self):
        """Move every weight into one flat array, and every gradient into another.

        Each layer keeps ``params["kernel"]`` etc. as *views* into these arrays, so nothing
        changes for the layers, but the optimizer can update the whole network with a few
        vectorised operations instead of a few per weight array. At this model size that
        per-call overhead is a large share of the training time.
        """
        pairs = [(layer, key) for layer in self.layers for key in layer.params]
        dtypes = {layer.params[key].dtype for layer, key in pairs}
        if len(dtypes) != 1:  # mixed dtypes can't share one buffer; keep them apart
            self.weights = [layer.params[key] for layer, key in pairs]
            self.gradients = self.gradient_parts = [layer.grads[key] for layer, key in pairs]
            return
        dtype = dtypes.pop()
        total = sum(layer.params[key].size for layer, key in pairs)
        flat_params, flat_grads = np.empty(total, dtype), np.zeros(total, dtype)
        offset = 0
        for layer, key in pairs:
            size, shape = layer.params[key].size, layer.params[key].shape
            flat_params[offset:offset + size] = layer.params[key].ravel()
            layer.params[key] = flat_params[offset:offset + size].reshape(shape)
            layer.grads[key] = flat_grads[offset:offset + size].reshape(shape)
            offset += size
        self.weights, self.gradients = [flat_params], [flat_grads]
        # Each weight array's gradient on its own (views into flat_grads), for clipnorm.
        self.gradient_parts = [layer.grads[key] for layer, key in pairs]

    def output_shape(self, input_shape=None):
        shape = input_shape or self.input_shape
        for layer in self.layers:
            shape = layer.output_shape(shape)
        return shape

    def count_params(self):
        return sum(layer.count_params() for layer in self.layers)

    # -- compile ------------------------------------------------------------------------
    def compile(self, optimizer="adam", loss="sparse_categorical_crossentropy", metrics=None):
        """Choose the optimizer, the loss and the metrics, by name or as objects."""
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = losses_module.get(loss)
        metrics = list(metrics or [])
        for metric in metrics:
            if metric not in METRICS:
                raise ValueError(f"unknown metric {metric!r}; known: accuracy")
        self.metrics = ["accuracy" for _ in metrics[:1]]
        self._setup_fused_softmax()

    def _final_softmax(self):
        last = self.layers[-1] if self.layers else None
        if isinstance(last, Softmax):
            return last
        fn = getattr(last, "activation", None) or getattr(last, "fn", None)
        return fn if isinstance(fn, Softmax) else None

    def _setup_fused_softmax(self):
        """Softmax followed by cross-entropy: compute the loss from the logits instead.

        The loss then gives ``dL/dlogits = (p - y) / N`` directly and the softmax passes it
        through. Extreme logits can no longer produce ``log(0)``.
        """
        softmax = self._final_softmax()
        fuse = (softmax is not None and isinstance(self.loss, losses_module.CategoricalCrossentropy)
                and not self.loss.from_logits)
        self._softmax = softmax if fuse else None
        if softmax is not None:
            softmax.fused_with_loss = fuse
        self._train_loss = type(self.loss)(from_logits=True) if fuse else self.loss

    # -- the passes ---------------------------------------------------------------------
    def _prepare_x(self, x, what="x"):
        """float32 (the model's dtype), the right shape, finite; else one clear error."""
        try:
            x = np.asarray(x)
        except Exception as error:  # ragged lists and the like
            raise DataError(f"{what}: can't be turned into an array ({error})") from None
        if x.dtype.kind not in "biuf":
            raise DataError(f"{what}: expected numbers, got an array of dtype {x.dtype}")
        if not self.built:
            self.build(self.input_shape or x.shape[1:])
        expected = self.input_shape
        if x.shape[1:] + (1,) == expected:   # (N, 28, 28) for a model that wants (28, 28, 1)
            x = x[..., np.newaxis]
        if x.shape[1:] != expected:
            raise ShapeError(
                f"{what}: model '{self.name}' (first layer '{self.layers[0].name}') expects input "
                f"of shape {('batch',) + expected} but got {x.shape}"
            )
        dtype = self.weights[0].dtype if self.weights else np.dtype("float32")
        x = x.astype(dtype, copy=False)
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise DataError(f"{what}: contains NaN or infinite values")
        return x

    def forward(self, x, training=False):
        for layer in self.layers:
            x = layer.forward(x, training=training)
        return x

    def backward(self, dy):
        for layer in reversed(self.layers):
            dy = layer.backward(dy)
            if dy is None:  # nothing below this layer needs a gradient
                break
        return dy

    def regularization_loss(self):
        return sum(layer.regularization_loss() for layer in self.layers)

    def train_step(self, x, y):
        """One mini-batch: forward, loss, backward, update. Returns (loss, predictions)."""
        y_pred = self.forward(x, training=True)
        scores = y_pred if self._softmax is None else self._softmax.logits
        loss = self._train_loss.forward(y, scores) + self.regularization_loss()
        if not math.isfinite(loss):
            raise TrainingError(self._explain_nonfinite(x, loss))
        self.backward(self._train_loss.backward())
        # A finite loss can still give inf/NaN gradients. Checked only for TerminateOnNaN, so
        # that a bad step never reaches the weights. A sum is finite exactly when every
        # entry is (short of overflowing float32, i.e. an exploded gradient anyway).
        if self._check_gradients and not all(math.isfinite(g.sum()) for g in self.gradients):
            raise TrainingError(self._explain_nonfinite_gradient(loss))
        self.optimizer.step(self.weights, self.gradients, self.gradient_parts)
        return loss, y_pred

    def _explain_nonfinite(self, x, loss):
        """Find the first layer whose output is no longer finite, for the error message."""
        where = "in the loss"
        for layer in self.layers:
            x = layer.forward(x, training=False)
            if not np.isfinite(x).all():
                where = f"first in the output of layer '{layer.name}'"
                break
        return (f"loss became {loss} at epoch {self.epoch + 1}, batch {self._batch + 1} ({where}); "
                f"the weights of the last good step are kept. Try a lower learning rate.")

    def _explain_nonfinite_gradient(self, loss):
        """Name the first layer, in backward order, whose weight gradient is not finite."""
        where = next((f"{layer.name}/{key}" for layer in reversed(self.layers)
                      for key, g in layer.grads.items() if not np.isfinite(g).all()), "?")
        return (f"a gradient became non-finite at epoch {self.epoch + 1}, batch {self._batch + 1} "
                f"(first in the gradient of layer '{where.split('/')[0]}', weight {where}; "
                f"the loss was {loss:.4g}); the weights of the last good step are kept. "
                f"Try a lower learning rate or clipnorm.")

    # -- fit ----------------------------------------------------------------------------
    def fit(self, x, y, epochs=1, batch_size=32, validation_split=0.0, validation_data=None,
            shuffle=True, callbacks=None, verbose=1, augment=None):
        """Train for ``epochs`` more epochs; returns the :class:`History`.

        Args:
            x, y: training inputs and labels (integers or one-hot).
            epochs: number of epochs to train (a second ``fit`` continues the count).
            batch_size: samples per gradient step.
            validation_split: fraction of ``x`` held out to validate after every epoch
                (the last samples of each class, before shuffling; see split_validation).
            validation_data: ``(x_val, y_val)``; overrides validation_split.
            shuffle: draw a new order of the training samples every epoch.
            callbacks: list of :class:`Callback`.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch.
            augment: optional ``f(x_batch, rng) -> x_batch`` applied to every training batch.
        """
        if self.optimizer is None:
            raise RuntimeError("call model.compile(...) before fit")
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if not 0 <= validation_split < 1:
            raise ValueError(f"validation_split must be in [0, 1), got {validation_split!r}")
        x = self._prepare_x(x, "x")
        y = np.asarray(y)
        if len(y) != len(x):
            raise ShapeError(f"x has {len(x)} samples but y has {len(y)} labels")
        if validation_data is not None:
            x_val, y_val = validation_data[0], validation_data[1]
            x_val = self._prepare_x(x_val, "validation_data")
        elif validation_split:
            x, y, x_val, y_val = self.split_validation(x, y, validation_split)
        else:
            x_val = y_val = None

        n, batch_size = len(x), int(batch_size)
        steps = math.ceil(n / batch_size)
        history = self.history
        callback_list = [history] + list(callbacks or [])
        if verbose:
            callback_list.append(ProgressBar(verbose))
        callbacks = CallbackList(callback_list, self, {"epochs": self.epoch + epochs, "steps": steps,
                                                       "batch_size": batch_size, "samples": n})
        nan_guard = next((c for c in callback_list if isinstance(c, TerminateOnNaN)), None)
        self._check_gradients = nan_guard is not None
        self.settings.update(batch_size=batch_size, optimizer=type(self.optimizer).__name__,
                             loss=self.loss.name, validation_split=validation_split)
        self.stop_training = False
        callbacks.on_train_begin()
        for epoch in range(self.epoch, self.epoch + epochs):
            callbacks.on_epoch_begin(epoch)
            start = time.perf_counter()
            order = self.rng.permutation(n) if shuffle else np.arange(n)
            loss_sum = correct = 0.0
            for self._batch in range(steps):
                index = order[self._batch * batch_size:(self._batch + 1) * batch_size]
                xb, yb = x[index], y[index]
                if augment is not None:
                    xb = augment(xb, self.rng)
                if callbacks.has_batch_hooks:
                    callbacks.on_batch_begin(self._batch)
                try:
                    loss, y_pred = self.train_step(xb, yb)
                except TrainingError as error:  # a non-finite loss or gradient
                    if nan_guard is None:
                        raise
                    nan_guard.terminate(str(error))  # restores, reports, sets stop_training
                    loss_sum = math.nan              # Keras reports the epoch's loss as nan
                    break
                loss_sum += loss * len(index)
                if self.metrics:
                    correct += accuracy(yb, y_pred) * len(index)
                if callbacks.has_batch_hooks:
                    seen = min(n, (self._batch + 1) * batch_size)
                    logs = {"loss": loss_sum / seen}
                    if self.metrics:
                        logs["accuracy"] = correct / seen
                    callbacks.on_batch_end(self._batch, logs)
                if self.stop_training:
                    break
            seen = min(n, (self._batch + 1) * batch_size)
            logs = {"loss": loss_sum / seen}
            if self.metrics:
                logs["accuracy"] = correct / seen
            if x_val is not None:
                val = self.evaluate(x_val, y_val, verbose=0)
                logs["val_loss"] = val[0]
                if self.metrics:
                    logs["val_accuracy"] = val[1]
            logs["lr"] = self.optimizer.lr
            logs["seconds"] = time.perf_counter() - start
            self.epoch = epoch + 1
            callbacks.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callbacks.on_train_end()
        self._check_gradients = False
        return history

    def split_validation(self, x, y, fraction):
        """``(x_train, y_train, x_val, y_val)``: see :func:`glassnet.engine.splits.stratified_split`."""
        return stratified_split(x, y, fraction)

    # -- inference ----------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose=0):
        """Outputs for ``x`` (class probabilities when the model ends in softmax), in batches.

        ``batch_size`` only changes speed and memory, never the result; the default, 1000,
        is fast for the models here.
        """
        return self._predict(x, batch_size)[0]

    def _predict(self, x, batch_size=None):
        """(outputs, logits) in one pass; logits is None unless the softmax is fused."""
        x = self._prepare_x(x, "x")
        batch_size = int(batch_size or 1000)
        outputs, logits = [], []
        for i in range(0, len(x), batch_size):
            outputs.append(self.forward(x[i:i + batch_size]))
            if self._softmax is not None:
                logits.append(self._softmax.logits)
        if not outputs:
            return np.zeros((0,) + tuple(self.output_shape()), dtype=x.dtype), None
        return np.concatenate(outputs), (np.concatenate(logits) if logits else None)

    def evaluate(self, x, y, batch_size=None, verbose=1):
        """``[loss, accuracy]`` on ``(x, y)`` (just ``loss`` when no metrics were compiled)."""
        if self.loss is None:
            raise RuntimeError("call model.compile(...) before evaluate")
        y_pred, logits = self._predict(x, batch_size)
        y = np.asarray(y)
        if len(y) != len(y_pred):
            raise ShapeError(f"x has {len(y_pred)} samples but y has {len(y)} labels")
        if logits is not None:  # the loss from the logits: exact even where p is ~0
            loss = self._train_loss.forward(y, logits)
        else:
            loss = self.loss.forward(y, y_pred)
        loss += self.regularization_loss()
        results = [loss] + [accuracy(y, y_pred) for _ in self.metrics]
        if verbose:
            print(" - ".join(f"{name}: {value:.4f}" for name, value in
                             zip(["loss"] + self.metrics, results)))
        return results if self.metrics else results[0]

    # -- saving -------------------------------------------------------------------------
    def save(self, path):
        """Write the model to one ``.npz`` file (weights, config, optimizer, history), atomically."""
        from glassnet.engine.saving import save_model
        save_model(self, path)

    def summary(self, print_fn=print):
        """Print each layer's output shape and parameter count, as Keras does."""
        text = summary_table(self)
        if print_fn is not None:
            print_fn(text)
        return text
