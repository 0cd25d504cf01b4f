"""FeatureSpace: a table's columns, each declared once, turned into one vector of numbers per row.

Keras 3's ``keras.utils.FeatureSpace``, as keras.io's "Structured data classification with
FeatureSpace" uses it::

    feature_space = FeatureSpace(
        features={"sex": "integer_categorical", "thal": "string_categorical",
                  "age": FeatureSpace.float_discretized(num_bins=30), "chol": "float_normalized"},
        crosses=[FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64)],
        output_mode="concat")
    feature_space.adapt(dataset_of_dicts)      # vocabularies, means, bin boundaries
    x = feature_space(batch_dict)              # (N, width) float32

Each column goes through the preprocessing layer its kind names, then (for a category) a
multi-hot row as wide as the layer's output space::

    float              identity                       1 column
    float_rescaled     Rescaling(scale, offset)       1 column
    float_normalized   Normalization (adapted)        1 column:  (x - mean) / std
    float_discretized  Discretization (adapted)       num_bins columns
    integer_categorical, string_categorical
                       IntegerLookup / StringLookup   vocabulary_size columns (OOV index first)
    integer_hashed, string_hashed
                       Hashing(num_bins)              num_bins columns
    cross (a, b)       HashedCrossing of a's and b's  crossing_dim columns
                       *preprocessed* values (lookup indices, bins)

In ``"concat"`` mode the columns come in the features' names' alphabetical order, then the
crosses' (``"sex_X_age"``), whatever order they were declared in (Keras's order); ``"dict"``
mode gives each encoded feature under its own name. A single row (a dict of scalars) gives one
vector ``(width,)``.

``get_inputs()`` is a dict of ``Input(shape=(1,))`` (dtype int32, float32 or string) and
``get_encoded_features()`` the same layers called on them, so a model can start from raw
columns: ``Model(feature_space.get_inputs(), head(feature_space.get_encoded_features()))``.

``feature_space.save("fs.keras")`` writes the adapted FeatureSpace as Keras 3 does, and
``keras.saving.load_model("fs.keras")`` reads it back (Keras's files too): see
:mod:`glassnet.interop.keras_feature_space`.
"""

import numpy as np

from glassnet.engine import layers
from glassnet.engine.layers.hashed_crossing import HashedCrossing

_KINDS = ("float", "float_rescaled", "float_normalized", "float_discretized", "integer_categorical",
          "string_categorical", "integer_hashed", "string_hashed")
_counts = {}


def _auto_name(kind):
    """``kind``, then ``kind_1``, ``kind_2``...: Keras's names for features made without one."""
    seen = _counts.get(kind, 0)
    _counts[kind] = seen + 1
    return kind if seen == 0 else f"{kind}_{seen}"


class Cross:
    """Features crossed together (``FeatureSpace.cross``): hashed into ``crossing_dim`` bins."""

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"FeatureSpace.cross: output_mode must be 'int' or 'one_hot', got {output_mode!r}")
        self.feature_names, self.crossing_dim, self.output_mode = tuple(feature_names), crossing_dim, output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class Feature:
    """One column: its dtype, its preprocessing layer and how its output is encoded."""

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in ("int", "one_hot", "float"):
            raise ValueError(f"FeatureSpace feature: output_mode must be 'int', 'one_hot' or 'float', "
                             f"got {output_mode!r}")
        if isinstance(preprocessor, dict):
            from glassnet.engine.layers import deserialize
            preprocessor = deserialize(preprocessor)
        self.dtype, self.preprocessor, self.output_mode = dtype, preprocessor, output_mode

    def get_config(self):
        from glassnet.engine.layers import serialize
        return {"dtype": self.dtype, "preprocessor": serialize(self.preprocessor), "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class FeatureSpace:
    """Declared columns, adapted once, encoded into one vector per row (see the module docstring).

    Args:
        features: ``{name: kind}``, a kind being a string (``"float_normalized"``...) or a
            ``FeatureSpace.<kind>(...)`` feature.
        output_mode: ``"concat"`` (one float32 vector per row) or ``"dict"``.
        crosses: ``FeatureSpace.cross(...)`` objects, or tuples of names (crossed into ``crossing_dim`` bins).
        crossing_dim, hashing_dim, num_discretization_bins: the sizes the string kinds use.
    """

    # -- the kinds of feature ------------------------------------------------------------------
    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        name = name or _auto_name("float")
        return Feature("float32", layers.Identity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        name = name or _auto_name("float_rescaled")
        return Feature("float32", layers.Rescaling(scale, offset, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_normalized(cls, name=None):
        name = name or _auto_name("float_normalized")
        return Feature("float32", layers.Normalization(axis=-1, name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        name = name or _auto_name("float_discretized")
        layer = layers.Discretization(bin_boundaries=bin_boundaries, num_bins=None if bin_boundaries else num_bins,
                                      name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        name = name or _auto_name("integer_categorical")
        layer = layers.IntegerLookup(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                                     name=f"{name}_preprocessor")
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot", name=None):
        name = name or _auto_name("string_categorical")
        layer = layers.StringLookup(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                                    name=f"{name}_preprocessor")
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or _auto_name("string_hashed")
        return Feature("string", layers.Hashing(num_bins, name=f"{name}_preprocessor"), output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        name = name or _auto_name("integer_hashed")
        return Feature("int32", layers.Hashing(num_bins, name=f"{name}_preprocessor"), output_mode)

    # -- construction ------------------------------------------------------------------------
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32, hashing_dim=32,
                 num_discretization_bins=32, name=None):
        if not features:
            raise ValueError("FeatureSpace: the features argument can't be None or empty")
        if output_mode not in ("dict", "concat"):
            raise ValueError(f"FeatureSpace: output_mode must be 'dict' or 'concat', got {output_mode!r}")
        self.name = name or "feature_space"
        self.output_mode, self.crossing_dim = output_mode, crossing_dim
        self.hashing_dim, self.num_discretization_bins = hashing_dim, num_discretization_bins
        self.features = {key: self._standardize_feature(key, value) for key, value in features.items()}
        self.crosses = [self._standardize_cross(cross) for cross in crosses or []]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self.preprocessors = {key: feature.preprocessor for key, feature in self.features.items()}
        self.crossers = {cross.name: HashedCrossing(cross.crossing_dim, name=cross.name) for cross in self.crosses}
        self.inputs = {key: layers.Input(shape=(1,), dtype=feature.dtype, name=key)
                       for key, feature in self.features.items()}
        self.one_hot_encoders = {}
        self.concat = layers.Concatenate(axis=-1) if output_mode == "concat" else None
        self.encoded_features = None
        self._is_adapted = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return Feature.from_config(feature.get("config", feature))
        if feature not in _KINDS:
            raise ValueError(f"FeatureSpace: invalid feature type {feature!r} for {name!r}; "
                             f"expected one of {', '.join(_KINDS)}")
        sizes = {"float_discretized": {"num_bins": self.num_discretization_bins},
                 "integer_hashed": {"num_bins": self.hashing_dim}, "string_hashed": {"num_bins": self.hashing_dim}}
        return getattr(self, feature)(name=name, **sizes.get(feature, {}))

    def _standardize_cross(self, cross):
        if isinstance(cross, dict):
            cross = Cross.from_config(cross.get("config", cross))
        if not isinstance(cross, Cross):
            if not self.crossing_dim:
                raise ValueError("FeatureSpace: crosses need crossing_dim (the size of the crossing space)")
            cross = Cross(cross, crossing_dim=self.crossing_dim)
        unknown = [key for key in cross.feature_names if key not in self.features]
        if unknown:
            raise ValueError(f"FeatureSpace: the cross {cross.feature_names} names features that aren't in "
                             f"features: {unknown}")
        return cross

    # -- adapt ---------------------------------------------------------------------------------
    def _adaptable(self):
        """The features whose layers learn from data (not a given vocabulary, mean or boundaries)."""
        names = []
        for name, layer in self.preprocessors.items():
            if isinstance(layer, layers.Normalization) and layer.given is not None:
                continue
            if isinstance(layer, layers.Discretization) and layer.num_bins is None:
                continue
            if getattr(layer, "has_input_vocabulary", False):
                continue
            if hasattr(layer, "adapt"):
                names.append(name)
        return names

    def adapt(self, dataset):
        """Learn every adaptable layer's state from ``dataset``: a ``tf.data.Dataset`` of dicts
        (batched or one row at a time), or a dict of columns (arrays or lists)."""
        names = self._adaptable()
        column_batches = {name: [] for name in names}
        for batch in feature_batches(dataset):
            for name in names:
                column_batches[name].append(_column(batch, name))
        for name in names:
            layer, batches = self.preprocessors[name], column_batches[name]
            if not batches:
                raise ValueError("FeatureSpace.adapt: the dataset is empty")
            # Normalization adapts on one array; the others batch by batch, as Keras does
            layer.adapt(np.concatenate(batches) if isinstance(layer, layers.Normalization) else iter(batches))
        self._is_adapted = True
        self.get_encoded_features()

    def _check_if_adapted(self):
        if not self._is_adapted and self._adaptable():
            raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace before you can start using it.")
        self._is_adapted = True

    # -- the graph: raw columns -> encoded features -------------------------------------------------
    def get_inputs(self):
        """``{name: Input(shape=(1,))}``: the raw columns as a model's inputs."""
        self.get_encoded_features()
        return self.inputs

    def get_encoded_features(self):
        """The encoded features computed from :meth:`get_inputs` (one placeholder, or a dict)."""
        self._check_if_adapted()
        if self.encoded_features is None:
            self.encoded_features = self._encode(self.inputs)
        return self.encoded_features

    def _encode(self, columns):
        """Preprocess, cross, one-hot and merge ``columns`` (placeholders or arrays, ``(N, 1)`` each)."""
        preprocessed = {name: self.preprocessors[name](columns[name]) for name in self.features}
        crossed = {cross.name: self.crossers[cross.name]([preprocessed[key] for key in cross.feature_names])
                   for cross in self.crosses}
        specs = {**self.features, **self.crosses_by_name}
        encoded = {}
        for name, value in [*sorted(preprocessed.items()), *sorted(crossed.items())]:
            if specs[name].output_mode == "one_hot":
                value = self._one_hot_encoder(name)(value)
            elif self.output_mode == "concat" and specs[name].output_mode == "int":
                raise ValueError(f"FeatureSpace: can't concatenate feature {name!r}: it is not encoded "
                                 f"(output_mode='int'); use output_mode='dict'")
            encoded[name] = value
        if self.output_mode == "dict":
            return encoded
        values = list(encoded.values())
        return values[0] if len(values) == 1 else self.concat(values)     # (one feature: itself)

    def _one_hot_encoder(self, name):
        """The CategoryEncoding as wide as ``name``'s layer's output space (made once)."""
        if name not in self.one_hot_encoders:
            layer = self.preprocessors.get(name) or self.crossers[name]
            if isinstance(layer, (layers.IntegerLookup, layers.StringLookup)):
                width = layer.vocabulary_size()
            elif isinstance(layer, layers.Discretization):
                width = layer.num_bins or len(layer.bin_boundaries) + 1
            elif isinstance(layer, (layers.Hashing, HashedCrossing)):
                width = layer.num_bins
            elif isinstance(layer, layers.CategoryEncoding):
                width = layer.num_tokens
            else:
                raise ValueError(f"FeatureSpace: feature {name!r} has output_mode='one_hot', but its layer's "
                                 f"output space isn't known, so it can't be one-hot encoded; use output_mode='int'")
            self.one_hot_encoders[name] = layers.CategoryEncoding(num_tokens=width, output_mode="multi_hot")
        return self.one_hot_encoders[name]

    # -- running on data ---------------------------------------------------------------------------
    def __call__(self, data):
        """Encode ``data``: a dict of columns (a batch, ``(N,)`` or ``(N, 1)`` each) or of
        single values (one row). Returns ``(N, width)`` float32 (``(width,)`` for one row) in
        ``"concat"`` mode, else a dict of the encoded features."""
        self.get_encoded_features()
        if not isinstance(data, dict):
            raise ValueError(f"A FeatureSpace can only be called with a dict, got {type(data).__name__}")
        missing = [name for name in self.features if name not in data]
        if missing:
            raise ValueError(f"FeatureSpace: the data has no column {missing[0]!r} (it has {sorted(data)})")
        columns = {name: self._as_column(name, data[name]) for name in self.features}
        one_row = all(np.ndim(data[name]) == 0 for name in self.features)
        encoded = self._encode(columns)
        if not one_row:
            return encoded
        if self.output_mode == "concat":
            return encoded[0]
        return {name: value[0] if np.ndim(value) == 2 and np.shape(value)[0] == 1 else value
                for name, value in encoded.items()}

    def _as_column(self, name, value):
        """One column as an ``(N, 1)`` array of its feature's dtype (strings as str)."""
        value = np.asarray(value)
        value = value.reshape(1, 1) if value.ndim == 0 else value[:, None] if value.ndim == 1 else value
        dtype = self.features[name].dtype
        if dtype == "string":
            return value if value.dtype.kind == "U" else np.char.decode(value.astype(bytes)) \
                if value.dtype.kind == "S" else value.astype(str)
        return value.astype(np.int64 if dtype.startswith("int") else dtype)

    # -- saving --------------------------------------------------------------------------------
    def get_config(self):
        return {"features": {name: {"module": "keras.src.layers.preprocessing.feature_space", "class_name": "Feature",
                                    "config": feature.get_config(), "registered_name": "Feature"}
                             for name, feature in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [{"module": "keras.src.layers.preprocessing.feature_space", "class_name": "Cross",
                             "config": cross.get_config(), "registered_name": "Cross"} for cross in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def save(self, filepath):
        """Write the adapted FeatureSpace to a ``.keras`` file, in Keras 3's layout (config,
        statistics as weights, vocabularies as assets); ``keras.models.load_model(filepath)``
        (glassnet's or Keras's) gives it back adapted."""
        from glassnet.interop.keras_feature_space import save_feature_space
        save_feature_space(self, filepath)


def feature_batches(dataset):
    """``dataset`` (a ``tf.data.Dataset`` of dicts, or a dict of columns) as dicts of batches;
    rows one at a time are grouped 32 to a batch, as Keras's adapt batches them."""
    if isinstance(dataset, dict):
        yield {name: np.asarray(column) for name, column in dataset.items()}
        return
    if not hasattr(dataset, "__iter__") or isinstance(dataset, (str, list, tuple, np.ndarray)):
        raise ValueError(f"FeatureSpace.adapt: expected a tf.data.Dataset or a dict of arrays/lists, "
                         f"got {type(dataset).__name__}")
    rows = []
    for element in dataset:
        if not isinstance(element, dict):
            raise ValueError(f"FeatureSpace.adapt: the dataset must yield dicts of columns (no labels: "
                             f"dataset.map(lambda x, y: x)), got {type(element).__name__}")
        element = {name: np.asarray(value) for name, value in element.items()}
        if all(value.ndim > 0 for value in element.values()):
            yield element
            continue
        rows.append(element)
        if len(rows) == 32:
            yield _stack(rows)
            rows = []
    if rows:
        yield _stack(rows)


def _stack(rows):
    return {name: np.stack([row[name] for row in rows]) for name in rows[0]}


def _column(batch, name):
    """A feature's column of ``batch`` as ``(N, 1)`` (Keras adapts each layer on that)."""
    if name not in batch:
        raise ValueError(f"FeatureSpace.adapt: the dataset has no column {name!r} (it has {sorted(batch)})")
    column = np.asarray(batch[name])
    return column[:, None] if column.ndim == 1 else column
