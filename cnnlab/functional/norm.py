"""Batch normalisation for (N, D) features and (N, C, H, W) feature maps, as torch's BatchNorm1d/2d.

Statistics are taken per feature (per channel): over every axis except axis 1. No state is kept:
the forward returns the new running statistics and never writes into its arguments.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import check_dout, check_shape, real_array

__all__ = ["batchnorm_forward", "batchnorm_backward", "batchnorm1d_forward", "batchnorm2d_forward"]


class BatchNormCache(NamedTuple):
    x_hat: np.ndarray       # normalised input, x's shape
    gamma: np.ndarray       # broadcastable to x, e.g. (1, C, 1, 1)
    inv_std: np.ndarray     # 1 / sqrt(var + eps), broadcastable to x
    axes: tuple[int, ...]   # the axes statistics were taken over
    training: bool          # batch statistics (which depend on x) or running ones (constants)
    dtypes: tuple           # of x, gamma and beta: each gradient comes back in its input's dtype


def batchnorm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, *,
                      running_mean: np.ndarray, running_var: np.ndarray, training: bool = True,
                      momentum: float = 0.1, eps: float = 1e-5,
                      ) -> tuple[np.ndarray, BatchNormCache, tuple[np.ndarray, np.ndarray]]:
    """Normalise each feature to zero mean and unit variance, then scale by gamma and shift by beta.

    x: (N, D), (N, C, L) or (N, C, H, W); gamma, beta, running_mean, running_var: (C,) (C = D).
    training=True: statistics of this batch (biased variance for normalising), and running
    statistics updated as torch does, r <- (1 - momentum) r + momentum * batch statistic, with the
    UNBIASED variance (divided by m - 1, m = N*H*W values per channel).
    training=False: the running statistics normalise, and come back unchanged. An empty batch (N = 0)
    gives an empty output and unchanged running statistics, as in torch.
    Returns (out: x's shape, cache, (new_running_mean, new_running_var)).
    """
    func = "batchnorm_forward"
    x = real_array(func, "x", x, ndim=(2, 3, 4, 5), layout="(N, D), (N, C, L), (N, C, H, W) or (N, C, D, H, W)")
    c, axes = x.shape[1], (0, *range(2, x.ndim))
    shape = [1] * x.ndim
    shape[1] = c                                   # (1, C) or (1, C, 1, 1): broadcasts over x
    params = _per_channel(x, func, gamma=gamma, beta=beta, running_mean=running_mean, running_var=running_var)
    m = x.size // c if c else 0
    training = training and m > 0          # an empty batch has no statistics: torch leaves the running ones
    if training:
        if m < 2:
            raise ValueError(f"{func}: training needs more than 1 value per channel, got x.shape={x.shape}")
        mean, var = x.mean(axis=axes), x.var(axis=axes)
        new_mean = (1 - momentum) * params["running_mean"] + momentum * mean
        new_var = (1 - momentum) * params["running_var"] + momentum * var * m / (m - 1)
    else:
        mean, var = params["running_mean"], params["running_var"]
        new_mean, new_var = mean.copy(), var.copy()
    inv_std = (1 / np.sqrt(var + eps)).reshape(shape)
    x_hat = (x - mean.reshape(shape)) * inv_std
    gamma_b = params["gamma"].reshape(shape)
    out = (gamma_b * x_hat + params["beta"].reshape(shape)).astype(x.dtype, copy=False)
    return out, BatchNormCache(x_hat, gamma_b, inv_std, axes, training,
                                (x.dtype, params["gamma"].dtype, params["beta"].dtype)), (new_mean, new_var)


def _per_channel(x: np.ndarray, func: str, **arrays: np.ndarray) -> dict[str, np.ndarray]:
    """The per-channel arguments as float arrays, each checked to be (C,) for x's C = x.shape[1]."""
    c = x.shape[1]
    return {name: check_shape(func, name, real_array(func, name, value), (c,),
                              f" for the {c} channels of x (x.shape={x.shape})")
            for name, value in arrays.items()}


def batchnorm_backward(dout: np.ndarray, cache: BatchNormCache) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of batch norm. dout: x's shape. Returns (dx: x's shape, dgamma: (C,), dbeta: (C,)).

    dbeta = sum(dout) and dgamma = sum(dout * x_hat) over the statistics axes. In training the
    mean and variance depend on x too; differentiating through them (m values per channel,
    g = dout * gamma) gives dx = inv_std * (g - mean(g) - x_hat * mean(g * x_hat)).
    In eval mode they are constants and dx = g * inv_std.
    """
    x_hat, axes = cache.x_hat, cache.axes
    dout = check_dout("batchnorm_backward", dout, x_hat.shape)
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    g = dout * cache.gamma
    if cache.training:
        g = g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True)
    dx = g * cache.inv_std
    x_dtype, gamma_dtype, beta_dtype = cache.dtypes
    return dx.astype(x_dtype, copy=False), dgamma.astype(gamma_dtype, copy=False), dbeta.astype(beta_dtype, copy=False)


def _batchnorm_nd(x: np.ndarray, ndims: tuple[int, ...], func: str, layout: str, *args, **kwargs):
    x = real_array(func, "x", x, ndim=ndims, layout=layout)
    return batchnorm_forward(x, *args, **kwargs)


def batchnorm1d_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, **kwargs
                        ) -> tuple[np.ndarray, BatchNormCache, tuple[np.ndarray, np.ndarray]]:
    """batchnorm_forward for x: (N, D) or (N, C, L), as torch's BatchNorm1d; same keywords."""
    return _batchnorm_nd(x, (2, 3), "batchnorm1d_forward", "(N, D) or (N, C, L)", gamma, beta, **kwargs)


def batchnorm2d_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, **kwargs
                        ) -> tuple[np.ndarray, BatchNormCache, tuple[np.ndarray, np.ndarray]]:
    """batchnorm_forward for x: (N, C, H, W), as torch's BatchNorm2d; same keywords."""
    return _batchnorm_nd(x, (4,), "batchnorm2d_forward", "(N, C, H, W)", gamma, beta, **kwargs)
