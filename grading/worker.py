"""Grade one submission in its own course folder, with nbgrader driven in-process.

grading/grade.py registers each assignment once (a template course: ``solutions/``, the release and
a gradebook that knows the grade cells); then every submission is a :class:`Job` that
:func:`grade_one` runs: a private copy of the template gradebook, ``nbgrader autograde`` (through
nbgrader's Python API, in this process: no nbgrader start-up per student) with the kernel in the
sandbox (grading/sandbox.py), the evidence check, ``nbgrader generate_feedback``, the row of
grades.csv, and the whole log in ``logs/<student>/<assignment>.log``. Jobs share nothing, so any
number run at once and each gives the same bytes as when run alone.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from grading.export_grades import export_grades  # noqa: E402
from grading.sandbox import HOME  # noqa: E402

_UID = [60000]


@dataclasses.dataclass
class Job:
    student: str
    assignment: str
    notebook: Path          # the submitted notebook
    template: Path          # the registered template course
    out: Path               # results folder
    work: Path              # scratch for this job (removed afterwards)
    timeout: int | None = None
    notebook_timeout: int = 1800
    sandbox: bool = True
    feedback: bool = True


@dataclasses.dataclass
class Result:
    student: str
    assignment: str
    row: dict
    error: str | None
    log: str                # path of the log, relative to the results folder


def init_worker(counter) -> None:
    """ProcessPool initializer: each worker gets its own sandbox uid (own process limit)."""
    with counter.get_lock():
        counter.value += 1
        _UID[0] = 60000 + counter.value


def config(job: Job, course: Path):
    """nbgrader_config.py with this job's course, gradebook, sandbox and timeouts."""
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(REPO)).load_config()
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.db_url = f"sqlite:///{course / 'gradebook.db'}"
    release = job.template / "exercises" / job.assignment / f"{job.assignment}.ipynb"
    cfg.RestoreCells.release_notebook = str(release)
    cfg.SanitizeFeedback.release_notebook = str(release)
    if job.timeout:
        cfg.Execute.timeout = job.timeout
    cfg.SandboxExecute.notebook_timeout = job.notebook_timeout
    cfg.SandboxExecute.sandboxed = job.sandbox
    cfg.SandboxKernelManager.job_dir = str(job.work / "sandbox")
    cfg.SandboxKernelManager.workdir = f"{HOME}/{job.assignment}"
    cfg.SandboxKernelManager.sandbox_uid = _UID[0]
    cfg.SandboxKernelManager.wall_s = job.notebook_timeout + 60
    return cfg


def optional(name: str):
    """grading.<name> (evidence, flags, similarity) when it can be imported, else None."""
    try:
        return importlib.import_module(f"grading.{name}")
    except ImportError:
        return None


def apply_evidence(course: Path, job: Job, log: list[str]) -> None:
    """Zero every test cell whose passing the grader cannot confirm (grading/evidence.py), in the
    gradebook (so the feedback and grades.csv agree) and with a message in that cell."""
    evidence = optional("evidence")
    if evidence is None:
        log.append("evidence: grading/evidence.py cannot be imported; nbgrader's verdicts stand")
        return
    import nbformat
    from nbgrader.api import Gradebook

    path = course / "autograded" / job.student / job.assignment / f"{job.assignment}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    verdicts = evidence.verify(job.assignment, nb, solutions=job.template / "solutions")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for cell in nb.cells:
            gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if gid not in verdicts:
                continue
            ok, message = verdicts[gid]
            grade = gb.find_grade(gid, job.assignment, job.assignment, job.student)
            if not ok and (grade.auto_score or 0) > 0:
                grade.auto_score = 0
                cell.outputs.append(nbformat.v4.new_output(
                    "error", ename="NoEvidence", evalue=message, traceback=[f"NoEvidence: {message}"]))
                log.append(f"evidence: {gid} scored 0: {message}")
        gb.db.commit()
    nbformat.write(nb, str(path))


def _cpu() -> float:
    """CPU seconds of this process and of its reaped children (bwrap does not pass the kernel's on)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _replace(src: Path, dest: Path) -> None:
    shutil.rmtree(dest, ignore_errors=True)
    if src.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(src, dest)


def grade_one(job: Job) -> Result:
    """Autograde ``job``'s notebook; write its autograded/, feedback/ and log; return its row."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    from grading.feedback import offline_mathjax

    s, a = job.student, job.assignment
    t0, cpu0 = time.perf_counter(), _cpu()
    log: list[str] = [f"grading {s}/{a} ({job.notebook.name}, sandbox: {'on' if job.sandbox else 'OFF'})"]
    error = None
    row: dict = {}
    # the course copy (gradebook, autograded notebook, feedback) in memory when /dev/shm exists:
    # sqlite's commits would otherwise wait for the disk; the sandbox's scratch stays on disk
    shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
    scratch = Path(tempfile.mkdtemp(prefix="cnnlab-job-", dir=shm))
    course = scratch / "course"
    try:
        shutil.rmtree(job.work, ignore_errors=True)
        (course / "submitted" / s / a).mkdir(parents=True)
        os.symlink(job.template / "solutions", course / "solutions")
        shutil.copy(job.template / "gradebook.db", course / "gradebook.db")
        shutil.copy(job.notebook, course / "submitted" / s / a / f"{a}.ipynb")
        # the kernel's scratch folder: its own submitted notebook and nothing else
        home = job.work / "sandbox" / "home" / a
        home.mkdir(parents=True)
        shutil.copy(job.notebook, home / f"{a}.ipynb")
        cfg = config(job, course)
        api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
        t1 = time.perf_counter()
        r = api.autograde(a, s, force=True, create=True)
        log.append(r.get("log", ""))
        log.append(f"autograde took {time.perf_counter() - t1:.1f} s")
        if not r["success"]:
            why = (r.get("error") or "").strip().splitlines()
            error = "nbgrader could not grade this submission" + (f" ({why[-1][:200]})" if why else "")
        else:
            apply_evidence(course, job, log)
            if job.feedback:
                t1 = time.perf_counter()
                fb = api.generate_feedback(a, s, force=True)
                log.append(f"generate_feedback took {time.perf_counter() - t1:.1f} s")
                log.append(fb.get("log", ""))
                html = course / "feedback" / s / a / f"{a}.html"
                if fb["success"] and html.exists():
                    html.write_text(offline_mathjax(html.read_text(encoding="utf-8")), encoding="utf-8")
                else:
                    log.append("generate_feedback failed:\n" + (fb.get("error") or ""))
            rows = export_grades(f"sqlite:///{course / 'gradebook.db'}", [a])
            row = next((r for r in rows if r["student"] == s), {})
            if not row or row.get("status") != "graded":
                error = "nbgrader could not grade this submission"
        flags = optional("flags")
        if flags is not None:
            import nbformat

            nb = nbformat.read(str(job.notebook), as_version=4)
            row["flags"] = ";".join(flags.scan(nb, a, solutions=job.template / "solutions"))
    except Exception:
        log.append(traceback.format_exc())
        error = "the grader failed on this submission"
    kernel_log = job.work / "sandbox" / "kernel.log"
    if kernel_log.exists():
        log.append("--- the kernel's own output ---\n" + kernel_log.read_text(errors="replace")[-20000:])
    for sub in ("autograded", "feedback"):
        _replace(course / sub / s / a, job.out / sub / s / a)
    log.append(f"done in {time.perf_counter() - t0:.1f} s (grader cpu {_cpu() - cpu0:.1f} s)"
               + (f"; ERROR: {error}" if error else ""))
    rel = Path("logs") / s / f"{a}.log"
    (job.out / rel).parent.mkdir(parents=True, exist_ok=True)
    (job.out / rel).write_text("\n".join(log) + "\n", encoding="utf-8")
    shutil.rmtree(job.work, ignore_errors=True)
    shutil.rmtree(scratch, ignore_errors=True)
    return Result(s, a, row, error, str(rel))
