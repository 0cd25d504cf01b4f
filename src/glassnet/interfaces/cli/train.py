"""``glassnet train``: train a digit classifier, print its test accuracy and save it.

Three ways to start:

* ``glassnet train --arch mlp`` (the default): an architecture from the zoo, Adam at a
  constant rate, optionally ``--augment``-ed;
* ``glassnet train --recipe best-cnn``: a tuned recipe (architecture, one-cycle schedule,
  augmentation, epochs) from :mod:`glassnet.workbench.recipes`;
* ``glassnet train --resume model.npz --epochs 5``: five more epochs of a saved model,
  continuing its optimizer, schedule, random stream and history exactly where they stopped.
"""

import time

from glassnet.interfaces.cli.options import (add_data_arguments, fraction, positive_float,
                                             positive_int)


# The names of glassnet.workbench.recipes.RECIPES, spelled out so that building the parser
# (``glassnet --help``) doesn't import the engine and scipy; a test keeps the two in step.
RECIPE_NAMES = ("best-mlp", "best-cnn")


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "train", help="train a model on MNIST (or Fashion-MNIST, or a CSV) and save it",
        description="Train a model, print progress and the test accuracy, and save it to one .npz file.")
    parser.add_argument("--task", choices=("digits", "numbers"), default="digits",
                        help="digits: a digit classifier (default); numbers: the line reader that reads "
                             "whole numbers with CTC (see glassnet.interfaces.cli.train_numbers)")
    parser.add_argument("--arch", help="architecture (default: mlp, the Keras tutorial's 784-128-64-10)")
    parser.add_argument("--recipe", choices=RECIPE_NAMES,
                        help="a tuned recipe: best-mlp (784-800-800-10, ~99%% on MNIST) or best-cnn "
                             "(3 conv blocks + batch norm, >=99.5%%); both augment and use a one-cycle schedule")
    parser.add_argument("--resume", metavar="MODEL",
                        help="continue training a saved model (its optimizer, schedule and history)")
    parser.add_argument("--augment", action="store_true",
                        help="shift, rotate and zoom every training batch a little (recipes always do)")
    parser.add_argument("--augmentation-grid", metavar="PNG",
                        help="also save a picture of 8 training digits and augmented copies of them")
    add_data_arguments(parser)
    parser.add_argument("--epochs", type=positive_int, help="epochs (default: the architecture's)")
    parser.add_argument("--batch-size", type=positive_int, help="samples per step (default: the architecture's)")
    parser.add_argument("--lr", type=positive_float,
                        help="Adam learning rate; with --recipe the peak of its schedule (default: the architecture's)")
    parser.add_argument("--validation-split", type=fraction,
                        help="fraction of the training set held out for validation "
                             "(default: 0.2; a recipe's own; a resumed model's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same seed, same model (default: 0)")
    parser.add_argument("--out", help="where to save the model (default: DATASET-ARCH.npz; with --resume the same file)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1, help="0 quiet, 1 progress bars, 2 one line per epoch")
    parser.set_defaults(run=run)


def _new_model(args, data, x_train):
    """A fresh model from --arch or --recipe, compiled; and how to train it."""
    from dataclasses import replace

    from glassnet.datasets.augment import augment
    from glassnet.workbench import recipes, zoo

    classes = len(data.class_names)
    if args.recipe:
        recipe = recipes.get(args.recipe)
        if args.lr:
            recipe = replace(recipe, max_learning_rate=args.lr)
        split = recipe.validation_split if args.validation_split is None else args.validation_split
        epochs = args.epochs or recipe.epochs
        train_samples = len(x_train) - int(round(len(x_train) * split))
        model = recipe.compiled_model(x_train.shape[1:], classes, train_samples, epochs, seed=args.seed)
        plan = dict(name=args.recipe, recipe=args.recipe, epochs=epochs, lr=recipe.max_learning_rate,
                    batch_size=args.batch_size or recipe.batch_size, validation_split=split,
                    augmentation=recipe.augmentation_for(data.name))
    else:
        arch = zoo.get(args.arch or "mlp")
        lr = args.lr or arch.learning_rate
        model = arch.build(input_shape=x_train.shape[1:], num_classes=classes, seed=args.seed)
        # The architecture's Adam: for the CNN, a rate that decays over the planned batches.
        split = 0.2 if args.validation_split is None else args.validation_split
        batches = -(-(len(x_train) - int(round(len(x_train) * split))) // (args.batch_size or arch.batch_size))
        model.compile(optimizer=arch.optimizer(lr, batches * (args.epochs or arch.epochs)),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        plan = dict(name=args.arch or "mlp", arch=args.arch or "mlp", epochs=args.epochs or arch.epochs,
                    lr=lr, batch_size=args.batch_size or arch.batch_size,
                    validation_split=0.2 if args.validation_split is None else args.validation_split,
                    augmentation=augment if args.augment else None)
    if args.augment and plan["augmentation"] is None:
        plan["augmentation"] = augment
    return model, plan


def _resumed_model(args, data, x_train):
    """The model saved in --resume, checked against --arch/--recipe if given; and its plan."""
    from glassnet.datasets.augment import DigitAugmentation, augment
    from glassnet.engine.saving import load_for_resume
    from glassnet.errors import TrainingError
    from glassnet.workbench import recipes, zoo

    if args.lr:
        raise TrainingError("--lr can't be combined with --resume: the optimizer and its schedule "
                            "continue from the file")
    expected = None
    if args.recipe or args.arch:
        build = recipes.get(args.recipe).build if args.recipe else zoo.get(args.arch).build
        expected = build(input_shape=x_train.shape[1:], num_classes=len(data.class_names), seed=0)
    model = load_for_resume(args.resume, expected)
    settings = model.settings
    saved_augmentation = settings.get("augmentation")
    augmentation = DigitAugmentation(**saved_augmentation) if saved_augmentation else None
    name = settings.get("recipe") or settings.get("arch") or "mlp"
    default_epochs = (recipes.get(name).epochs if name in recipes.RECIPES else
                      zoo.get(name).epochs if name in zoo.ARCHITECTURES else 10)
    plan = dict(name=name, epochs=args.epochs or default_epochs,
                lr=settings.get("learning_rate"),
                batch_size=args.batch_size or settings.get("batch_size", 32),
                validation_split=(settings.get("validation_split", 0.2) if args.validation_split is None
                                  else args.validation_split),
                augmentation=augmentation or (augment if args.augment else None))
    print(f"resuming {args.resume}: {model.epoch} epochs and {model.optimizer.iterations} steps done, "
          f"{plan['epochs']} more")
    return model, plan


def run(args):
    import numpy as np

    from glassnet.datasets import load_dataset
    from glassnet.errors import TrainingError

    if args.task == "numbers":
        from glassnet.interfaces.cli import train_numbers
        return train_numbers.run(args)
    if args.recipe and args.arch:
        raise TrainingError("choose either --arch or --recipe, not both")
    dataset = args.dataset
    if args.resume and dataset == "mnist":   # the resumed model's own dataset, unless told otherwise
        from glassnet.engine.saving import load_model
        dataset = load_model(args.resume, compile=False).settings.get("dataset", "mnist")
    data = load_dataset(dataset, data_dir=args.data_dir)
    print(data.source)

    # Pixels 0..255 -> 0..1: small inputs keep the first layer's outputs in a range where
    # the initial weights work and Adam's steps have the right size.
    scale = np.float32(1 / 255)
    x_train, x_test = data.x_train.astype(np.float32) * scale, data.x_test.astype(np.float32) * scale
    model, plan = (_resumed_model if args.resume else _new_model)(args, data, x_train)
    if args.verbose and not args.resume:
        model.summary()
    if args.augmentation_grid:
        from glassnet.datasets.augment import augment, save_augmentation_grid
        save_augmentation_grid(data.x_train[:8], args.augmentation_grid, plan["augmentation"] or augment)
        print(f"saved examples of augmented digits to {args.augmentation_grid}")

    start = time.perf_counter()
    model.fit(x_train, data.y_train, epochs=plan["epochs"], batch_size=plan["batch_size"],
              validation_split=plan["validation_split"], augment=plan["augmentation"],
              verbose=args.verbose)
    seconds = time.perf_counter() - start
    test_loss, test_accuracy = model.evaluate(x_test, data.y_test, verbose=0)
    augmentation = plan["augmentation"]
    model.settings.update(
        dataset=data.name, data_source=data.source, class_names=list(data.class_names),
        epochs=model.epoch, learning_rate=plan["lr"], preprocessing="x / 255.0",
        augmentation=None if augmentation is None else augmentation.get_config(),
        train_seconds=round(seconds, 2), test_loss=test_loss, test_accuracy=test_accuracy,
    )
    if not args.resume:
        model.settings.update(seed=args.seed, **{k: plan[k] for k in ("arch", "recipe") if k in plan})
    out = args.out or args.resume or f"{data.name}-{plan['name']}.npz"
    model.save(out)
    epochs = f"{model.epoch} epoch" + ("" if model.epoch == 1 else "s")
    print(f"test accuracy: {test_accuracy:.2%} (loss {test_loss:.4f}) after {epochs} in {seconds:.1f}s")
    print(f"saved the model to {out}")
