"""Regenerate the student release exercises/<a>/ from solutions/<a>/ with nbgrader.

    python grading/release.py [--out DIR] [a1 a2 ...]        (what `make release` runs)

Runs ``nbgrader generate_assignment <a> --force --no-db`` for each assignment in solutions/: the
solutions and hidden tests are stripped, test cells are locked, checksums are written. No
gradebook is touched (``--no-db``). ``--out`` writes somewhere else (the tests regenerate into a
temporary folder and compare with the committed exercises/).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def assignments(solutions: Path = REPO / "solutions") -> list[str]:
    """Assignment ids: the folders of solutions/ holding a notebook."""
    return sorted(p.name for p in solutions.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def release(out: Path = REPO / "exercises", names: list[str] | None = None) -> None:
    """Write the student version of every assignment (or of ``names``) under ``out``."""
    out = Path(out).resolve()
    exe = Path(sys.executable).with_name("nbgrader")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    # nbgrader runs `alembic` (and the kernel runs python) from PATH: put this venv first.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for a in names or assignments():
        shutil.rmtree(out / a, ignore_errors=True)
        cmd = [str(exe) if exe.exists() else "nbgrader", "generate_assignment", a, "--force",
               "--no-db", f"--CourseDirectory.release_directory={out}"]
        proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit(f"release.py: nbgrader generate_assignment {a} failed")
        print(f"released {a} -> {(out / a).relative_to(out.parent)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "exercises")
    parser.add_argument("names", nargs="*")
    args = parser.parse_args(argv)
    release(args.out, args.names)
    return 0


if __name__ == "__main__":
    sys.exit(main())
