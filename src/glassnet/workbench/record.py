"""The training record, batch by batch: a curve even for a run of one epoch.

``fit`` reports one loss per epoch, so a run of one to three epochs draws its training
curves as one to three dots. The loss of every mini-batch shows much more: the fast fall of
the first hundred steps, then the slow descent. The model keeps those losses itself, in
``model.training_log.batch_loss`` (thinned to at most 100 points an epoch, means of
neighbouring batches); :func:`batch_losses` lays them out for a picture.
"""


def batch_losses(model):
    """``{"epoch": [...], "loss": [...]}``: where in training each point lies (in epochs,
    1.5 = halfway through the second) and the loss there; None when nothing was recorded."""
    log = model.training_log
    where, losses = [], []
    for epoch, points in zip(log.epochs, log.batch_loss):
        count = len(points)
        where += [epoch + (i + 1) / count for i in range(count)]
        losses += list(points)
    return {"epoch": where, "loss": losses} if losses else None
