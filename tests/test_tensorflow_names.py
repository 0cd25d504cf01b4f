"""``import glassnet as tf``: TensorFlow's names for Keras (``tf.keras``), ``tf.nn``, and
the ``.numpy()`` that its tutorials call on what a model or a loss returns."""

import numpy as np
import pytest

import glassnet
import glassnet as tf
from glassnet.engine.tensor import Tensor


def test_tf_keras_is_glassnet_and_its_modules_import_under_that_name():
    assert tf.keras is glassnet and tf.keras.layers is glassnet.layers
    from glassnet.keras import layers, models                     # was: from tensorflow.keras import ...
    from glassnet.keras.layers import Dense                       # was: from tensorflow.keras.layers import ...
    from glassnet.keras.optimizers.schedules import ExponentialDecay
    assert layers is glassnet.layers and models is glassnet.models and Dense is glassnet.layers.Dense
    assert ExponentialDecay is glassnet.optimizers.schedules.ExponentialDecay


def test_a_model_call_and_a_loss_give_arrays_that_answer_numpy():
    model = tf.keras.models.Sequential([tf.keras.layers.Input((4,)), tf.keras.layers.Dense(3)])
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    out = model(x)
    assert isinstance(out, np.ndarray) and isinstance(out, Tensor)
    values = out.numpy()
    assert type(values) is np.ndarray and np.shares_memory(values, out)
    np.testing.assert_array_equal(values, model.predict(x, verbose=0))
    assert type(model.predict(x, verbose=0)) is np.ndarray       # predict: plain arrays, as in Keras
    loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(np.array([0, 2]), values)
    assert loss.shape == () and float(loss) == pytest.approx(float(loss.numpy())) and loss > 0
    probabilities = tf.nn.softmax(values).numpy()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-6)
    assert float(loss) == pytest.approx(-np.log(probabilities[[0, 1], [0, 2]]).mean(), rel=1e-5)


def test_a_layer_call_and_a_layers_weights_answer_numpy_too():
    """TensorFlow's regression tutorial: normalizer.adapt(x); normalizer.mean.numpy();
    normalizer(x[:1]).numpy(). Weights come as views, so writing into one writes the layer."""
    features = np.random.default_rng(0).normal(5.0, 2.0, size=(50, 3)).astype(np.float32)
    normalizer = tf.keras.layers.Normalization(axis=-1)
    normalizer.adapt(features)                                      # builds it, as in Keras
    # shaped to broadcast over a batch, as Keras's: the tutorial prints [[...]]
    np.testing.assert_allclose(normalizer.mean.numpy(), [features.mean(axis=0)], rtol=1e-5)
    np.testing.assert_allclose(normalizer.variance.numpy(), [features.var(axis=0)], rtol=1e-5)
    assert normalizer.get_weights()[0].shape == (3,)                  # the weight itself: (3,), as in Keras
    normalized = normalizer(features[:1]).numpy()
    assert type(normalized) is np.ndarray and normalized.shape == (1, 3)
    model = tf.keras.Sequential([normalizer, tf.keras.layers.Dense(1)])     # keeps the statistics
    np.testing.assert_allclose(normalizer.mean.numpy(), [features.mean(axis=0)], rtol=1e-5)
    images = tf.keras.layers.Normalization(axis=None)
    images.adapt(features.reshape(50, 3, 1, 1))
    assert images.mean.shape == (1, 1, 1, 1)
    dense = model.layers[1]
    dense.kernel[...] = 0.0
    assert not model.predict(features[:1], verbose=0).any() and dense.kernel.numpy().shape == (3, 1)


def test_tf_nn_is_the_activations_and_a_tensor_computes_as_an_array():
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(tf.nn.relu(x).numpy(), [[0.0, 0.0, 2.0]])
    np.testing.assert_allclose(tf.nn.sigmoid(x).numpy(), 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(np.exp(tf.nn.log_softmax(x)), tf.nn.softmax(x), rtol=1e-12)
    doubled = tf.nn.relu(x) * 2 + 1
    assert doubled.numpy().tolist() == [[1.0, 1.0, 5.0]] and doubled.sum() == 7.0


def test_a_keras_layer_glassnet_lacks_is_named_plainly():
    with pytest.raises(AttributeError, match="glassnet has no layer 'ConvLSTM3D'.*custom_layers"):
        tf.keras.layers.ConvLSTM3D(16, 3)
    assert not hasattr(glassnet.layers, "ConvLSTM3D") and hasattr(glassnet.layers, "GroupNormalization")
    assert hasattr(tf.keras.layers, "Conv2DTranspose") and hasattr(glassnet.layers, "UpSampling2D")
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        glassnet.layers.nope


def test_tensorflow_features_glassnet_lacks_say_what_to_do_instead():
    with pytest.raises(AttributeError, match="no tf.data.TFRecordDataset: .*from_tensor_slices"):
        tf.data.TFRecordDataset("train.tfrecord")
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        tf.nope
    with pytest.raises(AttributeError, match="no applications: .*pretrained ImageNet models"):
        tf.keras.applications.MobileNetV2(input_shape=(96, 96, 3), include_top=False)
    with pytest.raises(AttributeError, match="no saved_model: .*model.save\\('my_model.keras'\\)"):
        tf.saved_model.save(None, "saved")
    with pytest.raises(AttributeError, match="no train: .*save_weights_only=True.*load_weights"):
        tf.train.latest_checkpoint("training_1")
    assert tf.config.list_physical_devices("GPU") == []          # "Num GPUs Available: 0"
    assert [d.device_type for d in tf.config.list_physical_devices()] == ["CPU"]


def test_the_text_and_structured_data_tutorials_layers_import():
    """``from tensorflow.keras.layers import TextVectorization``: the text layers are there, and
    HashedCrossing (the structured-data tutorials' crosses) with TensorFlow's bins."""
    from glassnet.keras.layers import CategoryEncoding, HashedCrossing, IntegerLookup, StringLookup, TextVectorization
    assert TextVectorization(max_tokens=10000, output_mode="int", output_sequence_length=250).get_vocabulary() == \
        ["", "[UNK]"]
    assert StringLookup(max_tokens=5).get_vocabulary() == ["[UNK]"] and IntegerLookup().get_vocabulary() == [-1]
    assert HashedCrossing(num_bins=5)([np.array([[1], [2]]), np.array([["a"], ["b"]])]).tolist() == [[0], [4]]
    assert CategoryEncoding(num_tokens=3, output_mode="one_hot")(np.array([[2]])).tolist() == [[0, 0, 1]]
    assert "TextVectorization" in glassnet.layers.LAYERS and "HashedCrossing" in glassnet.layers.LAYERS


def test_the_tensors_tutorials_tensorflow_functions():
    x = np.ones((2, 3))
    assert tf.shape(x).tolist() == [2, 3] and tf.size(x) == 6 and tf.rank(x) == 2
    assert tf.equal(np.array([1, 2]), np.array([1, 3])).tolist() == [True, False] and tf.executing_eagerly()


def test_keras_random_has_keras_3s_functions_and_names_one_it_lacks():
    """keras.random.randint (and the rest of Keras 3's keras.random) were missing, and a
    missing one said "'types.SimpleNamespace' object has no attribute"."""
    import glassnet as keras

    ints = keras.random.randint((200,), 2, 5, seed=0)
    assert ints.dtype == np.int32 and set(np.unique(ints)) == {2, 3, 4}
    cut = keras.random.truncated_normal((2000,), mean=1.0, stddev=0.5, seed=0)
    assert cut.dtype == np.float32 and np.abs(cut - 1.0).max() <= 1.0 and abs(cut.std() - 0.44) < 0.03
    rows = np.arange(10).reshape(5, 2)
    shuffled = keras.random.shuffle(rows, seed=0)
    assert sorted(map(tuple, shuffled)) == sorted(map(tuple, rows)) and not np.array_equal(shuffled, rows)
    picks = keras.random.categorical(np.log([[0.999, 0.001], [1e-9, 1.0]]), 20, seed=0)
    assert picks.shape == (2, 20) and picks[1].tolist() == [1] * 20
    assert keras.random.gamma((3,), 2.0, seed=0).dtype == np.float32 and keras.random.beta((3,), 1.0, 1.0).shape == (3,)
    assert set(np.unique(keras.random.binomial((50,), 1, 0.5, seed=0))) == {0.0, 1.0}
    with pytest.raises(AttributeError, match="glassnet's random has no 'stateless_gamma'; it has Generator, SeedGenerator, beta"):
        keras.random.stateless_gamma


def test_keras_applications_is_one_line_saying_what_to_do_instead():
    """The transfer-learning guide's keras.applications.Xception(...), either spelling."""
    with pytest.raises(AttributeError, match="no applications: .*pretrained ImageNet models.*load_model"):
        tf.keras.applications.Xception(weights="imagenet", include_top=False)
    import importlib
    for module in ("glassnet.applications", "glassnet.applications.mobilenet_v2"):   # from ... import
        with pytest.raises(ImportError, match="no applications: .*pretrained"):
            importlib.import_module(module)


def test_keras_saving_loads_and_saves_and_its_decorator_keeps_the_class(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)], seed=0)
    tf.keras.saving.save_model(model, tmp_path / "m.keras")
    again = tf.keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again.predict(np.ones((1, 3)), verbose=0), model.predict(np.ones((1, 3)), verbose=0),
                               rtol=1e-6)

    @tf.keras.saving.register_keras_serializable(package="mine")
    class Twice(tf.keras.layers.Layer):
        def forward(self, x, training=False):
            return 2 * x

        def backward(self, dy):
            return 2 * dy

    assert tf.keras.saving.get_custom_objects()["Twice"] is Twice


def test_keras_3_top_level_names_and_config():
    class Doubler(tf.keras.Layer):          # keras.Layer, as Keras 3's guides write it
        def forward(self, x, training=False):
            return 2 * x

    assert issubclass(Doubler, glassnet.layers.Layer) and tf.keras.Loss is glassnet.losses.Loss
    assert tf.keras.Metric is glassnet.metrics.Metric and tf.keras.Optimizer is glassnet.optimizers.Optimizer
    assert tf.keras.config.backend() == "numpy" and tf.keras.config.image_data_format() == "channels_last"
    assert tf.keras.version() == glassnet.__version__
    tf.keras.config.enable_unsafe_deserialization()
    with pytest.raises(ValueError, match="mixed precision"):
        tf.keras.config.set_dtype_policy("mixed_float16")
    with pytest.raises(ValueError, match="channels_first"):
        tf.keras.config.set_image_data_format("channels_first")


def test_keras_2_module_paths_of_the_old_tutorials():
    from glassnet.layers.convolutional import Conv2D, MaxPooling2D
    from glassnet.layers.core import Dense, Dropout, Flatten
    from glassnet.layers.normalization import BatchNormalization
    from glassnet.utils import np_utils
    from glassnet.utils.np_utils import to_categorical

    assert Dense is glassnet.layers.Dense and Conv2D is glassnet.layers.Conv2D
    assert all(cls is getattr(glassnet.layers, cls.__name__) for cls in (MaxPooling2D, Dropout, Flatten, BatchNormalization))
    assert np_utils.to_categorical([1, 0], 2).tolist() == [[0, 1], [1, 0]] and to_categorical is glassnet.utils.to_categorical
    from glassnet.utils.vis_utils import plot_model
    assert plot_model is glassnet.utils.plot_model and tf.keras.utils.vis_utils.plot_model is plot_model
    from glassnet.optimizers.legacy import Adam
    assert Adam is glassnet.optimizers.Adam and tf.keras.optimizers.legacy.SGD is glassnet.optimizers.SGD
    # TensorFlow 2.3-2.5's preprocessing layers, as its data augmentation tutorial imports them
    from glassnet.keras.layers.experimental import preprocessing
    from glassnet.layers.experimental.preprocessing import RandomFlip, Rescaling
    assert preprocessing.RandomRotation is glassnet.layers.RandomRotation and RandomFlip is glassnet.layers.RandomFlip
    assert tf.keras.layers.experimental.preprocessing.Normalization is glassnet.layers.Normalization
    assert Rescaling is glassnet.layers.Rescaling


def test_the_tensorflow_functions_of_the_mnist_tutorials_on_arrays():
    """TensorFlow's "Intro to autoencoders" and evaluation snippets, as written."""
    x = np.random.default_rng(0).random((3, 28, 28)).astype("float32")
    x = x[..., tf.newaxis]
    assert x.shape == (3, 28, 28, 1)
    tf.random.set_seed(0)
    noisy = tf.clip_by_value(x + 0.2 * tf.random.normal(shape=x.shape), clip_value_min=0., clip_value_max=1.)
    assert noisy.dtype == np.float32 and 0 <= noisy.min() and noisy.max() <= 1 and hasattr(noisy, "numpy")
    tf.random.set_seed(0)
    again = tf.clip_by_value(x + 0.2 * tf.random.normal(shape=x.shape), 0., 1.)
    np.testing.assert_array_equal(noisy, again)                      # set_seed makes it repeatable
    assert tf.math.reduce_prod((28, 28)).numpy() == 784
    matrix = tf.math.confusion_matrix([0, 1, 1, 2], tf.argmax(np.eye(3)[[0, 1, 2, 2]], axis=1))
    np.testing.assert_array_equal(matrix, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    assert tf.cast([1.7, 2.2], tf.int32).tolist() == [1, 2] and tf.one_hot([2], 3).tolist() == [[0, 0, 1]]
    assert tf.reduce_mean(tf.constant([1.0, 3.0])).numpy() == 2.0
    draws = []                  # set_random_seed after tf.random.set_seed: its draws, not the old generator's
    for _ in range(2):
        tf.keras.utils.set_random_seed(7)
        draws.append(tf.random.uniform((3,)))
    np.testing.assert_array_equal(*draws)


def test_register_keras_serializable_keeps_functions_out_of_the_layer_registry():
    @tf.keras.saving.register_keras_serializable(package="my_package", name="custom_fn")
    def custom_fn(x):
        return x ** 2

    assert custom_fn(3) == 9 and "custom_fn" not in tf.keras.saving.get_custom_objects()


def test_the_functions_probe_47_reached_for_exist():
    """tf.add_n (the overfitting tutorial sums model.losses with it), keras.layers.serialize and
    deserialize (the serialization guide), model.reset_metrics()."""
    assert float(tf.add_n([np.float32(1), np.float32(2), 3.5])) == 6.5
    np.testing.assert_array_equal(tf.add_n([np.ones(2), np.arange(2)]), [1, 2])
    with pytest.raises(ValueError, match="add_n: needs at least one input"):
        tf.add_n([])
    spec = tf.keras.layers.serialize(tf.keras.layers.Dense(3, activation="relu", name="head"))
    assert spec["class_name"] == "Dense" and spec["config"]["units"] == 3
    again = tf.keras.layers.deserialize(spec)
    assert type(again).__name__ == "Dense" and again.name == "head" and again.units == 3
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    model.evaluate(np.ones((4, 2)), np.zeros(4), verbose=0)
    assert any(float(m.result()) > 0 for m in model.metrics)
    model.reset_metrics()
    assert all(float(m.result()) == 0 for m in model.metrics)


def test_the_regression_and_save_load_tutorials_tensorflow_functions():
    """``tf.linspace(0.0, 250, 251)`` (basic regression's prediction line) and
    ``tf.math.ceil(len(x) / batch_size)`` (save and load's checkpoint every 5 epochs' batches)."""
    x = tf.linspace(0.0, 250, 251)
    assert x.shape == (251,) and x.dtype == np.float32 and x[-1] == 250 and hasattr(x, "numpy")
    n_batches = tf.math.ceil(1000 / 32)
    assert int(n_batches) == 32 and 5 * int(n_batches) == 160
    assert tf.math.floor(2.5).numpy() == 2 and tf.round([0.5, 1.5, 2.7]).tolist() == [0, 2, 3]   # half to even
    assert tf.range(5).dtype == np.int32 and tf.range(1, 2, 0.5).tolist() == [1.0, 1.5]
    assert tf.zeros((2, 3)).dtype == np.float32 and tf.ones([2]).tolist() == [1, 1]


def test_the_tensors_and_variables_tutorials_through_keras_ops_give_keras_dtypes():
    """"Introduction to tensors / variables" with keras.ops: Python numbers become float32 and
    int32 (not NumPy's float64 / int64), arrays made from nothing are float32, and a
    keras.Variable is trainable unless told otherwise (Keras 3.15's answers)."""
    ops = glassnet.ops
    assert ops.convert_to_tensor(4).dtype == np.int32 and ops.convert_to_tensor([2.0, 3.0]).dtype == np.float32
    assert ops.convert_to_tensor([[1, 2]], dtype="float16").dtype == np.float16
    assert ops.convert_to_tensor(np.zeros(2)).dtype == np.float64          # an array keeps its own
    assert ops.array([1, 2]).dtype == np.int32 and ops.convert_to_tensor(True).dtype == bool
    for made in (ops.zeros([3, 2]), ops.ones(2), ops.full((2,), 3), ops.eye(2), ops.identity(2),
                 ops.linspace(0, 1, 5), ops.arange(0.0, 1.0, 0.5)):
        assert made.dtype == np.float32
    assert ops.arange(6).dtype == np.int32 and ops.arange(1, 7, 2).tolist() == [1, 3, 5]
    variable = glassnet.Variable([[1.0, 2.0], [3.0, 4.0]])
    assert variable.trainable and variable.dtype == np.float32 and variable.name == "variable"
    counter = glassnet.Variable(1, trainable=False)
    counter.assign_sub(1)
    assert counter.dtype == np.int32 and counter.numpy() == 0 and not counter.trainable
    metric = glassnet.metrics.Metric()
    assert not metric.add_variable(shape=(), name="total").trainable   # a metric's totals are not trained


def test_keras_random_and_ops_functions_of_the_tensors_tutorials():
    random, ops = glassnet.random, glassnet.ops
    draws = random.randint((100,), 0, 5, seed=3)
    assert draws.dtype == np.int32 and set(draws.tolist()) == {0, 1, 2, 3, 4}
    np.testing.assert_array_equal(draws, random.randint((100,), 0, 5, seed=3))
    assert sorted(random.shuffle(ops.arange(5), seed=2).tolist()) == [0, 1, 2, 3, 4]
    cut = random.truncated_normal((1000,), stddev=2.0, seed=1)
    assert cut.dtype == np.float32 and np.abs(cut).max() <= 4
    c = np.array([[4.0, 5.0, 6.0], [10.0, 1.0, 2.0]])
    np.testing.assert_array_equal(ops.slice(c, (0, 1), (2, 2)), [[5, 6], [1, 2]])
    np.testing.assert_array_equal(ops.slice(c, (1, 0), (-1, -1)), [[10, 1, 2]])
    np.testing.assert_allclose(ops.rsqrt(np.array([4.0])), [0.5])


def test_the_function_forms_of_losses_and_metrics_answer_numpy():
    """The Coursera time-series course: ``tf.keras.metrics.mean_absolute_error(x_valid,
    results).numpy()``, on two series."""
    series, forecast = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    assert tf.keras.metrics.mean_absolute_error(series, forecast).numpy() == pytest.approx(0.5)
    assert tf.keras.metrics.mean_squared_error(series, forecast).numpy() == pytest.approx(1.25 / 3)
    per_sample = tf.keras.losses.mae(np.ones((2, 3)), np.zeros((2, 3)))
    assert per_sample.numpy().tolist() == [1.0, 1.0]


def test_tf_math_has_the_element_wise_functions_as_tensorflow_does():
    """The autoencoder tutorial's anomaly detector: ``tf.math.less(loss, threshold)``, then
    ``np.mean(predictions.numpy() == labels)``."""
    loss = np.array([0.01, 0.5, 0.02])
    predictions = tf.math.less(loss, 0.1)
    assert predictions.numpy().tolist() == [True, False, True]
    assert tf.math.greater_equal(loss, 0.02).tolist() == [False, True, True]
    assert tf.math.reduce_std([1.0, 3.0]) == 1.0 and tf.math.reduce_variance([1.0, 3.0]) == 1.0
    assert tf.math.exp(0.0).numpy() == 1.0 and tf.math.logical_not(predictions).tolist() == [False, True, False]
    assert tf.reduce_any([True, False]) and not tf.reduce_all([True, False])


def test_mixed_precision_takes_float32_and_refuses_the_rest_in_one_line():
    from glassnet.keras.mixed_precision import set_global_policy
    set_global_policy("float32")
    assert tf.keras.mixed_precision.global_policy() == "float32"
    with pytest.raises(ValueError, match="computes in float32.*mixed_float16"):
        tf.keras.mixed_precision.set_global_policy("mixed_float16")
    with pytest.raises(AttributeError, match="no Module: .*keras.layers.Layer"):
        tf.Module


def test_the_audio_dataset_reader_and_split_dataset_say_what_to_do_instead():
    with pytest.raises(NotImplementedError, match="no split_dataset: .*take\\(n\\) and skip\\(n\\).*validation_split"):
        tf.keras.utils.split_dataset((np.ones(4), np.ones(4)), left_size=0.8)
    with pytest.raises(NotImplementedError, match="no audio_dataset_from_directory"):
        tf.keras.utils.audio_dataset_from_directory("speech")


def test_more_of_the_tensorflow_functions_tutorials_call_with_tensorflows_dtypes():
    assert tf.constant([1, 2]).dtype == np.int32 and tf.constant([1.5]).dtype == np.float32     # as TensorFlow's
    assert tf.convert_to_tensor([1.0, 2.0]).dtype == np.float32 and tf.constant(np.zeros(2)).dtype == np.float64
    assert tf.sort([3, 1, 2]).numpy().tolist() == [1, 2, 3] and tf.sort([3, 1, 2], direction="DESCENDING")[0] == 3
    assert tf.gather([10, 20, 30], [2, 0]).numpy().tolist() == [30, 10]
    assert tf.tile([[1, 2]], [2, 1]).numpy().tolist() == [[1, 2], [1, 2]]
    assert tf.dtypes.cast([1.7], tf.int32).tolist() == [1] and tf.dtypes.float32 is tf.float32
    largest = tf.math.top_k([1, 5, 3], k=2)
    assert largest.indices.numpy().tolist() == [1, 2] and tf.nn.top_k([1, 5, 3], k=2).values.tolist() == [5, 3]
    assert tf.nn.sigmoid_cross_entropy_with_logits(labels=np.array([1.0]), logits=np.array([0.0])).numpy() == \
        pytest.approx([np.log(2)])
    assert tf.nn.softmax_cross_entropy_with_logits(labels=np.array([[1.0, 0.0]]),
                                                   logits=np.array([[0.0, 0.0]])).numpy() == pytest.approx([np.log(2)])
    assert tf.nn.sparse_softmax_cross_entropy_with_logits(np.array([1]), np.array([[0.0, 0.0]])) == \
        pytest.approx([np.log(2)])


def test_tf_print_prints_the_values(capsys):
    tf.print("loss:", tf.constant([1, 2]))
    assert capsys.readouterr().out == "loss: [1 2]\n"


def test_a_reduction_takes_its_axes_as_a_list_too():
    """WGAN-GP's ``tf.reduce_sum(tf.square(grads), axis=[1, 2, 3])``: TensorFlow takes a list."""
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(tf.reduce_sum(x, axis=[1, 2]), x.sum(axis=(1, 2)))
    np.testing.assert_array_equal(tf.reduce_mean(x, axis=[0], keepdims=True), x.mean(axis=0, keepdims=True))


def test_l2_normalize_scales_to_length_one_and_is_recorded():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(tf.math.l2_normalize(x, axis=1), [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(tf.math.l2_normalize(x), x / 5.0)               # the whole array
    from glassnet.engine.autodiff import Value, backpropagate
    from glassnet.gradcheck import numerical_gradient
    rng = np.random.default_rng(0)
    data, weights = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    value = Value(data.copy(), needs_grad=True)
    backpropagate(tf.reduce_sum(tf.math.l2_normalize(value, axis=[1]) * weights), 1.0)
    expected = numerical_gradient(lambda: float(np.sum(tf.math.l2_normalize(data, axis=1) * weights)), data)
    np.testing.assert_allclose(value.grad, np.reshape(expected, data.shape), rtol=1e-6, atol=1e-9)
    tensorflow = pytest.importorskip("tensorflow")
    np.testing.assert_allclose(tf.math.l2_normalize(data, axis=0), tensorflow.math.l2_normalize(data, axis=0).numpy(),
                               rtol=1e-12)
