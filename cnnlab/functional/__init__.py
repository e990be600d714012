"""Pure numpy forward/backward pairs for everything the course teaches. No state, no torch.

Where to look (one concept a module; no module is named like a function it exports):

    activations.py       step, sigmoid, tanh, ReLU family, swish, maxout, softmax, log-softmax
    losses.py            squared error, MSE, binary and categorical cross-entropy
    fully_connected.py   linear (x @ w.T + b) and flatten
    inverted_dropout.py  dropout
    norm.py              batch normalisation
    conv.py              conv2d (im2col) and its naive loops
    conv_transpose.py    the transposed convolution
    correlation.py       1-D correlation and convolution, a 2-D convolution as a matrix
    separable.py         spatially and depthwise separable convolutions
    pooling.py           max (with switches and unpooling), average, L2, global average pooling
    upsample.py          nearest and bilinear upsampling
    _windows.py          (private) padding, window offsets, the output-size formula
    _im2col.py           (private) im2col/col2im and the chunked matmuls every convolution runs on

Conventions every op keeps (shapes in the notation of ``cnnlab``'s docstring):

- ``out, cache = <op>_forward(...)``; ``<op>_backward(dout, cache)`` returns the gradients in the
  order of the inputs. Every backward checks dout against its forward's output shape (ValueError
  naming the backward and both shapes) and returns each gradient in the dtype of its input, whatever
  dtype dout has (tests/functional/test_backwards.py holds every backward to this).
- Losses: with reduction "mean" or "sum" a loss forward returns the loss as a numpy scalar of the
  prediction's dtype (torch's 0-d tensor; ``float(loss)`` for a Python float), "none" the array of
  per-element terms; the backward takes a 0-d dout (1.0 at the top of the graph) or, for "none",
  one of the terms' shape. The mean over no elements is NaN, as in torch. ``cnnlab.layers``' loss
  layers return exactly what these return.
- Images are (N, C, H, W); conv2d, conv_transpose2d and the 2-D poolings also take one unbatched
  sample (C, H, W), as torch does, and then return outputs and dx without N. Empty batches (N = 0)
  give empty results.
- Argument checks are in ``cnnlab._checks``: TypeError for a wrong type (stride=1.5, a complex x),
  ValueError for a wrong value (stride=0, a wrong shape), every message naming the function, the
  argument, what was expected and the shapes.
"""

# --- activations, losses, linear, dropout, batch norm ---
from cnnlab.functional.activations import (
    step_forward, step_backward, step, identity_forward, identity_backward, identity,
    sigmoid_forward, sigmoid_backward, sigmoid, tanh_forward, tanh_backward, tanh,
    relu_forward, relu_backward, relu, leaky_relu_forward, leaky_relu_backward, leaky_relu,
    elu_forward, elu_backward, elu, swish_forward, swish_backward, swish, silu,
    maxout_forward, maxout_backward, maxout,
    softmax_forward, softmax_backward, softmax, log_softmax_forward, log_softmax_backward, log_softmax,
)
from cnnlab.functional.losses import (
    squared_error_forward, squared_error_backward, squared_error,
    mse_loss_forward, mse_loss_backward, mse_loss,
    binary_cross_entropy_forward, binary_cross_entropy_backward, binary_cross_entropy,
    binary_cross_entropy_with_logits_forward, binary_cross_entropy_with_logits_backward,
    binary_cross_entropy_with_logits,
    cross_entropy_forward, cross_entropy_backward, cross_entropy,
)
from cnnlab.functional.fully_connected import (
    linear_forward, linear_backward, linear, flatten_forward, flatten_backward, flatten,
)
from cnnlab.functional.inverted_dropout import dropout_forward, dropout_backward, dropout
from cnnlab.functional.norm import (
    batchnorm_forward, batchnorm_backward, batchnorm1d_forward, batchnorm2d_forward,
)

# --- convolution, pooling, upsampling ---
from cnnlab.functional.conv import (  # noqa: E402
    conv2d_forward, conv2d_backward, conv2d, conv2d_forward_naive, conv2d_backward_naive,
)
from cnnlab.functional.conv_transpose import (  # noqa: E402
    conv_transpose2d_forward, conv_transpose2d_backward, conv_transpose2d,
)
from cnnlab.functional.correlation import correlate1d, convolve1d, conv_matrix  # noqa: E402
from cnnlab.functional.separable import (  # noqa: E402
    spatially_separable_conv2d, separate_kernel,
    depthwise_separable_conv2d_forward, depthwise_separable_conv2d_backward, depthwise_separable_conv2d,
)
from cnnlab.functional.pooling import (  # noqa: E402
    max_pool2d_forward, max_pool2d_backward, max_pool2d, max_pool2d_forward_naive, max_pool2d_backward_naive,
    max_pool2d_with_indices, max_unpool2d_forward, max_unpool2d_backward, max_unpool2d,
    avg_pool2d_forward, avg_pool2d_backward, avg_pool2d,
    l2_pool2d_forward, l2_pool2d_backward, l2_pool2d,
    global_avg_pool2d_forward, global_avg_pool2d_backward, global_avg_pool2d,
)
from cnnlab.functional.upsample import (  # noqa: E402
    upsample_nearest2d_forward, upsample_nearest2d_backward, upsample_nearest2d,
    upsample_bilinear2d_forward, upsample_bilinear2d_backward, upsample_bilinear2d,
)
