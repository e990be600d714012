"""Chapter 9, backpropagation through convolution: the notes' 3x3 input, 2x2 filter derivation.

Notes 004, "Backpropagation in CNN": O = X * F (valid), dE/dF = X * dE/dO, and the nine dE/dX_ij
written out; they end with dE/dX = full convolution of dE/dO with F rotated by 180 degrees. Their
dE/dX23 line has F11 where F12 belongs (and the dE/dX22 line writes f12 for F12).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab.functional.conv import conv2d
from .errata import Erratum

__all__ = ["ConvBackwardExample", "conv_backward_example", "NOTES_DX23", "notes_dx23", "ERRATA"]

# The notes' dE/dX23 as printed: (dO index, F index) pairs, dO11*0 + dO12*F22 + dO21*0 + dO22*F11.
NOTES_DX23 = (((1, 2), (2, 2)), ((2, 2), (1, 1)))


class ConvBackwardExample(NamedTuple):
    """O = X * F (valid), dF (valid correlation of X with dO) and dX (full convolution with rot180 F)."""

    out: np.ndarray
    dF: np.ndarray
    dX: np.ndarray


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


def notes_dx23(f: np.ndarray, dout: np.ndarray) -> float:
    """dE/dX23 by the notes' printed formula, for f: (2, 2) and dout: (2, 2) (1-based indices)."""
    f, dout = np.asarray(f, dtype=np.float64), np.asarray(dout, dtype=np.float64)
    return float(sum(dout[o[0] - 1, o[1] - 1] * f[w[0] - 1, w[1] - 1] for o, w in NOTES_DX23))


def _dx23() -> str:
    # Label each filter entry by its index (F11 = 11, ...) and send a unit gradient from each output
    # in turn: the entry of dX23 names the filter weight that multiplies that output's gradient.
    f = np.array([[11.0, 12.0], [21.0, 22.0]])
    terms = []
    for i in range(2):
        for j in range(2):
            d = np.zeros((2, 2))
            d[i, j] = 1.0
            w = conv_backward_example(np.zeros((3, 3)), f, d).dX[1, 2]
            if w:
                terms.append(f"δO{i + 1}{j + 1}·F{int(w)}")
    return "∂E/∂X23 = " + " + ".join(terms)


ERRATA = (
    Erratum("erratum-dx23", "09_conv_backprop", "notes 004, backpropagation in CNN, the list of ∂E/∂X_ij",
            "∂E/∂X23", "∂E/∂X23 = " + " + ".join(f"δO{o[0]}{o[1]}·F{w[0]}{w[1]}" for o, w in NOTES_DX23), _dx23),
)
