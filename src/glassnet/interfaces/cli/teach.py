"""``glassnet train --resume MODEL --extra-data DIR``: teach a trained model your handwriting.

``DIR`` holds your digits, one folder per label (``DIR/7/0001.png``, ...): the drawing
page's "Wrong? It was a ..." saves them there (``glassnet serve --collect DIR``), and any
picture of one digit will do. The model is fine-tuned on them mixed with MNIST training
digits (:func:`glassnet.workbench.handwriting.finetune`: a quarter of each batch yours, a
third of the usual learning rate, 3 short epochs), so it learns them without forgetting
MNIST::

    $ glassnet train --resume mnist-mlp.npz --extra-data ~/.local/share/glassnet/digits
    your digits: 30 pictures in ~/.local/share/glassnet/digits (0: 3, 1: 3, ...)
    before: 19 of your 30 digits read right; MNIST test accuracy 97.83%
    fine-tuning 3 epochs on MNIST with your digits mixed in ...
    after: 30 of your 30 digits read right (the ones it was fine-tuned on); MNIST test accuracy 97.91%
    saved the model to mnist-mlp.npz

The MNIST digits it mixes in come from the training part of the model's own validation
split, so the held-out digits stay held out: the not-a-digit detector is calibrated on
them again afterwards (the weights have changed).
"""


def add_arguments(parser):
    parser.add_argument("--extra-data", metavar="DIR",
                        help="with --resume: fine-tune on your own digits, DIR/<label>/<n>.png (as the "
                             "drawing page's 'Wrong? It was a ...' saves them), mixed with MNIST so the "
                             "model keeps what it knew; --epochs (default 3) and --lr (default 3e-4) apply")


def run(args, data, x_train, x_test):
    """Fine-tune the model in ``args.resume`` on ``args.extra_data``; save it. ``x_train`` and
    ``x_test`` are ``data``'s pixels scaled to 0..1."""
    from collections import Counter

    import numpy as np

    from glassnet.engine.saving import load_model
    from glassnet.errors import TrainingError
    from glassnet.interfaces.cli.calibrate import attach_detector
    from glassnet.workbench import handwriting
    from glassnet.workbench.recognize import check_digit_model, class_names

    if not args.resume:
        raise TrainingError("--extra-data fine-tunes a trained model: give it with --resume MODEL")
    if args.recipe or args.arch or args.augment:
        raise TrainingError("--extra-data fine-tunes the model as it is: leave out --arch, --recipe "
                            "and --augment")
    model = load_model(args.resume)
    check_digit_model(model, args.resume)
    names = class_names(model)
    x_user, y_user, _ = handwriting.load_user_digits(args.extra_data, names)
    counts = Counter(int(label) for label in y_user)
    print(f"your digits: {len(x_user)} pictures in {args.extra_data} ("
          + ", ".join(f"{names[c]}: {counts[c]}" for c in sorted(counts)) + ")")

    def scores():
        right = int((model.predict(x_user, verbose=0).argmax(axis=1) == y_user).sum())
        return right, model.evaluate(x_test, data.y_test, verbose=0)

    right, (_, test_accuracy) = scores()
    print(f"before: {right} of your {len(x_user)} digits read right; test accuracy {test_accuracy:.2%} "
          f"on {data.test_set}")
    split = model.settings.get("validation_split", 0.2)
    x_fit, y_fit = (model.split_validation(x_train, data.y_train, split)[:2] if split
                    else (x_train, data.y_train))
    epochs = args.epochs or handwriting.EPOCHS
    rate = args.lr or handwriting.LEARNING_RATE
    print(f"fine-tuning {epochs} epochs on {handwriting.MNIST_PER_EPOCH:,} MNIST training digits each, "
          f"with your digits as {handwriting.USER_SHARE:.0%} of every batch (Adam, rate {rate:g}) ...",
          flush=True)
    handwriting.finetune(model, x_user, y_user, x_fit, y_fit, epochs=epochs, learning_rate=rate,
                         batch_size=model.settings.get("batch_size") or 32, seed=args.seed,
                         verbose=args.verbose)
    right, (test_loss, test_accuracy) = scores()
    print(f"after: {right} of your {len(x_user)} digits read right (the ones it was fine-tuned on, so "
          f"expect most); test accuracy {test_accuracy:.2%} on {data.test_set}")
    model.settings.update(test_loss=test_loss, test_accuracy=test_accuracy,
                          extra_data=str(args.extra_data))
    attach_detector(model, data.name, x_train, data.y_train, x_test, data.y_test, split)
    out = args.out or args.resume
    model.save(out)
    print(f"saved the model to {out}")
    return 0 if np.isfinite(test_loss) else 1
