"""Tests for cnnlab/autodiff.py: reverse mode (Value), forward mode (Dual), derivative and grad."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnlab import autodiff as ad
from cnnlab.autodiff import Dual, Value, derivative, grad, topological_order


def test_chain_rule_example_from_notes():
    """f = (x + y) z at (-2, 5, -4): q = 3, f = -12, df/dx = df/dy = z = -4, df/dz = q = 3."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    assert (q.data, f.data) == (3.0, -12.0)
    assert (x.grad, y.grad, z.grad, q.grad, f.grad) == (-4.0, -4.0, 3.0, -4.0, 1.0)


def _j_symbolic(x):
    """dJ/dx for J = cos(sin(x^2) + 3x^2), by hand: -sin(u) (2x cos(x^2) + 6x)."""
    return -math.sin(math.sin(x * x) + 3 * x * x) * (2 * x * math.cos(x * x) + 6 * x)


@pytest.mark.parametrize("x0", [-1.3, 0.0, 0.5, 1.0, 2.2])
def test_cos_sin_example_four_ways(x0):
    """J = cos(sin(x^2) + 3x^2): reverse mode, dual numbers, finite differences and the formula agree."""
    J = lambda x: ad.cos(ad.sin(x ** 2) + 3 * x ** 2)
    x = Value(x0)
    out = J(x)
    out.backward()
    h = 1e-6
    numeric = (J(x0 + h) - J(x0 - h)) / (2 * h)
    assert out.data == pytest.approx(math.cos(math.sin(x0 ** 2) + 3 * x0 ** 2), abs=1e-15)
    assert x.grad == pytest.approx(_j_symbolic(x0), rel=1e-12, abs=1e-12)
    assert derivative(J, x0) == pytest.approx(_j_symbolic(x0), rel=1e-12, abs=1e-12)
    assert numeric == pytest.approx(_j_symbolic(x0), rel=1e-7, abs=1e-7)


def test_cos_sin_example_intermediate_gradients():
    """The notes' backward table: t = x^2, u1 = sin t, u2 = 3t, u = u1 + u2, J = cos u."""
    x = Value(1.0)
    t = x ** 2
    u1, u2 = t.sin(), 3 * t
    u = u1 + u2
    J = u.cos()
    J.backward()
    assert u.grad == pytest.approx(-math.sin(u.data))
    assert u1.grad == u2.grad == u.grad
    assert t.grad == pytest.approx(u.grad * (math.cos(t.data) + 3))
    assert x.grad == pytest.approx(t.grad * 2 * x.data)


def test_node_used_twice_accumulates():
    x = Value(3.0)
    y = x * x + x            # dy/dx = 2x + 1 = 7: x feeds three edges
    y.backward()
    assert x.grad == 7.0
    a = Value(2.0)
    b = a + a                # a used twice by one op
    c = b * b                # c = 4 a^2, dc/da = 8a = 16
    c.backward()
    assert a.grad == 16.0 and b.grad == 8.0


def test_backward_twice_accumulates_and_zero_grad_resets():
    """One convention in the whole library (as torch): gradients add up until they are zeroed."""
    x = Value(0.7)
    y = (x * x).tanh()
    y.backward()
    first = x.grad
    assert first == pytest.approx(2 * 0.7 * (1 - math.tanh(0.49) ** 2))
    y.backward()
    assert x.grad == pytest.approx(2 * first)
    y.zero_grad()
    assert x.grad == 0.0 and y.grad == 0.0
    y.backward()
    assert x.grad == first


@pytest.mark.parametrize("name", sorted(ad.RULES))
def test_both_modes_read_the_same_rule(name):
    """Reverse and forward mode give the same derivative, and both match central differences."""
    a = 0.37
    f = getattr(ad, name)
    v = Value(a)
    out = f(v)
    out.backward()
    d = f(Dual(a, 1.0))
    h = 1e-6
    numeric = (f(a + h) - f(a - h)) / (2 * h)
    assert out.data == d.value == f(a)
    assert v.grad == pytest.approx(d.deriv, rel=1e-15)
    assert v.grad == pytest.approx(numeric, rel=1e-8)


def test_topological_order():
    x, y = Value(1.0), Value(2.0)
    q = x * y
    f = q + q.exp()
    order = topological_order(f)
    assert order[-1] is f and len(order) == len({id(n) for n in order}) == 5
    pos = {id(n): i for i, n in enumerate(order)}
    for node in order:
        assert all(pos[id(p)] < pos[id(node)] for p in node._parents)


def test_deep_graph_has_no_recursion_limit():
    x = Value(1.0)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.backward()
    assert x.grad == pytest.approx(1.0001 ** 5000)


@pytest.mark.parametrize("name, f, df", [
    ("exp", math.exp, math.exp),
    ("log", math.log, lambda a: 1 / a),
    ("sin", math.sin, math.cos),
    ("cos", math.cos, lambda a: -math.sin(a)),
    ("tanh", math.tanh, lambda a: 1 - math.tanh(a) ** 2),
    ("sigmoid", lambda a: 1 / (1 + math.exp(-a)), lambda a: math.exp(-a) / (1 + math.exp(-a)) ** 2),
    ("relu", lambda a: max(a, 0.0), lambda a: float(a > 0)),
])
@pytest.mark.parametrize("a", [0.3, 1.7, -0.8])
def test_unary_functions_value_dual_float(name, f, df, a):
    if name == "log" and a <= 0:
        a = -a
    fn = getattr(ad, name)
    v = Value(a)
    out = fn(v)
    out.backward()
    d = fn(Dual(a, 1.0))
    assert fn(a) == pytest.approx(f(a), rel=1e-15)
    assert out.data == pytest.approx(f(a), rel=1e-15) and d.value == pytest.approx(f(a), rel=1e-15)
    assert v.grad == pytest.approx(df(a), rel=1e-12) and d.deriv == pytest.approx(df(a), rel=1e-12)


def test_binary_operators_and_reflected_forms():
    x, y = 1.5, -0.4
    exprs = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
             lambda a, b: 2 - a * b, lambda a, b: 3 / a + b, lambda a, b: -a ** 3 + 2 * b,
             lambda a, b: 1 + a - b / 4, lambda a, b: (a * a) ** 0.5 * b]
    for e in exprs:
        gx, gy = grad(e, x, y)
        h = 1e-6
        assert gx == pytest.approx((e(x + h, y) - e(x - h, y)) / (2 * h), rel=1e-7)
        assert gy == pytest.approx((e(x, y + h) - e(x, y - h)) / (2 * h), rel=1e-7)
        assert derivative(lambda a: e(a, y), x) == pytest.approx(gx, rel=1e-12)
        assert e(Value(x), Value(y)).data == pytest.approx(e(x, y), rel=1e-15)


def test_derivative_and_grad_of_constants():
    assert derivative(lambda x: 3.0, 2.0) == 0.0
    assert grad(lambda x, y: 5.0, 1.0, 2.0) == [0.0, 0.0]
    assert grad(lambda x, y: x, 1.0, 2.0) == [1.0, 0.0]


def test_sigmoid_is_stable():
    assert ad.sigmoid(-1000.0) == 0.0 and ad.sigmoid(1000.0) == 1.0
    assert derivative(ad.sigmoid, -800.0) == 0.0


# -- parity with torch on random expressions ------------------------------------------------------

# An expression is a list of steps; each step applies an op to earlier nodes (0..2 are the inputs).
# Ops whose domain is restricted get their argument through a safe transform, the same in both engines.
UNARY = ["exp", "sin", "cos", "tanh", "sigmoid", "relu", "neg", "log1sq", "sq", "cube", "sqrt1sq"]
BINARY = ["add", "sub", "mul", "div1sq", "radd", "rmul"]


def _step(i):
    unary = st.tuples(st.sampled_from(UNARY), st.integers(0, i + 2), st.just(0))
    binary = st.tuples(st.sampled_from(BINARY), st.integers(0, i + 2), st.integers(0, i + 2))
    return st.one_of(unary, binary)


expressions = st.integers(2, 9).flatmap(lambda n: st.tuples(*[_step(i) for i in range(n)]))


def _evaluate(steps, inputs, lib):
    nodes = list(inputs)
    for op, i, j in steps:
        a, b = nodes[i], nodes[j]
        out = {
            "exp": lambda: lib.exp(a * 0.5), "sin": lambda: lib.sin(a), "cos": lambda: lib.cos(a),
            "tanh": lambda: lib.tanh(a), "sigmoid": lambda: lib.sigmoid(a), "relu": lambda: lib.relu(a),
            "neg": lambda: -a, "log1sq": lambda: lib.log(a * a + 1), "sq": lambda: a ** 2,
            "cube": lambda: a ** 3 * 0.1, "sqrt1sq": lambda: (a * a + 1) ** 0.5,
            "add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
            "div1sq": lambda: a / (b * b + 1), "radd": lambda: 1.5 + a, "rmul": lambda: 0.7 * a,
        }[op]()
        nodes.append(out)
    return nodes[-1] + nodes[-2] * 0.5       # a root that reuses two nodes


class _TorchLib:
    def __init__(self, torch):
        self.torch = torch
        for name in ("exp", "sin", "cos", "tanh", "sigmoid", "relu", "log"):
            setattr(self, name, getattr(torch, name))


@pytest.mark.torch
@settings(max_examples=25, deadline=None)
@given(steps=expressions, xs=st.lists(st.floats(-2, 2).filter(lambda v: abs(v) > 1e-3), min_size=3, max_size=3))
def test_gradients_match_torch_on_random_expressions(steps, xs):
    torch = pytest.importorskip("torch")
    leaves = [Value(v) for v in xs]
    out = _evaluate(steps, leaves, ad)
    out.backward()
    t = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in xs]
    t_out = _evaluate(steps, t, _TorchLib(torch))
    t_out.backward()
    assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-12)
    for v, tv in zip(leaves, t):
        expected = 0.0 if tv.grad is None else tv.grad.item()
        assert v.grad == pytest.approx(expected, rel=1e-10, abs=1e-10)
    # forward mode agrees with reverse mode, one input direction at a time
    for k in range(3):
        duals = [Dual(v, 1.0 if m == k else 0.0) for m, v in enumerate(xs)]
        assert _evaluate(steps, duals, ad).deriv == pytest.approx(leaves[k].grad, rel=1e-10, abs=1e-10)


# -- bad input ------------------------------------------------------------------------------------

@pytest.mark.parametrize("make, match", [
    (lambda: Value("a"), r"Value: data must be a real number, got str 'a'"),
    (lambda: Value(None), r"Value: data must be a real number, got NoneType"),
    (lambda: Value(1.0) + "b", r"Value.__add__: other must be a real number, got str 'b'"),
    (lambda: "b" * Value(1.0), r"Value.__rmul__: other must be a real number, got str 'b'"),
    (lambda: Value(1.0) - [1], r"Value.__sub__: other must be a real number, got list"),
    (lambda: Value(1.0) / None, r"Value.__truediv__: other must be a real number, got NoneType"),
    (lambda: Value(2.0) ** Value(2.0), r"Value.__pow__: exponent must be an int or float"),
    (lambda: Value(2.0) ** "2", r"Value.__pow__: exponent must be a real number, got str"),
    (lambda: Value(1.0) + Dual(1.0), r"Value.__add__: cannot mix a Value and a Dual"),
    (lambda: Dual("x"), r"Dual: value must be a real number, got str"),
    (lambda: Dual(1.0, "d"), r"Dual: deriv must be a real number, got str"),
    (lambda: Dual(1.0) * "c", r"Dual.__mul__: other must be a real number, got str"),
    (lambda: Dual(1.0) + Value(1.0), r"Dual.__add__: cannot mix a Dual and a Value"),
    (lambda: Dual(1.0) ** Dual(1.0), r"Dual.__pow__: exponent must be an int or float"),
    (lambda: ad.exp("x"), r"exp: x must be a real number, got str"),
    (lambda: ad.relu(None), r"relu: x must be a real number, got NoneType"),
    (lambda: topological_order(3.0), r"topological_order: root must be a Value, got float"),
    (lambda: derivative(3.0, 1.0), r"derivative: f must be callable"),
    (lambda: derivative(ad.sin, "1"), r"derivative: x must be a real number, got str"),
    (lambda: grad(ad.sin, "1"), r"grad: xs\[0\] must be a real number, got str"),
    (lambda: grad(None, 1.0), r"grad: f must be callable"),
])
def test_bad_input_type_error_names_operand(make, match):
    with pytest.raises(TypeError, match=match):
        make()


@pytest.mark.parametrize("make, exc, match", [
    (lambda: Value(-1.0).log(), ValueError, r"Value.log: log is defined for positive numbers only"),
    (lambda: Dual(0.0).log(), ValueError, r"Dual.log: log is defined for positive numbers only"),
    (lambda: ad.log(-2.0), ValueError, r"log: log is defined for positive numbers only"),
    (lambda: Value(-2.0) ** 0.5, ValueError, r"Value.__pow__: -2.0 \*\* 0.5 is not a real number"),
    (lambda: Dual(0.0) ** 0.5, ValueError, r"Dual.__pow__: 0 \*\* 0.5 has no finite derivative"),
    (lambda: Value(1.0) / 0, ZeroDivisionError, r"Value.__truediv__: division of 1.0 by zero"),
    (lambda: Dual(1.0) / Dual(0.0), ZeroDivisionError, r"Dual.__truediv__"),
])
def test_bad_values(make, exc, match):
    with pytest.raises(exc, match=match):
        make()
