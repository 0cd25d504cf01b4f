"""``tf.GradientTape``: a training loop of your own, written TensorFlow's way.

``model.fit`` runs the loop for you. TensorFlow's tutorials ("TensorFlow 2 quickstart for
experts", "Writing a training loop from scratch", the DCGAN) write it out::

    with tf.GradientTape() as tape:
        predictions = model(images, training=True)      # the forward pass, recorded
        loss = loss_object(labels, predictions)
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))

While the tape is open, every layer or model called is one recorded step (the same record a
custom layer's ``call()`` makes: :mod:`glassnet.engine.recording`): its forward pass runs
now, and its own ``backward`` is the rule that turns ``dL/d(output)`` into the gradients
of its weights and of its input. The loss object, and any math done on the outputs with
``ops`` or ``tf.*`` functions, are recorded as operations of
:mod:`glassnet.engine.autodiff`. :meth:`GradientTape.gradient` walks that record backwards
from the loss, then reads each weight's gradient from the layer that owns it.

Two tapes open together (a GAN's generator and discriminator) share one record; a model
called twice while it is open (the discriminator on real and on generated images) runs its
second call on a twin whose gradients are added to the model's own, as in a graph that
shares a layer.

A layer's weight penalties (``kernel_regularizer=...``), activity penalties and
``self.add_loss`` terms count as they do in Keras's own loops: only when the loss read
``model.losses`` (``loss += sum(model.losses)``, or ``self.compute_loss``). ``fit`` always
counts them.
"""

import numpy as np

from glassnet.engine import recording
from glassnet.engine.autodiff import Value, backpropagate
from glassnet.engine.tensor import as_tensor
from glassnet.engine.variables import Variable


class GradientTape:
    """Records what runs inside ``with GradientTape() as tape:`` so that
    :meth:`gradient` can differentiate it.

    Args:
        persistent: allow :meth:`gradient` to be called more than once (TensorFlow's
            default, False, allows one call).
        watch_accessed_variables: accepted for TensorFlow's sake; a layer's weights are
            always watched.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self._record = None
        self._used = False

    def __enter__(self):
        # A tape opened inside another shares its record: both see every call made.
        outer = next((r for r in reversed(recording._active) if r.tape), None)
        self._record = outer if outer is not None else recording._Recording(training=False, tape=True)
        recording._active.append(self._record)
        return self

    def __exit__(self, *error):
        for i in range(len(recording._active) - 1, -1, -1):
            if recording._active[i] is self._record:
                del recording._active[i]
                break
        return False

    def watch(self, tensor):
        """Also differentiate with respect to ``tensor``, an input array (TensorFlow's
        tutorials on adversarial examples and saliency maps): a layer called on it inside
        the tape records it as a variable. Call it before the layer is called."""
        if self._record is None:
            raise RuntimeError("GradientTape.watch(): call it inside 'with tf.GradientTape() as tape:'")
        for one in tensor if isinstance(tensor, (list, tuple)) else [tensor]:
            if not isinstance(one, Value) and id(one) not in self._record.watched:
                self._record.watched[id(one)] = (one, Value(np.asarray(one), needs_grad=True))

    def gradient(self, target, sources, output_gradients=None, unconnected_gradients="none"):
        """``d(target)/d(source)`` for each of ``sources``, shaped as ``sources`` is (one,
        a list, a tuple or a dict). ``target``: the loss, a recorded scalar or array (a list
        of them: their sum); ``output_gradients``: the gradient to start from, default
        ones. A source the target doesn't depend on gets None (``"zero"``: zeros)."""
        if self._record is None:
            raise RuntimeError("GradientTape.gradient(): the tape recorded nothing; compute the loss inside "
                               "'with tf.GradientTape() as tape:'")
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one set of "
                               "gradients (or jacobians); use GradientTape(persistent=True) for more")
        self._used = True
        targets = list(target) if isinstance(target, (list, tuple)) else [target]
        seeds = (list(output_gradients) if isinstance(output_gradients, (list, tuple)) else [output_gradients]) \
            if output_gradients is not None else [None] * len(targets)
        roots = [(t, np.ones(t.shape, t.dtype) if s is None else np.asarray(s))
                 for t, s in zip(targets, seeds) if isinstance(t, Value) and t.needs_grad]
        self._clear()
        self._record.reached.clear()
        computed = _computed_values(sources)        # intermediate results asked for (a model's output)
        for value in computed:
            value.grad = None
        if roots:
            with _penalties_if_read(self._record):
                backpropagate(roots[0][0], roots[0][1], roots[1:], keep={id(value) for value in computed})
            for layer, twin in self._record.twins:     # a model called twice: both calls' gradients
                layer.add_twin_gradients(twin)
        grads = _map(lambda source: self._gradient_of(source, unconnected_gradients), sources)
        if self._record in recording._active:       # a tape still records: it would differentiate these
            grads = _map(_first_order_only, grads)
        return grads

    def reset(self):
        """Forget what was recorded (TensorFlow's ``tape.reset()``)."""
        self._record = recording._Recording(training=False, tape=True)
        self._used = False

    def stop_recording(self):
        """``with tape.stop_recording():`` runs its block unrecorded (TensorFlow's)."""
        return _Paused(self)

    # -- the parts -------------------------------------------------------------------------
    def _clear(self):
        """Zero the gradients of every layer the tape ran (and their twins'), so that a layer
        the target doesn't reach gets none, and a second gradient() starts afresh."""
        for layer in [layer for layer in self._record.called] + [twin for _, twin in self._record.twins]:
            for inner in layer.walk():
                for grad in inner.grads.values():
                    grad[...] = 0
        for _, value in self._record.watched.values():
            value.grad = None

    def _gradient_of(self, source, unconnected):
        if isinstance(source, Value):
            grad = source.grad
        elif id(source) in self._record.watched:
            grad = self._record.watched[id(source)][1].grad
        else:
            grad = self._weight_gradient(source)
            if grad is None and isinstance(source, Variable):
                raise NotImplementedError(
                    f"GradientTape.gradient(): the tf.Variable '{source.name}' is not a weight of a layer the tape "
                    f"ran; glassnet's tape records layers and models, not math on a Variable (x @ w): make it "
                    f"a layer's weight (self.add_weight in a keras.layers.Layer) and call that layer in the tape")
        if grad is None:
            return as_tensor(np.zeros_like(np.asarray(source))) if unconnected == "zero" else None
        return as_tensor(np.array(grad))

    def _weight_gradient(self, weight):
        """The gradient of a layer's weight (one of ``model.trainable_variables``) the tape
        ran, or None when no layer it ran holds that weight, or when the gradient never
        reached the layer that does (the loss doesn't depend on it, as TensorFlow says with
        None: e.g. its output went through plain NumPy, which the record can't follow)."""
        from glassnet.engine.layers.base import holds

        array = getattr(weight, "value", weight)           # a keras.Variable holds its array
        for layer in self._record.called:
            for inner in layer.walk():
                for name, param in inner.params.items():
                    if holds(array, param) and inner.trainable:
                        return inner.grads[name] if id(layer) in self._record.reached else None
        return None


class _penalties_if_read:
    """While the tape differentiates: the penalties of the layers it ran (weight and activity
    penalties, ``self.add_loss`` terms) give their gradient only when the loss read
    ``model.losses`` (``loss += sum(model.losses)``), as in Keras, where a term the loss
    leaves out changes nothing. (A layer's backward adds them itself, as fit wants; every
    call in a tape ran on a twin, so muting the twins leaves the model as it was.)"""

    def __init__(self, record):
        self.muted = [] if record.penalties_counted else [inner for _, twin in record.twins for inner in twin.walk()]

    def __enter__(self):
        self.saved = [(inner.__dict__.get("added_losses"), inner.activity_regularizer) for inner in self.muted]
        for inner in self.muted:
            inner.__dict__["added_losses"] = []
            inner.__dict__["penalties"] = _none          # the instance's own: the class's method is hidden
            inner.activity_regularizer = None

    def __exit__(self, *error):
        for inner, (terms, activity) in zip(self.muted, self.saved):
            if terms is None:
                inner.__dict__.pop("added_losses", None)
            else:
                inner.__dict__["added_losses"] = terms
            inner.__dict__.pop("penalties", None)
            inner.activity_regularizer = activity
        return False


def _none():
    return []


class _Paused:
    """``tape.stop_recording()``: the block runs on plain arrays, outside the record."""

    def __init__(self, tape):
        self.tape = tape

    def __enter__(self):
        self.depth = recording._active.index(self.tape._record) if self.tape._record in recording._active else None
        if self.depth is not None:
            self.saved = recording._active[self.depth:]
            del recording._active[self.depth:]
        return self

    def __exit__(self, *error):
        if self.depth is not None:
            recording._active.extend(self.saved)
        return False


def _first_order_only(grad):
    """A gradient computed while a tape records (``tape.gradient`` inside another tape's
    block, as WGAN-GP's gradient penalty does): TensorFlow records that computation too, so a
    loss made from it can be differentiated again (a second derivative). glassnet's tape
    can't: such a gradient is a recorded value whose own gradient is a clear error, raised
    only if a loss that uses it is differentiated."""
    if grad is None:
        return None

    def backward(g):
        raise NotImplementedError(
            "GradientTape: a loss made from a gradient computed inside another tape's block (a gradient "
            "penalty, as in WGAN-GP) needs second derivatives, which glassnet's tape does not compute")
    return Value(np.asarray(grad), (), backward, needs_grad=True)


def _computed_values(sources):
    """The sources that are computed Values, not leaves: ``h = encoder(x)`` in
    ``tape.gradient(loss, h)``, or the intermediate output of a model with several outputs
    (Grad-CAM's last conv layer's)."""
    found = []
    _map(lambda source: found.append(source) if isinstance(source, Value) and source.backward else None, sources)
    return found


def _map(function, sources):
    """``function`` of each source, shaped as ``sources`` is (one, a list, a tuple or a dict)."""
    if isinstance(sources, dict):
        return {key: _map(function, value) for key, value in sources.items()}
    if isinstance(sources, (list, tuple)):
        return type(sources)(_map(function, value) for value in sources)
    return function(sources)
