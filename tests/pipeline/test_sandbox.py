"""Attacks on the grader, through `python grading/grade.py` (what `make grade` runs), in one run.

Each attacking student targets something outside its own notebook: the solutions, a classmate's
notebook, the gradebook, grades.csv (also after the grader has exited, from a detached process),
the repository, the release, the network. The sandbox (grading/sandbox.py) must make every attack
change nothing but the attacker's own score; honest classmates keep full marks. Without a working
bubblewrap the attacks are skipped; the refusal to grade without one is tested everywhere.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers.grading import (REPO, blank_submission, edit, expected_parts, full_submission,
                             grade_cells, parts, read_csv, replace_cell, sandbox_available,
                             write_submissions)

pytestmark = [pytest.mark.grading]
A = "a1"
MARKER = "cnnlab-detached-marker"
PRELUDE = """
import glob, json, os, socket, subprocess, sys
REPO, OUT, SUBS, MARK, PORT = {repo!r}, {out!r}, {subs!r}, {mark!r}, {port!r}
"""
STEAL = PRELUDE + """
import cnnlab
_here = os.path.dirname(os.path.dirname(cnnlab.__file__))
for _p in [REPO + "/solutions/a1/a1.ipynb", _here + "/solutions/a1/a1.ipynb",
           "../../solutions/a1/a1.ipynb", "../../../solutions/a1/a1.ipynb",
           "../../../../solutions/a1/a1.ipynb"] + glob.glob("/tmp/cnnlab-grade-*/solutions/a1/a1.ipynb"):
    try:
        for _c in json.load(open(_p))["cells"]:
            if "BEGIN SOLUTION" in "".join(_c["source"]):
                exec("".join(_c["source"]))
        print("stole", _p)
    except Exception as _e:
        pass
"""
COPY = PRELUDE + """
for _p in [SUBS + "/honest1/a1/a1.ipynb", "../../honest1/a1/a1.ipynb", "../honest1/a1.ipynb"]:
    try:
        for _c in json.load(open(_p))["cells"]:
            if _c.get("metadata", {{}}).get("nbgrader", {{}}).get("solution"):
                exec("".join(_c["source"]))
        print("copied", _p)
    except Exception:
        pass
"""
WRITE = PRELUDE + """
import cnnlab
print("whoami", os.getuid(), os.geteuid(), [l.split()[1] for l in open("/proc/self/status") if l.startswith("CapEff")][0])
print("sees", sorted(os.listdir("/")), sorted(os.listdir(".")), os.environ.get("PYTHONPATH"))
_targets = [OUT + "/grades.csv", OUT + "/feedback/honest1/a1/a1.html", REPO + "/gradebook.db",
            REPO + "/cnnlab/gradcheck.py", os.path.dirname(cnnlab.__file__) + "/gradcheck.py",
            REPO + "/solutions/a1/a1.ipynb", REPO + "/exercises/a1/a1.ipynb",
            SUBS + "/honest1/a1/a1.ipynb", MARK + "/wrote", "../../gradebook.db", "../../../gradebook.db"]
_targets += glob.glob("/tmp/cnnlab-grade-*/gradebook.db") + glob.glob("/tmp/cnnlab-grade-*/jobs/*/course/gradebook.db")
for _t in _targets:
    try:
        with open(_t, "a") as _f:
            _f.write("hacked")
        print("wrote", _t)
    except Exception:
        pass
"""
DETACH = PRELUDE + """
_late = ("import time\\ntime.sleep(5)\\n"
         f"open({{OUT!r}} + '/grades.csv', 'w').write('late')\\n"
         f"open({{MARK!r}} + '/late', 'w').write('late')\\n")
open("/tmp/late.py", "w").write(_late)
subprocess.Popen([sys.executable, "/tmp/late.py", "{marker}"], start_new_session=True,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
subprocess.Popen(["/bin/sh", "-c", f"nohup {{sys.executable}} /tmp/late.py {marker}-2 >/dev/null 2>&1 &"])
"""
NETWORK = PRELUDE + """
for _addr in [("127.0.0.1", PORT), ("1.1.1.1", 53), ("8.8.8.8", 53)]:
    try:
        socket.create_connection(_addr, timeout=2).sendall(b"hacked")
        print("connected", _addr)
    except OSError:
        pass
"""


def _answer_ids() -> list[str]:
    from helpers.grading import source_nb

    return [c.metadata.nbgrader["grade_id"] for c in source_nb(A).cells
            if c.get("metadata", {}).get("nbgrader", {}).get("solution")]


def _prepend(nb, code: str):
    first = _answer_ids()[0]
    return edit(nb, first, "def ", code + "\n\ndef ")


def _every_answer(nb, code: str):
    for gid in _answer_ids():
        nb = replace_cell(nb, gid, code)
    return nb


def _fingerprint() -> dict[str, str]:
    """Hashes of every file of the repository the attacks aim at."""
    files = [p for d in ("cnnlab", "solutions", "exercises", "grading") for p in (REPO / d).rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _detached_alive() -> list[str]:
    alive = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                if MARKER.encode() in (p / "cmdline").read_bytes():
                    alive.append(p.name)
            except OSError:
                pass
    return alive


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    if not sandbox_available():
        pytest.skip("bubblewrap does not work here (see grading/sandbox.py probe())")
    tmp = tmp_path_factory.mktemp("attacks")
    subs, out, mark = tmp / "submissions", tmp / "out", tmp / "markers"
    mark.mkdir()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.5)
    fmt = dict(repo=str(REPO), out=str(out), subs=str(subs), mark=str(mark),
               port=server.getsockname()[1], marker=MARKER)
    full, blank = full_submission(A), blank_submission(A)
    students = {
        "honest1": full, "honest2": full_submission(A),
        "reads_solutions": _every_answer(blank, STEAL.format(**fmt)),
        "copies_classmate": _every_answer(blank, COPY.format(**fmt)),
        "writes_everything": _prepend(full, WRITE.format(**fmt)),
        "detaches": _prepend(full, DETACH.format(**fmt)),
        "network": _prepend(full, NETWORK.format(**fmt)),
    }
    write_submissions(A, students, subs)
    connections: list = []
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                connections.append(server.accept())
            except OSError:
                pass
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    before = _fingerprint()
    honest_before = (subs / "honest1" / A / f"{A}.ipynb").read_bytes()
    proc = subprocess.run([sys.executable, str(REPO / "grading" / "grade.py"), str(subs), "--out", str(out),
                           "--timeout", "20", "--jobs", "2"], capture_output=True, text=True,
                          cwd=REPO, env=dict(os.environ), timeout=900)
    csv_after_exit = (out / "grades.csv").read_bytes()
    time.sleep(8)  # the detached processes would write after 5 s
    stop.set()
    thread.join()
    server.close()
    return dict(proc=proc, out=out, mark=mark, before=before, after=_fingerprint(),
                rows=read_csv(out / "grades.csv"), csv_after_exit=csv_after_exit,
                connections=connections, honest_before=honest_before, subs=subs)


def _printed(out: Path, student: str) -> str:
    """Everything the student's notebook printed while it was graded."""
    import json

    nb = json.loads((out / "autograded" / student / A / f"{A}.ipynb").read_text())
    return "\n".join("".join(o.get("text", "")) + o.get("evalue", "") for c in nb["cells"]
                     if c["cell_type"] == "code" for o in c.get("outputs", []))


def _scores(rows, student):
    row = rows[student]
    assert row["status"] == "graded", row
    return parts(row, A)


def test_grader_exits_0_and_honest_students_keep_full_marks(attacked):
    assert attacked["proc"].returncode == 0, attacked["proc"].stdout + attacked["proc"].stderr
    for s in ("honest1", "honest2"):
        assert _scores(attacked["rows"], s) == expected_parts(A)


def test_reading_the_solutions_or_a_classmate_earns_nothing(attacked):
    for s in ("reads_solutions", "copies_classmate"):
        assert _scores(attacked["rows"], s) == expected_parts(A, zero=tuple(grade_cells(A))), s
        printed = _printed(attacked["out"], s)
        assert "stole" not in printed and "copied" not in printed


def test_writes_change_nothing_outside_the_sandbox(attacked):
    assert attacked["after"] == attacked["before"], "a repository file changed"
    assert not any(attacked["mark"].iterdir()), list(attacked["mark"].iterdir())
    assert (attacked["subs"] / "honest1" / A / f"{A}.ipynb").read_bytes() == attacked["honest_before"]
    assert _scores(attacked["rows"], "writes_everything") == expected_parts(A)
    printed = _printed(attacked["out"], "writes_everything")
    assert "wrote" not in printed
    # an unprivileged uid with no capabilities, even though CI's grader runs as root
    uid, euid, caps = printed.split("whoami ")[1].split()[:3]
    assert int(uid) != 0 and int(euid) != 0 and int(caps, 16) == 0, printed
    # its own folder holds only its notebook; the repository is not on its path
    assert "sees" in printed and "['a1.ipynb']" in printed and "/opt/cnnlab" in printed, printed
    assert str(REPO) not in printed.split("sees")[1].splitlines()[0]


def test_detached_processes_die_with_the_kernel(attacked):
    assert _detached_alive() == []
    assert (attacked["out"] / "grades.csv").read_bytes() == attacked["csv_after_exit"]
    assert b"late" not in attacked["csv_after_exit"]
    assert _scores(attacked["rows"], "detaches") == expected_parts(A)


def test_no_network(attacked):
    assert attacked["connections"] == []
    assert "connected" not in _printed(attacked["out"], "network")
    assert _scores(attacked["rows"], "network") == expected_parts(A)


def test_refuses_without_a_sandbox_unless_told(tmp_path):
    subs = tmp_path / "subs"
    write_submissions(A, {"carol": b"not a notebook"}, subs)
    env = dict(os.environ, CNNLAB_BWRAP="/nonexistent/bwrap")
    cmd = [sys.executable, str(REPO / "grading" / "grade.py"), str(subs), "--out", str(tmp_path / "out")]
    refused = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)
    assert refused.returncode == 3, refused.stderr
    assert "bubblewrap" in refused.stderr and "--unsafe-no-sandbox" in refused.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()
    unsafe = subprocess.run(cmd + ["--unsafe-no-sandbox"], capture_output=True, text=True, env=env,
                            cwd=REPO, timeout=300)
    assert "students' code runs with YOUR rights" in unsafe.stderr
    assert unsafe.returncode == 1  # carol's notebook is not JSON: an error row, exit status 1
    assert read_csv(tmp_path / "out" / "grades.csv")["carol"]["status"].startswith("error:")
