"""``glassnet.preprocessing``: Keras's ``keras.preprocessing`` for programs that still use it.

* :mod:`glassnet.preprocessing.image`: ``ImageDataGenerator`` (augmented batches for
  ``fit``, from arrays with ``flow`` or from a folder of class subfolders with
  ``flow_from_directory``: :mod:`glassnet.preprocessing.directory_iterator`) and
  ``load_img`` / ``img_to_array`` / ``array_to_img`` / ``save_img``.

``import glassnet as keras`` then ``keras.preprocessing.image.ImageDataGenerator`` works, and
so do ``from glassnet.preprocessing.image import ImageDataGenerator`` and (through
``import glassnet as tf``) ``tf.keras.preprocessing.image``.
"""

from glassnet.preprocessing import image

__all__ = ["image"]
