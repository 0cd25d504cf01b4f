"""Why cross-entropy rather than squared error: the learning slowdown, reproduced.

One picture for docs/cross_entropy_vs_mse.md, ``cross_entropy_vs_mse.png``:

* left, Nielsen's single sigmoid neuron (chapter 3): input 1, target 0, starting badly
  wrong at w = b = 2, plain gradient descent at 0.15, with each cost;
* right, a 784-100-10 network (sigmoid hidden layer, softmax output) trained with SGD on
  MNIST with each loss: validation accuracy against batches.

It also prints the loss at initialisation: ln(10) = 2.30 is a uniform guess over 10 classes.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from glassnet import Sequential  # noqa: E402
from glassnet.callbacks import Callback  # noqa: E402
from glassnet.layers import Dense, Flatten  # noqa: E402
from glassnet.optimizers import SGD  # noqa: E402
from glassnet.workbench.plots import style  # noqa: E402


def neuron(cost, epochs=300, rate=0.15, w=2.0, b=2.0, x=1.0, y=0.0):
    """Nielsen's neuron ``a = sigmoid(w x + b)``; returns its output after every epoch.

    Quadratic cost ``C = (a - y)^2 / 2``:  ``dC/dw = (a - y) sigma'(z) x``;
    cross-entropy ``C = -(y ln a + (1 - y) ln(1 - a))``:  ``dC/dw = (a - y) x``.
    """
    outputs = []
    for _ in range(epochs):
        a = 1 / (1 + np.exp(-(w * x + b)))
        outputs.append(a)
        delta = (a - y) * a * (1 - a) if cost == "quadratic" else (a - y)
        w, b = w - rate * delta * x, b - rate * delta
    return np.array(outputs)


class ValidationAccuracy(Callback):
    """The validation accuracy every ``every`` batches."""

    def __init__(self, x, y, every):
        super().__init__()
        self.x, self.y, self.every, self.points = x, y, every, []

    def on_batch_end(self, batch, logs=None):
        if batch % self.every == 0:
            self.points.append((batch + 1, float(np.mean(self.model.predict(self.x).argmax(1) == self.y))))


def network():
    return Sequential([Flatten(input_shape=(28, 28)), Dense(100, activation="sigmoid"),
                       Dense(10, activation="softmax")], seed=0)


def run(quick=False, out=common.FIGURES):
    curves = {cost: neuron(cost) for cost in ("quadratic", "cross-entropy")}
    for cost, a in curves.items():
        print(f"neuron, {cost:13s}: output {a[0]:.2f} at the start, {a[49]:.2f} after 50 epochs, "
              f"{a[-1]:.2f} after {len(a)}")

    x, y, xv, yv, source = common.digits(3200 if quick else 12000, 1000 if quick else 5000)
    every = 10 if quick else 25
    setups = [("cross-entropy, SGD 0.1", "sparse_categorical_crossentropy", 0.1, style.TRAIN),
              ("squared error, SGD 0.1", "mse", 0.1, style.WRONG),
              ("squared error, SGD 0.5 (same gradient scale)", "mse", 0.5, style.VALIDATION)]
    results = {}
    for label, loss, rate, _ in setups:
        model = network()
        model.compile(optimizer=SGD(rate), loss=loss)
        if loss != "mse":
            start = model.evaluate(xv, yv, verbose=0)
            print(f"cross-entropy at initialisation: {start:.3f}; a uniform guess: ln(10) = {np.log(10):.3f}")
        watch = ValidationAccuracy(xv, yv, every)
        model.fit(x, y, epochs=1, batch_size=32, callbacks=[watch], verbose=0)
        results[label] = watch.points
        print(f"{label:45s} validation accuracy after {len(x) // 32} batches: {watch.points[-1][1]:.1%}")

    def draw():
        fig = common.figure(10, 3.8)
        left, right = fig.subplots(1, 2)
        epochs = np.arange(1, len(curves["quadratic"]) + 1)
        left.plot(epochs, curves["quadratic"], color=style.WRONG, lw=2, label="quadratic cost")
        left.plot(epochs, curves["cross-entropy"], color=style.TRAIN, lw=2, label="cross-entropy")
        left.set_xlabel("epoch"), left.set_ylabel("output a (target 0)")
        left.set_title("One sigmoid neuron, starting wrong (w = b = 2)", fontsize=10)
        for (label, _, _, colour) in setups:
            batches, accuracy = zip(*results[label])
            right.plot(batches, accuracy, color=colour, lw=2)
            right.annotate(label, (batches[-1], accuracy[-1] + 0.04), ha="right", color=colour, fontsize=9)
        right.set_ylim(0, 1)
        right.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        right.set_xlabel("batches of 32"), right.set_ylabel("validation accuracy")
        right.set_title(f"784-100-10 (sigmoid, softmax) on {len(x):,} {source} digits", fontsize=10)
        left.legend(loc="center right")
        for ax in (left, right):
            ax.grid(True)
        fig.suptitle("The learning slowdown of squared error")
        return fig
    common.save(common.styled(draw), out, "cross_entropy_vs_mse.png")
    return {"neuron": curves, "mnist": results}


if __name__ == "__main__":
    common.main(run, __doc__.splitlines()[0])
