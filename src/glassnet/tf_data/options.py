"""``tf.data.Options``: TensorFlow's knobs for its input pipelines (threads, autotuning,
graph rewrites, sharding over devices). Programs set a few and pass them to
``ds.with_options(options)``, as the distributed-training guide does::

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    train_ds = train_ds.with_options(options)

glassnet makes each element in Python when it is asked for, with nothing to tune, so the
options are kept (``ds.options()`` gives them back) and change nothing. A name TensorFlow
doesn't have is refused, as TensorFlow refuses it, so a typo is not silently kept.
"""

import enum


class AutoShardPolicy(enum.IntEnum):
    """``tf.data.experimental.AutoShardPolicy``: how a dataset is split over workers."""
    OFF = -1
    AUTO = 0
    FILE = 1
    DATA = 2
    HINT = 3


class _Group:
    """A set of options, each None (TensorFlow's default) until set."""

    _names = ()
    _groups = {}

    def __init__(self):
        for name in self._names:
            object.__setattr__(self, name, None)
        for name, group in self._groups.items():
            object.__setattr__(self, name, group())

    def __setattr__(self, name, value):
        if name not in self._names:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        object.__setattr__(self, name, value)

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def __repr__(self):
        chosen = {name: value for name, value in vars(self).items() if value is not None}
        return f"{type(self).__name__}({chosen})"


class AutotuneOptions(_Group):
    _names = ("autotune_algorithm", "cpu_budget", "enabled", "initial_parallelism", "min_parallelism",
              "ram_budget")


class DistributeOptions(_Group):
    _names = ("auto_shard_policy", "num_devices")


class OptimizationOptions(_Group):
    _names = ("apply_default_optimizations", "filter_fusion", "filter_parallelization", "inject_prefetch",
              "map_and_batch_fusion", "map_and_filter_fusion", "map_fusion", "map_parallelization",
              "noop_elimination", "parallel_batch", "seq_interleave_prefetch", "shuffle_and_repeat_fusion")


class ThreadingOptions(_Group):
    _names = ("max_intra_op_parallelism", "private_threadpool_size")


class Options(_Group):
    """``tf.data.Options()``: accepted and kept; glassnet has nothing to tune."""

    _names = ("dataset_name", "deterministic", "experimental_deterministic", "experimental_external_state_policy",
              "experimental_service", "experimental_slack", "experimental_symbolic_checkpoint",
              "experimental_warm_start", "framework_type")
    _groups = {"autotune": AutotuneOptions, "experimental_distribute": DistributeOptions,
               "experimental_optimization": OptimizationOptions, "threading": ThreadingOptions,
               "experimental_threading": ThreadingOptions}

    def merge(self, options):
        """These options with those set in ``options`` on top."""
        merged = Options()
        for source in (self, options):
            for name, value in vars(source).items():
                if isinstance(value, _Group):
                    for key, setting in vars(value).items():
                        if setting is not None:
                            setattr(getattr(merged, name), key, setting)
                elif value is not None:
                    setattr(merged, name, value)
        return merged
