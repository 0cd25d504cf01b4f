"""Why ReLU rather than sigmoid: the derivatives, the gradient per layer, and dying ReLUs.

Three pictures for docs/activations.md:

* ``activations.png``: sigmoid, tanh and ReLU with their derivatives (sigma' <= 1/4);
* ``gradient_per_layer.png``: the size of dL/dW in each layer of three 10-layer networks
  at initialisation, on 256 MNIST digits;
* ``dying_relu.png``: the share of dead ReLUs in the first layer of the default MLP while
  Adam trains it at three learning rates.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

from glassnet import Sequential  # noqa: E402
from glassnet.callbacks import Callback  # noqa: E402
from glassnet.layers import Dense, Flatten  # noqa: E402
from glassnet.optimizers import Adam  # noqa: E402
from glassnet.workbench import zoo  # noqa: E402
from glassnet.workbench.doctor import forward_backward  # noqa: E402
from glassnet.workbench.plots import style  # noqa: E402


def sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def deep_net(activation, initializer, depth=10, width=64):
    """``depth`` Dense layers of ``width`` units (the last one a 10-way softmax)."""
    layers = [Flatten(input_shape=(28, 28))]
    layers += [Dense(width, activation=activation, kernel_initializer=initializer) for _ in range(depth - 1)]
    model = Sequential(layers + [Dense(10, activation="softmax", kernel_initializer=initializer)], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def gradient_per_layer(model, x, y):
    """Root mean square of dL/dW for every Dense layer, input side first."""
    model.predict(x[:1])                                     # build
    _, _, grads = forward_backward(model, x, y, training=False)
    return [float(np.sqrt(np.mean(g["kernel"].astype(np.float64) ** 2))) for g in grads if "kernel" in g]


class DeadShare(Callback):
    """Every ``every`` batches, the share of the first Dense layer's ReLUs that output 0
    for every one of the held-out images ``x``."""

    def __init__(self, x, y, every):
        super().__init__()
        self.x, self.y, self.every, self.points = x, y, every, []

    def on_batch_end(self, batch, logs=None):
        if batch % self.every == 0:
            hidden = forward_backward(self.model, self.x, self.y, training=False)[1][1]
            self.points.append((batch, float(np.mean((hidden <= 0).all(axis=0)))))


def run(quick=False, out=common.FIGURES):
    # 1. the functions and their slopes
    z = np.linspace(-6, 6, 601)
    s = sigmoid(z)
    curves = [("sigmoid", s, s * (1 - s), style.TRAIN), ("tanh", np.tanh(z), 1 - np.tanh(z) ** 2, style.VALIDATION),
              ("ReLU", np.maximum(z, 0), (z > 0).astype(float), style.RIGHT)]
    print(f"largest slope: sigmoid {max(c[2].max() for c in curves[:1]):.3f}, tanh {curves[1][2].max():.3f}")

    def draw_functions():
        fig = common.figure(9, 3.4)
        left, right = fig.subplots(1, 2)
        for name, f, df, colour in curves:
            left.plot(z, f, color=colour, lw=2, label=name)
            right.plot(z, df, color=colour, lw=2, label=f"{name}'")
        right.axhline(0.25, color=style.MUTED, ls=":", lw=1.2)
        right.annotate("1/4: the most a sigmoid passes back", (-6, 0.27), fontsize=9, color=style.MUTED)
        left.set_ylim(-1.2, 2.2), right.set_ylim(-0.05, 1.15)
        left.set_title("the activation f(z)"), right.set_title("its slope f'(z): what backprop multiplies by")
        for ax in (left, right):
            ax.grid(True), ax.set_xlabel("z"), ax.legend(loc="upper left")
        return fig
    common.save(common.styled(draw_functions), out, "activations.png")

    # 2. the gradient that reaches each layer of a 10-layer network
    x, y, _, _, source = common.digits(256)
    nets = [("sigmoid, Glorot (Keras's default init)", "sigmoid", "glorot_uniform", style.TRAIN),
            ("sigmoid, small N(0, 0.01²)", "sigmoid", "small_random", style.WRONG),
            ("ReLU, He", "relu", "he_normal", style.RIGHT)]
    sizes = {name: gradient_per_layer(deep_net(act, init), x, y) for name, act, init, _ in nets}
    for name, values in sizes.items():
        print(f"{name:40s} first layer / last layer: {values[0] / values[-1]:.1e}")

    def draw_gradients():
        fig = common.figure(7, 3.8)
        ax = fig.subplots()
        layers = np.arange(1, 11)
        for name, _, _, colour in nets:
            ax.plot(layers, sizes[name], marker="o", color=colour, lw=2, label=name)
        ax.set_yscale("log"), ax.grid(True), ax.set_xticks(layers)
        ax.set_xlabel("layer (1 = next to the input, 10 = the softmax layer)")
        ax.set_ylabel("RMS of dL/dW")
        ax.legend(loc="lower right")
        ax.set_title(f"Gradient per layer at initialisation, 10 Dense layers of 64\n"
                     f"(one batch of 256 {source} digits)", fontsize=10)
        return fig
    common.save(common.styled(draw_gradients), out, "gradient_per_layer.png")

    # 3. dying ReLUs: the first layer of the default MLP, trained at three rates
    n_train = 1600 if quick else 32000
    x, y, xv, yv, source = common.digits(n_train, 500 if quick else 1000)
    every = 10 if quick else 50
    runs = {}
    for rate in (1e-3, 1e-2, 1e-1):
        model = zoo.classic_mlp(seed=0)
        model.compile(optimizer=Adam(rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        watch = DeadShare(xv, yv, every)
        model.fit(x, y, epochs=1, batch_size=32, callbacks=[watch], verbose=0)
        runs[rate] = (watch.points, model.evaluate(xv, yv, verbose=0)[1])
        print(f"Adam {rate:g}: {watch.points[-1][1]:.0%} of the first layer's 128 ReLUs dead after "
              f"{len(x) // 32} batches; validation accuracy {runs[rate][1]:.1%}")

    def draw_dying():
        fig = common.figure(7, 3.6)
        ax = fig.subplots()
        for (rate, (points, accuracy)), colour in zip(runs.items(), (style.RIGHT, style.VALIDATION, style.WRONG)):
            batches, share = zip(*points)
            ax.plot(batches, share, color=colour, lw=2,
                    label=f"Adam {rate:g} (validation accuracy {accuracy:.1%})")
        ax.set_ylim(-0.03, 1.03), ax.grid(True)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_xlabel("batches of 32")
        ax.set_ylabel("dead ReLUs in layer 1")
        ax.legend(loc="center right")
        ax.set_title(f"Dying ReLU: units that output 0 for all of {len(xv):,} held-out digits\n"
                     f"(784-128-64-10 MLP, one epoch on {len(x):,} {source} digits)", fontsize=10)
        return fig
    common.save(common.styled(draw_dying), out, "dying_relu.png")
    return {"gradients": sizes, "dying": runs}


if __name__ == "__main__":
    common.main(run, __doc__.splitlines()[0])
