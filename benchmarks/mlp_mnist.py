"""Benchmark: the classic first-network MLP on full MNIST, glassnet against the frameworks.

Setup (the issue's, identical for every framework): 784-128-64-10 with ReLU and dropout 0.2,
softmax + cross-entropy, Adam(1e-3), batch 32, 10 epochs, the first 48,000 training images
to train and the last 12,000 to validate after every epoch, then the 10,000 test images.

It prints the fit time, seconds per epoch, test accuracy and peak memory for glassnet, for a
bare NumPy loop doing the same arithmetic (glassnet's time minus its time is what the
abstractions cost), and for PyTorch and Keras where they are installed, and the ratios. Run it alone: on
2 cores anything else running at the same time distorts the figures.

    python benchmarks/mlp_mnist.py [--epochs 10] [--data-dir ../shared/data/mnist] [--threads N]
"""

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist"


def blas_threads():
    return ", ".join(f"{i['internal_api']} {i['num_threads']} threads" for i in threadpool_info()) or "no BLAS found"


def peak_rss_mb():
    """Peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load(data_dir):
    from glassnet.datasets import mnist
    (x_train, y_train), (x_test, y_test) = mnist.load_data(data_dir)
    scale = np.float32(1 / 255)
    x_train = x_train.astype(np.float32) * scale
    x_test = x_test.astype(np.float32) * scale
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
        z_val = np.maximum(np.maximum(x_val @ params[0] + params[1], 0) @ params[2] + params[3], 0) @ params[4]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data-dir", default=os.environ.get("GLASSNET_DATA", DEFAULT_DATA))
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: as found)")
    parser.add_argument("--only", choices=("glassnet", "lean-numpy", "torch", "keras"), action="append")
    args = parser.parse_args()

    data = load(args.data_dir)
    runners = {"glassnet": run_glassnet, "lean-numpy": run_lean, "torch": run_torch, "keras": run_keras}
    results = {}
    with threadpool_limits(args.threads):
        if args.threads:
            os.environ["OMP_NUM_THREADS"] = str(args.threads)
        print(f"BLAS: {blas_threads()}; CPU cores: {os.cpu_count()}; epochs: {args.epochs}", flush=True)
        for name in args.only or runners:
            try:
                if name == "torch":
                    import torch
                    torch.set_num_threads(args.threads or torch.get_num_threads())
            except ImportError:
                pass
            try:
                seconds, accuracy = runners[name](data, args.epochs)
            except ImportError as error:
                print(f"{name:9s} not installed ({error.name}); skipped")
                continue
            results[name] = seconds
            print(f"{name:10s} fit {seconds:6.2f} s  ({seconds / args.epochs:.2f} s/epoch)  "
                  f"test accuracy {accuracy:.2%}  peak RSS so far {peak_rss_mb():.0f} MB", flush=True)
    if "glassnet" in results:
        for name in ("lean-numpy", "torch", "keras"):
            if name in results:
                print(f"glassnet / {name} fit time: {results['glassnet'] / results[name]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
