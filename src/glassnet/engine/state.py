"""What a model says about itself, and how it is saved (a mixin of :class:`Model`).

A saved model is more than its weights: how it was compiled, where its optimizer stands
(Adam's running averages, the step count that schedules read), how many epochs it has
trained, its training log and its random generator's state, so that a resumed run
continues bit for bit. The model gives that account itself, in plain data; the file
formats (:mod:`glassnet.engine.saving`, :mod:`glassnet.interop.keras_file`) only write and
check what it says, and never reach into its private parts.
"""

import numpy as np

from glassnet.engine.training_log import TrainingLog


class ModelState:
    """The model's account of its own state, and ``save``/``load_weights``/``export``."""

    def get_compile_config(self):
        """How the model was compiled, as JSON-friendly data (None if it wasn't), as Keras 3's
        ``get_compile_config``; :meth:`compile_from_config` reverses it."""
        if self.optimizer is None:
            return None

        from glassnet.engine.metrics import serialize

        def describe(obj):
            return {"class_name": type(obj).__name__, "config": obj.get_config()}

        return {"optimizer": describe(self.optimizer),
                "loss": None if self.loss is None else describe(self.loss),
                "metrics": [serialize(m) for m in self.compiled_metrics],
                "weighted_metrics": [serialize(m) for m in self.weighted_metrics]}

    def weight_layout(self):
        """``[(path, shape), ...]`` of the weights the optimizer moves, in the order its state
        follows (packing them first if needed)."""
        if self._parameters is None or not self._parameters.is_current(self.tracked_layers()):
            self._prepare_training()
        return list(self._parameters.layout)

    def get_optimizer_state(self):
        """The optimizer's state, each slot cut per weight: ``{slot: {path: array}}``."""
        if self.optimizer is None or self._parameters is None:
            return {}
        return self.optimizer.get_state(self._parameters.layout)

    def set_optimizer_state(self, state):
        """Load ``{slot: {path: array}}`` (shapes already checked against :meth:`weight_layout`)."""
        layout = self.weight_layout()
        with np.errstate(over="ignore", invalid="ignore"):   # checked just below
            self.optimizer.set_state(state, layout, self._parameters.weights)
        for slot, arrays in self.optimizer.slots.items():
            for (path, _), array in zip(layout, arrays):
                if not np.isfinite(array).all():
                    raise ValueError(f"the optimizer's {slot!r} of weight {path} holds NaN or infinite "
                                     f"values")

    def get_training_state(self):
        """Where training stands, beyond the weights: the epoch count, the training log, the
        settings the report reads and the random generator's state (so a resumed run
        continues bit for bit)."""
        state = {"epoch": self.epoch, "training_log": self.training_log.get_config(),
                 "settings": self.settings, "rng_state": self.rng.bit_generator.state}
        own = self._layer_generators()
        if own:   # layers given a seed= of their own (Dropout, RandomRotation...): theirs too
            state["layer_rng_states"] = {str(i): g.bit_generator.state for i, g in own.items()}
        return state

    def set_training_state(self, state):
        """Restore :meth:`get_training_state`'s dict (its fields already checked)."""
        self.epoch = state["epoch"]
        self.training_log = TrainingLog.from_config(state["training_log"])
        self.settings = state["settings"]
        if state.get("rng_state") is not None:
            self.rng.bit_generator.state = state["rng_state"]
        own = self._layer_generators()
        for key, saved in (state.get("layer_rng_states") or {}).items():
            if not (isinstance(key, str) and key.isdigit() and int(key) in own):
                raise ValueError(f"a layer generator's state names layer {key!r}, which has no generator")
            own[int(key)].bit_generator.state = saved

    def _layer_generators(self):
        """``{position in walk(): generator}`` of the layers that draw from one of their own."""
        return {i: layer.generator for i, layer in enumerate(self.walk()) if layer.generator is not None}

    # -- saving ----------------------------------------------------------------------------
    def to_json(self, **kwargs):
        """The architecture as JSON text (no weights), for ``model_from_json``: in Keras 3's
        form, which Keras reads too, or, for a model Keras can't express (a layer of your own
        with ``forward`` and ``backward``) or one not built yet, in glassnet's own form.
        ``kwargs`` go to ``json.dumps`` (e.g. ``indent=2``)."""
        import json

        from glassnet.engine.model import layer_class_name
        from glassnet.interop.keras_file import model_to_json
        keras_form = model_to_json(self, **kwargs) if self.built else None
        if keras_form is not None:
            return keras_form
        return json.dumps({"class_name": layer_class_name(self), "config": self.get_config()}, **kwargs)

    def save(self, filepath, overwrite=True, **kwargs):
        """Write the whole model (architecture, weights, optimizer state, training log) to one
        file, atomically; see :mod:`glassnet.engine.saving` for the formats."""
        from glassnet.engine.saving import save_model
        if self.steps_only:                 # no architecture of its own to write
            self._refuse_call("save it whole")
        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights alone (``.weights.h5`` as Keras names it, or ``.npz``)."""
        from glassnet.engine.saving import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Read weights written by :meth:`save_weights` (or a whole saved model) into this model."""
        from glassnet.engine.saving import load_weights
        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def export(self, filepath, format=None, verbose=None, input_signature=None, **kwargs):
        """Write the model for serving elsewhere: ``format="onnx"`` (Keras 3's spelling), a
        graph ONNX Runtime runs on a server or in a browser (glassnet/interop/onnx_export.py)."""
        from glassnet.interop.onnx_export import export
        return export(self, filepath, format=format, verbose=verbose, input_signature=input_signature,
                      **kwargs)

