"""Top-k error, as the notes define it: how often the true class is not among the k best scores."""

from __future__ import annotations

import torch


def _check(fn: str, logits: torch.Tensor, targets: torch.Tensor, k: int) -> None:
    """Raise for anything but logits (N, K), integer targets (N,) and an int k in [1, K], naming ``fn``."""
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        shape = tuple(logits.shape) if hasattr(logits, "shape") else type(logits).__name__
        raise ValueError(f"{fn}: logits must be a (N, K) tensor, got {shape}")
    if not isinstance(targets, torch.Tensor) or targets.ndim != 1 or targets.shape[0] != logits.shape[0]:
        shape = tuple(targets.shape) if hasattr(targets, "shape") else type(targets).__name__
        raise ValueError(f"{fn}: targets must be a ({logits.shape[0]},) tensor of class indices, got {shape}")
    if targets.dtype.is_floating_point or targets.dtype == torch.bool:
        raise TypeError(f"{fn}: targets must hold integer class indices, got dtype {targets.dtype}")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= logits.shape[1]:
        raise ValueError(f"{fn}: k={k!r} must be an int in [1, K={logits.shape[1]}]")


def _correct(logits: torch.Tensor, targets: torch.Tensor, k: int) -> torch.Tensor:
    best = logits.topk(k, dim=1).indices                     # (N, k)
    return (best == targets.to(best.device).unsqueeze(1)).any(dim=1)


def topk_correct(logits: torch.Tensor, targets: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Boolean (N,): is ``targets[i]`` among the ``k`` highest scores of ``logits[i]``?

    logits: (N, K) scores (or probabilities); targets: (N,) integer class indices in [0, K).
    Ties are broken by torch.topk (lowest index first on CPU).
    """
    _check("topk_correct", logits, targets, k)
    return _correct(logits, targets, k)


def topk_error(logits: torch.Tensor, targets: torch.Tensor, k: int = 1) -> float:
    """Top-k error rate in [0, 1]: the fraction of samples whose true class is not in the top k.

    logits: (N, K); targets: (N,) int. ``k=1`` is the usual error (1 - accuracy); ``k=5`` is
    ImageNet's top-5 error. Multiply by 100 for the percentage the notes quote (e.g. 15.3%).
    """
    _check("topk_error", logits, targets, k)
    if logits.shape[0] == 0:
        raise ValueError("topk_error: logits is empty (N=0); the error of no samples is undefined")
    return 1.0 - _correct(logits, targets, k).float().mean().item()
