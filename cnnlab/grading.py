"""Checks that teach: the helpers the assignments' test cells call.

Every check compares a student's result with cnnlab's reference and, when they differ, raises a
:class:`GradingError` that says which input was used, what was expected, what came back and the
largest relative error -- never a bare ``AssertionError``. numpy only; torch is imported lazily by
the two torch helpers.

    check_array(name, actual, expected, *, rtol)          shape, dtype, NaN/inf, values
    check_function(student_fn, reference_fn, cases, ...)  one call per case, inputs never mutated
    check_module_output(...)                              the same for a torch nn.Module
    forbid_reference(*targets)                            calls into cnnlab raise ReferenceCalled
    uses_module(obj, "cnnlab")                            does a function's code import cnnlab?

The relative error is :func:`cnnlab.gradcheck.rel_error`, ``max|a - b| / max(1e-8, max(|a| + |b|))``.
"""

from __future__ import annotations

import contextlib
import copy
import dis
import inspect
import types
import warnings
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from cnnlab.gradcheck import rel_error

__all__ = [
    "GradingError", "ReferenceCalled", "Case", "check_array", "check_scalar", "check_function",
    "check_no_mutation", "forbid_reference", "uses_module", "check_not_using", "describe",
    "seeded_cases", "check_module_output", "count_parameters", "stderr_to_stdout",
]

_MAX_ELEMENTS_SHOWN = 12


class GradingError(AssertionError):
    """A test failed; the message says which input, what was expected and what came back."""


class ReferenceCalled(RuntimeError):
    """Raised when graded code calls one of cnnlab's reference functions."""


class Case:
    """One test input: positional ``args``, keyword ``kwargs`` and a short ``label``."""

    def __init__(self, label: str, *args: Any, **kwargs: Any) -> None:
        self.label = label
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"Case({self.label!r})"


def describe(value: Any, *, limit: int = _MAX_ELEMENTS_SHOWN) -> str:
    """A short printable description of a test input or result (arrays are abbreviated)."""
    if isinstance(value, np.ndarray):
        with np.printoptions(precision=6, threshold=limit, edgeitems=3, linewidth=100):
            body = np.array2string(value, separator=", ")
        return f"array(shape={value.shape}, dtype={value.dtype}) {body}"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(describe(v, limit=limit) for v in value)
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if hasattr(value, "shape") and hasattr(value, "detach"):  # a torch tensor
        return f"tensor(shape={tuple(value.shape)}, dtype={value.dtype})"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _describe_call(name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return f"{name}(" + ", ".join(parts) + ")"


@contextlib.contextmanager
def stderr_to_stdout() -> Iterator[None]:
    """Send what the student's code writes to stderr (progress bars, warnings) to stdout.

    nbgrader scores a test cell 0 as soon as it prints anything on stderr; a tqdm progress bar
    in a training loop must not cost the part.
    """
    import sys

    with contextlib.redirect_stderr(sys.stdout):
        yield


def check_array(name: str, actual: Any, expected: Any, *, rtol: float = 1e-7,
                check_dtype: bool = True, context: str = "") -> None:
    """Check that ``actual`` matches ``expected``: type, shape, dtype, finiteness and values.

    name: what is being checked (used in the message). ``rtol`` bounds
    ``rel_error(actual, expected)``. ``context`` (e.g. the call that produced ``actual``) is
    prepended to every failure message. Raises :class:`GradingError` on the first problem found.
    """
    where = f"{context}\n" if context else ""
    expected = np.asarray(expected)
    if actual is None:
        raise GradingError(f"{where}{name}: got None; did you forget a `return`? "
                           f"Expected an array of shape {expected.shape}.")
    if hasattr(actual, "detach") and hasattr(actual, "numpy"):  # accept torch tensors
        actual = actual.detach().cpu().numpy()
    if not isinstance(actual, (np.ndarray, np.generic, float, int, bool, list, tuple)):
        raise GradingError(f"{where}{name}: expected a numpy array, got {type(actual).__name__}")
    try:
        actual = np.asarray(actual)
    except Exception as exc:  # ragged lists and friends
        raise GradingError(f"{where}{name}: could not be turned into an array ({exc})") from None
    if actual.shape != expected.shape:
        raise GradingError(f"{where}{name}: wrong shape {actual.shape}, expected {expected.shape}")
    if check_dtype and expected.dtype.kind == "f" and actual.dtype != expected.dtype:
        raise GradingError(f"{where}{name}: wrong dtype {actual.dtype}, expected {expected.dtype} "
                           "(the output dtype should follow the input's)")
    if expected.dtype.kind in "biu" and actual.dtype.kind not in "biuf":
        raise GradingError(f"{where}{name}: wrong dtype {actual.dtype}, expected {expected.dtype}")
    if actual.dtype.kind not in "biufc":
        raise GradingError(f"{where}{name}: expected numbers, got dtype {actual.dtype}")
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    bad = ~np.isfinite(a) & np.isfinite(e)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise GradingError(
            f"{where}{name}: contains {np.count_nonzero(np.isnan(a) & bad)} NaN and "
            f"{np.count_nonzero(np.isinf(a) & bad)} inf values where the expected values are finite; "
            f"first at index {index}: got {float(a[index])!r}, expected {float(e[index])!r}. "
            "Overflow? (e.g. exp of a large number: subtract the max first)")
    mismatch = np.isfinite(e) != np.isfinite(a)
    both = np.isfinite(e) & np.isfinite(a)
    err = rel_error(np.where(both, a, 0.0), np.where(both, e, 0.0)) if a.size else 0.0
    if mismatch.any() or err > rtol:
        if a.size:
            diff = np.where(both, np.abs(a - e), np.where(mismatch, np.inf, 0.0))
            index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), a.shape))
            worst = f"; largest difference at index {index}: got {float(a[index])!r}, expected {float(e[index])!r}"
        else:
            worst = ""
        raise GradingError(
            f"{where}{name}: values differ, largest relative error {err:.3g} > {rtol:g}{worst}\n"
            f"  expected: {describe(expected)}\n  actual:   {describe(actual)}")


def check_scalar(name: str, actual: Any, expected: float, *, rtol: float = 1e-7,
                 context: str = "") -> None:
    """Check a scalar result (a Python float or a 0-d array) against ``expected``."""
    where = f"{context}\n" if context else ""
    if actual is None:
        raise GradingError(f"{where}{name}: got None; did you forget a `return`?")
    arr = np.asarray(actual)
    if arr.size != 1:
        raise GradingError(f"{where}{name}: expected a single number, got shape {arr.shape}")
    check_array(name, arr.reshape(()).astype(np.float64), np.asarray(expected, dtype=np.float64),
                rtol=rtol, check_dtype=False, context=context)


def _copy_args(values: Iterable[Any]) -> list:
    return [copy.deepcopy(v) for v in values]


def check_no_mutation(name: str, before: Sequence[Any], after: Sequence[Any],
                      context: str = "") -> None:
    """Raise if any array argument changed while the function ran (functions must not mutate)."""
    for i, (b, a) in enumerate(zip(before, after)):
        if isinstance(b, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
            raise GradingError(f"{context}\n{name}: argument {i} was modified in place; "
                               "a function must never change its inputs (work on a copy).")


def _as_tuple(value: Any, n: int) -> tuple:
    if n == 1:
        return (value,)
    if not isinstance(value, (tuple, list)):
        raise GradingError(f"expected a tuple of {n} results, got {type(value).__name__}")
    if len(value) != n:
        raise GradingError(f"expected a tuple of {n} results, got {len(value)}")
    return tuple(value)


def check_function(student_fn: Callable, reference_fn: Callable, cases: Sequence[Case], *,
                   rtol: float = 1e-7, output_names: Sequence[str] | None = None,
                   forbid: Sequence[Any] = (), compare: Callable[[Any], Any] | None = None,
                   check_dtype: bool = True) -> None:
    """Call ``student_fn`` and ``reference_fn`` on every case and compare the results.

    cases: :class:`Case` objects (arguments are deep-copied before each call, and the student's
    copies are checked for mutation afterwards). output_names: names of the results when the
    function returns a tuple (e.g. ``("dx", "dw", "db")``); None entries are compared as None.
    forbid: targets passed to :func:`forbid_reference` while the student's function runs.
    compare: optional function applied to both results before comparing (e.g. drop the cache).
    """
    name = getattr(student_fn, "__name__", "your function")
    if not callable(student_fn):
        raise GradingError(f"{name} is not a function (got {type(student_fn).__name__})")
    for case in cases:
        call = "input: " + _describe_call(name, case.args, case.kwargs) + f"   [{case.label}]"
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            expected = reference_fn(*_copy_args(case.args),
                                    **dict(zip(case.kwargs, _copy_args(case.kwargs.values()))))
            args = _copy_args(case.args)
            kwargs = dict(zip(case.kwargs, _copy_args(case.kwargs.values())))
            before = _copy_args(args)
            try:
                with forbid_reference(*forbid), stderr_to_stdout():
                    actual = student_fn(*args, **kwargs)
            except ReferenceCalled as exc:
                raise GradingError(f"{call}\n{exc}") from None
            except NotImplementedError:
                raise GradingError(f"{call}\n{name} is not implemented yet "
                                   "(it raised NotImplementedError)") from None
            except Exception as exc:
                raise GradingError(f"{call}\n{name} raised {type(exc).__name__}: {exc}") from exc
        check_no_mutation(name, before, args, context=call)
        if compare is not None:
            expected, actual = compare(expected), compare(actual)
        n = len(output_names) if output_names else 1
        try:
            actual_t = _as_tuple(actual, n)
        except GradingError as exc:
            raise GradingError(f"{call}\n{name}: {exc}") from None
        expected_t = _as_tuple(expected, n)
        names = list(output_names) if output_names else ["result"]
        for out_name, a, e in zip(names, actual_t, expected_t):
            label = f"{name} -> {out_name}"
            if e is None:
                if a is not None:
                    raise GradingError(f"{call}\n{label}: expected None, got {describe(a)}")
                continue
            if np.ndim(e) == 0 and not isinstance(e, np.ndarray):
                check_scalar(label, a, float(e), rtol=rtol, context=call)
            else:
                check_array(label, a, e, rtol=rtol, context=call, check_dtype=check_dtype)


def seeded_cases(make: Callable[[np.random.Generator], Case], n: int, *, seed: int) -> list[Case]:
    """``n`` cases drawn by ``make(rng)`` from ``np.random.default_rng(seed)``: same seed, same cases."""
    rng = np.random.default_rng(seed)
    return [make(rng) for _ in range(n)]


# --- catching calls to the reference -------------------------------------------------------------

def _trap_code(qualname: str) -> types.CodeType:
    def trap(*args, **kwargs):
        import cnnlab.grading as _g  # runs with the trapped function's globals, so import here
        raise _g.ReferenceCalled(_g._trap_message(__import__("sys")._getframe().f_code.co_name))
    return trap.__code__.replace(co_name=qualname)


def _trap_message(qualname: str) -> str:
    return (f"your code called the reference implementation {qualname}. Write this part "
            "yourself: these points are for your own code, not cnnlab's.")


def _targets(objs: Sequence[Any]) -> Iterator[types.FunctionType]:
    seen: set[int] = set()
    for obj in objs:
        if isinstance(obj, types.ModuleType):
            members = [v for v in vars(obj).values()
                       if getattr(v, "__module__", "") and str(v.__module__).startswith("cnnlab")]
        else:
            members = [obj]
        for member in members:
            if isinstance(member, type):
                funcs = [v for v in vars(member).values() if isinstance(v, types.FunctionType)]
            elif isinstance(member, types.FunctionType):
                funcs = [member]
            else:
                funcs = [getattr(member, "__func__", None)]
            for fn in funcs:
                fn = inspect.unwrap(fn) if fn is not None else None
                if isinstance(fn, types.FunctionType) and id(fn) not in seen:
                    seen.add(id(fn))
                    yield fn


@contextlib.contextmanager
def forbid_reference(*targets: Any) -> Iterator[None]:
    """Make the given cnnlab functions, classes or modules raise :class:`ReferenceCalled`.

    The code object of every target function (every function defined in cnnlab for a module,
    every method for a class) is swapped for a trap, so the trap fires however the student
    reached the function: ``from cnnlab.functional import softmax`` at the top of the notebook,
    ``import cnnlab`` inside their function, an alias. Everything is restored on exit.
    """
    swapped: list[tuple[types.FunctionType, types.CodeType]] = []
    try:
        for fn in _targets(targets):
            if fn.__code__.co_freevars:  # closures keep their code; rare in cnnlab
                continue
            swapped.append((fn, fn.__code__))
            fn.__code__ = _trap_code(f"{fn.__module__}.{fn.__qualname__}")
        yield
    finally:
        for fn, code in reversed(swapped):
            fn.__code__ = code


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def uses_module(obj: Any, module: str = "cnnlab") -> bool:
    """True when the code of ``obj`` (a function, or every method of a class) imports ``module``.

    Looks for ``import module...`` / ``from module... import`` statements in the bytecode,
    including nested functions and lambdas.
    """
    if isinstance(obj, type):
        funcs = [v for v in vars(obj).values() if isinstance(v, types.FunctionType)]
    else:
        funcs = [inspect.unwrap(obj)] if isinstance(obj, types.FunctionType) else []
    for fn in funcs:
        for code in _code_objects(fn.__code__):
            for ins in dis.get_instructions(code):
                if ins.opname == "IMPORT_NAME" and str(ins.argval).split(".")[0] == module:
                    return True
    return False


def check_not_using(obj: Any, module: str = "cnnlab") -> None:
    """Raise :class:`GradingError` when ``obj`` imports ``module`` inside its own code."""
    if uses_module(obj, module):
        name = getattr(obj, "__name__", repr(obj))
        raise GradingError(f"{name} imports {module} inside its code. Write this part yourself: "
                           f"these points are for your own code, not {module}'s.")


# --- torch helpers (torch imported lazily) --------------------------------------------------------

def count_parameters(model: Any) -> int:
    """Number of trainable parameters of a torch module."""
    return int(sum(p.numel() for p in model.parameters() if p.requires_grad))


def check_module_output(name: str, module: Any, input_shape: Sequence[int],
                        expected_shape: Sequence[int], *, seed: int = 0) -> Any:
    """Run a torch module on a seeded random input; check the output shape and finiteness."""
    import torch

    torch.manual_seed(seed)
    x = torch.randn(*input_shape)
    module.eval()
    try:
        with torch.no_grad():
            out = module(x)
    except Exception as exc:
        raise GradingError(f"{name}: calling it on an input of shape {tuple(input_shape)} raised "
                           f"{type(exc).__name__}: {exc}") from exc
    if not hasattr(out, "shape"):
        raise GradingError(f"{name}: expected a tensor output, got {type(out).__name__}")
    if tuple(out.shape) != tuple(expected_shape):
        raise GradingError(f"{name}: input of shape {tuple(input_shape)} gave output shape "
                           f"{tuple(out.shape)}, expected {tuple(expected_shape)}")
    if not bool(torch.isfinite(out).all()):
        raise GradingError(f"{name}: the output contains NaN or inf")
    return out
