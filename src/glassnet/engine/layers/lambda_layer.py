"""Lambda: Keras's layer that applies a function you pass it.

    layers.Lambda(lambda x: x / 255.0)
    layers.Lambda(lambda x: tf.nn.relu(x) * 2)

Keras differentiates whatever the function does, and so does glassnet, in one of two
ways. First it *traces* the function, as it traces a subclass's ``call()``
(:mod:`glassnet.engine.tracing`): in a model, the function runs once on the placeholder,
and what it does with it becomes layers of the graph. Arithmetic with numbers is a
Rescaling layer (``x / 255``, ``2 * x - 1``), ``+``, ``-`` and ``*`` between two
placeholders are Add, Subtract and Multiply, and the activation functions
(``keras.activations.relu``, ``tf.nn.softmax``) are their layers. Other math
(``ops.sqrt(ops.sum(ops.square(a - b), axis=1, keepdims=True))``, a siamese network's
distance) makes the Lambda one step of the graph, whose math is recorded as it runs and
differentiated (:mod:`glassnet.engine.recording`); what can't be differentiated stops
with an error that names the Lambda and the function.

On arrays, ``Lambda(f)(x)`` simply calls ``f(x)``. ``model.layers`` and ``summary()`` show a
traced Lambda as one layer, ``lambda (Lambda)``, as Keras does (the layers it became run in
its place). A model holding a Lambda is saved as the graph it traced, so the function itself
(Python code) is never written to a file; a Keras file's Lambda, whose function Keras writes
as bytecode, loads with ``safe_mode=False`` (:mod:`glassnet.interop.keras_lambda`).
"""

from glassnet.engine.layers.base import Layer
from glassnet.engine.recording import is_value
from glassnet.errors import ShapeError


class Lambda(Layer):
    """``y = function(x, **arguments)``, traced into layers inside a model.

    Args:
        function: called on the input (a placeholder in a model, an array on its own).
        output_shape: Keras's optional hint (with or without the batch axis); checked
            against the traced shape when given.
        arguments: keyword arguments for ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda: function must be callable, got {type(function).__name__}")
        if mask is not None:
            raise ValueError("Lambda: mask= is not supported by glassnet")
        self.function = function
        self.arguments = dict(arguments or {})
        self.expected_shape = None if output_shape is None or callable(output_shape) else tuple(output_shape)

    def call(self, inputs):
        outputs = self.function(inputs, **self.arguments)
        shape = getattr(outputs, "sample_shape", None)          # traced: a placeholder's
        if shape is None and is_value(outputs):                 # recorded: a Value's, batch left out
            shape = outputs.shape[1:]
        if shape is not None and self.expected_shape is not None:
            expected = self.expected_shape
            if expected and expected[0] is None:
                expected = expected[1:]
            if tuple(expected) != tuple(shape):
                raise ShapeError(f"Lambda '{self.name}': output_shape={self.expected_shape}, but the "
                                 f"function gives {(None,) + tuple(shape)}")
        return outputs

    def get_config(self):
        if self.records_call:
            raise TypeError(f"Lambda '{self.name}': its function is Python code, which glassnet doesn't "
                            f"write to files; save the weights (model.save_weights) and build the model "
                            f"again in code, or make the math a custom layer with a get_config")
        raise TypeError(f"Lambda '{self.name}': its function is Python code, which glassnet doesn't "
                        f"write to files; a model holding it is saved as the layers it traced")
