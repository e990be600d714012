"""Is a "vectorised" function vectorised? Count the Python it runs.

A vectorised function runs the same handful of Python lines whatever the number of images and
output positions (the loops happen inside numpy); a loop over output positions runs lines in
proportion to them. :func:`check_vectorised` counts the line and call events of every Python
frame (numpy's own Python code included) on a small and a large input: deterministic, unlike a
timing, and blind to how fast the machine is.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from cnnlab.grading import evidence
from cnnlab.grading.compare import Case, GradingError, _copy_args


def count_python_events(fn: Callable, case: Case) -> int:
    """Line and call events of every Python frame while ``fn(*case.args, **case.kwargs)`` runs."""
    count = 0

    def tracer(frame, event, arg):
        nonlocal count
        count += 1
        return tracer

    args, kwargs = _copy_args(case.args), dict(zip(case.kwargs, _copy_args(case.kwargs.values())))
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        fn(*args, **kwargs)
        intact = sys.gettrace() is tracer
    finally:
        sys.settrace(previous)
    if not intact:
        raise GradingError(f"{getattr(fn, '__name__', fn)} switched off the grader's line counter "
                           "(sys.settrace); graded code must not change the interpreter's hooks.")
    return count


def check_vectorised(fn: Callable, small: Case, large: Case, *, growth: float,
                     slack: float = 2.0, extra: int = 50) -> tuple[int, int]:
    """Raise unless ``fn`` runs about as much Python on ``large`` as on ``small``.

    growth: how many times more images x output positions ``large`` has than ``small``. A loop
    over them runs about ``growth`` times more lines; the check allows ``slack`` times
    (plus ``extra`` events) more. Returns the two counts.
    """
    name = getattr(fn, "__name__", "your function")
    try:
        n_small = count_python_events(fn, small)
        n_large = count_python_events(fn, large)
    except GradingError:
        raise
    except Exception as exc:
        raise GradingError(f"{name} raised {type(exc).__name__}: {exc}") from exc
    limit = slack * n_small + extra
    evidence.record("vectorised", name=name, counts=[n_small, n_large], growth=growth,
                    slack=slack, extra=extra)
    if n_large > limit:
        raise GradingError(
            f"{name} is not vectorised: it ran {n_large} Python steps on [{large.label}] against "
            f"{n_small} on [{small.label}], which has {growth:g} times fewer images x output "
            "positions; a loop over images or output positions grows like that. Let numpy do "
            "those loops (loops over the kernel's rows and columns are fine).")
    return n_small, n_large
