"""text_dataset_from_directory, and fit / evaluate / predict on its batches: TensorFlow's
"Basic text classification" on a small folder of made-up reviews, its code as written."""

import re
import string

import numpy as np
import pytest

import glassnet as tf
from glassnet import layers


@pytest.fixture
def reviews(tmp_path):
    rng = np.random.default_rng(0)
    for label, opening in (("pos", "A great fun film, I loved it."), ("neg", "An awful dull film.<br />Hated it!")):
        (tmp_path / "train" / label).mkdir(parents=True)
        for i in range(20):
            words = " ".join(rng.choice(["the", "plot", "actors", "was"], 5))
            (tmp_path / "train" / label / f"{i}_{label}.txt").write_text(f"{opening} {words}", encoding="utf-8")
    (tmp_path / "train" / "notes.md").write_text("not a review")
    return tmp_path / "train"


def test_the_files_become_batches_of_strings_and_labels(reviews, capsys):
    train = tf.keras.utils.text_dataset_from_directory(reviews, batch_size=8, validation_split=0.25,
                                                       subset="training", seed=42)
    val = tf.keras.utils.text_dataset_from_directory(reviews, batch_size=8, validation_split=0.25,
                                                     subset="validation", seed=42)
    assert capsys.readouterr().out.splitlines()[:2] == ["Found 40 files belonging to 2 classes.",
                                                        "Using 30 files for training."]
    assert train.class_names == ["neg", "pos"] and len(train) == 4 and len(val) == 2
    texts, labels = train[0]
    assert texts.dtype.kind == "U" and texts.shape == (8,) and labels.dtype == np.int32
    assert all(text.startswith("A great" if label else "An awful") for text, label in zip(texts, labels))
    assert not set(train.file_paths) & set(val.file_paths)
    binary = tf.keras.utils.text_dataset_from_directory(reviews, label_mode="binary", max_length=7, shuffle=False,
                                                        verbose=False)
    texts, labels = binary[0]
    assert texts[0] == "An awfu"[:7] and labels.shape == (32, 1) and labels.dtype == np.float32
    with pytest.raises(ValueError, match="text_dataset_from_directory: with validation_split and shuffle, give a seed"):
        tf.keras.utils.text_dataset_from_directory(reviews, validation_split=0.2, subset="training")


def test_the_basic_text_classification_tutorial_on_its_batches(reviews):
    raw_train_ds = tf.keras.utils.text_dataset_from_directory(reviews, batch_size=8, validation_split=0.25,
                                                              subset="training", seed=42, verbose=False)
    raw_val_ds = tf.keras.utils.text_dataset_from_directory(reviews, batch_size=8, validation_split=0.25,
                                                            subset="validation", seed=42, verbose=False)

    def custom_standardization(input_data):
        lowercase = tf.strings.lower(input_data)
        stripped_html = tf.strings.regex_replace(lowercase, "<br />", " ")
        return tf.strings.regex_replace(stripped_html, "[%s]" % re.escape(string.punctuation), "")

    vectorize_layer = layers.TextVectorization(standardize=custom_standardization, max_tokens=100,
                                               output_mode="int", output_sequence_length=16)
    vectorize_layer.adapt(raw_train_ds.map(lambda x, y: x))
    assert "hated" in vectorize_layer.get_vocabulary() and "<br" not in " ".join(vectorize_layer.get_vocabulary())

    def vectorize_text(text, label):
        text = tf.expand_dims(text, -1)
        return vectorize_layer(text), label

    train_ds = raw_train_ds.map(vectorize_text).cache().prefetch(buffer_size=tf.data.AUTOTUNE)
    model = tf.keras.Sequential([layers.Embedding(100, 16), layers.GlobalAveragePooling1D(),
                                 layers.Dense(1, activation="sigmoid")])     # built on the first batch
    model.compile(loss="binary_crossentropy", optimizer=tf.keras.optimizers.Adam(0.05), metrics=["accuracy"])
    history = model.fit(train_ds, validation_data=raw_val_ds.map(vectorize_text), epochs=10, verbose=0)
    assert history.history["val_accuracy"][-1] == 1.0
    export_model = tf.keras.Sequential([vectorize_layer, model])
    export_model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    assert export_model.evaluate(raw_val_ds, verbose=0)[1] == 1.0          # strings straight from the files
    predictions = export_model.predict(tf.constant(["I loved it, great", "Hated it, awful"]), verbose=0)
    assert predictions[0, 0] > 0.5 > predictions[1, 0]
    assert export_model.predict(raw_val_ds.map(lambda x, y: x), verbose=0).shape == (10, 1)
