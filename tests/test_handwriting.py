"""Your own handwriting: the collection folder, the made-up writer, fine-tuning with MNIST mixed in."""

import numpy as np
import pytest
from PIL import Image

from glassnet.datasets.writer import writer_digits
from glassnet.errors import DataError
from glassnet.workbench import handwriting
from glassnet.workbench.handwriting import finetune, load_user_digits, mixed_epoch, save_user_digit

from tiny_models import tiny_digits, tiny_mlp


def drawn_seven():
    """A 7 drawn dark on white, as the drawing page sends it."""
    canvas = np.full((120, 120), 255, np.uint8)
    canvas[20:30, 25:95] = 0
    for row in range(30, 105):
        col = 95 - (row - 30) // 2
        canvas[row, col - 5:col + 5] = 0
    return canvas


def test_save_then_load_a_collection(tmp_path):
    first = save_user_digit(tmp_path, drawn_seven(), 7)
    second = save_user_digit(tmp_path, Image.fromarray(drawn_seven()), "7")
    third = save_user_digit(tmp_path, 255 - drawn_seven(), 1)       # light on dark reads too
    assert first == tmp_path / "7" / "0001.png" and second == tmp_path / "7" / "0002.png"
    assert third == tmp_path / "1" / "0001.png"
    assert not list(tmp_path.rglob("*.part"))                        # nothing half-written
    x, y, files = load_user_digits(tmp_path)
    assert x.shape == (3, 28, 28) and x.dtype == np.float32
    assert y.tolist() == [1, 7, 7] and files == [third, first, second]
    assert 0.9 < x.max() <= 1 and x[:, 0, :].max() < 0.2             # MNIST-like: ink on black


def test_png_bytes_are_kept_as_they_are(tmp_path):
    import io
    buffer = io.BytesIO()
    Image.fromarray(drawn_seven()).save(buffer, format="PNG")
    path = save_user_digit(tmp_path, buffer.getvalue(), 7)
    assert path.read_bytes() == buffer.getvalue()


def test_collection_errors_are_one_line(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_user_digits(tmp_path / "missing")
    with pytest.raises(DataError, match="no pictures"):
        load_user_digits(tmp_path)
    (tmp_path / "seven").mkdir()
    with pytest.raises(DataError, match="seven are not class names"):
        load_user_digits(tmp_path)
    with pytest.raises(DataError, match="label"):
        save_user_digit(tmp_path, drawn_seven(), "../7")


def test_a_blank_picture_is_left_out_with_a_warning(tmp_path):
    save_user_digit(tmp_path, drawn_seven(), 7)
    save_user_digit(tmp_path, np.full((50, 50), 255, np.uint8), 3)
    with pytest.warns(UserWarning, match="left out 1 blank"):
        x, y, _ = load_user_digits(tmp_path)
    assert y.tolist() == [7]


def test_mixed_epoch_oversamples_the_users_digits():
    rng = np.random.default_rng(0)
    user_x, user_y = np.ones((10, 28, 28), np.float32), np.full(10, 7)
    x, y = np.zeros((1000, 28, 28), np.float32), np.arange(1000) % 10
    xs, ys, is_user = mixed_epoch(user_x, user_y, x, y, rng, user_share=0.25, mnist_per_epoch=600)
    assert len(xs) == len(ys) == 800 and is_user.sum() == 200      # 20 copies of each
    assert (xs[is_user] == 1).all() and (ys[is_user] == 7).all() and (xs[~is_user] == 0).all()
    assert 0.15 < is_user[:200].mean() < 0.35                       # spread through the epoch
    with pytest.raises(ValueError, match="user_share"):
        mixed_epoch(user_x, user_y, x, y, rng, user_share=1.0)


def test_the_writer_is_consistent_and_not_mnist():
    x, y = writer_digits(per_digit=3, seed=0)
    assert x.shape == (30, 28, 28) and y.tolist() == list(range(10)) * 3
    assert np.array_equal(x, writer_digits(per_digit=3, seed=0)[0])
    assert not np.array_equal(x, writer_digits(per_digit=3, seed=1)[0])   # the same hand, other digits
    # Slanted: the ink's top half sits right of its bottom half.
    cols = np.arange(28)
    top = (x[:, :14].sum(axis=1) * cols).sum(axis=1) / x[:, :14].sum(axis=(1, 2))
    bottom = (x[:, 14:].sum(axis=1) * cols).sum(axis=1) / x[:, 14:].sum(axis=(1, 2))
    assert np.mean(top > bottom) > 0.8


def test_finetune_learns_the_writer_and_keeps_mnist():
    x_train, y_train, x_test, y_test = tiny_digits(n_train=800, n_test=200)
    x_train, x_test = x_train / np.float32(255), x_test / np.float32(255)
    model = tiny_mlp(x_train * 255, y_train, epochs=5)
    user_x, user_y = writer_digits(per_digit=10, seed=0)
    writer_x, writer_y = writer_digits(per_digit=10, seed=1)
    accuracy = lambda x, y: np.mean(model.predict(x).argmax(axis=1) == y)
    before_writer, before_mnist = accuracy(writer_x, writer_y), accuracy(x_test, y_test)
    finetune(model, user_x, user_y, x_train, y_train, epochs=3, learning_rate=1e-3,
             mnist_per_epoch=800, seed=0)
    assert accuracy(writer_x, writer_y) > before_writer + 0.2
    assert accuracy(x_test, y_test) > before_mnist - 0.05
    assert model.settings["finetuned_on"] == 100


def test_finetune_needs_digits():
    x = np.zeros((0, 28, 28))
    with pytest.raises(DataError, match="your digits"):
        finetune(object(), x, [], x, [])
    assert handwriting.USER_SHARE < 0.5   # MNIST keeps the majority of every batch


def test_digits_saved_at_once_each_keep_a_number_and_every_picture_kind_is_read(tmp_path):
    import threading
    import warnings

    from PIL import Image
    digit = np.zeros((28, 28))
    digit[6:22, 12:16] = 1
    savers = [threading.Thread(target=lambda: [save_user_digit(tmp_path, digit, 1) for _ in range(25)])
              for _ in range(4)]
    for saver in savers:
        saver.start()
    for saver in savers:
        saver.join()
    assert len(list((tmp_path / "1").glob("*.png"))) == 100      # none written over another
    assert not list((tmp_path / "1").glob("*.part"))
    picture = Image.fromarray((digit * 255).astype(np.uint8))
    picture.save(tmp_path / "1" / "PHOTO.JPG")                      # upper-case suffixes, TIFF
    picture.save(tmp_path / "1" / "scan.tiff")
    picture.save(tmp_path / "loose.png")                            # not in a class folder: said so
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, labels, files = load_user_digits(tmp_path)
    assert len(files) == 102 and set(labels) == {1}
    assert any("left out 1 picture(s) not in a class subfolder (loose.png)" in str(w.message) for w in caught)
