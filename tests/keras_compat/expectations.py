"""What each program must show after it ran (on 4,000 training and 1,000 test images).

The same checks hold for glassnet and for Keras 3 (scripts/run_keras_compat.py).
"""

import math
import os

import numpy as np


def _close(value, low, high):
    return low <= float(value) <= high


def _are_windows_of(series, x, y):
    """Each row of ``x`` is a stretch of ``series`` and ``y`` the number that follows it."""
    starts = [int(np.flatnonzero(series == row[0])[0]) for row in x]
    return all(np.array_equal(series[k:k + len(row)], row) and series[k + len(row)] == target
               for k, row, target in zip(starts, x, y))


def _text(value):
    """A string as str, from TensorFlow's bytes or glassnet's str."""
    value = np.asarray(value).item()
    return value.decode() if isinstance(value, bytes) else value


def _event_files(log_dir):
    """``{run: number of event files}`` under a TensorBoard log folder."""
    return {run: sum(name.startswith("events.out.tfevents.") for name in os.listdir(os.path.join(log_dir, run)))
            for run in os.listdir(log_dir)}


EXPECTATIONS = {
    "text_classification_tutorial": lambda ns: ns["history"].history["val_binary_accuracy"][-1] > 0.8
    and ns["export_accuracy"] > 0.8 and float(ns["predictions"][0, 0]) > 0.5 > float(ns["predictions"][2, 0])
    and np.allclose(ns["restored_predictions"], ns["predictions"], atol=1e-6)
    and ns["restored_vocabulary"] == ns["vocabulary"] and ns["vocabulary"][:2] == ["", "[UNK]"]
    and len(ns["vocabulary"]) == ns["vectorize_layer"].vocabulary_size() <= 200
    and ns["model"].count_params() == 200 * 16 + 17 and np.asarray(ns["x_train"]).shape == (400, 24),
    "text_classification_transformer": lambda ns: ns["history"].history["val_accuracy"][-1] > 0.85
    and ns["difference"] < 1e-5 and ns["model"].count_params() == 13_598   # Keras's summary's count
    and ns["layer_names"][1:3] == ["token_and_position_embedding", "transformer_block"],
    "rnn_guide_mnist": lambda ns: ns["history"].history["val_accuracy"][-1] > 0.15 and  # one epoch of SGD on 4,000
    ns["result"].shape == (1, 10) and ns["model"].count_params() == 24_714,
    "augmentation_layers": lambda ns: ns["history"].history["val_accuracy"][-1] > 0.85 and
    ns["difference"] < 1e-5 and 25 < float(np.squeeze(ns["normalizer"].mean)) < 45,
    "mlp_integer_labels": lambda ns: ns["test_acc"] > 0.85 and len(ns["history"].history["val_loss"]) == 3,
    "mlp_one_hot": lambda ns: ns["test_acc"] > 0.80,
    "simple_convnet": lambda ns: ns["score"][1] > 0.80,
    "tf_quickstart": lambda ns: _close(ns["initial_loss"], 1.3, 3.5) and ns["predictions"].shape == (1, 10)
    and np.allclose(np.asarray(ns["probabilities"]).sum(axis=1), 1, atol=1e-5),
    "keras2_mnist_cnn": lambda ns: len(ns["score"]) == 2 and math.isfinite(ns["score"][0]) and
    ns["model"].count_params() == 1_199_882 and ns["model"].optimizer.iterations == 12 * 32,
    "quickstart_logits": lambda ns: _close(ns["initial_loss"], 1.3, 3.5) and
    np.allclose(ns["probabilities"].sum(axis=1), 1, atol=1e-5),
    "functional_residual": lambda ns: ns["results"]["sparse_categorical_accuracy"] > 0.85 and
    "val_sparse_categorical_accuracy" in ns["history"].history,
    "callbacks_save_freeze": lambda ns: bool(ns["same"]) and ns["frozen_before"].shape == (784, 64) and
    np.array_equal(ns["frozen_before"], ns["frozen_after"]) and
    len(ns["student"].trainable_weights) == 2 and len(ns["student"].non_trainable_weights) == 2,
    "cnn_batchnorm_schedule": lambda ns: ns["history"].history["val_accuracy"][-1] > 0.75 and
    sum(int(np.prod(w.shape)) for w in ns["model"].non_trainable_weights) == 2 * (16 + 32),
    "methods_checklist": lambda ns: len(ns["history"].history["learning_rate"]) == 4 and
    ns["history"].history["learning_rate"][-1] < 0.05 and (ns["y_pred"] == ns["y_test"]).mean() > 0.85,
    "generator_fit": lambda ns: ns["accuracy"] > 0.85,
    "custom_callbacks": lambda ns: ns["keys_seen"] == {
        "train_begin": [], "test_end": ["loss", "mean_absolute_error"], "predict_batch_end": ["outputs"],
        "epoch_end": ["loss", "mean_absolute_error", "val_loss", "val_mean_absolute_error"]}
    and abs(ns["final_rate"] - (0.001 if len(ns["history"].history["loss"]) >= 3 else 0.01)) < 1e-9,
    "denoising_autoencoder": lambda ns: ns["decoded"].shape == (10, 28, 28, 1) and
    ns["final_loss"] < 0.55 * ns["initial_loss"],
    "ema_backup_restore": lambda ns: len(ns["history"].history["loss"]) == 2 and ns["test_acc"] > 0.85
    and not os.path.exists(ns["backup_dir"]) and ns["model"].optimizer.use_ema,
    "lambda_and_ops": lambda ns: ns["accuracy"] > 0.85 and ns["targets"].shape == (5, 10)
    and len(ns["history"].history["val_loss"]) == 2,
    "subclassed_model": lambda ns: ns["accuracy"] > 0.85 and len(ns["history"].history["val_accuracy"]) == 3
    and bool(ns["same_answers"]) and ns["probabilities"].shape == (5, 10),
    "two_inputs": lambda ns: ns["accuracy"] > 0.85,
    "masked_digit_columns": lambda ns: ns["test_acc"] > 0.75 and ns["difference"] < 1e-5 and
    len(ns["history"].history["val_loss"]) == 3 and min(ns["lengths"]) < max(ns["lengths"]),
    "seq2seq_digit_names": lambda ns: ns["history"].history["val_accuracy"][-1] > 0.9 and ns["read_right"] >= 0.6
    and len(ns["decoder_model"].outputs) == 3 and ns["model"].count_params() == 45_905,
    "metrics_and_lambda": lambda ns: sorted(ns["history"].history) == ["acc", "auc", "loss", "precision", "top2"]
    and len(ns["seen"]) == 2 and all(math.isfinite(v) for v in ns["seen"]),
    "tensorboard_get_started": lambda ns: _event_files(ns["log_dir"]) == {"train": 1, "validation": 1}
    and len(ns["model"].history.history["val_accuracy"]) == 5 and ns["model"].history.history["val_accuracy"][-1] > 0.85,
    "gan_keras2_style": lambda ns: ns["combined"].metrics_names == ["loss"]
    and all(math.isfinite(float(g)) and float(g) > 0.05 for g in ns["g_losses"]) and ns["g_losses"][-1] < ns["g_losses"][0]
    and all(np.array_equal(a, b) for a, b in zip(ns["judge_before"], ns["judge_after"]))
    and ns["samples"].shape == (16, 28, 28) and float(np.abs(ns["samples"]).max()) <= 1,
    "serialization_guide": lambda ns: ns["shift_weights"] == ["shift"] and ns["shift_moved"] and
    ns["difference"] < 1e-6 and ns["scores"]["accuracy"] > 0.8 and abs(ns["rate"] - 1e-3 * 0.9 ** 1.14) < 1e-7
    and type(ns["restored"].layers[2]).__name__ == "WideDense"
    and ns["restored"].layers[2].width_note == "sixty-four"
    and sorted(ns["history"].history) == ["accuracy", "confident", "loss", "val_accuracy", "val_confident", "val_loss"],
    "kaggle_cnn_augmented": lambda ns: len(ns["history"].history["val_accuracy"]) == 1 and
    ns["model"].optimizer.iterations == 3600 // 86 and ns["test_accuracy"] > 0.7,
    "save_and_load_tutorial": lambda ns: ns["restored_acc"] > 0.75 and ns["untrained_acc"] < 0.3 and
    ns["checkpoints"] == ["cp-0000.weights.h5", "cp-0005.weights.h5", "cp-0010.weights.h5"] and
    ns["new_acc"] > 0.8,
    "imbalanced_data_tutorial": lambda ns: _close(ns["initial_loss"], 0.2, 0.6) and
    ns["baseline_results"]["prc"] > 0.8 and ns["weighted_results"]["recall"] > 0.8 and
    ns["baseline_results"]["tp"] + ns["baseline_results"]["fn"] == (ns["y_test"] == 0).sum() and
    sorted(ns["baseline_history"].history)[:4] == ["Brier score", "accuracy", "auc", "cross entropy"],
    "tf_data_pipeline": lambda ns: ns["first_shape"] == (28, 28) and ns["first_label"] == int(ns["y_train"][0])
    and ns["train_batches"] == 32 and len(ns["history"].history["val_sparse_categorical_accuracy"]) == 3
    and ns["test_accuracy"] > 0.85 and abs(float(np.mean(ns["predicted"] == ns["y_test"])) - ns["test_accuracy"]) < 1e-6
    and len(ns["more"].history["loss"]) == 2 and int(ns["model"].optimizer.iterations) == 3 * 32 + 2 * 20,
    "focal_loss_grouped_convnet": lambda ns: ns["detector"].count_params() == 1_441 and
    ns["results"]["prc"] > 0.5 and np.shape(ns["per_sample"]) == (8,) and ns["difference"] < 1e-5 and
    ns["test_acc"] > 0.85,
    "image_classification_tutorial": lambda ns: ns["class_names"] == ["one", "two", "zero"] and
    tuple(ns["image_batch"].shape)[1:] == (28, 28, 3) and 0 <= ns["low"] <= ns["high"] <= 1 and
    ns["history"].history["val_accuracy"][-1] > 0.8 and np.isclose(float(np.sum(ns["score"])), 1, atol=1e-5),
    "tf_quickstart_experts": lambda ns: len(ns["losses"]) == 5 and ns["losses"][-1] < ns["losses"][0] / 2
    and ns["final_test_accuracy"] > 0.9 and ns["steps"] == 5 * 125,
    "customizing_fit": lambda ns: set(ns["history"].history) == {"loss", "mae"}
    and ns["history"].history["loss"][-1] < ns["history"].history["loss"][0]
    and set(ns["results"]) == {"loss", "mae"} and 0 < ns["results"]["mae"] < ns["results"]["loss"] + 1
    and ns["digits_history"].history["val_accuracy"][-1] > 0.85 and ns["test_acc"] > 0.85
    and int(ns["digits"].optimizer.iterations) == 3 * 63,
    "tf_dcgan_tutorial": lambda ns: len(ns["gen_losses"]) == len(ns["disc_losses"]) == 63   # 4,000 / 64
    and np.all(np.isfinite(ns["gen_losses"] + ns["disc_losses"]))
    and min(ns["disc_losses"][:30]) < ns["disc_losses"][0] - 0.15 < 1.4   # the judge learns first,
    and min(ns["gen_losses"]) < ns["gen_losses"][0] - 0.1                  # then the generator catches up
    and np.asarray(ns["predictions"]).shape == (16, 28, 28, 1) and np.abs(np.asarray(ns["predictions"])).max() <= 1
    and float(np.mean(ns["real_scores"])) > float(np.mean(ns["fake_scores"])),
    "gan_overriding_train_step": lambda ns: set(ns["history"].history) == {"d_loss", "g_loss"}
    and all(len(v) == 1 and math.isfinite(v[0]) for v in ns["history"].history.values())
    and 0 < ns["history"].history["d_loss"][0] < 1 and ns["history"].history["g_loss"][0] > 0
    and ns["steps"] == int(ns["gan"].g_optimizer.iterations) == 63      # 4,000 / 64, the two optimizers
    and np.asarray(ns["generated_images"]).shape == (10, 28, 28, 1)
    and 0 <= float(np.min(ns["generated_images"])) <= float(np.max(ns["generated_images"])) <= 1
    and len(ns["gan"].trainable_weights) == 14,
    # 3,000 training images in batches of 32: 94 steps an epoch.
    "training_loop_from_scratch": lambda ns: len(ns["first_losses"]) == 3 * 94
    and np.mean(ns["first_losses"][-20:]) < np.mean(ns["first_losses"][:20]) / 5
    and ns["eager_val_accs"][-1] > 0.7 and ns["function_val_accs"][-1] > 0.75
    and int(ns["optimizer"].iterations) == 94 and len(ns["regularized_losses"]) == 94
    and ns["regularized_losses"][-1] < ns["regularized_losses"][0] / 10,
    # 5,000 digits in batches of 128: 40 steps an epoch; the loss is a sum over 784 pixels.
    "vae_mnist": lambda ns: list(ns["history"].history) == ["kl_loss", "loss", "reconstruction_loss"]   # sorted, as Keras logs them
    and ns["history"].history["loss"][-1] < 0.7 * ns["history"].history["loss"][0]
    and ns["history"].history["loss"][-1] < 260 and ns["history"].history["kl_loss"][-1] > 0
    and int(ns["vae"].optimizer.iterations) == 3 * 40 and len(ns["vae"].trainable_weights) == 18
    and ns["x_decoded"].shape == (2, 28, 28, 1) and 0 <= ns["x_decoded"].min() <= ns["x_decoded"].max() <= 1
    and ns["z_mean_test"].shape == (1000, 2) and np.isfinite(ns["z_mean_test"]).all(),
    "gan_training_loop_from_scratch": lambda ns: len(ns["d_losses"]) == len(ns["g_losses"]) == 12
    and np.isfinite(ns["d_losses"] + ns["g_losses"]).all() and ns["d_losses"][-1] < ns["d_losses"][0]
    and int(ns["d_optimizer"].iterations) == int(ns["g_optimizer"].iterations) == 12
    and tuple(ns["generated_images"].shape) == (64, 28, 28, 1) and ns["saved_image"],
    "tf_time_series_tutorial": lambda ns: ns["example_shapes"] == ((32, 1, 3), (32, 1, 1))
    and ns["linear_output_shape"] == (32, 1, 1) and ns["lstm_output_shape"] == (32, 24, 1)
    and ns["warmup_shape"] == (32, 3) and ns["feedback_output_shape"] == (32, 24, 3)
    and set(ns["val_performance"]) == {"Baseline", "Linear", "Dense", "Conv", "LSTM", "Residual LSTM"}
    and all(math.isfinite(v["mean_absolute_error"]) for v in ns["val_performance"].values())
    and ns["val_performance"]["Conv"]["mean_absolute_error"] < 0.6 and ns["linear_weights"].shape == (3,)
    and ns["history"].history["loss"][-1] < 0.8 * ns["history"].history["loss"][0]
    and ns["multi_val_performance"]["AR LSTM"]["loss"] < 1.0,
    "tf_load_csv_tutorial": lambda ns: tuple(np.shape(ns["preprocessed_example"])) == (1, 4 + 3 + 4 + 5 + 4 + 3)   # the OOV slot of each lookup too
    and set(ns["numeric_inputs"]) == {"age", "n_siblings_spouses", "parch", "fare"}
    and float(np.abs(np.asarray(ns["before"]) - np.asarray(ns["after"])).max()) < 1e-5
    and np.asarray(ns["first_example"]["sex"]).tolist() in ("male", "female", b"male", b"female")
    and ns["history"].history["loss"][-1] < ns["history"].history["loss"][0] and ns["accuracy"] > 0.9,
    # 980 windows of 20 numbers and the next (the course's series split at 1,000) in batches of 32.
    "tf_course_time_series_windows": lambda ns: ns["first_x"].shape == (32, 20) and ns["first_y"].shape == (32,)
    and _are_windows_of(ns["x_train"], ns["first_x"], ns["first_y"]) and len(list(ns["dataset"])) == 31
    and np.allclose(ns["history"].history["learning_rate"], ns["lrs"], rtol=1e-5)
    and ns["history"].history["loss"][-1] < ns["history"].history["loss"][0]
    and ns["trained"].history["loss"][-1] < min(8.0, 0.6 * ns["trained"].history["loss"][0])
    and ns["model"].count_params() == 17_173 and ns["forecast"].shape == (1461 - 20 + 1, 1)
    and 0 < float(ns["mae"]) < 2 * float(ns["naive_mae"]),
    # 60 Titanic rows in batches of 5; 700 traffic rows in batches of 256 (3 a pass); 3 font files of 10 rows.
    "tf_load_csv_tf_data": lambda ns: list(ns["titanic_batch"]) == ["sex", "age", "n_siblings_spouses", "parch",
                                                                    "fare", "class", "deck", "embark_town", "alone"]
    and [np.asarray(ns["titanic_batch"][k]).dtype for k in ("age", "parch", "fare")] == [np.float32, np.int32,
                                                                                          np.float32]
    and np.shape(ns["titanic_label"]) == (5,) and set(np.asarray(ns["titanic_label"]).tolist()) <= {0, 1}
    and len(ns["traffic_batch"]) == 8 and np.shape(ns["traffic_label"]) == (256,)
    and np.asarray(ns["traffic_batch"]["clouds_all"]).dtype == np.int32
    and ns["uncached_batches"] == ns["cached_batches"] == 20 * 3 and ns["font_feature_count"] == 412
    and np.shape(ns["font_image"]) == (20, 20, 10) and len(ns["font_columns"]) == 12 + 1
    and [_text(v) for v in ns["first_titanic_row"][:3]] == [0, "female", 20.0]
    and ns["fonts_dict"]["character"] == list("AAABBBCCCD")
    and sorted({_text(f) for f in ns["fonts_dict"]["font_name"]}) == ["AGENCY", "ARIAL", "BAITI"]
    and ns["fast_batch_rows"] == 30,
}
