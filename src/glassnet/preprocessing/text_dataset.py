"""``text_dataset_from_directory``: a folder of ``.txt`` files, one subfolder per class, as
batches ``(texts, labels)`` (keras.io's "Text classification from scratch" reads IMDB so)::

    aclImdb/train/
        neg/  0_3.txt  1_1.txt ...
        pos/  ...

    raw_train_ds = keras.utils.text_dataset_from_directory(
        "aclImdb/train", batch_size=32, validation_split=0.2, subset="training", seed=1337)
    vectorize_layer.adapt(raw_train_ds.map(lambda x, y: x))
    train_ds = raw_train_ds.map(lambda x, y: (vectorize_layer(x), y))

Keras 3's function and defaults, without TensorFlow: a :class:`~glassnet.utils.PyDataset`
(with the Dataset methods the tutorials chain: ``map``, ``take``, ``cache``, ``prefetch``)
whose texts are NumPy arrays of str, read as UTF-8 (TensorFlow's are bytes). The classes are
the subfolders in alphabetical order (``class_names``), the files listed, shuffled and split
as :func:`~glassnet.preprocessing.image_dataset.image_dataset_from_directory` does.
"""

import numpy as np

from glassnet.preprocessing.image_dataset import (LABEL_MODES, ImageDataset, check_folder, list_class_names,
                                                  list_image_files, split_files)

OWNER = "text_dataset_from_directory"


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, batch_size=32,
                                max_length=None, shuffle=True, seed=None, validation_split=None, subset=None,
                                follow_links=False, verbose=True):
    """The ``.txt`` files under ``directory`` as batches ``(texts, labels)`` (see the module docstring).

    Args (Keras's):
        labels: ``"inferred"`` (from the subfolders) or None (texts only).
        label_mode: ``"int"``, ``"categorical"`` (one-hot), ``"binary"`` (two classes) or None.
        class_names: the subfolders to use, in this order (default: all, alphabetically).
        batch_size: texts per batch (None: batches of one).
        max_length: keep at most this many bytes of each text (its UTF-8, as TensorFlow cuts it).
        shuffle, seed, validation_split, subset: as image_dataset_from_directory's.

    Returns:
        a :class:`TextDataset`, or a ``(training, validation)`` pair for ``subset="both"``.
    """
    if labels not in ("inferred", None):
        raise ValueError(f'{OWNER}: labels must be "inferred" or None (a list of labels is not supported by glassnet)')
    if label_mode not in LABEL_MODES:
        raise ValueError(f"{OWNER}: label_mode must be one of {LABEL_MODES}, got {label_mode!r}")
    root = check_folder(directory)
    names = [] if labels is None else list_class_names(root, class_names)
    files = [(path, 0) for path in list_image_files(root, (".txt",), follow_links)] if labels is None else \
        [(path, index) for index, name in enumerate(names)
         for path in list_image_files(root / name, (".txt",), follow_links)]
    if not files:
        from glassnet.errors import DataError
        raise DataError(f"{root}: no .txt files found" + (", one subfolder per class" if labels else ""))
    if label_mode == "binary" and len(names) != 2:
        from glassnet.errors import DataError
        raise DataError(f'{root}: label_mode="binary" needs 2 classes, found {len(names)}: {names}')
    rng = np.random.default_rng(seed)
    if shuffle:
        files = [files[i] for i in rng.permutation(len(files))]
    parts = split_files(files, validation_split, subset, shuffle, seed, OWNER)
    if verbose:
        print(f"Found {len(files)} files belonging to {len(names)} classes." if labels else f"Found {len(files)} files.")
        for label, part in parts:
            if label:
                print(f"Using {len(part)} files for {label}.")
    datasets = [TextDataset(part, names, label_mode if labels else None, batch_size, shuffle and label != "validation",
                            rng, max_length) for label, part in parts]
    return tuple(datasets) if subset == "both" else datasets[0]


class TextDataset(ImageDataset):
    """Batches of texts read from files: ``(texts, labels)`` or texts alone; ``texts`` a NumPy
    array of str ``(batch,)``. Each file is read once, then kept."""

    def __init__(self, files, class_names, label_mode, batch_size, shuffle, rng, max_length):
        super().__init__(files, class_names, label_mode, None, batch_size, (1, 1), shuffle, rng, None, False)
        self.max_length = max_length

    def _item(self, i):
        if i not in self.decoded:
            data = self.files[i][0].read_bytes()
            if self.max_length is not None:
                data = data[:self.max_length]
            self.decoded[i] = data.decode("utf-8", errors="ignore")    # (a character cut in two is dropped)
        return self.decoded[i]
