"""Loss functions: squared error, mean squared error, binary and categorical cross-entropy.

``loss, cache = <l>_forward(prediction, target, ...)`` returns the loss and a cache;
``<l>_backward(dout, cache)`` returns the gradient with respect to the prediction only (targets
and weights are data), ``dout`` being the upstream gradient of the loss (1.0 at the top).
Every loss is a sum of terms L_i, one per element (one per example and position for
cross_entropy), and ``reduction`` says what comes out, as in torch:
``"mean"`` the average of the L_i (a 0-d float of the prediction's dtype), ``"sum"`` their sum,
``"none"`` the array of the L_i itself; its ``dout`` then has that array's shape.
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

REDUCTIONS = ("mean", "sum", "none")


class LossCache(NamedTuple):
    """What a loss backward needs: prediction and target (as floats), the op's weights, the reduction."""
    pred: np.ndarray
    target: np.ndarray
    weight: np.ndarray | None     # per-element weights (broadcast to pred), or None
    extra: Any                    # pos_weight for the logits BCE; unused otherwise
    reduction: str
    scale: float                  # 1 / (what "mean" divides by), or 1.0
    unbatched: bool = False       # cross_entropy of one example, logits (C,): a batch of 1 inside


def _pair(pred: Any, target: Any, func: str, names: str) -> tuple[np.ndarray, np.ndarray]:
    """Prediction and target as float arrays of one shape; ``names`` is e.g. "o, t"."""
    pred_name, target_name = names.split(", ")
    pred = real_array(func, pred_name, pred)
    target = real_array(func, target_name, target).astype(pred.dtype, copy=False)
    if pred.shape != target.shape:
        raise ValueError(f"{func}: {pred_name}.shape={pred.shape} but {target_name}.shape={target.shape}; "
                         "they must match")
    return pred, target


def _check_reduction(reduction: Any, func: str) -> str:
    return choice(func, "reduction", reduction, REDUCTIONS)


def _broadcast_weight(weight: Any, shape: tuple, func: str, name: str, dtype: np.dtype) -> np.ndarray | None:
    """An optional weight that broadcasts to ``shape`` without changing it (torch's rule)."""
    if weight is None:
        return None
    weight = real_array(func, name, weight).astype(dtype, copy=False)
    try:
        fits = np.broadcast_shapes(weight.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{func}: {name}.shape={weight.shape} does not broadcast to the input's shape {shape}")
    return weight


def _reduce(terms: np.ndarray, cache: LossCache) -> tuple[np.ndarray | np.floating, LossCache]:
    """The loss from its terms L_i: their mean, sum, or the terms themselves."""
    dtype = cache.pred.dtype
    if cache.reduction == "none":
        return terms.astype(dtype, copy=False), cache
    with np.errstate(over="ignore"):        # a sum beyond float range is inf, as in torch
        return (np.sum(terms) * cache.scale).astype(dtype)[()], cache


def _chain(dout: Any, cache: LossCache, grad: np.ndarray, func: str, factor: float = 1.0) -> np.ndarray:
    """d loss / d pred from dL_i/dpred = factor * grad (pred's shape) and the upstream dout.

    "none": each term has its own dout, so dpred = (factor * dout) * grad. "sum"/"mean": dout is
    a scalar and dpred = (dout * factor * scale) * grad, the scalar formed first so that no
    intermediate overflows where the result does not (2 * 1e308 would; 2 / size * 1e308 need not).
    """
    if cache.reduction == "none":
        dout = check_dout(func, dout, grad.shape)
        return ((factor * dout) * grad).astype(cache.pred.dtype, copy=False)
    dout = check_dout(func, dout, ())                   # the loss is a scalar, so is its upstream gradient
    with np.errstate(over="ignore"):      # a gradient beyond float range is inf, as in torch
        return ((float(dout) * factor * cache.scale) * grad).astype(cache.pred.dtype, copy=False)


def _weighted(grad: np.ndarray, weight: np.ndarray | None) -> np.ndarray:
    return grad if weight is None else grad * weight


# ---------------------------------------------------------------------------------------------
# Squared error (the notes' E = 1/2 sum (t - o)^2) and mean squared error (torch's mse_loss)

def _cache(pred, target, func, reduction, count, weight=None, extra=None) -> LossCache:
    """A LossCache whose "mean" divides by ``count`` (the number of terms; the mean of none is NaN, as torch)."""
    reduction = _check_reduction(reduction, func)
    scale = (1.0 / count if count else float("nan")) if reduction == "mean" else 1.0
    return LossCache(pred, target, weight, extra, reduction, scale)


def squared_error_forward(o: np.ndarray, t: np.ndarray) -> tuple[np.floating, LossCache]:
    """The notes' error E = 1/2 * sum((t - o)^2) over every element.

    o: outputs, any shape; t: targets, the same shape. Returns (E, cache).
    """
    o, t = _pair(o, t, "squared_error_forward", "o, t")
    return _reduce(0.5 * (t - o) ** 2, _cache(o, t, "squared_error_forward", "sum", o.size))


def squared_error_backward(dout: float, cache: LossCache) -> np.ndarray:
    """dE/do = -(t - o) = o - t (the 1/2 cancels the 2 of the square). Returns do: o's shape."""
    return _chain(dout, cache, cache.pred - cache.target, "squared_error_backward")


def squared_error(o: np.ndarray, t: np.ndarray) -> np.floating:
    """E = 1/2 * sum((t - o)^2), forward only. o, t: any shape, the same."""
    return squared_error_forward(o, t)[0]


def mse_loss_forward(input: np.ndarray, target: np.ndarray, *,
                     reduction: str = "mean") -> tuple[np.floating | np.ndarray, LossCache]:
    """Squared errors L_i = (input_i - target_i)^2, averaged ("mean"), summed, or kept ("none").

    input, target: any shape, the same. Returns (loss, cache); torch's mse_loss.
    """
    pred, target = _pair(input, target, "mse_loss_forward", "input, target")
    with np.errstate(over="ignore"):        # a square beyond float range is inf, as in torch
        terms = (pred - target) ** 2
    return _reduce(terms, _cache(pred, target, "mse_loss_forward", reduction, pred.size))


def mse_loss_backward(dout: Any, cache: LossCache) -> np.ndarray:
    """dL_i/dinput_i = 2 (input_i - target_i), times 1/size for "mean". Returns dinput: input's shape."""
    return _chain(dout, cache, cache.pred - cache.target, "mse_loss_backward", factor=2.0)


def mse_loss(input: np.ndarray, target: np.ndarray, *, reduction: str = "mean") -> np.floating | np.ndarray:
    """Mean squared error, forward only. input, target: any shape, the same."""
    return mse_loss_forward(input, target, reduction=reduction)[0]


# ---------------------------------------------------------------------------------------------
# Binary cross-entropy

def binary_cross_entropy_forward(p: np.ndarray, t: np.ndarray, *, weight: np.ndarray | None = None,
                                 reduction: str = "mean") -> tuple[np.floating | np.ndarray, LossCache]:
    """Binary cross-entropy L_i = -w_i [t_i log p_i + (1 - t_i) log(1 - p_i)], torch semantics.

    p: probabilities in [0, 1], any shape; t: targets in [0, 1], the same shape; weight: None or
    an array that broadcasts to p's shape (a rescaling of each term; "mean" still divides by
    p.size, as in torch). As in torch each log is clamped at -100, so p = 0 or 1 gives a large
    finite loss, not inf.
    """
    func = "binary_cross_entropy_forward"
    p, t = _pair(p, t, func, "p, t")
    if p.size and (p.min() < 0 or p.max() > 1):
        raise ValueError(f"{func}: p must hold probabilities in [0, 1], got values in "
                         f"[{p.min():.4g}, {p.max():.4g}] (use binary_cross_entropy_with_logits for scores)")
    weight = _broadcast_weight(weight, p.shape, func, "weight", p.dtype)
    with np.errstate(divide="ignore"):      # log(0) = -inf is clamped to -100 just below
        log_p, log_1mp = np.maximum(np.log(p), -100), np.maximum(np.log1p(-p), -100)
    terms = _weighted(-(t * log_p + (1 - t) * log_1mp), weight)
    return _reduce(terms, _cache(p, t, func, reduction, p.size, weight))


def binary_cross_entropy_backward(dout: Any, cache: LossCache) -> np.ndarray:
    """dL_i/dp_i = w_i (-t/p + (1 - t)/(1 - p)) = w_i (p - t) / (p (1 - p)), the denominator kept >= 1e-12 as in torch."""
    p, t = cache.pred, cache.target
    grad = _weighted((p - t) / np.maximum(p * (1 - p), 1e-12), cache.weight)
    return _chain(dout, cache, grad, "binary_cross_entropy_backward")


def binary_cross_entropy(p: np.ndarray, t: np.ndarray, *, weight: np.ndarray | None = None,
                         reduction: str = "mean") -> np.floating | np.ndarray:
    """Binary cross-entropy of probabilities p against targets t, forward only."""
    return binary_cross_entropy_forward(p, t, weight=weight, reduction=reduction)[0]


def binary_cross_entropy_with_logits_forward(z: np.ndarray, t: np.ndarray, *, weight: np.ndarray | None = None,
                                             reduction: str = "mean", pos_weight: np.ndarray | None = None
                                             ) -> tuple[np.floating | np.ndarray, LossCache]:
    """Binary cross-entropy of sigma(z) against t, computed from the logits z without overflow.

    z: logits, any shape; t: targets in [0, 1], the same shape. With p = sigma(z) and
    softplus(-z) = log(1 + e^-z) = -log p, each term is
    L_i = w_i [pos_weight_i t_i softplus(-z_i) + (1 - t_i) (z_i + softplus(-z_i))]
        = w_i [(1 - t_i) z_i + (1 + (pos_weight_i - 1) t_i) softplus(-z_i)],
    and softplus(-z) = max(-z, 0) + log(1 + e^-|z|) is finite for every z.
    weight: None or broadcastable to z (rescales each term); pos_weight: None or broadcastable to
    z, e.g. (C,) for C labels: the weight of the positive (t = 1) part, > 1 to raise recall.
    """
    func = "binary_cross_entropy_with_logits_forward"
    z, t = _pair(z, t, func, "z, t")
    weight = _broadcast_weight(weight, z.shape, func, "weight", z.dtype)
    pos_weight = _broadcast_weight(pos_weight, z.shape, func, "pos_weight", z.dtype)
    with np.errstate(under="ignore"):
        softplus_minus_z = np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z)))
    log_weight = 1 if pos_weight is None else 1 + (pos_weight - 1) * t
    terms = _weighted((1 - t) * z + log_weight * softplus_minus_z, weight)
    return _reduce(terms, _cache(z, t, func, reduction, z.size, weight, pos_weight))


def binary_cross_entropy_with_logits_backward(dout: Any, cache: LossCache) -> np.ndarray:
    """dL_i/dz_i = w_i [(1 + (pw_i - 1) t_i) sigma(z_i) - pw_i t_i]; for pw = 1 this is w_i (sigma(z_i) - t_i):
    the sigmoid's derivative cancels the log's. Returns dz: z's shape."""
    z, t, pos_weight = cache.pred, cache.target, cache.extra
    if pos_weight is None:
        grad = _sigmoid(z) - t
    else:
        grad = (1 + (pos_weight - 1) * t) * _sigmoid(z) - pos_weight * t
    return _chain(dout, cache, _weighted(grad, cache.weight), "binary_cross_entropy_with_logits_backward")


def binary_cross_entropy_with_logits(z: np.ndarray, t: np.ndarray, *, weight: np.ndarray | None = None,
                                     reduction: str = "mean", pos_weight: np.ndarray | None = None
                                     ) -> np.floating | np.ndarray:
    """Binary cross-entropy from logits, forward only."""
    return binary_cross_entropy_with_logits_forward(z, t, weight=weight, reduction=reduction,
                                                    pos_weight=pos_weight)[0]


# ---------------------------------------------------------------------------------------------
# Cross-entropy over C classes, from logits (softmax and negative log-likelihood fused)

def _class_weights(target: Any, logits: np.ndarray, weight: np.ndarray | None, ignore_index: int,
                   label_smoothing: float, func: str) -> tuple[np.ndarray, float]:
    """W (logits' shape): the loss at each position is -sum_c W[n, c, ...] log p[n, c, ...].

    Class indices y: W = w_c * ((1 - eps) onehot(y)_c + eps / C), zero where y == ignore_index;
    "mean" divides by the sum of w_y over the positions not ignored (torch's rule).
    Probabilities q (logits' shape): W = w_c * ((1 - eps) q_c + eps / C); "mean" divides by
    the number of positions. Returns (W, that divisor).
    """
    c = logits.shape[1]
    w = np.ones(c, logits.dtype) if weight is None else weight
    w_b = w.reshape((1, c) + (1,) * (logits.ndim - 2))              # broadcasts along the class axis
    target = np.asarray(target)
    positions = (logits.shape[0],) + logits.shape[2:]
    if target.shape == positions and target.dtype.kind in "iu":
        keep = target != ignore_index
        labels = np.where(keep, target, 0)
        if labels.size and (labels.min() < 0 or labels.max() >= c):
            raise ValueError(f"{func}: target class indices must lie in [0, {c}) (or equal ignore_index="
                             f"{ignore_index}) for logits.shape={logits.shape}, got values in "
                             f"[{target.min()}, {target.max()}]")
        onehot = np.moveaxis(np.eye(c, dtype=logits.dtype)[labels], -1, 1)   # (N, C, d1, ...)
        q = (1 - label_smoothing) * onehot + label_smoothing / c
        keep_b = np.expand_dims(keep, 1)
        return w_b * q * keep_b, float(np.sum(w[labels] * keep))
    if target.shape == positions:
        raise ValueError(f"{func}: a target of shape {positions} must hold integer class indices, "
                         f"got dtype {target.dtype} (use target.astype(int))")
    if target.shape == logits.shape:
        q = real_array(func, "target", target).astype(logits.dtype, copy=False)
        return w_b * ((1 - label_smoothing) * q + label_smoothing / c), float(np.prod(positions))
    raise ValueError(f"{func}: target.shape={target.shape} must be {positions} class indices or "
                     f"{logits.shape} probabilities for logits.shape={logits.shape}")


def cross_entropy_forward(logits: np.ndarray, target: np.ndarray, *, weight: np.ndarray | None = None,
                          ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
                          ) -> tuple[np.floating | np.ndarray, LossCache]:
    """Cross-entropy -sum_c y_c log softmax(logits)_c per example, torch's cross_entropy.

    logits: (N, C) scores, or (N, C, d1, d2, ...) for a class score at every position (e.g. per
    pixel), or (C,) for one example; target: (N,) (or (N, d1, ...), or () for one example)
    integer classes in [0, C), or class probabilities of logits' shape (one-hot rows included).
    weight: None or (C,), a weight per class (rare classes up); ignore_index: positions whose class index equals it add nothing (nor to the "mean"
    divisor); label_smoothing eps in [0, 1]: the target becomes (1 - eps) y + eps / C.
    "mean" divides by the number of positions (by the summed weight w_y of the positions not
    ignored when the target holds class indices); "none" returns one loss per position, (N, d1, ...).
    """
    func = "cross_entropy_forward"
    logits = real_array(func, "logits", logits)
    if logits.ndim == 1:                  # one example (C,), as torch allows: a batch of one inside
        target = np.asarray(target)
        loss, cache = cross_entropy_forward(logits[None], target[None], weight=weight, ignore_index=ignore_index,
                                            reduction=reduction, label_smoothing=label_smoothing)
        return (loss[0] if reduction == "none" else loss), cache._replace(unbatched=True)
    if logits.ndim < 2:
        raise ValueError(f"{func}: logits must be (C,), (N, C) or (N, C, d1, ...), got logits.shape={logits.shape}")
    if weight is not None:
        weight = real_array(func, "weight", weight).astype(logits.dtype, copy=False)
        if weight.shape != (logits.shape[1],):
            raise ValueError(f"{func}: weight.shape={weight.shape} must be ({logits.shape[1]},), one per class "
                             f"(logits.shape={logits.shape})")
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{func}: label_smoothing={label_smoothing} must lie in [0, 1]")
    big_w, divisor = _class_weights(target, logits, weight, ignore_index, label_smoothing, func)
    log_p = _log_softmax(logits, axis=1)
    terms = -np.sum(big_w * log_p, axis=1)                          # one loss per position
    reduction = _check_reduction(reduction, func)
    # "mean" divides by ``divisor``, which is 0 when every target is ignored: 0/0 = nan, as in torch
    scale = (1.0 / divisor if divisor else np.nan) if reduction == "mean" else 1.0
    return _reduce(terms, LossCache(logits, big_w, weight, log_p, reduction, scale))


def cross_entropy_backward(dout: Any, cache: LossCache) -> np.ndarray:
    """dL/dlogits_c = p_c * sum_k W_k - W_c at each position, which is p - y for a probability row y
    (W: the class weights times the target). Returns dlogits: logits' shape.
    """
    if cache.unbatched:                   # one example: the batch of one that the forward made
        dout = dout if cache.reduction != "none" else np.asarray(dout)[None]
        return cross_entropy_backward(dout, cache._replace(unbatched=False))[0]
    big_w = cache.target
    with np.errstate(under="ignore"):
        p = np.exp(cache.extra)
    grad = p * big_w.sum(axis=1, keepdims=True) - big_w
    if cache.reduction == "none":                 # one dout per position: broadcast it over the classes
        dout = np.expand_dims(check_dout("cross_entropy_backward", dout, grad.shape[:1] + grad.shape[2:]), 1)
        return (dout * grad).astype(cache.pred.dtype, copy=False)
    return _chain(dout, cache, grad, "cross_entropy_backward")


def cross_entropy(logits: np.ndarray, target: np.ndarray, *, weight: np.ndarray | None = None,
                  ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
                  ) -> np.floating | np.ndarray:
    """Cross-entropy from logits (N, C, ...) and targets (N, ...) or (N, C, ...), forward only."""
    return cross_entropy_forward(logits, target, weight=weight, ignore_index=ignore_index,
                                 reduction=reduction, label_smoothing=label_smoothing)[0]
