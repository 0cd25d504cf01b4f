"""The weights of layers a model holds outside its graph, trained as Keras trains them.

A model of your own holds layers as attributes, and Keras 3 counts every one of them: their
weights are the model's weights, and ``fit`` trains them wherever the loss depends on them.
keras.io's knowledge distillation holds a ``teacher`` that its ``call()`` never runs; only its
``compute_loss`` does (``self.teacher(x, training=False)``), and the distillation loss
``KL(softmax(teacher / T) || softmax(student / T))`` depends on the teacher's predictions, so
Keras moves the teacher too (freeze it, ``teacher.trainable = False``, to keep it).

glassnet's backward pass runs the graph ``call()`` was traced into, which leaves such layers
out. So, after it, each training step:

* zeroes their gradients (nothing of the step has reached them yet);
* adds the gradients of every call ``compute_loss`` made of a layer the model holds (each ran
  on a twin, :meth:`Layer.copy_for_another_call`): the teacher's, and a second call of a layer
  of the graph too (a weight used twice gets both contributions);
* leaves the weights the loss doesn't depend on as they are. Keras's gradient for them is
  None, and its optimizer skips them with a warning: no step, no weight decay. glassnet's
  optimizer moves one flat array, so their values are put back after the step.
"""

import warnings


class HeldOutsideGraph:
    """The trainable weights of ``model`` (its :class:`FlatParameters` ``parameters``) that
    belong to layers outside its graph; :meth:`gather` and :meth:`keep_unreached` act on them."""

    def __init__(self, model, parameters):
        self.parameters = parameters
        graph = {id(inner) for layer in model.sublayers for inner in layer.walk()}
        self.entries = [(path, layer, key) for path, layer, key in parameters.entries if id(layer) not in graph]
        self.own = {id(layer) for layer in model.walk()}       # the layers it holds, graph or not
        self.warned = False

    def gather(self, record):
        """After the graph's backward pass: the gradients of ``record``'s calls (the layers
        ``compute_loss`` ran, or None) added in; returns the entries no gradient reached."""
        for _, layer, key in self.entries:
            layer.grads[key][...] = 0
        reached = set()
        for layer, twin in record.twins if record is not None else ():
            if id(layer) in self.own:
                layer.add_twin_gradients(twin)
                if id(layer) in record.reached:
                    reached.update(id(inner) for inner in layer.walk())
        return [entry for entry in self.entries if id(entry[1]) not in reached]

    def keep_unreached(self, model, unreached):
        """``[(array, copy), ...]`` to write back after the step, warning once as Keras does."""
        if unreached and not self.warned:
            self.warned = True
            warnings.warn(f"Gradients do not exist for variables {[path for path, _, _ in unreached]} when "
                          f"minimizing the loss (model '{model.name}' holds their layers, but its loss doesn't "
                          f"depend on them). If using `model.compile()`, did you forget to provide a `loss` "
                          f"argument?", stacklevel=6)
        return [(layer.params[key], layer.params[key].copy()) for _, layer, key in unreached]
