"""Book tests: one session fixture builds the book (incrementally, reusing _build and its cache)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers.book import GENERATOR, HTML, ROOT

BUILD_TIMEOUT = 30 * 60   # seconds; a fresh build takes a few minutes, a cached one seconds


@pytest.fixture(scope="session")
def built_book() -> Path:
    """Build the book with warnings as errors (like `make book`) and return _build/html.

    Incremental: Sphinx reuses _build and jupyter-cache reuses executed chapters, so when nothing
    changed this takes seconds (when cnnlab changed, every chapter is executed again). Fails with the end of the build log when the build fails.
    """
    GENERATOR.drop_stale_cache(ROOT)      # a chapter cached with an older cnnlab runs again
    bin_dir = Path(sys.executable).parent
    exe = bin_dir / "jupyter-book"
    if not exe.exists():
        pytest.fail(f"jupyter-book is not installed next to {sys.executable}; run `make setup`")
    env = dict(os.environ)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"    # the kernel runs in this venv
    cmd = [str(exe), "build", ".", "--warningiserror", "--keep-going"]
    if os.environ.get("CNNLAB_BOOK_TOC"):      # while drafting: build a partial table of contents
        cmd += ["--toc", os.environ["CNNLAB_BOOK_TOC"]]
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    log = proc.stdout + proc.stderr
    (ROOT / "_build").mkdir(exist_ok=True)
    (ROOT / "_build" / "book-build.log").write_text(log, encoding="utf-8")
    if proc.returncode != 0:
        lines = [ln for ln in log.splitlines() if "Kernel is running over TCP" not in ln]
        problems = [ln for ln in lines if "WARNING" in ln or "ERROR" in ln or "Error" in ln]
        pytest.fail(f"the book build failed (exit {proc.returncode}) after {time.monotonic() - start:.0f} s.\n"
                    "Warnings and errors:\n" + "\n".join(problems[:60]) +
                    "\n\nEnd of the build log (full log in _build/book-build.log):\n" + "\n".join(lines[-120:]),
                    pytrace=False)
    assert (HTML / "index.html").exists(), "the build succeeded but wrote no _build/html/index.html"
    return HTML
