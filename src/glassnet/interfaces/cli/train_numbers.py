"""``glassnet train --task numbers``: train the line reader that reads whole numbers with CTC.

Every epoch writes a fresh set of numbers from the MNIST **training** digits (1 to 10
digits, touching, slanted, thin and bold pens; see
:func:`glassnet.workbench.line_data.training_strips`), so the network never sees the
same number twice and never a test digit. The last 5,000 training digits are kept apart
to write the validation numbers, read after every epoch. At the end the model reads the
benchmark's 1,000 seven-digit numbers made from MNIST test digits, and is saved::

    glassnet train --task numbers --out numbers-line.npz
    glassnet read numbers-line.npz cheque.png

After every epoch the model is saved to ``numbers-line.backup.npz`` (:func:`backup_path`):
a run stopped (Ctrl-C, a crash, a closed laptop) goes on from its last finished epoch when
the same command is given again, and ends with the same model.
"""

import functools
import multiprocessing
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

EPOCHS = 24             # ... of fresh numbers each (16.5 min on two free cores at stop 46: docs/reading_numbers.md)
NUMBERS_PER_EPOCH = 12_000
BATCH_SIZE = 32
LEARNING_RATE = 3e-3    # the peak of the one-cycle schedule
HELD_OUT = 5_000        # the last training digits: they write the validation numbers only
VALIDATION = 300        # validation numbers (7 digits, the benchmark's style)
FILTERS = (24, 48, 96)  # the three convolution blocks' filters (16, 32, 64, 28 epochs: 96.5% / 94.7%
                        # whole; these, 24 epochs: 96.7% / 95.2%)
MARGIN = (8, 32)        # blank columns after a number's ink, at random, in training (width_batches)
UNITS = 96              # GRU units each way (64 read 96.3% / 93.7% whole, 96 read 96.5% / 94.7%:
                        # benchmarks/read_numbers.py, standard / harder, seed 0)
STRIDE = 2              # strip columns per output step: 2, so that two 1s drawn close together get
                        # the three steps CTC needs for "1", blank, "1" (stride 4 dropped one of them:
                        # harder numbers read with the wrong count of digits 1.4% -> 0.8%)


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
    ``(x, y)`` as :func:`~glassnet.workbench.line_data.training_strips` makes them, with
    ``x`` in uint8 (0..255; a quarter of the memory, to pass between processes)."""
    import numpy as np

    from glassnet.workbench.line_data import training_strips

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


def width_batches(x, batch_size, rng, margin=MARGIN):
    """One epoch's strips in batches of about the same width: ``[(rows, width), ...]``,
    the batches in random order.

    The numbers are left-aligned in their strips and most fill half of it or less (1 to
    10 digits): the rest is blank columns that the network would read all the same. So
    each strip is given the width of its ink plus a random blank margin (``margin``
    columns: the network still sees what comes after a number), rounded up as reading
    rounds (:func:`~glassnet.workbench.line_reader.strip_width`); sorted by that width,
    the strips are cut into batches of ``batch_size``, each as wide as its widest strip.
    About two thirds of the columns are left to read.

    Args:
        x: the strips, ``(N, HEIGHT, W, 1)``, ink bright (uint8 or float in 0..1).
        rng: a NumPy Generator (the margins, and the order of the batches).
    """
    import numpy as np

    from glassnet.workbench.line_reader import strip_width

    width = x.shape[2]
    # Ink: brighter than the faint noise training_strips adds to the background (under 0.2).
    ink = (x[..., 0] > 0.25 * (255 if x.dtype == np.uint8 else 1)).any(axis=1)     # (N, W)
    ends = np.where(ink.any(axis=1), width - np.argmax(ink[:, ::-1], axis=1), 0)   # after the last inked column
    wanted = ends + rng.integers(margin[0], margin[1] + 1, len(ends))
    widths = np.minimum(strip_width(wanted), width)
    order = np.lexsort((rng.random(len(widths)), widths))       # by width; equal widths shuffled
    batches = [order[k:k + batch_size] for k in range(0, len(order), batch_size)]
    return [(rows, int(widths[rows].max())) for rows in (batches[i] for i in rng.permutation(len(batches)))]


class WidthCopies:
    """The line reader and copies of it built for narrower strips, trained as one network.

    No weight depends on the strip's width (see
    :func:`~glassnet.workbench.line_reader.at_width`), so a batch of short numbers can be
    trained by a copy of the network built for its width, with the same weights. The
    copies share the model's optimizer: Adam's running averages and its step count follow
    the weights by their place, the same in every copy. When a batch of another width
    comes, the weights (batch-norm statistics included) move to the copy built for it.
    """

    def __init__(self, model):
        self.model = self.current = model
        self.copies = {model.input_shape[2]: model}

    def train_on_batch(self, x, y):
        """One step on a batch ``x`` of any width up to the model's; returns its loss."""
        from glassnet.workbench.line_reader import built_for_width

        width = x.shape[2]
        if width not in self.copies:
            copy = built_for_width(self.model, width)
            copy.compile(self.model.optimizer, self.model.loss)
            self.copies[width] = copy
        network = self.copies[width]
        if network is not self.current:
            network.set_weights(self.current.weights)     # in place
            self.current = network
        return network.train_on_batch(x, y)

    def gather(self):
        """Put the latest weights back into the model itself (to read with it, or save it)."""
        if self.current is not self.model:
            self.model.set_weights(self.current.weights)
            self.current = self.model


def backup_path(out):
    """Where the training of ``out`` keeps its last finished epoch: ``numbers-line.npz`` ->
    ``numbers-line.backup.npz``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.backup{out.suffix or '.npz'}")


def resume_backup(backup, plan, fresh, log=print):
    """The model saved in ``backup`` after its last finished epoch, to train on from there.

    ``plan`` (the options that decide the training) must be the one it was started with,
    and ``fresh`` (a new model of the network asked for) its architecture: a backup of
    another run is refused, with what differs, rather than trained on.
    """
    from glassnet.engine.saving import load_for_resume
    from glassnet.errors import TrainingError

    model = load_for_resume(backup, expected=fresh)
    saved = model.settings.get("backup_plan", {})
    differs = [f"{key} {saved.get(key)!r} there, {value!r} now" for key, value in plan.items()
               if saved.get(key) != value]
    if differs:
        raise TrainingError(f"{backup}: the backup of another training run ({'; '.join(differs)}); "
                            f"train with its options to finish it, or delete it to start afresh")
    log(f"resuming {backup}: {model.epoch} of {plan['epochs']} epochs done")
    return model


def train(epochs=EPOCHS, per_epoch=NUMBERS_PER_EPOCH, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE,
          seed=0, path=None, verbose=1, validation=VALIDATION, log=print, recurrent=True, units=UNITS,
          filters=FILTERS, stride=STRIDE, backup=None):
    """Train a line reader from scratch and return it (compiled, with its training log).

    While the model trains on one epoch's numbers, a helper process writes the next
    epoch's: on two cores, writing them no longer adds a third to the training time.
    ``train_on_batch`` keeps BLAS at one thread, as ``fit`` does (the layers still split
    their work over both cores): with BLAS on both, its idle threads spun between the
    multiplies, fought the writer for the cores, and an epoch took 60 s instead of 45.
    Each batch holds numbers of about the same width, cut to that width (:func:`width_batches`,
    :class:`WidthCopies`): a third less to compute than every strip at full width.

    Args:
        epochs: how many sets of ``per_epoch`` fresh numbers to train on.
        batch_size, learning_rate: Adam's batches and the peak of its one-cycle schedule.
        seed: the same seed gives the same model.
        path: the MNIST folder.
        validation: numbers written from held-out training digits and read after every
            epoch (0: none).
        recurrent, units, filters, stride: the network (see :func:`~glassnet.workbench.line_reader.line_model`).
        backup: a file where the model is saved after every epoch (atomically, with its
            optimizer's state); when it exists, training goes on from it
            (:func:`resume_backup`) and ends with the same model as a run never stopped,
            because every epoch's numbers and batches come from the seed and the epoch.
    """
    import numpy as np

    from glassnet.datasets import numbers
    from glassnet.engine.callbacks import ProgressBar
    from glassnet.engine.optimizers import Adam
    from glassnet.engine.schedules import OneCycle
    from glassnet.workbench.line_reader import BLANK, CTCLoss, line_model, score_texts

    began = time.perf_counter()
    x_train, y_train = _training_digits(path)
    held_out = numbers.compose(x_train[-HELD_OUT:], y_train[-HELD_OUT:], validation, length=7,
                               seed=seed + 1) if validation else None
    model = line_model(seed=seed, recurrent=recurrent, units=units, filters=filters, stride=stride)
    steps = -(-per_epoch // batch_size)
    model.compile(Adam(OneCycle(learning_rate, total_steps=epochs * steps, pct_start=0.25)), CTCLoss(blank=BLANK))
    model.build()
    plan = {"epochs": epochs, "per_epoch": per_epoch, "batch_size": batch_size, "learning_rate": learning_rate,
            "seed": seed, "validation": validation, "recurrent": recurrent, "units": units,
            "filters": list(filters), "stride": stride}
    if backup is not None and Path(backup).exists():
        model = resume_backup(backup, plan, model, log)
    elif verbose:
        model.summary()
    copies, first = WidthCopies(model), model.epoch
    before = model.settings.get("train_seconds", 0.0)      # a backup's time so far
    progress = ProgressBar(verbose)
    progress.set_params({"epochs": epochs, "steps": steps})
    progress.on_train_begin()
    logs = {}
    with number_writer() as writer:
        upcoming = writer.submit(epoch_numbers, per_epoch, (seed, first), path)
        for epoch in range(first, epochs):   # fresh numbers every epoch
            x, y = upcoming.result()
            if epoch + 1 < epochs:    # the next epoch's, written while this one trains
                upcoming = writer.submit(epoch_numbers, per_epoch, (seed, epoch + 1), path)
            start, losses, total = time.perf_counter(), [], 0.0
            progress.on_epoch_begin(epoch)
            rng = np.random.default_rng((seed, 1, epoch))     # this epoch's margins and batch order
            for step, (rows, width) in enumerate(width_batches(x, batch_size, rng)):
                strips = np.multiply(x[rows, :, :width], np.float32(1 / 255), dtype=np.float32)
                losses.append(copies.train_on_batch(strips, y[rows]))
                total += losses[-1]
                progress.on_train_batch_end(step, {"loss": total / len(losses)})
            copies.gather()
            logs = {"loss": total / len(losses)}
            if held_out is not None:   # how many held-out numbers it reads whole
                whole, right, wrong_count = score_texts(read_texts(model, held_out.images), held_out.labels)
                logs["val_whole"] = whole
                log(f"epoch {epoch + 1}/{epochs}: loss {logs['loss']:.4f}; "
                    f"{validation} validation numbers (7 digits, held-out training digits): "
                    f"{whole:.1%} whole, {right:.2%} of digits, {wrong_count:.1%} wrong count")
            model.epoch = epoch + 1
            model.training_log.record(epoch, logs, time.perf_counter() - start, model.optimizer.lr, losses)
            model.settings["train_seconds"] = round(before + time.perf_counter() - began, 2)
            if backup is not None:    # nothing lost if the run stops: the next one goes on from here
                model.settings["backup_plan"] = plan
                model.save(backup)
            progress.on_epoch_end(epoch, logs)
    progress.on_train_end(logs)
    return model


def run(args):
    from glassnet.datasets import numbers
    from glassnet.workbench import line_reader

    check_arguments(args)
    epochs = args.epochs or EPOCHS
    batch_size = args.batch_size or BATCH_SIZE
    learning_rate = args.lr or LEARNING_RATE
    out = args.out or "numbers-line.npz"
    backup = backup_path(out)
    model = train(epochs, NUMBERS_PER_EPOCH, batch_size, learning_rate, args.seed, args.data_dir,
                  args.verbose, backup=backup)
    seconds = model.settings.get("train_seconds", 0.0)      # a stopped run's time included
    test = numbers.make_numbers(1000, length=7, seed=0, path=args.data_dir)
    whole, right, wrong_count = line_reader.score_texts(read_texts(model, test.images), test.labels)
    model.settings.update(
        task="numbers", dataset="mnist", epochs=epochs, numbers_per_epoch=NUMBERS_PER_EPOCH,
        learning_rate=learning_rate, seed=args.seed,
        strip={"height": line_reader.HEIGHT, "band": line_reader.BAND, "stride": line_reader.stride_of(model)},
        blank=line_reader.BLANK, class_names=[str(d) for d in range(10)],
        test_numbers={"whole": whole, "digits": right, "wrong_count": wrong_count,
                      "data": "1000 seven-digit numbers from MNIST test digits, seed 0 (best path)"})
    model.settings.pop("backup_plan", None)
    model.save(out)
    backup.unlink(missing_ok=True)      # finished: the model is in its file
    print(f"1000 seven-digit numbers from MNIST test digits (seed 0, best path): {whole:.1%} read whole, "
          f"{right:.2%} of digits, {wrong_count:.1%} with the wrong count; trained in {seconds / 60:.1f} min")
    print(f"saved the line reader to {out}")
    return 0
