"""Learning-rate schedules: the step size as a function of the step count.

A large learning rate crosses the loss landscape quickly but can't settle into a narrow
valley; a small one settles but crawls. A schedule starts large and ends small. Pass one
wherever a learning rate goes, as in Keras::

    Adam(learning_rate=CosineDecay(0.0, decay_steps=9000, warmup_target=1e-3, warmup_steps=500))

The optimizer calls ``schedule(step)`` before every update, with ``step`` = the number of
updates done so far (0 for the first), so the schedule counts batches, not epochs. Every
schedule has ``get_config`` and is registered by class name, so a model saved with a
schedule reloads with it and a resumed run continues at the right step.
"""

import math
import numbers

from glassnet.engine.configurable import Configurable

# Every schedule class by name, so a saved optimizer can rebuild its schedule.
SCHEDULES = {}

__all__ = ["CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
           "LearningRateSchedule", "OneCycle", "PiecewiseConstantDecay", "PolynomialDecay",
           "StepDecay", "deserialize", "serialize"]


def _check(owner, **values):
    """Reject negative or zero rates and step counts with a message that says what we got."""
    for label, value in values.items():
        if isinstance(value, bool) or not (isinstance(value, numbers.Real) and value > 0):
            raise ValueError(f"{owner}: {label} must be > 0, got {value!r}")


class LearningRateSchedule(Configurable):
    """Base class: ``__call__(step) -> learning rate`` and ``get_config()``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        SCHEDULES[cls.__name__] = cls

    def __call__(self, step):
        raise NotImplementedError

    def peak(self, steps):
        """The highest rate of the schedule's first ``steps`` steps (sampled at most 200
        times): what a rate it ended at is measured against."""
        return max(float(self(int(t))) for t in range(0, steps + 1, max(1, steps // 200)))

    def get_config(self):
        raise NotImplementedError


class StepDecay(LearningRateSchedule):
    """Multiply the rate by ``gamma`` every ``step_size`` steps (PyTorch's StepLR)::

        lr(step) = initial_learning_rate * gamma ** floor(step / step_size)

    The classic schedule of the ImageNet papers: train, then drop the rate tenfold.
    """

    def __init__(self, initial_learning_rate, step_size, gamma=0.1):
        _check("StepDecay", initial_learning_rate=initial_learning_rate, step_size=step_size,
               gamma=gamma)
        self.initial_learning_rate, self.gamma = float(initial_learning_rate), float(gamma)
        self.step_size = int(step_size)

    def __call__(self, step):
        return self.initial_learning_rate * self.gamma ** (step // self.step_size)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "step_size": self.step_size,
                "gamma": self.gamma}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` up to ``boundaries[0]``, then ``values[1]`` up to ``boundaries[1]``, ... (Keras).

    Step ``s`` gets ``values[i]`` where ``boundaries[i-1] < s <= boundaries[i]``.
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        boundaries, values = [int(b) for b in boundaries], [float(v) for v in values]
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: needs one value more than boundaries, got "
                             f"{len(boundaries)} boundaries and {len(values)} values")
        if boundaries != sorted(boundaries):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must increase, got {boundaries}")
        for value in values:
            _check("PiecewiseConstantDecay", value=value)
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step):
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class ExponentialDecay(LearningRateSchedule):
    """A smooth decay by ``decay_rate`` every ``decay_steps`` steps (Keras)::

        lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)

    With ``staircase=True`` the exponent is rounded down, which gives a step schedule.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        _check("ExponentialDecay", initial_learning_rate=initial_learning_rate,
               decay_steps=decay_steps, decay_rate=decay_rate)
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps, self.decay_rate = int(decay_steps), float(decay_rate)
        self.staircase, self.name = bool(staircase), name

    def __call__(self, step):
        exponent = step / self.decay_steps
        if self.staircase:
            exponent = math.floor(exponent)
        return self.initial_learning_rate * self.decay_rate ** exponent

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Half a cosine from the top rate down to ``alpha`` times it, with an optional warmup (Keras).

    Without warmup (``warmup_target=None``), ``t = min(step, decay_steps) / decay_steps``::

        lr = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * t)) + alpha)

    With warmup the rate first climbs in a straight line from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps`` steps, then the cosine runs from
    ``warmup_target`` for ``decay_steps`` more. The warmup lets Adam's running averages
    and batch norm's statistics settle before the steps get large.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay", warmup_target=None,
                 warmup_steps=0):
        if not initial_learning_rate >= 0 or (warmup_target is None and initial_learning_rate == 0):
            raise ValueError(f"CosineDecay: initial_learning_rate must be > 0 (or >= 0 with a warmup), "
                             f"got {initial_learning_rate!r}")
        _check("CosineDecay", decay_steps=decay_steps)
        if not 0 <= alpha <= 1:
            raise ValueError(f"CosineDecay: alpha must be in [0, 1], got {alpha!r}")
        if warmup_target is not None:
            _check("CosineDecay", warmup_target=warmup_target)
        if not warmup_steps >= 0:
            raise ValueError(f"CosineDecay: warmup_steps must be >= 0, got {warmup_steps!r}")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), int(decay_steps)
        self.alpha, self.name = float(alpha), name
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step):
        top = self.initial_learning_rate
        if self.warmup_target is not None:
            if step < self.warmup_steps:
                return top + (self.warmup_target - top) * step / self.warmup_steps
            top, step = self.warmup_target, step - self.warmup_steps
        t = min(step, self.decay_steps) / self.decay_steps
        return top * ((1 - self.alpha) * 0.5 * (1 + math.cos(math.pi * t)) + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class PolynomialDecay(LearningRateSchedule):
    """From ``initial_learning_rate`` down to ``end_learning_rate`` along a power curve (Keras)::

        t = min(step, decay_steps) / decay_steps
        lr = (initial_learning_rate - end_learning_rate) * (1 - t) ** power + end_learning_rate

    ``power=1`` is a straight line. With ``cycle=True`` the decay restarts, each time over
    a multiple of ``decay_steps`` long enough to contain ``step``:
    ``decay_steps * ceil(step / decay_steps)``, and ``t = step / that``.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        _check("PolynomialDecay", initial_learning_rate=initial_learning_rate, decay_steps=decay_steps)
        if not end_learning_rate >= 0:
            raise ValueError(f"PolynomialDecay: end_learning_rate must be >= 0, got {end_learning_rate!r}")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), int(decay_steps)
        self.end_learning_rate, self.power = float(end_learning_rate), float(power)
        self.cycle, self.name = bool(cycle), name

    def __call__(self, step):
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps *= max(1, math.ceil(step / self.decay_steps))
        else:
            step = min(step, decay_steps)
        fraction = step / decay_steps
        return ((self.initial_learning_rate - self.end_learning_rate) * (1 - fraction) ** self.power
                + self.end_learning_rate)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power,
                "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """The rate falls as one over time (Keras; also Keras 2's ``decay=`` argument)::

        lr = initial_learning_rate / (1 + decay_rate * step / decay_steps)

    With ``staircase=True`` the ratio ``step / decay_steps`` is rounded down. Keras 2's
    ``SGD(lr, decay=d)`` is ``InverseTimeDecay(lr, decay_steps=1, decay_rate=d)``.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        _check("InverseTimeDecay", initial_learning_rate=initial_learning_rate, decay_steps=decay_steps)
        if not decay_rate >= 0:
            raise ValueError(f"InverseTimeDecay: decay_rate must be >= 0, got {decay_rate!r}")
        self.initial_learning_rate, self.decay_steps = float(initial_learning_rate), int(decay_steps)
        self.decay_rate, self.staircase, self.name = float(decay_rate), bool(staircase), name

    def __call__(self, step):
        fraction = step / self.decay_steps
        if self.staircase:
            fraction = math.floor(fraction)
        return self.initial_learning_rate / (1 + self.decay_rate * fraction)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts, SGDR (Loshchilov and Hutter, 2017), as Keras has it.

    The rate follows half a cosine down over ``first_decay_steps``, jumps back up, and
    repeats; each period is ``t_mul`` times longer than the last and starts ``m_mul`` times
    lower. In period ``i`` (from 0), at fraction ``t`` of it::

        lr = initial_learning_rate * ((1 - alpha) * m_mul**i * (1 + cos(pi t)) / 2 + alpha)

    Args:
        initial_learning_rate: the first top rate.
        first_decay_steps: the length of the first period, in steps.
        t_mul: how much longer each period is than the last (2: 100, 200, 400... steps).
        m_mul: how much lower each restart starts (1: always from the top).
        alpha: the floor, as a fraction of ``initial_learning_rate``.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        _check("CosineDecayRestarts", initial_learning_rate=initial_learning_rate,
               first_decay_steps=first_decay_steps, t_mul=t_mul, m_mul=m_mul)
        if not 0 <= alpha <= 1:
            raise ValueError(f"CosineDecayRestarts: alpha must be in [0, 1], got {alpha!r}")
        self.initial_learning_rate = float(initial_learning_rate)
        self.first_decay_steps = int(first_decay_steps)
        self.t_mul, self.m_mul, self.alpha, self.name = float(t_mul), float(m_mul), float(alpha), name

    def period(self, step):
        """``(i, t)``: the period ``step`` falls in, and the fraction of it already done."""
        done = step / self.first_decay_steps            # in units of the first period
        if self.t_mul == 1.0:
            i = math.floor(done)
            return i, done - i
        # Periods 0..i-1 last (1 + t_mul + ... + t_mul**(i-1)) = (1 - t_mul**i) / (1 - t_mul).
        i = math.floor(math.log(1 - done * (1 - self.t_mul)) / math.log(self.t_mul))
        before = (1 - self.t_mul ** i) / (1 - self.t_mul)
        return i, (done - before) / self.t_mul ** i

    def __call__(self, step):
        i, t = self.period(step)
        cosine = 0.5 * self.m_mul ** i * (1 + math.cos(math.pi * t))
        return self.initial_learning_rate * ((1 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


class OneCycle(LearningRateSchedule):
    """Smith's one-cycle policy (Smith and Topin, 2018), as PyTorch's ``OneCycleLR`` computes it.

    The rate rises along half a cosine from ``max_learning_rate / div_factor`` to
    ``max_learning_rate`` over the first ``pct_start`` of ``total_steps``, then falls along
    another half cosine to ``max_learning_rate / div_factor / final_div_factor``. The high
    rates in the middle act as a regulariser; the long fall at the end settles the weights.
    Steps past ``total_steps`` keep the final rate.
    """

    def __init__(self, max_learning_rate, total_steps, pct_start=0.3, div_factor=25.0,
                 final_div_factor=1e4):
        _check("OneCycle", max_learning_rate=max_learning_rate, total_steps=total_steps,
               div_factor=div_factor, final_div_factor=final_div_factor)
        if not 0 < pct_start < 1:
            raise ValueError(f"OneCycle: pct_start must be in (0, 1), got {pct_start!r}")
        self.max_learning_rate, self.total_steps = float(max_learning_rate), int(total_steps)
        self.pct_start, self.div_factor = float(pct_start), float(div_factor)
        self.final_div_factor = float(final_div_factor)

    def __call__(self, step):
        start = self.max_learning_rate / self.div_factor
        end = start / self.final_div_factor
        peak_step = self.pct_start * self.total_steps - 1   # PyTorch's phase boundaries
        last_step = self.total_steps - 1
        step = min(step, last_step)
        if step <= peak_step:
            high, low, t = self.max_learning_rate, start, step / peak_step if peak_step > 0 else 1.0
        else:
            high, low, t = end, self.max_learning_rate, (step - peak_step) / (last_step - peak_step)
        # Cosine annealing from ``low`` (t = 0) to ``high`` (t = 1).
        return high + (low - high) / 2 * (math.cos(math.pi * t) + 1)

    def peak(self, steps):
        """``max_learning_rate``: the peak it was built for, which a run of one or two
        steps never reaches (its first step is already past the rise)."""
        return self.max_learning_rate

    def get_config(self):
        return {"max_learning_rate": self.max_learning_rate, "total_steps": self.total_steps,
                "pct_start": self.pct_start, "div_factor": self.div_factor,
                "final_div_factor": self.final_div_factor}


def serialize(learning_rate):
    """A float stays a float; a schedule becomes ``{"class_name": ..., "config": ...}``."""
    if isinstance(learning_rate, LearningRateSchedule):
        return {"class_name": type(learning_rate).__name__, "config": learning_rate.get_config()}
    if callable(learning_rate):
        raise ValueError(
            f"can't save learning_rate={learning_rate!r}: a plain function has no config; use a "
            f"schedule from glassnet.engine.schedules or subclass LearningRateSchedule")
    return float(learning_rate)


def deserialize(config):
    """Rebuild a schedule from :func:`serialize`'s dict."""
    cls = SCHEDULES.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"unknown learning-rate schedule {config.get('class_name')!r}; "
                         f"known: {', '.join(sorted(SCHEDULES))}")
    return cls.from_config(config["config"])
