"""Teach a model your handwriting: a folder of your digits, and fine-tuning on them.

When the model reads one of your digits wrong, the drawing page can keep it with the right
label ("Wrong? It was a ..."). Those digits go into a folder (:func:`default_folder`, or
``glassnet serve --collect DIR``), one subfolder per label::

    DIR/
      7/0001.png  7/0002.png ...     # any picture of one digit: a drawing, a photo, a scan
      4/0001.png ...

:func:`finetune` then trains the model a little more on them, **mixed with MNIST**. Trained
on your 30 digits alone, the model would learn them by heart and forget what it knew (a
network has no separate memory for old and new: every step moves the same weights).
Three things keep it from forgetting:

* every batch is mostly MNIST, with your digits making up :data:`USER_SHARE` of it (so
  each of your digits is seen many times per epoch: oversampled);
* a learning rate a third of training's, so each step changes little;
* few epochs, each over a slice of MNIST, not all of it.

Measured (``benchmarks/finetune_handwriting.py``, a made-up writer, 10 digits per class):
the default MLP goes from 56% to 99% on the writer's other digits while MNIST stays at
98%; trained on the writer's digits alone, the same steps cost more of MNIST. Moving and
turning the digits (``augment=True``) did not help the writer and cost MNIST 0.2-0.8
points, so it is off by default.
"""

import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np

from glassnet.errors import DataError
from glassnet.preprocessing.image_dataset import IMAGE_SUFFIXES

USER_SHARE = 0.25      # the share of each batch that is the user's digits
LEARNING_RATE = 3e-4   # a third of Adam's usual 1e-3
EPOCHS = 3
MNIST_PER_EPOCH = 12_000   # MNIST digits per fine-tuning epoch
# The picture kinds image_dataset_from_directory reads (Keras's), and the ones phones and
# scanners also make; compared in any case: PHOTO.JPG too.
SUFFIXES = IMAGE_SUFFIXES + (".webp", ".tif", ".tiff")


def default_folder():
    """Where the drawing page keeps your corrections unless told otherwise:
    ``$XDG_DATA_HOME/glassnet/digits``, or ``~/.local/share/glassnet/digits``."""
    root = os.environ.get("XDG_DATA_HOME", "")
    base = Path(root) if os.path.isabs(root) else Path.home() / ".local" / "share"
    return base / "glassnet" / "digits"


def save_user_digit(folder, image, label):
    """Keep one digit and its label: write ``folder/<label>/<NNNN>.png`` (atomically).

    Args:
        folder: the collection folder (created if missing).
        image: the picture as PNG bytes, a ``PIL.Image``, or an array (``(H, W)`` 0..255 or
            0..1, dark ink on light as drawn, or light on dark: ``to_mnist`` reads both).
        label: the right answer, e.g. ``7`` or ``"7"``.

    Returns:
        the :class:`~pathlib.Path` written.
    """
    from PIL import Image
    label = str(label)
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", label):
        raise DataError(f"label {label!r}: use a class name of letters, digits, - or _ (e.g. 7)")
    target = Path(folder) / label
    target.mkdir(parents=True, exist_ok=True)
    if isinstance(image, (bytes, bytearray)):
        data = bytes(image)
    else:
        if not isinstance(image, Image.Image):
            array = np.asarray(image, np.float32)
            array = array * 255 if array.max(initial=0) <= 1 else array
            image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8))
        import io
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        data = buffer.getvalue()
    handle, temporary = tempfile.mkstemp(dir=target, suffix=".part")
    with os.fdopen(handle, "wb") as file:
        file.write(data)
    # The next free number, claimed with a hard link, which fails if the name exists: two
    # programs saving at once each get a number of their own, and neither file is lost.
    number = max((int(p.stem) for p in target.glob("*.png") if p.stem.isdigit()), default=0) + 1
    while True:
        path = target / f"{number:04d}.png"
        try:
            os.link(temporary, path)
            break
        except FileExistsError:
            number += 1
        except OSError:               # a file system without hard links: the plain rename
            os.replace(temporary, path)
            return path
    os.unlink(temporary)
    return path


def load_user_digits(folder, class_names=None):
    """Read a collection folder: every picture through ``to_mnist``, its label from its subfolder.

    Args:
        folder: laid out as ``folder/<label>/<picture>``.
        class_names: the model's class names (default ``"0"`` .. ``"9"``); a subfolder
            named otherwise is an error.

    Returns:
        ``(x, y, files)``: float32 ``(N, 28, 28)``, int64 labels ``(N,)`` and the paths read.
        Blank pictures are left out, with a warning naming them.

    Raises:
        DataError: the folder is missing, holds no pictures, or has a subfolder that is no
            class name.
    """
    from glassnet.workbench.preprocess import BlankImageError, to_mnist
    folder = Path(folder)
    names = [str(n) for n in (class_names or range(10))]
    if not folder.is_dir():
        raise DataError(f"{folder}: no such folder of your digits (expected {folder}/<label>/<n>.png)")
    unknown = sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name not in names)
    if unknown:
        raise DataError(f"{folder}: subfolder(s) {', '.join(unknown)} are not class names "
                        f"({', '.join(names)})")
    loose = sorted(p.name for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if loose:
        warnings.warn(f"{folder}: left out {len(loose)} picture(s) not in a class subfolder ({', '.join(loose[:5])}"
                      f"{' ...' if len(loose) > 5 else ''}): put each in {folder}/<label>/", stacklevel=2)
    images, labels, files, blank = [], [], [], []
    for index, name in enumerate(names):
        pictures = (folder / name).iterdir() if (folder / name).is_dir() else ()
        for path in sorted(p for p in pictures if p.is_file() and p.suffix.lower() in SUFFIXES):
            try:
                images.append(to_mnist(path))
            except BlankImageError:
                blank.append(str(path))
                continue
            labels.append(index)
            files.append(path)
    if blank:
        warnings.warn(f"{folder}: left out {len(blank)} blank picture(s): {', '.join(blank[:5])}"
                      f"{' ...' if len(blank) > 5 else ''}", stacklevel=2)
    if not images:
        raise DataError(f"{folder}: no pictures of digits found (expected {folder}/<label>/<n>.png)")
    return np.stack(images), np.array(labels, np.int64), files


def mixed_epoch(user_x, user_y, x, y, rng, user_share=USER_SHARE, mnist_per_epoch=MNIST_PER_EPOCH):
    """One epoch's training set: a random slice of MNIST, plus the user's digits repeated
    until they are ``user_share`` of it, shuffled together.

    Returns ``(x_epoch, y_epoch, is_user)``.
    """
    if not 0 < user_share < 1:
        raise ValueError(f"user_share must be between 0 and 1, got {user_share!r}")
    pick = rng.choice(len(x), size=min(mnist_per_epoch, len(x)), replace=False)
    copies = max(1, round(user_share / (1 - user_share) * len(pick) / len(user_x)))
    xs = np.concatenate([x[pick], np.tile(user_x, (copies,) + (1,) * (user_x.ndim - 1))])
    ys = np.concatenate([y[pick], np.tile(user_y, copies)])
    is_user = np.r_[np.zeros(len(pick), bool), np.ones(copies * len(user_x), bool)]
    order = rng.permutation(len(xs))
    return xs[order], ys[order], is_user[order]


def finetune(model, user_x, user_y, x, y, epochs=EPOCHS, learning_rate=LEARNING_RATE,
             user_share=USER_SHARE, mnist_per_epoch=MNIST_PER_EPOCH, batch_size=32, seed=0,
             augment=False, verbose=0):
    """Fine-tune ``model`` on the user's digits mixed with MNIST, so it learns them
    without forgetting MNIST. The model is changed in place (and returned).

    Args:
        model: a trained model.
        user_x, user_y: the user's digits, ``(M, 28, 28)`` 0..1, and labels.
        x, y: MNIST training digits (0..1) and labels.
        epochs, learning_rate, user_share, mnist_per_epoch: see the module's docstring.
        batch_size: as in training.
        seed: for the MNIST slices and the shuffling.
        augment: move, turn and wobble every training digit a little.
        verbose: passed to ``fit``.

    Returns:
        the model, recompiled with Adam at ``learning_rate`` (its old optimizer state is
        not kept: it was tuned to the old data).
    """
    from glassnet.datasets.augment import DigitAugmentation
    from glassnet.engine.optimizers import Adam
    user_x = np.asarray(user_x, np.float32).reshape(-1, 28, 28)
    user_y = np.asarray(user_y).reshape(-1)
    if len(user_x) == 0 or len(user_x) != len(user_y):
        raise DataError(f"your digits: {len(user_x)} pictures and {len(user_y)} labels")
    loss = getattr(model.loss, "name", None) or "sparse_categorical_crossentropy"
    model.compile(optimizer=Adam(learning_rate), loss=loss, metrics=["accuracy"])
    x, y = np.asarray(x, np.float32).reshape(-1, 28, 28), np.asarray(y).reshape(-1)
    rng = np.random.default_rng(seed)
    wobble = DigitAugmentation(rotation_range=8, zoom_range=0.08, elastic_alpha=8) if augment else None
    split = model.settings.get("validation_split")   # what the model was validated on, kept
    for _ in range(epochs):
        xs, ys, _ = mixed_epoch(user_x, user_y, x, y, rng, user_share, mnist_per_epoch)
        # One more epoch in the model's count (and its training log), not epoch 1 again.
        model.fit(xs, ys, initial_epoch=model.epoch, epochs=model.epoch + 1, batch_size=batch_size,
                  shuffle=True, augment=wobble, verbose=verbose)
    model.settings.update(finetuned_on=int(len(user_x)), finetune_epochs=epochs,
                          finetune_learning_rate=learning_rate)
    if split is not None:
        model.settings["validation_split"] = split
    return model
