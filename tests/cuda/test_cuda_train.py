"""On a CUDA GPU: fit with mixed precision (float16 and bfloat16), checkpoint resume, evaluation and
feature extraction that leave the model where it is, pretraining, and DDP with nccl on one GPU.

Skipped cleanly without CUDA; imports only torch, numpy and pytest.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.torch, pytest.mark.cuda]
torch = pytest.importorskip("torch")

from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from cnnlab.models import small_resnet18  # noqa: E402
from cnnlab.train import (Augment, evaluate, extract_features, fit, grad_scaler, make_optimizer,  # noqa: E402
                          pretrain_stacked_encoder, seed_everything)
from helpers.ddp import WORKER, load_worker  # noqa: E402

CUDA = torch.device("cuda")
REPO = Path(__file__).resolve().parents[2]


def _images(n=96, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 16, 16, generator=g)
    y = (x[:, 0].mean(dim=(1, 2)) > x[:, 1].mean(dim=(1, 2))).long()
    return x, y


def _loader(n=96, seed=0, batch_size=16):
    x, y = _images(n, seed)
    return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("amp, dtype", [(True, torch.float16), ("fp16", torch.float16), ("bf16", torch.bfloat16)])
def test_fit_with_amp(amp, dtype):
    if dtype == torch.bfloat16 and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    seed_everything(0)
    model = small_resnet18(num_classes=2, width=8)
    seen = []
    model.fc.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    history = fit(model, _loader(), epochs=4, optimizer=make_optimizer("adam", model.parameters(), lr=3e-3),
                  val_loader=_loader(seed=1), amp=amp, progress=False)
    assert seen[0] == dtype                                     # autocast really ran in that precision
    assert all(math.isfinite(v) for v in history.train_loss)
    assert history.train_loss[-1] < history.train_loss[0]
    assert next(model.parameters()).device.type == "cuda" and next(model.parameters()).dtype == torch.float32
    assert grad_scaler(CUDA, amp).is_enabled() == (dtype == torch.float16)


def test_checkpoint_resume_on_cuda(tmp_path):
    """Two epochs, stop, resume for the third: the same history and weights as three in one go."""
    def run(epochs, checkpoint=None, resume=None):
        seed_everything(0)
        model = small_resnet18(num_classes=2, width=8)
        opt = make_optimizer("sgd", model.parameters(), lr=0.05)
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
        hist = fit(model, _loader(), epochs=epochs, optimizer=opt, scheduler=sched, device="cuda", amp=True,
                   transform=Augment(crop=16, padding=2, seed=3), checkpoint=checkpoint, resume=resume,
                   progress=False)
        return hist, model

    full, model_full = run(3)
    ckpt = tmp_path / "run.pt"
    run(2, checkpoint=str(ckpt))
    resumed, model_resumed = run(3, resume=str(ckpt))
    assert resumed.epoch == [1, 2, 3]
    assert resumed.train_loss == pytest.approx(full.train_loss, rel=1e-5)
    for p, q in zip(model_full.parameters(), model_resumed.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-4, atol=1e-5)


def test_evaluate_and_extract_features_leave_the_model_on_cuda():
    model = small_resnet18(num_classes=2, width=8).to(CUDA)
    loader = _loader()
    result = evaluate(model, loader)                            # device=None: where the model is
    assert 0 <= result["accuracy"] <= 1 and next(model.parameters()).device.type == "cuda"
    on_cpu = evaluate(model, loader, device="cpu")              # asked to run elsewhere: put back after
    assert next(model.parameters()).device.type == "cuda"
    assert on_cpu["loss"] == pytest.approx(result["loss"], rel=1e-4)
    feats, labels = extract_features(model, loader)
    assert feats.device.type == "cpu" and feats.shape == (96, 64) and labels.shape == (96,)
    assert next(model.parameters()).device.type == "cuda"


def test_pretrain_stacked_encoder_on_cuda_matches_the_cpu():
    x = torch.rand(64, 20, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    runs = {}
    for device in ("cpu", "cuda"):
        torch.manual_seed(0)
        enc, hist = pretrain_stacked_encoder(x.to(device), [10, 5], epochs=3, batch_size=16, noise="masking",
                                             generator=torch.Generator().manual_seed(1))
        assert all(p.device.type == device for p in enc.parameters())
        runs[device] = (enc, hist)
    for a, b in zip(runs["cpu"][1], runs["cuda"][1]):
        assert a == pytest.approx(b, rel=1e-9)                   # same shuffles, same noise, float64
    torch.testing.assert_close(runs["cuda"][0][0].weight.cpu(), runs["cpu"][0][0].weight)


def test_ddp_with_nccl_on_one_gpu(tmp_path):
    """torchrun with one process on the GPU: fit joins an nccl group, wraps the model in DDP, and
    trains exactly as a plain single-process run does."""
    if not torch.distributed.is_available() or not torch.distributed.is_nccl_available():
        pytest.skip("this torch build has no nccl")
    out = tmp_path / "ddp.json"
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "1",
           str(WORKER), str(out), "cuda"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ddp = json.loads(out.read_text())
    assert ddp["world_size"] == 1 and ddp["backend"] == "nccl" and ddp["wrapped"] == "DistributedDataParallel"
    single = load_worker().train(load_worker().BATCH, device="cuda")
    assert ddp["losses"] == pytest.approx(single["losses"], rel=1e-9)
    for a, b in zip(ddp["params"], single["params"]):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12)
