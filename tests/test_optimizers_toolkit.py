"""RMSprop, Adagrad, AdamW and gradient clipping: hand-computed steps, PyTorch, bad input."""

import tracemalloc

import numpy as np
import pytest

from glassnet import Sequential
from glassnet.engine import optimizers
from glassnet.engine.layers import Dense
from glassnet.engine.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop
from glassnet.engine.saving import load_model
from glassnet.engine.schedules import ExponentialDecay

W0 = np.array([0.5, -1.0, 2.0])
GRADS = [np.array([0.1, -0.2, 0.3]), np.array([-0.4, 0.5, 0.05])]


def run(optimizer, w0=W0, grads=GRADS):
    w = w0.copy()
    for g in grads:
        optimizer.step([w], [g.copy()])
    return w


def test_rmsprop_matches_hand_computed_steps():
    lr, rho, eps = 0.01, 0.9, 1e-7
    w, v = W0.copy(), np.zeros(3)
    for g in GRADS:
        v = rho * v + (1 - rho) * g ** 2
        w = w - lr * g / np.sqrt(v + eps)
    np.testing.assert_allclose(run(RMSprop(lr, rho=rho)), w, rtol=1e-12)
    # Step 1 by hand: v = 0.1 * g**2, so the step is lr * g / sqrt(0.1 g**2) = lr * sign(g) * sqrt(10).
    first = run(RMSprop(lr, rho=rho, epsilon=1e-12), grads=GRADS[:1])
    np.testing.assert_allclose(first, W0 - lr * np.sign(GRADS[0]) * np.sqrt(10), rtol=1e-9)


def test_rmsprop_centered_with_momentum():
    lr, rho, mom, eps = 0.01, 0.8, 0.5, 1e-7
    w, v, a, s = W0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    for g in GRADS:
        v = rho * v + (1 - rho) * g ** 2
        a = rho * a + (1 - rho) * g
        s = mom * s + lr * g / np.sqrt(v - a ** 2 + eps)
        w = w - s
    got = run(RMSprop(lr, rho=rho, momentum=mom, epsilon=eps, centered=True))
    np.testing.assert_allclose(got, w, rtol=1e-12)


def test_adagrad_matches_hand_computed_steps():
    lr, init, eps = 0.1, 0.1, 1e-7
    w, acc = W0.copy(), np.full(3, init)
    for g in GRADS:
        acc = acc + g ** 2
        w = w - lr * g / np.sqrt(acc + eps)
    np.testing.assert_allclose(run(Adagrad(lr)), w, rtol=1e-12)
    # First step by hand for the first weight: 0.5 - 0.1 * 0.1 / sqrt(0.1 + 0.01 + 1e-7).
    assert run(Adagrad(lr), grads=GRADS[:1])[0] == pytest.approx(0.5 - 0.01 / np.sqrt(0.11 + 1e-7))


def test_adamw_is_adam_after_decoupled_decay():
    lr, wd, b1, b2, eps = 0.01, 0.1, 0.9, 0.999, 1e-7
    w, m, v = W0.copy(), np.zeros(3), np.zeros(3)
    for t, g in enumerate(GRADS, start=1):
        w = w * (1 - lr * wd)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g ** 2
        w = w - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(run(AdamW(lr, weight_decay=wd)), w, rtol=1e-12)
    # With no decay, AdamW is Adam exactly.
    np.testing.assert_array_equal(run(AdamW(lr, weight_decay=0.0)), run(Adam(lr)))


def test_clipvalue_clips_every_entry():
    w = run(SGD(1.0, clipvalue=0.25), grads=[np.array([1.0, -0.1, -3.0])])
    np.testing.assert_allclose(w, W0 - np.array([0.25, -0.1, -0.25]))


def test_clipnorm_is_per_weight_array_and_global_clipnorm_is_over_all():
    # Two weight arrays packed in one flat buffer, as the model does: norms 5 and 0.5.
    flat_w, flat_g = np.zeros(4), np.array([3.0, 4.0, 0.3, 0.4])
    parts = [flat_g[:2], flat_g[2:]]
    SGD(1.0, clipnorm=1.0).step([flat_w], [flat_g], parts)
    np.testing.assert_allclose(flat_w, [-0.6, -0.8, -0.3, -0.4])   # only the first was clipped
    flat_w, flat_g = np.zeros(4), np.array([3.0, 4.0, 0.3, 0.4])
    SGD(1.0, global_clipnorm=1.0).step([flat_w], [flat_g], [flat_g[:2], flat_g[2:]])
    total = np.sqrt(25 + 0.25)
    np.testing.assert_allclose(flat_w, -np.array([3.0, 4.0, 0.3, 0.4]) / total)


def test_the_model_hands_clipnorm_one_view_per_weight_array():
    model = Sequential([Dense(3, input_shape=(2,)), Dense(2)], seed=0)
    model.compile(SGD(1.0, clipnorm=1e-3), loss="mse")
    model.build()
    model._prepare_training()
    packed = model._parameters
    assert [p.shape for p in packed.parts] == [(2, 3), (3,), (3, 2), (2,)]
    assert all(np.shares_memory(p, packed.gradients[0]) for p in packed.parts)
    before = [layer.params[k].copy() for layer in model.layers for k in layer.params]
    model._batch = 0
    model.train_step(np.ones((4, 2), np.float32), np.full((4, 2), 10.0, np.float32))
    after = [layer.params[k] for layer in model.layers for k in layer.params]
    for old, new in zip(before, after):   # every array moved by exactly clipnorm (lr = 1)
        assert np.linalg.norm(new - old) == pytest.approx(1e-3, rel=1e-3)


@pytest.mark.parametrize("make", [
    lambda: RMSprop(0.01), lambda: RMSprop(0.01, momentum=0.9, centered=True),
    lambda: Adagrad(0.01), lambda: AdamW(0.01), lambda: Adam(0.01), lambda: SGD(0.01, momentum=0.9),
])
def test_updates_allocate_no_network_sized_temporaries(make):
    optimizer = make()
    w, g = np.ones(250_000, np.float32), np.full(250_000, 0.1, np.float32)
    optimizer.step([w], [g])          # the first step creates the state and the scratch array
    tracemalloc.start()
    optimizer.step([w], [g])
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < w.nbytes / 10, f"{type(optimizer).__name__} allocated {peak} bytes in one step"
    assert w.dtype == np.float32


torch = None
try:
    import torch
except ImportError:
    pass


@pytest.mark.skipif(torch is None, reason="PyTorch is not installed (pip install torch==2.13.0)")
@pytest.mark.parametrize("ours, theirs", [
    (lambda: RMSprop(0.01, rho=0.9, epsilon=1e-12),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-12)),
    (lambda: RMSprop(0.01, rho=0.9, momentum=0.5, centered=True, epsilon=1e-12),
     lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True, eps=1e-12)),
    (lambda: Adagrad(0.1, initial_accumulator_value=0.1, epsilon=1e-12),
     lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=1e-12)),
    (lambda: AdamW(0.01, weight_decay=0.1, epsilon=1e-12),
     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1, eps=1e-12)),
    (lambda: SGD(0.1, momentum=0.9, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True)),
])
def test_against_torch_optim(ours, theirs):
    rng = np.random.default_rng(0)
    w0, grads = rng.normal(size=20), rng.normal(size=(5, 20))
    param = torch.nn.Parameter(torch.tensor(w0))
    reference = theirs([param])
    for g in grads:
        param.grad = torch.tensor(g)
        reference.step()
    np.testing.assert_allclose(run(ours(), w0, grads), param.detach().numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("make, message", [
    (lambda: RMSprop(-0.1), "learning_rate must be > 0, got -0.1"),
    (lambda: Adagrad(0.0), "learning_rate must be > 0, got 0.0"),
    (lambda: SGD(0.1, clipnorm=-1), "clipnorm must be > 0, got -1"),
    (lambda: Adam(clipvalue=-0.5), "clipvalue must be > 0, got -0.5"),
    (lambda: AdamW(global_clipnorm=0), "global_clipnorm must be > 0, got 0"),
    (lambda: SGD(clipnorm=1, clipvalue=1), "at most one of clipnorm, clipvalue and global_clipnorm"),
    (lambda: AdamW(weight_decay=-0.01), "weight_decay must be >= 0, got -0.01"),
    (lambda: RMSprop(rho=1.0), "rho must be in [0, 1), got 1.0"),
    (lambda: RMSprop(momentum=-0.1), "momentum must be in [0, 1), got -0.1"),
    (lambda: Adagrad(initial_accumulator_value=-1), "initial_accumulator_value must be >= 0"),
])
def test_bad_arguments_are_rejected_with_what_was_given(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[")):
        make()


def test_aliases_and_config_round_trip():
    for alias, cls in [("rmsprop", RMSprop), ("adagrad", Adagrad), ("adamw", AdamW), ("RMSprop", RMSprop)]:
        assert type(optimizers.get(alias)) is cls
    original = AdamW(ExponentialDecay(0.01, 100, 0.5), weight_decay=0.02, clipnorm=2.0)
    rebuilt = AdamW.from_config(original.get_config())
    assert rebuilt.get_config() == original.get_config()
    assert rebuilt.clipnorm == 2.0 and rebuilt.schedule(100) == pytest.approx(0.005)


@pytest.mark.parametrize("optimizer", [RMSprop(0.01, momentum=0.5, centered=True), Adagrad(0.05),
                                       AdamW(0.01, clipvalue=1.0)])
def test_state_survives_save_and_load(tmp_path, optimizer):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype(np.float32), rng.integers(0, 3, 32)
    model = Sequential([Dense(5, activation="relu", input_shape=(4,)), Dense(3, activation="softmax")], seed=1)
    model.compile(optimizer, "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for name in model.optimizer.slot_names:
        np.testing.assert_array_equal(loaded.optimizer.slots[name][0], model.optimizer.slots[name][0])
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    loaded.fit(x, y, epochs=1, batch_size=8, verbose=0)
    np.testing.assert_array_equal(loaded.weights[0], model.weights[0])


def test_l2_and_l1_penalties_are_in_the_reported_loss_as_in_keras():
    from glassnet.engine.regularizers import l1, l2
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 4)).astype(np.float32), rng.integers(0, 3, 16)
    model = Sequential([Dense(5, activation="relu", input_shape=(4,), kernel_regularizer=l2(0.01)),
                        Dense(3, activation="softmax", kernel_regularizer=l1(0.001))], seed=0)
    model.compile("sgd", "sparse_categorical_crossentropy")
    model.build()
    k1, k2 = model.layers[0].params["kernel"], model.layers[1].params["kernel"]
    p = model.predict(x).astype(np.float64)
    cross_entropy = -np.mean(np.log(p[np.arange(16), y]))
    penalty = 0.01 * np.sum(k1.astype(np.float64) ** 2) + 0.001 * np.sum(np.abs(k2))
    assert model.evaluate(x, y, verbose=0) == pytest.approx(cross_entropy + penalty, rel=1e-5)
    # fit reports the same kind of figure: the batch losses include the penalty too.
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert history.history["loss"][0] == pytest.approx(before, rel=1e-5)
