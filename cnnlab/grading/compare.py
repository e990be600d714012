"""Comparing a student's result with the reference, and saying what differs.

Every check raises a :class:`GradingError` whose first line is the verdict (what is wrong), then
the input that was used and short descriptions of the expected and actual results (arrays are
abbreviated to their shape, a few values and their range). The relative error is
:func:`cnnlab.gradcheck.rel_error`, ``max|a - b| / max(1e-8, max(|a| + |b|))``.
"""

from __future__ import annotations

import contextlib
import copy
import sys
import warnings
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from cnnlab.gradcheck import rel_error
from cnnlab.grading import evidence
from cnnlab.grading.traps import ReferenceCalled, forbid_reference

_MAX_ELEMENTS_SHOWN = 12


class GradingError(AssertionError):
    """A test failed; the message says which input, what was expected and what came back."""


class Case:
    """One test input: positional ``args``, keyword ``kwargs`` and a short ``label``."""

    def __init__(self, label: str, *args: Any, **kwargs: Any) -> None:
        self.label = label
        self.args = args
        self.kwargs = kwargs

    def __repr__(self) -> str:
        return f"Case({self.label!r})"


def describe(value: Any, *, limit: int = _MAX_ELEMENTS_SHOWN) -> str:
    """A one-line description of a test input or result.

    Arrays of at most ``limit`` elements are shown whole; larger ones as their shape, dtype,
    first values and range, whatever the length of their axes.
    """
    if hasattr(value, "shape") and hasattr(value, "detach"):  # a torch tensor
        return f"tensor(shape={tuple(value.shape)}, dtype={value.dtype})"
    if isinstance(value, np.ndarray):
        head = f"array(shape={value.shape}, dtype={value.dtype})"
        flat = value.ravel()
        if value.size <= limit:
            with np.printoptions(precision=6, linewidth=10_000):
                return f"{head} {np.array2string(flat, separator=', ')}"
        with np.printoptions(precision=4, linewidth=10_000):
            first = np.array2string(flat[:4], separator=", ")[:-1]
        if value.dtype.kind in "biuf":
            with np.errstate(all="ignore"):
                lo, hi = np.nanmin(value), np.nanmax(value)
            return f"{head} {first}, ...] min {lo:.4g} max {hi:.4g}"
        return f"{head} {first}, ...]"
    if isinstance(value, (tuple, list)):
        inner = ", ".join(describe(v, limit=limit) for v in value[:8])
        more = ", ..." if len(value) > 8 else ""
        return f"({inner}{more})" if isinstance(value, tuple) else f"[{inner}{more}]"
    text = repr(value)
    return text if len(text) <= 120 else text[:120] + "..."


def _describe_call(name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    parts = [describe(a) for a in args] + [f"{k}={describe(v)}" for k, v in kwargs.items()]
    return f"{name}(" + ", ".join(parts) + ")"


def _fail(verdict: str, context: str = "", details: str = "") -> GradingError:
    """A GradingError whose first line is the verdict."""
    lines = [verdict] + [s for s in (context, details) if s]
    return GradingError("\n".join(lines))


@contextlib.contextmanager
def stderr_to_stdout() -> Iterator[None]:
    """Send what the student's code writes to stderr (progress bars, warnings) to stdout.

    nbgrader scores a test cell 0 as soon as it prints anything on stderr; a tqdm progress bar
    in a training loop must not cost the part.
    """
    with contextlib.redirect_stderr(sys.stdout):
        yield


def check_array(name: str, actual: Any, expected: Any, *, rtol: float = 1e-7,
                check_dtype: bool = True, context: str = "") -> None:
    """Check that ``actual`` matches ``expected``: type, shape, dtype, finiteness and values.

    name: what is being checked (used in the message). ``rtol`` bounds
    ``rel_error(actual, expected)``. ``context`` (e.g. the call that produced ``actual``) follows
    the verdict line. Raises :class:`GradingError` on the first problem found.
    """
    expected = np.asarray(expected)
    if actual is None:
        raise _fail(f"{name}: got None; did you forget a `return`? "
                    f"Expected an array of shape {expected.shape}.", context)
    if hasattr(actual, "detach") and hasattr(actual, "numpy"):  # accept torch tensors
        actual = actual.detach().cpu().numpy()
    if not isinstance(actual, (np.ndarray, np.generic, float, int, bool, list, tuple)):
        raise _fail(f"{name}: expected a numpy array, got {type(actual).__name__}", context)
    try:
        actual = np.asarray(actual)
    except Exception as exc:  # ragged lists and friends
        raise _fail(f"{name}: could not be turned into an array ({exc})", context) from None
    if actual.shape != expected.shape:
        raise _fail(f"{name}: wrong shape {actual.shape}, expected {expected.shape}", context)
    if check_dtype and expected.dtype.kind == "f" and actual.dtype != expected.dtype:
        raise _fail(f"{name}: wrong dtype {actual.dtype}, expected {expected.dtype} "
                    "(the output dtype should follow the input's)", context)
    if expected.dtype.kind in "biu" and actual.dtype.kind not in "biuf":
        raise _fail(f"{name}: wrong dtype {actual.dtype}, expected {expected.dtype}", context)
    if actual.dtype.kind not in "biufc":
        raise _fail(f"{name}: expected numbers, got dtype {actual.dtype}", context)
    a = actual.astype(np.float64)
    e = expected.astype(np.float64)
    bad = ~np.isfinite(a) & np.isfinite(e)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise _fail(
            f"{name}: contains {np.count_nonzero(np.isnan(a) & bad)} NaN and "
            f"{np.count_nonzero(np.isinf(a) & bad)} inf values where the expected values are finite; "
            f"first at index {index}: got {float(a[index])!r}, expected {float(e[index])!r}. "
            "Overflow? (e.g. exp of a large number: subtract the max first)", context)
    mismatch = np.isfinite(e) != np.isfinite(a)
    both = np.isfinite(e) & np.isfinite(a)
    err = rel_error(np.where(both, a, 0.0), np.where(both, e, 0.0)) if a.size else 0.0
    if mismatch.any() or err > rtol:
        worst = ""
        if a.size:
            diff = np.where(both, np.abs(a - e), np.where(mismatch, np.inf, 0.0))
            index = tuple(int(i) for i in np.unravel_index(int(np.argmax(diff)), a.shape))
            worst = f"; largest difference at index {index}: got {float(a[index])!r}, expected {float(e[index])!r}"
        raise _fail(f"{name}: values differ, largest relative error {err:.3g} > {rtol:g}{worst}", context,
                    f"  expected: {describe(expected)}\n  actual:   {describe(actual)}")


def check_scalar(name: str, actual: Any, expected: float, *, rtol: float = 1e-7,
                 context: str = "") -> None:
    """Check a scalar result (a Python float or a 0-d array) against ``expected``."""
    if actual is None:
        raise _fail(f"{name}: got None; did you forget a `return`?", context)
    arr = np.asarray(actual)
    if arr.size != 1:
        raise _fail(f"{name}: expected a single number, got shape {arr.shape}", context)
    check_array(name, arr.reshape(()).astype(np.float64), np.asarray(expected, dtype=np.float64),
                rtol=rtol, check_dtype=False, context=context)


def _copy_args(values: Iterable[Any]) -> list:
    return [copy.deepcopy(v) for v in values]


def check_no_mutation(name: str, before: Sequence[Any], after: Sequence[Any],
                      context: str = "") -> None:
    """Raise if any array argument changed while the function ran (functions must not mutate)."""
    for i, (b, a) in enumerate(zip(before, after)):
        if isinstance(b, np.ndarray) and not np.array_equal(a, b, equal_nan=True):
            raise _fail(f"{name}: argument {i} was modified in place; "
                        "a function must never change its inputs (work on a copy).", context)


def _as_tuple(value: Any, n: int) -> tuple:
    if n == 1:
        return (value,)
    if not isinstance(value, (tuple, list)):
        raise GradingError(f"expected a tuple of {n} results, got {type(value).__name__}")
    if len(value) != n:
        raise GradingError(f"expected a tuple of {n} results, got {len(value)}")
    return tuple(value)


def compare_outputs(name: str, actual: Any, expected: Any, *, output_names: Sequence[str] | None,
                    rtol: float, check_dtype: bool, context: str = "") -> None:
    """Compare one call's results (a value, or a tuple named by ``output_names``)."""
    n = len(output_names) if output_names else 1
    try:
        actual_t = _as_tuple(actual, n)
    except GradingError as exc:
        raise _fail(f"{name}: {exc}", context) from None
    expected_t = _as_tuple(expected, n)
    names = list(output_names) if output_names else ["result"]
    for out_name, a, e in zip(names, actual_t, expected_t):
        label = f"{name} -> {out_name}"
        if e is None:
            if a is not None:
                raise _fail(f"{label}: expected None, got {describe(a)}", context)
            continue
        if np.ndim(e) == 0 and not isinstance(e, np.ndarray) and not hasattr(e, "detach"):
            check_scalar(label, a, float(e), rtol=rtol, context=context)
        else:
            check_array(label, a, e, rtol=rtol, context=context, check_dtype=check_dtype)


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
    Every call is recorded for the grader (:mod:`cnnlab.grading.evidence`).
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
            digest = evidence.digest((args, kwargs))
            try:
                with forbid_reference(*forbid), stderr_to_stdout():
                    actual = student_fn(*args, **kwargs)
            except ReferenceCalled as exc:
                raise _fail(f"{name}: {exc}", call) from None
            except NotImplementedError:
                raise _fail(f"{name} is not implemented yet (it raised NotImplementedError)", call) from None
            except Exception as exc:
                raise _fail(f"{name} raised {type(exc).__name__}: {exc}", call) from exc
        check_no_mutation(name, before, args, context=call)
        if compare is not None:
            expected, actual = compare(expected), compare(actual)
        evidence.record_call(name, case.label, digest, actual, expected, output_names=output_names,
                             rtol=rtol, check_dtype=check_dtype)
        compare_outputs(name, actual, expected, output_names=output_names, rtol=rtol,
                        check_dtype=check_dtype, context=call)


def seeded_cases(make: Callable[[np.random.Generator], Case], n: int, *, seed: int) -> list[Case]:
    """``n`` cases drawn by ``make(rng)`` from ``np.random.default_rng(seed)``: same seed, same cases."""
    rng = np.random.default_rng(seed)
    return [make(rng) for _ in range(n)]
