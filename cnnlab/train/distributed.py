"""Scale-out with torch's own DistributedDataParallel, launched by ``torchrun``.

``torchrun --nproc_per_node P script.py`` starts P processes with RANK, WORLD_SIZE, LOCAL_RANK,
MASTER_ADDR and MASTER_PORT set. ``fit`` sees them, joins the process group (gloo on CPU, nccl on
CUDA), wraps the model in DDP (which averages gradients across processes after each backward) and
gives each process its own share of every epoch through a DistributedSampler. Each process keeps
the DataLoader's ``batch_size``, so one step sees a global batch of P * batch_size samples.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler, RandomSampler


def in_torchrun() -> bool:
    """True when this process was started by torchrun (or another launcher setting RANK/WORLD_SIZE)."""
    return "RANK" in os.environ and "WORLD_SIZE" in os.environ


def rank() -> int:
    """This process's rank (0 when not distributed)."""
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


def world_size() -> int:
    """Number of processes (1 when not distributed)."""
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def is_main_process() -> bool:
    """Rank 0 prints, plots and writes checkpoints; the others stay quiet."""
    return rank() == 0


def setup(device: torch.device) -> bool:
    """Join the torchrun process group if there is one and it is not joined yet.

    Returns True when this call created the group (the caller then tears it down with ``teardown``).
    """
    if not in_torchrun() or int(os.environ["WORLD_SIZE"]) < 1 or dist.is_initialized():
        return False
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
    dist.init_process_group(backend=backend)
    return True


def teardown() -> None:
    """Leave the process group."""
    if dist.is_initialized():
        dist.destroy_process_group()


def local_device(device: torch.device) -> torch.device:
    """On CUDA each process takes the GPU numbered by its LOCAL_RANK."""
    if device.type == "cuda" and in_torchrun():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    return device


def wrap_model(model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
    """DistributedDataParallel(model) when a process group is up (even of one process, so that a
    one-GPU torchrun exercises DDP and nccl); the model itself otherwise."""
    if not (dist.is_available() and dist.is_initialized()):
        return model
    ids = [device.index if device.index is not None else 0] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(model, device_ids=ids)


def shard_loader(loader: DataLoader, *, seed: int = 0) -> DataLoader:
    """The same DataLoader but with a DistributedSampler giving this process its share.

    A loader that shuffled (RandomSampler) gets a shuffling sampler seeded with ``seed``; the
    sampler must be told the epoch (``loader.sampler.set_epoch(e)``), which ``fit`` does.
    """
    if world_size() == 1 or isinstance(loader.sampler, DistributedSampler):
        return loader
    if loader.batch_size is None:
        raise ValueError("fit: a DataLoader with a batch_sampler cannot be sharded; give it a batch_size")
    shuffle = isinstance(loader.sampler, RandomSampler)
    sampler = DistributedSampler(loader.dataset, num_replicas=world_size(), rank=rank(),
                                 shuffle=shuffle, seed=seed, drop_last=loader.drop_last)
    return DataLoader(loader.dataset, batch_size=loader.batch_size, sampler=sampler,
                      num_workers=loader.num_workers, collate_fn=loader.collate_fn,
                      pin_memory=loader.pin_memory, drop_last=loader.drop_last)


def all_reduce_sum(values: list[float], device: torch.device) -> list[float]:
    """Sum a few numbers over all processes (identity when not distributed)."""
    if not (dist.is_available() and dist.is_initialized()):
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()
