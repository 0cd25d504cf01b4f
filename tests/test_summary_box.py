"""model.summary() draws Keras 3's box: the same widths, wrapping, alignment and counts (with
their sizes in memory, and the optimizer's variables once it has stepped), character for
character where the layers have the same names."""

import numpy as np
import pytest

import glassnet
from glassnet.engine.summary import summary_table
from glassnet.engine.summary_box import column_widths, read_rows, readable_size, share_out, wrap


def test_widths_are_what_rich_gives_keras_columns():
    assert column_widths(76, [0.45, 0.80, 1.0]) == [33, 24, 15]      # Keras's at a piped terminal's 80
    assert column_widths(88, [0.45, 0.80, 1.0]) == [38, 29, 17]      # a wide terminal's
    assert sum(column_widths(108, [0.3, 0.56, 0.74, 1.0])) + 5 == 108
    assert share_out(10, [36, 28, 18]) == [33, 24, 15]                # round(3.5) is 4: to the even


def test_wrapping_at_spaces_and_the_ellipsis():
    assert wrap("batch_normalization (BatchNormalization)", 31) == ["batch_normalization", "(BatchNormalization)"]
    assert wrap("input_layer_1[0][0], input_layer_2[0][0]", 17) == ["input_layer_1[0]…", "input_layer_2[0]…"]
    assert wrap("Trainable", 5) == ["Trai…"]
    assert readable_size(780) == "780.00 B" and readable_size(2867) == "2.80 KB"


def build(lib):
    inputs = lib.Input((8,), name="pixels")
    hidden = layers_of(lib).Dense(16, activation="relu", name="hidden")(inputs)
    normal = layers_of(lib).BatchNormalization(name="a_rather_long_batch_normalization_name")(hidden)
    other = layers_of(lib).Dense(16, name="side")(inputs)
    joined = layers_of(lib).Add(name="join")([normal, other])
    return lib.Model(inputs, layers_of(lib).Dense(3, activation="softmax", name="probabilities")(joined),
                     name="branches")


def layers_of(lib):
    return lib.layers


def chain(lib):
    return lib.Sequential([lib.Input((28, 28, 1)), lib.layers.Conv2D(4, 3, name="conv"),
                           lib.layers.Flatten(name="flat"), lib.layers.Dense(10, name="out")], name="chain")


def text_of(model, **options):
    lines = []
    model.summary(print_fn=lines.append, **options)
    return "\n".join(lines)


@pytest.mark.parametrize("make", [build, chain])
@pytest.mark.parametrize("options", [{}, {"show_trainable": True}, {"line_length": 70}])
def test_the_same_text_as_keras(make, options):
    keras = pytest.importorskip("keras")
    mine, theirs = make(glassnet), make(keras)
    assert text_of(mine, **options) == text_of(theirs, **options)
    x = np.random.default_rng(0).random((4,) + tuple(mine.input_shape[1:])).astype(np.float32)
    y = np.eye(mine.output_shape[-1], dtype=np.float32)[[0, 1, 2, 1]]
    for model in (mine, theirs):         # once trained, Adam's variables are counted too
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        model.fit(x, y, epochs=1, verbose=0)
    assert text_of(mine, **options) == text_of(theirs, **options)


def test_the_rows_read_back():
    text = summary_table(build(glassnet), line_length=76)
    rows = read_rows(text)
    assert rows[0] == ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    assert rows[3][0] == "a_rather_long_batc… (BatchNormalizatio…"          # cut as Keras cuts it
    assert rows[5][3] == "a_rather_long_ba… side[0][0]" and len(rows) == 7
    assert "Optimizer params" not in text and " Total params: 403 (1.57 KB)" in text
    assert " Trainable params: 371 (1.45 KB)" in text and " Non-trainable params: 32 (128.00 B)" in text
