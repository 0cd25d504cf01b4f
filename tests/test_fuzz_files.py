"""Fuzz tests: generated and damaged files for the IDX reader, the Kaggle CSV reader and
the image loader. Whatever the bytes, the answer is the data or a one-line GlassnetError
naming the file: never another exception, never a hang, never a huge allocation.

The examples are fixed (the "ci" profile in conftest.py, derandomized); set
HYPOTHESIS_PROFILE=explore to search new ones.
"""

import gzip
import io
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install '.[test]')")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from PIL import Image  # noqa: E402

from glassnet.datasets import load_kaggle_csv, read_idx, write_idx  # noqa: E402
from glassnet.errors import GlassnetError  # noqa: E402
from glassnet.workbench.images import load_gray  # noqa: E402
from glassnet.workbench.preprocess import to_mnist  # noqa: E402

pytestmark = pytest.mark.fuzz
# Each example writes a fresh file into one temporary folder, which is fine to reuse.
reuse_tmp = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def written(folder, name, data):
    path = Path(folder) / name
    path.write_bytes(data)
    return path


def expect_data_or_glassnet_error(read, path):
    """``read(path)`` returns, or raises a GlassnetError that names the file on one line."""
    try:
        return read(path)
    except GlassnetError as error:
        message = str(error)
        assert str(path) in message or path.name in message, message
        assert "\n" not in message
        return None


@st.composite
def damaged(draw, original):
    """``original`` bytes, cut short, with bytes flipped, or with bytes inserted."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["cut", "flip", "insert"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if kind == "cut":
            del data[at:]
        elif kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


# -- IDX -----------------------------------------------------------------------------------
def idx_file(images=3, gz=False):
    x = (np.arange(images * 28 * 28) % 256).astype(np.uint8).reshape(images, 28, 28)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / ("x.idx.gz" if gz else "x.idx")
        write_idx(path, x)
        return path.read_bytes()


IDX, IDX_GZ = idx_file(), idx_file(gz=True)


@st.composite
def idx_headers(draw):
    """A header with any magic and sizes (some huge), and a payload of any length."""
    ndim = draw(st.integers(0, 4))
    magic = struct.pack(">BBBB", draw(st.sampled_from([0, 1])), 0,
                        draw(st.sampled_from([0x08, 0x09, 0x0D])), ndim)
    sizes = draw(st.lists(st.sampled_from([0, 1, 2, 28, 60000, 2**31, 2**32 - 1]), min_size=ndim, max_size=ndim))
    return magic + struct.pack(f">{ndim}I", *sizes) + draw(st.binary(max_size=3000))


@reuse_tmp
@given(data=st.one_of(st.binary(max_size=3000), idx_headers(), damaged(IDX), damaged(IDX_GZ)),
       gz=st.booleans(), suffix=st.sampled_from([".idx", ".gz", ""]))
@example(data=b"\x00\x00\x08\x03\x00\x00\x00\x00\x81\x03\t\x1c\xfd\xfd\xfd\xfd", gz=False, suffix=".idx")
def test_idx_reader(tmp_path, data, gz, suffix):
    if gz:
        data = gzip.compress(data)
    array = expect_data_or_glassnet_error(read_idx, written(tmp_path, "fuzz-idx" + suffix, data))
    if array is not None:
        assert array.dtype == np.uint8 and array.ndim in (1, 3)


def test_a_gzip_bomb_claiming_more_than_the_reader_allows(tmp_path):
    """The header's claim is capped before any of the payload is kept."""
    header = struct.pack(">BBBBIII", 0, 0, 8, 3, 2**31, 28, 28)   # 1.7 TB claimed
    path = written(tmp_path, "bomb.gz", gzip.compress(header + bytes(1 << 20)))
    with pytest.raises(GlassnetError, match="bomb.gz: the header claims"):
        read_idx(path)


# -- Kaggle CSV -----------------------------------------------------------------------------
def csv_text(rows=3, labels=True):
    x = (np.arange(rows * 784) % 256).reshape(rows, 784)
    header = ["label"] * labels + [f"pixel{i}" for i in range(784)]
    table = np.c_[np.arange(rows) % 10, x] if labels else x
    return "\n".join([",".join(header)] + [",".join(map(str, row)) for row in table]) + "\n"


CSV = csv_text().encode()
CELLS = st.one_of(st.sampled_from(['"5"', "", " ", "nan", "inf", "-1", "256", "1e9", "0x10", "#", '"',
                                   "\ufeff", "\r", "\x00", "3.5", "١", "1_0"]),
                  st.text(max_size=6))


@st.composite
def mutated_csv(draw):
    """A valid CSV with some cells replaced, rows cut, a BOM, CRLF line ends."""
    lines = csv_text(draw(st.integers(1, 4)), labels=draw(st.booleans())).splitlines()
    for _ in range(draw(st.integers(1, 3))):
        row = draw(st.integers(0, len(lines) - 1))
        cells = lines[row].split(",")
        column = draw(st.integers(0, len(cells) - 1))
        if draw(st.booleans()):
            cells[column] = draw(CELLS)
        else:
            del cells[column:]
        lines[row] = ",".join(cells)
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return (bom + end.join(lines) + end).encode("utf-8", errors="surrogatepass")


@reuse_tmp
@given(data=st.one_of(st.binary(max_size=2000), st.text(max_size=500).map(str.encode), mutated_csv(),
                      damaged(CSV), damaged(gzip.compress(CSV))))
def test_csv_reader(tmp_path, data):
    result = expect_data_or_glassnet_error(load_kaggle_csv, written(tmp_path, "fuzz.csv", data))
    if result is not None:
        x, y = result
        assert x.dtype == np.uint8 and x.shape[1:] == (28, 28)
        assert y is None or (y.dtype == np.uint8 and len(y) == len(x) and y.max() <= 9)


# -- images ---------------------------------------------------------------------------------
def encoded(fmt, mode="RGB", size=(40, 30)):
    image = Image.new(mode, size, "white" if mode != "P" else 1)
    image.paste(0 if mode in ("L", "1", "P") else (0, 0, 0), (10, 5, 20, 25))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


IMAGES = [encoded("PNG"), encoded("JPEG"), encoded("GIF", "P"), encoded("BMP"), encoded("TIFF"),
          encoded("WEBP"), encoded("PNG", "1"), encoded("PPM")]


@reuse_tmp
@given(data=st.one_of(st.binary(max_size=3000), st.sampled_from(IMAGES).flatmap(damaged)),
       as_bytes=st.booleans())
def test_image_loader(tmp_path, data, as_bytes):
    path = written(tmp_path, "fuzz-image.png", data)

    def load(path):
        source = path.read_bytes() if as_bytes else path
        gray = load_gray(source, name=str(path), max_side=16)
        digit = to_mnist(gray, name=str(path))
        return gray, digit

    result = expect_data_or_glassnet_error(load, path)
    if result is not None:
        gray, digit = result
        assert gray.dtype == np.float32 and gray.ndim == 2 and 0 <= gray.min() and gray.max() <= 1
        assert digit.shape == (28, 28) and np.isfinite(digit).all()
