"""Activation functions: elementwise nonlinearities, maxout, softmax and log-softmax.

Each comes as ``out, cache = <a>_forward(x, ...)`` / ``dx = <a>_backward(dout, cache)`` and a
forward-only ``<a>(x, ...)`` with torch's name. Elementwise ops take x of any shape and return an
array of the same shape and float dtype (float32 in, float32 out).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab import _checks
from cnnlab._checks import check_dout, real_array

__all__ = [
    "step_forward", "step_backward", "step",
    "identity_forward", "identity_backward", "identity",
    "sigmoid_forward", "sigmoid_backward", "sigmoid",
    "tanh_forward", "tanh_backward", "tanh",
    "relu_forward", "relu_backward", "relu",
    "leaky_relu_forward", "leaky_relu_backward", "leaky_relu",
    "elu_forward", "elu_backward", "elu",
    "swish_forward", "swish_backward", "swish", "silu",
    "maxout_forward", "maxout_backward", "maxout",
    "softmax_forward", "softmax_backward", "softmax",
    "log_softmax_forward", "log_softmax_backward", "log_softmax",
]


class ActivationCache(NamedTuple):
    """What an elementwise backward needs: input, output, and the op's parameter (or None)."""
    x: np.ndarray
    out: np.ndarray
    param: float | None


def _cached(x: np.ndarray, out: np.ndarray, param: float | None = None):
    return out, ActivationCache(x, out, param)


# ---------------------------------------------------------------------------------------------
# Step and identity

def step_forward(x: np.ndarray) -> tuple[np.ndarray, ActivationCache]:
    """Heaviside step, the perceptron's activation: 1 where x > 0, else 0. x: any shape."""
    x = real_array("step_forward", "x", x)
    return _cached(x, (x > 0).astype(x.dtype))


def step_backward(dout: np.ndarray, cache: ActivationCache) -> np.ndarray:
    """The step is flat almost everywhere, so dx = 0 (this is why perceptrons need their own rule)."""
    return np.zeros_like(check_dout("step_backward", dout, cache.x.shape), dtype=cache.x.dtype)


def step(x: np.ndarray) -> np.ndarray:
    """Heaviside step (1 where x > 0, else 0), forward only. x: any shape."""
    return step_forward(x)[0]


def identity_forward(x: np.ndarray) -> tuple[np.ndarray, ActivationCache]:
    """Identity (linear) activation, out = x (a copy). x: any shape."""
    x = real_array("identity_forward", "x", x)
    return _cached(x, x.copy())


def identity_backward(dout: np.ndarray, cache: ActivationCache) -> np.ndarray:
    """dx = dout (a copy)."""
    return check_dout("identity_backward", dout, cache.x.shape).astype(cache.x.dtype, copy=True)


def identity(x: np.ndarray) -> np.ndarray:
    """out = x (a copy), forward only."""
    return identity_forward(x)[0]


# ---------------------------------------------------------------------------------------------
# Sigmoid family

def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x) without overflow: with e = e^-|x| <= 1, it is 1/(1+e) for x >= 0, e/(1+e) else."""
    with np.errstate(under="ignore"):       # e^-1000 = 0 is the right answer, not a warning
        e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def sigmoid_forward(x: np.ndarray) -> tuple[np.ndarray, ActivationCache]:
    """Logistic sigmoid sigma(x) = 1 / (1 + e^-x), stable for large |x|. x: any shape."""
    x = real_array("sigmoid_forward", "x", x)
    return _cached(x, _sigmoid(x))


def sigmoid_backward(dout: np.ndarray, cache: ActivationCache) -> np.ndarray:
    """sigma'(x) = sigma(x) (1 - sigma(x)), so dx = dout * out * (1 - out)."""
    dout = check_dout("sigmoid_backward", dout, cache.x.shape)
    return (dout * cache.out * (1 - cache.out)).astype(cache.x.dtype, copy=False)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic sigmoid, forward only. x: any shape."""
    return sigmoid_forward(x)[0]


def tanh_forward(x: np.ndarray) -> tuple[np.ndarray, ActivationCache]:
    """Hyperbolic tangent, tanh(x) = 2 sigma(2x) - 1, a zero-centred sigmoid. x: any shape."""
    x = real_array("tanh_forward", "x", x)
    return _cached(x, np.tanh(x))


def tanh_backward(dout: np.ndarray, cache: ActivationCache) -> np.ndarray:
    """tanh'(x) = 1 - tanh(x)^2, so dx = dout * (1 - out^2)."""
    dout = check_dout("tanh_backward", dout, cache.x.shape)
    return (dout * (1 - cache.out ** 2)).astype(cache.x.dtype, copy=False)


def tanh(x: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, forward only. x: any shape."""
    return tanh_forward(x)[0]


def swish_forward(x: np.ndarray, *, beta: float = 1.0) -> tuple[np.ndarray, ActivationCache]:
    """Swish f(x) = x * sigma(beta x); beta = 1 is torch's SiLU. x: any shape."""
    x = real_array("swish_forward", "x", x)
    s = _sigmoid(beta * x)
    return x * s, ActivationCache(x, s, beta)   # the cache keeps sigma(beta x), not f(x)


def swish_backward(dout: np.ndarray, cache: ActivationCache) -> np.ndarray:
    """f'(x) = s + beta x s (1 - s) with s = sigma(beta x); for beta = 1 this is f + s (1 - f)."""
    dout = check_dout("swish_backward", dout, cache.x.shape)
    s, beta = cache.out, cache.param
    return (dout * (s + beta * cache.x * s * (1 - s))).astype(cache.x.dtype, copy=False)


def swish(x: np.ndarray, *, beta: float = 1.0) -> np.ndarray:
    """Swish x * sigma(beta x), forward only. x: any shape."""
    return swish_forward(x, beta=beta)[0]


def silu(x: np.ndarray) -> np.ndarray:
    """SiLU, torch's name for swish with beta = 1: x * sigma(x). x: any shape."""
    return swish_forward(x, beta=1.0)[0]


# ---------------------------------------------------------------------------------------------
# Rectifiers

def relu_forward(x: np.ndarray) -> tuple[np.ndarray, ActivationCache]:
    """Rectified linear unit max(0, x). x: any shape."""
    x = real_array("relu_forward", "x", x)
    return _cached(x, np.maximum(x, 0))


def relu_backward(dout: np.ndarray, cache: ActivationCache) -> np.ndarray:
    """Gradient passes where x > 0 and stops where x <= 0 (0 at x = 0; at x = NaN it passes, as in torch)."""
    dout = check_dout("relu_backward", dout, cache.x.shape)
    return np.where(cache.x <= 0, 0, dout).astype(cache.x.dtype, copy=False)


def relu(x: np.ndarray) -> np.ndarray:
    """max(0, x), forward only. x: any shape."""
    return relu_forward(x)[0]


def leaky_relu_forward(x: np.ndarray, *, negative_slope: float = 0.01) -> tuple[np.ndarray, ActivationCache]:
    """Leaky ReLU: x where x > 0, negative_slope * x elsewhere. x: any shape."""
    x = real_array("leaky_relu_forward", "x", x)
    return _cached(x, np.where(x > 0, x, negative_slope * x).astype(x.dtype, copy=False), negative_slope)


def leaky_relu_backward(dout: np.ndarray, cache: ActivationCache) -> np.ndarray:
    """Slope 1 where x > 0, negative_slope elsewhere: the gradient never dies completely."""
    dout = check_dout("leaky_relu_backward", dout, cache.x.shape)
    return np.where(cache.x > 0, dout, cache.param * dout).astype(cache.x.dtype, copy=False)


def leaky_relu(x: np.ndarray, *, negative_slope: float = 0.01) -> np.ndarray:
    """Leaky ReLU, forward only. x: any shape."""
    return leaky_relu_forward(x, negative_slope=negative_slope)[0]


def elu_forward(x: np.ndarray, *, alpha: float = 1.0) -> tuple[np.ndarray, ActivationCache]:
    """Exponential linear unit: x where x > 0, alpha (e^x - 1) elsewhere. x: any shape."""
    x = real_array("elu_forward", "x", x)
    negative = alpha * np.expm1(np.minimum(x, 0))   # min(x, 0): no overflow from large positive x
    return _cached(x, np.where(x > 0, x, negative).astype(x.dtype, copy=False), alpha)


def elu_backward(dout: np.ndarray, cache: ActivationCache) -> np.ndarray:
    """Slope 1 where x > 0; alpha e^x = out + alpha elsewhere, so NaN at x = NaN.

    (torch's ELU gives NaN there too in its vectorised loop, but dout in the scalar loop that handles
    a tensor's last few elements: its answer depends on where the NaN sits. NaN is the consistent one.)
    """
    dout = check_dout("elu_backward", dout, cache.x.shape)
    return np.where(cache.x > 0, dout, dout * (cache.out + cache.param)).astype(cache.x.dtype, copy=False)


def elu(x: np.ndarray, *, alpha: float = 1.0) -> np.ndarray:
    """ELU, forward only. x: any shape."""
    return elu_forward(x, alpha=alpha)[0]


# ---------------------------------------------------------------------------------------------
# Maxout

class MaxoutCache(NamedTuple):
    x_shape: tuple[int, ...]
    argmax: np.ndarray          # (N, K): which of the num_pieces won, first one on ties
    dtype: np.dtype


def maxout_forward(x: np.ndarray, *, num_pieces: int) -> tuple[np.ndarray, MaxoutCache]:
    """Maxout unit: the max of num_pieces linear pieces.

    x: (N, K * num_pieces), read as (N, K, num_pieces) (each unit's pieces are adjacent).
    Returns out: (N, K) with out[n, k] = max_j x[n, k * num_pieces + j].
    """
    x = real_array("maxout_forward", "x", x, ndim=2, layout="(N, K * num_pieces)")
    num_pieces = _checks.integer("maxout_forward", "num_pieces", num_pieces, minimum=1)
    if x.shape[1] % num_pieces:
        raise ValueError(f"maxout_forward: num_pieces={num_pieces} must divide the {x.shape[1]} features of x "
                         f"(x.shape={x.shape})")
    pieces = x.reshape(x.shape[0], x.shape[1] // num_pieces, num_pieces)
    argmax = pieces.argmax(axis=-1)
    out = np.take_along_axis(pieces, argmax[..., None], axis=-1)[..., 0]
    return out, MaxoutCache(x.shape, argmax, x.dtype)


def maxout_backward(dout: np.ndarray, cache: MaxoutCache) -> np.ndarray:
    """Each unit's gradient goes to its winning piece (the first on ties). Returns dx: (N, K * num_pieces)."""
    dout = check_dout("maxout_backward", dout, cache.argmax.shape)
    n, k = cache.argmax.shape
    dx = np.zeros((n, k, cache.x_shape[1] // k), dtype=cache.dtype)
    np.put_along_axis(dx, cache.argmax[..., None], dout[..., None], axis=-1)
    return dx.reshape(cache.x_shape)


def maxout(x: np.ndarray, *, num_pieces: int) -> np.ndarray:
    """Maxout, forward only. x: (N, K * num_pieces) -> (N, K)."""
    return maxout_forward(x, num_pieces=num_pieces)[0]


# ---------------------------------------------------------------------------------------------
# Softmax and log-softmax

class SoftmaxCache(NamedTuple):
    out: np.ndarray     # softmax(x) for softmax, log_softmax(x) for log_softmax
    axis: int


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """log softmax(x) = x - m - log sum exp(x - m) with m = max(x): no exp ever overflows."""
    shifted = x - x.max(axis=axis, keepdims=True, initial=-np.inf)
    with np.errstate(under="ignore", divide="ignore"):     # log 0 = -inf only for an empty axis
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_forward(x: np.ndarray, *, axis: int = -1) -> tuple[np.ndarray, SoftmaxCache]:
    """Softmax along ``axis``: exp(x_i) / sum_j exp(x_j), computed after subtracting the max.

    x: any shape, e.g. scores (N, K). Returns out of x's shape, non-negative, summing to 1 along axis.
    """
    x = real_array("softmax_forward", "x", x)
    axis = _checks.axis("softmax_forward", axis, x)
    with np.errstate(under="ignore"):   # softmax is shift-invariant; the max becomes e^0 = 1
        e = np.exp(x - x.max(axis=axis, keepdims=True, initial=-np.inf))
    out = e / e.sum(axis=axis, keepdims=True)
    return out, SoftmaxCache(out, axis)


def softmax_backward(dout: np.ndarray, cache: SoftmaxCache) -> np.ndarray:
    """Jacobian ds_i/dx_j = s_i (delta_ij - s_j), so dx = s * (dout - sum_j dout_j s_j)."""
    dout = check_dout("softmax_backward", dout, cache.out.shape)
    s = cache.out
    return (s * (dout - (dout * s).sum(axis=cache.axis, keepdims=True))).astype(s.dtype, copy=False)


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Stable softmax along ``axis``, forward only. x: any shape."""
    return softmax_forward(x, axis=axis)[0]


def log_softmax_forward(x: np.ndarray, *, axis: int = -1) -> tuple[np.ndarray, SoftmaxCache]:
    """log(softmax(x)) along ``axis`` by the log-sum-exp trick (finite even for huge scores).

    x: any shape. Returns out of x's shape.
    """
    x = real_array("log_softmax_forward", "x", x)
    axis = _checks.axis("log_softmax_forward", axis, x)
    out = _log_softmax(x, axis)
    return out, SoftmaxCache(out, axis)


def log_softmax_backward(dout: np.ndarray, cache: SoftmaxCache) -> np.ndarray:
    """d log s_i / dx_j = delta_ij - s_j, so dx = dout - s * sum_i dout_i with s = exp(out)."""
    dout = check_dout("log_softmax_backward", dout, cache.out.shape)
    with np.errstate(under="ignore"):
        s = np.exp(cache.out)
    return (dout - s * dout.sum(axis=cache.axis, keepdims=True)).astype(s.dtype, copy=False)


def log_softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    """Stable log-softmax along ``axis``, forward only. x: any shape."""
    return log_softmax_forward(x, axis=axis)[0]
