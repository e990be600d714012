"""Where training runs and how it is made repeatable: device choice, seeding, mixed precision."""

from __future__ import annotations

import contextlib
import os
import random

import numpy as np
import torch

_DEVICES = ("cuda", "mps", "cpu")


def get_device(prefer: str | torch.device | None = None) -> torch.device:
    """The device to train on: ``prefer`` if given, else $CNNLAB_DEVICE, else cuda, then mps, then cpu.

    ``prefer`` may be "cuda", "cuda:1", "mps", "cpu" or "auto" (same as None). Asking for a device
    that is not available raises ValueError naming it, rather than silently falling back.
    """
    choice = prefer if prefer is not None else os.environ.get("CNNLAB_DEVICE") or "auto"
    if isinstance(choice, torch.device):
        choice = str(choice)
    if not isinstance(choice, str):
        raise TypeError(f"get_device: prefer must be a str or torch.device, got {type(prefer).__name__}")
    choice = choice.strip().lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = choice.split(":")[0]
    if kind not in _DEVICES:
        raise ValueError(f"get_device: prefer={choice!r} is not one of auto, cuda, mps, cpu")
    if kind == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"get_device: prefer={choice!r} but CUDA is not available on this machine")
    if kind == "mps" and not _mps_available():
        raise ValueError(f"get_device: prefer={choice!r} but MPS is not available on this machine")
    return torch.device(choice)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_everything(seed: int, *, deterministic: bool = True) -> torch.Generator:
    """Seed Python's ``random``, numpy's global generator and torch (CPU and every GPU).

    With ``deterministic=True`` torch is also asked for deterministic kernels (cuDNN benchmark off),
    so that on CPU the same seed gives bit-identical losses. Returns a ``torch.Generator`` seeded
    with ``seed``, handy for a DataLoader or the augmentation functions.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed_everything: seed must be an int, got {type(seed).__name__}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        # cuBLAS needs this to be deterministic; harmless elsewhere.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    return torch.Generator().manual_seed(seed)


def amp_enabled(device: torch.device, amp: bool) -> bool:
    """Mixed precision is used only on CUDA; on CPU and MPS ``amp=True`` is a no-op."""
    return bool(amp) and device.type == "cuda"


def autocast(device: torch.device, amp: bool) -> contextlib.AbstractContextManager:
    """``torch.autocast`` to float16 on CUDA when ``amp``; a null context everywhere else."""
    if amp_enabled(device, amp):
        return torch.autocast(device_type="cuda", dtype=torch.float16)
    return contextlib.nullcontext()


def grad_scaler(device: torch.device, amp: bool) -> torch.amp.GradScaler:
    """A GradScaler that scales losses on CUDA with ``amp`` and passes them through otherwise."""
    return torch.amp.GradScaler("cuda", enabled=amp_enabled(device, amp))
