"""``glassnet train``: train a digit classifier, print its test accuracy and save it.

Three ways to start:

* ``glassnet train --arch mlp`` (the default): an architecture from the zoo, Adam at its
  own rate (the CNN's decays over the run), optionally ``--augment``-ed;
* ``glassnet train --recipe best-cnn``: a tuned recipe (architecture, one-cycle schedule,
  augmentation, epochs) from :mod:`glassnet.workbench.recipes`;
* ``glassnet train --resume model.npz --epochs 5``: five more epochs of a saved model,
  continuing its optimizer, schedule, random stream and training log exactly where they
  stopped. A schedule that has run out is not continued in silence: ``--lr`` gives the
  extra epochs a new rate.
"""

import time

from glassnet.interfaces.cli import find_lr  # --find-lr and --lr auto (issue 19)
from glassnet.interfaces.cli import calibrate, teach  # not-a-digit detector, --extra-data (issue 15)
from glassnet.interfaces.cli.options import add_arch_argument, add_data_arguments, fraction, positive_int


# The names of glassnet.workbench.recipes.RECIPES, spelled out so that building the parser
# (``glassnet --help``) doesn't import the engine and scipy; a test keeps the two in step.
RECIPE_NAMES = ("best-mlp", "best-cnn")
NEGLIGIBLE_RATE = 0.01   # a schedule ended below this share of its peak has stopped learning


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "train", help="train a model on MNIST (or Fashion-MNIST, or a CSV) and save it",
        description="Train a model, print progress and the test accuracy, and save it to one .npz file.")
    parser.add_argument("--task", choices=("digits", "numbers"), default="digits",
                        help="digits: a digit classifier (default); numbers: the line reader that reads "
                             "whole numbers with CTC (see glassnet.interfaces.cli.train_numbers)")
    add_arch_argument(parser)
    parser.add_argument("--recipe", choices=RECIPE_NAMES,
                        help="a tuned recipe: best-mlp (784-800-800-10, ~99%% on MNIST) or best-cnn "
                             "(3 conv blocks + batch norm, ~99.5%%); both augment and use a one-cycle schedule")
    parser.add_argument("--resume", metavar="MODEL",
                        help="continue training a saved model (its optimizer, schedule and training log)")
    parser.add_argument("--augment", action="store_true",
                        help="shift, rotate and zoom every training batch a little (recipes always do)")
    parser.add_argument("--augmentation-grid", metavar="PNG",
                        help="also save a picture of 8 training digits and augmented copies of them")
    add_data_arguments(parser)
    parser.add_argument("--epochs", type=positive_int, help="epochs (default: the architecture's)")
    parser.add_argument("--batch-size", type=positive_int, help="samples per step (default: the architecture's)")
    parser.add_argument("--lr", type=find_lr.rate_or_auto,
                        help="Adam learning rate; with --recipe the peak of its schedule; with --resume "
                             "a new constant rate for the extra epochs; 'auto': the range test's "
                             "suggestion (default: the architecture's)")
    find_lr.add_arguments(parser)
    teach.add_arguments(parser)
    parser.add_argument("--validation-split", type=fraction,
                        help="fraction of the training set held out for validation "
                             "(default: 0.2; a recipe's own; a resumed model's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed: same seed, same model (default: 0)")
    parser.add_argument("--out", help="where to save the model (default: DATASET-ARCH.npz; with --resume the same file)")
    parser.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1, help="0 quiet, 1 progress bars, 2 one line per epoch")
    parser.set_defaults(run=run)


def planned_steps(samples, validation_split, batch_size, epochs):
    """The gradient steps of a whole run: what a schedule stretched over the run counts.

    The one place this is worked out, so a schedule always ends where training does,
    whatever ``--batch-size`` and ``--validation-split`` say.
    """
    from glassnet.engine.data import steps_per_epoch
    from glassnet.engine.splits import split_sizes

    return steps_per_epoch(split_sizes(samples, validation_split)[0], batch_size) * epochs


def _new_model(args, data, x_train):
    """A fresh model from --arch or --recipe, compiled; and how to train it."""
    from dataclasses import replace

    from glassnet.datasets.augment import augment
    from glassnet.workbench import recipes, zoo

    classes = len(data.class_names)
    if args.recipe:
        recipe = recipes.get(args.recipe).for_dataset(data.name)   # Fashion-MNIST: its own settings
        if args.lr:
            recipe = replace(recipe, max_learning_rate=args.lr)
        plan = dict(name=args.recipe, recipe=args.recipe, epochs=args.epochs or recipe.epochs,
                    lr=recipe.max_learning_rate, batch_size=args.batch_size or recipe.batch_size,
                    validation_split=recipe.validation_split if args.validation_split is None
                    else args.validation_split, augmentation=recipe.augmentation,
                    recalibrate=recipe.recalibrate_batch_norm)
        steps = planned_steps(len(x_train), plan["validation_split"], plan["batch_size"], plan["epochs"])
        model = recipe.compiled_model(x_train.shape[1:], classes, steps, seed=args.seed)
    else:
        arch = zoo.get(args.arch or "mlp")
        plan = dict(name=args.arch or "mlp", arch=args.arch or "mlp", epochs=args.epochs or arch.epochs,
                    lr=args.lr or arch.learning_rate, batch_size=args.batch_size or arch.batch_size,
                    validation_split=0.2 if args.validation_split is None else args.validation_split,
                    augmentation=augment if args.augment else None)
        steps = planned_steps(len(x_train), plan["validation_split"], plan["batch_size"], plan["epochs"])
        model = arch.build(input_shape=x_train.shape[1:], num_classes=classes, seed=args.seed)
        # The architecture's Adam: for the CNN, a rate that decays over the planned steps.
        model.compile(optimizer=arch.optimizer(plan["lr"], steps),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    if args.augment and plan["augmentation"] is None:
        plan["augmentation"] = augment
    return model, plan


def _resumed_model(args, data, x_train):
    """The model saved in --resume, checked against --arch/--recipe if given; and its plan."""
    from glassnet.datasets.augment import DigitAugmentation, augment
    from glassnet.engine.saving import load_for_resume
    from glassnet.workbench import recipes, zoo

    expected = None
    if args.recipe or args.arch:
        build = recipes.get(args.recipe).for_dataset(data.name).build if args.recipe else zoo.get(args.arch).build
        expected = build(input_shape=x_train.shape[1:], num_classes=len(data.class_names), seed=0)
    model = load_for_resume(args.resume, expected)
    settings = model.settings
    saved_augmentation = settings.get("augmentation")
    augmentation = DigitAugmentation(**saved_augmentation) if saved_augmentation else None
    name = settings.get("recipe") or settings.get("arch") or "mlp"
    recipe = recipes.get(name).for_dataset(data.name) if name in recipes.RECIPES else None
    default_epochs = (recipe.epochs if recipe else
                      zoo.get(name).epochs if name in zoo.ARCHITECTURES else 10)
    plan = dict(name=name, epochs=args.epochs or default_epochs,
                lr=settings.get("learning_rate"),
                batch_size=args.batch_size or settings.get("batch_size") or 32,
                validation_split=(settings.get("validation_split", 0.2) if args.validation_split is None
                                  else args.validation_split),
                augmentation=augmentation or (augment if args.augment else None),
                recalibrate=recipe is not None and recipe.recalibrate_batch_norm)
    _continue_rate(args, model, plan)
    print(f"resuming {args.resume}: {model.epoch} epochs and {model.optimizer.iterations} steps done, "
          f"{plan['epochs']} more")
    return model, plan


def _continue_rate(args, model, plan):
    """Decide the learning rate of the extra epochs, and say so when it isn't the saved one.

    A schedule stretched over the first run (one-cycle, cosine decay) has ended at its
    floor. Training on at a negligible rate changes nothing, so that is refused unless
    ``--lr`` gives a new rate; a floor that still learns (cosine to a tenth) is continued,
    with a note.
    """
    from glassnet.errors import TrainingError

    optimizer = model.optimizer
    schedule = optimizer.schedule
    if args.lr:
        optimizer.replace_learning_rate(args.lr)
        plan["lr"] = args.lr
        replaced = f" (replacing its {type(schedule).__name__} schedule)" if schedule else ""
        print(f"the extra epochs use a constant learning rate of {args.lr:g}{replaced}")
        return
    if schedule is None:
        return
    step = optimizer.iterations
    now, later = float(schedule(step)), float(schedule(step + 10**9))
    if now != later:
        return   # still moving: continue the schedule where it stopped
    peak = schedule.peak(step)   # a resumed model's schedule is a LearningRateSchedule (saved)
    if now < NEGLIGIBLE_RATE * peak:
        raise TrainingError(
            f"{args.resume}: its {type(schedule).__name__} schedule ended at step {step:,} with a learning "
            f"rate of {now:.3g} ({now / peak:.2%} of its peak {peak:.3g}), so more epochs would not change "
            f"the model; give them a new rate: glassnet train --resume {args.resume} --epochs "
            f"{plan['epochs']} --lr {peak / 10:.1g}")
    print(f"note: the {type(schedule).__name__} schedule has ended; the extra epochs continue at its "
          f"final rate, {now:.3g}")


def run(args):
    import warnings

    import numpy as np

    from glassnet.datasets import load_dataset
    from glassnet.engine.callbacks.learning_check import LearningWarning
    from glassnet.errors import TrainingError

    if args.task == "numbers":
        from glassnet.interfaces.cli import train_numbers
        return train_numbers.run(args)
    if args.recipe and args.arch:
        raise TrainingError("choose either --arch or --recipe, not both")
    for path in (args.out, args.augmentation_grid, args.find_lr):
        if path:   # a folder that isn't there fails now, not after minutes of training
            from glassnet.workbench.plots.style import check_output_path
            check_output_path(path)
    if args.out:   # ... and so does a model file name like "mymodel" or "m.txt"
        from glassnet.engine.saving import check_file_name
        check_file_name(args.out)
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
    if args.extra_data:   # fine-tune on your own digits instead (teach.py)
        return teach.run(args, data, x_train, x_test)
    if args.find_lr or args.lr == find_lr.AUTO:  # the learning-rate range test (find_lr.py)
        args.lr = find_lr.choose_rate(args, lambda: _new_model(args, data, x_train), x_train, data.y_train)
        if args.lr is None:
            return
    model, plan = (_resumed_model if args.resume else _new_model)(args, data, x_train)
    if args.verbose and not args.resume:
        model.summary()
    if args.augmentation_grid:
        from glassnet.datasets.augment import augment, save_augmentation_grid
        save_augmentation_grid(data.x_train[:8], args.augmentation_grid, plan["augmentation"] or augment)
        print(f"saved examples of augmented digits to {args.augmentation_grid}")

    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LearningWarning)
        model.fit(x_train, data.y_train, epochs=model.epoch + plan["epochs"], initial_epoch=model.epoch,
                  batch_size=plan["batch_size"], validation_split=plan["validation_split"],
                  augment=plan["augmentation"], verbose=args.verbose)
    if plan.get("recalibrate"):   # batch norm's statistics from clean training digits (recipes.py)
        from glassnet.workbench import recipes
        x_fit = x_train
        if plan["validation_split"]:   # the images fit trained on, as fit split them
            x_fit = model.split_validation(x_train, data.y_train, plan["validation_split"])[0]
        count = recipes.recalibrate(model, x_fit)
        print(f"batch norm statistics: recomputed on {count:,} training images without augmentation")
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
    calibrate.attach_detector(model, data.name, x_train, data.y_train, x_test, data.y_test,
                              plan["validation_split"])   # for a digit model (calibrate.py)
    out = args.out or args.resume or f"{data.name}-{plan['name']}.npz"
    model.save(out)
    epochs = f"{model.epoch} epoch" + ("" if model.epoch == 1 else "s")
    print(f"test accuracy: {test_accuracy:.2%} (loss {test_loss:.4f}) on {data.test_set} after {epochs} "
          f"in {seconds:.1f}s")
    print(f"saved the model to {out}")
    problems = [str(w.message) for w in caught if issubclass(w.category, LearningWarning)]
    for problem in problems:
        print(f"warning: {problem}")
    for other in caught:
        if not issubclass(other.category, LearningWarning):
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    return 1 if problems else 0
