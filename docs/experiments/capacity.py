"""Underfitting, overfitting and bias-variance: capacity against validation loss.

One picture for docs/bias_variance.md, ``capacity.png``: networks with one hidden layer of
1 to 512 ReLUs, each trained the same way on the same 1,000 MNIST digits. Left: training
loss, validation loss at the end, and validation loss at its best epoch, against the
hidden layer's size. Right: the validation loss epoch by epoch for three of the sizes.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from glassnet import Sequential  # noqa: E402
from glassnet.layers import Dense, Flatten  # noqa: E402
from glassnet.workbench.plots import style  # noqa: E402


def network(units, seed=0):
    """784 -> ``units`` ReLUs -> 10: the hidden layer's size is the capacity knob."""
    model = Sequential([Flatten(input_shape=(28, 28)), Dense(units, activation="relu"),
                        Dense(10, activation="softmax")], seed=seed)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def run(quick=False, out=common.FIGURES):
    n_train = 300 if quick else 1000
    x, y, xv, yv, source = common.digits(n_train, 300 if quick else 2000)
    sizes = [2, 16, 128] if quick else [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]
    shown = [2, 16, 128] if quick else [2, 16, 512]
    epochs = 10 if quick else 60
    rows, curves = [], {}
    for units in sizes:
        model = network(units)
        history = model.fit(x, y, epochs=epochs, batch_size=32, validation_data=(xv, yv), verbose=0).history
        train_loss = model.evaluate(x, y, verbose=0)[0]
        val = history["val_loss"]
        rows.append((units, train_loss, val[-1], min(val), int(np.argmin(val)) + 1))
        curves[units] = val
        print(f"{units:4d} hidden units ({model.count_params():7,d} weights): training loss {train_loss:.3f}; "
              f"validation loss {val[-1]:.3f} at the end, {min(val):.3f} at its best epoch ({rows[-1][4]}); "
              f"validation accuracy {history['val_accuracy'][-1]:.1%}")
    units, train_loss, val_last, val_best, _ = map(np.array, zip(*rows))

    def draw():
        fig = common.figure(11, 4)
        left, right = fig.subplots(1, 2)
        left.plot(units, train_loss, marker="o", color=style.TRAIN, lw=2, label="training loss (end)")
        left.plot(units, val_last, marker="o", color=style.VALIDATION, lw=2, ls="--",
                  label="validation loss (end)")
        left.plot(units, val_best, marker="s", color=style.RIGHT, lw=1.5, ls=":",
                  label="validation loss (best epoch)")
        left.set_xscale("log", base=2), left.set_yscale("log")
        left.set_xlabel("hidden units H (784-H-10, ReLU)"), left.set_ylabel("cross-entropy (log scale)")
        left.set_title("Capacity: underfitting on the left, a growing gap on the right", fontsize=10)
        left.legend(loc="lower left")
        for size, colour in zip(shown, (style.WRONG, style.VALIDATION, style.TRAIN)):
            right.plot(np.arange(1, epochs + 1), curves[size], color=colour, lw=2, label=f"H = {size}")
        right.set_xlabel("epoch"), right.set_ylabel("validation loss")
        right.set_title("Validation loss while training: big networks overfit in time", fontsize=10)
        right.legend(loc="upper right")
        for ax in (left, right):
            ax.grid(True)
        fig.suptitle(f"{len(x):,} {source} training digits, {len(xv):,} validation digits, "
                     f"{epochs} epochs of Adam (batch 32) for every network")
        return fig
    common.save(common.styled(draw), out, "capacity.png")
    return rows


if __name__ == "__main__":
    common.main(run, __doc__.splitlines()[0])
