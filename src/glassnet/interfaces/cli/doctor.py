"""``glassnet doctor``: why doesn't my network learn? Checks and explains, in seconds.

It runs :func:`glassnet.workbench.doctor.diagnose` on a model (a saved file, or a fresh
``--arch`` from the zoo) and a sample of its training data, and prints one finding per
check: what was measured, what it means, what to try. The exit status is 0 when nothing
stops the network from learning and 1 otherwise, so a script can rely on it.

    glassnet doctor                        # the default MLP on MNIST: healthy
    glassnet doctor --raw-pixels           # forgot to divide by 255
    glassnet doctor --lr 10                # a learning rate that diverges
    glassnet doctor my_model.npz --json    # a saved model, for machines
"""

from glassnet.interfaces.cli.options import add_data_arguments, positive_float, positive_int


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "doctor", help="check a model and its data for what stops a network from learning",
        description="Check the inputs' scale, the labels, the loss at the start, the gradients, dead or "
                    "saturated units, whether the model can overfit 16 samples, a short run at its "
                    "learning rate and the learning-rate range test; explain each finding. "
                    "Exit status 0 when healthy, 1 when a problem was found.")
    parser.add_argument("model", nargs="?", help="a saved model (.npz); default: a fresh --arch")
    parser.add_argument("--arch", help="a fresh architecture from the zoo (default: mlp)")
    add_data_arguments(parser)
    parser.add_argument("--samples", type=positive_int, default=4096,
                        help="training samples to use (default: 4096)")
    parser.add_argument("--raw-pixels", action="store_true",
                        help="feed the pixels as they are in the files (0..255), without dividing by 255")
    parser.add_argument("--lr", type=positive_float, help="use this learning rate instead of the model's")
    parser.add_argument("--batch-size", type=positive_int, help="samples per step (default: the model's)")
    parser.add_argument("--seed", type=int, default=0, help="random seed for a fresh --arch and the sample")
    parser.add_argument("--plot", metavar="PNG", help="also save the learning-rate range test's picture")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.set_defaults(run=run)


def _model(args, data, x):
    """The model to examine, compiled, with a sentence saying what it is; and its batch size."""
    from glassnet.engine.saving import load_model
    from glassnet.errors import TrainingError
    from glassnet.workbench import zoo
    from glassnet.workbench.recognize import refuse_line_reader

    if args.model and args.arch:
        raise TrainingError("give either a model file or --arch, not both")
    if args.model:
        model = load_model(args.model)
        refuse_line_reader(model, args.model)      # its data are strips of whole numbers, not digits
        if model.optimizer is None:
            model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        what = f"{args.model} ({model.epoch} epochs trained)"
        batch_size = args.batch_size or model.settings.get("batch_size", 32)
    else:
        arch = zoo.get(args.arch or "mlp")
        model = arch.build(input_shape=x.shape[1:], num_classes=len(data.class_names), seed=args.seed)
        model.compile(optimizer=arch.optimizer(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        what = f"a fresh {args.arch or 'mlp'} (seed {args.seed})"
        batch_size = args.batch_size or arch.batch_size
    if args.lr:
        model.optimizer.learning_rate = args.lr
    return model, f"{what}, {type(model.optimizer).__name__} at {model.optimizer.lr:.3g}", batch_size


def run(args):
    import json

    import numpy as np

    from glassnet.datasets import load_dataset
    from glassnet.workbench.doctor import diagnose, healthy, report

    data = load_dataset(args.dataset, data_dir=args.data_dir)
    pick = np.random.default_rng(args.seed).permutation(len(data.x_train))[:args.samples]
    x, y = data.x_train[pick].astype(np.float32), data.y_train[pick]
    if not args.raw_pixels:
        x *= np.float32(1 / 255)
    model, what, batch_size = _model(args, data, x)
    scaling = "raw pixels 0..255" if args.raw_pixels else "pixels / 255"
    source = f"{len(x)} training samples of {data.source} ({scaling}), batch {batch_size}"
    findings, finder = diagnose(model, x, y, batch_size=batch_size, return_finder=True)
    if args.plot and finder is not None:
        from glassnet.workbench.plots.lr_range import plot_lr_range
        plot_lr_range(finder, data=source, path=args.plot)
    if args.json:
        print(json.dumps({"model": what, "data": source, "healthy": healthy(findings),
                          "findings": [f.to_dict() for f in findings]}, indent=2, allow_nan=False))
    else:
        print(f"glassnet doctor: {what}\non {source}\n")
        print(report(findings))
        if args.plot and finder is not None:
            print(f"saved the learning-rate range test to {args.plot}")
    return 0 if healthy(findings) else 1
