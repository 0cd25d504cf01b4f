"""``model.summary()``: the Keras-style table of layers, output shapes and parameter counts."""


def summary_table(model):
    """The text of ``model.summary()``: each layer's output shape and parameter count."""
    if not model.built and model.input_shape is not None:
        model.build()
    rows, shape = [], model.input_shape
    for layer in model.layers:
        shape = layer.output_shape(shape) if shape is not None else None
        out = "?" if shape is None else str((None,) + tuple(shape))
        rows.append((f"{layer.name} ({type(layer).__name__})", out, f"{layer.count_params():,}"))
    width = 65
    lines = [f'Model: "{model.name}"', "_" * width,
             f"{'Layer (type)':<29}{'Output Shape':<24}{'Param #':>12}", "=" * width]
    for i, (name, out, count) in enumerate(rows):
        lines.append(f"{name:<29}{out:<24}{count:>12}")
        lines.append("=" * width if i == len(rows) - 1 else "_" * width)
    trainable = sum(a.size for layer in model.layers for a in layer.trainable_weights)
    frozen = sum(layer.count_params() for layer in model.layers) - trainable
    lines += [f"Total params: {trainable + frozen:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {frozen:,}", "_" * width]
    return "\n".join(lines)
