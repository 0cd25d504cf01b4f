"""Benchmark: the zoo's CNNs on full MNIST, glassnet against PyTorch and Keras (same network, same data).

The default network is ``glassnet train --arch cnn``'s: conv 32 3x3 relu, max pool 2, conv 64
3x3 relu, max pool 2, flatten, dense 128 relu, dropout 0.5, dense 10 softmax; Glorot-uniform
weights and zero biases; Adam (epsilon 1e-7) at the zoo's rate with its cosine decay over the
run; batch 128 over all 60,000 training images, reshuffled every epoch (no validation split,
so an epoch times training alone). ``--arch lenet5`` runs LeNet-5 instead (tanh, average
pooling, 5x5 kernels; constant rate).

For each framework it prints the seconds per epoch, the test accuracy after the epochs (3 by
default), the inference speed (images per second, batch 1000, best of 3 passes over the
10,000 test images) and the peak memory. Each framework runs in a child process of its own,
so that its peak memory is its own. PyTorch runs where ``import torch`` works
(``pip install torch==2.13.0``), and Keras where ``import keras`` works (``pip install
tensorflow-cpu``); the ratios follow. ``--split`` also times every glassnet layer's
forward and backward on one batch, next to its *arithmetic floor*: the time BLAS would need
for the layer's multiply-adds counted the direct way (im2col's), at the rate it reaches here
on a large matrix multiply (measured in the same run). A layer under its floor does less
arithmetic than the direct way (Winograd); the distance above it is memory traffic and
Python. A Conv2D and the MaxPooling2D the model runs fused with it are one row;
``--no-fuse`` runs them one by one, as glassnet did before (the "before" figures).
``--rounds N`` runs every framework N times, taking turns, and prints the median of the
rounds' ratios as well: this machine's speed drifts by tens of percent within minutes, so
one round's ratio can land anywhere in that range. Run it
alone, on 2 cores anything else running distorts the figures::

    flock /tmp/glassnet-heavy.lock python benchmarks/cnn_mnist.py [--epochs 3] [--threads N] [--split] [--no-fuse] [--rounds N]
"""

import argparse
import importlib.util
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import blas_gflops, blas_info, load_mnist_float, peak_memory_mb, run_child  # noqa: E402

BATCH = 128   # both zoo CNNs train with batch 128


def best_of(repeats, f):
    """The shortest of ``repeats`` wall-clock timings of ``f()``, in seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def run_glassnet(args):
    from glassnet.engine.layers import fused
    from glassnet.workbench import zoo
    fused.FUSE = not args.no_fuse
    (x, y), (x_test, y_test) = load_mnist_float(args.data_dir)
    loaded_mb = peak_memory_mb()
    arch = zoo.get(args.arch)
    model = arch.build(input_shape=(28, 28, 1), num_classes=10, seed=0)
    optimizer = arch.optimizer(steps=math.ceil(len(x) / BATCH) * args.epochs)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=args.epochs, batch_size=BATCH, verbose=0)
    epoch_seconds = model.training_log.seconds
    accuracy = model.evaluate(x_test, y_test, verbose=0)[1]
    infer = best_of(3, lambda: model.predict(x_test, batch_size=1000, verbose=0))
    result = {"threads": blas_info(), "epoch_seconds": epoch_seconds, "accuracy": accuracy,
              "images_per_second": len(x_test) / infer, "peak_mb": peak_memory_mb(),
              "data_mb": loaded_mb}
    if args.split:
        result["split"] = layer_split(model, x[:BATCH], y[:BATCH])
    return result


def layer_split(model, x, y, repeats=10):
    """Per layer: milliseconds per batch in forward and backward (best of ``repeats``) and
    the arithmetic floor of both; then the whole training step. A Conv2D and the
    MaxPooling2D that the model runs with it (glassnet.engine.layers.fused) are one row."""
    from glassnet.engine.layers import chunks
    from glassnet.engine.layers.fused import ConvPool
    x = x[..., np.newaxis]
    rate = blas_gflops() * 1e9                      # multiply-adds count 2 floating-point ops
    model.train_step(x, y)                          # sets which layers need an input gradient
    runs = []                                       # (name, object with forward/backward, layers)
    for step in model._run_steps():
        if isinstance(step.layer, ConvPool):
            runs.append((f"{step.layer.conv.name}+pool", step.layer, [step.layer.conv]))
        else:
            runs.append((step.layer.name, step.layer, [step.layer]))
    inputs = [x]
    for _, unit, _ in runs:
        inputs.append(unit.forward(inputs[-1], training=True))
    rows = []
    for (name, unit, layers), x_in, out in zip(runs, inputs, inputs[1:]):
        dy = np.random.default_rng(0).standard_normal(out.shape).astype(out.dtype)
        forward = best_of(repeats, lambda: unit.forward(x_in, training=True))
        unit.forward(x_in, training=True)
        backward = best_of(repeats, lambda: unit.backward(dy))
        macs = np.sum([multiply_adds(layer, len(x)) for layer in layers], axis=0)
        floor = (2 * macs[0] / rate, 2 * macs[1] / rate)
        rows.append([name, forward * 1e3, backward * 1e3, floor[0] * 1e3, floor[1] * 1e3])
    with chunks.hold_blas():                        # as fit runs its steps
        step = best_of(repeats, lambda: model.train_step(x, y))
    rows.append(["whole train_step", step * 1e3, None, sum(r[3] + r[4] for r in rows), None])
    return {"rows": rows, "gflops": rate / 1e9}


def multiply_adds(layer, n):
    """``(forward, backward)`` multiply-adds of a layer on ``n`` samples, counted the direct
    way: a convolution as im2col's matrix multiply, backward as one multiply for the
    weights' gradient and one for the input's (none for the first layer)."""
    kind = type(layer).__name__
    if kind == "Conv2D":
        oh, ow, f = layer.output_shape(layer.input_shape)
        kh, kw = layer.kernel_size
        forward = n * oh * ow * kh * kw * layer.input_shape[-1] * f
    elif kind == "Dense":
        forward = n * int(np.prod(layer.input_shape)) * layer.units
    else:
        return 0, 0
    return forward, forward * (2 if layer.needs_input_grad else 1)


def run_torch(args):
    import torch
    from torch import nn

    from glassnet.workbench import zoo
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    (x, y), (x_test, y_test) = load_mnist_float(args.data_dir)
    x, x_test = torch.from_numpy(x[:, None]), torch.from_numpy(x_test[:, None])   # NCHW
    y, y_test = torch.from_numpy(y), torch.from_numpy(y_test)
    loaded_mb = peak_memory_mb()
    if args.arch == "cnn":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    else:   # lenet5
        model = nn.Sequential(
            nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(),
            nn.Linear(84, 10))
    for module in model:
        if isinstance(module, (nn.Conv2d, nn.Linear)):   # Keras' (and glassnet's) defaults
            nn.init.xavier_uniform_(module.weight)
            nn.init.zeros_(module.bias)
    arch = zoo.get(args.arch)   # the same rate and the same schedule as glassnet's
    optimizer = torch.optim.Adam(model.parameters(), lr=arch.learning_rate, eps=1e-7)
    steps = math.ceil(len(x) / BATCH) * args.epochs
    floor = zoo.COSINE_FLOOR if arch.cosine_decay else 1.0
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=steps, eta_min=arch.learning_rate * floor)
    loss_fn = nn.CrossEntropyLoss()
    epoch_seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), BATCH):
            index = order[i:i + BATCH]
            optimizer.zero_grad()
            loss_fn(model(x[index]), y[index]).backward()
            optimizer.step()
            schedule.step()
        epoch_seconds.append(time.perf_counter() - start)
    model.eval()

    def predict():
        with torch.no_grad():
            return torch.cat([model(x_test[i:i + 1000]) for i in range(0, len(x_test), 1000)])

    accuracy = (predict().argmax(1) == y_test).float().mean().item()
    infer = best_of(3, predict)
    return {"threads": f"torch {torch.__version__}: {torch.get_num_threads()} threads",
            "epoch_seconds": epoch_seconds, "accuracy": accuracy,
            "images_per_second": len(x_test) / infer, "peak_mb": peak_memory_mb(),
            "data_mb": loaded_mb}


def run_keras(args):
    import keras
    import tensorflow as tf

    from glassnet.workbench import zoo
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    keras.utils.set_random_seed(0)
    (x, y), (x_test, y_test) = load_mnist_float(args.data_dir)
    x, x_test = x[..., None], x_test[..., None]                                  # NHWC, as glassnet
    loaded_mb = peak_memory_mb()
    layers = keras.layers   # Keras' defaults are glassnet's: Glorot-uniform, zero biases
    if args.arch == "cnn":
        body = [layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Flatten(), layers.Dense(128, activation="relu"),
                layers.Dropout(0.5), layers.Dense(10, activation="softmax")]
    else:   # lenet5
        body = [layers.Conv2D(6, 5, padding="same", activation="tanh"), layers.AveragePooling2D(2),
                layers.Conv2D(16, 5, activation="tanh"), layers.AveragePooling2D(2),
                layers.Flatten(), layers.Dense(120, activation="tanh"),
                layers.Dense(84, activation="tanh"), layers.Dense(10, activation="softmax")]
    model = keras.Sequential([keras.Input((28, 28, 1))] + body)
    arch = zoo.get(args.arch)   # the same rate and the same schedule as glassnet's
    steps = math.ceil(len(x) / BATCH) * args.epochs
    rate = (keras.optimizers.schedules.CosineDecay(arch.learning_rate, steps, alpha=zoo.COSINE_FLOOR)
            if arch.cosine_decay else arch.learning_rate)
    model.compile(optimizer=keras.optimizers.Adam(rate, epsilon=1e-7),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    class EpochTimes(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            epoch_seconds.append(time.perf_counter() - self.start)

    epoch_seconds = []
    model.fit(x, y, epochs=args.epochs, batch_size=BATCH, verbose=0, callbacks=[EpochTimes()])
    accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)[1]
    infer = best_of(3, lambda: model.predict(x_test, batch_size=1000, verbose=0))
    return {"threads": f"keras {keras.__version__} (TF {tf.__version__}): {args.threads} intra-op threads",
            "epoch_seconds": epoch_seconds, "accuracy": accuracy,
            "images_per_second": len(x_test) / infer, "peak_mb": peak_memory_mb(),
            "data_mb": loaded_mb}


RUNNERS = {"glassnet": run_glassnet, "torch": run_torch, "keras": run_keras}
FRAMEWORKS = {"torch": "torch (pip install torch==2.13.0)", "keras": "keras (pip install tensorflow-cpu)"}


def report(name, r):
    seconds = r["epoch_seconds"]
    print(f"{name:8s} {np.mean(seconds):6.2f} s/epoch ({', '.join(f'{s:.2f}' for s in seconds)})  "
          f"test accuracy {r['accuracy']:.2%}  inference {r['images_per_second']:,.0f} images/s  "
          f"peak memory {r['peak_mb']:,.0f} MB ({r['data_mb']:,.0f} MB after loading the data)  "
          f"[{r['threads']}]", flush=True)
    if "split" in r:
        print(f"    one batch of {BATCH}, ms (best of 10); floor: the direct multiply-adds at "
              f"{r['split']['gflops']:.0f} GFLOP/s (this run's large matrix multiply)")
        print(f"    {'layer':18s} {'forward':>8s} {'backward':>8s} {'floor fwd':>10s} {'floor bwd':>10s}")
    for layer, forward, backward, floor_f, floor_b in r.get("split", {}).get("rows", []):
        if backward is None:
            print(f"    {layer:18s} {forward:8.2f}          {'':10s} {floor_f:10.2f} (all layers)")
        else:
            print(f"    {layer:18s} {forward:8.2f} {backward:8.2f} {floor_f:10.2f} {floor_b:10.2f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arch", choices=["cnn", "lenet5"], default="cnn",
                        help="the zoo network to train (default: cnn)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="BLAS / intra-op threads (default: every core)")
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: ../shared/data/mnist)")
    parser.add_argument("--only", choices=sorted(RUNNERS), action="append")
    parser.add_argument("--split", action="store_true", help="also time each glassnet layer")
    parser.add_argument("--no-fuse", action="store_true",
                        help="run glassnet's Conv2D and MaxPooling2D layers one by one, not fused")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every framework this many times, taking turns, and also print the "
                             "median of the rounds' ratios (the machine's speed drifts; default 1)")
    parser.add_argument("--child", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:   # inside the child process: run one framework, answer in JSON
        from threadpoolctl import threadpool_limits
        with threadpool_limits(args.threads):
            print(json.dumps(RUNNERS[args.child](args)))
        return 0

    print(f"{args.arch} on MNIST: batch {BATCH}, {args.epochs} epochs, {args.threads} threads, "
          f"{os.cpu_count()} cores", flush=True)
    names = []
    for name in args.only or list(RUNNERS):
        if name in FRAMEWORKS and importlib.util.find_spec(name) is None:
            print(f"{name:8s} not installed: {FRAMEWORKS[name]}; skipped")
            continue
        names.append(name)
    ratios = {}      # other framework -> one (epoch, fastest epoch, inference) ratio per round
    for round_number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"-- round {round_number} of {args.rounds}", flush=True)
        results = {}
        for name in names:
            options = ["--child", name, "--arch", args.arch, "--epochs", args.epochs, "--threads", args.threads]
            options += ["--data-dir", args.data_dir] if args.data_dir else []
            options += (["--split"] if args.split else []) + (["--no-fuse"] if args.no_fuse else [])
            env_threads = str(args.threads)
            os.environ.update(OMP_NUM_THREADS=env_threads, OPENBLAS_NUM_THREADS=env_threads)
            results[name] = run_child(__file__, *options)
            report(name, results[name])
        for other in ("torch", "keras"):
            if {"glassnet", other} <= results.keys():
                g, t = results["glassnet"], results[other]
                epoch_ratio = np.mean(g["epoch_seconds"]) / np.mean(t["epoch_seconds"])
                best_ratio = min(g["epoch_seconds"]) / min(t["epoch_seconds"])
                speed_ratio = g["images_per_second"] / t["images_per_second"]
                ratios.setdefault(other, []).append((epoch_ratio, best_ratio, speed_ratio))
                print(f"glassnet / {other}: epoch time {epoch_ratio:.2f}x (fastest epochs {best_ratio:.2f}x), "
                      f"inference speed {speed_ratio:.2f}x, "
                      f"peak memory {g['peak_mb'] / t['peak_mb']:.2f}x")
    if args.rounds > 1:
        for other, rows in ratios.items():
            epoch, best, speed = (np.array(column) for column in zip(*rows))
            print(f"over {len(rows)} rounds, glassnet / {other}: epoch time median {np.median(epoch):.2f}x "
                  f"({', '.join(f'{v:.2f}' for v in epoch)}), fastest epochs median {np.median(best):.2f}x, "
                  f"inference speed median {np.median(speed):.2f}x ({', '.join(f'{v:.2f}' for v in speed)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
