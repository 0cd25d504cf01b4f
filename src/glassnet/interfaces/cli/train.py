"""``glassnet train``: train a digit classifier, print its test accuracy and save it."""

import time

from glassnet.interfaces.cli.options import (add_data_arguments, fraction, positive_float,
                                             positive_int)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "train", help="train a model on MNIST (or Fashion-MNIST, or a CSV) and save it",
        description="Train a model, print progress and the test accuracy, and save it to one .npz file.")
    parser.add_argument("--arch", default="mlp", help="architecture (default: mlp, the Keras tutorial's 784-128-64-10)")
    add_data_arguments(parser)
    parser.add_argument("--epochs", type=positive_int, help="epochs (default: the architecture's)")
    parser.add_argument("--batch-size", type=positive_int, help="samples per step (default: the architecture's)")
    parser.add_argument("--lr", type=positive_float, help="Adam learning rate (default: the architecture's)")
    parser.add_argument("--validation-split", type=fraction, default=0.2,
                        help="fraction of the training set held out for validation (default: 0.2)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same seed, same model (default: 0)")
    parser.add_argument("--out", help="where to save the model (default: DATASET-ARCH.npz)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1, help="0 quiet, 1 progress bars, 2 one line per epoch")
    parser.set_defaults(run=run)


def run(args):
    from glassnet.datasets import load_dataset
    from glassnet.engine.optimizers import Adam
    from glassnet.workbench import zoo

    arch = zoo.get(args.arch)
    data = load_dataset(args.dataset, data_dir=args.data_dir)
    print(data.source)
    epochs = args.epochs or arch.epochs
    batch_size = args.batch_size or arch.batch_size
    lr = args.lr or arch.learning_rate

    # Pixels 0..255 -> 0..1: small inputs keep the first layer's outputs in a range where
    # the initial weights work and Adam's steps have the right size.
    x_train, x_test = data.x_train / 255.0, data.x_test / 255.0
    model = arch.build(input_shape=x_train.shape[1:], num_classes=len(data.class_names), seed=args.seed)
    model.compile(optimizer=Adam(lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if args.verbose:
        model.summary()

    start = time.perf_counter()
    model.fit(x_train, data.y_train, epochs=epochs, batch_size=batch_size,
              validation_split=args.validation_split, verbose=args.verbose)
    seconds = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(x_test, data.y_test, verbose=0)
    model.settings.update(
        arch=args.arch, dataset=data.name, data_source=data.source, class_names=list(data.class_names),
        epochs=model.epoch, learning_rate=lr, seed=args.seed, preprocessing="x / 255.0",
        train_seconds=round(seconds, 2), test_loss=test_loss, test_accuracy=test_accuracy,
    )
    out = args.out or f"{data.name}-{args.arch}.npz"
    model.save(out)
    print(f"test accuracy: {test_accuracy:.2%} (loss {test_loss:.4f}) after {model.epoch} epochs "
          f"in {seconds:.1f}s")
    print(f"saved the model to {out}")
