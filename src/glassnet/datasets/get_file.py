"""``keras.utils.get_file``: a file from the web, downloaded once into Keras's cache folder.

TensorFlow's tutorials fetch their data this way before reading it::

    data_dir = keras.utils.get_file("flower_photos", origin=dataset_url, untar=True)
    train_ds = keras.utils.image_dataset_from_directory(data_dir, ...)

As in Keras 3: the file goes to ``~/.keras/datasets`` (``cache_dir=``, ``cache_subdir=``, or
``$KERAS_HOME`` move it); a file already there is used again unless its hash (``file_hash=``,
sha256 or md5, told apart by length) says it is stale, or ``force_download=True``; with
``extract=True`` (or ``untar=True``) a tar or zip archive is unpacked, and the folder it was
unpacked to is returned, with Keras's names for the archive and the folder. The download
goes to a temporary name and is renamed when complete (:func:`download._save_checked`), and an
archive that would write outside its folder (``../`` or a link out) is refused.
"""

import hashlib
import os
import tarfile
import urllib.parse
import warnings
import zipfile
from pathlib import Path

from glassnet.datasets.download import TIMEOUT_S, DataUnavailable, _reason, _save_checked


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """The path of the file at ``origin`` (a URL), downloaded into the cache if needed; with
    ``extract``/``untar``, the folder its archive was unpacked to. Keras 3's arguments."""
    if not origin:
        raise ValueError("get_file: origin= (the URL to download) is required")
    name = str(fname) if fname else os.path.basename(urllib.parse.urlsplit(origin).path)
    if not name:
        raise ValueError(f"get_file: can't tell the file name from {origin!r}; give fname=")
    if os.sep in name:
        raise ValueError(f"get_file: fname={name!r} is a path; name the folder with cache_dir=")
    folder = _cache_folder(cache_dir, cache_subdir)
    unpack = extract or untar
    target, unpacked = _places(folder, name, bool(fname), unpack)
    file_hash = file_hash or md5_hash
    if force_download or not target.exists() or (file_hash and not _matches(target, file_hash)):
        _download(origin, target, file_hash)
    if not unpack:
        return str(target)
    _unpack(target, unpacked, "tar" if untar else archive_format)
    return str(unpacked)


def _cache_folder(cache_dir, cache_subdir):
    """``cache_dir/cache_subdir``, made if missing; ``cache_dir`` defaults to ``$KERAS_HOME``
    or ``~/.keras`` (``/tmp/.keras`` where the home folder can't be written), as in Keras."""
    base = Path(cache_dir or os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()
    if cache_dir is None and not os.access(base if base.exists() else base.parent, os.W_OK):
        base = Path("/tmp/.keras")
    folder = base / cache_subdir
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _places(folder, name, named, unpack):
    """``(archive, folder it unpacks to)`` as Keras 3 names them: ``fname="flowers.tgz"``
    unpacks to ``flowers_extracted``; ``fname="flower_photos"`` (or a name from the URL) to
    that name, the archive then being ``<name>_archive``."""
    if not unpack:
        return folder / name, None
    if named and "." in name:
        return folder / name, folder / f"{name[:name.find('.')]}_extracted"
    return folder / f"{name}_archive", folder / name


def _matches(path, file_hash):
    """True if ``path`` has this sha256 (64 hex digits) or md5."""
    digest = hashlib.sha256() if len(file_hash) == 64 else hashlib.md5()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest() == file_hash


def _download(origin, target, file_hash):
    import urllib.request  # slow to import, rarely needed

    print(f"Downloading data from {origin}")
    request = urllib.request.Request(origin, headers={"User-Agent": "glassnet (python urllib)"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            _save_checked(response, file_hash, target, origin, largest=float("inf"))
    except ValueError as e:          # the hash differs
        raise DataUnavailable(f"get_file: {origin}: {e}") from None
    except OSError as e:
        raise DataUnavailable(f"get_file: could not download {origin} ({_reason(e)})") from None


def _unpack(archive, folder, archive_format):
    """Unpack a tar or zip ``archive`` into ``folder`` (``"auto"`` tries both, as Keras does)."""
    kinds = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format or []))
    if "tar" in kinds and tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tar:
            members = tar.getmembers()
            _refuse_escapes(archive, folder, [m.name for m in members] +
                            [str(Path(m.name).parent / m.linkname) for m in members if m.issym()] +
                            [m.linkname for m in members if m.islnk()])
            tar.extractall(folder, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    elif "zip" in kinds and zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zipped:
            _refuse_escapes(archive, folder, zipped.namelist())
            zipped.extractall(folder)
    else:
        warnings.warn(f"get_file: could not extract {archive} (not a {' or '.join(kinds)} archive)", stacklevel=3)


def _refuse_escapes(archive, folder, names):
    """A member (or link) that would land outside ``folder`` is refused in one line."""
    root = Path(folder).resolve()
    for name in names:
        if not (root / name).resolve().is_relative_to(root):
            raise DataUnavailable(f"get_file: {archive} holds {name!r}, which would be written outside "
                                  f"{folder}; not unpacked")
