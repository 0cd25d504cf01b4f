"""SwapEMAWeights: validate (and checkpoint) with the weights' moving averages."""

from glassnet.engine.callbacks.base import Callback


class SwapEMAWeights(Callback):
    """Evaluate with the optimizer's moving averages of the weights, as Keras's does.

    An optimizer made with ``use_ema=True`` keeps an exponential moving average of every
    weight, and ``fit`` ends by putting the averages in place of the weights. During
    training the model still holds the live weights, so the validation figures of each
    epoch are those of the live weights, not of the model you will get. This callback
    swaps the averages in for every evaluation (the validation pass, ``evaluate``,
    ``predict``) and the live weights back afterwards, so training goes on unchanged.

    Args:
        swap_on_epoch: also keep the averages in the model between epochs, so that the
            callbacks after this one (``ModelCheckpoint``) see them. Put it first in the list.

    Before the optimizer's first step there is nothing to average and nothing is swapped.
    ``fit`` ends on the averages either way. A checkpoint written while they are swapped in
    holds them as its weights: the model you would keep, but a resumed run starts from them.
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = bool(swap_on_epoch)

    def _swap(self, averages_in):
        """Make the model hold the averages (``averages_in``) or the live weights."""
        optimizer = self.model.optimizer
        if not getattr(optimizer, "use_ema", False):
            raise ValueError("SwapEMAWeights needs an optimizer with use_ema=True, "
                             f"got {type(optimizer).__name__}(use_ema=False)")
        if optimizer.averages_swapped_in != averages_in:
            optimizer.swap_averages()

    def on_epoch_begin(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap(False)                   # train on the live weights

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._swap(True)


    def on_test_begin(self, logs=None):
        self._swap(True)

    def on_test_end(self, logs=None):
        self._swap(False)

    def on_predict_begin(self, logs=None):
        self._swap(True)

    def on_predict_end(self, logs=None):
        self._swap(False)
