"""`nbgrader zip_collect` with the shipped nbgrader_config.py: an LMS archive becomes the
submitted/<student>/<a>/<a>.ipynb folder that `make grade` reads (book/instructors.md, Collecting)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers.grading import REPO

pytestmark = [pytest.mark.grading]


def test_zip_collect_fills_submitted_from_an_lms_archive(tmp_path):
    release = (REPO / "exercises" / "a1" / "a1.ipynb").read_bytes()
    archive = tmp_path / "downloaded" / "a1" / "archive"
    archive.mkdir(parents=True)
    with zipfile.ZipFile(archive / "lms.zip", "w") as z:
        z.writestr("alice_12345_assignsubmission_file_a1.ipynb", release)  # Moodle's naming
        z.writestr("bob/a1.ipynb", release + b"\n")                        # a folder per student
        z.writestr("notes.txt", b"not a notebook")
    exe = Path(sys.executable).with_name("nbgrader")
    env = dict(os.environ, PATH=os.pathsep.join([str(exe.parent), os.environ.get("PATH", "")]))
    proc = subprocess.run([str(exe), "zip_collect", "a1", f"--CourseDirectory.root={tmp_path}"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    submitted = tmp_path / "submitted"
    assert sorted(p.relative_to(submitted).as_posix() for p in submitted.rglob("*.ipynb")) == \
        ["alice/a1/a1.ipynb", "bob/a1/a1.ipynb"]
    assert (submitted / "alice" / "a1" / "a1.ipynb").read_bytes() == release
