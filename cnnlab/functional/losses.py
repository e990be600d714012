"""Loss functions: squared error, mean squared error, binary and categorical cross-entropy.

``loss, cache = <l>_forward(prediction, target, ...)`` returns a 0-d float (a numpy scalar of the
prediction's dtype); ``<l>_backward(dout, cache)`` returns the gradient with respect to the
prediction only (targets are data), ``dout`` being the scalar upstream gradient (1.0 at the top).
``reduction="mean"`` averages over the elements (over the N examples for cross_entropy),
``reduction="sum"`` adds them up.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from cnnlab._checks import check_dout, choice, real_array
from cnnlab.functional.activations import _log_softmax, _sigmoid

__all__ = [
    "squared_error_forward", "squared_error_backward", "squared_error",
    "mse_loss_forward", "mse_loss_backward", "mse_loss",
    "binary_cross_entropy_forward", "binary_cross_entropy_backward", "binary_cross_entropy",
    "binary_cross_entropy_with_logits_forward", "binary_cross_entropy_with_logits_backward",
    "binary_cross_entropy_with_logits",
    "cross_entropy_forward", "cross_entropy_backward", "cross_entropy",
]


class LossCache(NamedTuple):
    """What a loss backward needs: prediction, target (as floats), reduction's divisor."""
    pred: np.ndarray
    target: np.ndarray
    scale: float        # 1 / (number of terms averaged), or 1.0 for "sum"


def _pair(pred: Any, target: Any, func: str, names: str) -> tuple[np.ndarray, np.ndarray]:
    """Prediction and target as float arrays of one shape; ``names`` is e.g. "o, t"."""
    pred_name, target_name = names.split(", ")
    pred = real_array(func, pred_name, pred)
    target = real_array(func, target_name, target).astype(pred.dtype, copy=False)
    if pred.shape != target.shape:
        raise ValueError(f"{func}: {pred_name}.shape={pred.shape} but {target_name}.shape={target.shape}; "
                         "they must match")
    return pred, target


def _scale(reduction: str, count: int, func: str) -> float:
    """The factor a summed loss is multiplied by: 1/count for "mean", 1 for "sum"."""
    choice(func, "reduction", reduction, ("mean", "sum"))
    return 1.0 / max(count, 1) if reduction == "mean" else 1.0


def _loss(total: np.ndarray, cache: LossCache) -> tuple[np.floating, LossCache]:
    return (total * cache.scale).astype(cache.pred.dtype)[()], cache


def _dpred(dout: Any, cache: LossCache, grad: np.ndarray, func: str) -> np.ndarray:
    """Chain the scalar upstream gradient onto the per-element gradient of the summed loss."""
    dout = check_dout(func, dout, ())                   # the loss is a scalar, so is its upstream gradient
    return (float(dout) * cache.scale * grad).astype(cache.pred.dtype, copy=False)


# ---------------------------------------------------------------------------------------------
# Squared error (the notes' E = 1/2 sum (t - o)^2) and mean squared error (torch's mse_loss)

def squared_error_forward(o: np.ndarray, t: np.ndarray) -> tuple[np.floating, LossCache]:
    """The notes' error E = 1/2 * sum((t - o)^2) over every element.

    o: outputs, any shape; t: targets, the same shape. Returns (E, cache).
    """
    o, t = _pair(o, t, "squared_error_forward", "o, t")
    return _loss(0.5 * np.sum((t - o) ** 2), LossCache(o, t, 1.0))


def squared_error_backward(dout: float, cache: LossCache) -> np.ndarray:
    """dE/do = -(t - o) = o - t (the 1/2 cancels the 2 of the square). Returns do: o's shape."""
    return _dpred(dout, cache, cache.pred - cache.target, "squared_error_backward")


def squared_error(o: np.ndarray, t: np.ndarray) -> np.floating:
    """E = 1/2 * sum((t - o)^2), forward only. o, t: any shape, the same."""
    return squared_error_forward(o, t)[0]


def mse_loss_forward(input: np.ndarray, target: np.ndarray, *,
                     reduction: str = "mean") -> tuple[np.floating, LossCache]:
    """Mean squared error mean((input - target)^2), torch's mse_loss ("sum" drops the 1/size).

    input, target: any shape, the same. Returns (loss, cache).
    """
    pred, target = _pair(input, target, "mse_loss_forward", "input, target")
    cache = LossCache(pred, target, _scale(reduction, pred.size, "mse_loss_forward"))
    return _loss(np.sum((pred - target) ** 2), cache)


def mse_loss_backward(dout: float, cache: LossCache) -> np.ndarray:
    """d/dinput = 2 (input - target) / size for "mean". Returns dinput: input's shape."""
    return _dpred(dout, cache, 2 * (cache.pred - cache.target), "mse_loss_backward")


def mse_loss(input: np.ndarray, target: np.ndarray, *, reduction: str = "mean") -> np.floating:
    """Mean squared error, forward only. input, target: any shape, the same."""
    return mse_loss_forward(input, target, reduction=reduction)[0]


# ---------------------------------------------------------------------------------------------
# Binary cross-entropy

def binary_cross_entropy_forward(p: np.ndarray, t: np.ndarray, *,
                                 reduction: str = "mean") -> tuple[np.floating, LossCache]:
    """Binary cross-entropy -[t log p + (1 - t) log(1 - p)], torch semantics.

    p: probabilities in [0, 1], any shape; t: targets in [0, 1], the same shape. As in torch each
    log is clamped at -100, so p = 0 or 1 gives a large finite loss, not inf.
    """
    func = "binary_cross_entropy_forward"
    p, t = _pair(p, t, func, "p, t")
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"{func}: p must hold probabilities in [0, 1], got values in "
                         f"[{p.min():.4g}, {p.max():.4g}] (use binary_cross_entropy_with_logits for scores)")
    with np.errstate(divide="ignore"):      # log(0) = -inf is clamped to -100 just below
        log_p, log_1mp = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
    cache = LossCache(p, t, _scale(reduction, p.size, func))
    return _loss(-np.sum(t * log_p + (1 - t) * log_1mp), cache)


def binary_cross_entropy_backward(dout: float, cache: LossCache) -> np.ndarray:
    """dL/dp = -t/p + (1 - t)/(1 - p) = (p - t) / (p (1 - p)), the denominator kept >= 1e-12 as in torch."""
    p, t = cache.pred, cache.target
    grad = (p - t) / np.maximum(p * (1 - p), 1e-12)
    return _dpred(dout, cache, grad, "binary_cross_entropy_backward")


def binary_cross_entropy(p: np.ndarray, t: np.ndarray, *, reduction: str = "mean") -> np.floating:
    """Binary cross-entropy of probabilities p against targets t, forward only."""
    return binary_cross_entropy_forward(p, t, reduction=reduction)[0]


def binary_cross_entropy_with_logits_forward(z: np.ndarray, t: np.ndarray, *,
                                             reduction: str = "mean") -> tuple[np.floating, LossCache]:
    """Binary cross-entropy of sigma(z) against t, computed from the logits z without overflow.

    z: logits, any shape; t: targets in [0, 1], the same shape. With p = sigma(z),
    -[t log p + (1 - t) log(1 - p)] = max(z, 0) - z t + log(1 + e^-|z|), finite for every z.
    """
    func = "binary_cross_entropy_with_logits_forward"
    z, t = _pair(z, t, func, "z, t")
    cache = LossCache(z, t, _scale(reduction, z.size, func))
    with np.errstate(under="ignore"):
        return _loss(np.sum(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))), cache)


def binary_cross_entropy_with_logits_backward(dout: float, cache: LossCache) -> np.ndarray:
    """dL/dz = sigma(z) - t: the sigmoid's derivative cancels the log's. Returns dz: z's shape."""
    grad = _sigmoid(cache.pred) - cache.target
    return _dpred(dout, cache, grad, "binary_cross_entropy_with_logits_backward")


def binary_cross_entropy_with_logits(z: np.ndarray, t: np.ndarray, *, reduction: str = "mean") -> np.floating:
    """Binary cross-entropy from logits, forward only."""
    return binary_cross_entropy_with_logits_forward(z, t, reduction=reduction)[0]


# ---------------------------------------------------------------------------------------------
# Cross-entropy over K classes, from logits (softmax and negative log-likelihood fused)

def _class_targets(target: Any, logits: np.ndarray, func: str) -> np.ndarray:
    """Targets as an (N, K) array of probabilities: integer labels (N,) become one-hot rows."""
    n, k = logits.shape
    target = np.asarray(target)
    if target.shape == (n,):
        if target.dtype.kind not in "iu":
            raise ValueError(f"{func}: a target of shape (N,) must hold integer class indices, "
                             f"got dtype {target.dtype} (use target.astype(int))")
        if n and (target.min() < 0 or target.max() >= k):
            raise ValueError(f"{func}: target class indices must lie in [0, {k}) for logits.shape={logits.shape}, "
                             f"got values in [{target.min()}, {target.max()}]")
        return np.eye(k, dtype=logits.dtype)[target]
    if target.shape == (n, k):
        return real_array(func, "target", target).astype(logits.dtype, copy=False)
    raise ValueError(f"{func}: target.shape={target.shape} must be (N,) class indices or (N, K) probabilities "
                     f"with logits.shape={logits.shape}")


def cross_entropy_forward(logits: np.ndarray, target: np.ndarray, *,
                          reduction: str = "mean") -> tuple[np.floating, LossCache]:
    """Cross-entropy -sum_k y_k log softmax(logits)_k per example, torch's cross_entropy.

    logits: (N, K) scores; target: (N,) integer classes in [0, K), or (N, K) class probabilities
    (one-hot rows included). "mean" divides the sum over examples by N.
    """
    func = "cross_entropy_forward"
    logits = real_array(func, "logits", logits, ndim=2, layout="(N, K)")
    y = _class_targets(target, logits, func)
    cache = LossCache(logits, y, _scale(reduction, logits.shape[0], func))
    return _loss(-np.sum(y * _log_softmax(logits, axis=1)), cache)


def cross_entropy_backward(dout: float, cache: LossCache) -> np.ndarray:
    """dL/dlogits = (softmax(logits) * sum_k y_k - y) / N, which is (p - y) / N for probability rows.

    Returns dlogits: (N, K).
    """
    y = cache.target
    with np.errstate(under="ignore"):
        p = np.exp(_log_softmax(cache.pred, axis=1))
    return _dpred(dout, cache, p * y.sum(axis=1, keepdims=True) - y, "cross_entropy_backward")


def cross_entropy(logits: np.ndarray, target: np.ndarray, *, reduction: str = "mean") -> np.floating:
    """Cross-entropy from logits (N, K) and targets (N,) or (N, K), forward only."""
    return cross_entropy_forward(logits, target, reduction=reduction)[0]
