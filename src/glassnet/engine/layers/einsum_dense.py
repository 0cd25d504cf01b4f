"""EinsumDense: a Dense layer whose product is any einsum equation (Keras 3's).

Where Dense multiplies the last axis by a ``(D, U)`` matrix, EinsumDense writes the product
as an equation over named axes, so one layer can project several axes at once, or keep
some: a Transformer's query projection ``"abc,cde->abde"`` turns each position's ``c``
features into ``d`` heads of ``e`` values, ``(N, T, C) -> (N, T, D, E)``, with one kernel
``(C, D, E)``.
"""

import re

import numpy as np

from glassnet.engine import constraints, initializers, regularizers
from glassnet.engine.layers import activations
from glassnet.engine.layers.base import Layer
from glassnet.errors import ShapeError


def einsum_shapes(equation, bias_axes, input_shape, output_shape):
    """Keras's reading of an EinsumDense equation: ``(kernel_shape, bias_shape or None,
    full_output_shape, input_axes, output_axes)`` for ``input_shape`` (with the batch axis).

    The equation is ``"I,W->O"``, with ``...`` allowed at the left of I and O or at the right
    (``"...b,bc->...c"``, ``"ab...,bc->ac..."``): those axes pass through. ``output_shape``
    gives O's sizes after the batch (an int for one axis; None: the input's size).
    """
    plain = equation.replace("...", "0")
    for pattern, left in ((r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", False),
                          (r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", True),
                          (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", False)):
        found = re.match(pattern, plain)
        if found:
            return _shapes(*found.groups(), bias_axes, list(input_shape), output_shape, left)
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form "
                     f"[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def _shapes(input_spec, weight_spec, output_spec, bias_axes, input_shape, output_shape, left):
    """:func:`einsum_shapes` once the equation is split (``left``: the ``...`` is on the left)."""
    elided = len(input_shape) - len(input_spec)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    out.insert(0, input_shape[0])
    if elided > 0 and left:
        for i in range(1, elided):
            out.insert(1, input_shape[i])
    elif elided > 0:
        out.extend(input_shape[len(input_shape) - elided:])
    in_at = {c: (i + elided - len(input_shape) if left else i) for i, c in enumerate(input_spec)}
    out_at = {c: (i + elided if left else i) for i, c in enumerate(output_spec)}
    for c in input_spec:
        if c in out_at:
            if out[out_at[c]] is None:            # a shared axis of open size: the input's
                out[out_at[c]] = input_shape[in_at[c]]
            elif input_shape[in_at[c]] is not None and out[out_at[c]] != input_shape[in_at[c]]:
                raise ValueError(f"Input shape and output shape do not match at shared dimension '{c}'. Input "
                                 f"shape is {input_shape[in_at[c]]}, and output shape is {out[out_at[c]]}.")
    for c in output_spec:
        if c not in input_spec and c not in weight_spec:
            raise ValueError(f"Dimension '{c}' was specified in the output '{output_spec}' but has no "
                             f"corresponding dim in the input spec '{input_spec}' or weight spec '{weight_spec}'")
    kernel, input_axes, output_axes = [], [], []
    for i, c in enumerate(weight_spec):
        if c in out_at:
            kernel.append(out[out_at[c]])
            output_axes.append(i)
        elif c in in_at:
            kernel.append(input_shape[in_at[c]])
            input_axes.append(i)
        else:
            raise ValueError(f"Weight dimension '{c}' did not have a match in either the input spec "
                             f"'{input_spec}' or the output spec '{output_spec}'. For this layer, the weight "
                             f"must be fully specified.")
    bias = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the output spec "
                                 f"'{output_spec}'")
        shift = elided if left else 0
        first = min(output_spec.find(c) for c in bias_axes)
        bias = [out[i + shift] if c in bias_axes else 1 for i, c in enumerate(output_spec) if i >= first]
        bias += [] if left else [1] * max(elided, 0)
    return kernel, bias, out, input_axes, output_axes


class EinsumDense(Layer):
    """``y = f(einsum(equation, x, kernel) + bias)``, Keras 3's EinsumDense.

    Backward, with ``dz = dy * f'(z)`` and the equation ``"I,W->O"``: each operand's gradient
    is the einsum of the output's gradient with the other operand::

        dkernel = einsum("I,O->W", x, dz)
        dx      = einsum("O,W->I", dz, kernel)     # an input axis summed alone: broadcast back
        dbias   = dz summed over the axes the bias is broadcast along

    Args:
        equation: the einsum equation, input first, kernel second (see :func:`einsum_shapes`).
        output_shape: the output's sizes after the batch (an int for one axis; None for an
            axis the input gives).
        activation: as Dense's.
        bias_axes: the output axes (letters) that get a learned bias, or None (no bias).
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        kernel_constraint, bias_constraint: as Dense's; the kernel's fans are those of its
            input and output axes, as in Keras.
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, bias_constraint=None, lora_rank=None,
                 lora_alpha=None, quantization_config=None, activity_regularizer=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for label, given in (("lora_rank", lora_rank), ("lora_alpha", lora_alpha),
                             ("quantization_config", quantization_config)):
            if given is not None:
                raise ValueError(f"EinsumDense: {label}={given!r} is not supported by glassnet")
        spec_in = str(equation).split(",")[0]         # the equation and bias_axes, checked now
        einsum_shapes(equation, bias_axes, [None] * (len(spec_in.replace("...", "")) + ("..." in spec_in)),
                      output_shape)
        self.equation = str(equation)
        self.partial_output_shape = (output_shape,) if isinstance(output_shape, int) else tuple(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.specs = re.match(r"(.+),(.+)->(.+)$", self.equation).groups()     # I, W, O

    def _analyze(self, input_shape):
        try:
            return einsum_shapes(self.equation, self.bias_axes, (None,) + tuple(input_shape),
                                 self.partial_output_shape)
        except ValueError as error:
            raise ShapeError(f"layer '{self._display_name}' (EinsumDense): {error}") from None

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        kernel_shape, bias_shape, _, input_axes, output_axes = self._analyze(self.input_shape)
        if any(size is None for size in kernel_shape):
            raise ShapeError(f"layer '{self._display_name}' (EinsumDense): the kernel's shape {kernel_shape} "
                             f"needs every input axis it multiplies to have a size")
        self.add_param("kernel", self._initial_kernel(kernel_shape, input_axes, output_axes))
        if bias_shape is not None:
            self.add_param("bias", self.bias_initializer(tuple(bias_shape), self.rng))

    def _initial_kernel(self, shape, input_axes, output_axes):
        """The kernel, its fans those of its input and output axes (Keras's): drawn as a
        ``(fan_in, fan_out)`` matrix of independent values, then reshaped."""
        if not isinstance(self.kernel_initializer, initializers.VarianceScaling):
            return self.kernel_initializer(tuple(shape), self.rng)
        fan_in = int(np.prod([shape[i] for i in input_axes]))
        fan_out = int(np.prod([shape[i] for i in output_axes]))
        return np.reshape(self.kernel_initializer((fan_in, fan_out), self.rng), shape)

    def output_shape(self, input_shape):
        return tuple(self._analyze(input_shape)[2][1:])

    def _letters(self, ndim):
        """The equation's three specs with ``...`` spelled out as letters it doesn't use, for
        input of ``ndim`` axes (NumPy's einsum won't sum a ``...`` away, as the kernel's
        gradient needs)."""
        spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in self.equation]
        spec_in = self.specs[0]
        elided = "".join(spare[:ndim - len(spec_in.replace("...", ""))])
        return tuple(spec.replace("...", elided) for spec in self.specs)

    def forward(self, x, training=False):
        self.check_input(x)
        self.x = x
        self.spelled = self._letters(x.ndim)
        spec_in, spec_w, spec_out = self.spelled
        z = np.einsum(f"{spec_in},{spec_w}->{spec_out}", x, self.params["kernel"])
        if "bias" in self.params:
            z = z + self.params["bias"]
        return z if self.activation is None else self.activation.forward(z, training)

    def backward(self, dy):
        dz = dy if self.activation is None else self.activation.backward(dy)
        spec_in, spec_w, spec_out = self.spelled
        self.grads["kernel"][...] = _einsum_gradient(spec_w, spec_in, self.x, spec_out, dz,
                                                     self.params["kernel"].shape)
        if "bias" in self.params:
            self.grads["bias"][...] = _sum_to(dz, self.params["bias"].shape)
        self.add_penalty_gradients()
        if not self.needs_input_grad:
            return None
        return _einsum_gradient(spec_in, spec_out, dz, spec_w, self.params["kernel"], self.x.shape)

    def get_config(self):
        def initializer(value):
            return initializers.serialize(value)
        base = {"activity_regularizer": None, **super().get_config(), "quantization_config": None}   # Keras's keys
        return {**base, "output_shape": list(self.partial_output_shape), "equation": self.equation,
                "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
                "kernel_initializer": initializer(self.kernel_initializer),
                "bias_initializer": initializer(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint)}


def _einsum_gradient(target, spec_a, a, spec_b, b, shape):
    """``einsum("A,B->T", a, b)`` for the gradient of the operand ``T`` (of ``shape``); an
    axis of ``T`` that neither ``A`` nor ``B`` has (summed away on its own in the forward
    pass) gets the same gradient all along it."""
    known = set(spec_a) | set(spec_b)
    missing = tuple(i for i, c in enumerate(target) if c not in known)
    g = np.einsum(f"{spec_a},{spec_b}->{''.join(c for c in target if c in known)}", a, b)
    return np.broadcast_to(np.expand_dims(g, missing), shape) if missing else g


def _sum_to(g, shape):
    """``g`` summed down to ``shape`` (NumPy's broadcasting, undone): the bias's gradient."""
    g = g.sum(axis=tuple(range(g.ndim - len(shape))))
    return g.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)
