"""Training: ``compile``, ``fit``, ``evaluate``, ``predict``, the Keras way.

Training is four steps repeated for every mini-batch (:meth:`Trainer.train_step`)::

    y_pred = model.forward(x)           # every layer in turn
    loss   = loss_fn(y, y_pred)         # how wrong, one number
    dy     = dL/dy_pred                 # where the blame starts
    model.backward(dy)                  # backpropagation: every layer's gradients
    optimizer.step(weights, gradients)  # move every weight a little downhill

``fit`` is a short loop around it: for each epoch, for each batch (the batches come from
:mod:`glassnet.engine.data`), one step, with the callbacks told at each point. Everything
random (initial weights, dropout masks, the shuffling of each epoch) comes from the model's
one ``np.random.default_rng(seed)``, so the same seed gives the same model bit for bit.
"""

import inspect
import math
import numbers
import time
import warnings
from contextlib import contextmanager

import numpy as np

from glassnet.engine import autodiff
from glassnet.engine import data as data_module
from glassnet.engine import masking
from glassnet.engine import losses as losses_module
from glassnet.engine import metrics as metrics_module
from glassnet.engine import optimizers as optimizers_module
from glassnet.engine import outputs as outputs_module
from glassnet.engine import recording
from glassnet.engine.callbacks import CallbackList, History, ProgressBar
from glassnet.engine.callbacks.learning_check import LearningCheck
from glassnet.engine.keras2_methods import Keras2Methods
from glassnet.engine.layers import chunks
from glassnet.engine.held_weights import HeldOutsideGraph
from glassnet.engine.parameters import FlatParameters
from glassnet.engine.splits import keras_split
from glassnet.engine.training_log import TrainingLog, log_value
from glassnet.errors import DataError, TrainingError

DEFAULT_BATCH_SIZE = 32      # fit and evaluate, as in Keras
PREDICT_BATCH_SIZE = 256     # predict: a batch size changes only speed and memory there


class Trainer(Keras2Methods):
    """What a :class:`~glassnet.engine.model.Model` can do with data (a mixin)."""

    def __init__(self):
        self.optimizer = None
        self.loss = None
        self.compiled_metrics = []
        self.stop_training = False
        self.history = None               # the History of the last fit(), as in Keras
        self.training_log = TrainingLog()  # every epoch ever trained (saved with the model)
        self.epoch = 0                    # epochs trained so far
        self.settings = {}                # how the model was trained (for reports)
        self.check_gradients = False      # refuse a step whose gradient isn't finite
        self.nonfinite_reason = None      # why the last refused step was refused
        self.learning_problem = None      # what LearningCheck last warned about
        self._fused = None                # the final softmax/sigmoid fused with the loss
        self._train_loss = None
        self._output_loss_trackers = []   # several outputs: each one's loss, logged ("digit_loss")
        self._compile_args = None         # compiled before its first data: compiled again once built
        self._parameters = None           # FlatParameters, made at the first step

    # -- compile ------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto",
                auto_scale_loss=True):
        """Choose the optimizer, the loss and the metrics, by name or as objects (Keras's).

        ``run_eagerly``, ``steps_per_execution``, ``jit_compile`` and ``auto_scale_loss``
        are accepted for Keras programs; they change only how Keras schedules work, never
        a result, and glassnet always runs eagerly.
        """
        names = self.output_names if self.built and len(self.outputs) > 1 else None
        # A subclass doesn't know its outputs before its first data: if it turns out to have
        # several, it is compiled again then, with these arguments (see _prepare_inputs).
        self._compile_args = None if self.built else dict(loss=loss, loss_weights=loss_weights, metrics=metrics,
                                                          weighted_metrics=weighted_metrics)
        several = not self.built and isinstance(loss, (list, tuple, dict)) and len(loss) > 1
        self.optimizer = optimizers_module.get(optimizer)
        logged = []             # several outputs: the names each one's loss is logged under
        if names:               # a loss and metrics for each output (glassnet.engine.outputs)
            self.loss, self.compiled_metrics, self.weighted_metrics, logged = outputs_module.compile_outputs(
                names, loss, loss_weights, metrics, weighted_metrics, subclass=self.traces_call)
        elif several:           # losses for outputs not known yet: matched to them at the first data
            self.loss = outputs_module.OutputLosses(list(loss.values()) if isinstance(loss, dict) else list(loss))
            self.compiled_metrics, self.weighted_metrics = [], []
        else:
            if isinstance(loss, (list, tuple, dict)):
                if len(loss) != 1:
                    raise ValueError(f"compile: one loss for the one output, got {len(loss)}")
                loss = list(loss.values())[0] if isinstance(loss, dict) else loss[0]
            if loss_weights not in (None, 1, 1.0, [1], [1.0]):
                hint = (" (the third argument of compile is loss_weights, as in Keras: pass "
                        f"metrics={loss_weights!r} by name)" if isinstance(loss_weights, (list, tuple)) and
                        any(isinstance(m, str) for m in loss_weights) else "")
                raise ValueError("compile: loss_weights weigh the losses of several outputs, and this model "
                                 "has one" + hint)
            self.loss = None if loss is None else losses_module.get(loss)
            self.compiled_metrics = [metrics_module.get(m) for m in _flat_metrics(metrics, "metrics")]
            self.weighted_metrics = [metrics_module.get(m) for m in _flat_metrics(weighted_metrics,
                                                                                     "weighted_metrics")]
            if isinstance(self.loss, outputs_module.OutputLosses) or any(
                    isinstance(m, outputs_module.OutputMetric) for m in self.compiled_metrics + self.weighted_metrics):
                raise ValueError(f"compile: a loss or metric made for several outputs, but model '{self.name}' "
                                 f"has one")
        self._output_loss_trackers = [metrics_module.Mean(name=f"{name}_loss") for name in logged]
        unweighted = {m.name for m in self.compiled_metrics}
        for metric in self.weighted_metrics:     # "accuracy" in both lists: "weighted_accuracy", as Keras logs it
            if metric.name in unweighted:
                metric.name = f"weighted_{metric.name}"
        names = ["loss"] + [m.name for m in self._output_loss_trackers + self.compiled_metrics + self.weighted_metrics]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"compile: two metrics would both be logged as {duplicates[0]!r}")
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._parameters = None
        self._fuse_output_activation()
        self._find_attribute_metrics()

    def _fuse_output_activation(self):
        """Softmax followed by cross-entropy: compute the loss from the logits instead.

        The loss then gives ``dL/dlogits = (p - y) / N`` directly and the softmax passes it
        through: cheaper, and extreme logits can no longer produce ``log(0)``. The same for
        a final sigmoid and binary cross-entropy.
        """
        for layer in self.walk():   # forget any earlier fusion (e.g. of a model now nested)
            for fn in (layer, getattr(layer, "activation", None), getattr(layer, "fn", None)):
                if hasattr(fn, "fused_with_loss"):
                    fn.fused_with_loss = False
        final = self.final_activation()
        fused = None
        # A compute_loss of your own is given the model's real output (probabilities), so
        # the loss must be taken from it too.
        if final is not None and self.loss is not None and hasattr(self.loss, "logits_version") \
                and not self._own_compute_loss():
            fused = self.loss.logits_version(final)
        self._fused = final if fused is not None else None
        if self._fused is not None:
            self._fused.fused_with_loss = True
        self._train_loss = fused if fused is not None else self.loss
        if self._train_loss is None:        # compile(optimizer) alone: the layers' own terms
            self._train_loss = AddedLossesOnly()

    @property
    def metrics(self):
        """The metric objects: the loss's running mean first, then the compiled ones, then
        any a model or layer of your own keeps as an attribute (keras.io's
        ``self.penalty_tracker = keras.metrics.Mean(name="penalty")``), as Keras 3 lists them:
        logged (``penalty``, ``val_penalty``) and reset every epoch like the others."""
        if self.optimizer is None:
            return []
        return self._compiled_metric_objects() + getattr(self, "_attribute_metrics", [])

    def _compiled_metric_objects(self):
        return [self._loss_tracker] + self._output_loss_trackers + self.compiled_metrics + self.weighted_metrics

    def _find_attribute_metrics(self):
        """Find the Metric objects held as attributes by this model or its layers (in the order
        met), once when it is compiled and when fit or evaluate starts: ``metrics`` is read
        after every batch, and the walk costs a quarter of a millisecond.

        A model inside this one is skipped, as Keras 3 skips it: if it was compiled on its
        own (a GAN's discriminator), its loss tracker and metrics are its own training's,
        not this model's (read here, its idle ``loss`` replaced this model's in the logs)."""
        seen, found = {id(m) for m in self._compiled_metric_objects()}, []
        for owner in self.walk():
            if owner is not self and isinstance(owner, Trainer):
                continue
            for value in vars(owner).values():
                if isinstance(value, metrics_module.Metric) and id(value) not in seen:
                    seen.add(id(value))
                    found.append(value)
        self._attribute_metrics = found

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def output_classes(self):
        """How many classes the output scores (its last size), for checks and reports."""
        shape = self.outputs[0].sample_shape if self.built and self.outputs else ()
        return shape[-1] if len(shape) == 1 else None

    # -- inputs ---------------------------------------------------------------------------
    def _prepare_inputs(self, x, what="x"):
        """``x`` as this model's dtype and shapes (see :func:`glassnet.engine.data.prepare_inputs`).

        A model built by its first data here (a subclass, a Sequential without an input shape)
        that was compiled before for several outputs, or turns out to have them, is compiled
        again now with the same arguments: only now are its outputs known."""
        if self.steps_only:              # no inputs of its own: its train_step takes the batch as it is
            return x
        x = data_module.prepare_inputs(self, x, what)
        if self._compile_args is not None and self.built:
            arguments, self._compile_args = self._compile_args, None
            if len(self.outputs) > 1 or isinstance(self.loss, outputs_module.OutputLosses):
                self.compile(self.optimizer, **arguments)
        return x

    def __call__(self, inputs, training=None, **options):
        """``model(x)``: the outputs for ``x`` in one pass, as a
        :class:`~glassnet.engine.tensor.Tensor` (an array with TensorFlow's ``.numpy()``).

        On placeholders (``Input(...)``) it records a call instead, so a model can be used as
        a layer of another. A model of your own class called with arguments of its ``call()``
        (TensorFlow's text generator: ``model(ids, states=states, return_state=True)``) runs
        that ``call()`` on the arrays as written, each layer in it on its own.
        """
        from glassnet.engine import recording, symbolic
        from glassnet.engine.tensor import as_tensor

        if self.steps_only:
            self._refuse_call()
        if options or self._another_shape(inputs):
            return self._call_as_written(inputs, training, options)
        if isinstance(inputs, dict) and symbolic.is_symbolic(list(inputs.values())):   # a preprocessing head
            inputs = data_module.inputs_from_dict(self, inputs, f"model '{self.name}'")     # called on Input()s
            inputs = inputs if len(inputs) > 1 else inputs[0]
        if symbolic.is_symbolic(inputs):
            return symbolic.call_symbolically(self, inputs, training)
        if recording.is_value(inputs) or recording.recording_now():   # in a GradientTape, or a layer's call()
            if recording.is_value(inputs) or recording.is_watched(inputs):
                if not self.built:
                    self._prepare_inputs(recording.data_of(inputs))     # (builds the model)
            else:
                inputs = self._prepare_inputs(inputs)
            return recording.call_layer(self, inputs, training)
        mode = None if training is None else bool(training)      # None: each call as it was made
        outputs = as_tensor(self.forward(self._prepare_inputs(inputs), training=mode))
        for output, mask in zip(outputs if isinstance(outputs, list) else [outputs], self.output_masks or []):
            if mask is not None:
                output._keras_mask = mask                        # as in Keras (engine/masking.py)
        if getattr(self, "_given_keys", None) is not None:
            return self._as_given(list(outputs))
        return outputs

    def _another_shape(self, inputs):
        """Whether a model of your own class is called on an array its traced graph can't take
        (a prompt of 5 characters, traced on 100): its call() then runs as written, as in Keras."""
        if not (self.traces_call and self.built and isinstance(inputs, np.ndarray) and len(self.inputs) == 1):
            return False
        from glassnet.engine.shapes import shape_fits
        return not shape_fits(self.inputs[0].sample_shape, inputs.shape[1:])

    def _call_as_written(self, inputs, training, options):
        """``call(inputs, **options)`` run as Python, its layers called one by one on arrays."""
        if not self.traces_call:
            raise TypeError(f"model '{self.name}' takes no arguments but its inputs (and training=); got "
                            f"{', '.join(sorted(options))}")
        if not self.built:
            self._prepare_inputs(inputs)                 # traces it once, with call()'s defaults
        kind = type(self)
        extra = {} if training is None else {"training": bool(training)}
        return kind.call(self, np.asarray(inputs) if not isinstance(inputs, (list, dict)) else inputs,
                         **extra, **options)

    def _refuse_call(self, what="call it"):
        """A model with no ``call()`` (trained by its own train_step) can't run: Keras's words."""
        how = ("it trains by its own train_step: use fit, and call or save the models it holds"
               if self._overrides("train_step") else
               "call the layers and models it holds, as its own methods do, or give it a call()")
        raise NotImplementedError(f"Model {type(self).__name__} does not have a `call()` method implemented, so "
                                  f"glassnet can't {what} ({how})")

    # -- one step -------------------------------------------------------------------------
    def _prepare_training(self):
        """Pack the trainable weights (again, if ``trainable`` changed) before training."""
        if self.optimizer is None:
            raise RuntimeError(f"model '{self.name}': call model.compile(...) before training it")
        if self._parameters is None or not self._parameters.is_current(self.tracked_layers()):
            old = self._parameters
            state = self.optimizer.get_state(old.layout) if old is not None else None
            self._parameters = FlatParameters(self.tracked_layers())
            if state:
                self.optimizer.set_state(state, self._parameters.layout, self._parameters.weights)
        self._state_arrays = [a for layer in self.walk() for a in layer.state.values()]
        self._find_attribute_metrics()

    def _warn_if_nothing_trains(self, stacklevel=3):
        """Keras 3's warning when a built model has no trainable weight: its training changes
        nothing (a GAN's discriminator, frozen to train the generator, trained on its own)."""
        if self.built and not self._parameters.entries:
            warnings.warn(f"The model does not have any trainable weights: '{self.name}' (trainable = False "
                          f"on it, or on every layer) is left as it is by training", stacklevel=stacklevel)

    def regularization_loss(self):
        """The weight penalties of every layer (kernel_regularizer=...), and what the last
        forward pass added (activity_regularizer=..., add_loss): all of it joins the loss."""
        return sum(layer.regularization_loss() for layer in self._regularized) + self.activity_loss()

    def activity_loss(self):
        """The activity penalties and added losses of every call of the last forward pass
        (a shared layer's calls each count; a nested model answers for its own)."""
        # Only the calls that can add something are asked (this runs on every batch).
        return sum(step.layer.activity_loss() for step in self._steps
                   if step.nested or step.layer.records_call or step.layer.activity_regularizer is not None)

    # -- your own loss: Keras's compute_loss --------------------------------------------------
    def _own_compute_loss(self):
        """True when a subclass overrides :meth:`compute_loss` (keras.io's "Customizing fit()")."""
        return type(self).compute_loss is not Trainer.compute_loss

    def _run_compute_loss(self, x, y, y_pred, sample_weight, training):
        """``self.compute_loss(x, y, y_pred, sample_weight)`` called as Keras calls it: by
        position, with ``training=`` only when the override takes it (it came in Keras 3.3;
        keras.io's Distiller has ``allow_empty=False`` there instead)."""
        if "training" in inspect.signature(self.compute_loss).parameters:
            return self.compute_loss(x, y, y_pred, sample_weight, training=training)
        return self.compute_loss(x, y, y_pred, sample_weight)

    def _overrides(self, step):
        """True when a subclass has its own Keras-style ``train_step(data)`` or ``test_step(data)``."""
        return getattr(type(self), step) is not getattr(Trainer, step)

    def _keras_step(self, step, x, y, sample_weight):
        """Run a ``train_step(data)`` or ``test_step(data)`` of your own, as Keras calls it
        (keras.io's "Customizing what happens in fit()": a GradientTape, ``self.compute_loss``,
        ``self.optimizer.apply_gradients``, the metrics updated by hand). ``data`` is packed
        as Keras packs it: ``x`` alone, ``(x, y)`` or ``(x, y, sample_weight)``. The logs it
        returns are the batch's logs; returns the batch's loss (0.0 when it logs none)."""
        data = x if y is None and sample_weight is None else (x, y) if sample_weight is None else (x, y, sample_weight)
        logs = getattr(self, step)(data)
        if not isinstance(logs, dict):
            raise TypeError(f"model '{self.name}': {step}() must return a dict of logs, as Keras's does (e.g. "
                            f"{{m.name: m.result() for m in self.metrics}}); it returned {type(logs).__name__}")
        self._step_logs = _flat_sorted(logs)
        loss = self._step_logs.get("loss", 0.0)
        loss = float(loss) if np.ndim(loss) == 0 else 0.0
        if not math.isfinite(loss):
            self.nonfinite_reason = (f"loss became {loss} at epoch {self.epoch + 1}, batch {self._batch + 1} "
                                     f"in {step}() of model '{self.name}'")
        return loss

    def _batch_logs(self, own):
        """The logs after a batch: what an own step returned, else the metrics' results."""
        return dict(self._step_logs) if own else self._metric_logs()

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The loss of one batch, as every training and test step computes it: the compiled
        loss plus the penalties (``model.losses``). Keras's hook: a subclass can override it
        to add a term of its own, calling this for the compiled part (keras.io)::

            def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
                loss = super().compute_loss(x, y, y_pred, sample_weight, training)
                return loss + 1e-3 * ops.mean(ops.square(y_pred))     # keep the logits small

        While training, glassnet hands an override ``y_pred`` as a recorded
        :class:`~glassnet.engine.autodiff.Value`: the override's math is recorded as it runs
        and differentiated exactly, so the extra term's gradient reaches the model's output
        beside the compiled loss's own (which this method passes back through the record).
        """
        if training and recording.tape_is_open() and recording.is_value(y_pred):
            return self._tape_loss(y, y_pred, sample_weight)
        scores = [autodiff.data_of(p) for p in y_pred] if isinstance(y_pred, list) else autodiff.data_of(y_pred)
        if not training:
            loss_fn = self.loss
        else:
            loss_fn = self._train_loss
            if self._fused is not None:            # fused with the final activation: from the logits
                scores = self._fused.logits
        value = loss_fn.forward(y, scores, self._with_masks(loss_fn, sample_weight)) + self.regularization_loss()
        recorded = [p for p in (y_pred if isinstance(y_pred, list) else [y_pred]) if isinstance(p, autodiff.Value)]
        if not training or not recorded:
            return value

        def backward(g):                           # dL/dy_pred of the compiled loss, times g
            grads = loss_fn.backward()
            return [g * part for part in (grads if isinstance(grads, list) else [grads])]
        return autodiff.record(np.float64(value), recorded, backward)

    def _tape_loss(self, y, y_pred, sample_weight):
        """``compute_loss`` inside a GradientTape (a ``train_step`` of your own): the compiled
        loss, recorded on the model's output as the tape has it (never fused with the final
        softmax there), plus the weight penalties (``model.losses``)."""
        if isinstance(self.loss, outputs_module.OutputLosses) or self.loss is None:
            raise NotImplementedError(f"model '{self.name}': compute_loss() in a GradientTape needs one compiled "
                                      f"loss for one output; compute each output's loss with its loss object")
        return self.loss(y, y_pred, sample_weight) + sum(self.losses)

    def _own_loss_and_gradient(self, x, y, y_pred, sample_weight):
        """Run a ``compute_loss`` of your own on the recorded output; returns the loss and
        ``dL/dy_pred`` (a list for several outputs)."""
        outputs = y_pred if isinstance(y_pred, list) else [y_pred]
        recorded = [autodiff.Value(o, needs_grad=True) for o in outputs]
        record = recording._Recording(training=True, tape=True)    # the layers compute_loss calls
        recording._active.append(record)
        try:
            total = self._run_compute_loss(x, y, recorded if isinstance(y_pred, list) else recorded[0],
                                           sample_weight, training=True)
        finally:
            recording._active.remove(record)
        self._loss_record = record                 # its calls of the model's layers: their gradients (train_step)
        if not isinstance(total, autodiff.Value) or not total.needs_grad or total.data.size != 1:
            raise TrainingError(f"model '{self.name}': compute_loss() must return one number computed from "
                                f"y_pred (e.g. super().compute_loss(...) + a term); it returned "
                                f"{type(total).__name__} {np.shape(autodiff.data_of(total))}, which gives no "
                                f"gradient to train on")
        autodiff.backpropagate(total, 1.0)
        grads = [v.grad if v.grad is not None else np.zeros_like(v.data) for v in recorded]
        return float(total.data), grads if isinstance(y_pred, list) else grads[0]

    def train_step(self, x, y, sample_weight=None):
        """One mini-batch: forward, loss, backward, update. Returns the batch's loss.

        A step whose loss (or, with ``check_gradients``, whose gradient) is not a finite
        number is *not applied*: the weights and batch-norm statistics stay those of the
        last good step, ``nonfinite_reason`` says where it went wrong, and the loss
        returned is NaN (``fit`` then stops with a TrainingError, unless a TerminateOnNaN
        callback stops it quietly).
        """
        saved = [a.copy() for a in self._state_arrays] if self._state_arrays else None
        self._loss_record = None
        y_pred = self.forward(x, training=True)
        if self._own_compute_loss():
            loss, output_gradient = self._own_loss_and_gradient(x, y, y_pred, sample_weight)
        else:
            scores = y_pred if self._fused is None else self._fused.logits
            loss = self._train_loss.forward(y, scores, self._with_masks(self._train_loss, sample_weight)) \
                + self.regularization_loss()
            output_gradient = None
            if self.loss is None and not self.losses:
                raise ValueError(f"model '{self.name}': compile() was given no loss, and no layer adds one "
                                 f"(add_loss, a regularizer), so there is nothing to train on; e.g. "
                                 f"compile(optimizer='adam', loss='sparse_categorical_crossentropy')")
        if not math.isfinite(loss):
            return self._refuse(saved, self._explain_nonfinite(x, loss))
        self.backward(self._train_loss.backward() if output_gradient is None else output_gradient)
        kept = self._held_gradients()
        if self.check_gradients and not self._parameters.all_finite():
            return self._refuse(saved, self._explain_nonfinite_gradient(loss))
        self.optimizer.step(self._parameters.weights, self._parameters.gradients, self._parameters.parts)
        for live, copy in kept:                    # no gradient reached them: left as they were, as in Keras
            live[...] = copy
        if self._parameters.constraints:
            self._parameters.apply_constraints()
        self._update_metrics(y, y_pred, sample_weight, loss)
        return loss

    def _held_gradients(self):
        """The gradients of the layers the model holds outside its graph (keras.io's
        Distiller's teacher, see :mod:`glassnet.engine.held_weights`) and of the calls its
        compute_loss made; returns the weights to put back after the step (none reached)."""
        held = getattr(self, "_held", None)
        if held is None or held.parameters is not self._parameters:
            held = self._held = HeldOutsideGraph(self, self._parameters)
        if not held.entries and self._loss_record is None:
            return []
        return held.keep_unreached(self, held.gather(self._loss_record))

    def _refuse(self, saved, reason):
        if saved is not None:
            for live, copy in zip(self._state_arrays, saved):
                np.copyto(live, copy)
        self.nonfinite_reason = reason
        return math.nan

    def _with_masks(self, loss_fn, sample_weight):
        """``sample_weight`` with the masks of the last forward pass's outputs merged in
        (:mod:`glassnet.engine.masking`), as Keras 3 does: a masked output's loss is the mean
        over its real steps, by ``loss_fn``'s reduction."""
        if not self._masked_outputs():
            return sample_weight
        parts = loss_fn.losses if isinstance(loss_fn, outputs_module.OutputLosses) else [loss_fn]
        return _per_output([masking.loss_weights(m, sample_weight, getattr(part, "reduction", None))
                            for m, part in zip(self.output_masks, parts)])

    def _metric_weights(self, sample_weight):
        """``sample_weight`` for the metrics: with masked outputs, their real steps only."""
        if not self._masked_outputs():
            return sample_weight
        return _per_output([masking.metric_weights(m, sample_weight) for m in self.output_masks])

    def _masked_outputs(self):
        masks = self.output_masks
        return masks is not None and any(m is not None for m in masks)

    def _update_metrics(self, y, y_pred, sample_weight, loss):
        n = len(y_pred) if not isinstance(y_pred, list) else len(y_pred[0])
        self._loss_tracker.update_state(loss, sample_weight=n)
        if self._output_loss_trackers:
            values = [v for v, part in zip(self.loss.values, self.loss.losses) if part is not None]
            for tracker, value in zip(self._output_loss_trackers, values):
                tracker.update_state(value, sample_weight=n)
        for metric in self.compiled_metrics:
            metric.update_state(y, y_pred, sample_weight=self._metric_weights(None))
        for metric in self.weighted_metrics:
            metric.update_state(y, y_pred, sample_weight=self._metric_weights(sample_weight))

    def _metric_logs(self, prefix=""):
        """The metrics' current values, sorted by name as Keras logs them."""
        logs = {prefix + m.name: log_value(m.result()) for m in self.metrics}
        return dict(sorted(logs.items()))

    def _reset_metrics(self):
        for metric in self.metrics:
            metric.reset_state()

    def reset_metrics(self):
        """Keras's: every metric, the loss's too, back to where it starts."""
        self._reset_metrics()

    def _explain_nonfinite(self, x, loss):
        """Find the first layer whose output is no longer finite, for the error message."""
        where = "in the loss"
        for layer, output in self.layer_outputs(x):
            if not all(np.isfinite(o).all() for o in (output if isinstance(output, list) else [output])):
                where = f"first in the output of layer '{layer._display_name}'"
                break
        return (f"loss became {loss} at epoch {self.epoch + 1}, batch {self._batch + 1} ({where}); "
                f"that step was not applied, but the weights left are those that gave this loss, so "
                f"don't save them. Try a lower learning rate.")

    def _explain_nonfinite_gradient(self, loss):
        path = self._parameters.first_nonfinite() or "?/?"
        layer, _, weight = path.rpartition("/")
        return (f"a gradient became non-finite at epoch {self.epoch + 1}, batch {self._batch + 1} "
                f"(first in the gradient of layer '{layer}', weight {weight!r}; the loss was "
                f"{loss:.4g}); that step was not applied. Try a lower learning rate or clipnorm.")

    # -- fit ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, augment=None, **legacy):
        """Train from epoch ``initial_epoch`` up to ``epochs``; returns a :class:`History`.

        As in Keras, ``epochs`` is the index of the last epoch, so a second
        ``fit(epochs=5)`` trains five more and counts them 1 to 5 again; pass
        ``initial_epoch=model.epoch, epochs=model.epoch + 5`` to continue the count.

        Args:
            x, y: inputs and labels (integers or one-hot), as arrays; or ``x`` alone as a
                generator / ``glassnet.utils.Sequence`` / ``tf.data.Dataset`` (batched)
                yielding ``(x, y)`` batches.
            batch_size: samples per gradient step (default 32; not with a generator).
            validation_split: fraction of ``x`` held out to validate after every epoch
                (the last samples, before shuffling, as in Keras; see
                :func:`glassnet.engine.splits.keras_split`).
            validation_data: ``(x_val, y_val)`` (or a generator); overrides validation_split.
            class_weight: ``{class: weight}``: a rare class's mistakes count more.
            sample_weight: one weight per sample of ``x``.
            steps_per_epoch: batches per epoch (needed for a plain generator).
            validation_freq: validate every this many epochs.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch ("auto" is 1).
            augment: glassnet's own: ``f(x_batch, rng) -> x_batch`` applied to every
                training batch (see :mod:`glassnet.datasets.augment`).
        """
        epochs = _legacy_epochs(epochs, legacy)
        self._prepare_training()
        for label, value, low in (("epochs", epochs, 0), ("initial_epoch", initial_epoch, 0),
                                  ("validation_freq", validation_freq, 1)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"fit: {label} must be a whole number >= {low}, got {value!r}")
        if not (isinstance(validation_split, numbers.Real) and 0 <= validation_split < 1):
            raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
        if initial_epoch >= epochs and epochs > 0:
            warnings.warn(f"fit: initial_epoch={initial_epoch} >= epochs={epochs}: nothing to train "
                          f"(epochs is the index of the last epoch, as in Keras)", UserWarning, stacklevel=2)
        train, validation = self._training_data(x, y, batch_size, shuffle, class_weight, sample_weight,
                                                steps_per_epoch, validation_split, validation_data,
                                                validation_steps, validation_batch_size)
        verbose = 1 if verbose == "auto" else int(verbose)
        self.history = History()
        # The History after the user's callbacks, so it records what they add to the logs
        # (a scheduler's learning_rate), and the progress line last of all, as Keras does.
        callback_list = [*list(callbacks or []), LearningCheck(), self.history]
        if verbose:
            callback_list.append(ProgressBar(verbose))
        callbacks = CallbackList(callback_list, self, {"epochs": epochs, "steps": train.steps,
                                                       "verbose": verbose, "samples": train.size,
                                                       "batch_size": getattr(train, "batch_size", None)})
        self.settings.update(batch_size=getattr(train, "batch_size", None),
                             optimizer=type(self.optimizer).__name__, loss=getattr(self.loss, "name", None),
                             validation_split=validation_split)
        self.stop_training = False
        self.nonfinite_reason = None
        with training_numerics():
            self._train_epochs(train, validation, callbacks, initial_epoch, epochs, validation_freq,
                               augment)
        return self.history

    def _train_epochs(self, train, validation, callbacks, initial_epoch, epochs, validation_freq,
                      augment):
        """The loop of :meth:`fit`: epochs of batches, the callbacks told at every point."""
        self._initial_epoch = None
        callbacks.on_train_begin()
        if self._initial_epoch is not None:   # BackupAndRestore put a backed-up run back
            initial_epoch = self._initial_epoch
        logs = {}
        own = self._overrides("train_step")    # a Keras train_step(data) of your own
        for epoch in range(initial_epoch, epochs):
            self._prepare_training()           # a callback may have frozen or unfrozen layers
            if not own:                        # (Keras's own train_step warns; yours trains what it will)
                self._warn_if_nothing_trains(stacklevel=4)     # named at the line calling fit
            callbacks.on_epoch_begin(epoch)
            self._reset_metrics()
            start, batch_losses = time.perf_counter(), []
            for self._batch, (xb, yb, wb) in enumerate(train.epoch(self.rng)):
                if augment is not None:
                    xb = augment(xb, self.rng)
                callbacks.on_train_batch_begin(self._batch)
                loss = (self._keras_step("train_step", xb, _given(train, yb), wb) if own else
                        self.train_step(xb, yb, wb))
                batch_losses.append(loss)
                batch_logs = self._batch_logs(own) if math.isfinite(loss) else {"loss": math.nan}
                callbacks.on_train_batch_end(self._batch, batch_logs)
                if not math.isfinite(loss):
                    if not self.stop_training:
                        raise TrainingError(self.nonfinite_reason)
                    break
                if self.stop_training:
                    break
            train.on_epoch_end()
            logs = self._batch_logs(own) if not self.nonfinite_reason else {"loss": math.nan}
            if validation is not None and (epoch + 1) % validation_freq == 0 and not self.nonfinite_reason:
                logs.update(self._evaluate(validation, callbacks, prefix="val_"))
                logs = dict(sorted(logs.items()))
            seconds = time.perf_counter() - start
            rate = self.optimizer.lr          # the rate this epoch ended at, before a callback moves it
            self.epoch = epoch + 1
            # Recorded before the callbacks, so a checkpoint they save holds this epoch too;
            # then amended with what they add to the logs (a scheduler's learning_rate).
            self.training_log.record(epoch, logs, seconds, rate, batch_losses)
            callbacks.on_epoch_end(epoch, logs)
            self.training_log.amend(logs)
            if self.stop_training:
                break
        self.optimizer.finalize_variable_values()   # use_ema: the weights become their averages
        callbacks.on_train_end(logs)

    def _build_from_source(self, source):
        """A model not built yet (a Sequential without an input shape) fed a dataset or a
        Sequence: built on its first batch's inputs, as Keras builds it (a generator, which
        can't be read twice, builds nothing here)."""
        if self.built:
            return
        if source.indexable:
            first = source.source[0]
        elif source.dataset:                     # a tf.data.Dataset: a fresh pass, its first batch
            first = next(iter(source.source), None)
            if first is None:
                return
        else:
            return
        x, _, _ = data_module._split_batch(first, source.what)
        self._prepare_inputs(list(x) if isinstance(x, tuple) else x, source.what)

    def _training_data(self, x, y, batch_size, shuffle, class_weight, sample_weight, steps_per_epoch,
                       validation_split, validation_data, validation_steps, validation_batch_size):
        """The training batches and the validation batches (or None), checked."""
        if steps_per_epoch is not None:
            data_module.check_batch_size(steps_per_epoch, "steps_per_epoch")
        if data_module.is_batch_source(x):
            if y is not None or sample_weight is not None:
                raise ValueError("fit: with a generator or Sequence, x yields (x, y) batches; don't "
                                 "pass y or sample_weight separately")
            if validation_split:
                raise ValueError("fit: validation_split needs arrays; with a generator pass "
                                 "validation_data instead")
            if batch_size is not None and data_module.is_dataset(x):     # Keras ignores it there
                warnings.warn(f"fit: batch_size={batch_size} is ignored: the dataset makes its own batches "
                              f"(.batch(n) sets their size)", UserWarning, stacklevel=3)
            elif batch_size is not None:
                raise ValueError("fit: a generator or Sequence makes its own batches; don't pass batch_size")
            train = data_module.SourceBatches(x, steps_per_epoch, shuffle, "fit x", class_weight, self._targets,
                                               self._prepare_inputs)
            self._build_from_source(train)
        else:
            if x is None:
                raise DataError("fit: no training data (x is None)")
            if y is None and self.loss is not None:
                raise DataError("fit: y is missing: pass the labels, fit(x, y)")
            batch_size = data_module.check_batch_size(_or_default(batch_size, DEFAULT_BATCH_SIZE))
            x = self._prepare_inputs(x, "x")
            xs = x if isinstance(x, list) else [x]
            given = y is not None
            y = self._targets(_no_labels(xs) if y is None else y, "y")   # no loss compiled: none needed
            weights = None if sample_weight is None else data_module.as_targets(sample_weight, "sample_weight")
            data_module.check_lengths(xs, y, weights, "fit")
            if class_weight is not None:
                cw = data_module.class_weights(y, class_weight)
                weights = cw if weights is None else weights * cw
            if validation_split and validation_data is None:
                xs, y, weights, validation_data = _split(xs, y, weights, validation_split)
            train = data_module.ArrayBatches(xs if len(xs) > 1 else xs[0], y, weights, batch_size,
                                             shuffle, steps_per_epoch)
            train.labels_given = given
        validation = None
        if validation_data is not None:
            if isinstance(validation_data, list):    # Keras 2's imdb examples: validation_data=[x_test, y_test]
                validation_data = tuple(validation_data)
            size = _or_default(validation_batch_size, batch_size)
            validation = self._evaluation_data(validation_data, None, size, None, validation_steps,
                                               "validation_data")
        return train, validation

    def _evaluation_data(self, x, y, batch_size, sample_weight, steps, what):
        """Batches for evaluate / validation: arrays, an ``(x, y[, w])`` tuple, or a generator."""
        if isinstance(x, tuple) and y is None and not data_module.is_batch_source(x):
            if len(x) not in (2, 3):
                raise DataError(f"{what}: expected (x, y) or (x, y, sample_weight), got a tuple of {len(x)}")
            x, y, sample_weight = x[0], x[1], x[2] if len(x) == 3 else None
        if data_module.is_batch_source(x):
            source = data_module.SourceBatches(x, steps, False, what, targets=self._targets,
                                               inputs=self._prepare_inputs)
            self._build_from_source(source)
            return source
        if y is None and self.loss is not None:
            raise DataError(f"{what}: labels are missing: pass (x, y)")
        x = self._prepare_inputs(x, f"{what} x")
        xs = x if isinstance(x, list) else [x]
        given = y is not None
        y = self._targets(_no_labels(xs) if y is None else y, f"{what} y")   # no loss compiled: none needed
        weights = None if sample_weight is None else data_module.as_targets(sample_weight, f"{what} sample_weight")
        data_module.check_lengths(xs, y, weights, what)
        size = data_module.check_batch_size(_or_default(batch_size, DEFAULT_BATCH_SIZE))
        batches = data_module.ArrayBatches(xs if len(xs) > 1 else xs[0], y, weights, size, False, steps)
        batches.labels_given = given
        return batches

    def _targets(self, y, what):
        """The labels, checked: one array, or for a model with several outputs one per output
        (a list in their order, or a dict by name; see :mod:`glassnet.engine.outputs`)."""
        if self.built and len(self.outputs) > 1:
            return outputs_module.as_output_targets(y, self.output_names, what, data_module.as_targets)
        return data_module.as_targets(y, what)

    def split_validation(self, x, y, fraction):
        """``(x_train, y_train, x_val, y_val)`` as ``fit(validation_split=...)`` splits them:
        the last samples held out, as in Keras (:func:`glassnet.engine.splits.keras_split`)."""
        return keras_split(x, y, fraction)

    # -- evaluate -------------------------------------------------------------------------
    def test_step(self, x, y, sample_weight=None):
        """Loss and metrics for one batch, in inference mode (dropout off, running statistics)."""
        y_pred = self.forward(x, training=False)
        if self._own_compute_loss():
            loss = float(autodiff.data_of(self._run_compute_loss(x, y, y_pred, sample_weight, training=False)))
            self._update_metrics(y, y_pred, sample_weight, loss)
            return loss
        if self._fused is not None:       # from the logits: exact even where p is ~0
            loss = self._train_loss.forward(y, self._fused.logits, self._with_masks(self._train_loss, sample_weight))
        else:
            loss_fn = self._train_loss if self.loss is None else self.loss
            loss = loss_fn.forward(y, y_pred, self._with_masks(loss_fn, sample_weight))
        loss += self.regularization_loss()
        self._update_metrics(y, y_pred, sample_weight, loss)
        return loss

    def _evaluate(self, batches, callbacks, prefix=""):
        self._reset_metrics()
        callbacks.on_test_begin()
        own = self._overrides("test_step")     # a Keras test_step(data) of your own
        for step, (xb, yb, wb) in enumerate(batches.epoch(self.rng)):
            callbacks.on_test_batch_begin(step)
            if own:
                self._keras_step("test_step", xb, _given(batches, yb), wb)
            else:
                self.test_step(xb, yb, wb)
            callbacks.on_test_batch_end(step, self._batch_logs(own) if callbacks.has_test_batch_hooks else None)
        logs = self._batch_logs(own)
        callbacks.on_test_end(logs)
        return {prefix + key: value for key, value in logs.items()}

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss and metrics on ``(x, y)``: ``loss``, or ``[loss, metric, ...]`` when metrics
        were compiled (in Keras's order, see :meth:`_result_list`), or a dict with ``return_dict=True``."""
        if self.optimizer is None:
            raise RuntimeError(f"model '{self.name}': call model.compile(..., loss=...) before evaluate")
        self._find_attribute_metrics()
        if batch_size is not None:
            data_module.check_batch_size(batch_size)
        batches = self._evaluation_data(x, y, batch_size, sample_weight, steps, "evaluate")
        verbose = 1 if verbose == "auto" else int(verbose)
        callback_list = list(callbacks or []) + ([ProgressBar(verbose)] if verbose else [])
        callbacks = CallbackList(callback_list, self, {"steps": batches.steps, "verbose": verbose})
        logs = self._evaluate(batches, callbacks)
        return logs if return_dict else self._result_list(logs)

    # -- predict --------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The outputs for ``x``, in batches (class probabilities when the model ends in softmax).

        ``batch_size`` only changes speed and memory, never the result.
        """
        batch_size = data_module.check_batch_size(_or_default(batch_size, PREDICT_BATCH_SIZE))
        verbose = 1 if verbose == "auto" else int(verbose)
        if data_module.is_batch_source(x):
            source = data_module.SourceBatches(x, steps, False, "predict", inputs=self._prepare_inputs)
            self._build_from_source(source)
            batches = (xb for xb, _, _ in source.epoch(self.rng))
            total = source.steps
        else:
            x = self._prepare_inputs(x, "x")
            xs = x if isinstance(x, list) else [x]
            n = len(xs[0])
            total = math.ceil(n / batch_size)
            if steps is not None:
                total = min(total, int(steps))
            batches = ([v[i * batch_size:(i + 1) * batch_size] for v in xs] for i in range(total))
            batches = (b if len(b) > 1 else b[0] for b in batches)
        callback_list = list(callbacks or []) + ([ProgressBar(verbose)] if verbose else [])
        callbacks = CallbackList(callback_list, self, {"steps": total, "verbose": verbose})
        callbacks.on_predict_begin()
        outputs = []
        with chunks.hold_blas():    # as in fit: the layers split batches over the cores themselves
            for step, xb in enumerate(batches):
                callbacks.on_predict_batch_begin(step)
                result = self.forward(xb, training=False)
                outputs.append(result if isinstance(result, list) else [result])
                callbacks.on_predict_batch_end(step, {"outputs": result})   # Keras's key
        callbacks.on_predict_end()
        if not outputs:
            empty = [np.zeros((0,) + t.sample_shape, self.dtype) for t in self.outputs]
            return self._as_given(empty)
        return self._as_given([np.concatenate(parts) for parts in zip(*outputs)])

    def _as_given(self, outputs):
        """The outputs as the model was given them: one array, a list, or a dict by the keys
        of ``Model(inputs, {"priority": p, "department": d})``, as Keras answers."""
        keys = getattr(self, "_given_keys", None)
        if keys is not None and len(keys) == len(outputs):    # the model's order is the keys' sorted
            by_key = dict(zip(sorted(keys), outputs))
            return {key: by_key[key] for key in keys}
        return outputs if len(outputs) > 1 else outputs[0]

    # -- one batch at a time (Keras's *_on_batch) ----------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One gradient step on this batch; returns the loss (and metrics) of the batch."""
        built = self.built
        self._prepare_training()
        x = self._prepare_inputs(x)
        y = self._targets(y, "y")
        if not built or self._parameters is None:   # this batch built the model (a subclass), or compiled it again
            self._prepare_training()
        self._warn_if_nothing_trains()
        w = None if sample_weight is None else data_module.as_targets(sample_weight, "sample_weight")
        data_module.check_lengths(x if isinstance(x, list) else [x], y, w, "train_on_batch")
        if class_weight is not None:
            cw = data_module.class_weights(y, class_weight)
            w = cw if w is None else w * cw
        self._reset_metrics()
        self._batch = 0
        with training_numerics():
            loss = self.train_step(x, y, w)
        if not math.isfinite(loss):
            raise TrainingError(self.nonfinite_reason)
        return self._batch_result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        if self.optimizer is None:
            raise RuntimeError(f"model '{self.name}': call model.compile(..., loss=...) first")
        self._reset_metrics()
        w = None if sample_weight is None else data_module.as_targets(sample_weight, "sample_weight")
        x, y = self._prepare_inputs(x), self._targets(y, "y")
        data_module.check_lengths(x if isinstance(x, list) else [x], y, w, "test_on_batch")
        with chunks.hold_blas():
            self.test_step(x, y, w)
        return self._batch_result(return_dict)

    def predict_on_batch(self, x):
        x = self._prepare_inputs(x)
        with chunks.hold_blas():
            return self.forward(x, training=False)

    def _batch_result(self, return_dict):
        logs = self._metric_logs()
        return logs if return_dict else self._result_list(logs)

    def _result_list(self, logs):
        """What ``evaluate`` returns without ``return_dict``: the logged numbers in Keras 3's
        order, one number alone. That is :attr:`metrics_names`' order (the loss, then the
        metrics as compiled), except with several outputs: Keras lists the loss and each
        output's loss first, then the outputs' metrics sorted by their logged names
        (``class_output_accuracy`` before ``score_output_mae``), whatever order they were
        compiled in."""
        names = self.metrics_names
        compiled = self.compiled_metrics + self.weighted_metrics
        if any(isinstance(metric, outputs_module.OutputMetric) for metric in compiled):
            by_output = {metric.name for metric in compiled}
            names = [name for name in names if name not in by_output] + sorted(by_output)
        results = [logs[name] for name in names]
        return results if len(results) > 1 else results[0]


# -- helpers ----------------------------------------------------------------------------
def _per_output(weights):
    """One output's weights, or several outputs' as :class:`~glassnet.engine.masking.PerOutput`."""
    return weights[0] if len(weights) == 1 else masking.PerOutput(weights)


def _given(batches, y):
    """A batch's labels, or None where fit(x) had none: Keras hands a train_step x alone then."""
    return y if getattr(batches, "labels_given", True) else None


def _flat_sorted(logs):
    """The logs a step of your own returned, as Keras's ``pythonify_logs`` keeps them: sorted
    by name, a nested dict's entries brought up to the top, each value a plain number."""
    flat = {}
    for name, value in sorted(logs.items()):
        if isinstance(value, dict):
            flat.update(_flat_sorted(value))
        else:
            flat[name] = log_value(value)
    return flat


def _no_labels(xs):
    """Labels for a model compiled without a loss (the layers add it): zeros, never read."""
    return np.zeros(len(xs[0]), np.float32)


class AddedLossesOnly:
    """The compiled loss of ``compile(optimizer)`` without one: nothing from the labels (0,
    and no gradient from the outputs), so the model learns from the terms its layers add
    (``self.add_loss``, weight and activity penalties), as Keras trains it."""

    reduction = "sum_over_batch_size"

    def forward(self, y_true, y_pred, sample_weight=None):
        self.outputs = y_pred
        return 0.0

    def backward(self):
        outputs = self.outputs
        return [np.zeros_like(o) for o in outputs] if isinstance(outputs, list) else np.zeros_like(outputs)


@contextmanager
def training_numerics():
    """What every training step runs under, in ``fit`` and ``train_on_batch`` alike.

    NumPy's own overflow warnings are off: they are noise here, since every loss is
    checked and a non-finite one stops training with a message that says where it
    happened. BLAS stays at one thread: the layers split their batches over the cores
    themselves (layers/chunks.py), and a BLAS whose idle threads spin between the many
    small multiplies of a step would fight them (and anything else, such as the process
    writing the line reader's next numbers) for the cores.
    """
    with np.errstate(all="ignore"), chunks.hold_blas():
        yield


def _or_default(value, default):
    """``value``, or ``default`` when it is None: unlike ``value or default``, a
    ``batch_size=0`` reaches the check that refuses it instead of becoming the default."""
    return default if value is None else value


def _flat_metrics(metrics, what):
    if metrics is None:
        return []
    if isinstance(metrics, dict):
        if len(metrics) != 1:
            raise ValueError(f"compile: {what} by output name needs one output")
        metrics = list(metrics.values())[0]
    if isinstance(metrics, (str,)) or not isinstance(metrics, (list, tuple)):
        metrics = [metrics]
    flat = []
    for m in metrics:
        flat.extend(m if isinstance(m, (list, tuple)) else [m])
    return flat


def _legacy_epochs(epochs, legacy):
    if "nb_epoch" in legacy:
        warnings.warn("fit: nb_epoch is Keras 1's spelling; use epochs", DeprecationWarning, stacklevel=3)
        epochs = legacy.pop("nb_epoch")
    if legacy:
        raise TypeError(f"fit: unknown argument(s) {', '.join(legacy)}")
    return epochs


def _split(xs, y, weights, fraction):
    """Hold out the last ``fraction`` for validation, as Keras does (see keras_split)."""
    index = np.arange(len(y))
    labels = y.arrays[0] if isinstance(y, outputs_module.Targets) else y    # several outputs: the first's classes
    train_index, _, val_index, _ = keras_split(index, labels, fraction)
    validation = ([x[val_index] for x in xs] if len(xs) > 1 else xs[0][val_index], y[val_index],
                  None if weights is None else weights[val_index])
    xs = [x[train_index] for x in xs]
    return xs, y[train_index], None if weights is None else weights[train_index], validation
