"""cnnlab/models/bridge.py: the numpy reference inside torch models."""

import pytest

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch.autograd import gradcheck  # noqa: E402

from cnnlab.models import lenet5, small_resnet18  # noqa: E402
from cnnlab.functional.conv import conv2d_backward_naive, conv2d_forward_naive  # noqa: E402
from cnnlab.functional.fully_connected import linear_backward, linear_forward  # noqa: E402
from cnnlab.models import bridge  # noqa: E402
from cnnlab.models.bridge import (BatchNormFunction, NumpyBatchNorm2d, NumpyConv2d, NumpyLinear,  # noqa: E402
                                  NumpyMaxPool2d, NumpyReLU, numpy_op, numpy_twin)
from helpers.models import TORCH_TOL, one_torch_thread  # noqa: E402,F401

f64 = dict(dtype=torch.float64)


def _randn(*shape, away_from_zero=False):
    x = torch.randn(*shape, **f64)
    if away_from_zero:  # keep finite differences off the kink of ReLU
        x = x + 0.2 * torch.sign(x)
    return x.requires_grad_()


def _distinct(*shape):
    """No ties within a pooling window, and gaps far larger than gradcheck's step."""
    n = torch.Size(shape).numel()
    return (torch.randperm(n, generator=torch.Generator().manual_seed(0)).to(torch.float64) / n).reshape(
        shape).requires_grad_()


@pytest.mark.parametrize("stride, padding, dilation, groups, bias", [
    (1, 0, 1, 1, True), (2, 1, 1, 2, True), (1, 2, 2, 1, False), ((2, 1), (0, 1), 1, 1, True)])
def test_conv2d_function_gradcheck(stride, padding, dilation, groups, bias):
    torch.manual_seed(0)
    x, w = _randn(2, 2, 6, 5), _randn(4, 2 // groups, 3, 3)
    b = _randn(4) if bias else None
    hyper = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    assert gradcheck(lambda x, w, b: bridge.conv2d(x, w, b, **hyper), (x, w, b))
    out = bridge.conv2d(x, w, b, **hyper)
    ref = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    assert (out - ref).abs().max() < TORCH_TOL


@pytest.mark.parametrize("bias", [True, False])
def test_linear_function_gradcheck(bias):
    torch.manual_seed(0)
    x, w, b = _randn(3, 5), _randn(4, 5), (_randn(4) if bias else None)
    assert gradcheck(bridge.linear, (x, w, b))
    assert (bridge.linear(x, w, b) - F.linear(x, w, b)).abs().max() < TORCH_TOL


@pytest.mark.parametrize("fn, hyper", [
    ("max_pool2d", dict(kernel_size=2, stride=2, padding=0)),
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool2d", dict(kernel_size=2, stride=None, padding=0)),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1)),
])
def test_pool_functions_gradcheck(fn, hyper):
    x = _distinct(1, 2, 6, 6)
    assert gradcheck(lambda x: getattr(bridge, fn)(x, **hyper), (x,))
    assert (getattr(bridge, fn)(x, **hyper) - getattr(F, fn)(x, **hyper)).abs().max() < TORCH_TOL


@pytest.mark.parametrize("fn, ref", [(bridge.relu, torch.relu), (bridge.tanh, torch.tanh),
                                     (bridge.sigmoid, torch.sigmoid)])
def test_activation_functions_gradcheck(fn, ref):
    torch.manual_seed(0)
    x = _randn(3, 4, 5, away_from_zero=True)
    assert gradcheck(fn, (x,))
    assert (fn(x) - ref(x)).abs().max() < TORCH_TOL


def _sgd_side_by_side(native, bridged, x, y, *, steps, lr=0.1):
    """Train both models on (x, y) with plain SGD; yield the pair of losses at every step."""
    opts = [torch.optim.SGD(m.parameters(), lr=lr) for m in (native, bridged)]
    for _ in range(steps):
        losses = []
        for model, opt in zip((native, bridged), opts):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        yield tuple(losses)


@pytest.mark.parametrize("shape", [(4, 3, 2, 2), (5, 3)])
def test_batchnorm_function_gradcheck_and_running_statistics(shape):
    torch.manual_seed(0)
    x, gamma, beta = _randn(*shape), (torch.rand(3, **f64) + 0.5).requires_grad_(), _randn(3)
    stats = lambda: (torch.zeros(3, **f64), torch.ones(3, **f64))  # noqa: E731
    assert gradcheck(lambda x, g, b: BatchNormFunction.apply(x, g, b, *stats(), True, 0.1, 1e-5), (x, gamma, beta))
    (mean, var), (ref_mean, ref_var) = stats(), stats()
    out = BatchNormFunction.apply(x, gamma, beta, mean, var, True, 0.1, 1e-5)
    ref = F.batch_norm(x, ref_mean, ref_var, gamma, beta, training=True, momentum=0.1, eps=1e-5)
    assert (out - ref).abs().max() < TORCH_TOL
    assert (mean - ref_mean).abs().max() < TORCH_TOL and (var - ref_var).abs().max() < TORCH_TOL


def test_numpy_resnet_trains_like_the_native_one():
    torch.manual_seed(0)
    native = small_resnet18(in_channels=1, width=4, num_classes=3).double()
    bridged = numpy_twin(native)
    assert isinstance(bridged.layer1[0].bn1, NumpyBatchNorm2d) and isinstance(bridged.conv1, NumpyConv2d)
    x, y = torch.randn(4, 1, 8, 8, **f64), torch.arange(4) % 3
    for loss, loss2 in _sgd_side_by_side(native, bridged, x, y, steps=2):
        assert abs(loss - loss2) < 1e-10
    for (name, a), b in zip(native.state_dict().items(), bridged.state_dict().values()):
        assert (a.double() - b.double()).abs().max() < 1e-9, name   # weights and running statistics
    native.eval(), bridged.eval()
    assert (native(x) - bridged(x)).abs().max() < 1e-9


def test_numpy_op_wraps_any_forward_backward_pair():
    torch.manual_seed(0)
    conv = numpy_op(conv2d_forward_naive, conv2d_backward_naive)   # the loops, as a student writes them
    x, w, b = _randn(1, 2, 5, 4), _randn(3, 2, 3, 3), _randn(3)
    assert gradcheck(lambda x, w, b: conv(x, w, b, stride=2, padding=1), (x, w, b))
    assert (conv(x, w, None, padding=1) - F.conv2d(x, w, padding=1)).abs().max() < TORCH_TOL
    linear = numpy_op(linear_forward, linear_backward)
    assert gradcheck(lambda x, w: linear(x, w, None), (_randn(2, 3), _randn(4, 3)))


@pytest.mark.parametrize("native, bridged", [
    (nn.Conv2d(3, 4, 3, stride=2, padding=1), NumpyConv2d(3, 4, 3, stride=2, padding=1)),
    (nn.Linear(6, 2), NumpyLinear(6, 2)),
    (nn.MaxPool2d(2), NumpyMaxPool2d(2)),
    (nn.ReLU(), NumpyReLU()),
])
def test_modules_match_torch_forward_and_backward(native, bridged):
    native, bridged = native.double(), bridged.double()
    bridged.load_state_dict(native.state_dict())
    x = (_distinct(2, 3, 8, 8) - 0.5) if not isinstance(native, nn.Linear) else _randn(5, 6)
    x = x.detach().requires_grad_()
    x2 = x.detach().clone().requires_grad_()
    y, y2 = native(x), bridged(x2)
    assert y.shape == y2.shape and (y - y2).abs().max() < TORCH_TOL
    dout = torch.randn_like(y)
    y.backward(dout)
    y2.backward(dout)
    assert (x.grad - x2.grad).abs().max() < TORCH_TOL
    for p, p2 in zip(native.parameters(), bridged.parameters()):
        assert (p.grad - p2.grad).abs().max() < TORCH_TOL


def test_in_place_changes_after_forward_do_not_corrupt_the_backward():
    x = _randn(2, 3, away_from_zero=True)
    y = bridge.tanh(x)
    expected = 1 - torch.tanh(x.detach()) ** 2
    z = y * 1.0
    with torch.no_grad():
        x.mul_(-1.0)   # the input changes after the forward...
        y.add_(5.0)    # ...and so does the output (the numpy cache must hold copies)
    z.sum().backward()
    assert torch.allclose(x.grad, expected)


def test_float32_stays_float32():
    layer = NumpyConv2d(1, 2, 3)
    out = layer(torch.randn(1, 1, 5, 5))
    assert out.dtype == torch.float32 and out.shape == (1, 2, 3, 3)


@pytest.mark.parametrize("variant", ["classic", "modern"])
def test_numpy_lenet5_trains_like_the_native_one(variant):
    torch.manual_seed(0)
    native = lenet5(variant=variant).double()
    bridged = numpy_twin(native)
    assert isinstance(bridged.c1, NumpyConv2d) and isinstance(bridged.output, NumpyLinear)
    assert bridged.state_dict().keys() == native.state_dict().keys()
    x, y = torch.randn(4, 1, 32, 32, **f64), torch.arange(4)
    for loss, loss2 in _sgd_side_by_side(native, bridged, x, y, steps=3):
        assert abs(loss - loss2) < 1e-5
    for p, p2 in zip(native.parameters(), bridged.parameters()):
        assert (p - p2).abs().max() < 1e-8


def test_numpy_twin_refuses_options_the_numpy_ops_lack():
    with pytest.raises(ValueError, match="NumpyMaxPool2d: the numpy reference does not support ceil_mode"):
        numpy_twin(nn.Sequential(nn.MaxPool2d(3, stride=2, ceil_mode=True)))
    with pytest.raises(ValueError, match="NumpyConv2d: the numpy reference does not support padding='same'"):
        numpy_twin(nn.Sequential(nn.Conv2d(1, 1, 3, padding="same")))
    with pytest.raises(ValueError, match="NumpyBatchNorm2d: the numpy reference does not support affine=False"):
        numpy_twin(nn.Sequential(nn.BatchNorm2d(3, affine=False)))


def test_numpy_twin_leaves_the_original_alone():
    native = lenet5(variant="modern")
    twin = numpy_twin(native)
    assert type(native.c1) is nn.Conv2d and twin.c1.weight is not native.c1.weight
    assert torch.equal(twin.c1.weight, native.c1.weight)
