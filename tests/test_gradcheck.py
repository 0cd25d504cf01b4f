"""The gradient checks of the whole package, and proof that the checker catches real bugs.

``test_every_component_passes`` is THE gradient-check test of the suite: it runs the same
catalogue as ``glassnet gradcheck``. The rest break layers on purpose, in the ways
backprop usually goes wrong, and make sure ``check_layer`` says FAIL.
"""

import numpy as np
import pytest

from glassnet import gradcheck
from glassnet.engine import losses
from glassnet.engine.layers import Dense, Layer, Softmax
from glassnet.engine.layers.base import LAYERS
from glassnet.engine.model import Sequential
from glassnet.gradcheck import (TOLERANCE, Check, Report, check_layer, check_loss, check_model,
                                numerical_gradient, relative_error, run_all)
from glassnet.interfaces.cli import main


def test_every_component_passes():
    rows = run_all()
    failures = [f"{r.component} [{r.configuration}]: {r.max_error:.2e} {r.detail}"
                for r in rows if not r.passed]
    assert not failures, "gradient checks failed:\n" + "\n".join(failures)
    checked = {r.component for r in rows}
    assert {"Dense", "Flatten", "Reshape", "Dropout", "Activation", "ReLU", "LeakyReLU", "Sigmoid",
            "Tanh", "Softmax", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
            "MeanSquaredError", "Sequential"} <= checked
    configurations = " | ".join(r.configuration for r in rows)
    for words in ("fused: logits", "not fused", "fixed mask", "kernel_regularizer=l2", "activation='softmax'"):
        assert words in configurations


def test_every_builtin_layer_and_loss_is_in_the_catalogue():
    assert gradcheck.uncatalogued() == []


def test_a_new_builtin_layer_without_an_entry_fails_the_table():
    class Forgotten(Layer):
        def forward(self, x, training=False):
            return x

        def backward(self, dy):
            return dy

    Forgotten.__module__ = "glassnet.engine.layers.forgotten"  # pretend it ships with glassnet
    try:
        assert "Forgotten" in gradcheck.uncatalogued()
        row = next(r for r in run_all() if r.component == "Forgotten")
        assert not row.passed and "catalogue" in row.detail
    finally:
        LAYERS.pop("Forgotten")


# -- the command ---------------------------------------------------------------------------

def test_command_prints_the_table(capsys):
    assert main(["gradcheck", "--only", "reshape"]) == 0
    out = capsys.readouterr().out
    assert "component" in out and "max rel. error" in out
    assert "Reshape" in out and "pass" in out and "Dense " not in out
    assert "2 of 2 checks passed" in out


def test_command_exits_nonzero_on_a_failure(capsys, monkeypatch):
    broken = Check("Broken", "units=2", lambda: check_layer(WrongTranspose(3), (3,)))
    monkeypatch.setattr(gradcheck.components, "catalogue", lambda: [broken])
    assert main(["gradcheck", "--only", "broken"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "0 of 1 checks passed" in out


def test_command_reports_a_crashing_check(capsys, monkeypatch):
    def crash():
        raise RuntimeError("boom")

    monkeypatch.setattr(gradcheck.components, "catalogue", lambda: [Check("Crashy", "-", crash)])
    assert main(["gradcheck", "--only", "crashy"]) == 1
    assert "raised RuntimeError: boom" in capsys.readouterr().out


# -- the tools themselves ------------------------------------------------------------------

def test_numerical_gradient_of_a_known_function():
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda: float(np.sum(x ** 3)), x)
    np.testing.assert_allclose(grad, 3 * x ** 2, rtol=1e-8)
    assert x.tolist() == [[1.0, -2.0], [0.5, 3.0]]  # restored


def test_relative_error():
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0
    assert relative_error([1.0], [1.1]) == pytest.approx(0.1 / 1.1)
    assert relative_error([1.0, 1e-12], [1.0, 0.0]) < TOLERANCE  # noise on a zero is no failure
    assert relative_error([1e-17, -2e-17], [1e-10, 3e-11]) == 0     # a gradient that is zero in both
    assert relative_error([0.0, 0.0], [1e-4, 0.0]) == 1              # a zero where there is a gradient


# -- layers broken on purpose ----------------------------------------------------------------

class SquareDense(Dense):
    """A correct Dense, to be broken by the subclasses below."""


class WrongTranspose(SquareDense):
    """``dx = dz @ W`` instead of ``dz @ W.T``: same shape when W is square, wrong numbers."""

    def backward(self, dy):
        super().backward(dy)
        return dy @ self.params["kernel"]


class BiasMeanNotSum(SquareDense):
    """The bias gradient averaged instead of summed over the batch: a wrong parameter grad."""

    def backward(self, dy):
        dx = super().backward(dy)
        self.grads["bias"][...] = dy.mean(axis=0)
        return dx


class Center(Layer):
    """``y = x - mean(x over the batch)``; ``dx = dy - mean(dy)``. The broken one forgets 1/N."""

    def forward(self, x, training=False):
        return x - x.mean(axis=0)

    def backward(self, dy):
        return dy - dy.sum(axis=0)  # should be dy.mean(axis=0)


class Scale(Layer):
    """``y = x * w`` with one weight per feature; correct, to be broken below."""

    def build(self, input_shape, rng=None):
        super().build(input_shape, rng)
        self.add_param("w", self.rng.standard_normal(input_shape))

    def forward(self, x, training=False):
        self.x = x
        return x * self.params["w"]

    def backward(self, dy):
        self.grads["w"][...] = (dy * self.x).sum(axis=0)
        return dy * self.params["w"]


class CancellingHalves(Scale):
    """dx too big by c at one entry, dw too small by c at one entry: the total is unchanged."""

    shift = 0.5

    def backward(self, dy):
        dx = super().backward(dy).copy()
        dx[0, 0] += self.shift
        self.grads["w"][0] -= self.shift
        return dx


class CancellingWithinDx(Scale):
    """Two entries of dx wrong by +c and -c: their sum (and dx's mean) is still right."""

    def backward(self, dy):
        dx = super().backward(dy).copy()
        dx[0, 0] += 0.5
        dx[0, 1] -= 0.5
        return dx


class ReluThatEatsDy(Layer):
    """Right numbers, but it zeroes the caller's ``dy`` in place to save a copy."""

    def forward(self, x, training=False):
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, dy):
        dy[~self.mask] = 0
        return dy


class WrongDtype(Layer):
    def forward(self, x, training=False):
        return x.astype(np.float64)

    def backward(self, dy):
        return dy


class LyingShape(Layer):
    def output_shape(self, input_shape):
        return (1,)

    def forward(self, x, training=False):
        return x

    def backward(self, dy):
        return dy


def test_correct_versions_pass():
    assert check_layer(SquareDense(3), (3,)).passed
    assert check_layer(Scale(), (3,)).passed


def test_wrong_transpose_fails():
    report = check_layer(WrongTranspose(3), (3,))
    assert not report.passed
    assert report.errors["dx"] > 1e-2 and report.errors["dkernel"] <= TOLERANCE


def test_wrong_parameter_gradient_fails_and_is_named():
    report = check_layer(BiasMeanNotSum(3), (3,))
    assert not report.passed
    assert report.errors["dbias"] > 1e-2
    assert report.errors["dx"] <= TOLERANCE and report.errors["dkernel"] <= TOLERANCE


def test_missing_one_over_n_fails():
    assert not check_layer(Center(), (3,), batch_size=4).passed


def test_loss_missing_one_over_n_fails():
    class SumSquaredError(losses.MeanSquaredError):
        def backward(self):
            return 2 * self.diff  # forgot "/ self.diff.size"

    y_pred = np.random.default_rng(0).standard_normal((4, 3))
    assert check_loss(losses.MeanSquaredError(), y_pred, np.eye(3)[[0, 1, 2, 0]]).passed
    assert not check_loss(SumSquaredError(), y_pred, np.eye(3)[[0, 1, 2, 0]]).passed


def test_two_wrong_halves_that_cancel_still_fail():
    layer = CancellingHalves()
    report = check_layer(layer, (3,))
    assert not report.passed
    assert report.errors["dx"] > 1e-3 and report.errors["dw"] > 1e-3

    # A checker that compared only the total (the derivative along all inputs and weights
    # at once) would be fooled: the two errors cancel in the sum.
    layer = CancellingHalves()
    layer.build((3,), np.random.default_rng(0))
    x, dy = np.random.default_rng(1).standard_normal((2, 4, 3))  # a batch and its upstream grad
    layer.forward(x)
    dx = layer.backward(dy)
    good = Scale()
    good.build((3,), np.random.default_rng(0))
    good.forward(x)
    good_dx = good.backward(dy)
    assert dx.sum() + layer.grads["w"].sum() == pytest.approx(good_dx.sum() + good.grads["w"].sum())


def test_errors_that_cancel_inside_one_gradient_still_fail():
    report = check_layer(CancellingWithinDx(), (3,))
    assert not report.passed and report.errors["dx"] > 1e-3


def test_backward_that_mutates_dy_fails():
    report = check_layer(ReluThatEatsDy(), (5,))
    assert not report.passed
    assert any("dy" in problem for problem in report.problems)


def test_float64_output_from_float32_input_fails():
    report = check_layer(WrongDtype(), (3,))
    assert not report.passed and any("float32" in p for p in report.problems)


def test_wrong_output_shape_fails():
    report = check_layer(LyingShape(), (3,))
    assert not report.passed and any("output_shape" in p for p in report.problems)


def test_report_text_names_the_failing_gradient():
    text = str(check_layer(BiasMeanNotSum(3), (3,)))
    assert text.startswith("BiasMeanNotSum: FAIL") and "dbias=" in text


# -- whole models ---------------------------------------------------------------------------

class SoftmaxIgnoringFusion(Softmax):
    """Applies softmax's Jacobian even when the loss already returned dL/dlogits."""

    def backward(self, dy):
        p = self.p
        return p * (dy - (dy * p).sum(axis=-1, keepdims=True))


def _small_model(*layers, loss="categorical_crossentropy"):
    model = Sequential([Dense(4, input_shape=(3,)), *layers], seed=0)
    model.compile("sgd", loss)
    return model


def test_check_model_passes_on_the_fused_softmax():
    x, y = np.random.default_rng(0).standard_normal((5, 3)), np.array([0, 1, 2, 3, 0])
    report = check_model(_small_model(Softmax()), x, y)
    assert report.passed, report
    assert set(report.errors) == {"dense/dkernel", "dense/dbias"}


def test_check_model_catches_a_softmax_that_ignores_the_fusion():
    x, y = np.random.default_rng(0).standard_normal((5, 3)), np.array([0, 1, 2, 3, 0])
    assert not check_model(_small_model(SoftmaxIgnoringFusion()), x, y).passed


def test_check_model_wants_a_loss_and_leaves_the_model_alone():
    model = _small_model(Softmax())
    model.build()
    before = [w.copy() for w in model.get_weights()]
    assert check_model(model, np.random.default_rng(0).standard_normal((2, 3)), [0, 1]).passed
    assert all(np.array_equal(a, b) and b.dtype == np.float32 for a, b in zip(before, model.get_weights()))
    uncompiled = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(ValueError, match="model compiled with a loss"):
        check_model(uncompiled, np.zeros((2, 3)), [0, 1])


def test_report_passes_only_without_problems():
    assert Report("x", errors={"dx": 1e-9}).passed
    assert not Report("x", errors={"dx": 1e-9}, problems=["bad"]).passed
    assert not Report("x", errors={"dx": 1e-3}).passed
