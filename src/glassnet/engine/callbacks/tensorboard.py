"""TensorBoard: write the loss and metrics of every epoch where TensorBoard can plot them.

``keras.callbacks.TensorBoard`` writes its logs with TensorFlow; glassnet writes the same
files with the standard library, in about a hundred lines. They are worth reading: a
TensorBoard log is a simple thing.

How a log file is laid out
--------------------------
``fit`` writes into two folders, ``log_dir/train`` and ``log_dir/validation`` (TensorBoard
shows them as two runs, two lines on each plot). Each holds a file named
``events.out.tfevents.<seconds>.<host>.<process>.<n>.v2``, a sequence of *records* (the
TFRecord format)::

    uint64  length of the data, little-endian        8 bytes
    uint32  masked CRC-32C of those 8 bytes           4 bytes
    bytes   the data: one Event                       length bytes
    uint32  masked CRC-32C of the data                4 bytes

The checksums let a reader trust a file that is still being written: a record cut short
by a crash, or read half-written while training runs, fails its check and is skipped.

Each record holds one ``Event``, a protocol-buffer message. Protocol buffers write every
field as a *key* (the field's number times 8, plus a code for its kind) followed by the
value: a *varint* for whole numbers (7 bits a byte, the top bit saying "more follows"),
8 or 4 raw bytes for a double or a float, and a length then the bytes for text and
nested messages. The fields glassnet writes::

    Event    wall_time (1, double): seconds since 1970
             step (2, int64): the epoch, or the batch
             file_version (3, string): "brain.Event:2", in the first event of a file only
             summary (5, Summary)
    Summary  value (1, Summary.Value)
    Value    tag (1, string): the name of the plot, e.g. "epoch_loss"
             simple_value (2, float): the number

That is all TensorBoard needs to draw a scalar plot.
"""

import itertools
import os
import socket
import struct
import time
import warnings

import numpy as np

from glassnet.engine.callbacks.base import Callback
from glassnet.errors import GlassnetError

# -- CRC-32C, the checksum of the records ---------------------------------------------------

CASTAGNOLI = 0x82F63B78   # the CRC-32C polynomial, bits reversed (the bytes go in low bit first)


def _crc_table():
    """``table[b]``: the CRC of the single byte ``b``, eight shift-and-xor steps done once."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (CASTAGNOLI if crc & 1 else 0)
        table.append(crc)
    return table


CRC_TABLE = _crc_table()


def crc32c(data):
    """The CRC-32C (Castagnoli) checksum of ``data`` (bytes): ``crc32c(b"123456789")`` is
    ``0xE3069283``. One table look-up per byte."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """The checksum as TFRecord stores it: rotated right by 15 bits, plus a constant (so that
    the CRC of data that itself holds CRCs does not come out trivially)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(data):
    """``data`` framed as one TFRecord: length, its checksum, the data, its checksum."""
    length = struct.pack("<Q", len(data))
    return (length + struct.pack("<I", masked_crc32c(length))
            + data + struct.pack("<I", masked_crc32c(data)))


# -- the protocol-buffer fields an Event needs ----------------------------------------------

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5    # the wire types


def varint(number):
    """A non-negative whole number, 7 bits a byte, low bits first; the top bit says "more"."""
    number &= (1 << 64) - 1           # an int64 below zero is written as its 64-bit pattern
    out = bytearray()
    while number >= 0x80:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def field(number, wire_type, payload):
    """A field: its key (number and wire type) and its encoded value."""
    return varint(number << 3 | wire_type) + payload


def message_field(number, content):
    """A string, bytes or nested message: the length, then the bytes."""
    return field(number, LENGTH_DELIMITED, varint(len(content)) + content)


def scalar_event(tag, value, step, wall_time):
    """The bytes of an Event that holds one scalar: ``tag`` at ``step`` is ``value``."""
    summary_value = message_field(1, tag.encode("utf-8")) + field(2, FIXED32, struct.pack("<f", value))
    summary = message_field(1, summary_value)
    return (field(1, FIXED64, struct.pack("<d", wall_time)) + field(2, VARINT, varint(step))
            + message_field(5, summary))


def version_event(wall_time):
    """The first Event of every file: it tells the reader which format follows."""
    return field(1, FIXED64, struct.pack("<d", wall_time)) + message_field(3, b"brain.Event:2")


_file_numbers = itertools.count()     # keeps two files opened in the same second apart


class EventFileWriter:
    """A new event file in ``log_dir`` (made if missing), to which :meth:`add_scalar` appends.

    Every record is flushed at once, so TensorBoard shows each epoch as soon as it ends.
    """

    def __init__(self, log_dir):
        now = time.time()
        name = (f"events.out.tfevents.{int(now)}.{socket.gethostname()}.{os.getpid()}."
                f"{next(_file_numbers)}.v2")
        self.path = os.path.join(log_dir, name)
        try:
            os.makedirs(log_dir, exist_ok=True)
            self.file = open(self.path, "wb")
        except OSError as error:
            raise GlassnetError(f"TensorBoard: can't write a log in {log_dir!r}: "
                                f"{error.strerror or error}") from None
        self._write(version_event(now))

    def add_scalar(self, tag, value, step):
        """One point of the plot ``tag``; a metric with one value per class (``F1Score()``)
        gets a plot per class, ``tag_0``, ``tag_1``, ..."""
        if np.ndim(value) != 0:
            for i, one in enumerate(np.ravel(value)):
                self.add_scalar(f"{tag}_{i}", one, step)
            return
        self._write(scalar_event(tag, float(value), int(step), time.time()))

    def _write(self, event):
        self.file.write(record(event))
        self.file.flush()

    def close(self):
        self.file.close()


# -- the callback ---------------------------------------------------------------------------

class TensorBoardWarning(UserWarning):
    """A TensorBoard setting asks for something glassnet does not write."""


class TensorBoard(Callback):
    """Log the loss, the metrics and the learning rate for TensorBoard, as Keras 3 does.

    Then ``tensorboard --logdir logs`` (the ``tensorboard`` package, not part of glassnet)
    plots them. Written, with Keras's tags:

    * ``log_dir/train``: ``epoch_loss``, ``epoch_<metric>`` (``epoch_accuracy``) and
      ``epoch_learning_rate`` after every epoch, at step = the epoch (from 0);
    * ``log_dir/validation``: the ``val_`` figures under the same tags (``val_loss`` is
      ``epoch_loss`` there, so training and validation share a plot), and after each
      validation pass ``evaluation_loss_vs_iterations`` (and each metric) at step = the
      optimizer's iterations;
    * with ``update_freq=N`` (or ``"batch"``, N = 1), also ``batch_loss``, ``batch_<metric>``
      every N training batches, at step = the batch counted from 1 over the whole ``fit``;
    * with ``write_steps_per_second=True``, ``epoch_steps_per_second`` (and, with
      ``update_freq=N``, ``batch_steps_per_second``).

    Each ``fit`` starts new files; TensorBoard joins all the files of a folder. The runs, tags
    and steps are Keras 3.15's (``scripts/compare_tensorboard_tags.py`` checks them on the
    "Get started with TensorBoard" tutorial). One difference inside: Keras stores each number
    as a one-element tensor, glassnet as a ``simple_value``; TensorBoard plots both alike.

    Not written: weight histograms (``histogram_freq``), weight images (``write_images``),
    embeddings (``embeddings_freq``) and profiler traces (``profile_batch``), which need
    TensorFlow: asking for one gives a :class:`TensorBoardWarning` naming it, and training
    goes on. Nor the model's graph (``write_graph``, on by default, so that a Keras program
    runs unchanged; no warning): ``model.summary()`` shows the layers instead.

    Args:
        log_dir: the folder of the logs.
        histogram_freq, write_graph, write_images, profile_batch, embeddings_freq,
            embeddings_metadata: Keras's arguments, see above.
        write_steps_per_second: also log the training speed.
        update_freq: ``"epoch"``, ``"batch"`` or a number of batches.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None, **keras2_options):
        super().__init__()
        self._keras2_options(keras2_options)
        self.log_dir = str(os.fspath(log_dir))
        self.histogram_freq, self.write_graph, self.write_images = histogram_freq, write_graph, write_images
        self.write_steps_per_second = bool(write_steps_per_second)
        self.update_freq = 1 if update_freq == "batch" else update_freq
        if self.update_freq != "epoch" and (isinstance(self.update_freq, bool) or not isinstance(
                self.update_freq, int) or self.update_freq < 1):
            raise ValueError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a whole number "
                             f">= 1, got {update_freq!r}")
        self.profile_batch = profile_batch
        self.embeddings_freq, self.embeddings_metadata = embeddings_freq, embeddings_metadata
        self._warn_unwritten()
        self._writers = {}
        self._training = False
        self._global_train_batch = 0
        self._epoch_start_iterations = None

    @staticmethod
    def _keras2_options(options):
        """Keras 2.2's batch_size, write_grads, embeddings_layer_names and embeddings_data,
        which shaped histograms and embeddings glassnet doesn't write: taken, with a warning."""
        unknown = sorted(set(options) - {"batch_size", "write_grads", "embeddings_layer_names", "embeddings_data"})
        if unknown:
            raise TypeError(f"TensorBoard: unknown argument(s) {', '.join(unknown)}")
        if options:
            warnings.warn(f"TensorBoard: {', '.join(sorted(options))} are Keras 2's (Keras 3 removed them); "
                          f"they change nothing glassnet writes", DeprecationWarning, stacklevel=3)

    def _warn_unwritten(self):
        """One warning for each setting that asks for what glassnet does not write."""
        unwritten = []
        if self.histogram_freq:
            unwritten.append(f"histogram_freq={self.histogram_freq!r}: weight histograms")
        if self.write_images:
            unwritten.append("write_images=True: weight images")
        if self.embeddings_freq:
            unwritten.append(f"embeddings_freq={self.embeddings_freq!r}: embeddings for the projector")
        if self.profile_batch not in (0, None, "0", "0,0", (0, 0), [0, 0]):    # Keras's "off"
            unwritten.append(f"profile_batch={self.profile_batch!r}: a profiler trace")
        for what in unwritten:
            warnings.warn(f"TensorBoard: {what} are not written by glassnet (they need TensorFlow); "
                          f"the loss, metrics and learning rate are", TensorBoardWarning, stacklevel=3)

    # -- the two event files, opened when first needed (as Keras does) ---------------------
    def _writer(self, run):
        if run not in self._writers:
            self._writers[run] = EventFileWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    def _close_writers(self):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}

    # -- the hooks ------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._training = True
        self._global_train_batch = 0

    def on_train_end(self, logs=None):
        self._training = False
        self._close_writers()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_start_iterations = self._iterations()

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        step = self._global_train_batch
        if self.update_freq == "epoch" or step % self.update_freq:
            return
        scalars = dict(logs or {})
        if self.write_steps_per_second:
            scalars["steps_per_second"] = 1.0 / max(time.perf_counter() - self._batch_start, 1e-9)
        for name, value in scalars.items():
            self._writer("train").add_scalar(f"batch_{name}", value, step)

    def on_test_end(self, logs=None):
        """After a validation pass (or ``evaluate``): its figures against the optimizer's steps."""
        iterations = self._iterations()
        if iterations is not None:
            for name, value in (logs or {}).items():
                self._writer("validation").add_scalar(f"evaluation_{name}_vs_iterations", value, iterations)
        if not self._training:     # evaluate() on its own: no on_train_end will close the file
            self._close_writers()

    def on_epoch_end(self, epoch, logs=None):
        if not logs:
            return
        train = {name: value for name, value in logs.items() if not name.startswith("val_")}
        validation = {name[len("val_"):]: value for name, value in logs.items() if name.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second and self._epoch_start_iterations is not None:
            seconds = max(time.perf_counter() - self._epoch_start, 1e-9)
            train["steps_per_second"] = (self._iterations() - self._epoch_start_iterations) / seconds
        for run, scalars in (("train", train), ("validation", validation)):
            for name, value in scalars.items():
                self._writer(run).add_scalar(f"epoch_{name}", value, epoch)

    def _iterations(self):
        """The optimizer's step count, or None without an optimizer."""
        return getattr(getattr(self.model, "optimizer", None), "iterations", None)
