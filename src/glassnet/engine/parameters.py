"""All of a model's trainable weights in one flat array, and their gradients in another.

Each layer keeps ``params["kernel"]`` etc. as *views* into these arrays, so nothing changes
for the layers, but the optimizer can update the whole network with a few vectorised
operations instead of a few per weight array. At the size of the models here that
per-call overhead is a large share of the training time.

Only the weights of trainable layers are packed. Freezing a layer (``trainable = False``)
changes the set, so the model checks before every epoch that the packing still matches
and packs again if not; the optimizer's state (Adam's running averages) follows each
weight by its *path*, ``"dense_1/kernel"``, not by its place in the array.
"""

import numpy as np


def layer_paths(layers):
    """``[(path, layer), ...]`` for ``layers`` and the layers inside them, depth first: a
    layer inside another is named ``"outer/inner"``; a layer reached twice is listed once."""
    found, seen = [], set()

    def visit(layer, prefix):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        path = f"{prefix}{layer.name}"
        found.append((path, layer))
        for inner in layer.sublayers:
            visit(inner, f"{path}/")

    for layer in layers:
        visit(layer, "")
    return found


def weight_paths(layers):
    """``[(path, layer, key), ...]`` for every learned weight of ``layers`` and the layers
    inside them, in Keras's order: ``("dense_1/kernel", layer, "kernel")``."""
    return [(f"{path}/{key}", layer, key) for path, layer in layer_paths(layers) for key in layer.params]


class FlatParameters:
    """The trainable weights of ``layers`` packed into one flat buffer (see the module docstring).

    Attributes:
        weights, gradients: lists of arrays handed to ``optimizer.step``: one flat array
            each, or one array per weight when the weights have mixed dtypes.
        parts: each weight's gradient on its own (views), for ``clipnorm``.
        layout: ``[(path, shape), ...]``, the packed weights in order.
    """

    def __init__(self, layers):
        entries = [(path, layer, key) for path, layer, key in weight_paths(layers) if layer.trainable]
        self.entries = entries
        self.layout = [(path, layer.params[key].shape) for path, layer, key in entries]
        dtypes = {layer.params[key].dtype for _, layer, key in entries}
        if len(dtypes) > 1:   # mixed dtypes can't share one buffer; keep them apart
            self.weights = [layer.params[key] for _, layer, key in entries]
            self.gradients = self.parts = [layer.grads[key] for _, layer, key in entries]
            self._find_constraints()
            return
        dtype = dtypes.pop() if dtypes else np.dtype("float32")
        total = sum(layer.params[key].size for _, layer, key in entries)
        flat_weights, flat_gradients = np.empty(total, dtype), np.zeros(total, dtype)
        offset = 0
        for _, layer, key in entries:
            size, shape = layer.params[key].size, layer.params[key].shape
            flat_weights[offset:offset + size] = layer.params[key].ravel()
            layer.move_param(key, flat_weights[offset:offset + size].reshape(shape))
            layer.grads[key] = flat_gradients[offset:offset + size].reshape(shape)
            offset += size
        self.weights, self.gradients = [flat_weights], [flat_gradients]
        self.parts = [layer.grads[key] for _, layer, key in entries]
        self._find_constraints()

    def _find_constraints(self):
        # (weight, constraint) for each weight with a kernel_constraint=... or the like
        self.constraints = [(layer.params[key], constraint) for _, layer, key in self.entries
                            if (constraint := vars(layer).get(f"{key}_constraint")) is not None]

    def apply_constraints(self):
        """Put each constrained weight back inside its set, after the optimizer's step (as
        Keras does): ``kernel_constraint=max_norm(3)`` shortens the columns grown too long."""
        for weight, constraint in self.constraints:
            weight[...] = constraint(weight)

    def is_current(self, layers):
        """True while the packed weights are exactly the trainable weights of ``layers``."""
        now = [(path, layer, key) for path, layer, key in weight_paths(layers) if layer.trainable]
        if [(path, id(layer), key) for path, layer, key in now] != \
                [(path, id(layer), key) for path, layer, key in self.entries]:
            return False
        if len(self.weights) != 1 or not self.entries:
            return all(layer.params[key] is w for (_, layer, key), w in zip(now, self.weights))
        return all(np.shares_memory(layer.params[key], self.weights[0]) and
                   np.shares_memory(layer.grads[key], self.gradients[0]) for _, layer, key in now)

    def all_finite(self):
        """Whether every gradient is a finite number (a sum is finite exactly when every
        entry is, short of overflowing float32: an exploded gradient anyway)."""
        return all(np.isfinite(g.sum()) for g in self.gradients)

    def first_nonfinite(self):
        """The path of the first weight whose gradient is not finite, or None."""
        return next((path for (path, layer, key) in self.entries
                     if not np.isfinite(layer.grads[key]).all()), None)
