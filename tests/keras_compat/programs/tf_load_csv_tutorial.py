# TensorFlow's "Load CSV data" tutorial (tensorflow.org/tutorials/load_data/csv), its Titanic
# part: a preprocessing head built from a dict of Inputs (Normalization adapted on the numeric
# columns, StringLookup then CategoryEncoding on each text column), called as a model on the
# dict of Inputs, trained on a dict of columns, saved to .keras and loaded back, then fed by
# tf.data from the same dict. The Titanic CSV (a download) is a synthetic table of the same
# columns here, a dict of NumPy columns in place of the pandas DataFrame.
import os
import tempfile

import numpy as np
import tensorflow as tf
from tensorflow.keras import layers

rng = np.random.default_rng(0)
n = 400
titanic_features = {
    'sex': rng.choice(['male', 'female'], n).astype(object),
    'age': rng.uniform(1, 80, n).round(),
    'n_siblings_spouses': rng.integers(0, 5, n).astype(float),
    'parch': rng.integers(0, 4, n).astype(float),
    'fare': rng.uniform(5, 200, n),
    'class': rng.choice(['First', 'Second', 'Third'], n).astype(object),
    'deck': rng.choice(['unknown', 'A', 'B', 'C'], n).astype(object),
    'embark_town': rng.choice(['Southampton', 'Cherbourg', 'Queenstown'], n).astype(object),
    'alone': rng.choice(['y', 'n'], n).astype(object),
}
# Survival depends on sex and class, as in the real table.
titanic_labels = ((titanic_features['sex'] == 'female') | (titanic_features['class'] == 'First')).astype(int)

inputs = {}
for name, column in titanic_features.items():
  dtype = column.dtype
  if dtype == object:
    dtype = tf.string
  else:
    dtype = tf.float32
  inputs[name] = tf.keras.Input(shape=(1,), name=name, dtype=dtype)

numeric_inputs = {name: input for name, input in inputs.items()
                  if input.dtype == tf.float32}
x = layers.Concatenate()(list(numeric_inputs.values()))
norm = layers.Normalization()
norm.adapt(np.stack([titanic_features[name] for name in numeric_inputs], axis=1))
all_numeric_inputs = norm(x)
preprocessed_inputs = [all_numeric_inputs]

for name, input in inputs.items():
  if input.dtype == tf.float32:
    continue
  lookup = layers.StringLookup(vocabulary=np.unique(titanic_features[name]))
  one_hot = layers.CategoryEncoding(num_tokens=lookup.vocabulary_size())
  x = lookup(input)
  x = one_hot(x)
  preprocessed_inputs.append(x)

preprocessed_inputs_cat = layers.Concatenate()(preprocessed_inputs)
titanic_preprocessing = tf.keras.Model(inputs, preprocessed_inputs_cat)

titanic_features_dict = {name: np.array(value) for name, value in titanic_features.items()}
features_dict = {name: values[:1] for name, values in titanic_features_dict.items()}
preprocessed_example = titanic_preprocessing(features_dict)


def titanic_model(preprocessing_head, inputs):
  body = tf.keras.Sequential([
    layers.Dense(64, activation='relu'),
    layers.Dense(1)
  ])
  preprocessed_inputs = preprocessing_head(inputs)
  result = body(preprocessed_inputs)
  model = tf.keras.Model(inputs, result)
  model.compile(loss=tf.keras.losses.BinaryCrossentropy(from_logits=True),
                optimizer=tf.keras.optimizers.Adam())
  return model


titanic_model = titanic_model(titanic_preprocessing, inputs)
history = titanic_model.fit(x=titanic_features_dict, y=titanic_labels, epochs=10, verbose=2)

path = os.path.join(tempfile.mkdtemp(), 'test.keras')
titanic_model.save(path)
reloaded = tf.keras.models.load_model(path)
before = titanic_model(features_dict)
after = reloaded(features_dict)
assert (before - after) < 1e-3

features_ds = tf.data.Dataset.from_tensor_slices(titanic_features_dict)
for example in features_ds:
  first_example = {name: value for name, value in example.items()}
  break
titanic_ds = tf.data.Dataset.from_tensor_slices((titanic_features_dict, titanic_labels))
titanic_batches = titanic_ds.shuffle(len(titanic_labels)).batch(32)
more = titanic_model.fit(titanic_batches, epochs=5, verbose=2)
logits = titanic_model.predict(titanic_features_dict, verbose=0)
accuracy = float(np.mean((logits[:, 0] > 0) == titanic_labels))
print(accuracy)
