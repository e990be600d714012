"""Evidence that a test cell's real tests ran and passed, checked outside the student's process.

    verify(assignment, autograded_nb) -> {grade_id: (verified, why)}

The hidden part of every graded test cell starts with ``begin_cell(grade_id)`` and ends with
``cell_passed(grade_id)`` (cnnlab.grading.evidence): the second emits, as one output of MIME type
``application/vnd.cnnlab.evidence+json``, a record of every check the cell ran -- each call's
input digest and the student's results, each module's output shape, each import and loop count.
It is reached only when every check of the cell passed.

``verify`` runs the instructor's notebook (solutions/<a>/<a>.ipynb, solutions and hidden tests)
once in a fresh kernel, cached by checksum, to get the trusted records: the same checks on the
same inputs, with the reference's results. A cell is verified only when the student's cell holds
exactly one record, for that grade id, with the same checks in the same order on the same inputs
(a digest of every argument), and each of the student's results matches the reference's by the
check's own tolerance (compared here, with this process's numpy). So a kernel whose check helpers,
numpy, builtins or IPython hooks were tampered with cannot earn points silently: a missing, extra
or wrong record means 0 for that cell. What a forger could still do -- emit records computed with
the reference itself -- needs tampering that grading/flags.py reports.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from cnnlab.grading.compare import GradingError, compare_outputs  # noqa: E402
from cnnlab.grading.evidence import MIME, decode  # noqa: E402

__all__ = ["MIME", "verify", "trusted_records", "records_of", "strip"]


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta.get("grade_id") if meta.get("grade") else None


def records_of(nb: nbformat.NotebookNode) -> dict[str, list]:
    """{grade_id: [evidence payloads found in that test cell's outputs]} for every grade cell."""
    found: dict[str, list] = {}
    for cell in nb.cells:
        gid = _grade_id(cell)
        if gid is None or cell.cell_type != "code":
            continue
        found[gid] = [out["data"][MIME] for out in cell.get("outputs", [])
                      if out.get("output_type") in ("display_data", "execute_result")
                      and MIME in out.get("data", {})]
    return found


def strip(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``nb`` without its evidence outputs (for feedback); ``nb`` itself is changed and returned."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if MIME not in o.get("data", {})]
    return nb


def _cache_dir() -> Path:
    root = os.environ.get("CNNLAB_EVIDENCE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "cnnlab", "evidence")
    return Path(root)


def _key(source: Path) -> str:
    h = hashlib.sha256(source.read_bytes())
    for path in sorted((REPO / "cnnlab").rglob("*.py")):
        h.update(str(path.relative_to(REPO)).encode())
        h.update(path.read_bytes())
    import numpy
    h.update(f"{sys.version}{numpy.__version__}".encode())
    return h.hexdigest()[:24]


def _run_source(source: Path, timeout: int) -> dict[str, dict]:
    """Execute the instructor's notebook in a fresh kernel and collect its records."""
    from nbclient import NotebookClient

    nb = nbformat.read(str(source), as_version=4)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    with tempfile.TemporaryDirectory(prefix="cnnlab-trusted-") as work, _environ(env):
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": work}}).execute()
    trusted = {}
    for gid, payloads in records_of(nb).items():
        if len(payloads) == 1:
            trusted[gid] = payloads[0]
    return trusted


@contextlib.contextmanager
def _environ(env: dict):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def trusted_records(assignment: str, *, solutions: Path = REPO / "solutions",
                    timeout: int = 900) -> dict[str, dict]:
    """{grade_id: the instructor's record} for ``assignment`` (run once, cached by checksum)."""
    source = solutions / assignment / f"{assignment}.ipynb"
    cache = _cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{assignment}-{_key(source)}.json"
    import fcntl

    with open(cache / f"{assignment}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)      # parallel graders run the instructor's notebook once
        if path.exists():
            return json.loads(path.read_text())
        trusted = _run_source(source, timeout)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(trusted))
        tmp.replace(path)
        return trusted


def _check_record(mine: dict, ref: dict) -> str | None:
    """None when the student's record ``mine`` agrees with the trusted ``ref``, else why not."""
    kind = ref["kind"]
    if mine.get("kind") != kind:
        return f"expected a {kind!r} check, found {mine.get('kind')!r}"
    if kind in ("begin", "passed"):
        return None if mine.get("grade_id") == ref["grade_id"] else "the record names another cell"
    if kind == "call":
        if mine.get("label") != ref["label"] or mine.get("digest") != ref["digest"]:
            return f"the check [{ref['label']}] ran on other inputs than the grader's"
        try:
            compare_outputs(ref["name"], decode(mine["actual"]), decode(ref["expected"]),
                            output_names=ref["output_names"], rtol=ref["rtol"],
                            check_dtype=ref["check_dtype"])
        except GradingError as exc:
            return f"[{ref['label']}] {str(exc).splitlines()[0]}"
        except Exception as exc:  # a malformed record
            return f"[{ref['label']}] unreadable record ({type(exc).__name__})"
        return None
    if kind == "module":
        if mine.get("input_shape") != ref["input_shape"] or mine.get("expected_shape") != ref["expected_shape"]:
            return f"{ref['name']}: checked on another input than the grader's"
        if mine.get("shape") != ref["expected_shape"] or mine.get("finite") is not True:
            return f"{ref['name']}: output shape {mine.get('shape')} or finiteness wrong"
        return None
    if kind == "not_using":
        ok = mine.get("module") == ref["module"] and mine.get("used") is False
        return None if ok else f"{ref['name']} imports {ref['module']}"
    if kind == "vectorised":
        counts = mine.get("counts")
        if not (isinstance(counts, list) and len(counts) == 2 and all(isinstance(c, int) and c > 0 for c in counts)):
            return "unreadable loop counts"
        ok = counts[1] <= ref["slack"] * counts[0] + ref["extra"]
        return None if ok else f"{ref['name']} is not vectorised ({counts[1]} vs {counts[0]} Python steps)"
    return f"unknown check {kind!r}"


def verify_cell(payloads: list, ref: dict | None) -> tuple[bool, str]:
    """Compare one test cell's emitted records with the trusted ones."""
    if ref is None:
        return False, "the instructor's notebook emits no evidence for this cell"
    if not payloads:
        return False, "no evidence that the tests ran to the end"
    if len(payloads) > 1:
        return False, f"{len(payloads)} evidence records in one cell (expected one)"
    payload = payloads[0]
    if not isinstance(payload, dict) or payload.get("grade_id") != ref["grade_id"]:
        return False, "the evidence names another cell"
    mine, theirs = payload.get("records"), ref["records"]
    if not isinstance(mine, list) or len(mine) != len(theirs):
        got = len(mine) if isinstance(mine, list) else 0
        return False, f"{got} checks recorded, {len(theirs)} expected"
    for i, (m, r) in enumerate(zip(mine, theirs)):
        why = _check_record(m if isinstance(m, dict) else {}, r)
        if why:
            return False, f"check {i}: {why}"
    return True, f"{len(theirs)} checks verified"


def verify(assignment: str, autograded_nb: nbformat.NotebookNode, *,
           solutions: Path = REPO / "solutions") -> dict[str, tuple[bool, str]]:
    """{grade_id: (True only with evidence that the real test ran and passed, why)}."""
    trusted = trusted_records(assignment, solutions=solutions)
    source = nbformat.read(str(solutions / assignment / f"{assignment}.ipynb"), as_version=4)
    found = records_of(autograded_nb)
    result = {}
    for cell in source.cells:
        gid = _grade_id(cell)
        if gid is None or cell.cell_type != "code":
            continue
        if gid not in found:
            result[gid] = (False, "the test cell is missing from the graded notebook")
        else:
            result[gid] = verify_cell(found[gid], trusted.get(gid))
    return result


def main(argv: list[str] | None = None) -> int:
    """python grading/evidence.py ASSIGNMENT AUTOGRADED.ipynb: print each cell's verdict."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("assignment")
    parser.add_argument("notebook", type=Path)
    args = parser.parse_args(argv)
    nb = nbformat.read(str(args.notebook), as_version=4)
    results = verify(args.assignment, nb)
    for gid, (ok, why) in results.items():
        print(f"{gid:40s} {'verified' if ok else 'NOT verified'}: {why}")
    return 0 if all(ok for ok, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
