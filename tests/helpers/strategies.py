"""Hypothesis strategies shared by the tests. Add new ones here rather than in a test module."""

import numpy as np
from hypothesis import strategies as st


def arrays(shape, *, low=-3.0, high=3.0, seed_strategy=st.integers(0, 2**32 - 1)):
    """float64 arrays of a fixed shape with entries uniform in [low, high), drawn from a seed."""
    return seed_strategy.map(lambda s: np.random.default_rng(s).uniform(low, high, size=shape))


# --- functional core (activations, losses, linear, dropout, norm): shapes drawn too -----------
from hypothesis.extra.numpy import array_shapes  # noqa: E402


def shaped_arrays(shapes=array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=5), *,
                  low=-3.0, high=3.0):
    """float64 arrays uniform in [low, high) whose shape is drawn from ``shapes``."""
    return st.tuples(shapes, st.integers(0, 2**32 - 1)).map(
        lambda a: np.random.default_rng(a[1]).uniform(low, high, size=a[0]))


# --- convolution, pooling, upsampling (tests/functional/test_conv.py, test_pooling.py, test_upsample.py)
def _uniform(seed, shape):
    return np.random.default_rng(seed).uniform(-2.0, 2.0, size=shape)


@st.composite
def conv2d_cases(draw, *, transposed=False):
    """Keyword arguments for conv2d_forward (or conv_transpose2d_forward): x, w, b and hyper-parameters.

    Small float64 shapes; groups, stride, padding, dilation (and output_padding) drawn; the dilated
    kernel always fits the padded input (and a transposed output is never empty).
    """
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    seed = draw(st.integers(0, 2**32 - 1))
    case = {"stride": stride, "dilation": dilation, "groups": groups}
    if transposed:
        # Output (H - 1) s - 2p + d (k - 1) + op + 1 must be positive: draw H first, then a padding that allows it.
        output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        hw = (draw(st.integers(1, 5)), draw(st.integers(1, 5)))
        padding = tuple(draw(st.integers(0, min(2, ((n - 1) * s + d * (k - 1) + op) // 2)))
                        for n, s, d, k, op in zip(hw, stride, dilation, kernel, output_padding))
        case.update(output_padding=output_padding, padding=padding)
        w_shape = (c_in, c_out // groups) + kernel
    else:
        padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
        hw = tuple(draw(st.integers(max(1, d * (k - 1) + 1 - 2 * p), d * (k - 1) + 6))
                   for k, p, d in zip(kernel, padding, dilation))
        case["padding"] = padding
        w_shape = (c_out, c_in // groups) + kernel
    bias = draw(st.booleans())
    return {"x": _uniform(seed, (draw(st.integers(1, 2)), c_in) + hw), "w": _uniform(seed + 1, w_shape),
            "b": _uniform(seed + 2, (c_out,)) if bias else None, **case}


@st.composite
def pool2d_cases(draw, *, max_padding=True):
    """(x, kernel_size, stride, padding) for pooling; x holds distinct values (no ties) in a random order."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel) if max_padding else (0, 0)
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3))) + tuple(
        draw(st.integers(max(1, k - 2 * p), k + 5)) for k, p in zip(kernel, padding))
    seed = draw(st.integers(0, 2**32 - 1))
    values = np.random.default_rng(seed).permutation(int(np.prod(shape))).reshape(shape)
    return (values - values.size / 2) / 4.0, kernel, stride, padding
