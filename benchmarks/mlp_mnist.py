"""Benchmark: the classic first-network MLP on full MNIST, glassnet against the frameworks.

Setup (the issue's, identical for every framework): 784-128-64-10 with ReLU and dropout 0.2,
softmax + cross-entropy, Adam(1e-3), batch 32, 10 epochs, the first 48,000 training images
to train and the last 12,000 to validate after every epoch, then the 10,000 test images.

It prints the fit time, seconds per epoch, test accuracy and peak memory for glassnet, for a
bare NumPy loop doing the same arithmetic (glassnet's time minus its time is what the
abstractions cost), and for PyTorch and Keras where they are installed, and the ratios. Each
runs in a child process of its own, so its peak memory is its own and no framework's thread
pool slows another's. Run it alone: on 2 cores anything else running distorts the figures.

    python benchmarks/mlp_mnist.py [--epochs 10] [--data-dir ../shared/data/mnist] [--threads N] [--rounds N]

``--rounds N`` runs every framework N times, taking turns, and prints the median of the
rounds' ratios too: this machine's speed drifts by tens of percent within minutes.
"""

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import blas_info, load_mnist_float, peak_memory_mb, run_child  # noqa: E402

FRAMEWORKS = {"torch": "torch", "keras": "keras"}   # runner -> the module it needs


def load(data_dir):
    """The issue's split: the first 48,000 training images to train, the last 12,000 to validate."""
    (x_train, y_train), (x_test, y_test) = load_mnist_float(data_dir)
    return (x_train[:48000], y_train[:48000]), (x_train[48000:], y_train[48000:]), (x_test, y_test)


def run_glassnet(data, epochs):
    from glassnet import Sequential
    from glassnet.layers import Dense, Dropout, Flatten
    (x, y), (x_val, y_val), (x_test, y_test) = data
    model = Sequential([
        Flatten(input_shape=(28, 28)),
        Dense(128, activation="relu"), Dropout(0.2),
        Dense(64, activation="relu"), Dropout(0.2),
        Dense(10, activation="softmax"),
    ], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=32, validation_data=(x_val, y_val), verbose=0)
    seconds = time.perf_counter() - start
    return seconds, model.evaluate(x_test, y_test, verbose=0)[1]


def run_lean(data, epochs):
    """The same network as a bare NumPy loop, no classes: the floor for glassnet's machinery.

    glassnet's time minus this one is what the layer, loss and optimizer abstractions cost.
    """
    (x, y), (x_val, y_val), (x_test, y_test) = data
    x, x_val, x_test = (a.reshape(len(a), -1) for a in (x, x_val, x_test))
    rng = np.random.default_rng(0)
    sizes = [784, 128, 64, 10]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        limit = np.sqrt(6 / (fan_in + fan_out))
        params += [rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32),
                   np.zeros(fan_out, np.float32)]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]

    start = time.perf_counter()
    t = 0
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for i in range(0, len(x), 32):
            index = order[i:i + 32]
            xb, yb = x[index], y[index]
            # forward, keeping each layer's input
            a0 = xb
            z1 = a0 @ params[0] + params[1]; r1 = z1 > 0
            m1 = (rng.random(z1.shape, dtype=np.float32) < 0.8) * np.float32(1.25)
            a1 = np.maximum(z1, 0) * m1
            z2 = a1 @ params[2] + params[3]; r2 = z2 > 0
            m2 = (rng.random(z2.shape, dtype=np.float32) < 0.8) * np.float32(1.25)
            a2 = np.maximum(z2, 0) * m2
            z3 = a2 @ params[4] + params[5]
            p = np.exp(z3 - z3.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
            # backward: (p - y) / N, then the chain rule
            d3 = p; d3[np.arange(len(yb)), yb] -= 1; d3 /= len(yb)
            grads = [None] * 6
            grads[4], grads[5] = a2.T @ d3, d3.sum(0)
            d2 = (d3 @ params[4].T) * m2 * r2
            grads[2], grads[3] = a1.T @ d2, d2.sum(0)
            d1 = (d2 @ params[2].T) * m1 * r1
            grads[0], grads[1] = a0.T @ d1, d1.sum(0)
            # Adam
            t += 1
            lr_t = 1e-3 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            for p_, g, m_, v_ in zip(params, grads, m, v):
                m_ += 0.1 * (g - m_)
                v_ += 0.001 * (g * g - v_)
                p_ -= np.float32(lr_t) * m_ / (np.sqrt(v_) + np.float32(1e-7))
        # the validation pass every epoch, as the frameworks do (its result is not used)
        _ = np.maximum(np.maximum(x_val @ params[0] + params[1], 0) @ params[2] + params[3], 0) @ params[4]
    seconds = time.perf_counter() - start
    h = np.maximum(np.maximum(x_test @ params[0] + params[1], 0) @ params[2] + params[3], 0)
    accuracy = float(np.mean((h @ params[4] + params[5]).argmax(1) == y_test))
    return seconds, accuracy


def run_torch(data, epochs):
    import torch
    from torch import nn
    torch.manual_seed(0)
    (x, y), (x_val, y_val), (x_test, y_test) = [(torch.from_numpy(a), torch.from_numpy(b.astype(np.int64)))
                                                 for a, b in data]
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2),
                          nn.Linear(128, 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x))
        for i in range(0, len(x), 32):
            index = order[i:i + 32]
            optimizer.zero_grad()
            loss = loss_fn(model(x[index]), y[index])
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():  # validation after every epoch, like Keras and glassnet
            loss_fn(model(x_val), y_val).item()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    return seconds, accuracy


def run_keras(data, epochs):
    import keras
    (x, y), (x_val, y_val), (x_test, y_test) = data
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((28, 28)), keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"), keras.layers.Dropout(0.2),
        keras.layers.Dense(64, activation="relu"), keras.layers.Dropout(0.2),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x, y, epochs=epochs, batch_size=32, validation_data=(x_val, y_val), verbose=0)
    seconds = time.perf_counter() - start
    return seconds, model.evaluate(x_test, y_test, verbose=0)[1]


RUNNERS = {"glassnet": run_glassnet, "lean-numpy": run_lean, "torch": run_torch, "keras": run_keras}


def threads_of(name):
    """What the runner computes with: the BLAS NumPy uses, or the framework's own pool."""
    if name == "torch":
        import torch
        return f"torch {torch.__version__}: {torch.get_num_threads()} threads"
    if name == "keras":
        import tensorflow as tf
        return (f"keras {sys.modules['keras'].__version__} (TF {tf.__version__}): "
                f"{tf.config.threading.get_intra_op_parallelism_threads() or 'default'} intra-op threads")
    return blas_info()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data-dir", default=None, help="MNIST folder (default: $GLASSNET_DATA, "
                                                         "then ../shared/data/mnist)")
    parser.add_argument("--threads", type=int, default=None, help="BLAS / intra-op threads (default: as found)")
    parser.add_argument("--only", choices=sorted(RUNNERS), action="append")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run every framework this many times, taking turns, and print the median "
                             "of the rounds' ratios (the machine's speed drifts; default 1)")
    parser.add_argument("--child", choices=sorted(RUNNERS), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:   # inside the child process: one runner, answered in JSON on the last line
        from threadpoolctl import threadpool_limits
        if args.child == "torch" and args.threads:
            import torch
            torch.set_num_threads(args.threads)
        with threadpool_limits(args.threads):
            data = load(args.data_dir)
            seconds, accuracy = RUNNERS[args.child](data, args.epochs)
            print(json.dumps({"seconds": seconds, "accuracy": accuracy, "peak_mb": peak_memory_mb(),
                              "threads": threads_of(args.child)}))
        return 0

    if args.threads:
        os.environ.update(OMP_NUM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
    print(f"classic MLP on MNIST: batch 32, {args.epochs} epochs, 48k/12k split; "
          f"{os.cpu_count()} CPU cores; BLAS here: {blas_info()}", flush=True)
    names = []
    for name in args.only or RUNNERS:
        module = FRAMEWORKS.get(name)
        if module and importlib.util.find_spec(module) is None:
            print(f"{name:10s} not installed; skipped")
            continue
        names.append(name)
    ratios = {}          # other runner -> glassnet's fit time over its, one per round
    for round_number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"-- round {round_number} of {args.rounds}", flush=True)
        results = {}
        for name in names:
            options = ["--child", name, "--epochs", args.epochs]
            options += ["--data-dir", args.data_dir] if args.data_dir else []
            options += ["--threads", args.threads] if args.threads else []
            r = results[name] = run_child(__file__, *options)
            print(f"{name:10s} fit {r['seconds']:6.2f} s  ({r['seconds'] / args.epochs:.2f} s/epoch)  "
                  f"test accuracy {r['accuracy']:.2%}  peak memory {r['peak_mb']:,.0f} MB  [{r['threads']}]",
                  flush=True)
        if "glassnet" in results:
            for name in ("lean-numpy", "torch", "keras"):
                if name in results:
                    ratio = results["glassnet"]["seconds"] / results[name]["seconds"]
                    ratios.setdefault(name, []).append(ratio)
                    print(f"glassnet / {name} fit time: {ratio:.2f}x", flush=True)
    if args.rounds > 1:
        for name, values in ratios.items():
            print(f"over {len(values)} rounds, glassnet / {name} fit time: median {np.median(values):.2f}x "
                  f"({', '.join(f'{v:.2f}' for v in values)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
