"""The README's promise on real data: `glassnet train` gives the classic MLP >= 97.5% on MNIST."""

import pytest

from glassnet import load_model
from glassnet.interfaces.cli import main


@pytest.mark.slow
def test_classic_mlp_reaches_97_5_percent(shared_data, tmp_path, capsys):
    out = tmp_path / "mnist-mlp.npz"
    assert main(["train", "--data-dir", str(shared_data / "mnist"), "--out", str(out), "--verbose", "0"]) == 0
    printed = capsys.readouterr().out
    model = load_model(out)
    accuracy = model.settings["test_accuracy"]
    assert accuracy >= 0.975, printed
    assert model.epoch == 10 and len(model.training_log.history["val_accuracy"]) == 10
    assert model.training_log.history["val_accuracy"][-1] >= 0.97
