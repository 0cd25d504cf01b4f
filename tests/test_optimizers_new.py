"""Keras 3's Lion, Lamb, Adafactor and Ftrl: each step worked by hand (and, where Keras is
installed, taken by Keras on the same weights and gradients), the flat packed weights cut per
weight array, training, configs, and the state in .npz and .keras files."""

import io
import math
import os
import zipfile

import numpy as np
import pytest

import glassnet
from glassnet.engine.layers import Dense, Input
from glassnet.engine.model import Sequential
from glassnet.engine.optimizers import Adafactor, Ftrl, Lamb, Lion, get

SHAPES = [(5,), (4, 3), (2, 3, 4)]
RNG = np.random.default_rng(0)
W0 = [RNG.normal(size=s) for s in SHAPES]
GRADS = [[RNG.normal(size=s) for s in SHAPES] for _ in range(5)]


def packed_steps(optimizer, dtype=np.float64):
    """The weights after ``GRADS``, packed into one flat array as a model packs them."""
    flat = np.concatenate([w.ravel() for w in W0]).astype(dtype)
    gradient = np.zeros_like(flat)
    parts, offset = [], 0
    for shape in SHAPES:
        parts.append(gradient[offset:offset + math.prod(shape)].reshape(shape))
        offset += math.prod(shape)
    for grads in GRADS:
        for part, g in zip(parts, grads):
            part[...] = g
        optimizer.step([flat], [gradient], parts)
    return flat


def lion_by_hand(lr=0.01, b1=0.9, b2=0.99):
    ws, ms = [w.copy() for w in W0], [np.zeros(s) for s in SHAPES]
    for grads in GRADS:
        for w, m, g in zip(ws, ms, grads):
            w -= lr * np.sign(b1 * m + (1 - b1) * g)
            m[...] = b2 * m + (1 - b2) * g
    return ws


def lamb_by_hand(lr=0.01, b1=0.9, b2=0.999, eps=1e-7):
    ws, ms, vs = [w.copy() for w in W0], [np.zeros(s) for s in SHAPES], [np.zeros(s) for s in SHAPES]
    for t, grads in enumerate(GRADS, 1):
        for w, m, v, g in zip(ws, ms, vs, grads):
            m[...] = b1 * m + (1 - b1) * g
            v[...] = b2 * v + (1 - b2) * g * g
            u = m / (1 - b1 ** t) / (np.sqrt(v / (1 - b2 ** t)) + eps)
            w -= np.linalg.norm(w) / np.linalg.norm(u) * lr * u
    return ws


def adafactor_by_hand(lr=0.01, decay=-0.8, eps1=1e-30, eps2=1e-3, clip=1.0):
    rms = lambda a: np.sqrt(np.mean(a * a))  # noqa: E731
    ws = [w.copy() for w in W0]
    rs = [np.zeros(s[:-1]) for s in SHAPES]
    cs = [np.zeros(s[:-2] + s[-1:]) for s in SHAPES]
    vs = [np.zeros(s) for s in SHAPES]
    for t, grads in enumerate(GRADS, 1):
        b = 1 - t ** decay
        for w, r, c, v, g in zip(ws, rs, cs, vs, grads):
            g2 = g * g + eps1
            if w.ndim == 1:
                v[...] = b * v + (1 - b) * g2
            else:
                r[...] = b * r + (1 - b) * g2.mean(-1)
                c[...] = b * c + (1 - b) * g2.mean(-2)
                v[...] = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
            u = g / np.sqrt(v)
            u = u / max(1, rms(u) / clip)
            w -= max(eps2, rms(w)) * min(lr, 1 / math.sqrt(t)) * u
    return ws


def ftrl_by_hand(lr=0.1, power=-0.5, n0=0.1, l1=0.3, l2=0.2, shrink=0.1, beta=0.5):
    ws = [w.copy() for w in W0]
    ns, zs = [np.full(s, n0) for s in SHAPES], [np.zeros(s) for s in SHAPES]
    for grads in GRADS:
        for w, n, z, g in zip(ws, ns, zs, grads):
            new_n = n + g * g
            z += g + 2 * shrink * w - (new_n ** -power - n ** -power) / lr * w
            quadratic = new_n ** -power / lr + 2 * (l2 + beta / (2 * lr))
            w[...] = np.where(np.abs(z) > l1, (np.sign(z) * l1 - z) / quadratic, 0.0)
            n[...] = new_n
    return ws


CASES = {
    "lion": (lambda: Lion(0.01), lion_by_hand),
    "lamb": (lambda: Lamb(0.01), lamb_by_hand),
    "adafactor": (lambda: Adafactor(0.01), adafactor_by_hand),
    "ftrl": (lambda: Ftrl(0.1, l1_regularization_strength=0.3, l2_regularization_strength=0.2,
                          l2_shrinkage_regularization_strength=0.1, beta=0.5), ftrl_by_hand),
}


@pytest.mark.parametrize("name", CASES)
def test_steps_by_hand_on_packed_weights(name):
    make, by_hand = CASES[name]
    expected = np.concatenate([w.ravel() for w in by_hand()])
    np.testing.assert_allclose(packed_steps(make()), expected, rtol=1e-10, atol=1e-12)


def test_lamb_and_adafactor_see_each_weight_array_not_the_flat_one():
    # Lamb's trust ratio taken over the whole flat array would differ from per-array ratios.
    whole = Lamb(0.01)
    flat = np.concatenate([w.ravel() for w in W0])
    for grads in GRADS:
        whole.step([flat], [np.concatenate([g.ravel() for g in grads])])
    assert np.abs(flat - packed_steps(Lamb(0.01))).max() > 1e-4


def test_lion_moves_every_weight_by_exactly_the_learning_rate():
    w = np.ones(4)
    Lion(0.25).step([w], [np.array([3.0, -1e-6, 1e6, -2.0])])
    np.testing.assert_array_equal(w, [0.75, 1.25, 0.75, 1.25])


def test_ftrl_l1_sets_weights_exactly_to_zero():
    w = np.array([0.5, -0.5, 0.5])
    Ftrl(0.1, l1_regularization_strength=10.0).step([w], [np.array([0.1, -0.1, 2.0])])
    np.testing.assert_array_equal(w, 0.0)


def test_defaults_names_and_errors_are_keras_s():
    assert (Lion().beta_1, Lion().beta_2, Lion().learning_rate) == (0.9, 0.99, 0.001)
    assert (Lamb().beta_2, Lamb().epsilon) == (0.999, 1e-7)
    a = Adafactor()
    assert (a.beta_2_decay, a.epsilon_1, a.epsilon_2, a.clip_threshold, a.relative_step) == (-0.8, 1e-30, 1e-3, 1.0, True)
    f = Ftrl()
    assert (f.learning_rate_power, f.initial_accumulator_value, f.beta) == (-0.5, 0.1, 0.0)
    for alias, cls in (("lion", Lion), ("Lamb", Lamb), ("adafactor", Adafactor), ("ftrl", Ftrl)):
        assert type(get(alias)) is cls and cls().name == alias.lower()
    with pytest.raises(ValueError, match="beta_1 must be in"):
        Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="learning_rate_power must be <= 0"):
        Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="l1_regularization_strength must be >= 0"):
        Ftrl(l1_regularization_strength=-1)


@pytest.mark.parametrize("optimizer", [Lion(0.02, beta_1=0.8, weight_decay=0.1), Lamb(0.02, epsilon=1e-6),
                                       Adafactor(0.5, clip_threshold=0.5, relative_step=False),
                                       Ftrl(0.3, l1_regularization_strength=0.01, beta=0.2)])
def test_config_round_trip(optimizer):
    again = type(optimizer).from_config(optimizer.get_config())
    assert again.get_config() == optimizer.get_config()
    assert get(glassnet.optimizers.serialize(optimizer)).get_config() == optimizer.get_config()


def _data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 6)).astype(np.float32)
    return x, (x @ rng.normal(size=(6, 2))).astype(np.float32)


def _model(optimizer):
    model = Sequential([Input((6,)), Dense(8, activation="tanh"), Dense(2)], seed=0)
    model.compile(optimizer, "mse")
    return model


@pytest.mark.parametrize("make", [lambda: Lion(0.003), lambda: Lamb(0.02), lambda: Adafactor(0.05),
                                  lambda: Ftrl(0.3)])
def test_each_trains_a_small_regression(make):
    x, y = _data()
    model = _model(make())
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]


@pytest.mark.parametrize("make", [lambda: Lion(0.01), lambda: Lamb(0.01), lambda: Adafactor(0.05),
                                  lambda: Ftrl(0.3, initial_accumulator_value=0.2)])
@pytest.mark.parametrize("suffix", [".keras", ".npz"])
def test_state_survives_saving_and_training_goes_on_the_same(tmp_path, make, suffix):
    x, y = _data()
    model = _model(make())
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    model.save(tmp_path / f"m{suffix}")
    again = glassnet.load_model(tmp_path / f"m{suffix}")
    assert type(again.optimizer) is type(model.optimizer)
    assert again.optimizer.get_config() == model.optimizer.get_config()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    again.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_adafactor_state_is_written_as_keras_keeps_it(tmp_path):
    h5py = pytest.importorskip("h5py")
    x, y = _data()
    model = _model(Adafactor(0.05))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        h5 = h5py.File(io.BytesIO(archive.read("model.weights.h5")))
        shapes = [h5[f"optimizer/vars/{i}"].shape for i in range(len(h5["optimizer/vars"]))]
    # iterations, learning rate, then r, c, v for each weight: kernel (6, 8), bias (8,), ...
    assert shapes == [(), (), (6,), (8,), (6, 8), (), (), (8,), (8,), (2,), (8, 2), (), (), (2,)]


@pytest.mark.parametrize("name", ["Lion", "Lamb", "Adafactor", "Ftrl"])
def test_keras_takes_the_same_steps_and_reads_the_file(tmp_path, name):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    options = {"Ftrl": {"l1_regularization_strength": 0.3, "l2_regularization_strength": 0.2,
                        "l2_shrinkage_regularization_strength": 0.1, "beta": 0.5}}.get(name, {})
    ours = getattr(glassnet.optimizers, name)(0.05, **options)
    variables = [keras.Variable(w.astype("float32")) for w in W0]
    theirs = getattr(keras.optimizers, name)(0.05, **options)
    for grads in GRADS:
        theirs.apply_gradients(zip([g.astype("float32") for g in grads], variables))
    keras_weights = np.concatenate([np.asarray(v).ravel() for v in variables])
    np.testing.assert_allclose(packed_steps(ours, np.float32), keras_weights, atol=3e-6)
    # a .keras file glassnet writes: Keras rebuilds the optimizer with its state
    x, y = _data()
    model = _model(getattr(glassnet.optimizers, name)(0.05, **options))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer).__name__ == name and int(loaded.optimizer.iterations) == 4
    assert {k: v for k, v in loaded.optimizer.get_config().items() if k in options} == options
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("make", [lambda: Lion(0.01, weight_decay=0.1), lambda: glassnet.optimizers.SGD(0.1, weight_decay=0.05)])
def test_weight_decay_of_any_optimizer_travels_in_keras_files(tmp_path, make):
    """It was written as None (and refused on reading) for every optimizer but AdamW, though
    Keras 3 gives every optimizer weight_decay: Lion's usual setting was lost silently."""
    import json

    from glassnet.interop.keras_compile import _optimizer_from_keras
    model = _model(make())
    model.save(tmp_path / "m.keras")
    assert glassnet.load_model(tmp_path / "m.keras").optimizer.weight_decay == model.optimizer.weight_decay
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:      # what Keras reads
        compiled = json.loads(archive.read("config.json"))["compile_config"]
    assert compiled["optimizer"]["config"]["weight_decay"] == model.optimizer.weight_decay
    assert _optimizer_from_keras(compiled["optimizer"])["config"]["weight_decay"] == model.optimizer.weight_decay


def test_adagrad_state_for_a_weight_it_does_not_know_starts_at_the_initial_value():
    """A weight the saved state lacked (a layer unfrozen after loading) started its sum of
    squares at 0, not initial_accumulator_value: its first step was lr * sign(g)."""
    optimizer = glassnet.optimizers.Adagrad(0.1, initial_accumulator_value=0.1)
    w = np.ones(3)
    optimizer.set_state({"accumulator": {}}, [("dense/kernel", (3,))], [w])
    optimizer.step([w], [np.ones(3)])
    np.testing.assert_allclose(w, 1 - 0.1 / np.sqrt(1.1 + 1e-7), rtol=1e-12)
