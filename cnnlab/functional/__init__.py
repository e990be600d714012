"""Pure numpy forward/backward pairs for everything the course teaches. No state, no torch."""

# --- convolution, pooling, upsampling (conv.py, pooling.py, upsample.py) ---
from cnnlab.functional.conv import (  # noqa: E402
    conv2d_forward, conv2d_backward, conv2d, conv2d_forward_naive, conv2d_backward_naive,
    conv_transpose2d_forward, conv_transpose2d_backward, conv_transpose2d,
    correlate1d, convolve1d, conv_matrix, spatially_separable_conv2d, separate_kernel,
    depthwise_separable_conv2d_forward, depthwise_separable_conv2d_backward, depthwise_separable_conv2d,
)
