# Keras's subclassing style: a layer made of layers and a Model whose call() uses them
# (the shape of keras.io's "Making new layers and models via subclassing" guide).
import numpy as np
import keras
from keras import layers


class ResidualBlock(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense_1 = layers.Dense(units, activation="relu")
        self.dense_2 = layers.Dense(units)
        self.add = layers.Add()

    def call(self, inputs):
        x = self.dense_2(self.dense_1(inputs))
        return self.add([inputs, x])


class DigitClassifier(keras.Model):
    def __init__(self, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.flatten = layers.Flatten()
        self.stem = layers.Dense(64, activation="relu")
        self.block = ResidualBlock(64)
        self.dropout = layers.Dropout(0.2)
        self.classifier = layers.Dense(num_classes)

    def call(self, inputs, training=False):
        x = self.flatten(inputs)
        x = self.stem(x)
        x = self.block(x)
        x = self.dropout(x, training=training)
        return self.classifier(x)


(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255

model = DigitClassifier()
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = model.fit(x_train, y_train, batch_size=64, epochs=3, validation_split=0.1)
model.summary()
loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
logits = model(x_test[:5])
probabilities = keras.activations.softmax(logits).numpy() if hasattr(logits, "numpy") else None
same_answers = np.array_equal(np.argmax(model.predict(x_test[:5]), axis=1), np.argmax(probabilities, axis=1))
print(f"test accuracy {accuracy:.4f}")
