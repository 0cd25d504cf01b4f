"""``glassnet report MODEL``: one HTML page with every number and picture about a model.

The page holds the headline figures, the per-class table, the confusion matrices, the
mistakes, sample predictions, ROC curves, the reliability diagram, pictures of the weights,
the training curves and history, the model summary and the settings it was trained with.
It is one file with the pictures inside, so it opens offline and can be shared as it is.
"""

import os

from glassnet.interfaces.cli.options import add_data_arguments


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "report", help="write one self-contained HTML report about a saved model",
        description="Evaluate a saved model on its test set and write everything (tables, "
                    "confusion matrices, mistakes, ROC, calibration, weights, training history, "
                    "settings) into one HTML file that opens offline.")
    parser.add_argument("model", help="a model file saved by glassnet train or model.save()")
    add_data_arguments(parser)
    parser.add_argument("--out", default="report.html", help="the HTML file to write (default: report.html)")
    parser.add_argument("--explore", action="store_true",
                        help="also add the dataset explorer pictures of the training set")
    parser.set_defaults(run=run)


def run(args):
    from glassnet.interfaces.cli.evaluate import load_for_evaluation
    from glassnet.workbench.plots.style import check_output_path
    from glassnet.workbench.report import write_report

    check_output_path(args.out)  # a bad --out fails now, not after a minute of work
    model, data, result = load_for_evaluation(args)
    if not model.training_log.history.get("loss"):
        print(f"note: {args.model} has no training history; the report says so instead of "
              "showing training curves")
    explore = (data.x_train, data.y_train) if args.explore else None
    write_report(model, result, args.out, dataset=data.name, source=data.source, explore=explore)
    size = os.path.getsize(args.out) / 1024
    print(f"data: {data.source}")
    print(f"wrote {args.out} ({size:,.0f} KB; test accuracy {result.accuracy:.2%} on "
          f"{data.test_set}): open it in a web browser")
