"""``glassnet train --task numbers``: train the line reader that reads whole numbers with CTC.

Every epoch writes a fresh set of numbers from the MNIST **training** digits (1 to 10
digits, touching, slanted, thin and bold pens; see
:func:`glassnet.workbench.line_reader.training_strips`), so the network never sees the
same number twice and never a test digit. The last 5,000 training digits are kept apart
to write the validation numbers, read after every epoch. At the end the model reads the
benchmark's 1,000 seven-digit numbers made from MNIST test digits, and is saved::

    glassnet train --task numbers --out numbers-line.npz
    glassnet read numbers-line.npz cheque.png
"""

import time

EPOCHS = 20             # ... of fresh numbers each: 21 min on one core of a busy machine
NUMBERS_PER_EPOCH = 12_000
BATCH_SIZE = 32
LEARNING_RATE = 3e-3    # the peak of the one-cycle schedule
HELD_OUT = 5_000        # the last training digits: they write the validation numbers only
VALIDATION = 300        # validation numbers (7 digits, the benchmark's style)


def check_arguments(args):
    """Options of ``glassnet train`` that mean nothing for the line reader are an error."""
    from glassnet.errors import TrainingError

    for option, value in (("--arch", args.arch), ("--recipe", args.recipe), ("--resume", args.resume),
                          ("--augment", args.augment), ("--augmentation-grid", args.augmentation_grid),
                          ("--validation-split", args.validation_split)):
        if value:
            raise TrainingError(f"{option} can't be used with --task numbers: the line reader has its "
                                f"own network, writes its own training numbers and validates on "
                                f"held-out digits")
    if args.dataset != "mnist":
        raise TrainingError(f"--task numbers composes numbers from MNIST digits; --dataset {args.dataset} "
                            f"can't be used")


def read_texts(model, images, batch=64):
    """Read many pictures with the line reader (best path), for validation: a list of texts."""
    from glassnet.workbench.line_reader import BLANK, ctc_greedy_decode, line_logits, picture_strip

    texts = []
    for start in range(0, len(images), batch):
        strips = [picture_strip(image)[0] for image in images[start:start + batch]]
        logits = line_logits(model, strips)
        texts += ["".join(map(str, d)) for d in ctc_greedy_decode(logits, blank=BLANK)]
    return texts


def train(epochs=EPOCHS, per_epoch=NUMBERS_PER_EPOCH, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE,
          seed=0, path=None, verbose=1, validation=VALIDATION, log=print):
    """Train a line reader from scratch and return it (compiled, with its history).

    Args:
        epochs: how many sets of ``per_epoch`` fresh numbers to train on.
        batch_size, learning_rate: Adam's batches and the peak of its one-cycle schedule.
        seed: the same seed gives the same model.
        path: the MNIST folder.
        validation: numbers written from held-out training digits and read after every
            epoch (0: none).
    """
    from glassnet.datasets import mnist, numbers
    from glassnet.engine.callbacks import LambdaCallback
    from glassnet.engine.optimizers import Adam
    from glassnet.engine.schedules import OneCycle
    from glassnet.workbench.line_reader import BLANK, CTCLoss, line_model, score_texts, training_strips

    (x_train, y_train), _ = mnist.load_data(path)
    digits = (x_train[:-HELD_OUT], y_train[:-HELD_OUT])
    held_out = numbers.compose(x_train[-HELD_OUT:], y_train[-HELD_OUT:], validation, length=7,
                               seed=seed + 1) if validation else None
    model = line_model(seed=seed)
    steps = epochs * -(-per_epoch // batch_size)
    model.compile(Adam(OneCycle(learning_rate, total_steps=steps, pct_start=0.25)), CTCLoss(blank=BLANK))
    model.build()
    if verbose:
        model.summary()
    def read_held_out(epoch, logs):
        """After each epoch: how many held-out numbers it reads whole (logged as val_whole)."""
        whole, right, wrong_count = score_texts(read_texts(model, held_out.images), held_out.labels)
        logs["val_whole"] = whole
        log(f"epoch {epoch + 1}/{epochs}: loss {logs['loss']:.4f}; "
            f"{validation} validation numbers (7 digits, held-out training digits): "
            f"{whole:.1%} whole, {right:.2%} of digits, {wrong_count:.1%} wrong count")

    callbacks = [LambdaCallback(on_epoch_end=read_held_out)] if held_out is not None else []
    for epoch in range(epochs):   # fresh numbers every epoch
        x, y = training_strips(per_epoch, seed=(seed, epoch), digits=digits)
        model.fit(x, y, initial_epoch=epoch, epochs=epoch + 1, batch_size=batch_size, verbose=verbose,
                  callbacks=callbacks)
    return model


def run(args):
    from glassnet.datasets import numbers
    from glassnet.workbench import line_reader

    check_arguments(args)
    epochs = args.epochs or EPOCHS
    batch_size = args.batch_size or BATCH_SIZE
    learning_rate = args.lr or LEARNING_RATE
    start = time.perf_counter()
    model = train(epochs, NUMBERS_PER_EPOCH, batch_size, learning_rate, args.seed, args.data_dir,
                  args.verbose)
    seconds = time.perf_counter() - start
    test = numbers.make_numbers(1000, length=7, seed=0, path=args.data_dir)
    whole, right, wrong_count = line_reader.score_texts(read_texts(model, test.images), test.labels)
    model.settings.update(
        task="numbers", dataset="mnist", epochs=epochs, numbers_per_epoch=NUMBERS_PER_EPOCH,
        learning_rate=learning_rate, seed=args.seed, train_seconds=round(seconds, 2),
        strip={"height": line_reader.HEIGHT, "band": line_reader.BAND, "stride": line_reader.STRIDE},
        blank=line_reader.BLANK, class_names=[str(d) for d in range(10)],
        test_numbers={"whole": whole, "digits": right, "wrong_count": wrong_count,
                      "data": "1000 seven-digit numbers from MNIST test digits, seed 0 (best path)"})
    out = args.out or "numbers-line.npz"
    model.save(out)
    print(f"1000 seven-digit numbers from MNIST test digits (seed 0, best path): {whole:.1%} read whole, "
          f"{right:.2%} of digits, {wrong_count:.1%} with the wrong count; trained in {seconds / 60:.1f} min")
    print(f"saved the line reader to {out}")
    return 0
