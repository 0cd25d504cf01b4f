"""The gradient rules of engine/autodiff_arrays.py (pad, roll, flip, repeat, tile, split,
sort, cumsum, cumprod, einsum...), each against finite differences in float64."""

import numpy as np
import pytest

from glassnet.engine import autodiff, autodiff_arrays
from glassnet.engine.autodiff import CannotDifferentiate, Value, backpropagate

from test_autodiff import apart, gradients, normal, positive

WEIGHTS = np.random.default_rng(2).standard_normal(64)


def weighted(pieces):
    """A list of Values as one Value, each piece weighted differently (so a swap shows)."""
    return np.concatenate([np.reshape(p, -1) * WEIGHTS[i] for i, p in enumerate(pieces)])


CASES = {
    "pad": (lambda a: np.pad(a, [(1, 2), (0, 1)]) + (np.pad(a, 2, mode="reflect") * np.arange(56.).reshape(7, 8)).sum()
            + (np.pad(a, [(0, 0), (3, 1)], mode="symmetric") ** 2).sum(), [normal(3, 4)]),
    "roll": (lambda a: np.roll(a, 2, axis=1) + np.roll(a, -1), [normal(3, 4)]),
    "flip": (lambda a: np.flip(a, axis=0) * a, [normal(3, 4)]),
    "fliplr": (lambda a: np.fliplr(a) * a, [normal(3, 4)]),
    "flipud": (lambda a: np.flipud(a) * a, [normal(3, 4)]),
    "repeat": (lambda a: np.repeat(a, [1, 3, 2], axis=0) ** 2, [normal(3, 2)]),
    "tile": (lambda a: np.tile(a, (2, 3)) ** 2, [normal(2, 3)]),
    "take_along_axis": (lambda a: np.take_along_axis(a, np.array([[0, 0], [2, 1]]), axis=1) ** 2,
                        [normal(2, 3)]),
    "sort": (lambda a: np.sort(a, axis=0) * np.arange(12.).reshape(3, 4) + np.sort(a, axis=None)[:4].sum(),
             [apart(3, 4)]),
    "split": (lambda a: weighted(np.split(a, 2, axis=1)), [normal(3, 4)]),
    "array_split": (lambda a: weighted(np.array_split(a, 3, axis=0)), [normal(5, 2)]),
    "broadcast_arrays": (lambda a, b: weighted(np.broadcast_arrays(a, b)), [normal(3, 1), normal(4)]),
    "cumsum": (lambda a: np.cumsum(a, axis=0) * a + np.cumsum(a)[:5].sum(), [normal(3, 4)]),
    "cumprod": (lambda a: np.cumprod(a, axis=1), [positive(3, 4) * np.array([1, 0, 1, 1])]),
    "diff": (lambda a: np.diff(a, n=2, axis=0) ** 2, [normal(4, 3)]),
    "einsum": (lambda a, b: np.einsum("bij,jk->bik", a, b) + np.einsum("...j,j", a, b[:, 0])[..., None]
               + (np.einsum("bij->j", a) ** 2).sum(), [normal(2, 3, 4), normal(4, 3)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_array_rule_agrees_with_finite_differences(name):
    function, arrays = CASES[name]
    for recorded, numeric in gradients(function, [a.copy() for a in arrays]):
        assert recorded is not None and recorded.shape == numeric.shape
        assert np.abs(recorded - numeric).max() < 1e-6 * max(1.0, np.abs(numeric).max()), name


def test_every_array_rule_has_a_case_and_is_registered():
    # (the cases also check the rules autodiff_numpy gives for roll, flip, tile, einsum...)
    assert set(autodiff_arrays.RULES) <= set(CASES) <= set(autodiff.FUNCTIONS)
    assert autodiff.FUNCTIONS["pad"] is autodiff_arrays._pad


def test_the_values_are_numpys_own():
    for name, (function, arrays) in CASES.items():
        np.testing.assert_allclose(function(*[Value(x) for x in arrays]).data, function(*arrays), err_msg=name)


def test_cumprod_through_a_zero_gets_its_gradient_without_dividing():
    x = Value(np.array([2.0, 0.0, 3.0]), needs_grad=True)
    backpropagate(np.cumprod(x), np.ones(3))
    np.testing.assert_allclose(x.grad, [1.0, 2.0 + 6.0, 0.0])    # d(2 + 0 + 0)/dx with the zero at x1


def test_what_these_rules_cant_differentiate_says_so():
    x = Value(np.ones(3), needs_grad=True)
    with pytest.raises(CannotDifferentiate, match="prepend"):
        np.diff(x, prepend=0)
    with pytest.raises(CannotDifferentiate, match="np.einsum with a.*repeated"):
        np.einsum("ii->i", Value(np.eye(2), needs_grad=True))
    with pytest.raises(ValueError):
        np.split(x, 2)                          # NumPy's own error for unequal pieces


def test_a_function_without_a_rule_lists_these_rules_too():
    with pytest.raises(CannotDifferentiate, match="np.median; .*einsum.*take_along_axis"):
        np.median(Value(np.ones(3), needs_grad=True))
