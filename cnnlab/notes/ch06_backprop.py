"""Chapter 6, backpropagation: the notes' one step of backpropagation by hand.

Notes 002 ("Generic features"), "Examples" slides: 3 inputs, 2 sigmoid hidden units H1, H2 and 2
sigmoid outputs O1, O2, no biases, E = 1/2 sum_k (t_k - o_k)^2, x = (10, 30, 20), t = (1, 0),
eta = 0.1, Mitchell's convention delta_j = -dE/dnet_j and dw_ji = eta delta_j x_ji. The same notes'
"Equations" slides derive the deltas (case 1: output layer, case 2: hidden layer).
``NOTES_BACKPROP`` keeps every number the notes print; ``backprop_example`` computes them exactly.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab.functional.activations import sigmoid
from .errata import Erratum

__all__ = ["BACKPROP_X", "BACKPROP_T", "BACKPROP_ETA", "BACKPROP_W_HIDDEN", "BACKPROP_W_OUTPUT",
           "NOTES_BACKPROP", "NOTES_O_H1_IN_DELTA", "BackpropExample", "backprop_example", "from_printed",
           "mitchell_case2_delta_hidden", "ERRATA"]

BACKPROP_X = np.array([10.0, 30.0, 20.0])
BACKPROP_T = np.array([1.0, 0.0])
BACKPROP_ETA = 0.1
BACKPROP_W_HIDDEN = np.array([[0.2, -0.1, 0.4],     # H1 <- I1, I2, I3
                              [0.7, -1.2, 1.2]])    # H2 <- I1, I2, I3
BACKPROP_W_OUTPUT = np.array([[1.1, 0.1],           # O1 <- H1, H2
                              [3.1, 1.17]])         # O2 <- H1, H2

# What the notes print (rounded as printed). They carry the rounded o_H = (0.999, 0.0067) and
# o_O = (0.750, 0.957) forward; see ERRATA for the two slips.
NOTES_BACKPROP = {
    "net_hidden": [7.0, -5.0], "o_hidden": [0.9990, 0.0067],
    "net_output": [1.0996, 3.1047], "o_output": [0.7501, 0.9571],
    "delta_output": [0.0469, -0.0394], "delta_hidden": [-0.0000705, -0.000275],
    "dw_output": [[0.000469, 0.0000314], [-0.00394, -0.0000264]],          # rows O1, O2; columns H1, H2
    "w_output_new": [[1.100469, 0.1000314], [3.09606, 1.1699736]],
    "dw_hidden": [[-0.0000705, -0.0002115, -0.000141], [-0.000275, -0.000825, -0.00055]],
    "w_hidden_new": [[0.1999295, -0.1000705, 0.399859], [0.699725, -1.200825, 1.19945]],
}
# o_H1 as the notes use it inside their delta_H1 line ("0.999(1 - 0.999)[...]").
NOTES_O_H1_IN_DELTA = 0.999


class BackpropExample(NamedTuple):
    """Every quantity of one backpropagation step (shapes for the notes' 3-2-2 network)."""

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


def from_printed() -> dict[str, np.ndarray]:
    """The notes' formulas applied to the notes' own printed (rounded) numbers, step by step.

    A printed value that equals this (but not the exact value) is inherited rounding; one that
    equals neither is a slip.
    """
    n = {k: np.array(v, dtype=np.float64) for k, v in NOTES_BACKPROP.items()}
    w_h, w_o, x, t, eta = BACKPROP_W_HIDDEN, BACKPROP_W_OUTPUT, BACKPROP_X, BACKPROP_T, BACKPROP_ETA
    out = {"net_hidden": w_h @ x, "o_hidden": sigmoid(n["net_hidden"]), "net_output": w_o @ n["o_hidden"],
           "o_output": sigmoid(n["net_output"]),
           "delta_output": n["o_output"] * (1 - n["o_output"]) * (t - n["o_output"]),
           "delta_hidden": n["o_hidden"] * (1 - n["o_hidden"]) * (w_o.T @ n["delta_output"]),
           "dw_output": eta * np.outer(n["delta_output"], n["o_hidden"]),
           "dw_hidden": eta * np.outer(n["delta_hidden"], x)}
    out["w_output_new"] = w_o + out["dw_output"]
    out["w_hidden_new"] = w_h + out["dw_hidden"]
    return out


def mitchell_case2_delta_hidden() -> np.ndarray:
    """The hidden deltas by the notes' last line of case 2, delta_j = o_j (1 - o_j) sum_k (-delta_k) w_kj
    (the minus sign is the slip): exactly the negative of the right deltas. (2,)."""
    ex = backprop_example()
    return ex.o_hidden * (1 - ex.o_hidden) * (BACKPROP_W_OUTPUT.T @ -ex.delta_output)


def _printed(v: float) -> str:
    """A notes' number with exactly the digits the notes print (no exponent)."""
    return f"{v:.10f}".rstrip("0").rstrip(".")


def _dw_h1_o1() -> str:
    ex = backprop_example()
    return f"Δw = {ex.dw_output[0, 0]:.7f}, new w = {ex.w_output_new[0, 0]:.7f}"


def _w_i2_h1() -> str:
    return f"{backprop_example().w_hidden_new[0, 1]:.7f}"


def _delta_h1() -> str:
    ex = backprop_example()
    return f"{ex.delta_hidden[0]:.7f} (o_H1 = {ex.o_hidden[0]:.6f})"


def _case2() -> str:
    ex = backprop_example()
    wrong = mitchell_case2_delta_hidden()
    return (f"δ_j = o_j(1 − o_j) Σ_k δ_k w_kj: δ_H1 = {ex.delta_hidden[0]:.4e}; "
            f"with the extra minus sign {wrong[0]:.4e}")


ERRATA = (
    Erratum("erratum-backprop-dw-h1-o1", "06_backprop", "notes 002, step 4, hidden → output table, row H1 → O1",
            "weight update and new weight", f"Δw = {_printed(NOTES_BACKPROP['dw_output'][0][0])}, "
            f"new w = {_printed(NOTES_BACKPROP['w_output_new'][0][0])} (a factor of 10 lost)", _dw_h1_o1),
    Erratum("erratum-backprop-w-i2-h1", "06_backprop", "notes 002, step 4, input → hidden table, row I2 → H1",
            "new weight", f"{_printed(NOTES_BACKPROP['w_hidden_new'][0][1])} (the I1 row's update added)", _w_i2_h1),
    Erratum("erratum-backprop-delta-h1", "06_backprop", "notes 002, step 3, δ_H1",
            "hidden delta", f"{_printed(NOTES_BACKPROP['delta_hidden'][0])} (o_H1 rounded to {NOTES_O_H1_IN_DELTA} first)",
            _delta_h1, "rounded"),
    Erratum("erratum-backprop-table-label", "06_backprop", "notes 002, step 4, input → hidden table heading",
            "the delta in the update", "Δ = η δ_O x_ji", lambda: "Δ = η δ_H x_ji (the table's numbers use δ_H)"),
    Erratum("erratum-backprop-dx-sum", "06_backprop", "notes 000, \"Neural Network\" backward slide, last line",
            "the gradient with respect to an input", "dJ/dx_i = (dJ/da_j)(da_j/dx_i), da_j/dx_i = Σ_j α_ji",
            lambda: "dJ/dx_i = Σ_j (dJ/da_j) α_ji: the local derivative da_j/dx_i is α_ji, the sum is over the products"),
    Erratum("erratum-mitchell-case2", "06_backprop", "notes 002, \"Equations\", case 2 (hidden layer), last line",
            "the hidden delta", "δ_j = o_j(1 − o_j) Σ_k −δ_k w_kj", _case2),
)
