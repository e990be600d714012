"""Every notebook a student opens runs where Colab runs it.

A fresh virtual environment gets only what Colab preinstalls and the notebooks use (numpy, torch,
matplotlib, scikit-learn, tqdm, ipykernel, and nbformat/nbclient to execute notebooks), at the CI
pins of constraints.txt, then ``pip install .[torch]`` from a copy of the package (no book, grading
or dev extras: no myst_nb, jupytext, nbgrader or pytest). In it, run_notebooks.py executes each
chapter's generated notebook (book/*.ipynb) and each assignment and lab solution (solutions/) top to
bottom in a folder of its own: none may raise. The student versions (exercises/) may fail only with
"not implemented": NotImplementedError, or the checks' GradingError saying so.

The install takes seconds from pip's cache; the notebooks run two at a time (a few minutes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.book import ROOT

pytestmark = [pytest.mark.colab, pytest.mark.slow]

COLAB_PACKAGES = ["numpy", "torch", "matplotlib", "scikit-learn", "tqdm", "ipykernel", "nbformat", "nbclient"]
NOT_IN_COLAB_ENV = ["myst-nb", "jupyter-book", "jupytext", "nbgrader", "pytest", "hypothesis", "sphinx"]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*/*.ipynb"))
JOBS = 2
RUN_TIMEOUT = 25 * 60       # seconds for all notebooks together


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _pip(python: Path, *args: str, timeout: int = 900) -> None:
    # --no-compile: byte-compiling all of torch takes minutes on two cores; the warm-up import below
    # compiles only what the notebooks import.
    proc = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-compile",
                           "-c", str(ROOT / "constraints.txt"), *args],
                          capture_output=True, text=True, timeout=timeout, env=_clean_env())
    if proc.returncode != 0:
        pytest.fail(f"pip install {' '.join(args)} failed in the Colab-like environment:\n{proc.stderr[-3000:]}",
                    pytrace=False)


def _clean_env(bin_dir: Path | None = None) -> dict[str, str]:
    """This process's environment without what would reach the checkout or the test venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")}
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.fixture(scope="module")
def colab_python(tmp_path_factory) -> Path:
    """A fresh venv with Colab's packages and cnnlab[torch] installed from a copy of the package."""
    root = tmp_path_factory.mktemp("colab")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    _pip(python, *COLAB_PACKAGES)
    package = root / "cnnlab-src"              # what `pip install .` builds: the package, not the checkout
    package.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, package / name)
    shutil.copytree(ROOT / "cnnlab", package / "cnnlab", ignore=shutil.ignore_patterns("__pycache__"))
    _pip(python, f"{package}[torch]")
    warm = "import torch, matplotlib.pyplot, sklearn.datasets, tqdm, ipykernel, cnnlab.models, cnnlab.train"
    proc = subprocess.run([str(python), "-c", warm], capture_output=True, text=True, timeout=600,
                          env=_clean_env(), cwd=root)
    assert proc.returncode == 0, f"cnnlab[torch] does not import in the Colab-like environment:\n{proc.stderr[-2000:]}"
    return python


@pytest.fixture(scope="module")
def colab_run(colab_python, tmp_path_factory) -> dict[str, dict]:
    """Execute every notebook in the Colab-like environment; path -> {seconds, cells, errors}."""
    report = tmp_path_factory.mktemp("colab-report") / "report.json"
    env = _clean_env(colab_python.parent)
    env["OMP_NUM_THREADS"] = "1"           # two notebooks at a time on two cores
    proc = subprocess.run([str(colab_python), str(Path(__file__).with_name("run_notebooks.py")), "--out", str(report),
                           "--jobs", str(JOBS), *map(str, CHAPTERS + SOLUTIONS + EXERCISES)],
                          capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env, cwd=report.parent)
    assert proc.returncode == 0, f"run_notebooks.py failed:\n{proc.stderr[-3000:]}"
    return {rel(Path(r["path"])): r for r in json.loads(report.read_text(encoding="utf-8"))}


def test_the_environment_is_colab_like(colab_python):
    """cnnlab[torch] is installed (not the checkout), and none of the book, grading or dev tools are."""
    code = ("import importlib.metadata as m, cnnlab, sys; print(cnnlab.__file__); "
            f"print([n for n in {NOT_IN_COLAB_ENV!r} if any(d.metadata['Name'].lower() == n for d in m.distributions())])")
    out = subprocess.run([str(colab_python), "-c", code], capture_output=True, text=True, timeout=120,
                         env=_clean_env(), cwd=colab_python.parent).stdout.splitlines()
    assert out and str(colab_python.parents[1]) in out[0], f"cnnlab is not the installed package: {out}"
    assert out[1] == "[]", f"the Colab-like environment holds tools Colab does not have: {out[1]}"


def _described(errors: list[dict]) -> str:
    return "\n".join(f"  cell {e['cell']}: {e['ename']}: {e['evalue'][:300]}" for e in errors)


@pytest.mark.parametrize("notebook", CHAPTERS + SOLUTIONS, ids=[rel(p) for p in CHAPTERS + SOLUTIONS])
def test_runs_top_to_bottom_with_no_error(notebook, colab_run):
    result = colab_run[rel(notebook)]
    assert not result["errors"], (f"{rel(notebook)} fails in a Colab-like environment "
                                  f"({result['seconds']:.0f} s):\n{_described(result['errors'])}")


def _not_implemented(error: dict) -> bool:
    return error["ename"] == "NotImplementedError" or (
        error["ename"] == "GradingError" and "is not implemented yet" in error["evalue"])


@pytest.mark.parametrize("notebook", EXERCISES, ids=[rel(p) for p in EXERCISES])
def test_student_version_fails_only_where_work_is_missing(notebook, colab_run):
    result = colab_run[rel(notebook)]
    other = [e for e in result["errors"] if not _not_implemented(e)]
    assert not other, f"{rel(notebook)} fails for other reasons than missing answers:\n{_described(other)}"
    assert result["errors"], f"{rel(notebook)} runs with no error: are the answers in the student version?"


def test_every_notebook_was_run(colab_run):
    assert len(CHAPTERS) >= 6 and len(SOLUTIONS) >= 6 and len(EXERCISES) == len(SOLUTIONS)
    assert set(colab_run) == {rel(p) for p in CHAPTERS + SOLUTIONS + EXERCISES}
