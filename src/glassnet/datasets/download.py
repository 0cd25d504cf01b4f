"""Find the four MNIST-format files on disk, or download them once into a cache.

MNIST and Fashion-MNIST share one layout: four gzip'ed IDX files with the same
names (training images and labels, test images and labels). So one loader serves
both; ``mnist.py`` and ``fashion_mnist.py`` only describe *which* dataset.

Where the files are looked for, in order:

1. the folder given as ``path=`` (its ``mnist/`` subfolder first, then itself),
2. the folder named by the ``$GLASSNET_DATA`` environment variable (again its
   ``mnist/`` subfolder first, then itself),
3. the cache, ``~/.cache/glassnet/mnist`` (``$XDG_CACHE_HOME`` moves it),
4. the web: each file is fetched from the first mirror that works, its md5 is
   compared with the published one (so a proxy's error page or a cut-off
   download is never kept), and it is written to a temporary name first and
   renamed into the cache only when complete. A tqdm bar shows the download on a
   terminal; elsewhere (a log, a terminal with no width) one plain line per file.

Local folders are trusted by checking the IDX headers and shapes rather than
checksums: people recompress or decompress these files, which changes the .gz
bytes but not the data inside.
"""

import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from glassnet.datasets.idx import read_idx
from glassnet.datasets.progress import progress_bar
from glassnet.errors import DataError

FILES = (  # the same four names for MNIST and Fashion-MNIST
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
)
TIMEOUT_S = 30
_MAX_DOWNLOAD = 100 << 20  # no MNIST file comes near 100 MiB; stop a runaway response


class DataUnavailable(DataError):
    """The files are not on disk and could not be downloaded (offline, or downloads off)."""


@dataclass(frozen=True)
class IdxDataset:
    """What the loader needs to know about one MNIST-format dataset.

    Args:
        name: folder name under the cache and ``$GLASSNET_DATA``, e.g. ``"mnist"``.
        title: the name shown to people, e.g. ``"MNIST"``.
        md5s: the published md5 of each original ``.gz`` file, keyed by file name.
        mirrors: base URLs, tried in order; the file name is appended.
        class_names: what each label 0-9 means.
    """

    name: str
    title: str
    md5s: dict
    mirrors: tuple
    class_names: tuple


def load_arrays(dataset, path=None, allow_download=True):
    """Load ``((x_train, y_train), (x_test, y_test))`` and say where they came from.

    Returns:
        ``(arrays, source)``: the Keras-style uint8 tuples, and a sentence such as
        ``"MNIST from /data/mnist"`` or ``"MNIST downloaded to ~/.cache/glassnet/mnist"``.

    Raises:
        DataUnavailable: the files are nowhere on disk and the download failed.
        DataError: a file was found but is corrupt, or a folder holds only some files.
    """
    files, downloaded = _locate(dataset, path, allow_download)
    train = _read_pair(files[FILES[0]], files[FILES[1]])
    test = _read_pair(files[FILES[2]], files[FILES[3]])
    for (images, _), name in ((train, FILES[0]), (test, FILES[2])):
        if len(images) == 0:   # a figure "on 0 images" would read nan%: refuse instead
            raise DataError(f"{files[name]}: holds 0 images; {dataset.title} needs both training "
                            "and test images")
    folder = _pretty(files[FILES[0]].parent)
    verb = "downloaded to" if downloaded else "from"
    return (train, test), f"{dataset.title} {verb} {folder}"


def cache_dir(name):
    """``$XDG_CACHE_HOME/glassnet/<name>``, or ``~/.cache/glassnet/<name>``."""
    root = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(root) if os.path.isabs(root) else Path.home() / ".cache"
    return base / "glassnet" / name


def fetch(filename, md5, mirrors, folder, timeout=TIMEOUT_S, largest=_MAX_DOWNLOAD):
    """Download one file into ``folder``, trying each mirror until one gives the right bytes.

    Returns the path written. Raises :class:`DataUnavailable` naming every mirror
    tried and why it failed. ``largest``: the most bytes a right answer can have.
    """
    import urllib.request  # imported here: it is slow to import and rarely needed

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        reason = e.strerror or e
        raise DataUnavailable(f"{folder}: cannot create the download folder ({reason})") from None
    print(f"glassnet: downloading {filename} into {_pretty(folder)}", file=sys.stderr)
    failures = []
    for base in mirrors:
        url = base + filename
        request = urllib.request.Request(url, headers={"User-Agent": "glassnet (python urllib)"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return _save_checked(response, md5, folder / filename, url, largest)
        except Exception as e:  # noqa: BLE001 - any failure means "try the next mirror"
            failures.append(f"{url} ({_reason(e)})")
    raise DataUnavailable(f"{filename}: download failed from every mirror: {'; '.join(failures)}")


def _save_checked(response, md5, target, url="", largest=_MAX_DOWNLOAD):
    """Stream ``response`` into a temporary file, check its md5 (or its sha256, for a
    64-digit checksum; None: keras.utils.get_file without a hash, nothing to check), then
    rename it into place."""
    digest, size = (hashlib.sha256() if md5 and len(md5) == 64 else hashlib.md5()), 0
    length = response.headers.get("Content-Length", "") if hasattr(response, "headers") else ""
    bar = progress_bar(int(length) if length.isdigit() else None, target.name)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as tmp:
            while chunk := response.read(1 << 16):
                size += len(chunk)
                if size > largest:
                    raise ValueError("response too large")
                digest.update(chunk)
                tmp.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
            tmp.flush()
            os.fsync(tmp.fileno())
        if md5 is not None and digest.hexdigest() != md5:
            raise ValueError(f"{digest.name} {digest.hexdigest()} differs from the published {md5}")
        os.replace(tmp_name, target)  # atomic: readers never see half a file
    except BaseException:
        os.unlink(tmp_name)
        raise
    finally:
        if bar is not None:
            bar.close()
    if bar is None:
        print(f"glassnet: downloaded {target.name} ({size / 1e6:.1f} MB){' from ' + url if url else ''}",
              file=sys.stderr)
    return target


def _reason(error):
    """A short human reason for a failed download."""
    code = getattr(error, "code", None)
    if code is not None:
        return f"HTTP {code}"
    reason = getattr(error, "reason", None) or error
    return str(reason) or type(error).__name__


def _roots(path):
    """The folders the user pointed at: ``path=`` first, then ``$GLASSNET_DATA``.

    A folder that does not exist is an error, not something to skip quietly:
    a typo would otherwise turn into a surprise download."""
    roots = []
    for root, label in ((path, ""), (os.environ.get("GLASSNET_DATA") or None, "$GLASSNET_DATA=")):
        if root is not None:
            try:
                root = Path(root).expanduser()
            except RuntimeError:           # "~nosuchuser/...": Python can't find that home folder
                raise DataError(f"{label}{root}: no such folder (no user {str(root)[1:].split('/')[0]!r})") from None
            if not root.is_dir():
                raise DataError(f"{label}{root}: no such folder")
            roots.append(root)
    return roots


def _present(folder):
    """Map each of the four names to the file found in ``folder`` (gzip'ed or not)."""
    found = {}
    for name in FILES:
        raw = name[: -len(".gz")]
        for variant in (name, raw, raw.replace("-idx", ".idx")):
            if (folder / variant).is_file():
                found[name] = folder / variant
                break
    return found


def _locate(dataset, path, allow_download):
    """Return ``(files, downloaded)``: the path of each of the four files."""
    for index, root in enumerate(_roots(path)):
        for folder in (root / dataset.name, root):    # mnist/ first: a root may hold several datasets
            found = _present(folder)
            if len(found) == len(FILES):
                return found, False
            if found:
                missing = ", ".join(sorted(set(FILES) - set(found)))
                raise DataError(f"{folder}: holds some {dataset.title} files but not {missing}")
        if index == 0 and path is not None:    # the folder the user named: not quietly replaced
            raise DataError(f"{root}: no {dataset.title} files in it or in {root / dataset.name} "
                            f"(expected {', '.join(FILES)}, gzip'ed or not)")
    cache = cache_dir(dataset.name)
    found = _present(cache)
    if len(found) == len(FILES):
        return found, False
    if not allow_download:
        looked = ", ".join(_pretty(f) for f in _roots(path) + [cache])
        raise DataUnavailable(f"{dataset.title}: not found in {looked}, and downloads are off")
    for name in FILES:
        if name not in found:
            found[name] = fetch(name, dataset.md5s[name], dataset.mirrors, cache)
    return found, True


def _read_pair(images_path, labels_path):
    """Read matching image and label files, checking they agree with each other."""
    images = read_idx(images_path, kind="images")
    labels = read_idx(labels_path, kind="labels")
    if images.shape[1:] != (28, 28):
        rows, cols = images.shape[1:]
        raise DataError(f"{images_path}: images are {rows}x{cols}, expected 28x28")
    if len(images) != len(labels):
        raise DataError(
            f"{images_path.name} holds {len(images)} images but "
            f"{labels_path.name} holds {len(labels)} labels (in {labels_path.parent})"
        )
    return images, labels


def _pretty(path):
    """Show a path under the home folder as ``~/...``, as people type it."""
    path, home = Path(path), Path.home()
    try:
        return "~/" + str(path.relative_to(home)) if path != home else "~"
    except ValueError:
        return str(path)
