"""``glassnet evaluate MODEL``: the test loss and accuracy of a saved model."""

from glassnet.interfaces.cli.options import add_data_arguments


def add_parser(subparsers):
    parser = subparsers.add_parser("evaluate", help="test a saved model on its dataset's test set",
                                   description="Print the test loss and accuracy of a saved model.")
    parser.add_argument("model", help="a model file saved by glassnet train or model.save()")
    add_data_arguments(parser)
    parser.set_defaults(run=run)


def run(args):
    from glassnet.datasets import load_dataset
    from glassnet.engine.saving import load_model

    model = load_model(args.model)
    dataset = args.dataset if args.dataset != "mnist" else model.settings.get("dataset", "mnist")
    data = load_dataset(dataset, data_dir=args.data_dir)
    if model.loss is None:
        model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.evaluate(data.x_test / 255.0, data.y_test, verbose=0)
    print(f"{args.model}: test loss {loss:.4f}, test accuracy {accuracy:.2%} on {len(data.y_test):,} "
          f"{data.name} images")
