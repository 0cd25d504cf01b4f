# keras.io's "Structured data classification with FeatureSpace" (fchollet): the Cleveland
# heart-disease table, each column declared once in a FeatureSpace (integer and string
# categories one-hot encoded, age cut into 30 bins, the measurements normalized, two feature
# crosses), adapted on a tf.data pipeline, mapped over it, a small Dense classifier trained on
# the encoded vectors, then an end-to-end model that reads a raw patient dict. The CSV (a
# download) is a synthetic table of the same columns and kinds here, written to a CSV file
# and read back with the csv module into a dict of NumPy columns in place of the pandas
# DataFrame; its target depends on thal, cp, exang and ca, so there is something to learn.
import csv
import os
import tempfile

import numpy as np
import tensorflow as tf
import keras
from keras.utils import FeatureSpace

# A synthetic heart.csv: 300 patients, the columns and kinds of the real one.
rng = np.random.default_rng(1337)
n = 300
table = {
    "age": rng.integers(29, 78, n), "sex": rng.integers(0, 2, n), "cp": rng.integers(0, 5, n),
    "trestbps": rng.integers(94, 201, n), "chol": rng.integers(126, 565, n), "fbs": rng.integers(0, 2, n),
    "restecg": rng.integers(0, 3, n), "thalach": rng.integers(71, 203, n), "exang": rng.integers(0, 2, n),
    "oldpeak": rng.uniform(0, 6.2, n).round(1), "slope": rng.integers(1, 4, n), "ca": rng.integers(0, 4, n),
    "thal": rng.choice(["fixed", "normal", "reversible"], n),
}
score = 2 * (table["thal"] == "reversible") + (table["cp"] == 0) + table["exang"] + (table["ca"] > 0)
table["target"] = (score >= 2).astype(int)
file_path = os.path.join(tempfile.mkdtemp(), "heart.csv")
with open(file_path, "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(list(table))
    writer.writerows(zip(*table.values()))


def read_csv(path):
    """The CSV's columns: int64, float64 or (text) object arrays, as pandas reads them."""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    columns = {}
    for name in rows[0]:
        values = [row[name] for row in rows]
        for kind in (np.int64, np.float64, object):
            try:
                columns[name] = np.array(values).astype(kind)
                break
            except ValueError:
                continue
    return columns


dataframe = read_csv(file_path)
print(len(dataframe["target"]), len(dataframe))

# 20% of the rows for validation (the tutorial's dataframe.sample(frac=0.2)).
val_rows = np.zeros(n, bool)
val_rows[np.random.default_rng(1337).choice(n, n // 5, replace=False)] = True
val_dataframe = {name: column[val_rows] for name, column in dataframe.items()}
train_dataframe = {name: column[~val_rows] for name, column in dataframe.items()}
print(f"Using {len(train_dataframe['target'])} samples for training and {len(val_dataframe['target'])} for validation")


def dataframe_to_dataset(dataframe):
    dataframe = dataframe.copy()
    labels = dataframe.pop("target")
    ds = tf.data.Dataset.from_tensor_slices((dict(dataframe), labels))
    ds = ds.shuffle(buffer_size=len(labels))
    return ds


train_ds = dataframe_to_dataset(train_dataframe)
val_ds = dataframe_to_dataset(val_dataframe)

for x, y in train_ds.take(1):
    print("Input:", x)
    print("Target:", y)
    first_row = x

train_ds = train_ds.batch(32)
val_ds = val_ds.batch(32)

feature_space = FeatureSpace(
    features={
        # Categorical features encoded as integers
        "sex": FeatureSpace.integer_categorical(num_oov_indices=0),
        "cp": FeatureSpace.integer_categorical(num_oov_indices=0),
        "fbs": FeatureSpace.integer_categorical(num_oov_indices=0),
        "restecg": FeatureSpace.integer_categorical(num_oov_indices=0),
        "exang": FeatureSpace.integer_categorical(num_oov_indices=0),
        "ca": FeatureSpace.integer_categorical(num_oov_indices=0),
        # Categorical feature encoded as string
        "thal": FeatureSpace.string_categorical(num_oov_indices=0),
        # Numerical features to discretize
        "age": FeatureSpace.float_discretized(num_bins=30),
        # Numerical features to normalize
        "trestbps": FeatureSpace.float_normalized(),
        "chol": FeatureSpace.float_normalized(),
        "thalach": FeatureSpace.float_normalized(),
        "oldpeak": FeatureSpace.float_normalized(),
        "slope": FeatureSpace.float_normalized(),
    },
    # Specify feature cross with a custom crossing dim.
    crosses=[
        FeatureSpace.cross(feature_names=("sex", "age"), crossing_dim=64),
        FeatureSpace.cross(
            feature_names=("thal", "ca"),
            crossing_dim=16,
        ),
    ],
    output_mode="concat",
)

train_ds_with_no_labels = train_ds.map(lambda x, _: x)
feature_space.adapt(train_ds_with_no_labels)

for x, _ in train_ds.take(1):
    preprocessed_x = feature_space(x)
    print("preprocessed_x.shape:", preprocessed_x.shape)
    print("preprocessed_x.dtype:", preprocessed_x.dtype)
    raw_batch = x

preprocessed_train_ds = train_ds.map(
    lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
)
preprocessed_train_ds = preprocessed_train_ds.prefetch(tf.data.AUTOTUNE)

preprocessed_val_ds = val_ds.map(
    lambda x, y: (feature_space(x), y), num_parallel_calls=tf.data.AUTOTUNE
)
preprocessed_val_ds = preprocessed_val_ds.prefetch(tf.data.AUTOTUNE)

dict_inputs = feature_space.get_inputs()
encoded_features = feature_space.get_encoded_features()

x = keras.layers.Dense(32, activation="relu")(encoded_features)
x = keras.layers.Dropout(0.5)(x)
predictions = keras.layers.Dense(1, activation="sigmoid")(x)

training_model = keras.Model(inputs=encoded_features, outputs=predictions)
training_model.compile(
    optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"]
)

inference_model = keras.Model(inputs=dict_inputs, outputs=predictions)

history = training_model.fit(
    preprocessed_train_ds,
    epochs=20,
    validation_data=preprocessed_val_ds,
    verbose=2,
)

sample = {
    "age": 60,
    "sex": 1,
    "cp": 1,
    "trestbps": 145,
    "chol": 233,
    "fbs": 1,
    "restecg": 2,
    "thalach": 150,
    "exang": 0,
    "oldpeak": 2.3,
    "slope": 3,
    "ca": 0,
    "thal": "fixed",
}

input_dict = {
    name: keras.ops.convert_to_tensor([value]) for name, value in sample.items()
}
predictions = inference_model.predict(input_dict)

print(
    f"This particular patient had a {100 * predictions[0][0]:.2f}% probability "
    "of having a heart disease, as evaluated by our model."
)

# The same patient through the FeatureSpace and the training model: one encoded row.
sample_vector = feature_space(sample)
same_prediction = training_model.predict(np.asarray(sample_vector)[None])
