"""Pictures of data, training and results, drawn with matplotlib (Agg, no pyplot).

Every function returns a :class:`matplotlib.figure.Figure` and, given ``path=``, also
writes it as a PNG. All share one look (:mod:`.style`)::

    from glassnet.workbench import plots
    plots.plot_training_curves(model.history, path="curves.png")
    plots.plot_confusion_matrix(y_test, probs.argmax(1), normalize=True, path="cm.png")

Importing this package imports matplotlib, so the library's core never does.
"""

from glassnet.workbench.plots.calibration import plot_reliability_diagram
from glassnet.workbench.plots.confusion import plot_confusion_examples, plot_confusion_matrix
from glassnet.workbench.plots.explore import (explorer_figures, plot_class_counts, plot_mean_images,
                                              plot_pixel_histogram, plot_samples_per_class,
                                              save_explorer)
from glassnet.workbench.plots.inside import (plot_conv_filters, plot_conv_layer, plot_dense_weights,
                                             plot_feature_maps)
from glassnet.workbench.plots.mistakes import plot_mistakes
from glassnet.workbench.plots.predictions import plot_predictions
from glassnet.workbench.plots.roc import plot_roc_curves
from glassnet.workbench.plots.saliency import plot_saliency, plot_saliency_check
from glassnet.workbench.plots.style import png_bytes, save
from glassnet.workbench.plots.training import plot_training_curves

__all__ = [
    "explorer_figures", "plot_class_counts", "plot_confusion_examples", "plot_confusion_matrix",
    "plot_conv_filters", "plot_conv_layer",
    "plot_dense_weights", "plot_feature_maps", "plot_mean_images", "plot_mistakes",
    "plot_pixel_histogram", "plot_predictions", "plot_reliability_diagram", "plot_roc_curves",
    "plot_saliency", "plot_saliency_check", "plot_samples_per_class", "plot_training_curves", "png_bytes", "save", "save_explorer",
]
