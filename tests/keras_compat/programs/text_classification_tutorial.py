# TensorFlow's "Basic text classification" (and keras.io's "Text classification from
# scratch"), on movie reviews made up here instead of the 80 MB IMDB download: a
# TextVectorization layer learns the vocabulary with adapt(), the texts are vectorized
# once (the tutorial's dataset.map(vectorize_text)), a small Embedding ->
# GlobalAveragePooling1D -> Dense model learns from the word numbers, and an export model
# with the TextVectorization in front takes raw strings, is evaluated and saved.
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(42)
good = ["great", "wonderful", "brilliant", "moving", "superb", "funny", "charming", "loved"]
bad = ["terrible", "boring", "awful", "dull", "predictable", "weak", "messy", "hated"]
neutral = ["the", "movie", "film", "plot", "actors", "was", "and", "story", "a", "this", "director", "ending",
           "music", "scenes", "of", "it", "I", "with", "but", "really"]


def review(label):
    """A made-up review: neutral words, three opinion words of its label, one of the other
    (reviews are mixed), capitals, punctuation and the <br /> breaks of IMDB's HTML."""
    words = list(rng.choice(neutral, rng.integers(6, 14)))
    words += list(rng.choice(good if label else bad, 3)) + list(rng.choice(bad if label else good, 1))
    rng.shuffle(words)
    words[0] = words[0].capitalize()
    return " ".join(words) + rng.choice([".", "!", "...", ". <br /><br />Really."])


labels = rng.integers(0, 2, 600)
texts = np.array([review(label) for label in labels], dtype=object)
raw_train_text, train_labels = texts[:400], labels[:400]
raw_val_text, val_labels = texts[400:500], labels[400:500]
raw_test_text, test_labels = texts[500:], labels[500:]

max_features = 200
sequence_length = 24
vectorize_layer = layers.TextVectorization(
    max_tokens=max_features,
    output_mode="int",
    output_sequence_length=sequence_length)
vectorize_layer.adapt(raw_train_text)
vocabulary = vectorize_layer.get_vocabulary()
print("Vocabulary size:", vectorize_layer.vocabulary_size(), vocabulary[:8])


def vectorize_text(text, label):
    return vectorize_layer(text), label


x_train, y_train = vectorize_text(raw_train_text, train_labels)
x_val, y_val = vectorize_text(raw_val_text, val_labels)
x_test, y_test = vectorize_text(raw_test_text, test_labels)
print("Review", raw_train_text[0], "->", np.asarray(x_train[0]))

embedding_dim = 16
model = keras.Sequential([
    layers.Embedding(max_features, embedding_dim),
    layers.Dropout(0.2),
    layers.GlobalAveragePooling1D(),
    layers.Dropout(0.2),
    layers.Dense(1)])
model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=True),
              optimizer=keras.optimizers.Adam(learning_rate=0.01),
              metrics=[keras.metrics.BinaryAccuracy(threshold=0.0)])
history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=15, batch_size=32)
loss, accuracy = model.evaluate(x_test, y_test)
print("Loss:", loss, "Accuracy:", accuracy)

export_model = keras.Sequential([
    vectorize_layer,
    model,
    layers.Activation("sigmoid")])
export_model.compile(loss=keras.losses.BinaryCrossentropy(from_logits=False), optimizer="adam",
                     metrics=["accuracy"])
_, export_accuracy = export_model.evaluate(raw_test_text, test_labels)
print("Export accuracy:", export_accuracy)

examples = np.array(["The movie was great and the actors were wonderful!",
                     "The movie was okay.",
                     "The movie was terrible, boring and awful..."], dtype=object)
predictions = export_model.predict(examples)
print(predictions)

export_model.save("text_classifier.keras")
restored = keras.models.load_model("text_classifier.keras")
restored_predictions = restored.predict(examples)
restored_vocabulary = restored.layers[0].get_vocabulary()
