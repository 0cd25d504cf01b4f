"""The zoo's convolutional networks: their shapes, a quick learning check, and the real-data
promise (``glassnet train --arch cnn``: >= 99.2% MNIST test accuracy within 5 epochs)."""

import numpy as np
import pytest

from glassnet.engine.optimizers import Adam
from glassnet.workbench import zoo


@pytest.mark.parametrize("name, params, output", [("cnn", 225_034, (10,)), ("lenet5", 61_706, (10,))])
def test_architectures_build_for_digits_with_or_without_a_channel_axis(name, params, output):
    for input_shape in [(28, 28), (28, 28, 1)]:
        model = zoo.get(name).build(input_shape=input_shape, num_classes=10, seed=0)
        model.build()
        assert model.input_shape == (None, 28, 28, 1)   # Keras's, with the batch axis
        assert model.count_params() == params          # as Keras counts them
        assert model.output_shape == (None,) + output


def test_cnn_defaults_and_the_mlp_stays_the_default_architecture():
    cnn = zoo.get("cnn")
    assert (cnn.epochs, cnn.batch_size) == (5, 128)
    assert list(zoo.ARCHITECTURES)[0] == "mlp"
    # Adam with the rate falling along half a cosine, to a tenth of its start at the end.
    schedule = cnn.optimizer(steps=100).schedule
    assert schedule(0) == cnn.learning_rate
    assert schedule(100) == pytest.approx(cnn.learning_rate * zoo.COSINE_FLOOR)
    assert zoo.get("mlp").optimizer(steps=100).learning_rate == 1e-3   # constant
    model = cnn.build(input_shape=(28, 28), num_classes=10, seed=0)
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense",
                     "Dropout", "Dense"]


@pytest.mark.parametrize("name, target", [("cnn", 0.90), ("lenet5", 0.85)])
def test_convnets_learn_real_digits_quickly(name, target):
    """Two short epochs on 4,000 of the offline sample's training digits, tested on its 1,000 test digits."""
    from glassnet.datasets.sample import load_sample
    (x_train, y_train), (x_test, y_test) = load_sample()
    model = zoo.get(name).build(input_shape=(28, 28), num_classes=10, seed=0)
    model.compile(Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train[:4000] / np.float32(255), y_train[:4000], epochs=2, batch_size=64, verbose=0)
    assert model.evaluate(x_test / np.float32(255), y_test, verbose=0)[1] >= target


@pytest.mark.slow
def test_cnn_reaches_99_2_percent_on_mnist(shared_data):
    """The default CNN with its zoo settings (5 epochs, batch 128, Adam with cosine decay)
    on all 60,000 training digits, tested on the 10,000 test digits."""
    from glassnet.datasets import mnist
    folder = shared_data / "mnist"
    if not folder.is_dir():
        pytest.skip(f"MNIST not found in {folder}")
    (x_train, y_train), (x_test, y_test) = mnist.load_data(folder)
    scale = np.float32(1 / 255)
    x_train, x_test = x_train.astype(np.float32) * scale, x_test.astype(np.float32) * scale
    arch = zoo.get("cnn")
    model = arch.build(input_shape=(28, 28), num_classes=10, seed=0)
    steps = -(-len(x_train) // arch.batch_size) * arch.epochs
    model.compile(arch.optimizer(steps=steps), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=arch.epochs, batch_size=arch.batch_size, verbose=0)
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    assert accuracy >= 0.992, f"test accuracy {accuracy:.2%} after {model.epoch} epochs"
