"""Batch size and learning rate: gradient noise, time per epoch, and the rate each batch wants.

One picture for docs/batch_size_and_learning_rate.md, ``batch_size.png``, three panels:

* the noise of a mini-batch gradient against the batch size (it falls like 1/sqrt(B));
* the time of one epoch and the number of steps in it;
* for SGD and for Adam, the validation loss after one epoch against the learning rate, one
  curve per batch size: where the best rate lies, and how it moves with the batch.

Times depend on the machine and on what else runs; the script prints them with the BLAS
thread count.
"""

import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from glassnet.optimizers import SGD, Adam  # noqa: E402
from glassnet.workbench import zoo  # noqa: E402
from glassnet.workbench.doctor import forward_backward  # noqa: E402
from glassnet.workbench.plots import style  # noqa: E402


def mlp(optimizer):
    model = zoo.classic_mlp(seed=0)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.predict(np.zeros((1, 28, 28), np.float32))   # build
    return model


def flat_gradient(model, x, y):
    """Every weight gradient of one forward/backward pass, as one vector."""
    grads = forward_backward(model, x, y, training=False)[2]
    return np.concatenate([g.ravel() for layer in grads for g in layer.values()]).astype(np.float64)


def gradient_noise(model, x, y, sizes, draws, rng):
    """For each batch size B: RMS distance of a B-sample gradient from the full-data one,
    relative to the full gradient's length."""
    full = flat_gradient(model, x, y)
    noise = []
    for b in sizes:
        gaps = [np.sum((flat_gradient(model, x[i], y[i]) - full) ** 2)
                for i in (rng.choice(len(x), b, replace=False) for _ in range(draws))]
        noise.append(float(np.sqrt(np.mean(gaps)) / np.linalg.norm(full)))
    return noise


def run(quick=False, out=common.FIGURES):
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    x, y, x_val, y_val, source = common.digits(2000 if quick else 12000, 500 if quick else 2000)
    rng = np.random.default_rng(0)

    # 1. gradient noise, at the start of training
    sizes = [1, 16, 256] if quick else [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    noise = gradient_noise(mlp(Adam()), x[:1024] if quick else x[:8192], y[:1024] if quick else y[:8192],
                           sizes, 5 if quick else 20, rng)
    for b, n in zip(sizes, noise):
        print(f"batch {b:5d}: gradient noise {n:.3f} of the full gradient's length")

    # 2. time per epoch (one epoch over x, Adam, no validation)
    timed = [16, 256] if quick else [8, 16, 32, 64, 128, 256, 512, 1024]
    seconds = []
    for b in timed:
        model = mlp(Adam())
        start = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=b, verbose=0)
        seconds.append(time.perf_counter() - start)
        print(f"batch {b:5d}: {-(-len(x) // b):5d} steps, one epoch in {seconds[-1]:.2f} s "
              f"(OPENBLAS_NUM_THREADS={threads})")

    # 3. the best learning rate per batch size: one epoch at each rate of a grid
    grid = 10.0 ** np.arange(-3, -0.9, 1.0) if quick else 10.0 ** np.arange(-4, 0.1, 0.5)
    tested = [16, 128] if quick else [8, 32, 128, 512]
    losses = {}
    for name, make in (("SGD", SGD), ("Adam", Adam)):
        for b in tested:
            row = []
            for rate in grid:
                model = mlp(make(rate))
                model.fit(x, y, epochs=1, batch_size=b, verbose=0)
                loss = model.evaluate(x_val, y_val, verbose=0)[0]
                row.append(loss if np.isfinite(loss) else np.nan)
            losses[name, b] = row
            print(f"{name:4s} batch {b:4d}: best rate {grid[int(np.nanargmin(row))]:.2g} "
                  f"(validation loss {np.nanmin(row):.3f} after one epoch)")

    def draw():
        fig = common.figure(11, 7.5)
        (a, b), (c, d) = fig.subplots(2, 2)
        a.loglog(sizes, noise, marker="o", color=style.TRAIN, lw=2, label="measured")
        a.loglog(sizes, noise[0] / np.sqrt(sizes), ls=":", color=style.MUTED, label="1 / sqrt(B)")
        a.set_xlabel("batch size B"), a.set_ylabel("|g_B - g| / |g|  (RMS over draws)")
        a.set_title("Noise of a mini-batch gradient, at the start", fontsize=10)
        a.legend(loc="upper right")
        b.loglog(timed, seconds, marker="o", color=style.TRAIN, lw=2, label="seconds per epoch")
        b.set_xlabel("batch size B"), b.set_ylabel("seconds per epoch", color=style.TRAIN)
        steps = b.twinx()
        steps.loglog(timed, [-(-len(x) // t) for t in timed], marker="s", ls="--", color=style.VALIDATION,
                     lw=1.5, label="steps per epoch")
        steps.set_ylabel("steps per epoch", color=style.VALIDATION)
        b.set_title(f"One epoch of {len(x):,} digits (Adam, {threads} BLAS thread{'s' * (threads != '1')})",
                    fontsize=10)
        for ax, name in ((c, "SGD"), (d, "Adam")):
            for size, colour in zip(tested, style.CLASS_COLORS):
                row = losses[name, size]
                ax.plot(grid, row, marker="o", markersize=3.5, color=colour, lw=1.8, label=f"batch {size}")
                best = int(np.nanargmin(row))
                ax.plot(grid[best], row[best], marker="*", markersize=14, color=colour,
                        markeredgecolor="white", zorder=5)
            ax.set_xscale("log"), ax.set_ylim(0, 2.5)
            ax.set_xlabel("learning rate"), ax.set_ylabel(f"validation loss after 1 epoch")
            ax.set_title(f"{name}: the best rate (star) for each batch size", fontsize=10)
            ax.legend(loc="lower left" if name == "SGD" else "upper center")
        for ax in (a, b, c, d):
            ax.grid(True, which="major")
        fig.suptitle(f"Batch size and learning rate: the default MLP on {source} digits")
        return fig
    common.save(common.styled(draw), out, "batch_size.png")
    return {"noise": dict(zip(sizes, noise)), "seconds": dict(zip(timed, seconds)), "losses": losses}


if __name__ == "__main__":
    common.main(run, __doc__.splitlines()[0])
