"""Chapter 7, convolution: the notes' convolution examples and counts.

- notes 004, "2D convolution": the 6x6 matrix M and the vertical-edge filter F (stride 1), and a
  7x7 M with a 3x3 F at stride 2, of which only four windows are shown (as sums of products);
- notes 003, "Convolutional layer": the 5x5x3 input volume, one 3x3x3 filter and b = -3;
- notes 004, "RGB": the top-left corner of a zero-padded photograph, one 3x3 kernel per channel,
  per-channel sums 308, -498, 164 and bias 1;
- notes 003, "From fully connected to convolutional": the parameter counts, rounded to 1M, 9k, 25k;
- notes 000, "Depthwise separable convolution": 12x12x3 -> 8x8x256 with 5x5 kernels;
- notes 002, "Output size": "Depths will be equal", and the 28x28x3 input with 100 3x3 filters.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab import arithmetic
from cnnlab.functional.conv import conv2d
from .errata import Erratum

__all__ = ["EDGE_M", "EDGE_F", "NOTES_EDGE_SUMS", "edge_filter_example", "STRIDE2_M", "STRIDE2_F",
           "NOTES_STRIDE2_SUMS", "stride2_example", "VOLUME_X", "VOLUME_W", "VOLUME_B", "NOTES_VOLUME",
           "volume_example", "RGB_X", "RGB_W", "RGB_B", "NOTES_RGB_PER_CHANNEL", "NOTES_RGB_OUTPUT",
           "RGBExample", "rgb_example", "NOTES_PARAMETER_SHARING", "parameter_sharing_example",
           "DEPTHWISE", "NOTES_DEPTHWISE", "depthwise_separable_example", "DEPTH_EXAMPLE",
           "depth_example", "ERRATA"]

EDGE_M = np.array([[3, 0, 1, 2, 4, 7],
                   [1, 5, 8, 9, 3, 1],
                   [2, 7, 2, 5, 1, 3],
                   [0, 1, 3, 1, 7, 8],
                   [4, 2, 1, 6, 2, 8],
                   [2, 4, 5, 2, 3, 9]], dtype=np.float64)
EDGE_F = np.array([[1, 0, -1]] * 3, dtype=np.float64)
# The windows the notes spell out as sums of products, {(row, col) of the output: value}.
NOTES_EDGE_SUMS = {(0, 0): -5, (0, 1): -4, (0, 2): 3, (0, 3): 5, (1, 1): -2, (3, 3): -16}


def edge_filter_example() -> np.ndarray:
    """The 6x6 matrix M convolved (cross-correlated) with the vertical-edge filter F at stride 1: (4, 4)."""
    return conv2d(EDGE_M[None, None], EDGE_F[None, None])[0, 0]


# The notes show only four windows of their 7x7 matrix, as products listed column by column (as in
# the 6x6 example, where the filter's column of 1s comes first); the entries those windows reveal
# are here, the rest are NaN (unknown).
_U = np.nan
STRIDE2_M = np.array([[2, 3, 7, 4, 6, 2, 9],
                      [6, 6, 9, 8, 7, 4, 3],
                      [3, 4, 8, 3, 8, 9, 7],
                      [7, 8, 3, _U, _U, _U, _U],
                      [4, 2, 1, _U, _U, _U, _U],
                      [_U, _U, _U, _U, _U, _U, _U],
                      [_U, _U, _U, _U, _U, _U, _U]], dtype=np.float64)
STRIDE2_F = np.array([[3, 4, 4], [1, 0, 2], [-1, 0, 3]], dtype=np.float64)
NOTES_STRIDE2_SUMS = {(0, 0): 91, (0, 1): 100, (0, 2): 88, (1, 0): 69}


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
NOTES_VOLUME = np.array([[12, 4, 7], [11, 8, 14], [10, 0, 16]], dtype=np.float64)


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
NOTES_RGB_PER_CHANNEL = np.array([308.0, -498.0, 164.0])
NOTES_RGB_OUTPUT = -25.0


class RGBExample(NamedTuple):
    """Each channel's contribution (3,) to the top-left output, and that output (their sum plus the bias)."""

    per_channel: np.ndarray
    output: float


def rgb_example() -> RGBExample:
    """Top-left output of the 3-channel filter with padding 1, and its three per-channel parts."""
    parts = np.array([conv2d(RGB_X[None, c:c + 1], RGB_W[None, c:c + 1], padding=1)[0, 0, 0, 0] for c in range(3)])
    full = conv2d(RGB_X[None], RGB_W[None], np.array([RGB_B]), padding=1)[0, 0, 0, 0]
    return RGBExample(parts, float(full))


# The notes' counts, as printed: 32^2 (32^2 + 1) ~ 1M, 30^2 (3^2 + 1) = 9k, 30^2 (3 * 3^2 + 1) ~ 25k.
NOTES_PARAMETER_SHARING = {"fully_connected": "1M", "locally_connected": "9k", "locally_connected_rgb": "25k"}


def parameter_sharing_example() -> dict[str, int]:
    """32x32 image -> 32x32 features: fully connected vs locally connected (3x3 fields) vs shared weights."""
    return {"fully_connected": arithmetic.fully_connected_params(32 * 32, 32 * 32),
            "locally_connected": arithmetic.locally_connected_params(1, 1, 3, 32, 32),
            "locally_connected_rgb": arithmetic.locally_connected_params(3, 1, 3, 32, 32),
            "shared": arithmetic.shared_weight_params(3, 1, 3),
            "shared_4_filters": arithmetic.shared_weight_params(3, 4, 3)}


# (C_in, C_out, kernel, out_h, out_w): 12x12x3 -> 8x8x256 with 5x5 kernels.
DEPTHWISE = (3, 256, 5, 8, 8)
NOTES_DEPTHWISE = {"standard": 1_228_800, "depthwise": 4_800, "pointwise": 49_152, "separable": 53_952}


def depthwise_separable_example() -> dict[str, int]:
    """Multiplications of the standard and the depthwise separable convolution of the notes' example."""
    c_in, c_out, k, h, w = DEPTHWISE
    return {"standard": arithmetic.conv_macs(c_in, c_out, k, h, w),
            "depthwise": arithmetic.conv_macs(c_in, c_in, k, h, w, groups=c_in),
            "pointwise": arithmetic.conv_macs(c_in, c_out, 1, h, w),
            "separable": arithmetic.depthwise_separable_macs(c_in, c_out, k, h, w)}


# (H, W, C_in, number of filters, kernel): 28x28x3, 100 filters of 3x3, stride 1.
DEPTH_EXAMPLE = (28, 28, 3, 100, 3)


def depth_example() -> tuple[int, int, int]:
    """The output volume (H', W', D') of the notes' 28x28x3 input under 100 3x3 filters, stride 1, padding 1.

    D' is the number of filters, not the input depth."""
    h, w, c, d, k = DEPTH_EXAMPLE
    out = conv2d(np.zeros((1, c, h, w)), np.zeros((d, c, k, k)), padding=arithmetic.same_padding(k))
    return out.shape[2], out.shape[3], out.shape[1]


_ROUNDED = ("fully_connected", "locally_connected_rgb")     # 9k is exact (9,000)


def _counts() -> str:
    ex = parameter_sharing_example()
    return ", ".join(f"{ex[k]:,}" for k in _ROUNDED)


def _depth() -> str:
    h, w, d = depth_example()
    c = DEPTH_EXAMPLE[2]
    return f"D₂ = number of filters: {h}x{w}x{c} in, {h}x{w}x{d} out"


ERRATA = (
    Erratum("erratum-parameter-sharing", "07_convolution", "notes 003, from fully connected to convolutional",
            "parameters: fully connected; locally connected with 3 channels",
            ", ".join(NOTES_PARAMETER_SHARING[k] for k in _ROUNDED), _counts, "rounded"),
    Erratum("erratum-depths-equal", "07_convolution", "notes 002, \"Output size\" of a conv layer",
            "output depth D₂", "\"Depths will be equal\" (D₂ = D₁)", _depth),
)
