"""Every worked number in the lecture notes, computed by the library and pinned.

Where the notes round or err, the test pins the exact float64 value and says so in its name and a
comment; cnnlab.worked.NOTES_BACKPROP keeps what the notes print.
"""

import math

import numpy as np
import pytest

from cnnlab import worked
from cnnlab.autodiff import Dual, derivative
from cnnlab.functional.conv import conv2d_backward, conv2d_forward
from cnnlab.functional.pooling import max_pool2d_backward, max_pool2d_forward

EXACT = dict(rtol=1e-12, atol=1e-15)


# -- softmax -----------------------------------------------------------------------------------------

def test_softmax_of_2_4_2_1_against_plain_normalisation():
    ex = worked.softmax_example()
    np.testing.assert_array_equal(ex.argmax, [0, 1, 0, 0])
    np.testing.assert_allclose(ex.normalised, [2 / 9, 4 / 9, 2 / 9, 1 / 9], **EXACT)
    # notes: [0.2222, 0.4444, 0.2222, 0.1111] and [0.1025, 0.7573, 0.1025, 0.0377] (4 decimals, correct)
    np.testing.assert_allclose(ex.normalised, [0.2222, 0.4444, 0.2222, 0.1111], atol=5e-5)
    np.testing.assert_allclose(ex.softmax, [0.1025, 0.7573, 0.1025, 0.0377], atol=5e-5)
    e = np.exp([2.0, 4.0, 2.0, 1.0])
    np.testing.assert_allclose(ex.softmax, e / e.sum(), **EXACT)
    np.testing.assert_allclose(ex.softmax, [0.10249119673793974, 0.7573132023431748, 0.10249119673793974,
                                            0.03770440418094562], **EXACT)
    assert ex.softmax[1] > ex.normalised[1]          # closer to the argmax


def test_softmax_example_bad_input():
    with pytest.raises(ValueError, match=r"softmax_example: scores must be a non-empty \(K,\) array"):
        worked.softmax_example(np.ones((2, 2)))


# -- chain rule ---------------------------------------------------------------------------------------

def test_chain_rule_x_plus_y_times_z():
    ex = worked.chain_rule_example()
    assert ex == (3.0, -12.0, -4.0, -4.0, -4.0, 3.0)   # q, f, df/dq, df/dx, df/dy, df/dz
    assert worked.chain_rule_example(1.0, 2.0, 3.0) == (3.0, 9.0, 3.0, 3.0, 3.0, 3.0)


@pytest.mark.parametrize("x", [1.0, -0.5, 2.0])
def test_cos_sin_example_table_reverse_dual_finite_difference_symbolic(x):
    ex = worked.cos_sin_example(x)
    assert (ex.t, ex.u2) == (x * x, 3 * x * x)
    assert ex.u1 == math.sin(x * x) and ex.u == ex.u1 + ex.u2 and ex.J == math.cos(ex.u)
    assert ex.dJ_du == -math.sin(ex.u) and ex.dJ_du1 == ex.dJ_du2 == ex.dJ_du
    assert ex.dJ_dt == pytest.approx(ex.dJ_du1 * math.cos(ex.t) + ex.dJ_du2 * 3, rel=1e-15)
    assert ex.dJ_dx == pytest.approx(ex.dJ_dt * 2 * x, rel=1e-15)
    J = _J
    h = 1e-6
    symbolic = worked.cos_sin_derivative(x)
    assert ex.dJ_dx == pytest.approx(symbolic, rel=1e-12)
    assert derivative(_J, x) == pytest.approx(symbolic, rel=1e-12)
    assert (J(x + h) - J(x - h)) / (2 * h) == pytest.approx(symbolic, rel=1e-7)


def _J(v):
    from cnnlab.autodiff import cos, sin
    return cos(sin(v ** 2) + 3 * v ** 2)


def test_cos_sin_example_pinned_at_x_1():
    ex = worked.cos_sin_example(1.0)
    assert ex.J == pytest.approx(-0.7649205628044862, rel=1e-14)
    assert ex.dJ_dx == pytest.approx(4.560791790678778, rel=1e-14)
    assert isinstance(_J(Dual(1.0, 1.0)), Dual)


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
    np.testing.assert_allclose(getattr(worked.backprop_example(), name), BACKPROP_EXACT[name], **EXACT)


def test_backprop_example_matches_autograd():
    """delta_j = -dE/dnet_j and dw = -eta dE/dw, with E = 1/2 sum (t - o)^2: check with torch autograd."""
    torch = pytest.importorskip("torch")
    ex = worked.backprop_example()
    w_h = torch.tensor(worked.BACKPROP_W_HIDDEN, dtype=torch.float64, requires_grad=True)
    w_o = torch.tensor(worked.BACKPROP_W_OUTPUT, dtype=torch.float64, requires_grad=True)
    x, t = torch.tensor(worked.BACKPROP_X), torch.tensor(worked.BACKPROP_T)
    o = torch.sigmoid(w_o @ torch.sigmoid(w_h @ x))
    (0.5 * ((t - o) ** 2).sum()).backward()
    np.testing.assert_allclose(ex.dw_output, -0.1 * w_o.grad.numpy(), **EXACT)
    np.testing.assert_allclose(ex.dw_hidden, -0.1 * w_h.grad.numpy(), **EXACT)


def _printed_precision(value):
    """Half a unit in the last digit the notes print (0.0469 -> 5e-5)."""
    from decimal import Decimal
    return 0.5 * 10.0 ** Decimal(repr(value)).as_tuple().exponent


@pytest.mark.parametrize("name, index", [
    ("net_hidden", 0), ("net_hidden", 1), ("o_hidden", 0), ("o_hidden", 1), ("o_output", 1),
    ("delta_hidden", 1),
])
def test_backprop_notes_values_correct_to_printed_digits(name, index):
    printed = worked.NOTES_BACKPROP[name][index]
    assert abs(getattr(worked.backprop_example(), name)[index] - printed) <= _printed_precision(printed) + 1e-15


@pytest.mark.parametrize("name, index, exact_rounded", [
    ("net_output", 0, 1.0997),      # notes 1.0996: computed from the rounded o_H (0.9990, 0.0067)
    ("net_output", 1, 3.1050),      # notes 3.1047: same cause
    ("o_output", 0, 0.7502),        # notes 0.7501 (sigmoid(1.0996) = 0.75019 rounds to 0.7502 too)
    ("delta_output", 0, 0.0468),    # notes 0.0469: from o_O1 rounded to 0.750
    ("delta_output", 1, -0.0393),   # notes -0.0394: from o_O2 rounded to 0.957
])
def test_backprop_notes_rounded_intermediate_exact_differs(name, index, exact_rounded):
    printed = worked.NOTES_BACKPROP[name][index]
    exact = getattr(worked.backprop_example(), name)[index]
    assert round(exact, 4) == pytest.approx(exact_rounded, abs=1e-12)
    assert abs(exact - printed) > _printed_precision(printed)          # the notes' digit is off
    assert abs(exact - printed) < 1e-3                                 # but only by rounding drift


def test_backprop_notes_delta_h1_rounded_o_h1_gives_10_percent_error():
    # Notes: delta_H1 = 0.999 (1 - 0.999) [...] = -0.0000705. With o_H1 = 0.99908895 the factor
    # o(1 - o) is 0.000910, not 0.000999: exact delta_H1 = -0.0000640184 (10% smaller in size).
    ex = worked.backprop_example()
    assert ex.delta_hidden[0] == pytest.approx(-6.401842535619517e-05, rel=1e-12)
    assert worked.NOTES_BACKPROP["delta_hidden"][0] / ex.delta_hidden[0] == pytest.approx(1.101, abs=1e-3)
    # the notes' own rounded inputs do give their number
    assert 0.999 * (1 - 0.999) * (1.1 * 0.0469 + 3.1 * -0.0394) == pytest.approx(-0.0000705, abs=5e-8)


def test_backprop_notes_dw_h1_o1_off_by_factor_10_exact_0_004677():
    # Notes' output-weight table, row H1 -> O1: Delta = 0.000469, new W = 1.100469. But
    # 0.1 * 0.0469 * 0.999 = 0.00469 (with their rounded numbers); exact 0.0046770570, new W 1.1046770570.
    ex = worked.backprop_example()
    assert ex.dw_output[0, 0] == pytest.approx(0.004677056980577299, rel=1e-12)
    assert ex.w_output_new[0, 0] == pytest.approx(1.1046770569805773, rel=1e-12)
    assert 0.1 * 0.0469 * 0.999 == pytest.approx(10 * worked.NOTES_BACKPROP["dw_output"][0][0], rel=1e-3)
    assert worked.NOTES_BACKPROP["w_output_new"][0][0] == 1.100469


def test_backprop_notes_new_w_i2_h1_arithmetic_slip_exact_minus_0_100192():
    # Notes' hidden-weight table, row I2 -> H1: Delta = -0.0002115 but new W = -0.1000705, which is
    # -0.1 plus the I1 row's Delta. With their Delta it would be -0.1002115; exact -0.1001920553.
    ex = worked.backprop_example()
    assert ex.w_hidden_new[0, 1] == pytest.approx(-0.10019205527606859, rel=1e-12)
    notes = worked.NOTES_BACKPROP
    assert notes["w_hidden_new"][0][1] == pytest.approx(-0.1 + notes["dw_hidden"][0][0], abs=1e-12)
    assert notes["w_hidden_new"][0][1] != pytest.approx(-0.1 + notes["dw_hidden"][0][1], abs=1e-9)


def test_backprop_notes_weight_tables_consistent_with_their_rounded_deltas():
    """Apart from the two slips above, each printed Delta = eta * delta * x and new W = old W + Delta
    hold with the notes' own rounded deltas; the exact Deltas differ from them by < 12% (H1 rows:
    delta_H1's rounding) or < 1% (all others)."""
    notes, ex = worked.NOTES_BACKPROP, worked.backprop_example()
    d_o, d_h, o_h = notes["delta_output"], notes["delta_hidden"], notes["o_hidden"]
    for k in range(2):
        for h in range(2):
            printed = notes["dw_output"][k][h]
            if (k, h) != (0, 0):
                assert printed == pytest.approx(0.1 * d_o[k] * o_h[h], rel=2e-3)
                assert notes["w_output_new"][k][h] == pytest.approx(worked.BACKPROP_W_OUTPUT[k, h] + printed, abs=1e-9)
                assert printed == pytest.approx(ex.dw_output[k, h], rel=1e-2)
    for h in range(2):
        for i in range(3):
            printed = notes["dw_hidden"][h][i]
            assert printed == pytest.approx(0.1 * d_h[h] * worked.BACKPROP_X[i], rel=1e-9)
            if (h, i) != (0, 1):
                assert notes["w_hidden_new"][h][i] == pytest.approx(worked.BACKPROP_W_HIDDEN[h, i] + printed, abs=1e-9)
            assert printed == pytest.approx(ex.dw_hidden[h, i], rel=0.12 if h == 0 else 1e-2)


def test_backprop_example_bad_input():
    with pytest.raises(ValueError, match=r"backprop_example: need x \(D,\), t \(K,\)"):
        worked.backprop_example(np.ones(4))


# -- convolution and pooling --------------------------------------------------------------------------

def test_edge_filter_6x6_stride_1():
    out = worked.edge_filter_example()
    # the six windows the notes write out as sums of products
    assert (out[0, 0], out[0, 1], out[0, 2], out[0, 3], out[1, 1], out[3, 3]) == (-5, -4, 3, 5, -2, -16)
    np.testing.assert_array_equal(out, [[-5, -4, 3, 5], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]])


def test_stride_2_on_7x7_gives_3x3():
    out = worked.stride2_example()
    assert out.shape == (3, 3)
    # the four windows the notes write out (their products listed column by column):
    # (rows 0-2, cols 0-2), (0-2, 2-4), (0-2, 4-6), (2-4, 0-2)
    assert (out[0, 0], out[0, 1], out[0, 2], out[1, 0]) == (91, 100, 88, 69)
    assert 2 * 3 + 6 * 1 + 3 * -1 + 3 * 4 + 6 * 0 + 4 * 0 + 7 * 4 + 9 * 2 + 8 * 3 == 91
    assert np.isnan(out).sum() == 5


def test_volume_5x5x3_with_bias_minus_3():
    np.testing.assert_array_equal(worked.volume_example(), [[12, 4, 7], [11, 8, 14], [10, 0, 16]])


def test_rgb_example_sums_to_minus_25():
    ex = worked.rgb_example()
    np.testing.assert_array_equal(ex.per_channel, [308, -498, 164])
    assert ex.output == -25 == ex.per_channel.sum() + worked.RGB_B


def test_maxpool_6x6_and_its_gradient_routing():
    np.testing.assert_array_equal(worked.maxpool_example(), [[2, 5, 4], [5, 5, 4], [3, 4, 5]])
    out, cache = max_pool2d_forward(worked.MAXPOOL_X[None, None], kernel_size=2, stride=2)
    dx = max_pool2d_backward(np.arange(1.0, 10.0).reshape(1, 1, 3, 3), cache)[0, 0]
    # each window's gradient goes to its maximum only (ties: the first in row-major order)
    assert np.count_nonzero(dx) == 9 and dx.sum() == 45
    assert dx[0, 0] == 1 and dx[1, 2] == 2 and dx[2, 1] == 4 and dx[4, 1] == 7 and dx[4, 4] == 9


def _symbols_example():
    x = np.array([[1.0, 2.0, -1.0], [0.5, 3.0, 2.0], [-2.0, 1.0, 4.0]])
    f = np.array([[1.0, -1.0], [2.0, 0.5]])
    dout = np.array([[0.1, -0.2], [0.3, 0.4]])
    return x, f, dout


def test_conv_backward_3x3_input_2x2_filter_notes_formulas():
    x, f, d = _symbols_example()
    ex = worked.conv_backward_example(x, f, d)
    X = lambda i, j: x[i - 1, j - 1]
    F = lambda i, j: f[i - 1, j - 1]
    O = lambda i, j: d[i - 1, j - 1]
    assert ex.out[0, 0] == pytest.approx(F(1, 1) * X(1, 1) + F(1, 2) * X(1, 2) + F(2, 1) * X(2, 1) + F(2, 2) * X(2, 2))
    # dE/dF11 = dO11 X11 + dO12 X12 + dO21 X21 + dO22 X22, and so on
    for a in (1, 2):
        for b in (1, 2):
            expected = sum(O(i, j) * X(i + a - 1, j + b - 1) for i in (1, 2) for j in (1, 2))
            assert ex.dF[a - 1, b - 1] == pytest.approx(expected, rel=1e-14)
    # the notes' dX list, e.g. dX22 = F22 dO11 + F21 dO12 + F12 dO21 + F11 dO22, dX13 = F12 dO12
    assert ex.dX[1, 1] == pytest.approx(F(2, 2) * O(1, 1) + F(2, 1) * O(1, 2) + F(1, 2) * O(2, 1) + F(1, 1) * O(2, 2))
    assert ex.dX[0, 2] == pytest.approx(F(1, 2) * O(1, 2))
    assert ex.dX[1, 0] == pytest.approx(F(2, 1) * O(1, 1) + F(1, 1) * O(2, 1))
    assert ex.dX[2, 2] == pytest.approx(F(2, 2) * O(2, 2))


@pytest.mark.parametrize("shapes", [((3, 3), (2, 2)), ((5, 4), (3, 2))])
def test_conv_backward_convolutions_match_conv2d_backward(shapes, rng):
    """dF = X (valid-conv) dO and dX = full convolution of dO with the filter rotated 180 degrees."""
    (h, w), (kh, kw) = shapes
    x, f = rng.normal(size=(h, w)), rng.normal(size=(kh, kw))
    d = rng.normal(size=(h - kh + 1, w - kw + 1))
    ex = worked.conv_backward_example(x, f, d)
    out, cache = conv2d_forward(x[None, None], f[None, None])
    dx, dw, db = conv2d_backward(d[None, None], cache)
    np.testing.assert_allclose(ex.out, out[0, 0], **EXACT)
    np.testing.assert_allclose(ex.dF, dw[0, 0], **EXACT)
    np.testing.assert_allclose(ex.dX, dx[0, 0], **EXACT)
    assert db is None


def test_conv_backward_example_bad_input():
    with pytest.raises(ValueError, match=r"conv_backward_example: need x \(H, W\)"):
        worked.conv_backward_example(np.ones((3, 3)), np.ones((2, 2)), np.ones((3, 3)))


# -- counting ---------------------------------------------------------------------------------------

def test_depthwise_separable_multiplication_counts():
    assert worked.depthwise_separable_example() == {
        "standard": 256 * 3 * 5 * 5 * 8 * 8, "depthwise": 3 * 5 * 5 * 8 * 8,
        "pointwise": 256 * 1 * 1 * 3 * 8 * 8, "separable": 53_952}
    assert worked.depthwise_separable_example()["standard"] == 1_228_800


def test_fully_vs_locally_connected_vs_shared_weight_parameter_counts():
    # notes: 32^2 (32^2 + 1) ~ 1M; 30^2 (3^2 + 1) = 9k; 30^2 (3 * 3^2 + 1) ~ 25k; 3 * 3^2 + 1 = 28; 4 * 28 = 112
    assert worked.parameter_sharing_example() == {
        "fully_connected": 1_049_600, "locally_connected": 9_000, "locally_connected_rgb": 25_200,
        "shared": 28, "shared_4_filters": 112}


def test_inception_ops_naive_854M_and_bottleneck_exact_271M_not_notes_353M():
    # The notes print 353M for the bottleneck version (and list one conv as 28x28x96x5x5x264, a typo
    # for x64); the six convolutions they list sum to 271,351,808 multiply-accumulates.
    assert worked.inception_example() == {"naive": 854_196_224, "bottleneck": 271_351_808}
