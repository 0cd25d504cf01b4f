"""A model as a scikit-learn estimator, Keras 2's way (``keras.wrappers.scikit_learn``).

The Keras 2 tutorials cross-validate a network with scikit-learn::

    def create_baseline():
        model = Sequential([Dense(60, input_dim=60, activation="relu"), Dense(1, activation="sigmoid")])
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    estimator = KerasClassifier(build_fn=create_baseline, epochs=100, batch_size=5, verbose=0)
    results = cross_val_score(estimator, X, y, cv=StratifiedKFold(n_splits=10, shuffle=True))

Keras 3 moved this to the separate SciKeras package; these are Keras 2's classes, with its
rules: the keyword arguments (``sk_params``) go to whichever of ``build_fn``, ``fit``,
``predict`` and ``evaluate`` names them (so a grid search may try ``epochs``, ``batch_size``
and ``build_fn``'s own ``optimizer=``); every :meth:`fit` builds a fresh model; a classifier
numbers its classes in sorted order (``classes_``) and scores by accuracy; a regressor's score
is minus its loss. glassnet doesn't import scikit-learn: ``get_params`` and ``set_params`` are
what its cloning and searching ask of an estimator, and ``__sklearn_tags__`` what its checks
ask since version 1.6.
"""

import inspect
import sys

import numpy as np


def _arguments(function):
    """The keyword names ``function`` takes (none for ``**kwargs`` alone)."""
    return set(inspect.signature(function).parameters) - {"self"}


class _KerasEstimator:
    """What the classifier and the regressor share: the sk_params, building and fitting."""

    _estimator_type = None

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self._check(sk_params)

    def _check(self, params):
        from glassnet.engine.model import Model
        legal = _arguments(Model.fit) | _arguments(Model.predict) | _arguments(Model.evaluate)
        if self.build_fn is not None:
            legal |= _arguments(self.build_fn)
        unknown = sorted(set(params) - legal)
        if unknown:
            raise ValueError(f"{type(self).__name__}: {', '.join(unknown)} is not an argument of build_fn, "
                             f"fit, predict or evaluate")

    def __sklearn_tags__(self):
        """What scikit-learn 1.6 and later ask of an estimator (a classifier or a regressor,
        needing labels), in its own classes: only scikit-learn calls this, so it is loaded
        already, and glassnet takes them from it rather than importing it."""
        tags = sys.modules["sklearn.utils"]
        classifier = self._estimator_type == "classifier"
        return tags.Tags(estimator_type=self._estimator_type, target_tags=tags.TargetTags(required=True),
                         classifier_tags=tags.ClassifierTags() if classifier else None,
                         regressor_tags=None if classifier else tags.RegressorTags())

    def get_params(self, deep=True):
        return {**self.sk_params, "build_fn": self.build_fn}

    def set_params(self, **params):
        self._check(params)
        self.sk_params.update(params)
        return self

    def _for(self, function, given=None):
        """The sk_params ``function`` takes, then ``given`` (call-time arguments) over them."""
        names = _arguments(function)
        return {**{k: v for k, v in self.sk_params.items() if k in names}, **(given or {})}

    def _build(self):
        if self.build_fn is None:
            raise ValueError(f"{type(self).__name__}: give build_fn=, a function that returns a compiled model")
        return self.build_fn(**self._for(self.build_fn))

    def fit(self, x, y, **kwargs):
        """Build a fresh model and train it; the :class:`History` of ``fit``."""
        from glassnet.engine.model import Model
        self.model = self._build()
        return self.model.fit(x, y, **self._for(Model.fit, kwargs))

    def _predicted(self, x, kwargs):
        from glassnet.engine.model import Model
        return np.asarray(self.model.predict(x, **self._for(Model.predict, kwargs)))

    def _evaluated(self, x, y, kwargs):
        from glassnet.engine.model import Model
        return self.model.evaluate(x, y, **self._for(Model.evaluate, kwargs))


class KerasClassifier(_KerasEstimator):
    """A classifier: labels of any kind (numbered through ``classes_``) or one-hot rows."""

    _estimator_type = "classifier"

    def fit(self, x, y, **kwargs):
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        else:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        self.n_classes_ = len(self.classes_)
        return super().fit(x, y, **kwargs)

    def predict_proba(self, x, **kwargs):
        """One column per class: a single sigmoid output ``p`` becomes ``[1 - p, p]``."""
        probabilities = self._predicted(x, kwargs)
        return np.hstack([1 - probabilities, probabilities]) if probabilities.shape[1] == 1 else probabilities

    def predict(self, x, **kwargs):
        """The class of each sample, as named in ``y`` (Keras 2: a column for a sigmoid output)."""
        probabilities = self._predicted(x, kwargs)
        numbers = probabilities.argmax(axis=-1) if probabilities.shape[-1] > 1 else (probabilities > 0.5).astype(int)
        return self.classes_[numbers]

    def score(self, x, y, **kwargs):
        """The accuracy on ``(x, y)``; the model must be compiled with ``metrics=["accuracy"]``."""
        y = np.asarray(y)
        y = y if y.ndim == 2 and y.shape[1] > 1 else np.searchsorted(self.classes_, y)
        results = self._evaluated(x, y, kwargs)
        results = results if isinstance(results, list) else [results]
        for name, value in zip(self.model.metrics_names, results):
            if name in ("accuracy", "acc"):
                return value
        raise ValueError("KerasClassifier.score: the model is not configured to compute accuracy; pass "
                         "metrics=['accuracy'] to model.compile()")


class KerasRegressor(_KerasEstimator):
    """A regressor: :meth:`predict` squeezes the output, :meth:`score` is minus the loss."""

    _estimator_type = "regressor"

    def predict(self, x, **kwargs):
        return np.squeeze(self._predicted(x, kwargs))

    def score(self, x, y, **kwargs):
        loss = self._evaluated(x, y, kwargs)
        return -(loss[0] if isinstance(loss, list) else loss)
