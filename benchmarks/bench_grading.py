"""Time `make grade` on a class: a batch of submissions graded serially, then with every core.

    python benchmarks/bench_grading.py [--students 24] [--assignment a1] [--out benchmarks/results/grading.json]

Builds ``--students`` submissions of one assignment (the full solution and faulty variants, as in
tests/pipeline/), then grades the same folder twice through grading/grade.py's ``grade()`` -- the
path `make grade` takes, sandbox and feedback included -- with ``jobs=1`` and with ``jobs`` = all
cores, each into a fresh results folder (so nothing is skipped as unchanged). Prints the wall time
of each run, the amortised seconds per submission (target: <= 5 s with all cores), where the time
goes (a sandboxed kernel's start-up; per submission, from its log: wall time, and the grader's own
CPU time -- nbgrader's conversions, feedback, gradebook -- which does not depend on how loaded the
machine is; the kernel's CPU is not counted), and whether the two runs' results are byte-identical.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from grading.grade import grade  # noqa: E402
from grading.sandbox import probe  # noqa: E402
from helpers.grading import blank_submission, edit, full_submission, write_submissions  # noqa: E402

TARGET = 5.0


def class_of(a: str, n: int) -> dict:
    """``n`` submissions: mostly full solutions, with a blank and a faulty one every few students."""
    full = full_submission(a)
    variants = [full, full, blank_submission(a)]
    if a == "a1":
        variants.append(edit(full, "a1_cross_entropy", "return (p - y) / n", "return (y - p) / n"))
    return {f"student{i:03d}": variants[i % len(variants)] for i in range(n)}


def kernel_startup() -> float:
    """Seconds to start a sandboxed kernel, run one trivial cell and shut it down."""
    import nbformat
    from nbclient import NotebookClient

    from grading.sandbox import SandboxKernelManager

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    t0 = time.perf_counter()
    NotebookClient(nb, kernel_manager_class=SandboxKernelManager, kernel_name="python3").execute()
    return time.perf_counter() - t0


def _files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and (p.name == "grades.csv" or "feedback" in p.parts) and "_mathjax" not in p.parts}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--assignment", default="a1")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="the 'all cores' run")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "grading.json")
    args = parser.parse_args(argv)
    why = probe()
    if why:
        print(f"bench_grading: the sandbox does not work here ({why}); timing without it is not "
              "what `make grade` does", file=sys.stderr)
        return 3
    a, n = args.assignment, args.students
    results = {"assignment": a, "students": n, "cores": os.cpu_count(), "jobs": args.jobs,
               "kernel_startup_s": round(kernel_startup(), 2)}
    with tempfile.TemporaryDirectory(prefix="cnnlab-bench-") as tmp:
        tmp = Path(tmp)
        subs = write_submissions(a, class_of(a, n), tmp / "submissions")
        runs = {}
        for label, jobs in (("serial", 1), ("all cores", args.jobs)):
            logs: list[str] = []
            out = tmp / label.replace(" ", "-")
            t0 = time.perf_counter()
            rows, problems = grade(subs, out, assignments=[a], jobs=jobs, log=logs.append)
            wall = time.perf_counter() - t0
            done = [re.search(r"done in ([0-9.]+) s \(grader cpu ([0-9.]+) s", f.read_text())
                    for f in sorted((out / "logs").glob("*/*.log"))]
            per = [float(m.group(1)) for m in done if m]
            cpu = [float(m.group(2)) for m in done if m]
            runs[label] = {"jobs": jobs, "wall_s": round(wall, 1), "per_submission_s": round(wall / n, 2),
                           "grading_one_s_mean": round(sum(per) / max(len(per), 1), 2),
                           "cpu_one_s_mean": round(sum(cpu) / max(len(cpu), 1), 2),
                           "graded": sum(r["status"] == "graded" for r in rows), "files": _files(out)}
        identical = runs["serial"]["files"] == runs["all cores"]["files"]
        for r in runs.values():
            del r["files"]
        results["runs"] = runs
        results["identical"] = identical
        results["loadavg"] = os.getloadavg()
    print(f"make grade, {n} submissions of {a} (cores: {os.cpu_count()}, load: "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}); a sandboxed kernel starts in "
          f"{results['kernel_startup_s']:.1f} s")
    print(f"{'run':<12}{'jobs':>6}{'wall (s)':>10}{'s/submission':>14}{'one: wall (s)':>15}"
          f"{'grader cpu (s)':>16}{'graded':>8}")
    for label, r in runs.items():
        print(f"{label:<12}{r['jobs']:>6}{r['wall_s']:>10.1f}{r['per_submission_s']:>14.2f}"
              f"{r['grading_one_s_mean']:>15.2f}{r['cpu_one_s_mean']:>16.2f}{r['graded']:>8}")
    best = runs["all cores"]["per_submission_s"]
    print(f"amortised with all cores: {best:.2f} s per submission, target <= {TARGET:.0f} s: "
          f"{'met' if best <= TARGET else 'NOT MET'}; serial and parallel results "
          f"{'byte-identical' if identical else 'DIFFER'}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
