"""cnnlab: the reference library of an open course on neural networks and convolutional networks.

Pure numpy (``cnnlab.functional``, ``cnnlab.layers``, ``cnnlab.init``, ``cnnlab.autodiff``,
``cnnlab.gradcheck``, ``cnnlab.perceptron``, ``cnnlab.arithmetic``); torch only in
``cnnlab.models``, ``cnnlab.train`` and ``cnnlab.data``, which are never imported from here.

Shape notation, used in every docstring:

    N        batch size
    C, C_in  input channels; C_out output channels; G groups
    H, W     input height and width; H', W' output height and width
    kH, kW   kernel height and width
    D, D_in  features of a flat input; D_out output features; K classes

Layouts follow torch so weights copy across unchanged: images are (N, C, H, W), a linear weight is
(D_out, D_in) used as ``x @ w.T + b``, a conv weight is (C_out, C_in / G, kH, kW), and a dropout
``p`` is the probability of dropping a unit.

Every op comes as a pair ``out, cache = <op>_forward(...)`` / ``grads = <op>_backward(dout, cache)``;
a backward with one differentiable input returns that gradient, one with several returns a tuple
in the order of the inputs.

One gradient convention, as in torch: where a gradient is stored on an object (a layer's
``Parameter.grad`` in ``cnnlab.layers``, a ``Value.grad`` in ``cnnlab.autodiff``), every backward
pass *adds* into it, so uses and passes accumulate until it is zeroed (``SGD.zero_grad()``,
``Value.zero_grad()``). The functional ops store nothing: their backward returns fresh arrays.
"""

__version__ = "0.3.0"
