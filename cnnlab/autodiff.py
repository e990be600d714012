"""Automatic differentiation of scalar expressions, both ways round.

Reverse mode (``Value``): every operation records its inputs and its *local gradients* (the partial
derivative of its output with respect to each input, known when the output is computed). ``backward``
visits the graph in reverse topological order and adds upstream gradient x local gradient into each
input, so a node used twice collects both contributions. This is backpropagation.

Forward mode (``Dual``): a dual number a + b eps with eps^2 = 0 carries a value and its derivative
along one input direction through every operation: f(a + b eps) = f(a) + f'(a) b eps.

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


class Value:
    """A scalar node of a computation graph: ``data`` (forward value) and ``grad`` (d root / d self).

    Value(data, label=""). Arithmetic with numbers or other Values builds the graph; ``backward()``
    on the final node fills ``grad`` on every node it depends on.
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

    # -- building blocks ---------------------------------------------------------------------
    def _other(self, other: object, op: str) -> Value:
        if isinstance(other, Value):
            return other
        if isinstance(other, Dual):
            raise TypeError(f"Value.{op}: cannot mix a Value and a Dual ({other!r})")
        return Value(_real(f"Value.{op}", "other", other))

    def _unary(self, out: float, local: float, op: str) -> Value:
        return Value(out, _parents=(self,), _local_grads=(local,), _op=op)

    # -- arithmetic ----------------------------------------------------------------------------
    def __add__(self, other: object) -> Value:
        o = self._other(other, "__add__")
        return Value(self.data + o.data, _parents=(self, o), _local_grads=(1.0, 1.0), _op="+")

    def __mul__(self, other: object) -> Value:
        o = self._other(other, "__mul__")
        return Value(self.data * o.data, _parents=(self, o), _local_grads=(o.data, self.data), _op="*")

    def __pow__(self, exponent: object) -> Value:
        if isinstance(exponent, Value):
            raise TypeError("Value.__pow__: exponent must be an int or float, not a Value")
        p = _real("Value.__pow__", "exponent", exponent)
        _check_power("Value.__pow__", self.data, p)
        return self._unary(self.data ** p, p * self.data ** (p - 1) if p else 0.0, f"**{p:g}")

    def __neg__(self) -> Value:
        return self * -1.0

    def __sub__(self, other: object) -> Value:
        return self + (-self._other(other, "__sub__"))

    def __truediv__(self, other: object) -> Value:
        o = self._other(other, "__truediv__")
        if o.data == 0:
            raise ZeroDivisionError(f"Value.__truediv__: division of {self.data!r} by zero")
        return self * o ** -1

    def __radd__(self, other: object) -> Value:
        return self._other(other, "__radd__") + self

    def __rsub__(self, other: object) -> Value:
        return self._other(other, "__rsub__") - self

    def __rmul__(self, other: object) -> Value:
        return self._other(other, "__rmul__") * self

    def __rtruediv__(self, other: object) -> Value:
        return self._other(other, "__rtruediv__") / self

    # -- elementary functions --------------------------------------------------------------------
    def exp(self) -> Value:
        e = math.exp(self.data)
        return self._unary(e, e, "exp")

    def log(self) -> Value:
        a = _log_arg("Value.log", self.data)
        return self._unary(math.log(a), 1.0 / a, "log")

    def sin(self) -> Value:
        return self._unary(math.sin(self.data), math.cos(self.data), "sin")

    def cos(self) -> Value:
        return self._unary(math.cos(self.data), -math.sin(self.data), "cos")

    def tanh(self) -> Value:
        t = math.tanh(self.data)
        return self._unary(t, 1.0 - t * t, "tanh")

    def sigmoid(self) -> Value:
        s = _sigmoid(self.data)
        return self._unary(s, s * (1.0 - s), "sigmoid")

    def relu(self) -> Value:
        return self._unary(max(self.data, 0.0), 1.0 if self.data > 0 else 0.0, "relu")

    # -- backpropagation -----------------------------------------------------------------------
    def backward(self) -> None:
        """Fill ``grad`` of every node this one depends on with d self / d node.

        All gradients in the graph are reset first, so calling backward twice gives the same result.
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):              # outputs before the inputs they depend on
            for parent, local in zip(node._parents, node._local_grads):
                parent.grad += node.grad * local  # chain rule; += sums over the node's uses


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


class Dual:
    """A dual number value + deriv * eps (eps^2 = 0): forward-mode derivative of one input.

    Dual(value, deriv=0.0). Seed the input with deriv=1.0; every operation carries the derivative.
    """

    __slots__ = ("value", "deriv")

    def __init__(self, value: float, deriv: float = 0.0):
        self.value = _real("Dual", "value", value)
        self.deriv = _real("Dual", "deriv", deriv)

    def __repr__(self) -> str:
        return f"Dual({self.value:.6g}, deriv={self.deriv:.6g})"

    def _other(self, other: object, op: str) -> Dual:
        if isinstance(other, Dual):
            return other
        if isinstance(other, Value):
            raise TypeError(f"Dual.{op}: cannot mix a Dual and a Value ({other!r})")
        return Dual(_real(f"Dual.{op}", "other", other))

    def _chain(self, value: float, slope: float) -> Dual:
        return Dual(value, slope * self.deriv)

    def __add__(self, other: object) -> Dual:
        o = self._other(other, "__add__")
        return Dual(self.value + o.value, self.deriv + o.deriv)

    def __mul__(self, other: object) -> Dual:
        o = self._other(other, "__mul__")    # (a + b eps)(c + d eps) = ac + (ad + bc) eps
        return Dual(self.value * o.value, self.value * o.deriv + self.deriv * o.value)

    def __truediv__(self, other: object) -> Dual:
        o = self._other(other, "__truediv__")
        if o.value == 0:
            raise ZeroDivisionError(f"Dual.__truediv__: division of {self.value!r} by zero")
        return Dual(self.value / o.value, (self.deriv * o.value - self.value * o.deriv) / o.value ** 2)

    def __pow__(self, exponent: object) -> Dual:
        if isinstance(exponent, (Dual, Value)):
            raise TypeError(f"Dual.__pow__: exponent must be an int or float, not a {type(exponent).__name__}")
        p = _real("Dual.__pow__", "exponent", exponent)
        _check_power("Dual.__pow__", self.value, p)
        return self._chain(self.value ** p, p * self.value ** (p - 1) if p else 0.0)

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.deriv)

    def __sub__(self, other: object) -> Dual:
        return self + (-self._other(other, "__sub__"))

    def __radd__(self, other: object) -> Dual:
        return self._other(other, "__radd__") + self

    def __rsub__(self, other: object) -> Dual:
        return self._other(other, "__rsub__") - self

    def __rmul__(self, other: object) -> Dual:
        return self._other(other, "__rmul__") * self

    def __rtruediv__(self, other: object) -> Dual:
        return self._other(other, "__rtruediv__") / self

    def exp(self) -> Dual:
        e = math.exp(self.value)
        return self._chain(e, e)

    def log(self) -> Dual:
        a = _log_arg("Dual.log", self.value)
        return self._chain(math.log(a), 1.0 / a)

    def sin(self) -> Dual:
        return self._chain(math.sin(self.value), math.cos(self.value))

    def cos(self) -> Dual:
        return self._chain(math.cos(self.value), -math.sin(self.value))

    def tanh(self) -> Dual:
        t = math.tanh(self.value)
        return self._chain(t, 1.0 - t * t)

    def sigmoid(self) -> Dual:
        s = _sigmoid(self.value)
        return self._chain(s, s * (1.0 - s))

    def relu(self) -> Dual:
        return self._chain(max(self.value, 0.0), 1.0 if self.value > 0 else 0.0)


Scalar = Union[float, Value, Dual]

_PLAIN = {"exp": math.exp, "log": lambda a: math.log(_log_arg("log", a)), "sin": math.sin,
          "cos": math.cos, "tanh": math.tanh, "sigmoid": _sigmoid, "relu": lambda a: max(a, 0.0)}


def _apply(name: str, x: object) -> Scalar:
    """Call method ``name`` of a Value/Dual, or the plain function on a number."""
    if isinstance(x, (Value, Dual)):
        return getattr(x, name)()
    return _PLAIN[name](_real(name, "x", x))


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
