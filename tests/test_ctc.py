"""CTC: hand-worked values, gradients, PyTorch's ctc_loss, the decoders, bad labels."""

import math

import numpy as np
import pytest

from glassnet.engine.ctc import CTCLoss, ctc_beam_decode, ctc_forward_backward, ctc_greedy_decode, ctc_log_likelihood
from glassnet.engine.losses import log_softmax
from glassnet.errors import ShapeError
from glassnet.gradcheck import check_loss

rng = np.random.default_rng(0)
LOGITS = rng.standard_normal((5, 12, 6))
LABELS = np.array([[1, 2, 2, 3], [4, -1, -1, -1], [-1, -1, -1, -1], [5, 5, 5, -1], [1, 2, 3, 4]])


def all_paths_probability(probs, label, blank=0):
    """p(label) by brute force: every path of T columns, collapsed and compared."""
    total = 0.0
    steps, classes = probs.shape
    for path in np.ndindex(*(classes,) * steps):
        keep = [k for i, k in enumerate(path) if k != blank and (i == 0 or k != path[i - 1])]
        if keep == list(label):
            total += np.prod(probs[np.arange(steps), path])
    return total


@pytest.mark.parametrize("label", [[1], [1, 2], [2, 2], [], [1, 1, 2]])
def test_loss_is_minus_log_of_the_sum_over_all_paths(label):
    logits = rng.standard_normal((1, 5, 3))
    probs = np.exp(log_softmax(logits))[0]
    padded = np.array([label + [-1] * (3 - len(label))])
    expected = -math.log(all_paths_probability(probs, label))
    assert CTCLoss().forward(padded, logits) == pytest.approx(expected, rel=1e-10)


def test_hand_worked_two_columns():
    # Two columns, label "1": paths 1-, -1, 11. With p(blank) = 0.5 and p(1) = 0.5 in both
    # columns, p = 3 * 0.25, loss = -log 0.75.
    logits = np.zeros((1, 2, 2))
    assert CTCLoss().forward(np.array([[1]]), logits) == pytest.approx(-math.log(0.75))


@pytest.mark.parametrize("label", [[1], [1, 2], [2, 2], [], [1, 1, 2]])
def test_the_forward_pass_alone_gives_the_sum_over_all_paths(label):
    logits = rng.standard_normal((1, 5, 3))
    probs = np.exp(log_softmax(logits))[0]
    padded = np.array([label + [-1] * (3 - len(label))])
    expected = math.log(all_paths_probability(probs, label))
    assert ctc_log_likelihood(log_softmax(logits), padded)[0] == pytest.approx(expected, rel=1e-10)


def test_the_forward_pass_alone_agrees_with_forward_backward_at_every_input_length():
    log_p = log_softmax(LOGITS)
    lengths = np.array([12, 9, 1, 7, 4])
    expected = -ctc_forward_backward(log_p, LABELS, input_lengths=lengths)[0]
    np.testing.assert_allclose(ctc_log_likelihood(log_p, LABELS, input_lengths=lengths), expected, rtol=1e-12)
    with pytest.raises(ShapeError, match="needs at least 5 time steps"):
        ctc_log_likelihood(log_p, LABELS, input_lengths=[4, 4, 4, 4, 4])


def test_gradient_matches_finite_differences():
    assert check_loss(CTCLoss(), LOGITS, LABELS, eps=1e-5).passed
    assert check_loss(CTCLoss(blank=5), LOGITS, np.where(LABELS == 5, 0, LABELS), eps=1e-5).passed


def test_gradient_of_each_column_sums_to_zero_and_padding_gets_none():
    loss = CTCLoss()
    loss.forward(LABELS, LOGITS, input_lengths=[12, 9, 3, 10, 8])
    grad = loss.backward()
    np.testing.assert_allclose(grad.sum(axis=2), 0, atol=1e-12)   # softmax minus a distribution
    assert not grad[1, 9:].any() and not grad[4, 8:].any()


def test_sample_weight_and_explicit_lengths():
    loss = CTCLoss()
    each = loss.per_sample(LABELS, LOGITS)
    weights = np.array([1.0, 0.0, 2.0, 1.0, 0.5])
    assert loss.forward(LABELS, LOGITS, sample_weight=weights) == pytest.approx((weights * each).sum() / 5)
    lengths = (LABELS >= 0).sum(axis=1)
    filled = np.where(LABELS < 0, 7, LABELS) % 6
    filled[filled == 0] = 1
    np.testing.assert_allclose(loss.per_sample(filled, LOGITS, label_lengths=lengths), each)


def test_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    lengths = np.array([12, 9, 3, 10, 8])
    for blank, labels in ((0, LABELS), (5, np.where(LABELS == 5, 0, LABELS))):
        logits = torch.tensor(LOGITS, requires_grad=True)
        targets = torch.tensor(np.where(labels < 0, 0, labels))
        expected = torch.nn.functional.ctc_loss(
            torch.log_softmax(logits, 2).transpose(0, 1), targets, torch.tensor(lengths),
            torch.tensor((labels >= 0).sum(axis=1)), blank=blank, reduction="none").mean()
        expected.backward()
        loss = CTCLoss(blank=blank)
        assert loss.forward(labels, LOGITS, input_lengths=lengths) == pytest.approx(expected.item(), rel=1e-10)
        np.testing.assert_allclose(loss.backward(), logits.grad.numpy(), atol=1e-12)


def test_float32_logits_give_float32_gradient():
    loss = CTCLoss()
    loss.forward(LABELS, LOGITS.astype(np.float32))
    assert loss.backward().dtype == np.float32


@pytest.mark.parametrize("labels, words", [
    (np.array([[1, 2.5]]), "whole"),
    (np.array([[1, -1, 2]]), "padding"),
    (np.array([[9]]), "class indices in 0..5"),
    (np.array([[0, 1]]), "blank"),
    (np.array([1, 2]), "(batch, max_length)"),
])
def test_bad_labels_get_a_clear_error(labels, words):
    with pytest.raises(ShapeError, match=words.replace("(", r"\(").replace(")", r"\)")):
        CTCLoss().forward(labels, LOGITS[:1])


def test_label_longer_than_the_input_is_an_error():
    with pytest.raises(ShapeError, match="needs at least 7 time steps"):
        CTCLoss().forward(np.array([[1, 1, 1, 1]]), rng.standard_normal((1, 6, 3)))
    with pytest.raises(ShapeError, match=r"\(batch, time steps, classes\)"):
        CTCLoss().forward(np.array([[1]]), rng.standard_normal((4, 3)))


def test_greedy_decode_collapses_repeats_and_drops_blanks():
    path = np.array([0, 2, 2, 0, 0, 4, 0, 4, 4, 0, 1, 0])
    logits = np.eye(5)[path][None] * 5.0
    assert ctc_greedy_decode(logits) == [[2, 4, 4, 1]]
    assert ctc_greedy_decode(logits, input_lengths=[7]) == [[2, 4]]
    assert ctc_greedy_decode(logits[..., [1, 2, 3, 4, 0]], blank=4) == [[1, 3, 3, 0]]


def test_beam_finds_the_likeliest_text_where_best_path_does_not():
    # Column probabilities (blank, "1"): the best path is "--" (0.36) but the text "1" has
    # 0.24 + 0.24 + 0.16 = 0.64.
    probs = np.array([[[0.6, 0.4], [0.6, 0.4]]])
    assert ctc_greedy_decode(probs) == [[]]
    best = ctc_beam_decode(np.log(probs), beam_width=4)[0]
    assert best[0][0] == [1] and best[0][1] == pytest.approx(math.log(0.64))
    assert best[1][0] == [] and best[1][1] == pytest.approx(math.log(0.36))


def test_beam_scores_equal_the_ctc_loss():
    # With a beam wide enough to keep every prefix (1,093 of them), the search is exact.
    log_probs = log_softmax(LOGITS[:2, :6, :4])
    for sample, beams in zip(log_probs, ctc_beam_decode(log_probs, beam_width=2000, prune=-np.inf)):
        for label, score in beams[:5]:
            padded = np.array([label + [-1]]) if label else np.full((1, 1), -1)
            assert -CTCLoss().per_sample(padded, sample[None])[0] == pytest.approx(score, rel=1e-9)


# -- Keras 3's keras.losses.CTC and keras.losses.ctc: blank 0, labels padded with 0 --------------
KERAS_LABELS = np.where(LABELS < 0, 0, LABELS)          # the same labels, padded Keras's way


def test_keras_ctc_counts_the_nonzero_entries_as_the_label():
    from glassnet import losses
    np.testing.assert_allclose(losses.CTC(reduction=None)(KERAS_LABELS, LOGITS), CTCLoss().per_sample(LABELS, LOGITS))
    np.testing.assert_allclose(losses.ctc(KERAS_LABELS, LOGITS), CTCLoss().per_sample(LABELS, LOGITS))
    weights = np.array([1.0, 0.0, 2.0, 1.0, 0.5])
    each = CTCLoss().per_sample(LABELS, LOGITS)
    assert float(losses.CTC(reduction="sum")(KERAS_LABELS, LOGITS, sample_weight=weights)) == \
        pytest.approx((weights * each).sum())
    assert type(losses.get("ctc")) is losses.CTC and type(losses.get(losses.ctc)) is losses.CTC
    assert losses.CTC().get_config() == {"name": "ctc", "reduction": "sum_over_batch_size"}


def test_keras_ctc_gradient_matches_finite_differences():
    from glassnet import losses
    assert check_loss(losses.CTC(), LOGITS, KERAS_LABELS, eps=1e-5).passed
    assert check_loss(losses.CTC(reduction="sum"), LOGITS, KERAS_LABELS, eps=1e-5).passed


def test_keras_ctc_agrees_with_keras():
    keras = pytest.importorskip("keras")
    from glassnet import losses
    logits = LOGITS.astype(np.float32)
    for reduction in ("sum_over_batch_size", "sum", None):
        np.testing.assert_allclose(np.asarray(losses.CTC(reduction=reduction)(KERAS_LABELS, logits)),
                                   np.asarray(keras.losses.CTC(reduction=reduction)(KERAS_LABELS, logits)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(losses.ctc(KERAS_LABELS, logits)),
                               np.asarray(keras.losses.ctc(KERAS_LABELS, logits)), rtol=1e-5)


# -- Keras 2's backend CTC (the OCR tutorial before Keras 3): probabilities in, blank last ------------
def _probabilities():
    z = rng.standard_normal((3, 10, 5))
    return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)


K2_LABELS, K2_STEPS, K2_LENGTHS = np.array([[1, 2, 2], [3, 0, 0], [1, 1, 0]]), np.array([[10], [8], [6]]), \
    np.array([[3], [1], [2]])


def test_keras2_ctc_batch_cost_is_the_loss_of_the_log_probabilities_with_the_last_class_blank():
    from glassnet import backend as K
    p = _probabilities()
    cost = K.ctc_batch_cost(K2_LABELS, p, K2_STEPS, K2_LENGTHS)
    assert cost.shape == (3, 1)
    expected = CTCLoss(blank=4).per_sample(K2_LABELS, np.log(p), label_lengths=[3, 1, 2], input_lengths=[10, 8, 6])
    np.testing.assert_allclose(cost[:, 0], expected, rtol=1e-6)


def test_keras2_ctc_batch_cost_gradient_in_a_call_matches_finite_differences():
    from glassnet import backend as K
    from glassnet.engine.autodiff import Value, backpropagate
    from glassnet.gradcheck import numerical_gradient, relative_error
    p = _probabilities()
    dy = rng.standard_normal((3, 1))
    value = Value(p, needs_grad=True)
    backpropagate(K.ctc_batch_cost(K2_LABELS, value, K2_STEPS, K2_LENGTHS), dy)
    numeric = numerical_gradient(lambda: float(np.sum(K.ctc_batch_cost(K2_LABELS, p, K2_STEPS, K2_LENGTHS) * dy)), p)
    assert relative_error(value.grad, numeric) < 1e-6


def test_keras2_ctc_decode_greedy_and_a_clear_error_for_its_beam_search():
    from glassnet import backend as K
    p = np.full((1, 6, 4), 0.01)
    p[0, np.arange(6), [0, 0, 3, 0, 2, 3]] = 0.97            # 0 0 - 0 2 -  ->  0 0 2 (blank 3)
    (decoded,), log_prob = K.ctc_decode(p, [6])
    np.testing.assert_array_equal(decoded, [[0, 0, 2, -1, -1, -1]])
    assert log_prob[0, 0] == pytest.approx(-6 * math.log(0.97 + 1e-7), rel=1e-5)
    with pytest.raises(ValueError, match="strategy='beam_search'"):
        K.ctc_decode(p, [6], greedy=False)


def test_keras2_ctc_agrees_with_keras_legacy_backend():
    pytest.importorskip("tensorflow")
    legacy = pytest.importorskip("keras.src.legacy.backend")
    from glassnet import backend as K
    p = _probabilities().astype(np.float32)
    np.testing.assert_allclose(K.ctc_batch_cost(K2_LABELS, p, K2_STEPS, K2_LENGTHS),
                               np.asarray(legacy.ctc_batch_cost(K2_LABELS, p, K2_STEPS, K2_LENGTHS)), rtol=1e-5)
    mine, theirs = K.ctc_decode(p, K2_STEPS[:, 0]), legacy.ctc_decode(p, K2_STEPS[:, 0])
    np.testing.assert_array_equal(mine[0][0], np.asarray(theirs[0][0]))
    np.testing.assert_allclose(mine[1], np.asarray(theirs[1]), rtol=1e-5)
