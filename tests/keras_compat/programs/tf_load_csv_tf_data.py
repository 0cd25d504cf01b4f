# TensorFlow's "Load CSV data" tutorial (tensorflow.org/tutorials/load_data/csv), its tf.data
# half: make_csv_dataset on the Titanic file (label_name, ignore_errors) and on the gzipped
# traffic-volume file (compression_type="GZIP", then cache), the fonts folder read as several
# files at once (file_pattern, num_parallel_reads) and its pixel columns packed into images with
# map, and the lower-level readers: CsvDataset with record_defaults, list_files and interleave.
# The downloads are small synthetic files of the same columns here, written to a temporary
# folder; the tutorial's snapshot() and tf.io.decode_csv are left out, and a font name is kept
# as it comes (the tutorial calls .decode() on TensorFlow's bytes; glassnet's strings are str).
import csv
import gzip
import os
import pathlib
import re
import tempfile

import numpy as np
import tensorflow as tf

folder = pathlib.Path(tempfile.mkdtemp())
rng = np.random.default_rng(0)

# The files the tutorial downloads, made up with the same columns.
titanic_file_path = str(folder / "train.csv")
with open(titanic_file_path, "w", newline="") as file:
    writer = csv.writer(file)
    writer.writerow(["survived", "sex", "age", "n_siblings_spouses", "parch", "fare", "class", "deck",
                     "embark_town", "alone"])
    for i in range(60):
        writer.writerow([i % 2, ["male", "female"][i % 3 == 0], 20.0 + i % 40, i % 3, i % 2, round(7.25 + i, 2),
                         ["First", "Second", "Third"][i % 3], "unknown", "Southampton", ["y", "n"][i % 2]])
traffic_volume_csv_gz = str(folder / "Metro_Interstate_Traffic_Volume.csv.gz")
with gzip.open(traffic_volume_csv_gz, "wt", newline="") as file:
    writer = csv.writer(file)
    writer.writerow(["holiday", "temp", "rain_1h", "snow_1h", "clouds_all", "weather_main",
                     "weather_description", "date_time", "traffic_volume"])
    for i in range(700):
        writer.writerow(["None", round(280 + i % 20 * 0.5, 2), 0.0, 0.0, i % 100, "Clouds", "broken clouds",
                         f"2012-10-02 {i % 24:02d}:00:00", 1000 + 7 * i])
os.makedirs(folder / "fonts")
pixel_names = [f"r{r}c{c}" for r in range(20) for c in range(20)]
for font in ["AGENCY", "ARIAL", "BAITI"]:
    with open(folder / "fonts" / f"{font}.csv", "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["font", "fontVariant", "m_label", "strength", "italic", "orientation", "m_top",
                         "m_left", "originalH", "originalW", "h", "w"] + pixel_names)
        for label in range(65, 75):
            writer.writerow([font, "scanned", label, 0.4, 0, 0.0, 35, 21, 51, 22, 20, 20]
                            + list(rng.integers(1, 256, 400)))
os.chdir(folder)

# Using tf.data: make_csv_dataset
titanic_csv_ds = tf.data.experimental.make_csv_dataset(
    titanic_file_path,
    batch_size=5,  # Artificially small to make examples easier to show.
    label_name='survived',
    num_epochs=1,
    ignore_errors=True,)

for batch, label in titanic_csv_ds.take(1):
  for key, value in batch.items():
    print(f"{key:20s}: {value}")
  print()
  print(f"{'label':20s}: {label}")
titanic_batch, titanic_label = batch, label

# Compressed data
traffic_volume_csv_gz_ds = tf.data.experimental.make_csv_dataset(
    traffic_volume_csv_gz,
    batch_size=256,
    label_name='traffic_volume',
    num_epochs=1,
    compression_type="GZIP")

for batch, label in traffic_volume_csv_gz_ds.take(1):
  for key, value in batch.items():
    print(f"{key:20s}: {value[:5]}")
  print()
  print(f"{'label':20s}: {label[:5]}")
traffic_batch, traffic_label = batch, label

# Caching
for i, (batch, label) in enumerate(traffic_volume_csv_gz_ds.repeat(20)):
  if i % 40 == 0:
    print('.', end='')
print()
uncached_batches = i + 1

caching = traffic_volume_csv_gz_ds.cache().shuffle(1000)

for i, (batch, label) in enumerate(caching.shuffle(1000).repeat(20)):
  if i % 40 == 0:
    print('.', end='')
print()
cached_batches = i + 1

# Multiple files
fonts_ds = tf.data.experimental.make_csv_dataset(
    file_pattern = "fonts/*.csv",
    batch_size=10, num_epochs=1,
    num_parallel_reads=20,
    shuffle_buffer_size=10000)

for features in fonts_ds.take(1):
  for i, (name, value) in enumerate(features.items()):
    if i>15:
      break
    print(f"{name:20s}: {value}")
print('...')
print(f"[total: {len(features)} features]")
font_feature_count = len(features)


def make_images(features):
  image = [None]*400
  new_feats = {}

  for name, value in features.items():
    match = re.match(r'r(\d+)c(\d+)', name)
    if match:
      image[int(match.group(1))*20+int(match.group(2))] = value
    else:
      new_feats[name] = value

  image = tf.stack(image, axis=0)
  image = tf.reshape(image, [20, 20, -1])
  new_feats['image'] = image

  return new_feats


fonts_image_ds = fonts_ds.map(make_images)

for features in fonts_image_ds.take(1):
  break
font_image = features['image']
font_first_pixels = features['image'][0, :3, 0]
font_columns = features

# Lower-level functions: CsvDataset
titanic_types = [int(), str(), float(), int(), int(), float(), str(), str(), str(), str()]
simple_titanic = tf.data.experimental.CsvDataset(titanic_file_path, record_defaults=titanic_types, header=True)

for example in simple_titanic.take(1):
  print([e.numpy() for e in example])
first_titanic_row = [e.numpy() for e in example]

# Multiple files
font_csvs = sorted(str(p) for p in pathlib.Path('fonts').glob("*.csv"))
font_line = pathlib.Path(font_csvs[0]).read_text().splitlines()[1]
num_font_features = font_line.count(',')+1
font_column_types = [str(), str()] + [float()]*(num_font_features-2)

simple_font_ds = tf.data.experimental.CsvDataset(
    font_csvs,
    record_defaults=font_column_types,
    header=True)

for row in simple_font_ds.take(10):
  print(row[0].numpy())

font_files = tf.data.Dataset.list_files("fonts/*.csv")

print('Epoch 1:')
for f in list(font_files)[:5]:
  print("    ", f.numpy())
print('    ...')
print()

print('Epoch 2:')
for f in list(font_files)[:5]:
  print("    ", f.numpy())
print('    ...')


def make_font_csv_ds(path):
  return tf.data.experimental.CsvDataset(
    path,
    record_defaults=font_column_types,
    header=True)


font_rows = font_files.interleave(make_font_csv_ds,
                                  cycle_length=3)

fonts_dict = {'font_name':[], 'character':[]}

for row in font_rows.take(10):
  fonts_dict['font_name'].append(row[0].numpy())
  fonts_dict['character'].append(chr(int(row[2].numpy())))

# Performance
BATCH_SIZE=2048
fonts_fast = tf.data.experimental.CsvDataset(font_csvs, record_defaults=font_column_types, header=True)
fonts_fast = fonts_fast.batch(BATCH_SIZE)
for i, batch in enumerate(fonts_fast.take(20)):
  print('.', end='')
print()
fast_batch_rows = len(batch[0])
