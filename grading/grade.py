"""Autograde a folder of submissions with nbgrader, non-interactively, and write grades.csv.

    python grading/grade.py SUBMISSIONS [--out DIR] [--timeout SECONDS] [--assignment a1 ...]

SUBMISSIONS holds ``<student>/<assignment>/<assignment>.ipynb`` (the layout of nbgrader's
``submitted/`` folder, so a JupyterHub course's ``nbgrader collect`` output works as is).
Grading happens in a temporary course directory with a fresh gradebook: every assignment found in
the submissions is registered from ``solutions/`` with ``nbgrader generate_assignment`` (so nbgrader
knows the grade cells and their points), then ``nbgrader autograde`` grades all students of that
assignment in one call and ``nbgrader generate_feedback`` writes one HTML page per student.
A notebook that is not valid JSON / nbformat is reported with a clear error and skipped; everyone
else is still graded. Results land in ``--out`` (default: the repository root):

    grades.csv                               one row per student and assignment (grading/export_grades.py)
    feedback/<student>/<assignment>/*.html   what to send back to each student
    autograded/<student>/<assignment>/*.ipynb the executed notebooks, for the record

Exit status: 0 when every submission was graded, 1 when some could not be (they still get a row
with status ``error: ...``), 2 on a usage error.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from grading.export_grades import export_grades, write_csv  # noqa: E402


@dataclasses.dataclass
class Problem:
    """A submission that could not be graded, and why."""

    student: str
    assignment: str
    message: str


def _nbgrader(args: list[str], course: Path, *, log, extra: list[str] = ()) -> int:
    """Run one ``nbgrader`` command on the temporary course (repo config + overrides)."""
    exe = Path(sys.executable).with_name("nbgrader")
    cmd = [str(exe) if exe.exists() else "nbgrader", *args,
           f"--CourseDirectory.root={course}",
           f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}",
           *extra]
    log(f"$ nbgrader {' '.join(args)}")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    # nbgrader runs `alembic` (and the kernel runs python) from PATH: put this venv first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    # Run from the repository so nbgrader picks up nbgrader_config.py.
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        log(proc.stdout[-4000:] + proc.stderr[-8000:])
    return proc.returncode


def check_notebook(path: Path) -> str | None:
    """None when ``path`` is a readable notebook, else a message saying what is wrong."""
    import nbformat

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return f"{path.name} is not UTF-8 text ({exc})"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return (f"{path.name} is not a valid notebook: not JSON ({exc.msg} at line {exc.lineno}, "
                f"column {exc.colno}). Was it saved from Jupyter, or edited by hand?")
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat.ValidationError and friends
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{path.name} is JSON but not a valid Jupyter notebook: {first}"
    return None


def discover(submissions: Path, solutions: Path, only: list[str] | None):
    """Return ({assignment: [students]}, [Problem]) for the submissions folder."""
    known = sorted(p.name for p in solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))
    wanted: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for student_dir in sorted(p for p in submissions.iterdir() if p.is_dir()):
        for a_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            a = a_dir.name
            if a.startswith("."):
                continue
            if a not in known:
                problems.append(Problem(student_dir.name, a, f"unknown assignment {a!r} "
                                        f"(known: {', '.join(known)})"))
                continue
            if only and a not in only:
                continue
            bad = []
            for src in sorted((solutions / a).glob("*.ipynb")):
                nb = a_dir / src.name
                if not nb.exists():
                    bad.append(f"{src.name} is missing from the submission")
                else:
                    msg = check_notebook(nb)
                    if msg:
                        bad.append(msg)
            if bad:
                problems.append(Problem(student_dir.name, a, "; ".join(bad)))
            else:
                wanted.setdefault(a, []).append(student_dir.name)
    return wanted, problems


def grade(submissions: Path, out: Path, *, assignments: list[str] | None = None,
          timeout: int | None = None, solutions: Path = REPO / "solutions",
          workdir: Path | None = None, extra: list[str] = (), feedback: bool = True,
          log=print) -> tuple[list[dict], list[Problem]]:
    """Grade everything under ``submissions``; write grades.csv, feedback/ and autograded/ in ``out``.

    Returns (rows of grades.csv, problems). ``timeout`` overrides the per-cell timeout of
    nbgrader_config.py; ``extra`` are more ``--Class.trait=value`` overrides for every command.
    """
    submissions, out = Path(submissions).resolve(), Path(out).resolve()
    wanted, problems = discover(submissions, Path(solutions), assignments)
    for p in problems:
        log(f"ERROR {p.student}/{p.assignment}: {p.message}")
    extra = list(extra) + ([f"--Execute.timeout={timeout}"] if timeout else [])
    owned_tmp = workdir is None
    course = Path(tempfile.mkdtemp(prefix="cnnlab-grade-")) if owned_tmp else Path(workdir)
    try:
        shutil.copytree(solutions, course / "solutions", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        unregistered: set[str] = set()
        for a, students in sorted(wanted.items()):
            if _nbgrader(["generate_assignment", a, "--force"], course, log=log, extra=extra):
                problems.extend(Problem(s, a, "could not register the assignment (see log)")
                                for s in students)
                unregistered.add(a)
                continue
            for s in students:
                dest = course / "submitted" / s / a
                shutil.copytree(submissions / s / a, dest, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
            # One call grades every student of the assignment; a failure of one student's
            # notebook makes nbgrader exit non-zero but the others are graded all the same.
            _nbgrader(["autograde", a, "--force"], course, log=log, extra=extra)
            if feedback:
                _nbgrader(["generate_feedback", a, "--force"], course, log=log, extra=extra)
        rows = export_grades(f"sqlite:///{course / 'gradebook.db'}", sorted(wanted),
                             problems=problems) if wanted else export_grades(None, [], problems=problems)
        graded = {(r["student"], r["assignment"]) for r in rows if r["status"] == "graded"}
        for a, students in wanted.items():
            for s in students:
                if (s, a) not in graded and a not in unregistered:
                    msg = "nbgrader could not grade this submission (see the log)"
                    problems.append(Problem(s, a, msg))
                    for r in rows:
                        if (r["student"], r["assignment"]) == (s, a):
                            r["status"] = f"error: {msg}"
        out.mkdir(parents=True, exist_ok=True)
        write_csv(rows, out / "grades.csv")
        for sub in ("feedback", "autograded"):
            if (course / sub).exists():
                shutil.copytree(course / sub, out / sub, dirs_exist_ok=True)
        return rows, problems
    finally:
        if owned_tmp:
            shutil.rmtree(course, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of <student>/<assignment>/")
    parser.add_argument("--out", type=Path, default=REPO, help="where grades.csv etc. go")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout (seconds)")
    parser.add_argument("--assignment", action="append", default=None,
                        help="grade only this assignment (repeatable)")
    parser.add_argument("--no-feedback", action="store_true", help="skip generate_feedback")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"grade.py: {args.submissions} is not a folder of <student>/<assignment>/",
              file=sys.stderr)
        return 2
    rows, problems = grade(args.submissions, args.out, assignments=args.assignment,
                           timeout=args.timeout, feedback=not args.no_feedback)
    print(f"Graded {sum(r['status'] == 'graded' for r in rows)} submissions; "
          f"{len(problems)} could not be graded. Wrote {args.out / 'grades.csv'}.")
    for p in problems:
        print(f"  {p.student}/{p.assignment}: {p.message}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
