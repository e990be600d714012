"""Time `nbgrader autograde` on one full-marks submission of each assignment (target: <= 30 s).

    python benchmarks/bench_grading.py [--out benchmarks/results/grading.json] [a1 ...]

Every assignment is registered first (nbgrader generate_assignment, not timed); then each
`nbgrader autograde <a>` call is timed on its own: it starts nbgrader, starts a kernel, runs the
notebook and saves the grades, exactly what an instructor waits for per student. The table
shows the wall time, the CPU time of the child processes (kernel included), and the score.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "grading"))

import nbformat  # noqa: E402

from grading.export_grades import export_grades  # noqa: E402
from grading.grade import _nbgrader  # noqa: E402
from helpers.grading import full_submission  # noqa: E402

ASSIGNMENTS = ["a1", "a2", "a3", "a4", "lab1", "lab2"]
TARGET = 30.0


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", default=ASSIGNMENTS)
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "grading.json")
    args = parser.parse_args(argv)
    logs: list[str] = []
    results = []
    with tempfile.TemporaryDirectory(prefix="cnnlab-bench-") as tmp:
        course = Path(tmp)
        import shutil
        shutil.copytree(REPO / "solutions", course / "solutions")
        for a in args.names:
            if _nbgrader(["generate_assignment", a, "--force"], course, log=logs.append):
                raise SystemExit("\n".join(logs))
            d = course / "submitted" / "student" / a
            d.mkdir(parents=True)
            nbformat.write(full_submission(a), str(d / f"{a}.ipynb"))
        for a in args.names:
            cpu0, t0 = _children_cpu(), time.perf_counter()
            _nbgrader(["autograde", a, "--force"], course, log=logs.append)
            wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
            row = export_grades(f"sqlite:///{course / 'gradebook.db'}", [a])[0]
            results.append({"assignment": a, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2),
                            "score": row["total"], "max_score": row["max_score"]})
    print(f"autograde, one submission each (cores: {os.cpu_count()}, load: "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())})")
    print(f"{'assignment':<12}{'wall (s)':>10}{'cpu (s)':>10}{'score':>10}  target <= {TARGET:.0f} s")
    for r in results:
        flag = "  met" if r["wall_s"] <= TARGET else "  NOT MET"
        print(f"{r['assignment']:<12}{r['wall_s']:>10.1f}{r['cpu_s']:>10.1f}"
              f"{r['score'] + '/' + r['max_score']:>10}{flag}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"loadavg": os.getloadavg(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
