"""Tests for cnnlab/notes/ch07_convolution.py: the notes' convolution examples against their printed sums."""

import numpy as np
import pytest

from cnnlab import arithmetic
from cnnlab.notes import ch07_convolution as ch07


def test_edge_filter_6x6_stride_1_gives_the_sums_the_notes_spell_out():
    out = ch07.edge_filter_example()
    assert out.shape == (4, 4)
    for (i, j), printed in ch07.NOTES_EDGE_SUMS.items():
        assert out[i, j] == printed
    # the top-left window written out column by column, as the notes do
    m, f = ch07.EDGE_M, ch07.EDGE_F
    assert out[0, 0] == sum(m[r, c] * f[r, c] for c in range(3) for r in range(3))
    np.testing.assert_array_equal(out, [[-5, -4, 3, 5], [-10, -2, 2, 3], [0, -2, -4, -7], [-3, -2, -3, -16]])


def test_stride_2_on_7x7_gives_3x3_and_the_four_sums_the_notes_show():
    out = ch07.stride2_example()
    assert out.shape == (3, 3)
    for (i, j), printed in ch07.NOTES_STRIDE2_SUMS.items():
        window = ch07.STRIDE2_M[2 * i:2 * i + 3, 2 * j:2 * j + 3]
        assert out[i, j] == printed == np.sum(window * ch07.STRIDE2_F)
    assert np.isnan(out).sum() == 5                   # windows over entries the notes do not show


def test_volume_5x5x3_with_bias_matches_the_notes():
    np.testing.assert_array_equal(ch07.volume_example(), ch07.NOTES_VOLUME)
    # one window by hand: the three channel slices plus the bias
    top_left = np.sum(ch07.VOLUME_X[:, :3, :3] * ch07.VOLUME_W) + ch07.VOLUME_B
    assert ch07.volume_example()[0, 0] == top_left


def test_rgb_example_per_channel_sums_and_output_match_the_notes():
    ex = ch07.rgb_example()
    np.testing.assert_array_equal(ex.per_channel, ch07.NOTES_RGB_PER_CHANNEL)
    assert ex.output == ch07.NOTES_RGB_OUTPUT == ex.per_channel.sum() + ch07.RGB_B
    padded = np.pad(ch07.RGB_X, [(0, 0), (1, 1), (1, 1)])
    np.testing.assert_array_equal(ex.per_channel, np.sum(padded[:, :3, :3] * ch07.RGB_W, axis=(1, 2)))


def test_parameter_counts_exact_and_the_notes_roundings():
    ex = ch07.parameter_sharing_example()
    assert ex == {"fully_connected": 32 ** 2 * (32 ** 2 + 1), "locally_connected": 30 ** 2 * (3 ** 2 + 1),
                  "locally_connected_rgb": 30 ** 2 * (3 * 3 ** 2 + 1), "shared": 3 * 3 ** 2 + 1,
                  "shared_4_filters": 4 * (3 * 3 ** 2 + 1)}
    units = {"M": 1e6, "k": 1e3}
    for key, printed in ch07.NOTES_PARAMETER_SHARING.items():
        value = float(printed[:-1]) * units[printed[-1]]
        assert abs(ex[key] - value) / ex[key] < 0.05         # the notes round, to within 5%


def test_depthwise_separable_counts_match_the_notes():
    ex = ch07.depthwise_separable_example()
    assert ex == ch07.NOTES_DEPTHWISE
    c_in, c_out, k, h, w = ch07.DEPTHWISE
    assert ex["standard"] == c_out * c_in * k * k * h * w
    assert ex["separable"] == ex["depthwise"] + ex["pointwise"]


def test_depth_of_the_output_is_the_number_of_filters_not_the_input_depth():
    h, w, c, d, k = ch07.DEPTH_EXAMPLE
    assert ch07.depth_example() == (h, w, d)
    assert d != c
    assert arithmetic.conv_params(c, d, k) == d * (k * k * c + 1)


@pytest.mark.parametrize("erratum", ch07.ERRATA, ids=lambda e: e.key)
def test_errata_compute(erratum):
    assert erratum.exact() and erratum.exact() != erratum.printed
