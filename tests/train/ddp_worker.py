"""Run by test_distributed.py under `torchrun --standalone --nproc_per_node 2 ddp_worker.py OUT`
(and by tests/cuda/test_cuda_train.py with one process on the GPU: `... ddp_worker.py OUT cuda`).

Each process trains the same float64 model on its shard with per-process batch BATCH; rank 0
writes the per-epoch losses, the final parameters, the process group's backend and what fit wrapped
the model in to OUT (JSON). ``problem()`` and ``model()`` are imported by the tests to train one
process on the global batch WORLD * BATCH for comparison.
"""

import json
import sys

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

BATCH, EPOCHS, N = 8, 3, 64


def problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(N, 6, generator=g, dtype=torch.float64)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 1).long()
    return TensorDataset(x, y)


def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)).double()


def train(batch_size, device="cpu"):
    import cnnlab.train.distributed as dist_
    from cnnlab.train import fit, make_optimizer, world_size

    seen = {}
    wrap = dist_.wrap_model

    def recording_wrap(net, dev):
        wrapped = wrap(net, dev)
        seen["wrapped"] = type(wrapped).__name__
        if torch.distributed.is_initialized():
            seen["backend"] = str(torch.distributed.get_backend())
        return wrapped

    dist_.wrap_model = recording_wrap
    try:
        net = model()
        loader = DataLoader(problem(), batch_size=batch_size, shuffle=False)
        opt = make_optimizer("sgd", net.parameters(), lr=0.1, weight_decay=0.0)
        hist = fit(net, loader, epochs=EPOCHS, optimizer=opt, device=device, progress=False)
    finally:
        dist_.wrap_model = wrap
    return {"losses": hist.train_loss, "params": [p.detach().cpu().ravel().tolist() for p in net.parameters()],
            "world_size": world_size(), **seen}


if __name__ == "__main__":
    import os

    result = train(BATCH, device=sys.argv[2] if len(sys.argv) > 2 else "cpu")
    result["world_size"] = int(os.environ["WORLD_SIZE"])
    if int(os.environ["RANK"]) == 0:
        with open(sys.argv[1], "w") as f:
            json.dump(result, f)
