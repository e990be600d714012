"""Where training runs and how it is made repeatable: device choice, seeding, mixed precision."""

from __future__ import annotations

import contextlib
import itertools
import os
import random
from collections.abc import Iterator

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
    """Seed Python's ``random`` and torch (CPU and every GPU).

    numpy's global generator is left alone: cnnlab's numpy code takes its randomness as an
    ``rng: np.random.Generator`` argument (``np.random.default_rng(seed)``), never from global state.
    With ``deterministic=True`` torch is also asked for deterministic kernels (cuDNN benchmark off),
    so that on CPU the same seed gives bit-identical losses. Returns a ``torch.Generator`` seeded
    with ``seed``, handy for a DataLoader or the augmentation functions.
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed_everything: seed must be an int, got {type(seed).__name__}")
    seed = int(seed)
    random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    if deterministic:
        # cuBLAS needs this to be deterministic; harmless elsewhere.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.backends.cudnn.benchmark = False
        torch.backends.cudnn.deterministic = True
    return torch.Generator().manual_seed(seed)


AMP_DTYPES = {"fp16": torch.float16, "float16": torch.float16, "bf16": torch.bfloat16, "bfloat16": torch.bfloat16}


def amp_dtype(amp: bool | str) -> torch.dtype | None:
    """The autocast dtype ``amp`` asks for: False -> None, True or "fp16" -> float16, "bf16" -> bfloat16."""
    if amp is False or amp is None:
        return None
    if amp is True:
        return torch.float16
    if isinstance(amp, str) and amp.lower() in AMP_DTYPES:
        return AMP_DTYPES[amp.lower()]
    raise ValueError(f"amp must be False, True, 'fp16' or 'bf16', got {amp!r}")


def amp_enabled(device: torch.device, amp: bool | str) -> bool:
    """Mixed precision is used only on CUDA; on CPU and MPS ``amp`` is a no-op."""
    return amp_dtype(amp) is not None and device.type == "cuda"


def autocast(device: torch.device, amp: bool | str) -> contextlib.AbstractContextManager:
    """``torch.autocast`` on CUDA to float16 (``amp=True`` or "fp16") or bfloat16 ("bf16"); a null context
    everywhere else."""
    if amp_enabled(device, amp):
        return torch.autocast(device_type="cuda", dtype=amp_dtype(amp))
    return contextlib.nullcontext()


def grad_scaler(device: torch.device, amp: bool | str) -> torch.amp.GradScaler:
    """A GradScaler that scales float16 losses on CUDA and passes everything else through (bfloat16 has
    float32's exponent range, so its gradients need no scaling)."""
    return torch.amp.GradScaler("cuda", enabled=amp_enabled(device, amp) and amp_dtype(amp) == torch.float16)


def model_device(model: torch.nn.Module) -> torch.device:
    """Where ``model`` lives: the device of its first parameter (or buffer); the CPU if it has neither."""
    for t in itertools.chain(model.parameters(), model.buffers()):
        return t.device
    return torch.device("cpu")


def _index(d: torch.device) -> int:
    if d.index is not None:
        return d.index
    return torch.cuda.current_device() if d.type == "cuda" else 0


def _same(a: torch.device, b: torch.device) -> bool:
    return a.type == b.type and _index(a) == _index(b)


@contextlib.contextmanager
def placed(model: torch.nn.Module, device: torch.device) -> Iterator[torch.nn.Module]:
    """Run a block with ``model`` on ``device``, then put it back where it was.

    Functions that only use a model (``evaluate``, ``extract_features``) move it through this, so
    nothing is moved behind the caller's back.
    """
    home = model_device(model)
    if _same(home, device):
        yield model
        return
    model.to(device)
    try:
        yield model
    finally:
        model.to(home)
