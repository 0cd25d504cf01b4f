"""``glassnet.preprocessing``: Keras's ``keras.preprocessing`` for programs that still use it.

* :mod:`glassnet.preprocessing.image`: ``ImageDataGenerator`` (augmented batches for
  ``fit``, from arrays with ``flow`` or from a folder of class subfolders with
  ``flow_from_directory``: :mod:`glassnet.preprocessing.directory_iterator`) and
  ``load_img`` / ``img_to_array`` / ``array_to_img`` / ``save_img``;
* :mod:`glassnet.preprocessing.sequence`: ``pad_sequences`` and
  ``timeseries_dataset_from_array`` (also here, as Keras 3 has the latter);
* :mod:`glassnet.preprocessing.text`: Keras 2's ``Tokenizer`` (texts to word numbers, before
  the model), ``text_to_word_sequence``, ``one_hot`` and ``hashing_trick``.

``import glassnet as keras`` then ``keras.preprocessing.image.ImageDataGenerator`` works, and
so do ``from glassnet.preprocessing.image import ImageDataGenerator`` and (through
``import glassnet as tf``) ``tf.keras.preprocessing.image``.
"""

from glassnet.preprocessing import image, sequence, text
from glassnet.preprocessing.sequence import timeseries_dataset_from_array

__all__ = ["image", "sequence", "text", "timeseries_dataset_from_array"]
