"""Checks of torch modules (torch is imported when they are called, never at import time)."""

from __future__ import annotations

from typing import Any, Sequence

from cnnlab.grading import evidence
from cnnlab.grading.compare import GradingError


def count_parameters(model: Any) -> int:
    """Number of trainable parameters of a torch module (cnnlab.models.summary counts them)."""
    from cnnlab.models.summary import count_parameters as count

    return count(model, trainable=True)


def check_module_output(name: str, module: Any, input_shape: Sequence[int],
                        expected_shape: Sequence[int], *, seed: int = 0) -> Any:
    """Run a torch module on a seeded random input; check the output shape and finiteness."""
    import torch

    torch.manual_seed(seed)
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    x = torch.randn(*input_shape).to(device)      # drawn on the CPU: the same input on every device
    module.eval()
    try:
        with torch.no_grad():
            out = module(x)
    except Exception as exc:
        raise GradingError(f"{name}: calling it on an input of shape {tuple(input_shape)} raised "
                           f"{type(exc).__name__}: {exc}") from exc
    if not hasattr(out, "shape"):
        raise GradingError(f"{name}: expected a tensor output, got {type(out).__name__}")
    finite = bool(torch.isfinite(out).all())
    evidence.record("module", name=name, input_shape=list(input_shape), shape=list(out.shape),
                    expected_shape=list(expected_shape), finite=finite)
    if tuple(out.shape) != tuple(expected_shape):
        raise GradingError(f"{name}: input of shape {tuple(input_shape)} gave output shape "
                           f"{tuple(out.shape)}, expected {tuple(expected_shape)}")
    if not finite:
        raise GradingError(f"{name}: the output contains NaN or inf")
    return out
