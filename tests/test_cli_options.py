"""The shared argument types: bad values fail at parse time, with argparse's one line."""

import argparse

import pytest

from glassnet.interfaces.cli import main
from glassnet.interfaces.cli.options import (ARCH_NAMES, add_arch_argument, fraction, positive_float,
                                             positive_int)


@pytest.mark.parametrize("text", ["inf", "-inf", "nan", "Infinity", "0", "-1e-3", "abc", "1e400"])
def test_positive_float_refuses_what_no_learning_rate_can_be(text):
    with pytest.raises(argparse.ArgumentTypeError):
        positive_float(text)


def test_positive_float_accepts_numbers():
    assert positive_float("1e-3") == 1e-3 and positive_float("2") == 2.0


@pytest.mark.parametrize("kind, text", [(positive_int, "0"), (positive_int, "2.5"), (positive_int, "inf"),
                                        (fraction, "1"), (fraction, "nan"), (fraction, "-0.1")])
def test_other_types_refuse_bad_values(kind, text):
    with pytest.raises(argparse.ArgumentTypeError):
        kind(text)


def test_arch_names_are_the_zoos():
    from glassnet.workbench.zoo import ARCHITECTURES
    assert ARCH_NAMES == tuple(ARCHITECTURES)


def test_an_unknown_arch_is_refused_by_the_parser(capsys):
    parser = argparse.ArgumentParser(prog="glassnet train")
    add_arch_argument(parser)
    with pytest.raises(SystemExit) as caught:
        parser.parse_args(["--arch", "resnet"])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "argument --arch: invalid choice: 'resnet'" in err and all(name in err for name in ARCH_NAMES)


def test_lr_inf_is_refused_by_glassnet_train(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["train", "--lr", "inf"])
    assert caught.value.code == 2 and "must be a finite number, got inf" in capsys.readouterr().err
