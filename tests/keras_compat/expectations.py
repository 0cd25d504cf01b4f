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


def _grad_cam_is_exact(ns):
    """Grad-CAM's gradient, checked by Euler's rule: after the last conv layer the model is
    max pooling, Flatten, Dropout (off) and the last Dense without its softmax, so a class
    score is ``sum(d score / d A * A) + bias`` in the conv output ``A``, ties or not."""
    tf, keras, model = ns["tf"], ns["keras"], ns["model"]
    grad_model = keras.models.Model(model.inputs, [model.get_layer("last_conv").output, model.output])
    with tf.GradientTape() as tape:
        conv_output, preds = grad_model(ns["x_test"][:4])
        class_channel = preds[:, 3]
    grads = np.asarray(tape.gradient(class_channel, conv_output))
    bias = model.layers[-1].get_weights()[1][3]
    return grads.shape == (4, 11, 11, 64) and np.allclose(
        (grads * np.asarray(conv_output)).sum(axis=(1, 2, 3)) + bias, np.asarray(preds)[:, 3], atol=1e-4)


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
    "tf_cvae_tutorial": lambda ns: len(ns["elbos"]) == 3 and all(math.isfinite(e) for e in ns["elbos"])
    and -600 < ns["elbos"][0] < ns["elbos"][1] < ns["elbos"][2] < -200      # the ELBO climbs every epoch
    and len(ns["model"].trainable_variables) == 14 and ns["optimizer"].iterations == 3 * 63  # 2,000 / 32
    and np.asarray(ns["predictions"]).shape == (16, 28, 28, 1) and np.asarray(ns["samples"]).shape == (100, 28, 28, 1)
    and 0 <= float(np.min(ns["samples"])) <= float(np.max(ns["samples"])) <= 1,
    "tf_load_csv_tutorial": lambda ns: tuple(np.shape(ns["preprocessed_example"])) == (1, 4 + 3 + 4 + 5 + 4 + 3)   # the OOV slot of each lookup too
    and set(ns["numeric_inputs"]) == {"age", "n_siblings_spouses", "parch", "fare"}
    and float(np.abs(np.asarray(ns["before"]) - np.asarray(ns["after"])).max()) < 1e-5
    and np.asarray(ns["first_example"]["sex"]).tolist() in ("male", "female", b"male", b"female")
    and ns["history"].history["loss"][-1] < ns["history"].history["loss"][0] and ns["accuracy"] > 0.9,
    # 12 "days" of 48 steps: 529 windows; the jump (24 steps from step 250) and only it is found.
    "timeseries_anomaly_detection": lambda ns: ns["x_train"].shape == (529, 48, 1)
    and ns["model"].count_params() == 9_505 and ns["x_test_pred"].shape == (529, 48, 1)
    and ns["history"].history["val_loss"][-1] < 0.2 * ns["history"].history["loss"][0]
    and len(ns["anomalous_data_indices"]) > 0
    and all(ns["JUMP_AT"] <= i <= ns["JUMP_AT"] + 24 for i in ns["anomalous_data_indices"]),
    # 48 clips of 9 frames (16x16) to learn from; the model keras.io's, with 8 filters instead of 64.
    "next_frame_conv_lstm": lambda ns: ns["x_train"].shape == (48, 9, 16, 16, 1)
    and ns["model"].count_params() == 12_697 and ns["new_frames"].shape == (5, 16, 16, 1)
    and ns["history"].history["loss"][-1] < 0.7 * ns["history"].history["loss"][0]
    and ns["history"].history["val_loss"][-1] < ns["history"].history["val_loss"][0]
    and 0 <= ns["new_frames"].min() <= ns["new_frames"].max() <= 1,
    # 4,000 digits in batches of 128: 32 steps an epoch. The codebook learns from its own loss
    # (stop_gradient on the encoder's side), the encoder through the straight-through estimator;
    # without stop_gradient the two codebook losses would chase each other down to ~0.
    "vq_vae": lambda ns: set(ns["history"].history) == {"loss", "reconstruction_loss", "vqvae_loss"}
    and ns["history"].history["reconstruction_loss"][-1] < 0.6 * ns["history"].history["reconstruction_loss"][0]
    and ns["history"].history["vqvae_loss"][-1] > 0.05 and int(ns["vqvae_trainer"].optimizer.iterations) == 2 * 32
    and len(ns["vqvae_trainer"].vqvae.trainable_weights) == 13
    and not np.allclose(ns["codebook_before"], ns["codebook_after"])
    and np.asarray(ns["reconstructions_test"]).shape == (10, 28, 28, 1) and ns["test_error"] < 0.8
    and ns["codebook_indices"].shape == (10, 7, 7) and 0 <= ns["codebook_indices"].min() <= ns["codebook_indices"].max() < 128,
    "tf_text_generation_tutorial": lambda ns: ns["vocab_size"] == len(ns["vocab"]) + 1
    and tuple(ns["example_batch_predictions"].shape) == (8, 100, ns["vocab_size"])
    and ns["history"].history["loss"][-1] < ns["history"].history["loss"][0]
    and ns["generated"].startswith("ROMEO:") and len(ns["generated"]) == 106
    and len(os.listdir(ns["checkpoint_dir"])) == 5 and 1.5 < float(ns["example_batch_mean_loss"]) < 5,
    "rand_augment_tf_data": lambda ns: ns["history"].history["val_accuracy"][-1] > 0.8
    and ns["mixup_history"].history["val_accuracy"][-1] > 0.8 and ns["difference"] < 1e-5
    and ns["batch_shape"] == (64, 28, 28, 1) and -1e-3 <= ns["augmented_range"][0] <= ns["augmented_range"][1] <= 255 + 1e-3   # (interpolation's rounding)
    and np.allclose(ns["label_sums"], 1, atol=1e-5),
    # 700 captchas of four digits in batches of 16 (44 steps), 15 epochs of CTC.
    "ocr_captcha_digits": lambda ns: len(ns["history"].history["val_loss"]) == 15
    and ns["history"].history["val_loss"][-1] < 0.15 * ns["history"].history["val_loss"][0]
    and ns["read"] >= 60 and ns["total"] == 100 and int(ns["model"].optimizer.iterations) == 15 * 44
    and ns["prediction_model"].output_shape == (None, 28, 12)
    and tuple(np.shape(ns["beam_texts"])) == (2, 4, 28) and np.shape(ns["beam_scores"]) == (4, 2),
    # 1,350 digits (150 held out) in batches of 64: 22 steps an epoch; heavy dropout, so slow to start.
    "vision_transformer": lambda ns: sorted(ns["history"].history) == [
        "accuracy", "loss", "top-5-accuracy", "val_accuracy", "val_loss", "val_top-5-accuracy"]
    and len(ns["history"].history["loss"]) == 8 and ns["history"].history["loss"][-1] < ns["history"].history["loss"][0]
    and ns["history"].history["val_loss"][-1] < ns["history"].history["val_loss"][0]
    and ns["accuracy"] > 0.25 and ns["top_5_accuracy"] > 0.6 and int(ns["vit_classifier"].optimizer.iterations) == 8 * 22
    and tuple(ns["patches"].shape) == (1, 16, 49) and len(ns["patch_images"]) == 16
    and ns["vit_classifier"].count_params() == 62_893,      # Keras's count
    # 3,000 digits make 6,000 pairs, in batches of 16: 375 steps an epoch.
    "siamese_contrastive": lambda ns: sorted(ns["history"].history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    and ns["history"].history["val_accuracy"][-1] > 0.8 and ns["results"][1] > 0.8
    and ns["results"][0] < 0.7 * ns["history"].history["loss"][0] and int(ns["siamese"].optimizer.iterations) == 750
    and ns["predictions"].shape == (2000, 1) and ns["siamese"].count_params() == 5_324
    and abs(float(np.mean((ns["predictions"][:, 0] > 0.5) == ns["labels_test"])) - ns["results"][1]) < 1e-6,
    # The teacher learns from the distillation loss too, as in Keras (it is one of the distiller's weights).
    "knowledge_distillation": lambda ns: sorted(ns["history"].history) == ["loss", "sparse_categorical_accuracy"]
    and ns["history"].history["loss"][-1] < 0.5 * ns["history"].history["loss"][0]
    and ns["teacher_results"][1] > 0.85 and ns["distiller_results"][1] > 0.85 and ns["scratch_results"][1] > 0.8
    and int(ns["distiller"].optimizer.iterations) == 2 * 125 and ns["student"].count_params() == 20_490
    and ns["distiller"].predict(ns["x_test"][:3], verbose=0).shape == (3, 10)
    and ns["distiller"].count_params() == ns["teacher"].count_params() + 20_490
    and ns["teacher"].evaluate(ns["x_test"], ns["y_test"], verbose=0)[0] != ns["teacher_results"][0],
    # 2,000 digits in batches of 64: 32 steps.
    "conditional_gan": lambda ns: sorted(ns["history"].history) == ["d_loss", "g_loss"]
    and all(len(v) == 1 and 0.3 < v[0] < 2 for v in ns["history"].history.values())
    and int(ns["cond_gan"].d_optimizer.iterations) == int(ns["cond_gan"].g_optimizer.iterations) == 32
    and [m.name for m in ns["cond_gan"].metrics] == ["generator_loss", "discriminator_loss"]
    and ns["converted_images"].shape == (9, 28, 28, 1) and ns["converted_images"].dtype == np.uint8
    and 0 <= float(np.min(ns["fake_images"])) < float(np.max(ns["fake_images"])) <= 255,
    "grad_cam_mnist": lambda ns: ns["heatmap"].shape == (11, 11) and _grad_cam_is_exact(ns)
    and all(h.shape == (11, 11) and np.isfinite(h).all() and float(h.max()) in (0.0, 1.0) for h in ns["heatmaps"])
    and ns["preds"].shape == (1, 10) and abs(float(np.sum(ns["preds"])) - 1) > 1e-3,     # logits now
    "visualizing_convnet_filters": lambda ns: len(ns["losses"]) == 4
    and all(last > max(1.0, 5 * first) for first, last in ns["losses"])     # 30 steps up the gradient
    and all(img.shape == (24, 24, 1) and img.dtype == np.uint8 and img.std() > 10 for img in ns["all_imgs"])
    and ns["feature_extractor"].output_shape == (None, 11, 11, 64),
    # The mask-A layer never sees the pixel it predicts, nor those after it: its kernel is zero there.
    "pixelcnn": lambda ns: sorted(ns["history"].history) == ["loss", "val_loss"]
    and ns["history"].history["loss"][-1] < 0.85 * ns["history"].history["loss"][0]
    and ns["history"].history["val_loss"][-1] < 0.6 and tuple(ns["pixel_cnn"].input_shape) == (128, 28, 28, 1)
    and not np.asarray(ns["pixel_cnn"].layers[1].conv.kernel)[3, 3:].any()
    and not np.asarray(ns["pixel_cnn"].layers[1].conv.kernel)[4:].any()
    and np.asarray(ns["pixel_cnn"].layers[1].conv.kernel)[:3].any()
    and set(np.unique(ns["pixels"])) <= {0.0, 1.0} and not ns["pixels"][:, 4:].any(),
    # Completeness, to the trapezoidal rule's error: the attributions add up to f(image) - f(black).
    "integrated_gradients": lambda ns: len(ns["results"]) == 3
    and all(abs(total - gain) < 0.01 + 0.03 * abs(gain) for total, gain in ns["results"])
    and max(abs(gain) for _, gain in ns["results"]) > 0.1 and ns["igrads"].shape == (28, 28, 1),
    "subclassing_guide_vae": lambda ns: list(ns["history"].history) == ["loss"]
    and ns["history"].history["loss"][-1] < 0.7 * ns["history"].history["loss"][0] < 0.2
    and len(ns["vae"].trainable_weights) == 10 and ns["vae"].count_params() == 107_472
    and len(ns["vae"].losses) == 1 and ns["reconstructed"].shape == (5, 784)
    and 0 <= float(ns["reconstructed"].min()) <= float(ns["reconstructed"].max()) <= 1,
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
EXPECTATIONS["keras3_building_blocks"] = lambda ns: ns["results"]["lion"]["accuracy"] > 0.75 \
    and ns["results"]["lamb"]["accuracy"] > 0.75 and 0.5 < ns["results"]["lion"]["mean_iou"] <= 1 \
    and set(ns["histories"]["lamb"].history) >= {"val_accuracy", "val_mean_iou"} \
    and ns["difference"] < 1e-5 and ns["restored_optimizer"] == "Lion" \
    and ns["segmentation_history"].history["loss"][-1] < 0.6 * ns["segmentation_history"].history["loss"][0] \
    and ns["segmentation"]["binary_io_u"] > 0.6 and ns["segmentation"]["concordance_correlation"] > 0.45
# Keras 3's names, counted across the session: the second model's Dense layers go on from dense_2,
# each Sequential built on its Input counts a Functional (so the third model is functional_2).
EXPECTATIONS["several_models_names"] = lambda ns: ns["names"] == {
    "sequential": ["dense", "dense_1"], "sequential_1": ["dense_2", "dropout", "dense_3"],
    "functional_2": ["input_layer_2", "dense_4", "dense_5"]} \
    and ns["hidden"] is ns["bigger"].layers[0] and ns["hidden"].units == 128 \
    and min(ns["accuracies"].values()) > 0.7 \
    and ns["restarted_names"] == ["sequential", "dense", "dense_1"] \
    and ns["reloaded_names"] == ["sequential", "dense", "dense_1"] and ns["difference"] < 1e-5


def _heart_features_are_encoded(ns):
    """keras.io's FeatureSpace tutorial: 136 numbers a patient (sex 2 + cp 5 + fbs 2 + restecg 3
    + exang 2 + ca 4 + thal 3 + age's 30 bins + 5 normalized + crosses 64 + 16), ten of them
    ones (a category each, the two crosses); the normalized columns use the training rows'
    statistics; the raw-dict model and the encoded-vector model give the same prediction."""
    fs, x = ns["feature_space"], np.asarray(ns["preprocessed_x"])
    chol = fs.preprocessors["chol"]
    return x.shape == (32, 136) and x.dtype == np.float32 and ((x == 1).sum(axis=1) >= 10).all() \
        and sorted(_text([v]) for v in fs.preprocessors["thal"].get_vocabulary()) == ["fixed", "normal", "reversible"] \
        and abs(float(np.ravel(chol.mean)[0]) - ns["train_dataframe"]["chol"].mean()) < 1e-3 \
        and abs(float(np.ravel(chol.variance)[0]) - ns["train_dataframe"]["chol"].var()) < 1 \
        and np.shape(ns["sample_vector"]) == (136,) and len(ns["dict_inputs"]) == 13 \
        and len(ns["training_model"].layers) == 4 and len(ns["inference_model"].inputs) == 13


EXPECTATIONS["structured_data_feature_space"] = lambda ns: _heart_features_are_encoded(ns) \
    and sorted(ns["history"].history) == ["accuracy", "loss", "val_accuracy", "val_loss"] \
    and ns["history"].history["loss"][-1] < 0.75 * ns["history"].history["loss"][0] \
    and ns["history"].history["accuracy"][-1] > 0.8 and ns["history"].history["val_accuracy"][-1] > 0.7 \
    and np.shape(ns["predictions"]) == (1, 1) and 0 < float(ns["predictions"][0][0]) < 1 \
    and abs(float(ns["predictions"][0][0]) - float(ns["same_prediction"][0][0])) < 1e-5
