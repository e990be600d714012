"""Automatic differentiation of scalar expressions, both ways round.

Reverse mode (``Value``): every operation records its inputs and its *local gradients* (the partial
derivative of its output with respect to each input, known when the output is computed). ``backward``
visits the graph in reverse topological order and adds upstream gradient x local gradient into each
input, so a node used twice collects both contributions. This is backpropagation.

Forward mode (``Dual``): a dual number a + b eps with eps^2 = 0 carries a value and its derivative
along one input direction through every operation: f(a + b eps) = f(a) + f'(a) b eps.

Both modes read one table of derivative rules (``RULES`` and the three arithmetic rules of
``_Scalar``): reverse mode stores each local derivative in the graph, forward mode multiplies it
into the derivative it carries. Gradients accumulate across ``backward()`` calls, the convention of
the whole library (cnnlab.layers, and torch); ``Value.zero_grad()`` resets them.

    >>> x, y, z = Value(-2.0), Value(5.0), Value(-4.0)
    >>> f = (x + y) * z
    >>> f.backward(); (f.data, x.grad, y.grad, z.grad)
    (-12.0, -4.0, -4.0, 3.0)
    >>> derivative(lambda x: cos(sin(x**2) + 3 * x**2), 1.0)   # doctest: +ELLIPSIS
    4.56079...
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Callable, Union

__all__ = ["Value", "Dual", "topological_order", "exp", "log", "sin", "cos", "tanh", "sigmoid",
           "relu", "derivative", "grad"]


def _real(where: str, name: str, x: object) -> float:
    """``x`` as a float, or TypeError naming the operation and the operand."""
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{where}: {name} must be a real number, got {type(x).__name__} {x!r}")
    return float(x)


def _sigmoid(a: float) -> float:
    """1 / (1 + e^-a), without overflow for large |a|."""
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _log_arg(where: str, a: float) -> float:
    if a <= 0:
        raise ValueError(f"{where}: log is defined for positive numbers only, got {a!r}")
    return a


def _check_power(where: str, a: float, p: float) -> None:
    """a ** p must be real with a finite derivative p a^(p-1)."""
    if a < 0 and not p.is_integer():
        raise ValueError(f"{where}: {a!r} ** {p!r} is not a real number")
    if a == 0 and p < 1 and p != 0:
        raise ValueError(f"{where}: 0 ** {p!r} has no finite derivative")


# The derivative rules, written once for both modes. Each maps the input a to (f(a), f'(a)):
# reverse mode stores f'(a) as the local gradient of the new node, forward mode multiplies it into
# the derivative it carries. The plain functions (exp(2.0)) use the first half only.
def _exp_rule(a: float) -> tuple[float, float]:
    e = math.exp(a)
    return e, e                                   # (e^a)' = e^a


def _tanh_rule(a: float) -> tuple[float, float]:
    t = math.tanh(a)
    return t, 1.0 - t * t                         # tanh' = 1 - tanh^2


def _sigmoid_rule(a: float) -> tuple[float, float]:
    s = _sigmoid(a)
    return s, s * (1.0 - s)                       # sigma' = sigma (1 - sigma)


RULES: dict[str, Callable[[float], tuple[float, float]]] = {
    "exp": _exp_rule,
    "log": lambda a: (math.log(a), 1.0 / a),
    "sin": lambda a: (math.sin(a), math.cos(a)),
    "cos": lambda a: (math.cos(a), -math.sin(a)),
    "tanh": _tanh_rule,
    "sigmoid": _sigmoid_rule,
    "relu": lambda a: (max(a, 0.0), 1.0 if a > 0 else 0.0),   # derivative 0 at 0, as torch
}


def _rule(name: str, where: str, a: float) -> tuple[float, float]:
    """Apply rule ``name`` to a, checking its domain first."""
    if name == "log":
        _log_arg(where, a)
    return RULES[name](a)


class _Scalar:
    """The arithmetic shared by Value and Dual, each operation written once as a rule.

    A subclass says how to read its number (``_number``) and how to build the result of an
    operation from its value, its inputs and the partial derivatives with respect to them
    (``_combine``): a graph node for reverse mode, a dual number for forward mode.
    """

    __slots__ = ()

    def _number(self) -> float:
        raise NotImplementedError

    def _combine(self, out: float, inputs: tuple, partials: tuple, op: str) -> _Scalar:
        raise NotImplementedError

    def _other(self, other: object, op: str) -> _Scalar:
        kind = type(self).__name__
        if isinstance(other, type(self)):
            return other
        if isinstance(other, _Scalar):
            raise TypeError(f"{kind}.{op}: cannot mix a {kind} and a {type(other).__name__} ({other!r})")
        return type(self)(_real(f"{kind}.{op}", "other", other))

    def _apply(self, name: str) -> _Scalar:
        out, slope = _rule(name, f"{type(self).__name__}.{name}", self._number())
        return self._combine(out, (self,), (slope,), name)

    # -- arithmetic: d(a + b) = da + db, d(ab) = b da + a db, d(a^p) = p a^(p-1) da ----------
    def __add__(self, other: object) -> _Scalar:
        o = self._other(other, "__add__")
        return self._combine(self._number() + o._number(), (self, o), (1.0, 1.0), "+")

    def __mul__(self, other: object) -> _Scalar:
        o = self._other(other, "__mul__")
        a, b = self._number(), o._number()
        return self._combine(a * b, (self, o), (b, a), "*")

    def __pow__(self, exponent: object) -> _Scalar:
        kind = type(self).__name__
        if isinstance(exponent, _Scalar):
            raise TypeError(f"{kind}.__pow__: exponent must be an int or float, not a "
                            f"{type(exponent).__name__}")
        p = _real(f"{kind}.__pow__", "exponent", exponent)
        a = self._number()
        _check_power(f"{kind}.__pow__", a, p)
        return self._combine(a ** p, (self,), (p * a ** (p - 1) if p else 0.0,), f"**{p:g}")

    # -- the rest is made of the three above ----------------------------------------------------
    def __neg__(self) -> _Scalar:
        return self * -1.0

    def __sub__(self, other: object) -> _Scalar:
        return self + (-self._other(other, "__sub__"))

    def __truediv__(self, other: object) -> _Scalar:
        o = self._other(other, "__truediv__")
        if o._number() == 0:
            raise ZeroDivisionError(f"{type(self).__name__}.__truediv__: division of "
                                    f"{self._number()!r} by zero")
        return self * o ** -1

    def __radd__(self, other: object) -> _Scalar:
        return self._other(other, "__radd__") + self

    def __rsub__(self, other: object) -> _Scalar:
        return self._other(other, "__rsub__") - self

    def __rmul__(self, other: object) -> _Scalar:
        return self._other(other, "__rmul__") * self

    def __rtruediv__(self, other: object) -> _Scalar:
        return self._other(other, "__rtruediv__") / self

    # -- elementary functions, from RULES ------------------------------------------------------
    def exp(self) -> _Scalar:
        """e^self."""
        return self._apply("exp")

    def log(self) -> _Scalar:
        """Natural log of self (self > 0)."""
        return self._apply("log")

    def sin(self) -> _Scalar:
        """sin self."""
        return self._apply("sin")

    def cos(self) -> _Scalar:
        """cos self."""
        return self._apply("cos")

    def tanh(self) -> _Scalar:
        """tanh self."""
        return self._apply("tanh")

    def sigmoid(self) -> _Scalar:
        """1 / (1 + e^-self)."""
        return self._apply("sigmoid")

    def relu(self) -> _Scalar:
        """max(self, 0), derivative 0 at 0 (as torch)."""
        return self._apply("relu")


class Value(_Scalar):
    """A scalar node of a computation graph: ``data`` (forward value) and ``grad`` (d root / d self).

    Value(data, label=""). Arithmetic with numbers or other Values builds the graph; ``backward()``
    on the final node adds d root / d node into ``grad`` of every node it depends on. Gradients
    accumulate across calls, as everywhere in cnnlab (and torch); ``zero_grad()`` resets them.
    """

    __slots__ = ("data", "grad", "label", "op", "_parents", "_local_grads")

    def __init__(self, data: float, label: str = "", *, _parents: tuple = (), _local_grads: tuple = (),
                 _op: str = ""):
        self.data = _real("Value", "data", data)
        self.grad = 0.0
        self.label = label
        self.op = _op                    # the operation that produced this node ("" for a leaf)
        self._parents = _parents         # input nodes
        self._local_grads = _local_grads  # d self / d parent, one per parent

    def __repr__(self) -> str:
        name = f"{self.label}=" if self.label else ""
        return f"Value({name}{self.data:.6g}, grad={self.grad:.6g})"

    def _number(self) -> float:
        return self.data

    def _combine(self, out: float, inputs: tuple, partials: tuple, op: str) -> Value:
        return Value(out, _parents=inputs, _local_grads=partials, _op=op)

    def backward(self) -> None:
        """Add d self / d node into ``grad`` of every node this one depends on (self included).

        Gradients accumulate: a second call adds the same amounts again, like torch's
        ``loss.backward()`` and cnnlab.layers. Call ``zero_grad()`` first for fresh gradients.
        """
        order = topological_order(self)
        upstream = {id(node): 0.0 for node in order}   # d self / d node, summed over paths
        upstream[id(self)] = 1.0
        for node in reversed(order):                  # outputs before the inputs they depend on
            g = upstream[id(node)]
            node.grad += g
            for parent, local in zip(node._parents, node._local_grads):
                upstream[id(parent)] += g * local      # chain rule; += sums over the node's uses

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on this node and every node it depends on."""
        for node in topological_order(self):
            node.grad = 0.0


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, each once, inputs before the nodes computed from them (root last)."""
    if not isinstance(root, Value):
        raise TypeError(f"topological_order: root must be a Value, got {type(root).__name__}")
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:                                   # iterative depth-first search: no recursion limit
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents if id(p) not in seen)
    return order


class Dual(_Scalar):
    """A dual number value + deriv * eps (eps^2 = 0): forward-mode derivative of one input.

    Dual(value, deriv=0.0). Seed the input with deriv=1.0; every operation carries the derivative:
    f(a + b eps) = f(a) + f'(a) b eps.
    """

    __slots__ = ("value", "deriv")

    def __init__(self, value: float, deriv: float = 0.0):
        self.value = _real("Dual", "value", value)
        self.deriv = _real("Dual", "deriv", deriv)

    def __repr__(self) -> str:
        return f"Dual({self.value:.6g}, deriv={self.deriv:.6g})"

    def _number(self) -> float:
        return self.value

    def _combine(self, out: float, inputs: tuple, partials: tuple, op: str) -> Dual:
        # the chain rule in forward mode: d out = sum_i (d out / d input_i) d input_i
        return Dual(out, sum(p * x.deriv for p, x in zip(partials, inputs)))


Scalar = Union[float, Value, Dual]


def _apply(name: str, x: object) -> Scalar:
    """Rule ``name`` on a Value/Dual (value and derivative), or its plain value on a number."""
    if isinstance(x, _Scalar):
        return x._apply(name)
    return _rule(name, name, _real(name, "x", x))[0]


def exp(x: Scalar) -> Scalar:
    """e^x for a float, Value or Dual."""
    return _apply("exp", x)


def log(x: Scalar) -> Scalar:
    """Natural log (x > 0) for a float, Value or Dual."""
    return _apply("log", x)


def sin(x: Scalar) -> Scalar:
    """sin x for a float, Value or Dual."""
    return _apply("sin", x)


def cos(x: Scalar) -> Scalar:
    """cos x for a float, Value or Dual."""
    return _apply("cos", x)


def tanh(x: Scalar) -> Scalar:
    """tanh x for a float, Value or Dual."""
    return _apply("tanh", x)


def sigmoid(x: Scalar) -> Scalar:
    """1 / (1 + e^-x) for a float, Value or Dual."""
    return _apply("sigmoid", x)


def relu(x: Scalar) -> Scalar:
    """max(x, 0) for a float, Value or Dual (derivative 0 at 0, as torch)."""
    return _apply("relu", x)


def derivative(f: Callable[[Dual], Scalar], x: float) -> float:
    """f'(x) by forward mode: one pass of f on the dual number x + 1 eps."""
    if not callable(f):
        raise TypeError(f"derivative: f must be callable, got {type(f).__name__}")
    out = f(Dual(_real("derivative", "x", x), 1.0))
    return out.deriv if isinstance(out, Dual) else 0.0   # f ignored x: a constant


def grad(f: Callable[..., Value], *xs: float) -> list[float]:
    """All partial derivatives of a scalar f at xs, by one reverse-mode pass."""
    if not callable(f):
        raise TypeError(f"grad: f must be callable, got {type(f).__name__}")
    leaves = [Value(_real("grad", f"xs[{i}]", x)) for i, x in enumerate(xs)]
    out = f(*leaves)
    if not isinstance(out, Value):
        return [0.0] * len(leaves)
    out.backward()
    return [v.grad for v in leaves]
