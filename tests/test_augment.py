"""Digit augmentation: reproducible, never mirrored, shape- and dtype-preserving, and fast."""


import numpy as np
import pytest
from PIL import Image

from glassnet import Sequential
from glassnet.datasets.augment import DigitAugmentation, augment, read_bilinear, save_augmentation_grid
from glassnet.engine.layers import Dense, Flatten
from glassnet.errors import ShapeError

STRONG = DigitAugmentation(rotation_range=15, width_shift_range=0.1, height_shift_range=0.1,
                           zoom_range=0.15, shear_range=15, elastic_alpha=20, elastic_sigma=4)


def ell(n=16):
    """A thick 'L': a vertical bar with a foot pointing right. Its mirror points left."""
    x = np.zeros((n, 28, 28), np.float32)
    x[:, 4:24, 8:12] = 1.0
    x[:, 20:24, 8:22] = 1.0
    return x


def test_same_seed_same_images_different_seed_different_images():
    x = ell()
    a = STRONG(x, np.random.default_rng(3))
    b = STRONG(x, np.random.default_rng(3))
    c = STRONG(x, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert not np.array_equal(a[0], a[1])            # each image gets its own changes


@pytest.mark.parametrize("shape, dtype", [((5, 28, 28), np.float32), ((5, 28, 28, 1), np.float32),
                                          ((5, 784), np.float64), ((5, 28, 28), np.uint8)])
def test_shapes_and_dtypes_are_kept(shape, dtype):
    x = (ell(5) * (255 if dtype == np.uint8 else 1)).astype(dtype).reshape(shape)
    out = STRONG(x, np.random.default_rng(0))
    assert out.shape == shape and out.dtype == dtype
    assert out.min() >= 0 and out.max() <= (255 if dtype == np.uint8 else 1.0)


def test_zero_ranges_give_back_the_input():
    x = np.random.default_rng(0).random((4, 28, 28), dtype=np.float32)
    identity = DigitAugmentation(0, 0, 0, 0, 0, 0)
    np.testing.assert_array_equal(identity(x, np.random.default_rng(0)), x)


def test_never_flips():
    # Every matrix keeps orientation, even at the widest ranges allowed.
    widest = DigitAugmentation(rotation_range=90, zoom_range=0.99, shear_range=60)
    assert (np.linalg.det(widest.matrices(10_000, np.random.default_rng(0))) > 0).all()
    # And the pictures agree: every turned, zoomed, slanted and wobbled L looks more like the
    # L than like its mirror (no shift here, so that the overlap measures the shape alone).
    x = ell(64)
    unshifted = DigitAugmentation(rotation_range=15, width_shift_range=0, height_shift_range=0,
                                  zoom_range=0.15, shear_range=15, elastic_alpha=20)
    out = unshifted(x, np.random.default_rng(1))
    same = (out * x).sum(axis=(1, 2))
    mirrored = (out * x[:, :, ::-1]).sum(axis=(1, 2))
    assert (same > mirrored).all()


def test_the_changes_are_the_ones_asked_for():
    x = ell(1)
    shift_only = DigitAugmentation(0, 0.1, 0.1, 0, 0, 0)
    rng = np.random.default_rng(5)
    out = shift_only(x, rng)
    # A pure shift moves the ink's centre by at most 2.8 pixels and keeps the amount of ink.
    rows, cols = np.mgrid[0:28, 0:28]
    centre = lambda im: np.array([(im * rows).sum(), (im * cols).sum()]) / im.sum()
    assert np.linalg.norm(centre(out[0]) - centre(x[0])) <= np.hypot(2.8, 2.8) + 1e-6
    assert out.sum() == pytest.approx(x.sum(), rel=1e-5)


@pytest.mark.parametrize("kwargs, message", [
    ({"zoom_range": 1.0}, r"zoom_range must be in \[0, 1\), got 1.0"),
    ({"rotation_range": 120}, r"rotation_range must be in \[0, 90\], got 120"),
    ({"shear_range": -5}, r"shear_range must be in \[0, 60\], got -5"),
    ({"width_shift_range": -0.1}, r"width_shift_range must be in \[0, 1\), got -0.1"),
    ({"elastic_alpha": -1}, "elastic_alpha must be in"),
    ({"elastic_sigma": 0}, "elastic_sigma must be > 0, got 0"),
])
def test_bad_ranges_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DigitAugmentation(**kwargs)


def test_a_batch_that_is_not_images_is_a_shape_error():
    with pytest.raises(ShapeError, match=r"augment: expected a batch of images .* got shape \(4, 5, 7, 3\)"):
        augment(np.zeros((4, 5, 7, 3), np.float32), np.random.default_rng(0))


def test_fit_with_augment_is_reproducible():
    x, y = ell(40), np.arange(40) % 2
    x[y == 1] = x[y == 1, :, ::-1]

    def train():
        model = Sequential([Flatten(input_shape=(28, 28)), Dense(2, activation="softmax")], seed=0)
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=8, augment=STRONG, verbose=0)
        return model.weights[0]

    np.testing.assert_array_equal(train(), train())


def test_save_augmentation_grid(tmp_path):
    x = (ell(3) * 255).astype(np.uint8)
    path = save_augmentation_grid(x, tmp_path / "grid.png", STRONG, copies=4, seed=1, scale=2)
    picture = Image.open(path)
    assert picture.format == "PNG"
    assert picture.size == ((5 * 30 + 2) * 2, (3 * 30 + 2) * 2)    # 5 columns, 3 rows of 28+2 px
    again = save_augmentation_grid(x, tmp_path / "again.png", STRONG, copies=4, seed=1, scale=2)
    assert np.array_equal(np.asarray(Image.open(again)), np.asarray(picture))


def test_bilinear_reading_matches_scipy_with_black_beyond_the_edges():
    """Points inside, between pixels, just outside (fading to black) and far outside."""
    from scipy import ndimage

    rng = np.random.default_rng(9)
    images = rng.random((3, 6, 5)).astype(np.float32)
    rows = rng.uniform(-4, 10, (3, 7, 8))
    cols = rng.uniform(-4, 9, (3, 7, 8))
    rows[0, 0, :3] = [0, 5, 2]                       # whole pixels, the last row included
    cols[0, 0, :3] = [0, 4, 3]
    got = read_bilinear(images, rows, cols)
    points = np.stack([np.broadcast_to(np.arange(3)[:, None, None], rows.shape), rows, cols])
    expected = ndimage.map_coordinates(images.astype(np.float64), points, order=1, mode="grid-constant")
    np.testing.assert_allclose(got, expected, atol=1e-6)
    np.testing.assert_array_equal(got[0, 0, :3], [images[0, 0, 0], images[0, 5, 4], images[0, 2, 3]])
