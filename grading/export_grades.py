"""Export an nbgrader gradebook to grades.csv: a row per student and assignment.

    python grading/export_grades.py sqlite:///path/to/gradebook.db a1 a2 ... [--out grades.csv]

Columns, in this order:

    student, assignment, <one column per graded part: the grade cell ids of a1, a2, a3, a4, lab1,
    lab2 (the course's order), each in notebook order>, total, max_score, status, flags, closest, log

A part's cell holds the points scored (manual score if an instructor set one, else the autograde
score); it is empty when the part belongs to another assignment. ``status`` is ``graded`` or
``error: <why> (see logs/<student>/<a>.log)``; an error row has every part empty, total 0 and the
assignment's max_score. ``flags`` (what an instructor should look at) and ``closest`` (the most
similar other submission) come from make grade; ``log`` is the submission's log file. Grade cell
ids are unique across the course (they start with the assignment name), so one CSV holds every
assignment and the columns are the same whatever the submissions.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXED = ["student", "assignment"]
TAIL = ["total", "max_score", "status", "flags", "closest", "log"]
COURSE_ORDER = ["a1", "a2", "a3", "a4", "lab1", "lab2"]


def grade_cell_order(assignment: str, solutions: Path = REPO / "solutions", *, points: bool = False):
    """Grade cell ids of an assignment in the order they appear in its source notebook(s)
    (with ``points``: a dict id -> points)."""
    ids: dict[str, float] = {}
    for nb_path in sorted((solutions / assignment).glob("*.ipynb")):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("grade"):
                ids[meta["grade_id"]] = float(meta.get("points", 0))
    return ids if points else list(ids)


def _fmt(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:g}"


def export_grades(db_url: str | None, assignments: list[str], *, problems=(),
                  solutions: Path = REPO / "solutions") -> list[dict]:
    """Rows of grades.csv for ``assignments`` from the gradebook, plus one per problem.

    problems: objects with ``student``, ``assignment`` and ``message`` (submissions that could
    not be graded); they get a row with status ``error: message`` and a total of 0.
    """
    rows: list[dict] = []
    if db_url:
        from nbgrader.api import Gradebook

        with Gradebook(db_url) as gb:
            for a in assignments:
                try:
                    gb.find_assignment(a)
                except Exception:
                    continue
                for sub in sorted(gb.assignment_submissions(a), key=lambda s: s.student.id):
                    row = {"student": sub.student.id, "assignment": a}
                    ok = True
                    for nb in sub.notebooks:
                        for g in nb.grades:
                            if g.auto_score is None and g.manual_score is None:
                                ok = False
                            row[g.name] = _fmt(g.score)
                    row["total"] = _fmt(sub.score)
                    row["max_score"] = _fmt(sub.max_score)
                    row["status"] = "graded" if ok and sub.notebooks else "error: not graded"
                    rows.append(row)
    for p in problems:
        if not any((r["student"], r["assignment"]) == (p.student, p.assignment) for r in rows):
            top = sum(grade_cell_order(p.assignment, solutions, points=True).values()) \
                if (solutions / p.assignment).is_dir() else None
            rows.append({"student": p.student, "assignment": p.assignment, "total": "0",
                         "max_score": _fmt(top), "status": f"error: {p.message}"})
    order = {a: i for i, a in enumerate(assignments)}
    rows.sort(key=lambda r: (r["student"], order.get(r["assignment"], len(order)), r["assignment"]))
    return rows


def columns(rows: list[dict], solutions: Path = REPO / "solutions") -> list[str]:
    """The CSV header: fixed columns, the parts of every assignment present (course order, then
    notebook order; parts the source does not know, sorted, after them), then the tail."""
    present = {r["assignment"] for r in rows}
    order = [a for a in COURSE_ORDER if a in present] + sorted(present - set(COURSE_ORDER))
    parts: list[str] = []
    for a in order:
        known = grade_cell_order(a, solutions) if (solutions / a).is_dir() else []
        extra = {k for r in rows if r["assignment"] == a for k in r if k not in FIXED + TAIL}
        for k in known + sorted(extra - set(known)):
            if k not in parts:
                parts.append(k)
    return FIXED + parts + TAIL


def write_csv(rows: list[dict], path: Path, solutions: Path = REPO / "solutions") -> None:
    """Write ``rows`` to ``path`` with :func:`columns` as the header."""
    header = columns(rows, solutions)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header, restval="")
        writer.writeheader()
        for r in rows:
            writer.writerow(r)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db_url", help="e.g. sqlite:///gradebook.db")
    parser.add_argument("assignments", nargs="+")
    parser.add_argument("--out", type=Path, default=Path("grades.csv"))
    args = parser.parse_args(argv)
    rows = export_grades(args.db_url, args.assignments)
    write_csv(rows, args.out)
    print(f"Wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
