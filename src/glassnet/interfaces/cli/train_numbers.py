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

import functools
import multiprocessing
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor

EPOCHS = 28             # ... of fresh numbers each (17.4 min on two free cores)
NUMBERS_PER_EPOCH = 12_000
BATCH_SIZE = 32
LEARNING_RATE = 3e-3    # the peak of the one-cycle schedule
HELD_OUT = 5_000        # the last training digits: they write the validation numbers only
VALIDATION = 300        # validation numbers (7 digits, the benchmark's style)
UNITS = 96              # GRU units each way (64 read 96.3% / 93.7% whole, 96 read 96.5% / 94.7%:
                        # benchmarks/read_numbers.py, standard / harder, seed 0)


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
    if args.out:   # a bad file name or folder fails now, not after 20 minutes of training
        from glassnet.engine.saving import check_file_name
        from glassnet.workbench.plots.style import check_output_path
        check_file_name(check_output_path(args.out))


def read_texts(model, images, batch=64):
    """Read many pictures with the line reader (best path), for validation: a list of texts."""
    from glassnet.workbench.line_reader import BLANK, ctc_greedy_decode, line_logits, picture_strip

    texts = []
    for start in range(0, len(images), batch):
        strips = [picture_strip(image)[0] for image in images[start:start + batch]]
        logits = line_logits(model, strips)
        texts += ["".join(map(str, d)) for d in ctc_greedy_decode(logits, blank=BLANK)]
    return texts


def epoch_numbers(count, seed, path=None):
    """One epoch of training strips from the MNIST training digits less the held-out ones:
    ``(x, y)`` as :func:`~glassnet.workbench.line_reader.training_strips` makes them, with
    ``x`` in uint8 (0..255; a quarter of the memory, to pass between processes)."""
    import numpy as np

    from glassnet.workbench.line_reader import training_strips

    images, labels = _training_digits(path)
    x, y = training_strips(count, seed=seed, digits=(images[:-HELD_OUT], labels[:-HELD_OUT]))
    return np.rint(x * 255).astype(np.uint8), y


@functools.lru_cache(maxsize=2)
def _training_digits(path):
    from glassnet.datasets import mnist

    return mnist.load_data(path)[0]


class WriteHere:
    """Runs the work when it is submitted, in this process (where no helper process can be forked)."""

    def __enter__(self):
        return self

    def __exit__(self, *error):
        return False

    def submit(self, work, *args):
        done = Future()
        done.set_result(work(*args))
        return done


def number_writer():
    """Who writes the training numbers: a helper process forked from this one (Linux), so
    that writing the next epoch's numbers overlaps training on this epoch's, or else this
    process itself, before each epoch. (A forked helper needs no ``if __name__ ==
    "__main__"`` guard in the caller's script, as a spawned one would.)"""
    if sys.platform.startswith("linux"):
        return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    return WriteHere()


def train(epochs=EPOCHS, per_epoch=NUMBERS_PER_EPOCH, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE,
          seed=0, path=None, verbose=1, validation=VALIDATION, log=print, recurrent=True, units=UNITS):
    """Train a line reader from scratch and return it (compiled, with its history).

    While the model trains on one epoch's numbers, a helper process writes the next
    epoch's: on two cores, writing them no longer adds a third to the training time.

    Args:
        epochs: how many sets of ``per_epoch`` fresh numbers to train on.
        batch_size, learning_rate: Adam's batches and the peak of its one-cycle schedule.
        seed: the same seed gives the same model.
        path: the MNIST folder.
        validation: numbers written from held-out training digits and read after every
            epoch (0: none).
        recurrent, units: the network (see :func:`~glassnet.workbench.line_reader.line_model`).
    """
    import numpy as np

    from glassnet.datasets import numbers
    from glassnet.engine.callbacks import LambdaCallback
    from glassnet.engine.optimizers import Adam
    from glassnet.engine.schedules import OneCycle
    from glassnet.workbench.line_reader import BLANK, CTCLoss, line_model, score_texts

    x_train, y_train = _training_digits(path)
    held_out = numbers.compose(x_train[-HELD_OUT:], y_train[-HELD_OUT:], validation, length=7,
                               seed=seed + 1) if validation else None
    model = line_model(seed=seed, recurrent=recurrent, units=units)
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
    with number_writer() as writer:
        upcoming = writer.submit(epoch_numbers, per_epoch, (seed, 0), path)
        for epoch in range(epochs):   # fresh numbers every epoch
            x, y = upcoming.result()
            if epoch + 1 < epochs:    # the next epoch's, written while this one trains
                upcoming = writer.submit(epoch_numbers, per_epoch, (seed, epoch + 1), path)
            x = np.multiply(x, np.float32(1 / 255), dtype=np.float32)
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
