"""More of Keras's losses, each with its gradient by hand (``e = p - y``, ``K`` values per sample):

===========================  ====================================  ================================  ================================================
loss (per sample)            ``l``                                 ``dl/dp``                         ``dl/dy``
===========================  ====================================  ================================  ================================================
MeanSquaredLogarithmicError  ``mean((log(1+p) - log(1+y))**2)``    ``2 d / ((1 + p) K)``             ``-2 d / ((1 + y) K)``
MeanAbsolutePercentageError  ``100 mean(|e| / |y|)``               ``100 sign(e) / (|y| K)``         ``-100 (sign(e) + |e| sign(y) / |y|) / (|y| K)``
LogCosh                      ``mean(log(cosh(e)))``                ``tanh(e) / K``                   ``-tanh(e) / K``
Poisson                      ``mean(p - y log(p + eps))``          ``(1 - y / (p + eps)) / K``       ``-log(p + eps) / K``
Hinge                        ``mean(max(1 - y p, 0))``             ``-y [y p < 1] / K``              ``-p [y p < 1] / K``
SquaredHinge                 ``mean(max(1 - y p, 0)**2)``          ``-2 y max(1 - y p, 0) / K``      ``-2 p max(1 - y p, 0) / K``
CosineSimilarity             ``-sum(u_y * u_p)``, ``u = x / |x|``  ``-(u_y - u_p (u_y.u_p)) / |p|``  ``-(u_p - u_y (u_y.u_p)) / |y|``
===========================  ====================================  ================================  ================================================

(``d = log(1+p) - log(1+y)``; ``p`` and ``y`` are clipped at ``eps = 1e-7`` below in MSLE, ``|y|``
in MAPE, as in Keras, and the gradient is 0 where a clip holds; hinge labels 0/1 are read as
-1/1, i.e. ``2 y - 1``, which doubles ``dl/dy``.) ``dl/dy`` is for targets computed from weights
being trained too (:meth:`Loss.gradient_true`: a SimSiam's other branch, a teacher's outputs).
The same functions, one value per sample, are ``keras.losses.log_cosh`` and friends, and their
metrics' (:mod:`regression_metrics`).
"""

import numpy as np

from glassnet.engine.losses import EPSILON, Loss, _per_sample, _targets


class MeanSquaredLogarithmicError(Loss):
    """Squared error of ``log(1 + x)``: relative errors count, not absolute ones."""

    name = "mean_squared_logarithmic_error"

    def call(self, y_true, y_pred):
        y = _targets(y_true, y_pred, "MeanSquaredLogarithmicError")
        self.p = np.maximum(y_pred, EPSILON)
        self.inside = y_pred > EPSILON
        self.y, self.inside_true = np.maximum(y, EPSILON), y > EPSILON
        self.d = np.log1p(self.p) - np.log1p(self.y)
        return np.mean(self.d ** 2, axis=-1)

    def gradient(self, dvalues):
        return self.per_row(2 * self.d / (1 + self.p) * self.inside / self.d.shape[-1], dvalues)

    def gradient_true(self, dvalues):
        """``dl/dy = -2 d / ((1 + y) K)`` (0 where ``y`` is clipped at ``eps``)."""
        return self.per_row(-2 * self.d / (1 + self.y) * self.inside_true / self.d.shape[-1], dvalues)


class MeanAbsolutePercentageError(Loss):
    """The absolute error as a percentage of the truth."""

    name = "mean_absolute_percentage_error"

    def call(self, y_true, y_pred):
        y = _targets(y_true, y_pred, "MeanAbsolutePercentageError")
        self.e, self.scale = y_pred - y, np.maximum(np.abs(y), EPSILON)
        self.scale_slope = np.sign(y) * (np.abs(y) > EPSILON)      # d|y|/dy, 0 where clipped
        return 100 * np.mean(np.abs(self.e) / self.scale, axis=-1)

    def gradient(self, dvalues):
        return self.per_row(100 * np.sign(self.e) / self.scale / self.e.shape[-1], dvalues)

    def gradient_true(self, dvalues):
        """``y`` is in the error and in the scale ``s = max(|y|, eps)``:
        ``dl/dy = -100 (sign(e) + |e| ds/dy / s) / (s K)``."""
        slope = -(np.sign(self.e) + np.abs(self.e) * self.scale_slope / self.scale) / self.scale
        return self.per_row(100 * slope / self.e.shape[-1], dvalues)


class LogCosh(Loss):
    """``log(cosh(e))``: ``e**2 / 2`` for small errors, ``|e| - log 2`` for large ones."""

    name = "log_cosh"

    def call(self, y_true, y_pred):
        self.e = e = y_pred - _targets(y_true, y_pred, "LogCosh")
        return np.mean(e + np.log1p(np.exp(-2 * e)) - np.log(2.0), axis=-1)    # log(cosh e), no overflow

    def gradient(self, dvalues):
        return self.per_row(np.tanh(self.e) / self.e.shape[-1], dvalues)

    def gradient_true(self, dvalues):
        """A function of ``p - y``: ``dl/dy = -dl/dp``."""
        return -self.gradient(dvalues)


class Poisson(Loss):
    """The negative log-likelihood of counts ``y`` under Poisson rates ``p`` (up to a constant)."""

    name = "poisson"

    def call(self, y_true, y_pred):
        self.y, self.p = _targets(y_true, y_pred, "Poisson"), y_pred
        return np.mean(y_pred - self.y * np.log(y_pred + EPSILON), axis=-1)

    def gradient(self, dvalues):
        return self.per_row((1 - self.y / (self.p + EPSILON)) / self.p.shape[-1], dvalues)

    def gradient_true(self, dvalues):
        """``dl/dy = -log(p + eps) / K``."""
        return self.per_row(-np.log(self.p + EPSILON) / self.p.shape[-1], dvalues)


def _signed(y):
    """Keras's hinge labels: 0/1 become -1/1 (``2 y - 1``; labels already -1/1 stay)."""
    return np.where(y == 0, -1.0, y).astype(y.dtype) if _binary(y) else y


def _binary(y):
    return bool(np.all(np.isin(y, (0, 1))))


class Hinge(Loss):
    """The SVM's loss: nothing for a margin of 1 or more on the right side, linear below."""

    name = "hinge"
    power = 1

    def call(self, y_true, y_pred):
        y = _targets(y_true, y_pred, type(self).__name__)
        self.y, self.stretch = _signed(y), 2.0 if _binary(y) else 1.0     # d(2 y - 1)/dy = 2
        self.p, self.gap = y_pred, np.maximum(1 - self.y * y_pred, 0)
        return np.mean(self.gap ** self.power, axis=-1)

    def slope(self):
        """``dl/d(y p)`` times ``K``: ``-[gap > 0]``, or ``-2 gap`` squared."""
        return -(self.gap > 0).astype(self.gap.dtype) if self.power == 1 else -2 * self.gap

    def gradient(self, dvalues):
        return self.per_row(self.y * self.slope() / self.y.shape[-1], dvalues)

    def gradient_true(self, dvalues):
        """``dl/dy = p dl/d(y p)``, twice that for 0/1 labels (read as ``2 y - 1``, as Keras does)."""
        return self.per_row(self.stretch * self.p * self.slope() / self.y.shape[-1], dvalues)


class SquaredHinge(Hinge):
    """The hinge, squared: smooth at the margin."""

    name = "squared_hinge"
    power = 2


class CosineSimilarity(Loss):
    """Minus the cosine of the angle between prediction and truth along ``axis``: -1 when
    they point the same way."""

    name = "cosine_similarity"

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def call(self, y_true, y_pred):
        y = _targets(y_true, y_pred, "CosineSimilarity")
        self.norm = np.maximum(np.linalg.norm(y_pred, axis=self.axis, keepdims=True), 1e-12)
        self.u_p = y_pred / self.norm
        self.norm_y = np.maximum(np.linalg.norm(y, axis=self.axis, keepdims=True), 1e-12)
        self.u_y = y / self.norm_y
        return -np.sum(self.u_y * self.u_p, axis=self.axis)

    def gradient(self, dvalues):
        along = np.sum(self.u_y * self.u_p, axis=self.axis, keepdims=True)
        return self.per_row(-(self.u_y - self.u_p * along) / self.norm, dvalues)

    def gradient_true(self, dvalues):
        """Symmetric in ``y`` and ``p``: ``dl/dy = -(u_p - u_y (u_y.u_p)) / |y|`` (SimSiam, BYOL:
        two branches' outputs, both trained)."""
        along = np.sum(self.u_y * self.u_p, axis=self.axis, keepdims=True)
        return self.per_row(-(self.u_p - self.u_y * along) / self.norm_y, dvalues)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def mean_squared_logarithmic_error(y_true, y_pred):
    return _per_sample(MeanSquaredLogarithmicError(), y_true, y_pred)


def mean_absolute_percentage_error(y_true, y_pred):
    return _per_sample(MeanAbsolutePercentageError(), y_true, y_pred)


def log_cosh(y_true, y_pred):
    return _per_sample(LogCosh(), y_true, y_pred)


def poisson(y_true, y_pred):
    return _per_sample(Poisson(), y_true, y_pred)


def hinge(y_true, y_pred):
    return _per_sample(Hinge(), y_true, y_pred)


def squared_hinge(y_true, y_pred):
    return _per_sample(SquaredHinge(), y_true, y_pred)


def cosine_similarity(y_true, y_pred, axis=-1):
    return _per_sample(CosineSimilarity(axis=axis), y_true, y_pred)


CLASS_OF_FUNCTION = {mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
                     mean_absolute_percentage_error: MeanAbsolutePercentageError, log_cosh: LogCosh,
                     poisson: Poisson, hinge: Hinge, squared_hinge: SquaredHinge,
                     cosine_similarity: CosineSimilarity}
NAMES = {"mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
         "MSLE": MeanSquaredLogarithmicError, "mean_absolute_percentage_error": MeanAbsolutePercentageError,
         "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError, "log_cosh": LogCosh,
         "logcosh": LogCosh, "poisson": Poisson, "hinge": Hinge, "squared_hinge": SquaredHinge,
         "cosine_similarity": CosineSimilarity}
