"""The `cnnlab` command line (cnnlab/cli.py): training runs, summaries, and one clear line for every
bad input, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.torch
pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[1]


def cnnlab(*args, timeout=240, code=None):
    """``python -m cnnlab ARGS`` (or ``python -c CODE``) in a subprocess on the CPU."""
    env = {**os.environ, "CNNLAB_DEVICE": "cpu", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-c", code] if code else [sys.executable, "-m", "cnnlab", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=REPO)


def fails_with(argv, match):
    """Run main(argv) in-process; it must exit non-zero with one line containing ``match``."""
    from cnnlab.cli import main

    with pytest.raises(SystemExit) as err:
        main(argv)
    message = str(err.value.code)
    assert err.value.code not in (0, None), f"{argv}: exited with status 0"
    assert message.startswith(f"cnnlab {argv[0]}: ") and "\n" not in message, f"{argv}: not one line: {message!r}"
    assert match in message, f"{argv}: {message!r} does not say {match!r}"
    return message


def test_help_is_quick_and_torch_free():
    code = "import sys, cnnlab.cli; cnnlab.cli._parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
    proc = cnnlab("--help")
    assert proc.returncode == 0 and "train" in proc.stdout and "summary" in proc.stdout


def test_train_one_epoch_prints_test_accuracy(tmp_path, capsys):
    ckpt = tmp_path / "lenet.pt"
    proc = cnnlab("train", "--model", "lenet5", "--data", "digits", "--epochs", "1", "--batch-size", "64",
                  "--seed", "1", "--threads", "1", "--optimizer", "adam", "--lr", "0.003", "--checkpoint", str(ckpt))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "epoch 1/1" in proc.stderr                                 # the tqdm bar
    assert "(61,706 parameters)" in proc.stdout                       # LeNet-5's count, as in summary
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("test accuracy: ")
    assert float(last.split()[2]) > 0.5
    assert ckpt.is_file()
    # Resume in-process for one more epoch: epoch 1 comes from the checkpoint's history.
    from cnnlab.cli import main

    assert main(["train", "--epochs", "2", "--batch-size", "64", "--seed", "1", "--optimizer", "adam",
                 "--lr", "0.003", "--resume", str(ckpt), "--no-progress", "--device", "cpu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    epoch1 = next(line for line in proc.stdout.splitlines() if line.startswith("epoch 1:"))
    assert epoch1 in lines and any(line.startswith("epoch 2:") for line in lines)


def test_lenet5_trains_on_28x28_digits_with_its_padding_option(capsys):
    from cnnlab.cli import main

    assert main(["train", "--size", "28", "--model-arg", "padding=2", "--epochs", "1", "--batch-size", "128",
                 "--threads", "1", "--no-progress", "--device", "cpu"]) == 0
    assert "(1347, 1, 28, 28) train" in capsys.readouterr().out


def test_model_args_are_parsed_as_literals():
    from cnnlab.cli import parse_model_args

    assert parse_model_args(["variant=modern", "width=8", "batch_norm=true", "dropout=0.25"]) == {
        "variant": "modern", "width": 8, "batch_norm": True, "dropout": 0.25}


def test_only_models_are_listed_as_models():
    import torch
    import torch.nn as nn

    import cnnlab.models as models
    from cnnlab.cli import model_factories

    names = model_factories()
    assert {"lenet5", "alexnet", "vgg16", "resnet", "resnet18", "googlenet", "small_resnet18"} <= set(names)
    assert not {"corrupt", "pretrain_stacked_encoder", "summary", "layer_macs"} & set(names)
    with torch.device("meta"):
        for name in names:
            if name != "resnet":                          # the one factory with a required argument
                assert isinstance(getattr(models, name)(), nn.Module), name


def test_summary(capsys):
    from cnnlab.cli import main

    assert main(["summary", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "Conv2d" in out and "Total params: 61,706" in out
    assert main(["summary", "alexnet"]) == 0                          # the model's own 227 x 227 input
    assert "input (3, 227, 227)" in capsys.readouterr().out
    assert main(["summary", "lenet5", "--input-size", "1", "28", "28", "--model-arg", "padding=2"]) == 0
    assert main(["summary", "resnet", "--model-arg", "depth=18"]) == 0
    assert "Total params: 11,689,512" in capsys.readouterr().out     # torchvision's resnet18


BAD_TRAIN = [
    (["--lr", "-1"], "--lr must be a positive number, got -1.0"),
    (["--lr", "0"], "--lr must be a positive number"),
    (["--lr", "nan"], "--lr must be a positive number"),
    (["--epochs", "0"], "--epochs must be positive (1 or more), got 0"),
    (["--epochs", "-2"], "--epochs must be positive"),
    (["--batch-size", "0"], "--batch-size must be positive"),
    (["--threads", "0"], "--threads must be positive"),
    (["--momentum", "1.5"], "--momentum must be in [0, 1)"),
    (["--weight-decay", "-1"], "--weight-decay must be 0 or more"),
    (["--seed", "-1"], "--seed must be in [0, 2**32)"),
    (["--size", "5"], "--size must be 8 or more"),
    (["--size", "28", "--data", "mnist"], "--size applies to --data digits only"),
    (["--resume", "/nonexistent.pt"], "--resume /nonexistent.pt: no such checkpoint file"),
    (["--checkpoint", "/nonexistent/folder/x.pt"], "must be a file in an existing folder"),
    (["--model", "no_such_net"], "--model 'no_such_net' is not a model of cnnlab.models"),
    (["--model", "corrupt"], "--model 'corrupt' is not a model"),
    (["--model", "pretrain_stacked_encoder"], "is not a model"),
    (["--model", "summary"], "is not a model"),
    (["--model", "resnet"], "--model resnet needs --model-arg depth=..., e.g. --model-arg depth=18"),
    (["--model-arg", "variant"], "must look like KEY=VALUE"),
    (["--model-arg", "depth=3"], "--model-arg depth=... is not a parameter of cnnlab.models.lenet5"),
    (["--device", "tpu"], "--device: get_device: prefer='tpu' is not one of"),
    (["--data", "imagenet"], "--data 'imagenet' is not a dataset of cnnlab.data"),
]


@pytest.mark.parametrize("args, match", BAD_TRAIN, ids=[" ".join(a) for a, _ in BAD_TRAIN])
def test_bad_train_input_fails_before_loading_data(args, match, monkeypatch):
    import cnnlab.cli

    monkeypatch.setattr(cnnlab.cli, "_load_data", lambda _: pytest.fail("loaded data before checking the input"))
    argv = ["train", *args] + ["--epochs", "1"] * ("--epochs" not in args) + ["--device", "cpu"] * ("--device" not in args)
    fails_with(argv, match)


BAD_AFTER_DATA = [
    (["--model-arg", "variant=weird"], "cannot build cnnlab.models.lenet5(num_classes=10, in_channels=1, "
                                       "variant='weird'): lenet5: variant must be one of"),
    (["--size", "8"], "--model lenet5 cannot take --data digits images of shape (1, 8, 8)"),
    (["--size", "28"], "of shape (1, 28, 28); add --model-arg padding=2"),
    (["--data", "iris"], "--data iris holds vectors (4,), not images"),
    (["--model", "vgg16"], "--model vgg16 cannot take --data digits images of shape (1, 32, 32)"),
]


@pytest.mark.parametrize("args, match", BAD_AFTER_DATA, ids=[" ".join(a) for a, _ in BAD_AFTER_DATA])
def test_bad_model_for_the_data_says_what_works(args, match):
    message = fails_with(["train", *args, "--epochs", "1", "--device", "cpu"], match)
    if "cannot take" in message:
        assert "small-image models that do: " in message and "small_resnet18" in message.split("do: ")[1]


def test_a_dataset_that_is_not_available_is_one_line():
    fails_with(["train", "--data", "mnist", "--epochs", "1", "--device", "cpu"], "mnist")


BAD_SUMMARY = [
    (["resnet"], "--model resnet needs --model-arg depth=..., e.g. --model-arg depth=18"),
    (["corrupt"], "--model 'corrupt' is not a model"),
    (["lenet5", "--input-size", "1", "28", "28"], "lenet5 cannot take --input-size 1 28 28"),
    (["lenet5", "--input-size", "1", "28"], "--input-size takes C H W"),
    (["lenet5", "--num-classes", "0"], "--num-classes must be positive"),
    (["lenet5", "--model-arg", "variant=weird"], "variant must be one of"),
]


@pytest.mark.parametrize("args, match", BAD_SUMMARY, ids=[" ".join(a) for a, _ in BAD_SUMMARY])
def test_bad_summary_input(args, match):
    fails_with(["summary", *args], match)


def test_bad_input_from_the_shell_is_one_line_and_no_traceback():
    for args in (["train", "--size", "8", "--epochs", "1"],):     # the in-process tables cover the rest
        proc = cnnlab(*args)
        assert proc.returncode != 0, args
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, (args, proc.stderr)
        assert proc.stderr.startswith(f"cnnlab {args[0]}: "), proc.stderr


def test_without_torch_train_says_to_install_the_torch_extra():
    code = ("import runpy, sys; sys.modules['torch'] = None; sys.argv = ['cnnlab', 'train']; "
            "runpy.run_module('cnnlab', run_name='__main__')")
    proc = cnnlab(code=code)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("cnnlab train: needs torch") and "cnnlab[torch]" in proc.stderr, proc.stderr
