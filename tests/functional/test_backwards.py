"""The contract every backward of cnnlab.functional keeps (stated in cnnlab/functional/__init__.py):
it checks ``dout`` against its forward's output shape, naming itself and both shapes, and returns
each gradient in the dtype of the input it belongs to, whatever dtype ``dout`` has.

One table drives both tests; a test fails when an exported ``*_backward`` is missing from it.
"""

import re

import numpy as np
import pytest

import cnnlab.functional as F

X = np.random.default_rng(0).normal(size=(2, 3, 4, 4)).astype(np.float32)
X2 = X.reshape(2, -1)[:, :12]                       # (2, 12)
F32 = np.float32


def _f32(*shape):
    return np.random.default_rng(1).normal(size=shape).astype(F32)


# backward name -> the forward call (on float32 inputs) whose (out, cache, ...) it differentiates
FORWARDS = {
    **{f"{a}_backward": (lambda a=a: getattr(F, f"{a}_forward")(X))
       for a in ("step", "identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "swish", "softmax",
                 "log_softmax", "flatten", "global_avg_pool2d")},
    "maxout_backward": lambda: F.maxout_forward(X2, num_pieces=3),
    "squared_error_backward": lambda: F.squared_error_forward(X, X + 1),
    "mse_loss_backward": lambda: F.mse_loss_forward(X, X + 1),
    "binary_cross_entropy_backward": lambda: F.binary_cross_entropy_forward(F.sigmoid(X), np.ones_like(X) / 2),
    "binary_cross_entropy_with_logits_backward": lambda: F.binary_cross_entropy_with_logits_forward(X, X > 0),
    "cross_entropy_backward": lambda: F.cross_entropy_forward(X2, np.array([0, 3])),
    "linear_backward": lambda: F.linear_forward(X2, _f32(5, 12), _f32(5)),
    "dropout_backward": lambda: F.dropout_forward(X, p=0.5, rng=np.random.default_rng(0)),
    # eval mode with float64 running statistics (layers.BatchNorm2d's default) on a float32 input
    "batchnorm_backward": lambda: F.batchnorm_forward(X, _f32(3), _f32(3), running_mean=np.zeros(3),
                                                      running_var=np.ones(3), training=False),
    "conv2d_backward": lambda: F.conv2d_forward(X, _f32(4, 3, 3, 3), _f32(4), padding=1),
    "conv2d_backward_naive": lambda: F.conv2d_forward_naive(X, _f32(4, 3, 3, 3), _f32(4), stride=2),
    "conv_transpose2d_backward": lambda: F.conv_transpose2d_forward(X, _f32(3, 2, 3, 3), _f32(2), stride=2,
                                                                    output_padding=1),
    "depthwise_separable_conv2d_backward": lambda: F.depthwise_separable_conv2d_forward(
        X, _f32(6, 1, 3, 3), _f32(5, 6, 1, 1), _f32(6), _f32(5), padding=1),
    "max_pool2d_backward": lambda: F.max_pool2d_forward(X, kernel_size=2),
    "max_pool2d_backward_naive": lambda: F.max_pool2d_forward_naive(X, kernel_size=3, stride=1, padding=1),
    "max_unpool2d_backward": lambda: F.max_unpool2d_forward(*F.max_pool2d_with_indices(X, kernel_size=2),
                                                            kernel_size=2),
    "avg_pool2d_backward": lambda: F.avg_pool2d_forward(X, kernel_size=2, stride=1),
    "l2_pool2d_backward": lambda: F.l2_pool2d_forward(X, kernel_size=2),
    "upsample_nearest2d_backward": lambda: F.upsample_nearest2d_forward(X, scale_factor=2),
    "upsample_bilinear2d_backward": lambda: F.upsample_bilinear2d_forward(X, scale_factor=(2, 1.5)),
}


def test_the_table_covers_every_exported_backward():
    exported = {name for name in dir(F) if name.endswith("_backward") or name.endswith("_backward_naive")}
    assert exported == set(FORWARDS), (exported ^ set(FORWARDS))


def _wrong_shapes(shape):
    """A dout one batch row short (broadcastable, the case that used to slip through), one channel
    too many, and a transposed one."""
    if not shape:                                          # a loss: dout must be a scalar
        return [(2,), (1, 1)]
    wrong = [(1,) + shape[1:] if shape[0] != 1 else (2,) + shape[1:]]
    if len(shape) > 1:
        wrong += [shape[:1] + (shape[1] + 1,) + shape[2:], shape[::-1] if shape != shape[::-1] else shape + (1,)]
    return wrong


@pytest.mark.parametrize("name", sorted(FORWARDS))
def test_backward_rejects_a_dout_of_the_wrong_shape(name):
    out = FORWARDS[name]()[0]
    for shape in _wrong_shapes(np.shape(out)):
        with pytest.raises(ValueError, match=rf"^{name}: dout"):
            getattr(F, name)(np.ones(shape), FORWARDS[name]()[1])


@pytest.mark.parametrize("dout_dtype", [np.float64, np.int64, np.float32])
@pytest.mark.parametrize("name", sorted(FORWARDS))
def test_gradients_come_back_in_the_inputs_dtype(name, dout_dtype):
    out, cache = FORWARDS[name]()[:2]
    grads = getattr(F, name)(np.ones(np.shape(out), dtype=dout_dtype), cache)
    for g in grads if isinstance(grads, tuple) else (grads,):
        assert g is None or g.dtype == np.float32, f"{name} returned {g.dtype} for float32 inputs"


# the backwards that accept an unbatched (C, H, W) forward, with such a forward
UNBATCHED = {
    "conv2d_backward": lambda: F.conv2d_forward(X[0], _f32(4, 3, 3, 3), _f32(4)),
    "conv2d_backward_naive": lambda: F.conv2d_forward_naive(X[0], _f32(4, 3, 3, 3)),
    "conv_transpose2d_backward": lambda: F.conv_transpose2d_forward(X[0], _f32(3, 2, 3, 3), stride=2),
    "max_pool2d_backward": lambda: F.max_pool2d_forward(X[0], kernel_size=2),
    "max_pool2d_backward_naive": lambda: F.max_pool2d_forward_naive(X[0], kernel_size=2),
    "avg_pool2d_backward": lambda: F.avg_pool2d_forward(X[0], kernel_size=2, padding=1),
    "l2_pool2d_backward": lambda: F.l2_pool2d_forward(X[0], kernel_size=2),
    "max_unpool2d_backward": lambda: F.max_unpool2d_forward(*F.max_pool2d_with_indices(X[0], kernel_size=2),
                                                            kernel_size=2),
}
UNBATCHED_X_SHAPE = {"max_unpool2d_backward": (3, 2, 2)}      # the unpooled input; the others take X[0]


@pytest.mark.parametrize("name", sorted(UNBATCHED))
def test_unbatched_backward_rejects_a_batched_or_wrong_dout_and_keeps_the_dtype(name):
    out, cache = UNBATCHED[name]()
    assert out.ndim == 3
    for shape in [(1,) + out.shape, (out.shape[0] + 1,) + out.shape[1:]]:
        with pytest.raises(ValueError, match=rf"^{name}: dout.shape={re.escape(str(shape))} but the forward "
                                             rf"output had shape {re.escape(str(out.shape))}"):
            getattr(F, name)(np.ones(shape), cache)
    grads = getattr(F, name)(np.ones(out.shape, dtype=np.int64), cache)
    dx = grads[0] if isinstance(grads, tuple) else grads
    assert dx.shape == UNBATCHED_X_SHAPE.get(name, X[0].shape) and dx.dtype == np.float32
