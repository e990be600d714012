"""One helper that checks any numpy forward/backward pair against torch, in float64.

    from helpers.ops import check_against_torch
    check_against_torch(F.linear_forward, F.linear_backward, torch.nn.functional.linear,
                        {"x": x, "w": w, "b": b})

``check_against_numeric`` takes the same arguments (minus the torch function) and checks the
backward against centred finite differences instead (cnnlab.gradcheck.check_gradient).

The numpy forward runs on the inputs, the torch function on float64 copies of them; outputs are
compared, then a random ``dout`` (seeded) is pushed through the numpy backward and through torch
autograd and every gradient is compared. Failures name the input. Integer arrays (class targets)
become torch ``long`` tensors and are never differentiated. torch is imported lazily, so a test
module that uses this helper skips cleanly when torch is missing.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pytest

from cnnlab.gradcheck import check_gradient, rel_error
from helpers.tolerances import GRAD_TOL, TORCH_TOL


def _to_torch(torch, value: Any, requires_grad: bool):
    """float arrays -> float64 leaf tensors; integer arrays -> long tensors; None stays None."""
    if value is None:
        return None
    array = np.asarray(value)
    if np.issubdtype(array.dtype, np.integer):
        return torch.tensor(array, dtype=torch.long)
    return torch.tensor(array, dtype=torch.float64, requires_grad=requires_grad)


def check_against_torch(forward: Callable[..., Any], backward: Callable[..., Any] | None,
                        torch_fn: Callable[..., Any], inputs: Mapping[str, Any], *,
                        differentiable: Sequence[bool] | None = None,
                        kwargs: Mapping[str, Any] | None = None,
                        torch_kwargs: Mapping[str, Any] | None = None,
                        seed: int = 0, tol: float = TORCH_TOL) -> dict[str, float]:
    """Assert that ``forward``/``backward`` agree with ``torch_fn`` and torch autograd.

    forward: called as ``forward(*inputs.values(), **kwargs)``, returning ``(out, cache, ...)``
      (extra items, such as batch norm's running statistics, are ignored).
    backward: called as ``backward(dout, cache)``; returns one gradient, or a tuple with one entry
      per differentiable input, in order (None where that input is None). ``None`` checks forward only.
    torch_fn: called as ``torch_fn(*tensors, **torch_kwargs)``; ``torch_kwargs`` defaults to kwargs.
    inputs: name -> array (or None), in the order both functions take them.
    differentiable: one flag per input; default: every float input that is not None.
    seed: seeds the standard-normal ``dout`` (a 0-d array for scalar outputs), from a stream
      independent of ``np.random.default_rng(seed)``.
    Returns ``{"out": err, "d<name>": err, ...}``; raises AssertionError naming the input on failure.
    """
    torch = pytest.importorskip("torch")
    kwargs = dict(kwargs or {})
    torch_kwargs = kwargs if torch_kwargs is None else dict(torch_kwargs)
    names, values = list(inputs), list(inputs.values())
    flags = _flags(values, differentiable)
    out, cache = forward(*values, **kwargs)[:2]
    tensors = [_to_torch(torch, v, flag) for v, flag in zip(values, flags)]
    expected = torch_fn(*tensors, **torch_kwargs)
    errors = {"out": _compare("forward output", out, expected.detach().numpy(), tol)}
    if backward is None:
        return errors

    dout = _random_dout(seed, np.shape(out))
    grads = _by_input(backward(dout, cache), names, values, flags)
    leaves = [i for i, grad in enumerate(grads) if grad is not None]
    torch_grads = torch.autograd.grad(expected, [tensors[i] for i in leaves],
                                      grad_outputs=torch.tensor(dout), allow_unused=True)
    for i, reference in zip(leaves, torch_grads):
        reference = np.zeros(np.shape(values[i])) if reference is None else reference.numpy()
        errors[f"d{names[i]}"] = _compare(f"gradient of {names[i]}", grads[i], reference, tol)
    return errors


def _flags(values: list[Any], differentiable: Sequence[bool] | None) -> list[bool]:
    """Which inputs backward returns a gradient for: as given, or every float input that is not None."""
    if differentiable is None:
        return [v is not None and not np.issubdtype(np.asarray(v).dtype, np.integer) for v in values]
    if len(differentiable) != len(values):
        raise ValueError(f"{len(differentiable)} differentiable flags for {len(values)} inputs")
    return [bool(d) for d in differentiable]


def _by_input(grads: Any, names: list[str], values: list[Any], flags: list[bool]) -> list[Any]:
    """backward's result spread over the inputs: the gradient of each, None where there is none.

    ``grads`` holds one entry per flagged input (a bare array when there is one); a flagged input
    that is None must get None, like linear_backward's db when there is no bias.
    """
    wanted = [i for i, flag in enumerate(flags) if flag]
    if not isinstance(grads, tuple):
        grads = (grads,)
    if len(grads) != len(wanted):
        raise AssertionError(f"backward returned {len(grads)} gradients for the "
                             f"{len(wanted)} differentiable inputs {[names[i] for i in wanted]}")
    spread: list[Any] = [None] * len(values)
    for i, grad in zip(wanted, grads):
        if (values[i] is None) != (grad is None):
            raise AssertionError(f"gradient of {names[i]}: backward returned {type(grad).__name__} "
                                 f"for an input that is {type(values[i]).__name__}")
        spread[i] = grad
    return spread


def _random_dout(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """Standard-normal dout from a stream of its own: a test that draws its inputs from
    ``default_rng(seed)`` must not get a dout equal to (an affine map of) those inputs, which would
    make some gradients vanish (batch norm's dx is 0 when dout is affine in x)."""
    return np.random.default_rng([seed, 0xD0]).standard_normal(shape)


def _compare(what: str, actual: Any, expected: np.ndarray, tol: float) -> float:
    """rel_error of ``actual`` against torch's ``expected``; AssertionError naming ``what`` if too big."""
    actual = np.asarray(actual)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape}, torch gives {expected.shape}")
    err = rel_error(actual, expected)
    if not err < tol:
        raise AssertionError(f"{what} differs from torch: rel_error={err:.3g} >= {tol:g}")
    return err


def check_against_numeric(forward: Callable[..., Any], backward: Callable[..., Any],
                          inputs: Mapping[str, Any], *,
                          differentiable: Sequence[bool] | None = None,
                          kwargs: Mapping[str, Any] | None = None,
                          seed: int = 0, tol: float = GRAD_TOL) -> dict[str, float]:
    """Assert that ``backward`` agrees with a float64 central-difference VJP of ``forward``.

    Same conventions as check_against_torch: ``forward(*inputs.values(), **kwargs)`` returns
    ``(out, cache, ...)``; ``backward(dout, cache)`` returns one gradient per differentiable input
    (default: every float input that is not None); ``dout`` is standard normal, seeded.
    Returns ``{name: rel_error}``; AssertionError naming the input when one exceeds ``tol``.
    """
    kwargs = dict(kwargs or {})
    names, values = list(inputs), list(inputs.values())
    flags = _flags(values, differentiable)
    out, cache = forward(*values, **kwargs)[:2]
    dout = _random_dout(seed, np.shape(out))
    analytic = _by_input(backward(dout, cache), names, values, flags)
    # check_gradient calls f(**{name: value}) in the order of ``inputs``; pass them on positionally
    return check_gradient(lambda **named: forward(*named.values(), **kwargs)[0],
                          dict(zip(names, values)), analytic, dout, tol=tol)
