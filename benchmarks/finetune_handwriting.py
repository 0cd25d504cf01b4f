"""Benchmark: does fine-tuning teach a model one writer's hand without forgetting MNIST?

The writer is made up (:func:`glassnet.datasets.writer.writer_digits`: slanted, narrow,
bold digits with a wobble), so no model has seen it. The user "corrects" 10 digits of each
class: they are written to a collection folder (``DIR/<label>/<n>.png``, as the drawing page
does), read back, and the model is fine-tuned on them mixed with MNIST
(:func:`glassnet.workbench.handwriting.finetune`). Scored before and after: 500 *other*
digits by the same writer, and the 10,000 MNIST test digits. For comparison, the same
fine-tuning on the writer's digits alone, without MNIST, shows what mixing prevents.

    flock /tmp/glassnet-heavy.lock python benchmarks/finetune_handwriting.py [--mlp MLP.npz]
        [--cnn CNN.npz] [--per-digit 10] [--data-dir ../shared/data/mnist]

Without ``--mlp`` / ``--cnn`` the default model is trained here first.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_MNIST, blas_info, load_mnist_float, mlp_and_cnn  # noqa: E402
from not_a_digit import train  # noqa: E402


def accuracy(model, x, y):
    return float(np.mean(model.predict(x, verbose=0).argmax(axis=1) == y))


def alone(model, user_x, user_y, seed=0):
    """The same fine-tuning (rate, epochs, samples per epoch) on the user's digits only."""
    from glassnet.engine.optimizers import Adam
    from glassnet.workbench import handwriting
    model.compile(optimizer=Adam(handwriting.LEARNING_RATE), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    per_epoch = round(handwriting.MNIST_PER_EPOCH / (1 - handwriting.USER_SHARE))
    rows = np.resize(np.arange(len(user_x)), per_epoch)
    model.fit(user_x[rows], user_y[rows], epochs=handwriting.EPOCHS, batch_size=32, verbose=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mlp", help="a saved default MLP (default: train it now)")
    parser.add_argument("--cnn", help="a saved default CNN (default: train it now)")
    parser.add_argument("--only", choices=["mlp", "cnn"], help="benchmark one model only")
    parser.add_argument("--per-digit", type=int, default=10, help="the user's corrected digits per class")
    parser.add_argument("--test-per-digit", type=int, default=50, help="the writer's digits scored per class")
    parser.add_argument("--data-dir", default=os.environ.get("GLASSNET_DATA") or str(DEFAULT_MNIST))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-alone", action="store_true", help="skip the fine-tuning without MNIST")
    args = parser.parse_args(argv)

    from glassnet.datasets.writer import writer_digits
    from glassnet.workbench.handwriting import finetune, load_user_digits, save_user_digit
    if not os.path.isdir(args.data_dir):
        sys.exit(f"MNIST not found at {args.data_dir}; pass --data-dir")
    (x_train, y_train), (x_test, y_test) = load_mnist_float(args.data_dir)
    print(f"BLAS: {blas_info()}; MNIST from {args.data_dir}")

    # The user's corrections, through the collection folder; the writer's other digits.
    examples, labels = writer_digits(args.per_digit, seed=args.seed)
    writer_x, writer_y = writer_digits(args.test_per_digit, seed=args.seed + 1000)
    with tempfile.TemporaryDirectory() as folder:
        for image, label in zip(examples, labels):
            save_user_digit(folder, image, label)
        user_x, user_y, files = load_user_digits(folder)
    print(f"the writer: {len(files)} corrected digits ({args.per_digit} per class, seed {args.seed}) "
          f"to learn from; {len(writer_x)} other digits of theirs to score (seed {args.seed + 1000})")

    for arch, model, name in mlp_and_cnn(args, lambda arch: train(arch, x_train, y_train)):
        weights = [w.copy() for layer in model.layers for w in layer.get_weights()]
        rows = [("before", accuracy(model, writer_x, writer_y), accuracy(model, x_test, y_test), 0.0)]
        start = time.perf_counter()
        finetune(model, user_x, user_y, x_train, y_train, seed=args.seed)
        rows.append(("after fine-tuning, mixed with MNIST", accuracy(model, writer_x, writer_y),
                     accuracy(model, x_test, y_test), time.perf_counter() - start))
        if not args.no_alone:
            arrays = iter(weights)
            for layer in model.layers:
                layer.set_weights([next(arrays) for _ in layer.get_weights()])
            start = time.perf_counter()
            alone(model, user_x, user_y, seed=args.seed)
            rows.append(("(for comparison: their digits alone)", accuracy(model, writer_x, writer_y),
                         accuracy(model, x_test, y_test), time.perf_counter() - start))
        print(f"\n{name}")
        print(f"  {'':38s} {'the writer':>11s} {'MNIST test':>11s}")
        for label, writer, mnist, seconds in rows:
            took = f"   ({seconds:.0f}s)" if seconds else ""
            print(f"  {label:38s} {writer:11.2%} {mnist:11.2%}{took}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
