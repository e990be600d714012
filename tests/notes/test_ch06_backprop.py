"""Tests for cnnlab/notes/ch06_backprop.py: the notes' backpropagation step, exact and as printed.

Where the notes round or err, a test pins the exact float64 value and says so in its name;
ch06.NOTES_BACKPROP keeps what the notes print.
"""

import numpy as np
import pytest

from cnnlab.notes import ch06_backprop as ch06

EXACT = dict(rtol=1e-12, atol=1e-15)


# -- backpropagation by hand --------------------------------------------------------------------------

BACKPROP_EXACT = {
    "net_hidden": [7.0, -5.0],
    "o_hidden": [0.9990889488055994, 0.00669285092428485],
    "net_output": [1.099667128778588, 3.1050063768787717],
    "o_output": [0.7501977303589019, 0.957098781483101],
    "delta_output": [0.04681321904489758, -0.039299149733332706],
    "delta_hidden": [-6.401842535619517e-05, -0.00027455598689778496],
    "dw_output": [[0.004677056980577299, 3.133138963533919e-05], [-0.003926334619602923, -2.6302335061634454e-05]],
    "w_output_new": [[1.1046770569805773, 0.10003133138963534], [3.096073665380397, 1.1699736976649382]],
    "dw_hidden": [[-6.401842535619517e-05, -0.00019205527606858553, -0.00012803685071239034],
                  [-0.00027455598689778496, -0.0008236679606933549, -0.0005491119737955699]],
    "w_hidden_new": [[0.19993598157464382, -0.10019205527606859, 0.39987196314928763],
                     [0.6997254440131022, -1.2008236679606934, 1.1994508880262045]],
}


@pytest.mark.parametrize("name", list(BACKPROP_EXACT))
def test_backprop_example_exact_values(name):
    np.testing.assert_allclose(getattr(ch06.backprop_example(), name), BACKPROP_EXACT[name], **EXACT)


def test_backprop_example_matches_autograd():
    """delta_j = -dE/dnet_j and dw = -eta dE/dw, with E = 1/2 sum (t - o)^2: check with torch autograd."""
    torch = pytest.importorskip("torch")
    ex = ch06.backprop_example()
    w_h = torch.tensor(ch06.BACKPROP_W_HIDDEN, dtype=torch.float64, requires_grad=True)
    w_o = torch.tensor(ch06.BACKPROP_W_OUTPUT, dtype=torch.float64, requires_grad=True)
    x, t = torch.tensor(ch06.BACKPROP_X), torch.tensor(ch06.BACKPROP_T)
    o = torch.sigmoid(w_o @ torch.sigmoid(w_h @ x))
    (0.5 * ((t - o) ** 2).sum()).backward()
    np.testing.assert_allclose(ex.dw_output, -ch06.BACKPROP_ETA * w_o.grad.numpy(), **EXACT)
    np.testing.assert_allclose(ex.dw_hidden, -ch06.BACKPROP_ETA * w_h.grad.numpy(), **EXACT)


def _printed_precision(value):
    """Half a unit in the last digit the notes print (4 decimals -> 5e-5)."""
    from decimal import Decimal
    return 0.5 * 10.0 ** Decimal(repr(value)).as_tuple().exponent


@pytest.mark.parametrize("name, index", [
    ("net_hidden", 0), ("net_hidden", 1), ("o_hidden", 0), ("o_hidden", 1), ("o_output", 1),
    ("delta_hidden", 1),
])
def test_backprop_notes_values_correct_to_printed_digits(name, index):
    printed = ch06.NOTES_BACKPROP[name][index]
    assert abs(getattr(ch06.backprop_example(), name)[index] - printed) <= _printed_precision(printed) + 1e-15


@pytest.mark.parametrize("name, index, exact_rounded", [
    ("net_output", 0, 1.0997),      # the notes compute it from the rounded o_H
    ("net_output", 1, 3.1050),      # same cause
    ("o_output", 0, 0.7502),        # sigmoid of the notes' rounded net_O1 rounds to this too
    ("delta_output", 0, 0.0468),    # the notes use o_O1 rounded to 3 decimals
    ("delta_output", 1, -0.0393),   # the notes use o_O2 rounded to 3 decimals
])
def test_backprop_notes_rounded_intermediate_exact_differs(name, index, exact_rounded):
    printed = ch06.NOTES_BACKPROP[name][index]
    exact = getattr(ch06.backprop_example(), name)[index]
    assert round(exact, 4) == pytest.approx(exact_rounded, abs=1e-12)
    assert abs(exact - printed) > _printed_precision(printed)          # the notes' digit is off
    assert abs(exact - printed) < 1e-3                                 # but only by rounding drift


def test_backprop_notes_delta_h1_rounded_o_h1_gives_10_percent_error():
    # The notes round o_H1 to 3 decimals before computing o (1 - o): that factor is then 10% too
    # large, and so is their delta_H1.
    ex = ch06.backprop_example()
    assert ex.delta_hidden[0] == pytest.approx(-6.401842535619517e-05, rel=1e-12)
    assert ch06.NOTES_BACKPROP["delta_hidden"][0] / ex.delta_hidden[0] == pytest.approx(1.101, abs=1e-3)
    # the notes' own rounded inputs do give their number
    o, d = ch06.NOTES_O_H1_IN_DELTA, ch06.NOTES_BACKPROP["delta_output"]
    theirs = o * (1 - o) * (ch06.BACKPROP_W_OUTPUT[:, 0] @ d)
    assert theirs == pytest.approx(ch06.NOTES_BACKPROP["delta_hidden"][0], abs=5e-8)


def test_backprop_notes_dw_h1_o1_off_by_factor_10_exact_0_004677():
    # Notes' output-weight table, row H1 -> O1: their Delta is eta * delta_O1 * o_H1 / 10 (with their
    # own rounded numbers), and the new weight carries the slip.
    ex = ch06.backprop_example()
    assert ex.dw_output[0, 0] == pytest.approx(0.004677056980577299, rel=1e-12)
    assert ex.w_output_new[0, 0] == pytest.approx(1.1046770569805773, rel=1e-12)
    notes = ch06.NOTES_BACKPROP
    with_their_numbers = ch06.BACKPROP_ETA * notes["delta_output"][0] * notes["o_hidden"][0]
    assert with_their_numbers == pytest.approx(10 * notes["dw_output"][0][0], rel=1e-3)
    assert notes["w_output_new"][0][0] == pytest.approx(ch06.BACKPROP_W_OUTPUT[0, 0] + notes["dw_output"][0][0], abs=1e-12)


def test_backprop_notes_new_w_i2_h1_arithmetic_slip_exact_minus_0_100192():
    # Notes' hidden-weight table, row I2 -> H1: the new weight is the old one plus the I1 row's Delta.
    ex = ch06.backprop_example()
    assert ex.w_hidden_new[0, 1] == pytest.approx(-0.10019205527606859, rel=1e-12)
    notes = ch06.NOTES_BACKPROP
    old = ch06.BACKPROP_W_HIDDEN[0, 1]
    assert notes["w_hidden_new"][0][1] == pytest.approx(old + notes["dw_hidden"][0][0], abs=1e-12)
    assert notes["w_hidden_new"][0][1] != pytest.approx(old + notes["dw_hidden"][0][1], abs=1e-9)


def test_backprop_notes_weight_tables_consistent_with_their_rounded_deltas():
    """Apart from the two slips above, each printed Delta = eta * delta * x and new W = old W + Delta
    hold with the notes' own rounded deltas; the exact Deltas differ from them by < 12% (H1 rows:
    delta_H1's rounding) or < 1% (all others)."""
    notes, ex = ch06.NOTES_BACKPROP, ch06.backprop_example()
    d_o, d_h, o_h = notes["delta_output"], notes["delta_hidden"], notes["o_hidden"]
    for k in range(2):
        for h in range(2):
            printed = notes["dw_output"][k][h]
            if (k, h) != (0, 0):
                assert printed == pytest.approx(ch06.BACKPROP_ETA * d_o[k] * o_h[h], rel=2e-3)
                assert notes["w_output_new"][k][h] == pytest.approx(ch06.BACKPROP_W_OUTPUT[k, h] + printed, abs=1e-9)
                assert printed == pytest.approx(ex.dw_output[k, h], rel=1e-2)
    for h in range(2):
        for i in range(3):
            printed = notes["dw_hidden"][h][i]
            assert printed == pytest.approx(ch06.BACKPROP_ETA * d_h[h] * ch06.BACKPROP_X[i], rel=1e-9)
            if (h, i) != (0, 1):
                assert notes["w_hidden_new"][h][i] == pytest.approx(ch06.BACKPROP_W_HIDDEN[h, i] + printed, abs=1e-9)
            assert printed == pytest.approx(ex.dw_hidden[h, i], rel=0.12 if h == 0 else 1e-2)


def test_backprop_example_bad_input():
    with pytest.raises(ValueError, match=r"backprop_example: need x \(D,\), t \(K,\)"):
        ch06.backprop_example(np.ones(4))


def test_from_printed_reproduces_the_notes_where_they_only_round():
    theirs = ch06.from_printed()
    for name in ("net_output", "delta_output"):
        np.testing.assert_allclose(theirs[name], ch06.NOTES_BACKPROP[name], atol=5e-4)


def test_mitchell_case_2_sign_slip_gives_the_negated_hidden_deltas():
    ex = ch06.backprop_example()
    np.testing.assert_allclose(ch06.mitchell_case2_delta_hidden(), -ex.delta_hidden, **EXACT)
    assert np.all(ex.delta_hidden < 0)                 # the right ones, as the notes' table prints
