"""Resume: 5 epochs + 5 resumed epochs == 10 epochs, bit for bit; and resumes that must fail."""

import numpy as np
import pytest

from glassnet import Sequential, load_model
from glassnet.datasets.augment import DigitAugmentation
from glassnet.datasets.idx import write_idx
from glassnet.engine import layers
from glassnet.engine.layers import Dense, Dropout, Flatten
from glassnet.engine.optimizers import SGD, AdamW
from glassnet.engine.saving import load_for_resume
from glassnet.engine.schedules import OneCycle
from glassnet.errors import TrainingError
from glassnet.interfaces.cli import main

RNG = np.random.default_rng(0)
X = RNG.random((120, 8, 8), dtype=np.float32)
Y = RNG.integers(0, 3, 120)
AUGMENT = DigitAugmentation(rotation_range=10, width_shift_range=0.1, height_shift_range=0.1,
                            zoom_range=0.1, elastic_alpha=2.0)


def mlp():
    model = Sequential([Flatten(input_shape=(8, 8)), Dense(16, activation="relu"), Dropout(0.3),
                        Dense(3, activation="softmax")], seed=7)
    model.compile(AdamW(OneCycle(0.01, total_steps=10 * 4), weight_decay=0.01, clipnorm=1.0),
                  "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def cnn():
    model = Sequential([layers.Conv2D(4, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
                        layers.BatchNormalization(), layers.MaxPooling2D(2), Flatten(), Dropout(0.2),
                        Dense(3, activation="softmax")], seed=7)
    model.compile(SGD(0.05, momentum=0.9, nesterov=True), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def fit(model, epochs):
    """``epochs`` more epochs, continuing the count (Keras's initial_epoch)."""
    return model.fit(X, Y, initial_epoch=model.epoch, epochs=model.epoch + epochs, batch_size=32,
                     validation_split=0.2, augment=AUGMENT, verbose=0)


BUILDERS = [mlp] + ([cnn] if hasattr(layers, "BatchNormalization") and hasattr(layers, "Conv2D") else [])


@pytest.mark.parametrize("build", BUILDERS, ids=lambda b: b.__name__)
def test_five_plus_five_resumed_epochs_equal_ten_bit_for_bit(tmp_path, build):
    straight = build()
    fit(straight, 10)

    first = build()
    fit(first, 5)
    first.save(tmp_path / "half.npz")
    resumed = load_for_resume(tmp_path / "half.npz")
    assert resumed.epoch == 5 and resumed.optimizer.iterations == first.optimizer.iterations
    fit(resumed, 5)

    for a, b in zip(resumed.get_weights(), straight.get_weights()):   # batch-norm statistics too
        np.testing.assert_array_equal(a, b)
    for name, slots in straight.optimizer.slots.items():
        np.testing.assert_array_equal(resumed.optimizer.slots[name][0], slots[0])
    assert resumed.epoch == 10 and resumed.training_log.epochs == list(range(10))
    assert resumed.training_log.history == straight.training_log.history


def test_resuming_a_file_without_optimizer_state_is_refused(tmp_path):
    bare = Sequential([Flatten(input_shape=(8, 8)), Dense(3, activation="softmax")], seed=0)
    bare.save(tmp_path / "bare.npz")
    with pytest.raises(TrainingError, match="bare.npz: can't resume: the file has no optimizer state"):
        load_for_resume(tmp_path / "bare.npz")

    model = mlp()
    fit(model, 1)
    model.optimizer.slots.pop("v")                    # a file missing part of the state
    model.save(tmp_path / "partial.npz")
    with pytest.raises(TrainingError, match=r"can't resume: the optimizer state \(v\) of AdamW is missing"):
        load_for_resume(tmp_path / "partial.npz")


def test_resuming_a_different_architecture_is_refused(tmp_path):
    model = mlp()
    fit(model, 1)
    model.save(tmp_path / "m.npz")
    other = Sequential([Flatten(input_shape=(8, 8)), Dense(32, activation="relu"), Dropout(0.3),
                        Dense(3, activation="softmax")], seed=0)
    with pytest.raises(TrainingError, match="different architecture .*layer 2: saved Dense .*'units': 16"):
        load_for_resume(tmp_path / "m.npz", expected=other)
    assert load_for_resume(tmp_path / "m.npz", expected=mlp()).epoch == 1   # the same one is fine


@pytest.fixture
def tiny_mnist(tmp_path):
    """Four IDX files: 200 training and 50 test 'digits' (a bright block whose place is the label)."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    for split, n in (("train", 200), ("t10k", 50)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        x = (rng.random((n, 28, 28)) * 40).astype(np.uint8)
        for i, label in enumerate(labels):
            r, c = divmod(int(label), 5)
            x[i, 4 + 10 * r:12 + 10 * r, 1 + 5 * c:5 + 5 * c] = 255
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", x)
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", labels)
    return folder


def test_cli_resume_continues_exactly(tiny_mnist, tmp_path, capsys):
    common = ["--data-dir", str(tiny_mnist), "--batch-size", "50", "--verbose", "0", "--augment"]
    assert main(["train", *common, "--epochs", "4", "--out", str(tmp_path / "straight.npz")]) == 0
    assert main(["train", *common, "--epochs", "2", "--out", str(tmp_path / "half.npz")]) == 0
    assert main(["train", "--resume", str(tmp_path / "half.npz"), "--epochs", "2", "--data-dir",
                 str(tiny_mnist), "--verbose", "0"]) == 0
    assert "resuming" in capsys.readouterr().out
    straight, resumed = load_model(tmp_path / "straight.npz"), load_model(tmp_path / "half.npz")
    assert resumed.epoch == 4 and resumed.settings["augmentation"] == straight.settings["augmentation"]
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_cli_resume_errors_are_one_line(tiny_mnist, tmp_path, capsys):
    common = ["--data-dir", str(tiny_mnist), "--verbose", "0"]
    assert main(["train", *common, "--epochs", "1", "--out", str(tmp_path / "m.npz")]) == 0
    capsys.readouterr()
    assert main(["train", *common, "--resume", str(tmp_path / "m.npz"), "--recipe", "best-mlp"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet train: error: ") and "different architecture" in err
    assert err.count("\n") == 1



def test_cli_resume_with_a_new_rate(tiny_mnist, tmp_path, capsys):
    common = ["--data-dir", str(tiny_mnist), "--verbose", "0"]
    assert main(["train", *common, "--epochs", "1", "--out", str(tmp_path / "m.npz")]) == 0
    assert main(["train", *common, "--resume", str(tmp_path / "m.npz"), "--lr", "0.0001"]) == 0
    assert "constant learning rate of 0.0001" in capsys.readouterr().out
    model = load_model(tmp_path / "m.npz")
    assert model.optimizer.learning_rate == 0.0001 and model.epoch == 11


def test_the_cli_knows_every_recipe():
    from glassnet.interfaces.cli.train import RECIPE_NAMES
    from glassnet.workbench.recipes import RECIPES
    assert tuple(RECIPES) == RECIPE_NAMES


@pytest.mark.parametrize("recipe", ["best-mlp", "best-cnn"])
def test_cli_recipe_trains_with_its_schedule_and_augmentation_then_resumes(tiny_mnist, tmp_path, recipe,
                                                                             capsys):
    out = tmp_path / "r.npz"
    common = ["--data-dir", str(tiny_mnist), "--verbose", "0"]
    assert main(["train", *common, "--recipe", recipe, "--epochs", "1", "--out", str(out),
                 "--augmentation-grid", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").read_bytes().startswith(b"\x89PNG")
    model = load_model(out)
    assert model.settings["recipe"] == recipe and model.settings["augmentation"]["rotation_range"] > 0
    assert type(model.optimizer.schedule).__name__ == "OneCycle"
    # best-cnn ends by taking batch norm's statistics from the clean training digits (all 200).
    said = capsys.readouterr().out
    assert ("recomputed on 200 training images without augmentation" in said) == (recipe == "best-cnn")
    if recipe == "best-cnn":
        from glassnet.datasets.idx import read_idx
        from glassnet.workbench.recipes import recalibrate
        norm = model.layers[2]
        saved = dict(norm.state)
        x_train = read_idx(tiny_mnist / "train-images-idx3-ubyte.gz").astype(np.float32) * np.float32(1 / 255)
        recalibrate(model, x_train)   # again, by hand: the same statistics
        for key in saved:
            np.testing.assert_allclose(norm.state[key], saved[key], rtol=1e-6)
    # The one-cycle schedule ran its course with the first run: more epochs at its final
    # rate (a 250,000th of the peak) would change nothing, so resuming says how to go on.
    assert main(["train", *common, "--resume", str(out), "--recipe", recipe, "--epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert "OneCycle schedule ended at step" in err and "--lr" in err and err.count("\n") == 1
    assert main(["train", *common, "--resume", str(out), "--recipe", recipe, "--epochs", "1",
                 "--lr", "1e-4"]) == 0
    assert load_model(out).epoch == 2


def test_clothes_get_a_gentle_shift_only_digits_the_full_augmentation():
    from glassnet.workbench.recipes import get
    recipe = get("best-cnn")
    clothes, digits = recipe.for_dataset("fashion-mnist"), recipe.for_dataset("mnist")
    assert clothes.augmentation.rotation_range == clothes.augmentation.zoom_range == 0
    assert clothes.augmentation.width_shift_range > 0 and digits.augmentation.rotation_range > 0
    assert digits is recipe and recipe.for_dataset("csv:train.csv") is recipe
    # ... and the wider network, for longer (the digits' recipe reads 92.2% of the clothes).
    assert clothes.epochs > digits.epochs
    assert clothes.build(seed=0).count_params() > digits.build(seed=0).count_params()


def test_a_checkpoint_saved_at_an_epoch_end_holds_that_epoch_in_its_training_log(tmp_path):
    from glassnet.engine.callbacks import LearningRateScheduler, ModelCheckpoint

    model = mlp()
    model.compile(SGD(0.1), "sparse_categorical_crossentropy", metrics=["accuracy"])
    halve = LearningRateScheduler(lambda epoch, rate: rate / 2)        # adds learning_rate to the logs
    model.fit(X, Y, epochs=3, batch_size=32, verbose=0,
              callbacks=[halve, ModelCheckpoint(str(tmp_path / "ckpt-{epoch}.npz"))])
    for epoch in (1, 2, 3):
        saved = load_model(tmp_path / f"ckpt-{epoch}.npz")
        assert saved.epoch == epoch and saved.training_log.epochs == list(range(epoch))
        assert len(saved.training_log.history["loss"]) == epoch
    assert model.training_log.history["learning_rate"] == [0.05, 0.025, 0.0125]   # what the callback added
