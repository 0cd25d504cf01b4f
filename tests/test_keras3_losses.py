"""Keras 3's Dice, Tversky, CategoricalHinge, Circle and CategoricalGeneralizedCrossEntropy:
values by hand, Keras's own values (where Keras is installed), names, configs, training with
them and the .keras files. Their gradients are in the gradcheck catalogue (test_gradcheck)."""

import os

import numpy as np
import pytest

import glassnet
from glassnet import losses
from glassnet.engine.layers import Dense, Input
from glassnet.engine.model import Sequential

RNG = np.random.default_rng(0)
MASKS = (RNG.uniform(size=(4, 3, 2)) > 0.5).astype(np.float32)
SOFT = RNG.uniform(size=(4, 3, 2)).astype(np.float32)
WEIGHTS = np.array([1, 2, 0.5, 0.3], np.float32)


def test_dice_and_tversky_by_hand():
    y, p = np.array([[1.0, 0.0, 1.0]]), np.array([[0.5, 0.5, 1.0]])
    # intersection 1.5, sum(y) + sum(p) = 4: 1 - 3/4
    assert float(losses.Dice()(y, p)) == pytest.approx(0.25, rel=1e-6)
    # FP = sum((1-p) y) = 0.5, FN = sum(p (1-y)) = 0.5: 1 - 1.5 / (1.5 + 0.2*0.5 + 0.8*0.5)
    assert float(losses.Tversky(0.2, 0.8)(y, p)) == pytest.approx(1 - 1.5 / 2.0, rel=1e-6)
    # axis=None is one value for the batch; sample weights scale it by their mean, as in Keras
    assert float(losses.Dice()(MASKS, SOFT, sample_weight=WEIGHTS)) == \
        pytest.approx(float(losses.Dice()(MASKS, SOFT)) * WEIGHTS.mean(), rel=1e-6)
    assert losses.dice(MASKS, SOFT, axis=(1, 2)).shape == (4,)


def test_categorical_hinge_and_generalized_cross_entropy_by_hand():
    y, p = np.array([[0, 1, 0], [1, 0, 0]]), np.array([[0.2, 0.5, 0.9], [3.0, 0.0, 0.0]])
    np.testing.assert_allclose(losses.categorical_hinge(y, p), [max(0.9 - 0.5 + 1, 0), 0.0], rtol=1e-6)
    probs = np.array([[0.25, 0.75], [0.64, 0.36]])
    np.testing.assert_allclose(losses.categorical_generalized_cross_entropy([1, 0], probs, 0.5),
                               [(1 - 0.75 ** 0.5) / 0.5, (1 - 0.8) / 0.5], rtol=1e-6)
    with pytest.raises(ValueError, match=r"q must be in \(0, 1\)"):
        losses.CategoricalGeneralizedCrossEntropy(q=1.0)


def test_circle_counts_only_samples_that_have_a_loss():
    e = RNG.normal(size=(5, 3))
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    classes = np.array([0, 0, 1, 1, 2])                        # the last sample is alone
    values = np.asarray(losses.circle(classes, e, gamma=5.0))
    assert values[-1] == 0 and (values[:-1] > 0).all()
    assert float(losses.Circle(gamma=5.0)(classes, e)) == pytest.approx(values[:-1].mean(), rel=1e-5)
    with pytest.raises(ValueError, match="ref_labels and ref_embeddings are not supported"):
        losses.circle(classes, e, ref_labels=classes)


def test_names_functions_and_configs():
    for name, cls in (("dice", losses.Dice), ("tversky", losses.Tversky), ("circle", losses.Circle),
                      ("categorical_hinge", losses.CategoricalHinge),
                      ("categorical_generalized_cross_entropy", losses.CategoricalGeneralizedCrossEntropy)):
        assert type(losses.get(name)) is cls and cls().name == name
        loss = losses.get(getattr(losses, name))
        assert type(loss) is cls
    tversky = losses.Tversky(0.3, 0.7, axis=(1, 2), name="t")
    again = losses.deserialize(losses.serialize(tversky))
    assert again.get_config() == tversky.get_config()


def test_a_segmentation_model_trains_with_dice_and_travels_in_keras_files(tmp_path):
    x = RNG.normal(size=(64, 6)).astype(np.float32)
    y = (x[:, :3] > 0).astype(np.float32)
    model = Sequential([Input((6,)), Dense(3, activation="sigmoid")], seed=0)
    model.compile(glassnet.optimizers.Adam(0.05), losses.Tversky(0.4, 0.6, axis=-1))
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.8 * history[0]
    model.save(tmp_path / "m.keras")
    again = glassnet.load_model(tmp_path / "m.keras")
    assert type(again.loss) is losses.Tversky and (again.loss.alpha, again.loss.axis) == (0.4, -1)
    from glassnet.interop.keras_compile import _loss_from_keras
    assert _loss_from_keras({"module": "keras.losses", "class_name": "Dice",
                             "config": {"name": "dice", "reduction": "sum_over_batch_size", "axis": None}}) == \
        {"class_name": "Dice", "config": {"axis": None}}


def _keras_cases(K):
    z = RNG.normal(size=(6, 4)).astype(np.float32)
    labels = np.array([0, 3, 1, 1, 2, 3])
    onehot = np.eye(4, dtype=np.float32)[labels]
    probs = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    e = RNG.normal(size=(8, 5)).astype(np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    classes = np.array([0, 0, 1, 1, 2, 2, 2, 3])
    return [
        (losses.Dice(), K.Dice(), MASKS, SOFT),
        (losses.Dice(axis=(1, 2)), K.Dice(axis=(1, 2)), MASKS, SOFT),
        (losses.Dice(reduction="sum"), K.Dice(reduction="sum"), MASKS, SOFT),
        (losses.Tversky(0.3, 0.7), K.Tversky(0.3, 0.7), MASKS, SOFT),
        (losses.Tversky(axis=(1, 2), reduction="mean_with_sample_weight"),
         K.Tversky(axis=(1, 2), reduction="mean_with_sample_weight"), MASKS, SOFT),
        (losses.CategoricalHinge(), K.CategoricalHinge(), onehot, z),
        (losses.CategoricalGeneralizedCrossEntropy(0.2), K.CategoricalGeneralizedCrossEntropy(0.2), labels, probs),
        (losses.Circle(), K.Circle(), classes, e),
        (losses.Circle(gamma=5.0, margin=0.25, remove_diagonal=False), K.Circle(gamma=5.0, margin=0.25,
                                                                                remove_diagonal=False), classes, e),
    ]


def test_the_same_values_and_configs_as_keras():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    for ours, theirs, y, p in _keras_cases(keras.losses):
        n = len(p)
        for w in (None, RNG.uniform(0.1, 2, n).astype(np.float32)):
            assert float(ours(y, p, sample_weight=w)) == pytest.approx(float(theirs(y, p, sample_weight=w)),
                                                                       rel=2e-5), type(ours).__name__
        assert ours.get_config() == theirs.get_config()
    K = keras.losses
    np.testing.assert_allclose(losses.dice(MASKS, SOFT, axis=(1, 2)), K.dice(MASKS, SOFT, axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(losses.tversky(MASKS, SOFT, 0.2, 0.8, axis=-1), K.tversky(MASKS, SOFT, 0.2, 0.8, axis=-1),
                               rtol=1e-5)
    e = RNG.normal(size=(6, 3)).astype(np.float32)
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    np.testing.assert_allclose(losses.circle([0, 1, 0, 1, 2, 2], e, gamma=7),
                               K.circle(np.array([0, 1, 0, 1, 2, 2]), e, gamma=7), rtol=1e-5)
