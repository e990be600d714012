"""What a test cell checked, recorded for the grader.

Every check (``check_function``'s calls, ``check_module_output``, ``check_not_using``,
``check_vectorised``) appends a record here: the inputs' digest and the student's results. The
hidden part of each graded test cell starts with :func:`begin_cell` and ends with
:func:`cell_passed`, which emits the cell's records as one output of MIME type :data:`MIME`,
invisible in feedback. The grader (``grading/evidence.py``, outside the student's process)
recomputes every expected result from the instructor's solution, compares, and checks that every
expected record is there: a kernel whose checks were tampered with cannot earn points silently.

Records are JSON: arrays as ``{"dtype", "shape", "data"}`` (zlib-compressed, base64).
"""

from __future__ import annotations

import base64
import hashlib
import os
import sys
import zlib
from typing import Any, Sequence

import numpy as np

MIME = "application/vnd.cnnlab.evidence+json"
_RECORDS: list[dict] = []


def digest(value: Any) -> str:
    """A short hash of a test input (arrays by dtype, shape and bytes; generators by state)."""
    h = hashlib.sha256()

    def feed(v: Any) -> None:
        if hasattr(v, "detach") and hasattr(v, "numpy"):
            v = v.detach().cpu().numpy()
        if isinstance(v, np.ndarray):
            h.update(f"a{v.dtype.str}{v.shape}".encode())
            h.update(np.ascontiguousarray(v).tobytes())
        elif isinstance(v, (list, tuple)):
            h.update(f"{type(v).__name__}{len(v)}(".encode())
            for item in v:
                feed(item)
            h.update(b")")
        elif isinstance(v, dict):
            for k in sorted(v, key=str):
                h.update(str(k).encode())
                feed(v[k])
        elif isinstance(v, np.random.Generator):
            h.update(repr(v.bit_generator.state).encode())
        elif isinstance(v, (bool, int, float, complex, str, type(None), np.generic)):
            h.update(repr(v).encode())
        elif callable(v):
            h.update(str(getattr(v, "__qualname__", type(v).__name__)).encode())
        else:
            h.update(type(v).__name__.encode())

    feed(value)
    return h.hexdigest()[:16]


def encode(value: Any) -> Any:
    """A JSON-able form of a result (arrays compressed; tuples kept as lists)."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        raw = zlib.compress(np.ascontiguousarray(value).tobytes())
        return {"dtype": value.dtype.str, "shape": list(value.shape),
                "data": base64.b64encode(raw).decode("ascii")}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return encode(np.asarray(value))
    if isinstance(value, (tuple, list)):
        return {"items": [encode(v) for v in value], "tuple": isinstance(value, tuple)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    return {"type": type(value).__name__}


def decode(data: Any) -> Any:
    """The inverse of :func:`encode` (unknown objects come back as their type name)."""
    if "data" in data:
        raw = zlib.decompress(base64.b64decode(data["data"]))
        return np.frombuffer(raw, dtype=np.dtype(data["dtype"])).reshape(data["shape"]).copy()
    if "items" in data:
        items = [decode(v) for v in data["items"]]
        return tuple(items) if data["tuple"] else items
    if "value" in data:
        return data["value"]
    return _Opaque(data["type"])


class _Opaque:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


def record(kind: str, **fields: Any) -> None:
    """Append one record (called by the checks)."""
    _RECORDS.append({"kind": kind, **fields})


def record_call(name: str, label: str, input_digest: str, actual: Any, expected: Any, *,
                output_names: Sequence[str] | None, rtol: float, check_dtype: bool) -> None:
    """Record one call of ``check_function``: its input digest and both results."""
    record("call", name=name, label=label, digest=input_digest, actual=encode(actual),
           expected=encode(expected), output_names=list(output_names) if output_names else None,
           rtol=rtol, check_dtype=check_dtype)


def begin_cell(grade_id: str, *, numpy_only: bool = False) -> None:
    """Start a graded test cell: forget earlier records, keep stderr from costing points.

    What the student's code prints on stderr (warnings, progress bars) goes to stdout from here
    on: nbgrader zeroes a test cell that writes to stderr. ``numpy_only`` makes torch
    unimportable and traps calls into it (:func:`cnnlab.grading.traps.numpy_only`).
    """
    import warnings

    from cnnlab.grading import traps

    _RECORDS.clear()
    record("begin", grade_id=grade_id)
    if numpy_only:
        traps.numpy_only()
    if not _in_kernel():
        return
    sys.stderr = sys.stdout
    warnings.showwarning = _warning_to_stdout
    try:  # C-level writes to file descriptor 2 (e.g. torch's C++ warnings) go where fd 1 goes
        sys.__stderr__.flush()
        os.dup2(1, 2)
    except (OSError, AttributeError, ValueError):
        pass


def _in_kernel() -> bool:
    """Running in an IPython kernel (a notebook being graded), not in a plain Python process?"""
    shell = sys.modules.get("IPython") and sys.modules["IPython"].get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def _warning_to_stdout(message, category, filename, lineno, file=None, line=None) -> None:
    import warnings

    sys.stdout.write(warnings.formatwarning(message, category, filename, lineno, line))


def cell_passed(grade_id: str) -> dict:
    """End a graded test cell: emit its records (reached only when every check passed)."""
    payload = {"grade_id": grade_id, "records": list(_RECORDS) + [{"kind": "passed", "grade_id": grade_id}]}
    _RECORDS.clear()
    if _in_kernel():
        from IPython.display import display

        display({MIME: payload}, raw=True)
    return payload
