# keras.io's "Text classification with Transformer" (Apoorv Nandan), its layers as written there,
# on a made-up review dataset instead of IMDB: integer word sequences whose label says whether
# "good" words (2..13) outnumber "bad" ones (14..25). The trained model is saved to a .keras file
# and loaded back, and the copy predicts the same.
import os
import tempfile

import numpy as np
import keras
from keras import ops
from keras import layers


@keras.saving.register_keras_serializable()
class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.ffn = keras.Sequential(
            [layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim),]
        )
        self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
        self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
        self.dropout1 = layers.Dropout(rate)
        self.dropout2 = layers.Dropout(rate)

    def call(self, inputs):
        attn_output = self.att(inputs, inputs)
        attn_output = self.dropout1(attn_output)
        out1 = self.layernorm1(inputs + attn_output)
        ffn_output = self.ffn(out1)
        ffn_output = self.dropout2(ffn_output)
        return self.layernorm2(out1 + ffn_output)


@keras.saving.register_keras_serializable()
class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
        self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

    def call(self, x):
        maxlen = ops.shape(x)[-1]
        positions = ops.arange(start=0, stop=maxlen, step=1)
        positions = self.pos_emb(positions)
        x = self.token_emb(x)
        return x + positions


vocab_size = 50  # Only consider the top 50 words
maxlen = 20  # Only consider the first 20 words of each review


def made_up_reviews(n, rng):
    words = rng.integers(2, vocab_size, (n, maxlen))
    good = ((words >= 2) & (words <= 13)).sum(axis=1)
    bad = ((words >= 14) & (words <= 25)).sum(axis=1)
    return words, (good > bad).astype("int64")


rng = np.random.default_rng(0)
x_train, y_train = made_up_reviews(2000, rng)
x_val, y_val = made_up_reviews(500, rng)
print(len(x_train), "Training sequences")
print(len(x_val), "Validation sequences")

embed_dim = 32  # Embedding size for each token
num_heads = 2  # Number of attention heads
ff_dim = 32  # Hidden layer size in feed forward network inside transformer

inputs = layers.Input(shape=(maxlen,))
embedding_layer = TokenAndPositionEmbedding(maxlen, vocab_size, embed_dim)
x = embedding_layer(inputs)
transformer_block = TransformerBlock(embed_dim, num_heads, ff_dim)
x = transformer_block(x)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dropout(0.1)(x)
x = layers.Dense(20, activation="relu")(x)
x = layers.Dropout(0.1)(x)
outputs = layers.Dense(2, activation="softmax")(x)

model = keras.Model(inputs=inputs, outputs=outputs)
model.summary()

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=3, validation_data=(x_val, y_val))

path = os.path.join(tempfile.mkdtemp(), "text_classifier.keras")
model.save(path)
reloaded = keras.models.load_model(path)
difference = float(np.max(np.abs(reloaded.predict(x_val[:16]) - model.predict(x_val[:16]))))
layer_names = [layer.name for layer in reloaded.layers]
print("largest difference after reloading:", difference)
