"""Helpers for the grading tests: build student submissions from the solutions and grade them.

A "submission" is the released notebook (exercises/<a>/<a>.ipynb) as a student would hand it in:
``full_submission(a)`` fills every answer cell with the solution's code, ``blank_submission(a)``
is the release untouched, ``edit(nb, grade_id, old, new)`` introduces one bug by editing one cell's
source. ``grade_all(a, {student: notebook-or-bytes}, tmp)`` runs the real pipeline
(grading/grade.py: nbgrader generate_assignment once, then every student autograded in their own
sandbox, optionally generate_feedback) and returns the rows of grades.csv keyed by student.
"""

from __future__ import annotations

import copy
import csv
import json
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from grading.grade import grade  # noqa: E402

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def source_nb(a: str) -> nbformat.NotebookNode:
    return nbformat.read(str(REPO / "solutions" / a / f"{a}.ipynb"), as_version=4)


def release_nb(a: str) -> nbformat.NotebookNode:
    return nbformat.read(str(REPO / "exercises" / a / f"{a}.ipynb"), as_version=4)


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def strip_markers(src: str) -> str:
    return "\n".join(line for line in src.split("\n") if line.strip() not in MARKERS)


def blank_submission(a: str) -> nbformat.NotebookNode:
    return release_nb(a)


def full_submission(a: str) -> nbformat.NotebookNode:
    """The release with every answer cell replaced by the solution's code (markers removed)."""
    answers = {_gid(c): strip_markers(c.source) for c in source_nb(a).cells
               if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    nb = release_nb(a)
    for cell in nb.cells:
        if _gid(cell) in answers:
            cell.source = answers[_gid(cell)]
    return nb


def cell(nb, grade_id: str):
    for c in nb.cells:
        if _gid(c) == grade_id:
            return c
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def edit(nb, grade_id: str, old: str, new: str):
    """A copy of ``nb`` with ``old`` replaced by ``new`` in the source of cell ``grade_id``."""
    nb = copy.deepcopy(nb)
    c = cell(nb, grade_id)
    if old not in c.source:
        raise AssertionError(f"{old!r} is not in cell {grade_id}:\n{c.source}")
    c.source = c.source.replace(old, new, 1)
    return nb


def replace_cell(nb, grade_id: str, source: str):
    """A copy of ``nb`` whose cell ``grade_id`` holds ``source``."""
    nb = copy.deepcopy(nb)
    cell(nb, grade_id).source = source
    return nb


def delete_cells(nb, *grade_ids: str):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if _gid(c) not in grade_ids]
    return nb


def grade_cells(a: str) -> dict[str, float]:
    """{grade_id: points} of the source notebook, in order."""
    return {_gid(c): float(c.metadata.nbgrader["points"]) for c in source_nb(a).cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade")}


def sandbox_available() -> bool:
    """True when the bubblewrap sandbox works here (grading/sandbox.py's probe)."""
    from grading.sandbox import probe

    return probe() is None


def write_submissions(a: str, students: dict, subs: Path) -> Path:
    """Write ``students`` ({name: notebook or raw bytes}) as ``subs/<name>/<a>/<a>.ipynb``."""
    for name, nb in students.items():
        d = subs / name / a
        d.mkdir(parents=True, exist_ok=True)
        if isinstance(nb, bytes):
            (d / f"{a}.ipynb").write_bytes(nb)
        else:
            nbformat.write(nb, str(d / f"{a}.ipynb"))
    return subs


def read_csv(path: Path) -> dict:
    """{student: row} of a grades.csv (one assignment)."""
    with open(path, newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def grade_all(a: str, students: dict, tmp: Path, *, timeout: int = 30, feedback: bool = False,
              jobs: int | None = None, sandbox: bool | None = None):
    """Grade ``students`` ({name: notebook or raw bytes}) for assignment ``a`` in ``tmp``.

    Returns ({student: row of grades.csv}, problems, workdir, out, log); rows hold strings.
    ``sandbox`` None: the bubblewrap sandbox when it works here, else without (the grading logic
    is the same; tests/pipeline/test_sandbox.py skips then). ``jobs``: submissions at a time.
    """
    subs, out, work = tmp / "submissions", tmp / "out", tmp / "course"
    write_submissions(a, students, subs)
    work.mkdir()
    logs: list[str] = []
    if sandbox is None:
        sandbox = sandbox_available()
    _, problems = grade(subs, out, assignments=[a], timeout=timeout, workdir=work,
                        feedback=feedback, log=logs.append, jobs=jobs, sandbox=sandbox)
    with open(out / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    return rows, problems, work, out, "\n".join(logs)


def parts(row: dict, a: str) -> dict[str, float]:
    return {gid: float(row[gid]) if row.get(gid, "") != "" else None for gid in grade_cells(a)}


def expected_parts(a: str, zero: tuple = ()) -> dict[str, float]:
    """Full marks on every part except those in ``zero``."""
    return {gid: (0.0 if gid in zero else pts) for gid, pts in grade_cells(a).items()}


def json_equal(p: Path, q: Path) -> bool:
    return json.loads(p.read_text()) == json.loads(q.read_text())
