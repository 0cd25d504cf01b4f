"""Losses: hand-worked values, gradients, the fused softmax + cross-entropy, label formats."""

import numpy as np
import pytest

from glassnet.errors import ShapeError
from glassnet.gradcheck import check_layer, check_loss, numerical_gradient, relative_error
from glassnet.layers import Softmax
from glassnet.losses import (CategoricalCrossentropy, MeanSquaredError,
                             SparseCategoricalCrossentropy, get, log_softmax)

rng = np.random.default_rng(0)
LOGITS = rng.standard_normal((6, 4)) * 3
LABELS = np.array([0, 3, 1, 1, 2, 3])
ONE_HOT = np.eye(4)[LABELS]
PROBS = np.exp(log_softmax(LOGITS))


def test_cross_entropy_hand_worked_value():
    # p = softmax([0, ln 3]) = [1/4, 3/4]; the true class is 1: loss = -ln(3/4)
    z = np.array([[0.0, np.log(3.0)]])
    assert CategoricalCrossentropy(from_logits=True)(np.array([1]), z) == pytest.approx(-np.log(0.75))
    assert CategoricalCrossentropy()(np.array([1]), np.array([[0.25, 0.75]])) == pytest.approx(-np.log(0.75))


@pytest.mark.parametrize("labels", [LABELS, ONE_HOT], ids=["integer", "one-hot"])
@pytest.mark.parametrize("cls", [CategoricalCrossentropy, SparseCategoricalCrossentropy])
def test_cross_entropy_gradients(cls, labels):
    assert check_loss(cls(from_logits=True), LOGITS, labels).passed      # fused: dL/dz
    assert check_loss(cls(), PROBS, labels).passed                       # on probabilities


def test_fused_gradient_is_p_minus_y_over_n():
    loss = CategoricalCrossentropy(from_logits=True)
    loss.forward(LABELS, LOGITS)
    np.testing.assert_allclose(loss.backward(), (PROBS - ONE_HOT) / len(LABELS), rtol=1e-12)


def test_fused_equals_softmax_then_cross_entropy():
    """The chain softmax -> CE, differentiated numerically, gives the fused gradient."""
    softmax, loss = Softmax(), CategoricalCrossentropy()
    z = LOGITS.copy()

    def f():
        return loss.forward(LABELS, softmax.forward(z))

    numeric = numerical_gradient(f, z)
    f()
    chained = softmax.backward(loss.backward())
    fused = CategoricalCrossentropy(from_logits=True)
    fused.forward(LABELS, LOGITS)
    assert relative_error(chained, numeric) < 1e-6
    assert relative_error(fused.backward(), numeric) < 1e-6
    assert check_layer(Softmax(), (4,)).passed


def test_integer_and_one_hot_labels_agree():
    for from_logits, pred in ((True, LOGITS), (False, PROBS)):
        a, b = CategoricalCrossentropy(from_logits), CategoricalCrossentropy(from_logits)
        assert a.forward(LABELS, pred) == pytest.approx(b.forward(ONE_HOT, pred))
        np.testing.assert_allclose(a.backward(), b.backward())


def test_extreme_logits_give_no_nan_or_inf():
    z = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], np.float32)
    loss = CategoricalCrossentropy(from_logits=True)
    value = loss.forward(np.array([1, 1]), z)
    grad = loss.backward()
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert value == pytest.approx(1e4, rel=1e-6)  # the first sample is 20,000 logits wrong / 2


def test_probabilities_are_clipped_not_logged_at_zero():
    value = CategoricalCrossentropy()(np.array([0]), np.array([[0.0, 1.0]]))
    assert value == pytest.approx(-np.log(1e-7))


def test_mean_squared_error():
    y_pred = np.array([[0.5, 0.5], [1.0, 0.0]])
    loss = MeanSquaredError()
    assert loss.forward(np.array([0, 0]), y_pred) == pytest.approx((0.25 + 0.25 + 0 + 0) / 4)
    assert check_loss(MeanSquaredError(), PROBS, LABELS).passed
    assert check_loss(MeanSquaredError(), PROBS, ONE_HOT).passed


def test_bad_labels_are_clear_errors():
    with pytest.raises(ShapeError, match=r"labels must be in 0..3 for 4 outputs, got 0..7"):
        CategoricalCrossentropy(True)(np.array([0, 7, 1, 1, 2, 3]), LOGITS)
    with pytest.raises(ShapeError, match="5 labels for 6 predictions"):
        CategoricalCrossentropy(True)(LABELS[:5], LOGITS)
    with pytest.raises(ValueError, match="unknown loss 'hingey'"):
        get("hingey")


def test_binary_cross_entropy_refuses_labels_outside_0_1():
    """Digit labels 0..9 with one sigmoid output gave a loss (negative, meaningless) and trained on."""
    from glassnet import Input, Sequential
    from glassnet.layers import Dense
    from glassnet.losses import BinaryCrossentropy

    p = np.full((4, 1), 0.5, np.float32)
    assert float(BinaryCrossentropy()(np.array([0, 1, 0.25, 1]), p)) == pytest.approx(np.log(2), rel=1e-6)
    with pytest.raises(ShapeError, match=r"labels must be 0/1 or probabilities in \[0, 1\], got 0..9; .*sparse_cat"):
        BinaryCrossentropy(from_logits=True)(np.array([0, 3, 9, 1]), p)
    model = Sequential([Input((2,)), Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    with pytest.raises(ShapeError, match=r"got -1..1"):
        model.fit(np.ones((4, 2)), np.array([-1, 1, 1, -1]), verbose=0)


def test_binary_cross_entropy_takes_noisy_labels_a_little_past_1():
    """keras.io's GAN loop adds ``0.05 * uniform`` noise to its 0/1 labels (up to 1.05):
    Keras computes the loss's formula on them, ``max(z, 0) - z y + log(1 + exp(-|z|))``."""
    from glassnet.losses import BinaryCrossentropy

    y = np.array([[1.03], [0.02], [1.049], [0.0]])
    z = np.array([[0.5], [-1.0], [2.0], [0.3]])
    expected = np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))))
    assert float(BinaryCrossentropy(from_logits=True)(y, z)) == pytest.approx(expected, rel=1e-6)
