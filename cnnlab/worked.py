"""The lecture notes' worked examples, computed by the library so the book and the tests share them.

Each ``*_example()`` returns every intermediate value of one worked example, computed exactly
(float64); the inputs are module constants in the notes' layout. Where the notes print a rounded or
wrong number, ``NOTES_BACKPROP`` keeps what they print, so the book can show both.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab import arithmetic
from cnnlab.autodiff import Value
from cnnlab.functional.activations import sigmoid, softmax
from cnnlab.functional.conv import conv2d
from cnnlab.functional.pooling import max_pool2d

__all__ = [
    "SOFTMAX_SCORES", "SoftmaxExample", "softmax_example", "ChainRuleExample", "chain_rule_example",
    "CosSinExample", "cos_sin_example", "cos_sin_derivative",
    "BACKPROP_X", "BACKPROP_T", "BACKPROP_ETA", "BACKPROP_W_HIDDEN", "BACKPROP_W_OUTPUT", "NOTES_BACKPROP",
    "BackpropExample", "backprop_example",
    "EDGE_M", "EDGE_F", "edge_filter_example", "STRIDE2_M", "STRIDE2_F", "stride2_example",
    "VOLUME_X", "VOLUME_W", "VOLUME_B", "volume_example", "RGB_X", "RGB_W", "RGB_B", "RGBExample",
    "rgb_example", "MAXPOOL_X", "maxpool_example", "ConvBackwardExample", "conv_backward_example",
    "depthwise_separable_example", "parameter_sharing_example", "inception_example",
]

# -- softmax vs plain normalisation ------------------------------------------------------------------

SOFTMAX_SCORES = np.array([2.0, 4.0, 2.0, 1.0])


class SoftmaxExample(NamedTuple):
    argmax: np.ndarray       # one-hot of the largest score
    normalised: np.ndarray   # x / sum(x)
    softmax: np.ndarray      # e^x / sum(e^x)


def softmax_example(scores: np.ndarray = SOFTMAX_SCORES) -> SoftmaxExample:
    """The notes' four log scores [2, 4, 2, 1]: argmax, plain normalisation and softmax. scores: (K,)."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 1 or scores.size == 0:
        raise ValueError(f"softmax_example: scores must be a non-empty (K,) array, got shape {scores.shape}")
    return SoftmaxExample(np.eye(scores.size)[np.argmax(scores)], scores / scores.sum(), softmax(scores))


# -- chain rule on tiny graphs ----------------------------------------------------------------------

class ChainRuleExample(NamedTuple):
    q: float
    f: float
    df_dq: float
    df_dx: float
    df_dy: float
    df_dz: float


def chain_rule_example(x: float = -2.0, y: float = 5.0, z: float = -4.0) -> ChainRuleExample:
    """f(x, y, z) = (x + y) z with q = x + y, by reverse-mode autodiff (notes: x = -2, y = 5, z = -4)."""
    xv, yv, zv = Value(x, "x"), Value(y, "y"), Value(z, "z")
    q = xv + yv
    f = q * zv
    f.backward()
    return ChainRuleExample(q.data, f.data, q.grad, xv.grad, yv.grad, zv.grad)


class CosSinExample(NamedTuple):
    t: float        # x^2
    u1: float       # sin t
    u2: float       # 3 t
    u: float        # u1 + u2
    J: float        # cos u
    dJ_du: float
    dJ_du1: float
    dJ_du2: float
    dJ_dt: float
    dJ_dx: float


def cos_sin_example(x: float) -> CosSinExample:
    """J = cos(sin(x^2) + 3x^2), every forward value and backward gradient of the notes' table."""
    xv = Value(x, "x")
    t = xv ** 2
    u1, u2 = t.sin(), 3 * t
    u = u1 + u2
    J = u.cos()
    J.backward()
    return CosSinExample(t.data, u1.data, u2.data, u.data, J.data, u.grad, u1.grad, u2.grad, t.grad, xv.grad)


def cos_sin_derivative(x: float) -> float:
    """dJ/dx = -sin(sin(x^2) + 3x^2) (2x cos(x^2) + 6x), the symbolic derivative."""
    return float(-np.sin(np.sin(x * x) + 3 * x * x) * (2 * x * np.cos(x * x) + 6 * x))


# -- backpropagation by hand: 3 inputs, 2 sigmoid hidden units, 2 sigmoid outputs ---------------------

BACKPROP_X = np.array([10.0, 30.0, 20.0])
BACKPROP_T = np.array([1.0, 0.0])
BACKPROP_ETA = 0.1
BACKPROP_W_HIDDEN = np.array([[0.2, -0.1, 0.4],     # H1 <- I1, I2, I3
                              [0.7, -1.2, 1.2]])    # H2 <- I1, I2, I3
BACKPROP_W_OUTPUT = np.array([[1.1, 0.1],           # O1 <- H1, H2
                              [3.1, 1.17]])         # O2 <- H1, H2

# What the notes print (rounded as printed). Differences from the exact values: they carry the
# rounded o_H = (0.9990, 0.0067) and o_O = (0.750, 0.957) forward; delta_H1 = -0.0000705 comes from
# o_H1 = 0.999 (exact -0.0000640); dw(H1 -> O1) is printed as 0.000469 instead of 0.1 * 0.0469 * 0.999
# = 0.00469 (a factor of 10), so the new weight 1.100469 should be 1.104685 (exact 1.104677); and the
# new w(I2 -> H1) = -0.1000705 is -0.1 + (the I1 row's delta), not -0.1 + (-0.0002115).
NOTES_BACKPROP = {
    "net_hidden": [7.0, -5.0], "o_hidden": [0.9990, 0.0067],
    "net_output": [1.0996, 3.1047], "o_output": [0.7501, 0.9571],
    "delta_output": [0.0469, -0.0394], "delta_hidden": [-0.0000705, -0.000275],
    "dw_output": [[0.000469, 0.0000314], [-0.00394, -0.0000264]],          # rows O1, O2; columns H1, H2
    "w_output_new": [[1.100469, 0.1000314], [3.09606, 1.1699736]],
    "dw_hidden": [[-0.0000705, -0.0002115, -0.000141], [-0.000275, -0.000825, -0.00055]],
    "w_hidden_new": [[0.1999295, -0.1000705, 0.399859], [0.699725, -1.200825, 1.19945]],
}


class BackpropExample(NamedTuple):
    net_hidden: np.ndarray     # (2,) W_hidden @ x
    o_hidden: np.ndarray       # (2,) sigmoid(net_hidden)
    net_output: np.ndarray     # (2,) W_output @ o_hidden
    o_output: np.ndarray       # (2,)
    delta_output: np.ndarray   # (2,) o (1 - o) (t - o)
    delta_hidden: np.ndarray   # (2,) o_h (1 - o_h) sum_k w_kh delta_k
    dw_output: np.ndarray      # (2, 2) eta delta_output x o_hidden
    w_output_new: np.ndarray   # (2, 2)
    dw_hidden: np.ndarray      # (2, 3) eta delta_hidden x x
    w_hidden_new: np.ndarray   # (2, 3)


def backprop_example(x: np.ndarray = BACKPROP_X, t: np.ndarray = BACKPROP_T, *,
                     w_hidden: np.ndarray = BACKPROP_W_HIDDEN, w_output: np.ndarray = BACKPROP_W_OUTPUT,
                     eta: float = BACKPROP_ETA) -> BackpropExample:
    """One step of backpropagation for E = 1/2 sum_k (t_k - o_k)^2 in a sigmoid network without biases.

    x: (D,), t: (K,), w_hidden: (H, D), w_output: (K, H). delta_j = -dE/dnet_j, and each weight moves by
    dw_ji = eta delta_j x_ji; the hidden deltas use the old output weights.
    """
    x, t = np.asarray(x, dtype=np.float64), np.asarray(t, dtype=np.float64)
    w_hidden, w_output = np.asarray(w_hidden, dtype=np.float64), np.asarray(w_output, dtype=np.float64)
    if w_hidden.ndim != 2 or w_hidden.shape[1:] != x.shape or w_output.shape != (t.size, w_hidden.shape[0]):
        raise ValueError(f"backprop_example: need x (D,), t (K,), w_hidden (H, D), w_output (K, H); got "
                         f"x {x.shape}, t {t.shape}, w_hidden {w_hidden.shape}, w_output {w_output.shape}")
    net_h = w_hidden @ x
    o_h = sigmoid(net_h)
    net_o = w_output @ o_h
    o_o = sigmoid(net_o)
    delta_o = o_o * (1 - o_o) * (t - o_o)
    delta_h = o_h * (1 - o_h) * (w_output.T @ delta_o)
    dw_o, dw_h = eta * np.outer(delta_o, o_h), eta * np.outer(delta_h, x)
    return BackpropExample(net_h, o_h, net_o, o_o, delta_o, delta_h, dw_o, w_output + dw_o, dw_h, w_hidden + dw_h)


# -- convolution and pooling examples --------------------------------------------------------------

EDGE_M = np.array([[3, 0, 1, 2, 4, 7],
                   [1, 5, 8, 9, 3, 1],
                   [2, 7, 2, 5, 1, 3],
                   [0, 1, 3, 1, 7, 8],
                   [4, 2, 1, 6, 2, 8],
                   [2, 4, 5, 2, 3, 9]], dtype=np.float64)
EDGE_F = np.array([[1, 0, -1]] * 3, dtype=np.float64)


def edge_filter_example() -> np.ndarray:
    """The 6x6 matrix M convolved (cross-correlated) with the vertical-edge filter F at stride 1: (4, 4)."""
    return conv2d(EDGE_M[None, None], EDGE_F[None, None])[0, 0]


# The notes show only four windows of their 7x7 matrix; the entries those windows reveal are here,
# the rest are NaN (unknown).
_U = np.nan
# The notes list each window's products column by column (as in the 6x6 example, where the filter's
# column of 1s comes first), so the entries below are the slides' numbers read that way.
STRIDE2_M = np.array([[2, 3, 7, 4, 6, 2, 9],
                      [6, 6, 9, 8, 7, 4, 3],
                      [3, 4, 8, 3, 8, 9, 7],
                      [7, 8, 3, _U, _U, _U, _U],
                      [4, 2, 1, _U, _U, _U, _U],
                      [_U, _U, _U, _U, _U, _U, _U],
                      [_U, _U, _U, _U, _U, _U, _U]], dtype=np.float64)
STRIDE2_F = np.array([[3, 4, 4], [1, 0, 2], [-1, 0, 3]], dtype=np.float64)


def stride2_example() -> np.ndarray:
    """7x7 M with 3x3 F at stride 2 -> (3, 3); NaN where a window covers entries the notes do not show."""
    known = ~np.isnan(STRIDE2_M)
    out = conv2d(np.where(known, STRIDE2_M, 0.0)[None, None], STRIDE2_F[None, None], stride=2)[0, 0]
    complete = conv2d((~known).astype(np.float64)[None, None], np.ones((1, 1, 3, 3)), stride=2)[0, 0] == 0
    return np.where(complete, out, np.nan)


VOLUME_X = np.array([[[3, 2, 2, 0, 0], [3, 2, 0, 3, 1], [4, 3, 1, 4, 0], [4, 4, 0, 2, 0], [0, 0, 4, 2, 2]],
                     [[4, 1, 4, 2, 3], [2, 3, 4, 0, 0], [1, 2, 0, 1, 4], [2, 3, 1, 0, 0], [3, 1, 4, 4, 0]],
                     [[2, 4, 4, 2, 0], [2, 0, 0, 3, 4], [1, 4, 1, 2, 0], [4, 1, 3, 0, 0], [2, 2, 0, 4, 4]]],
                    dtype=np.float64)                        # (C, H, W) = (3, 5, 5)
VOLUME_W = np.array([[[0, 0, 0], [-1, 1, 0], [-1, 1, -1]],
                     [[0, 1, 0], [0, 0, 1], [1, 1, -1]],
                     [[-1, 1, 0], [1, 0, 1], [1, 1, 1]]], dtype=np.float64)   # (C, kH, kW)
VOLUME_B = -3.0


def volume_example() -> np.ndarray:
    """The 5x5x3 input volume, one 3x3x3 filter and b = -3, stride 1: (3, 3)."""
    return conv2d(VOLUME_X[None], VOLUME_W[None], np.array([VOLUME_B]))[0, 0]


# Top-left 5x5 of each channel of the notes' RGB image (shown there with a ring of zero padding).
RGB_X = np.array([[[156, 155, 156, 158, 158], [153, 154, 157, 159, 159], [149, 151, 155, 158, 159],
                   [146, 146, 149, 153, 158], [145, 143, 143, 148, 158]],
                  [[167, 166, 167, 169, 169], [164, 165, 168, 170, 170], [160, 162, 166, 169, 170],
                   [156, 156, 159, 163, 168], [155, 153, 153, 158, 168]],
                  [[163, 162, 163, 165, 165], [160, 161, 164, 166, 166], [156, 158, 162, 165, 166],
                   [155, 155, 158, 162, 167], [154, 152, 152, 157, 167]]], dtype=np.float64)
RGB_W = np.array([[[-1, -1, 1], [0, 1, -1], [0, 1, 1]],
                  [[1, 0, 0], [1, -1, -1], [1, 0, -1]],
                  [[0, 1, 1], [0, 1, 0], [1, -1, 1]]], dtype=np.float64)
RGB_B = 1.0


class RGBExample(NamedTuple):
    per_channel: np.ndarray   # (3,) each channel's contribution to the top-left output
    output: float             # their sum plus the bias


def rgb_example() -> RGBExample:
    """Top-left output of the 3-channel filter with padding 1: 308 - 498 + 164 + 1 = -25."""
    parts = np.array([conv2d(RGB_X[None, c:c + 1], RGB_W[None, c:c + 1], padding=1)[0, 0, 0, 0] for c in range(3)])
    full = conv2d(RGB_X[None], RGB_W[None], np.array([RGB_B]), padding=1)[0, 0, 0, 0]
    return RGBExample(parts, float(full))


MAXPOOL_X = np.array([[2, 2, 0, 4, 3, 4],
                      [0, 0, 5, 0, 4, 1],
                      [4, 5, 2, 5, 1, 4],
                      [5, 2, 1, 0, 2, 1],
                      [2, 3, 3, 3, 5, 3],
                      [0, 3, 0, 4, 0, 1]], dtype=np.float64)


def maxpool_example() -> np.ndarray:
    """2x2 max pooling at stride 2 of the notes' 6x6 map: (3, 3)."""
    return max_pool2d(MAXPOOL_X[None, None], kernel_size=2, stride=2)[0, 0]


class ConvBackwardExample(NamedTuple):
    out: np.ndarray   # (2, 2) O = X * F (valid)
    dF: np.ndarray    # (2, 2) valid convolution of X with dO
    dX: np.ndarray    # (3, 3) full convolution of dO with F rotated by 180 degrees


def conv_backward_example(x: np.ndarray, f: np.ndarray, dout: np.ndarray) -> ConvBackwardExample:
    """The notes' 3x3 input, 2x2 filter derivation, computed as the two convolutions it ends with.

    x: (3, 3), f: (2, 2), dout = dE/dO: (2, 2) (any sizes with H' = H - kH + 1 work).
    """
    x, f, dout = (np.asarray(a, dtype=np.float64) for a in (x, f, dout))
    if x.ndim != 2 or f.ndim != 2 or dout.shape != (x.shape[0] - f.shape[0] + 1, x.shape[1] - f.shape[1] + 1):
        raise ValueError(f"conv_backward_example: need x (H, W), f (kH, kW), dout (H-kH+1, W-kW+1); "
                         f"got {x.shape}, {f.shape}, {dout.shape}")
    out = conv2d(x[None, None], f[None, None])[0, 0]
    dF = conv2d(x[None, None], dout[None, None])[0, 0]
    rotated = f[::-1, ::-1]
    padded = np.pad(dout, [(f.shape[0] - 1,) * 2, (f.shape[1] - 1,) * 2])   # "full": every overlap
    dX = conv2d(padded[None, None], rotated[None, None])[0, 0]
    return ConvBackwardExample(out, dF, dX)


# -- counting ----------------------------------------------------------------------------------------

def depthwise_separable_example() -> dict[str, int]:
    """12x12x3 -> 8x8x256 with 5x5 kernels: multiplications of the standard and separable convs."""
    return {"standard": arithmetic.conv_macs(3, 256, 5, 8, 8),
            "depthwise": arithmetic.conv_macs(3, 3, 5, 8, 8, groups=3),
            "pointwise": arithmetic.conv_macs(3, 256, 1, 8, 8),
            "separable": arithmetic.depthwise_separable_macs(3, 256, 5, 8, 8)}


def parameter_sharing_example() -> dict[str, int]:
    """32x32 image -> feature maps: fully connected vs locally connected (3x3 fields) vs shared weights."""
    return {"fully_connected": arithmetic.fully_connected_params(32 * 32, 32 * 32),
            "locally_connected": arithmetic.locally_connected_params(1, 1, 3, 32, 32),
            "locally_connected_rgb": arithmetic.locally_connected_params(3, 1, 3, 32, 32),
            "shared": arithmetic.shared_weight_params(3, 1, 3),
            "shared_4_filters": arithmetic.shared_weight_params(3, 4, 3)}


def inception_example() -> dict[str, int]:
    """MACs of the notes' inception module on 28x28x256, naive and with 1x1 bottlenecks."""
    return {"naive": arithmetic.inception_macs(256, 28, 28, ch1x1=128, ch3x3=192, ch5x5=96),
            "bottleneck": arithmetic.inception_macs(256, 28, 28, ch1x1=128, ch3x3red=64, ch3x3=192,
                                                    ch5x5red=64, ch5x5=96, pool_proj=64)}
