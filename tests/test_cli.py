"""The `cnnlab` command line, run as a subprocess (one short epoch)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.torch
pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[1]


def cnnlab(*args, timeout=240):
    env = {**os.environ, "CNNLAB_DEVICE": "cpu", "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "cnnlab.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=REPO)


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


def test_model_args_are_parsed_as_literals():
    from cnnlab.cli import parse_model_args

    assert parse_model_args(["variant=modern", "width=8", "batch_norm=true", "dropout=0.25"]) == {
        "variant": "modern", "width": 8, "batch_norm": True, "dropout": 0.25}


def test_summary_and_bad_arguments(capsys):
    from cnnlab.cli import main

    assert main(["summary", "lenet5"]) == 0
    out = capsys.readouterr().out
    assert "Conv2d" in out and "Total params: 61,706" in out
    assert main(["summary", "alexnet"]) == 0                          # the model's own 227 x 227 input
    assert "input (3, 227, 227)" in capsys.readouterr().out
    assert main(["summary", "lenet5", "--input-size", "1", "28", "28", "--model-arg", "padding=2"]) == 0
    with pytest.raises(SystemExit, match="cannot take --input-size"):
        main(["summary", "lenet5", "--input-size", "1", "28", "28"])
    with pytest.raises(SystemExit, match="cannot build cnnlab.models.resnet"):
        main(["summary", "resnet"])
    with pytest.raises(SystemExit, match="--model 'no_such_net'"):
        main(["train", "--model", "no_such_net", "--epochs", "1"])
    with pytest.raises(SystemExit) as err:
        main(["train", "--data", "imagenet"])
    assert err.value.code == 2 and "--data" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="offline, use cnnlab.data.load_digits\\(size=28\\)"):
        main(["train", "--data", "mnist", "--epochs", "1", "--device", "cpu"])
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        main(["train", "--model-arg", "variant"])
    with pytest.raises(SystemExit, match="--model-arg depth=... is not a parameter of cnnlab.models.lenet5"):
        main(["train", "--model-arg", "depth=3", "--epochs", "1", "--device", "cpu"])
    with pytest.raises(SystemExit, match="--epochs"):
        main(["train", "--epochs", "-2", "--device", "cpu"])
