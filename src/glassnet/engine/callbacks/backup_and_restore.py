"""BackupAndRestore: a training run that is interrupted picks up where it stopped."""

import os
import shutil

from glassnet.engine.callbacks.base import Callback
from glassnet.errors import ModelFileError, TrainingError


class BackupAndRestore(Callback):
    """Back the training up as it goes; a run started again continues from the backup.

    As Keras 3's: pass the same callback (the same ``backup_dir``) to the same ``fit`` call
    after a crash, a Ctrl-C or a machine that went away, and training resumes at the epoch
    after the last one backed up, instead of starting over. Unlike Keras's, the backup is
    the whole model file (``backup_dir/latest.npz``: the weights, the optimizer's state and
    step count, the epoch, the training log and the random generator's state), so the
    resumed run is the one that would have happened without the interruption, bit for bit
    (when the backups are made at the end of epochs).

    Args:
        backup_dir: a folder for this run's backup alone.
        save_freq: ``"epoch"`` (back up after every epoch) or a number of batches. A run
            interrupted in the middle of an epoch restarts that epoch, from the weights of
            the last backup.
        double_checkpoint: keep the previous backup too (``latest.npz.bkp``), and fall back
            to it when the latest can't be read.
        delete_checkpoint: remove the backup once training has finished (False: back the
            finished run up, and keep it).

    Writing a file is atomic (a temporary file, then a rename), so an interruption while
    backing up leaves the previous backup whole.
    """

    FILE = "latest.npz"

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False, delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError("BackupAndRestore: backup_dir is empty")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"BackupAndRestore: save_freq must be 'epoch' or a whole number of batches "
                             f">= 1, got {save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self.path = os.path.join(self.backup_dir, self.FILE)
        self.previous_path = self.path + ".bkp"
        self.restored_epoch = None   # the epoch the last fit resumed at (None: it started afresh)

    # -- restoring ---------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self.batches_since_save = 0
        self.restored_epoch = None
        for path in (self.path, self.previous_path if self.double_checkpoint else None):
            if path is None or not os.path.exists(path):
                continue
            try:
                self.restore(path)
                return
            except ModelFileError:     # damaged: the previous backup, if there is one to fall back on
                if not self.double_checkpoint or path == self.previous_path \
                        or not os.path.exists(self.previous_path):
                    raise

    def restore(self, path):
        """Put the backed-up run into the model being trained, and tell ``fit`` which
        epoch to start at."""
        from glassnet.engine.saving import architecture, load_model

        saved, model = load_model(path), self.model
        if architecture(saved) != architecture(model):
            raise TrainingError(f"{path}: the backup holds a different architecture from the model being "
                                f"trained; give this run its own backup_dir")
        if type(saved.optimizer) is not type(model.optimizer):
            raise TrainingError(f"{path}: the backup was trained with {type(saved.optimizer).__name__}, "
                                f"this run with {type(model.optimizer).__name__}; give it its own backup_dir")
        model.set_weights(saved.get_weights())
        # The state is kept by weight path (dense_2/kernel), and the names the backup's session
        # gave may differ from this one's: same architecture, so the same weights by place
        renamed = {theirs: ours for (theirs, _), (ours, _) in zip(saved.weight_layout(), model.weight_layout())}
        model.set_optimizer_state({slot: {renamed.get(path, path): array for path, array in by_path.items()}
                                   for slot, by_path in saved.get_optimizer_state().items()})
        model.optimizer.iterations = saved.optimizer.iterations
        model.set_training_state(saved.get_training_state())
        model._initial_epoch = self.restored_epoch = saved.epoch

    # -- backing up --------------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self.backup()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self.batches_since_save += 1
        if self.batches_since_save >= self.save_freq:
            self.batches_since_save = 0
            self.backup()

    def backup(self):
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self.path):
            shutil.copyfile(self.path, self.previous_path)
        self.model.save(self.path)

    def on_train_end(self, logs=None):
        if not self.delete_checkpoint:
            self.backup()          # the finished run
            return
        for path in (self.path, self.previous_path):
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)   # only if nothing else is in it
        except OSError:
            pass
