"""ONNX export of the 3-D layers and of the 1-D layers that are 2-D ones on one row: what
ONNX Runtime computes from the file is what glassnet predicts."""

import numpy as np
import pytest

from glassnet import layers, models
from glassnet.errors import ExportError
from glassnet.interop.onnx_export import largest_difference

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
L = layers


def volumes():
    return [L.Input((5, 6, 4, 2)), L.ZeroPadding3D((1, 0, 1)), L.Conv3D(3, 3, activation="relu"),
            L.Conv3D(2, (2, 3, 2), strides=2, padding="same", dilation_rate=1),
            L.Conv3DTranspose(3, (3, 2, 2), strides=(2, 1, 2), padding="same"), L.SpatialDropout3D(0.2),
            L.Conv3DTranspose(2, 2, strides=(1, 2, 1)), L.MaxPooling3D(2, strides=1, padding="same"),
            L.AveragePooling3D((2, 3, 2), padding="same"), L.UpSampling3D((1, 2, 1)),
            L.Cropping3D(((0, 1), (1, 0), (0, 0))), L.Conv3D(2, 2, dilation_rate=(1, 2, 1)),
            L.GlobalAveragePooling3D()]


def sequences():
    return [L.Input((9, 3)), L.Conv1DTranspose(4, 3, strides=2, padding="same", activation="tanh"),
            L.Conv1DTranspose(3, 4, strides=3), L.DepthwiseConv1D(3, depth_multiplier=2, padding="same"),
            L.SeparableConv1D(4, 3, strides=2, dilation_rate=1), L.DepthwiseConv1D(2, dilation_rate=2),
            L.SeparableConv1D(2, 2, padding="same", use_bias=False), L.GlobalMaxPooling1D()]


@pytest.mark.parametrize("make", [volumes, sequences])
def test_exported_model_predicts_what_glassnet_predicts(make, tmp_path):
    model = models.Sequential(make())
    path = tmp_path / "m.onnx"
    model.export(path, format="onnx", verbose=False)
    x = np.random.default_rng(0).random((3,) + model.sample_shapes[0], dtype=np.float32)
    assert largest_difference(model, path, x) < 1e-5


def test_open_sizes_export_too(tmp_path):
    model = models.Sequential([L.Input((None, None, None, 1)), L.Conv3D(2, 3, padding="same"),
                               L.MaxPooling3D(2, padding="same"), L.GlobalMaxPooling3D(keepdims=True)])
    model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
    x = np.random.default_rng(1).random((2, 5, 7, 3, 1), dtype=np.float32)
    assert largest_difference(model, tmp_path / "m.onnx", x) < 1e-5


@pytest.mark.parametrize("layer", [L.AdaptiveAveragePooling2D(2), L.ConvLSTM2D(2, 3)], ids=["adaptive", "conv-lstm"])
def test_layers_without_an_onnx_operator_are_one_line_errors(layer, tmp_path):
    shape = (3, 6, 6, 1) if isinstance(layer, L.ConvLSTM2D) else (6, 6, 1)
    model = models.Sequential([L.Input(shape), layer])
    with pytest.raises(ExportError, match=f"{type(layer).__name__}.*no ONNX translation"):
        model.export(tmp_path / "m.onnx", format="onnx", verbose=False)
