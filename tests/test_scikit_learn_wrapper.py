"""Keras 2's keras.wrappers.scikit_learn: KerasClassifier and KerasRegressor, as the Keras 2
tutorials cross-validate and grid-search a network (scikit-learn itself only where installed)."""

import warnings

import numpy as np
import pytest

import glassnet
from glassnet.keras import layers, models
from glassnet.wrappers.scikit_learn import KerasClassifier, KerasRegressor

RNG = np.random.default_rng(7)
X = RNG.normal(size=(120, 6)).astype("float32")
LABELS = np.where(X[:, :2].sum(axis=1) > 0, "M", "R")


def create_baseline(optimizer="adam", units=8):
    model = models.Sequential([layers.Input((6,)), layers.Dense(units, activation="relu"),
                               layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=optimizer, metrics=["accuracy"])
    return model


def test_a_classifier_names_its_classes_and_scores_by_accuracy():
    glassnet.utils.set_random_seed(0)
    classifier = KerasClassifier(build_fn=create_baseline, units=16, epochs=60, batch_size=16, verbose=0)
    classifier.fit(X, LABELS)
    assert classifier.classes_.tolist() == ["M", "R"] and classifier.n_classes_ == 2
    assert classifier.predict(X[:5]).shape == (5, 1) and set(classifier.predict(X).ravel()) <= {"M", "R"}
    probabilities = classifier.predict_proba(X[:5])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-6)
    accuracy = classifier.score(X, LABELS)
    assert accuracy == pytest.approx(np.mean(classifier.predict(X).ravel() == LABELS)) and accuracy > 0.85


def test_sk_params_go_where_they_are_named_and_a_stranger_is_refused():
    classifier = KerasClassifier(build_fn=create_baseline, units=3, epochs=1, verbose=0)
    assert classifier.get_params() == {"units": 3, "epochs": 1, "verbose": 0, "build_fn": create_baseline}
    classifier.set_params(optimizer="sgd").fit(X, LABELS)
    assert classifier.model.layers[0].units == 3 and type(classifier.model.optimizer).__name__ == "SGD"
    with pytest.raises(ValueError, match="epochz is not an argument of build_fn, fit, predict or evaluate"):
        KerasClassifier(build_fn=create_baseline, epochz=3)


def test_a_regressor_predicts_flat_and_scores_minus_its_loss():
    def baseline():
        model = models.Sequential([layers.Input((6,)), layers.Dense(1)])
        model.compile(loss="mean_squared_error", optimizer="adam")
        return model
    regressor = KerasRegressor(build_fn=baseline, epochs=2, verbose=0)
    regressor.fit(X, X[:, 0])
    assert regressor.predict(X[:4]).shape == (4,)
    assert regressor.score(X, X[:, 0]) == pytest.approx(-regressor.model.evaluate(X, X[:, 0], verbose=0))


def test_scikit_learn_cross_validates_and_searches_it():
    pytest.importorskip("sklearn")
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score

    estimator = KerasClassifier(build_fn=create_baseline, epochs=5, batch_size=16, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = cross_val_score(estimator, X, LABELS, cv=StratifiedKFold(n_splits=3, shuffle=True, random_state=0))
        grid = GridSearchCV(estimator, param_grid={"optimizer": ["adam", "rmsprop"]}, cv=2).fit(X, LABELS)
    assert results.shape == (3,) and 0 <= results.min() <= results.max() <= 1
    assert grid.best_params_["optimizer"] in ("adam", "rmsprop")
