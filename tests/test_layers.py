"""Tests for cnnlab/layers.py: stateful layers vs torch modules, Sequential, losses, SGD, iris."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab.gradcheck import check_gradient
from cnnlab.layers import (SGD, Module, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, CrossEntropyLoss, Dropout, Flatten,
                           Linear, MaxPool2d, MSELoss, Parameter, ReLU, Sequential, Sigmoid, Tanh)

from helpers.tolerances import GRAD_TOL, TORCH_TOL
from helpers.strategies import conv2d_cases

pytestmark = pytest.mark.torch
torch = pytest.importorskip("torch")


def _t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def _copy_to_torch(ours, theirs):
    """Copy our Parameters into the torch module's parameters, in order."""
    with torch.no_grad():
        for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
            q.copy_(_t(p.data))


def _assert_close(a, b, tol=TORCH_TOL):
    np.testing.assert_allclose(a, b.detach().numpy() if hasattr(b, "detach") else b, rtol=tol, atol=tol)


def _parity(ours, theirs, x, rng):
    """Forward and backward of one of our layers against a torch module holding the same weights."""
    theirs = theirs.double()
    _copy_to_torch(ours, theirs)
    out = ours.forward(x)
    xt = _t(x, grad=True)
    out_t = theirs(xt)
    _assert_close(out, out_t)
    dout = rng.normal(size=out.shape)
    dx = ours.backward(dout)
    out_t.backward(_t(dout))
    _assert_close(dx, xt.grad)
    for p, q in zip(ours.parameters(), theirs.parameters()):
        _assert_close(p.grad, q.grad)


@pytest.mark.parametrize("make, shape", [
    (lambda rng: (Linear(5, 3, rng=rng), torch.nn.Linear(5, 3)), (4, 5)),
    (lambda rng: (Linear(5, 3, rng=rng, bias=False), torch.nn.Linear(5, 3, bias=False)), (4, 5)),
    (lambda rng: (ReLU(), torch.nn.ReLU()), (3, 7)),
    (lambda rng: (Sigmoid(), torch.nn.Sigmoid()), (3, 2, 4)),
    (lambda rng: (Tanh(), torch.nn.Tanh()), (6,)),
    (lambda rng: (Flatten(), torch.nn.Flatten()), (2, 3, 4, 5)),
    (lambda rng: (Conv2d(3, 4, 3, rng=rng), torch.nn.Conv2d(3, 4, 3)), (2, 3, 7, 6)),
    (lambda rng: (Conv2d(2, 4, (3, 2), rng=rng, stride=2, padding=1, bias=False),
                  torch.nn.Conv2d(2, 4, (3, 2), stride=2, padding=1, bias=False)), (2, 2, 7, 6)),
    (lambda rng: (Conv2d(4, 6, 3, rng=rng, groups=2, dilation=2), torch.nn.Conv2d(4, 6, 3, groups=2, dilation=2)),
     (1, 4, 8, 8)),
    (lambda rng: (MaxPool2d(2), torch.nn.MaxPool2d(2)), (2, 3, 6, 4)),
    (lambda rng: (MaxPool2d(3, stride=2), torch.nn.MaxPool2d(3, stride=2)), (1, 2, 7, 7)),
    (lambda rng: (MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
                  torch.nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True)), (2, 2, 9, 8)),
    (lambda rng: (AvgPool2d(2), torch.nn.AvgPool2d(2)), (2, 3, 6, 4)),
    (lambda rng: (AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                  torch.nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)), (2, 2, 8, 7)),
    (lambda rng: (AvgPool2d((3, 2), stride=1, divisor_override=4),
                  torch.nn.AvgPool2d((3, 2), stride=1, divisor_override=4)), (1, 2, 5, 5)),
    (lambda rng: (BatchNorm1d(5), torch.nn.BatchNorm1d(5)), (8, 5)),
    (lambda rng: (BatchNorm2d(3), torch.nn.BatchNorm2d(3)), (4, 3, 5, 5)),
], ids=["linear", "linear-nobias", "relu", "sigmoid", "tanh", "flatten", "conv", "conv-stride-pad",
        "conv-groups-dilation", "maxpool", "maxpool-overlap", "maxpool-dilation-ceil", "avgpool",
        "avgpool-ceil-nopad", "avgpool-divisor", "bn1d", "bn2d"])
def test_layer_matches_torch_module(make, shape, rng):
    ours, theirs = make(rng)
    _parity(ours, theirs, rng.normal(size=shape), rng)


@settings(max_examples=10, deadline=None)
@given(case=conv2d_cases(), seed=st.integers(0, 2**16))
def test_conv2d_layer_matches_torch_on_drawn_hyperparameters(case, seed):
    c_out, c_in_per_group, kh, kw = case["w"].shape
    hyper = {k: case[k] for k in ("stride", "padding", "dilation", "groups")}
    c_in, bias = c_in_per_group * case["groups"], case["b"] is not None
    ours = Conv2d(c_in, c_out, (kh, kw), rng=np.random.default_rng(seed), bias=bias, **hyper)
    ours.weight.data[...] = case["w"]
    if bias:
        ours.bias.data[...] = case["b"]
    _parity(ours, torch.nn.Conv2d(c_in, c_out, (kh, kw), bias=bias, **hyper), case["x"], np.random.default_rng(seed))


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 6), d_in=st.integers(1, 7), d_out=st.integers(1, 7), bias=st.booleans(),
       seed=st.integers(0, 2**16))
def test_linear_layer_matches_torch_on_drawn_shapes(n, d_in, d_out, bias, seed):
    rng = np.random.default_rng(seed)
    _parity(Linear(d_in, d_out, rng=rng, bias=bias), torch.nn.Linear(d_in, d_out, bias=bias),
            rng.normal(size=(n, d_in)), rng)


def test_batchnorm_running_stats_and_eval_match_torch(rng):
    ours, theirs = BatchNorm2d(3, momentum=0.2), torch.nn.BatchNorm2d(3, momentum=0.2).double()
    for _ in range(3):
        x = rng.normal(2.0, 3.0, size=(4, 3, 5, 5))
        ours.forward(x)
        theirs(_t(x))
    _assert_close(ours.running_mean, theirs.running_mean)
    _assert_close(ours.running_var, theirs.running_var)
    ours.eval(), theirs.eval()
    _parity(ours, theirs, rng.normal(size=(2, 3, 4, 4)), rng)
    assert not ours.training


def test_default_init_has_torch_bounds(rng):
    """torch's default: weight and bias uniform in +-1/sqrt(fan_in)."""
    lin, conv = Linear(50, 400, rng=rng), Conv2d(8, 64, 3, rng=rng)
    for layer, fan_in in [(lin, 50), (conv, 72)]:
        bound = 1 / np.sqrt(fan_in)
        for p in layer.parameters():
            assert np.abs(p.data).max() <= bound and np.abs(p.data).max() > 0.9 * bound
        assert layer.weight.data.std() == pytest.approx(bound / np.sqrt(3), rel=0.05)
    same = Linear(3, 2, rng=np.random.default_rng(7)).weight.data
    assert np.array_equal(same, Linear(3, 2, rng=np.random.default_rng(7)).weight.data)


def test_custom_init_and_zero_bias(rng):
    from cnnlab import init
    lin = Linear(100, 50, rng=rng, init=init.he_normal)
    assert lin.weight.data.std() == pytest.approx(np.sqrt(2 / 100), rel=0.05)
    assert np.all(lin.bias.data == 0)
    conv = Conv2d(2, 3, 3, rng=rng, init=lambda shape, rng: np.full(shape, 0.5))
    assert np.all(conv.weight.data == 0.5) and conv.weight.data.shape == (3, 2, 3, 3)


def test_dropout_layer_with_p_1_drops_everything_like_torch(rng):
    drop, x = Dropout(1.0, rng=np.random.default_rng(1)), rng.normal(size=(4, 5))
    theirs = torch.nn.Dropout(1.0)(torch.from_numpy(x))
    assert np.array_equal(drop.forward(x), theirs.numpy()) and not drop.forward(x).any()
    assert not drop.backward(np.ones_like(x)).any()
    drop.eval()
    assert np.array_equal(drop.forward(x), x)


def test_dropout_layer_train_and_eval(rng):
    drop = Dropout(0.25, rng=np.random.default_rng(1))
    x = rng.normal(size=(50, 40))
    out = drop.forward(x)
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.75)
    assert 0.65 < kept.mean() < 0.85
    dx = drop.backward(np.ones_like(x))
    np.testing.assert_allclose(dx, kept / 0.75)
    drop.eval()
    np.testing.assert_array_equal(drop.forward(x), x)


def test_sequential_mlp_matches_torch_and_finite_differences(rng):
    ours = Sequential(Linear(4, 6, rng=rng), Tanh(), Linear(6, 5, rng=rng), ReLU(), Linear(5, 3, rng=rng))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 5), torch.nn.ReLU(),
                                 torch.nn.Linear(5, 3))
    _parity(ours, theirs, rng.normal(size=(7, 4)), rng)
    x, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 3))
    ours.zero_grad()
    ours.forward(x)
    dx = ours.backward(dout)
    check_gradient(lambda x: ours.forward(x), [x], [dx], dout, tol=GRAD_TOL)
    w = ours[0].weight
    dw = w.grad.copy()

    def f_of_w(wdata):
        old = w.data
        w.data = wdata
        try:
            return ours.forward(x)
        finally:
            w.data = old
    check_gradient(f_of_w, [w.data.copy()], [dw], dout, tol=GRAD_TOL)


def test_small_cnn_matches_torch(rng):
    ours = Sequential(Conv2d(1, 4, 3, rng=rng, padding=1), BatchNorm2d(4), ReLU(), MaxPool2d(2),
                      Conv2d(4, 6, 3, rng=rng), Sigmoid(), Flatten(), Linear(6 * 2 * 2, 3, rng=rng))
    theirs = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                 torch.nn.MaxPool2d(2), torch.nn.Conv2d(4, 6, 3), torch.nn.Sigmoid(),
                                 torch.nn.Flatten(), torch.nn.Linear(24, 3))
    _parity(ours, theirs, rng.normal(size=(3, 1, 8, 8)), rng)


def test_gradients_accumulate_until_zero_grad(rng):
    lin = Linear(3, 2, rng=rng)
    x, dout = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    lin.forward(x)
    lin.backward(dout)
    first = lin.weight.grad.copy()
    lin.forward(x)
    lin.backward(dout)
    np.testing.assert_allclose(lin.weight.grad, 2 * first)
    opt = SGD(lin.parameters(), lr=0.1)
    opt.zero_grad()
    assert np.all(lin.weight.grad == 0) and np.all(lin.bias.grad == 0)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_losses_match_torch(reduction, rng):
    logits, y = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    ce = CrossEntropyLoss(reduction=reduction)
    lt = _t(logits, grad=True)
    loss_t = torch.nn.CrossEntropyLoss(reduction=reduction)(lt, torch.tensor(y))
    assert ce.forward(logits, y) == pytest.approx(loss_t.item(), rel=1e-12)
    loss_t.backward()
    _assert_close(ce.backward(), lt.grad)
    pred, target = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    mse = MSELoss(reduction=reduction)
    pt = _t(pred, grad=True)
    loss_t = torch.nn.MSELoss(reduction=reduction)(pt, _t(target))
    assert mse(pred, target) == pytest.approx(loss_t.item(), rel=1e-12)
    loss_t.backward()
    _assert_close(mse.backward(), pt.grad)


@pytest.mark.parametrize("kwargs", [
    dict(lr=0.1), dict(lr=0.05, momentum=0.9), dict(lr=0.05, momentum=0.9, weight_decay=0.01),
    dict(lr=0.02, momentum=0.5, dampening=0.3, weight_decay=0.1), dict(lr=0.05, momentum=0.9, nesterov=True),
])
def test_sgd_step_by_step_parity_with_torch(kwargs, rng):
    ours = Sequential(Linear(4, 5, rng=rng), Tanh(), Linear(5, 3, rng=rng))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3)).double()
    _copy_to_torch(ours, theirs)
    opt, opt_t = SGD(ours.parameters(), **kwargs), torch.optim.SGD(theirs.parameters(), **kwargs)
    loss_fn, loss_t = CrossEntropyLoss(), torch.nn.CrossEntropyLoss()
    for _ in range(6):
        x, y = rng.normal(size=(8, 4)), rng.integers(0, 3, size=8)
        opt.zero_grad()
        loss_fn.forward(ours.forward(x), y)
        ours.backward(loss_fn.backward())
        opt.step()
        opt_t.zero_grad()
        loss_t(theirs(_t(x)), torch.tensor(y)).backward()
        opt_t.step()
        for p, q in zip(ours.parameters(), theirs.parameters()):
            _assert_close(p.data, q)


def test_sgd_momentum_is_the_notes_rule():
    """Delta w(n) = -lr g + alpha Delta w(n-1): torch's v-form gives the same steps."""
    p = Parameter(np.array([1.0]))
    opt = SGD([p], lr=0.1, momentum=0.5)
    steps, prev = [], 0.0
    for g in [1.0, 2.0, -1.0]:
        p.grad[:] = g
        before = p.data.copy()
        opt.step()
        steps.append(float((p.data - before)[0]))
        expected = -0.1 * g + 0.5 * prev
        assert steps[-1] == pytest.approx(expected)
        prev = expected


def _iris_split(seed):
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split
    x, y = load_iris(return_X_y=True)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, stratify=y, random_state=seed)
    mu, sd = xtr.mean(axis=0), xtr.std(axis=0)          # standardise with training statistics only
    return (xtr - mu) / sd, (xte - mu) / sd, ytr, yte


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mlp_trains_on_iris(seed):
    """The notes' running example: 4 features, 3 classes. 4-16-3 ReLU MLP, minibatch SGD with momentum."""
    pytest.importorskip("sklearn")
    xtr, xte, ytr, yte = _iris_split(seed)
    rng = np.random.default_rng(seed)
    model = Sequential(Linear(4, 16, rng=rng), ReLU(), Linear(16, 3, rng=rng))
    loss_fn = CrossEntropyLoss()
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-3)
    first = loss_fn.forward(model.forward(xtr), ytr)
    for _ in range(50):
        for idx in np.array_split(rng.permutation(len(xtr)), 7):
            opt.zero_grad()
            loss_fn.forward(model.forward(xtr[idx]), ytr[idx])
            model.backward(loss_fn.backward())
            opt.step()
    model.eval()
    assert loss_fn.forward(model.forward(xtr), ytr) < 0.2 < first
    accuracy = np.mean(model.forward(xte).argmax(axis=1) == yte)
    assert accuracy >= 0.95


def test_train_eval_propagate_through_sequential(rng):
    model = Sequential(Linear(2, 2, rng=rng), Dropout(0.5, rng=rng), BatchNorm1d(2))
    model.eval()
    assert not any(m.training for m in model) and not model.training
    model.train()
    assert all(m.training for m in model)
    assert len(model) == 3 and isinstance(model[1], Dropout) and len(model.parameters()) == 4


@pytest.mark.parametrize("call, exc, match", [
    (lambda rng: Linear(0, 3, rng=rng), ValueError, r"Linear: in_features must be >= 1"),
    (lambda rng: Linear(2.0, 3, rng=rng), TypeError, r"Linear: in_features must be an int"),
    (lambda rng: Linear(2, 3, rng=0), TypeError, r"Linear: rng must be a np.random.Generator"),
    (lambda rng: Linear(2, 3), TypeError, r"rng"),
    (lambda rng: Linear(2, 3, rng=rng).forward(np.ones((4, 5))), ValueError, r"linear_forward"),
    (lambda rng: Linear(2, 3, rng=rng).backward(np.ones((4, 3))), RuntimeError, r"Linear.backward: call forward first"),
    (lambda rng: ReLU().backward(np.ones(3)), RuntimeError, r"ReLU.backward: call forward first"),
    (lambda rng: Conv2d(3, 4, 0, rng=rng), ValueError, r"Conv2d: kernel_size must be >= 1"),
    (lambda rng: Conv2d(3, 4, 3, rng=rng, groups=2), ValueError, r"Conv2d: groups=2 must divide in_channels=3"),
    (lambda rng: Conv2d(3, 4, 3, rng=rng).forward(np.ones((1, 2, 5, 5))), ValueError, r"conv2d_forward"),
    (lambda rng: MaxPool2d(2).forward(np.ones((5, 5))), ValueError, r"max_pool2d_forward: x must be 3-D or 4-D"),
    (lambda rng: Conv2d(3, 4, 3, rng=rng, stride=1.5), TypeError, r"^Conv2d: stride must be an int or a pair of ints, got 1.5$"),
    (lambda rng: Conv2d(3, 4, 3, rng=rng, padding=-1), ValueError, r"^Conv2d: padding must be >= 0, got -1$"),
    (lambda rng: Conv2d(3, 4, 3, rng=rng, padding="full"), ValueError, r"^Conv2d: padding must be 'valid' or 'same'"),
    (lambda rng: Conv2d(3, 4, 3, rng=rng, dilation=0), ValueError, r"^Conv2d: dilation must be >= 1, got 0$"),
    (lambda rng: MaxPool2d(2, stride="1"), TypeError, r"^MaxPool2d: stride must be an int or a pair of ints"),
    (lambda rng: MaxPool2d((2, 2, 2)), ValueError, r"^MaxPool2d: kernel_size must be an int or a pair of ints"),
    (lambda rng: BatchNorm2d(3, eps="1e-5"), TypeError, r"^BatchNorm2d: eps must be a number, got str"),
    (lambda rng: Parameter(np.ones(2, complex)), TypeError, r"^Parameter: data must be a real array, got dtype complex128$"),
    (lambda rng: Dropout(1.5, rng=rng), ValueError, r"^Dropout: p must be a drop probability in \[0, 1\], got 1.5$"),
    (lambda rng: MaxPool2d(2, ceil_mode=1), TypeError, r"^MaxPool2d: ceil_mode must be a bool, got int 1$"),
    (lambda rng: MaxPool2d(2, dilation=0), ValueError, r"^MaxPool2d: dilation must be >= 1, got 0$"),
    (lambda rng: AvgPool2d(2, count_include_pad="no"), TypeError, r"^AvgPool2d: count_include_pad must be a bool"),
    (lambda rng: AvgPool2d(2, divisor_override=0), ValueError, r"^AvgPool2d: divisor_override must be >= 1, got 0$"),
    (lambda rng: AvgPool2d(3, padding=2).forward(np.ones((1, 1, 6, 6))), ValueError,
     r"avg_pool2d_forward: padding=\(2, 2\) must be at most half of kernel_size"),
    (lambda rng: Dropout(0.5, rng=None), TypeError, r"Dropout: rng must be a np.random.Generator"),
    (lambda rng: BatchNorm1d(0), ValueError, r"BatchNorm1d: num_features must be >= 1"),
    (lambda rng: BatchNorm2d(3).forward(np.ones((4, 3))), ValueError, r"BatchNorm2d.forward: x must be 4-D \(N, C, H, W\), got x.shape=\(4, 3\)"),
    (lambda rng: BatchNorm1d(3).forward(np.ones((4, 3, 2, 2))), ValueError, r"BatchNorm1d.forward: x must be 2-D or 3-D \(N, D\) or \(N, C, L\)"),
    (lambda rng: Sequential(ReLU(), "relu"), TypeError, r"Sequential: modules\[1\] must be a Module, got str"),
    (lambda rng: CrossEntropyLoss(reduction="none"), ValueError, r"CrossEntropyLoss: reduction must be"),
    (lambda rng: MSELoss().backward(), RuntimeError, r"MSELoss.backward: call forward first"),
    (lambda rng: MSELoss().forward(np.ones(3), np.ones(4)), ValueError, r"mse_loss_forward"),
    (lambda rng: SGD([np.ones(3)], lr=0.1), TypeError, r"SGD: parameters\[0\] must be a Parameter"),
    (lambda rng: SGD([], lr=0.0), ValueError, r"SGD: lr must be > 0"),
    (lambda rng: SGD([], lr=0.1, momentum=-1), ValueError, r"SGD: momentum must be >= 0, got -1"),
    (lambda rng: SGD([], lr=0.1, nesterov=True), ValueError, r"SGD: nesterov needs momentum > 0"),
    (lambda rng: Parameter(np.array(["a"])), TypeError, r"Parameter: data must be a real array"),
])
def test_bad_input(call, exc, match, rng):
    with pytest.raises(exc, match=match):
        call(rng)


def test_float32_model_stays_float32(rng):
    model = Sequential(Conv2d(1, 2, 3, rng=rng, dtype=np.float32), BatchNorm2d(2, dtype=np.float32), ReLU(),
                       MaxPool2d(2), Flatten(), Linear(2 * 3 * 3, 3, rng=rng, dtype=np.float32))
    loss_fn, opt = CrossEntropyLoss(), SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=0.1)
    out = model.forward(rng.normal(size=(4, 1, 8, 8)).astype(np.float32))
    loss_fn.forward(out, np.array([0, 1, 2, 0]))
    dx = model.backward(loss_fn.backward())
    opt.step()
    assert out.dtype == dx.dtype == np.float32
    assert all(p.data.dtype == p.grad.dtype == np.float32 for p in model.parameters())


def test_loss_layers_return_what_the_functional_losses_return(rng):
    """One convention (cnnlab.functional's docstring): a numpy scalar of the prediction's dtype."""
    from cnnlab import functional as F
    logits, y = rng.normal(size=(4, 3)).astype(np.float32), np.array([0, 2, 1, 1])
    loss = CrossEntropyLoss().forward(logits, y)
    expected = F.cross_entropy(logits, y)
    assert type(loss) is type(expected) is np.float32 and loss == expected
    pred = rng.normal(size=(2, 3))
    assert type(MSELoss(reduction="sum").forward(pred, pred + 1)) is np.float64


def test_only_layers_with_weights_accumulate_gradients(rng):
    """Module itself knows nothing of weight/bias: a parameter-free or a custom layer never needs them."""
    assert not hasattr(Module, "_accumulate") and not hasattr(ReLU(), "_accumulate")

    class Double(Module):
        def forward(self, x):
            self._cache = True
            return 2 * x

        def backward(self, dout):
            self._cached()
            return 2 * dout

    layer = Double()
    with pytest.raises(RuntimeError, match=r"Double.backward: call forward first"):
        layer.backward(np.ones(2))
    model = Sequential(Linear(2, 2, rng=rng, bias=False), layer)
    model.forward(np.ones((1, 2)))
    model.backward(np.ones((1, 2)))
    assert model[0].bias is None and np.all(model[0].weight.grad == 2)
