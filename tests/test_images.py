"""load_gray: every common format and mode in, one grayscale array out; bad files, one clear line."""

import io
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, features

from glassnet.errors import ImageError
from glassnet.workbench.images import MAX_PIXELS, load_gray


def square_image(mode="L", size=(40, 30)):
    """A white page with a black square at rows 5-15, columns 10-20."""
    page = Image.new("L", size, 255)
    page.paste(0, (10, 5, 20, 15))
    return page.convert(mode)


def encode(image, fmt, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def png_header_only(width, height):
    """A PNG whose header claims width x height but holds a few rows: a decompression bomb's
    calling card, without us having to allocate the pixels to make one."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)   # 1-bit gray
    rows = zlib.compress(b"\x00" * (width // 8 + 2) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def assert_square(gray, tolerance=0.1):
    assert gray.dtype == np.float32 and gray.shape == (30, 40)
    assert 0 <= gray.min() and gray.max() <= 1
    assert gray[7:13, 12:18].max() < tolerance           # the black square
    assert gray[20:, :].min() > 1 - tolerance            # white paper below it


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "GIF", "TIFF", "WEBP"])
def test_reads_common_formats(fmt):
    if fmt == "WEBP" and not features.check("webp"):
        pytest.skip("this Pillow was built without WebP")
    assert_square(load_gray(encode(square_image(), fmt)), tolerance=0.15)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA", "LA", "P", "1", "I", "F", "CMYK"])
def test_reads_every_mode(mode):
    fmt = {"CMYK": "JPEG", "F": "TIFF", "I": "TIFF"}.get(mode, "PNG")
    assert_square(load_gray(encode(square_image(mode), fmt)), tolerance=0.15)


def test_sixteen_bit_png_is_scaled_to_0_1():
    values = np.full((30, 40), 65535, np.uint16)
    values[5:15, 10:20] = 0
    values[:4, 30:] = 32768
    gray = load_gray(encode(Image.fromarray(values), "PNG"))
    assert_square(gray)
    assert gray[2, 35] == pytest.approx(0.5, abs=0.01)


def test_cmyk_tiff():
    assert_square(load_gray(encode(square_image("CMYK"), "TIFF")))


def test_transparent_background_goes_on_white():
    rgba = Image.new("RGBA", (40, 30), (0, 0, 0, 0))           # fully transparent black
    rgba.paste((0, 0, 0, 255), (10, 5, 20, 15))                  # an opaque black square
    assert_square(load_gray(encode(rgba, "PNG")))


def test_light_strokes_on_transparency_go_on_black():
    rgba = Image.new("RGBA", (40, 30), (255, 255, 255, 0))
    rgba.paste((255, 255, 255, 255), (10, 5, 20, 15))            # white ink, dark-mode style
    gray = load_gray(encode(rgba, "PNG"))
    assert gray[7:13, 12:18].min() > 0.9 and gray[20:, :].max() < 0.1


def test_palette_transparency_is_honoured():
    image = square_image("P")
    image.info["transparency"] = image.getpixel((0, 0))        # the paper's palette entry
    assert_square(load_gray(encode(image, "PNG", transparency=image.getpixel((0, 0)))))


def test_exif_orientation_is_applied():
    # A 40x30 picture stored sideways: the camera says "rotate 90 degrees clockwise to view".
    upright = square_image(size=(30, 40))                      # the square at the top left
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = upright.transpose(Image.Transpose.ROTATE_90)      # what the sensor wrote
    gray = load_gray(encode(stored, "JPEG", exif=exif, quality=95))
    assert gray.shape == (40, 30)
    np.testing.assert_allclose(gray, np.asarray(upright) / 255, atol=0.1)


def test_arrays_and_pil_images():
    page = square_image()
    assert_square(load_gray(np.asarray(page)))                         # uint8 (H, W)
    assert_square(load_gray(np.asarray(page.convert("RGB")) / 255.0))  # float (H, W, 3)
    assert_square(load_gray(page))                                     # a PIL image


@pytest.mark.parametrize("array, problem", [
    (np.zeros((30, 40, 5)), "shape"),
    (np.full((30, 40), np.nan), "NaN"),
    (np.array([["a"] * 10] * 10), "dtype"),
])
def test_bad_arrays(array, problem):
    with pytest.raises(ImageError, match=problem):
        load_gray(array)


def one_line_error(source, match, name=None):
    with pytest.raises(ImageError, match=match) as caught:
        load_gray(source, name=name)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.png"
    path.write_bytes(b"")
    assert str(path) in one_line_error(path, "empty")
    one_line_error(b"", "empty", name="upload")


def test_not_an_image(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture\n" * 10)
    assert "notes.png" in one_line_error(path, "not an image")


def test_truncated_image(tmp_path):
    data = encode(Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 200), np.uint8)), "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(data[:len(data) // 2])
    assert "cut.png" in one_line_error(path, "truncated|corrupt|can't read")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header_only(20000, 20000))            # 400 million pixels claimed
    assert "bomb.png" in one_line_error(path, "too many pixels|too large")
    # Below Pillow's own limit but above ours: our check, from the header alone.
    side = int(np.sqrt(MAX_PIXELS)) + 100
    one_line_error(png_header_only(side, side), "too large", name="big.png")


def test_one_pixel_image(tmp_path):
    path = tmp_path / "dot.png"
    Image.new("L", (1, 1), 0).save(path)
    assert "1x1" in one_line_error(path, "too small")


def test_missing_file_and_folder(tmp_path):
    one_line_error(tmp_path / "nowhere.png", "no such file")
    one_line_error(tmp_path, "folder")


def test_an_animation_says_only_its_first_frame_is_read():
    frames = [Image.new("L", (40, 40), shade) for shade in (0, 255)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:])
    with pytest.warns(UserWarning, match="animation.gif: 2 frames .* reading the first only"):
        gray = load_gray(buffer.getvalue(), name="animation.gif")
    assert gray.max() == 0                          # the first frame, black
    single = io.BytesIO()
    frames[1].save(single, format="GIF")
    with warnings.catch_warnings():
        warnings.simplefilter("error")              # one frame: nothing to say
        load_gray(single.getvalue())
