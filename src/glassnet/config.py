"""``glassnet.config``: Keras 3's ``keras.config``, the global settings Keras programs read.

glassnet has one backend (NumPy), one image layout (channels last), float32 by default and
Keras's epsilon; asking for another is an error (see :mod:`glassnet.backend`), not ignored.
"""

import collections

from glassnet.backend import (backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                              set_image_data_format)


def dtype_policy():
    """``"float32"``: glassnet computes in the weights' own dtype (no mixed precision)."""
    return "float32"


def set_dtype_policy(policy):
    """Only ``"float32"``: mixed precision (``"mixed_float16"``) is not part of glassnet."""
    name = getattr(policy, "name", policy)
    if name != "float32":
        raise ValueError(f"glassnet computes in float32; set_dtype_policy({name!r}) (mixed precision) "
                         f"is not supported")


def list_physical_devices(device_type=None):
    """TensorFlow's ``tf.config.list_physical_devices("GPU")``, which tutorials print first:
    glassnet computes on the CPU with NumPy, so it lists no GPU and one CPU."""
    cpu = PhysicalDevice(name="/physical_device:CPU:0", device_type="CPU")
    return [cpu] if device_type in (None, "CPU") else []


PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])


def enable_unsafe_deserialization():
    """Let ``load_model`` run a Lambda's Python bytecode from a ``.keras`` file written by
    Keras, as ``safe_mode=False`` does (glassnet writes a Lambda as the layers it traced)."""
    from glassnet.interop.keras_lambda import enable_unsafe_deserialization as enable
    enable()


__all__ = ["backend", "dtype_policy", "enable_unsafe_deserialization", "epsilon", "floatx",
           "image_data_format", "list_physical_devices", "set_dtype_policy", "set_epsilon", "set_floatx", "set_image_data_format"]
