"""Autograde a folder of submissions with nbgrader, each in its own sandbox, and write grades.csv.

    python grading/grade.py SUBMISSIONS [--out DIR] [--jobs N] [--force] [--timeout SECONDS]
                            [--assignment a1 ...] [--no-feedback] [--unsafe-no-sandbox]

SUBMISSIONS holds ``<student>/<assignment>/<assignment>.ipynb`` (the layout of nbgrader's
``submitted/`` folder, so ``nbgrader collect`` or ``nbgrader zip_collect`` output works as is).
Every assignment found is registered once from ``solutions/`` (nbgrader generate_assignment, a
fresh gradebook); then every submission is graded on its own (grading/worker.py): its own copy of
the gradebook, its kernel in a bubblewrap sandbox (grading/sandbox.py), ``--jobs`` at a time
(default: one per core). A submission whose notebook, assignment source and grader are unchanged
since the last run into the same ``--out`` is not graded again (``--force`` regrades). Results
(default ``--out``: results/ in the repository):

    grades.csv                                 one row per student and assignment
    feedback/<student>/<a>/<a>.html            what to send back (feedback/_mathjax: offline maths)
    autograded/<student>/<a>/<a>.ipynb         the executed notebooks, for the record
    logs/<student>/<a>.log                     everything the grader did for that submission
    similarity-<a>.html, similarity-<a>.csv    the similarity report (grading/similarity.py)

Exit status: 0 when every submission was graded; 1 when some could not be (each has a row with
status ``error: ...`` pointing at its log); 2 on a usage error; 3 when the sandbox does not work
here (nothing graded; see --unsafe-no-sandbox).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import hashlib
import importlib
import json
import multiprocessing
import os
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from grading.export_grades import COURSE_ORDER, grade_cell_order, write_csv  # noqa: E402
from grading.worker import Job, Result, grade_one, init_worker  # noqa: E402

NO_SANDBOX = 3
UNSAFE_WARNING = """
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
!! --unsafe-no-sandbox: students' code runs with YOUR rights, next to the gradebook, the      !!
!! solutions and the other submissions, with network access. A submission can change its own  !!
!! or anybody's grade, read the hidden tests, or damage this repository. Use only for code    !!
!! you trust.                                                                                 !!
!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!
"""


@dataclasses.dataclass
class Problem:
    """A submission that could not be graded, and why."""

    student: str
    assignment: str
    message: str


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
        if student_dir.name.startswith("."):
            continue
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


def course_order(assignments) -> list[str]:
    """Assignments in the order of the course (a1 a2 a3 a4 lab1 lab2), unknown ones after."""
    return sorted(assignments, key=lambda a: (COURSE_ORDER.index(a) if a in COURSE_ORDER
                                              else len(COURSE_ORDER), a))


def _alembic_in_process() -> None:
    """nbgrader asks a new ``alembic heads`` process for the schema version when it creates a
    gradebook (seconds on a busy machine); ask alembic's Python API instead: the same answer."""
    import nbgrader.api
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import _temp_alembic_ini

    def heads() -> str:
        with _temp_alembic_ini("sqlite:////tmp/gradebook.db") as ini:
            return ScriptDirectory.from_config(Config(ini)).get_current_head()
    nbgrader.api.get_alembic_version = heads


def register(template: Path, solutions: Path, assignments: list[str], log) -> dict[str, str]:
    """Copy solutions/ into ``template`` and register ``assignments`` in its gradebook (in-process
    nbgrader generate_assignment, which also writes template/exercises/). Returns {a: error}."""
    from grading.worker import config as job_config
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    _alembic_in_process()
    shutil.copytree(solutions, template / "solutions", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    fake = Job("", "", Path(), template, template, template)
    cfg = job_config(fake, template)
    api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
    failed = {}
    for a in assignments:
        r = api.generate_assignment(a, force=True, create=True)
        if not r["success"]:
            log(r.get("log", "") + (r.get("error") or ""))
            failed[a] = "could not register the assignment (nbgrader generate_assignment failed)"
    return failed


def grader_fingerprint(solutions: Path, a: str, options: dict) -> str:
    """What a cached grade depends on besides the notebook: the assignment's source, the grader's
    code (grading/, cnnlab/grading, nbgrader_config.py) and the options."""
    h = hashlib.sha256(json.dumps(options, sort_keys=True).encode())
    files = sorted((solutions / a).rglob("*")) + sorted((REPO / "grading").glob("*.py"))
    grading_lib = REPO / "cnnlab" / "grading"
    files += sorted(grading_lib.rglob("*.py")) if grading_lib.is_dir() else [REPO / "cnnlab" / "grading.py"]
    files += [REPO / "nbgrader_config.py"]
    for f in files:
        if f.is_file() and "__pycache__" not in f.parts:
            h.update(str(f.relative_to(REPO if REPO in f.parents else f.parent)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _cache_key(notebook: Path, fingerprint: str) -> str:
    return hashlib.sha256(fingerprint.encode() + notebook.read_bytes()).hexdigest()


def error_row(student: str, a: str, message: str, log: str, solutions: Path) -> dict:
    """The row of a submission that could not be graded: no part scores, total 0."""
    top = sum(grade_cell_order(a, solutions, points=True).values()) if (solutions / a).is_dir() else ""
    return {"student": student, "assignment": a, "total": "0", "max_score": f"{top:g}" if top != "" else "",
            "status": f"error: {message} (see {log})", "log": log}


def warm_evidence(assignments: list[str], solutions: Path, log) -> None:
    """Run the instructor's notebooks for grading/evidence.py once, here, before the workers need
    their trusted records (cached by checksum; a no-op when cached)."""
    try:
        evidence = importlib.import_module("grading.evidence")
    except ImportError:
        return
    for a in assignments:
        try:
            evidence.trusted_records(a, solutions=solutions)
        except Exception as exc:  # each worker will report it in its log
            log(f"evidence: the trusted records of {a} could not be computed ({type(exc).__name__}: {exc})")


def _run(jobs: list[Job], n: int, log) -> list[Result]:
    if n <= 1 or len(jobs) <= 1:
        results = []
        for job in jobs:
            results.append(grade_one(job))
            log(f"  graded {job.student}/{job.assignment}")
        return results
    ctx = multiprocessing.get_context("forkserver")
    # the fork server imports nbgrader, nbconvert and the grader once; every worker forks from it
    ctx.set_forkserver_preload(["grading.preload"])
    counter = ctx.Value("i", 0)
    results = []
    with concurrent.futures.ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=init_worker,
                                                initargs=(counter,)) as pool:
        for job, res in zip(jobs, pool.map(grade_one, jobs)):
            results.append(res)
            log(f"  graded {job.student}/{job.assignment}")
    return results


def _prune(out: Path, keep: set[tuple[str, str]]) -> None:
    """Remove results of submissions that are not part of this run (nothing stale survives)."""
    for sub in ("autograded", "feedback"):
        root = out / sub
        for d in sorted(root.glob("*/*")) if root.is_dir() else []:
            if d.parent.name.startswith("_"):
                continue
            if (d.parent.name, d.name) not in keep:
                shutil.rmtree(d, ignore_errors=True)
    for f in sorted((out / "logs").glob("*/*.log")) if (out / "logs").is_dir() else []:
        if (f.parent.name, f.stem) not in keep:
            f.unlink()
    for f in sorted((out / ".cache").glob("*/*.json")) if (out / ".cache").is_dir() else []:
        if (f.parent.name, f.stem) not in keep:
            f.unlink()
    present = {a for _, a in keep}
    for f in sorted(out.glob("similarity-*.*")):
        if f.stem[len("similarity-"):] not in present:
            f.unlink()
    for root in (out / s for s in ("autograded", "feedback", "logs", ".cache")):
        for d in sorted(root.glob("*"), reverse=True) if root.is_dir() else []:
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()


def similarity(out: Path, submissions: Path, rows: list[dict], log) -> None:
    """Fill the ``closest`` column from grading/similarity.py (its report goes beside grades.csv)."""
    try:
        sim = importlib.import_module("grading.similarity")
    except ImportError as exc:
        log(f"similarity: grading/similarity.py cannot be imported ({exc}); the closest column is empty")
        return
    for a in course_order({r["assignment"] for r in rows}):
        nbs = {r["student"]: submissions / r["student"] / a / f"{a}.ipynb" for r in rows
               if r["assignment"] == a and (submissions / r["student"] / a / f"{a}.ipynb").exists()}
        if len(nbs) < 2:
            continue
        try:
            closest = sim.report(nbs, a, out)
        except Exception as exc:  # a report that fails must not lose the grades
            log(f"similarity: the report for {a} failed ({type(exc).__name__}: {exc})")
            continue
        for r in rows:
            if r["assignment"] == a and r["student"] in closest:
                other, score = closest[r["student"]]
                r["closest"] = f"{other} {score:.2f}"


def grade(submissions: Path, out: Path, *, assignments: list[str] | None = None,
          timeout: int | None = None, solutions: Path = REPO / "solutions",
          workdir: Path | None = None, feedback: bool = True, jobs: int | None = None,
          force: bool = False, sandbox: bool = True, notebook_timeout: int = 1800,
          log=print) -> tuple[list[dict], list[Problem]]:
    """Grade everything under ``submissions``; write grades.csv, feedback/, autograded/, logs/ in ``out``.

    Returns (rows of grades.csv, problems). ``timeout`` overrides the per-cell timeout of
    nbgrader_config.py; ``jobs`` submissions are graded at a time (default: all cores);
    ``workdir`` keeps the template course (the tests look at its release).
    """
    submissions, out, solutions = Path(submissions).resolve(), Path(out).resolve(), Path(solutions).resolve()
    if sandbox:
        from grading.sandbox import probe

        why = probe()
        if why:
            raise RuntimeError(f"the sandbox does not work here: {why}")
    # nbgrader runs `alembic` from PATH when it creates a gradebook: this venv's first
    venv_bin = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != venv_bin:
        os.environ["PATH"] = os.pathsep.join([venv_bin, os.environ.get("PATH", "")])
    wanted, problems = discover(submissions, solutions, assignments)
    for p in problems:
        log(f"ERROR {p.student}/{p.assignment}: {p.message}")
    owned = workdir is None
    template = Path(tempfile.mkdtemp(prefix="cnnlab-grade-")) if owned else Path(workdir).resolve()
    template.chmod(0o700)
    out.mkdir(parents=True, exist_ok=True)
    try:
        failed = register(template, solutions, course_order(wanted), log) if wanted else {}
        options = {"timeout": timeout, "feedback": feedback, "sandbox": sandbox,
                   "notebook_timeout": notebook_timeout}
        todo: list[Job] = []
        cached: list[Result] = []
        keys: dict[tuple[str, str], str] = {}
        for a in course_order(wanted):
            fp = grader_fingerprint(solutions, a, options)
            for s in wanted[a]:
                nb = submissions / s / a / f"{a}.ipynb"
                if a in failed:
                    problems.append(Problem(s, a, failed[a]))
                    continue
                keys[(s, a)] = key = _cache_key(nb, fp)
                cache = out / ".cache" / s / f"{a}.json"
                if not force and cache.exists() and (out / "logs" / s / f"{a}.log").exists():
                    entry = json.loads(cache.read_text())
                    if entry.get("key") == key:
                        cached.append(Result(s, a, entry["row"], entry["error"], entry["log"]))
                        continue
                todo.append(Job(s, a, nb, template, out, template / "jobs" / f"{len(todo)}",
                                timeout=timeout, notebook_timeout=notebook_timeout,
                                sandbox=sandbox, feedback=feedback))
        warm_evidence(sorted({j.assignment for j in todo}), template / "solutions", log)
        n = jobs or os.cpu_count() or 1
        log(f"grading {len(todo)} submissions ({len(cached)} unchanged since the last run), "
            f"{min(n, max(len(todo), 1))} at a time")
        if feedback and todo:
            from grading.feedback import install_mathjax

            install_mathjax(out / "feedback")
        results = _run(todo, n, log)
        for r in results:
            cache = out / ".cache" / r.student / f"{r.assignment}.json"
            cache.parent.mkdir(parents=True, exist_ok=True)
            cache.write_text(json.dumps({"key": keys[(r.student, r.assignment)], "row": r.row,
                                         "error": r.error, "log": r.log}, sort_keys=True))
        rows = []
        for r in sorted(cached + results, key=lambda r: (r.student, r.assignment)):
            if r.error:
                problems.append(Problem(r.student, r.assignment, f"{r.error} (see {r.log})"))
                row = error_row(r.student, r.assignment, r.error, r.log, solutions)
                row["flags"] = r.row.get("flags", "")
            else:
                row = dict(r.row, log=r.log)
            rows.append(row)
        for p in problems:
            if not any((row["student"], row["assignment"]) == (p.student, p.assignment) for row in rows):
                rel = Path("logs") / p.student / f"{p.assignment}.log"
                for stale in ("autograded", "feedback"):  # no old feedback next to an error row
                    shutil.rmtree(out / stale / p.student / p.assignment, ignore_errors=True)
                (out / ".cache" / p.student / f"{p.assignment}.json").unlink(missing_ok=True)
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                (out / rel).write_text(f"{p.student}/{p.assignment} was not graded: {p.message}\n")
                rows.append(error_row(p.student, p.assignment, p.message, str(rel), solutions))
        order = {a: i for i, a in enumerate(course_order({r["assignment"] for r in rows}))}
        rows.sort(key=lambda r: (r["student"], order[r["assignment"]]))
        similarity(out, submissions, [r for r in rows if r["status"] == "graded"], log)
        _prune(out, {(r["student"], r["assignment"]) for r in rows})
        write_csv(rows, out / "grades.csv", solutions)
        return rows, problems
    finally:
        if owned:
            shutil.rmtree(template, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("submissions", type=Path, help="folder of <student>/<assignment>/")
    parser.add_argument("--out", type=Path, default=REPO / "results", help="results folder")
    parser.add_argument("--timeout", type=int, default=None, help="per-cell timeout (seconds)")
    parser.add_argument("--notebook-timeout", type=int, default=1800,
                        help="wall-clock limit per notebook (seconds)")
    parser.add_argument("--assignment", action="append", default=None,
                        help="grade only this assignment (repeatable)")
    parser.add_argument("--jobs", "-j", type=int, default=None,
                        help="submissions graded at a time (default: all cores)")
    parser.add_argument("--force", action="store_true", help="regrade unchanged submissions too")
    parser.add_argument("--no-feedback", action="store_true", help="skip generate_feedback")
    parser.add_argument("--unsafe-no-sandbox", action="store_true",
                        help="run students' code WITHOUT the sandbox (dangerous; see the guide)")
    args = parser.parse_args(argv)
    if not args.submissions.is_dir():
        print(f"grade.py: {args.submissions} is not a folder of <student>/<assignment>/",
              file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print("grade.py: --jobs must be at least 1", file=sys.stderr)
        return 2
    if args.unsafe_no_sandbox:
        print(UNSAFE_WARNING, file=sys.stderr)
    else:
        from grading.sandbox import probe

        why = probe()
        if why:
            print(f"grade.py: refusing to grade: the sandbox does not work here: {why}.",
                  file=sys.stderr)
            return NO_SANDBOX
    rows, problems = grade(args.submissions, args.out, assignments=args.assignment,
                           timeout=args.timeout, feedback=not args.no_feedback, jobs=args.jobs,
                           force=args.force, sandbox=not args.unsafe_no_sandbox,
                           notebook_timeout=args.notebook_timeout)
    print(f"Graded {sum(r['status'] == 'graded' for r in rows)} submissions; "
          f"{len(problems)} could not be graded. Wrote {args.out / 'grades.csv'}.")
    for p in problems:
        print(f"  {p.student}/{p.assignment}: {p.message}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
