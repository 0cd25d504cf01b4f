"""Keras's subclassing style: a ``call()`` that calls layers, turned into a graph.

Keras lets you write a model (or a layer made of layers) as a class whose ``call`` says
what to do with the input::

    class MyModel(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = layers.Dense(128, activation="relu")
            self.dropout = layers.Dropout(0.2)
            self.out = layers.Dense(10)

        def call(self, x, training=False):
            return self.out(self.dropout(self.hidden(x), training=training))

TensorFlow trains that by recording every operation as it happens (automatic
differentiation). glassnet has no such recorder: its backward pass is each layer's own
``backward``. But a ``call`` that only *calls layers* describes a graph of layers, and
glassnet already trains graphs of layers (the Functional API). So glassnet **traces**
``call``: it runs it once, on placeholders (``Input``) instead of data, when the input
shape is first known (the first ``fit``, ``predict``, ``model(x)`` or ``build``). Every
layer call records itself, and what comes back is the Functional graph
``Model(inputs, call(inputs))``, which is then trained, saved and exported as any other.

Besides layer calls, what has a layer behind it is traced too: ``+``, ``-`` and ``*``
between two placeholders (Add, Subtract, Multiply), arithmetic with a number (``x / 255``,
``2 * x - 1``: Rescaling), the activation functions (``keras.activations.relu(x)``,
``tf.nn.softmax(x)``) and the layer-shaped ``glassnet.ops`` (``ops.concatenate``,
``ops.reshape``...). What tracing can't follow raises :class:`ComputesOnInput`:

* other math on the placeholders (``np.tanh(x)``, ``x ** 2``, ``ops.matmul(x, self.w)``,
  a term given to ``self.add_loss``);
* Python that branches on the data or on ``training`` (``if training: ...``): the graph is
  drawn once, so both branches can't be in it.

Then the call() is *recorded* instead (:mod:`glassnet.engine.recording`): a layer's call()
becomes one step of the graph; a model's whole call() becomes its one step
(:class:`~glassnet.engine.model.RecordedCall`), its math and layer calls recorded as they
run and differentiated.

A *layer* of your own made of layers (a ``Layer`` subclass with ``call`` and no
``forward``) is one step of the graph where it is used, as in Keras: its call() is recorded
(:mod:`glassnet.engine.recording`), its layers are its own. Only a ``Lambda`` is traced into
the layers of its function (``x / 255``: a Rescaling).
"""

import inspect

from glassnet.engine import naming
from glassnet.errors import ShapeError


class ComputesOnInput(TypeError):
    """A traced call() did math on a placeholder: not a graph of layers (see recording)."""


class _AsksTraining(TypeError):
    """``if training:`` in a traced call()."""


class _TracingTraining:
    """The ``training`` argument ``call`` gets while it is traced: not yet known.

    Passed on to a layer (``self.dropout(x, training=training)``) it does what it should:
    the layer follows the mode the model runs in. Used in an ``if``, it can't be True or
    False, and says why.
    """

    def __bool__(self):
        raise _AsksTraining(
            "call() asks whether it is training (`if training:`), but glassnet traces call() once "
            "into a graph of layers, before it runs in either mode. Pass training=training on to "
            "the layers instead (Dropout and BatchNormalization already behave as the mode asks), "
            "or write that part as a custom layer with forward and backward (docs/custom_layers.md)")

    def __repr__(self):
        return "<training: decided each time the model runs>"


TRACING = _TracingTraining()


def defines_call(cls, base):
    """True when a class below ``base`` in ``cls``'s ancestry has its own ``call``."""
    return any("call" in vars(klass) for klass in cls.__mro__
               if klass is not base and issubclass(klass, base))


def run_call(owner, inputs, training, mask=None):
    """``owner.call(inputs, training=training)``, or ``owner.call(inputs)`` when its call()
    takes no ``training`` (Keras passes it only to a call() that asks for it); ``mask=`` too
    when it takes one and there is a mask (engine/masking.py)."""
    try:
        parameters = inspect.signature(owner.call).parameters
    except (TypeError, ValueError):
        parameters = {}
    options = {"mask": mask} if mask is not None and "mask" in parameters else {}
    if "training" in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        options["training"] = training
    if getattr(owner, "spreads_inputs", False):      # layer(targets, logits): call(targets, logits)
        return owner.call(*inputs, **options)
    return owner.call(inputs, **options)


_tracing = [0]     # how many call()s are being traced now (one inside another: a block in a model)


def tracing_now():
    """True while a layer's or model's ``call()`` runs on placeholders to be traced: there,
    ``keras.ops`` math on a placeholder makes the call one recorded step instead (it raises
    :class:`ComputesOnInput` here), rather than an op of the graph as in Functional code."""
    return _tracing[0] > 0


def trace(owner, inputs, mode=None):
    """``owner.call(inputs)`` on placeholders: the output placeholder(s), with any failure
    turned into an error that names ``owner``'s class and what tracing can't do.
    ``mode``: the ``training`` its call fixed (None: decided as the model runs)."""
    kind = type(owner).__name__
    _tracing[0] += 1
    try:
        with naming.hidden():          # Keras makes no layers here: yours are named as there
            outputs = run_call(owner, inputs, TRACING if mode is None else mode)
    except ShapeError:
        raise                          # a layer's own message names the layer and the shapes
    except _AsksTraining as error:     # a Layer's call() is then recorded instead (recording.py)
        raise ComputesOnInput(f"{kind}.{error}") from None
    except TypeError as error:
        raise ComputesOnInput(f"{kind}.call() computes on its input itself ({error}). A model's call() "
                              f"must be a graph of layers (glassnet runs it once on placeholders); put "
                              f"the math in a custom Layer, whose call() glassnet records and "
                              f"differentiates (docs/custom_layers.md)") from None
    finally:
        _tracing[0] -= 1
    if outputs is None:
        raise TypeError(f"{kind}.call() returned None; it must return the output of its last layer")
    from glassnet.engine.symbolic import is_symbolic
    if not is_symbolic(outputs):
        raise TypeError(f"{kind}.call() returned {type(outputs).__name__}, not the output of a layer: "
                        f"glassnet turns call() into a graph of layers, so what it returns must come "
                        f"from layer calls on its input")
    return outputs
