"""Benchmark: does ``to_mnist`` make photos and scans of digits as readable as MNIST itself?

Each MNIST test digit is turned into a "photo" of the kind a user takes
(:func:`glassnet.datasets.photos.photograph`, shared with ``not_a_digit.py``): dark ink on
light (not white) paper, 2-5 times the size, off-center on a bigger page, turned a few
degrees, under a lighting gradient, with a little blur and sensor noise, saved as JPEG
(or PNG, as a scanner would). The photo goes through the same path as ``glassnet
predict`` (file bytes -> ``to_mnist`` -> model), and the accuracy is compared with the
model's accuracy on the very same digits, raw. Target: within 1 point.

    flock /tmp/glassnet-heavy.lock python benchmarks/own_images.py [--model mnist-mlp.npz]
        [--count 2000] [--data-dir ../shared/data/mnist] [--save-examples DIR]

Without ``--model`` it trains the classic MLP on full MNIST first (about 10 epochs of
the Keras tutorial; run it under the heavy-work lock).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from glassnet.datasets.photos import photograph

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "mnist"


def train_classic_mlp(x_train, y_train, epochs):
    from glassnet.engine.optimizers import Adam
    from glassnet.workbench.zoo import classic_mlp
    model = classic_mlp(seed=0)
    model.compile(optimizer=Adam(1e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, validation_split=0.2, verbose=0)
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", help="a saved model (default: train the classic MLP now)")
    parser.add_argument("--save-model", help="where to save the model trained here")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--count", type=int, default=2000, help="test digits to photograph")
    parser.add_argument("--data-dir", default=str(DEFAULT_DATA))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save-examples", metavar="DIR", help="write the first 20 photos here")
    args = parser.parse_args(argv)

    from glassnet.datasets import mnist
    from glassnet.engine.saving import load_model
    from glassnet.workbench.preprocess import to_mnist

    if not os.path.isdir(args.data_dir):
        sys.exit(f"MNIST not found at {args.data_dir}; pass --data-dir")
    (x_train, y_train), (x_test, y_test) = mnist.load_data(args.data_dir)
    if args.model:
        model = load_model(args.model)
        print(f"model: {args.model}")
    else:
        start = time.perf_counter()
        model = train_classic_mlp(x_train / np.float32(255), y_train, args.epochs)
        print(f"trained the classic MLP for {args.epochs} epochs in {time.perf_counter() - start:.1f}s")
        if args.save_model:   # with what glassnet serve shows: name, dataset, test accuracy
            _, accuracy = model.evaluate(x_test / np.float32(255), y_test, verbose=0)
            model.settings.update(arch="mlp", dataset="mnist", test_accuracy=accuracy,
                                  class_names=[str(d) for d in range(10)])
            model.save(args.save_model)

    rng = np.random.default_rng(args.seed)
    pick = rng.choice(len(x_test), size=min(args.count, len(x_test)), replace=False)
    digits, labels = x_test[pick], y_test[pick]
    raw = model.predict(digits / np.float32(255), verbose=0).argmax(axis=1)

    start = time.perf_counter()
    photos = [photograph(d, rng) for d in digits]
    made = time.perf_counter() - start
    start = time.perf_counter()
    seen, blank = [], 0
    for i, photo in enumerate(photos):
        try:
            seen.append(to_mnist(photo, name=f"photo {i}"))
        except Exception as error:   # a benchmark counts failures instead of stopping
            blank += 1
            print(f"  {error}")
            seen.append(np.zeros((28, 28), np.float32))
    prepared = time.perf_counter() - start
    guess = model.predict(np.stack(seen), verbose=0).argmax(axis=1)

    if args.save_examples:
        folder = Path(args.save_examples)
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(min(20, len(photos))):
            (folder / f"photo{i:02d}-label{labels[i]}.jpg").write_bytes(photos[i])

    raw_accuracy, photo_accuracy = np.mean(raw == labels), np.mean(guess == labels)
    print(f"{len(labels):,} MNIST test digits (photos made in {made:.1f}s, to_mnist "
          f"{1000 * prepared / len(labels):.1f} ms each, {blank} unreadable)")
    print(f"raw test accuracy:        {raw_accuracy:.2%}")
    print(f"photographed, to_mnist:   {photo_accuracy:.2%}")
    gap = 100 * (raw_accuracy - photo_accuracy)
    print(f"gap: {gap:+.2f} points (target: within 1 point) -> {'OK' if abs(gap) <= 1 else 'MISSED'}")
    return 0 if abs(gap) <= 1 else 1


if __name__ == "__main__":
    sys.exit(main())
