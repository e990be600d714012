"""`import cnnlab` and its numpy modules must not import torch (pyproject: numpy is the only dependency)."""

import subprocess
import sys
from pathlib import Path

import pytest

from helpers.modules import numpy_modules

REPO = Path(__file__).resolve().parents[1]

# Imports each module in turn in a fresh interpreter and reports the first that pulled in the
# forbidden package (argv[1]: "torch" for real, something cheap to prove the probe can fail).
PROBE = """
import importlib, importlib.util, sys
forbidden = sys.argv[1]
for name in sys.argv[2:]:
    if name.startswith("?"):                       # optional: skip when the module does not exist yet
        name = name[1:]
        if importlib.util.find_spec(name) is None:
            continue
    importlib.import_module(name)
    leaked = sorted(m for m in sys.modules if m == forbidden or m.startswith(forbidden + "."))
    if leaked:
        sys.exit(f"importing {name} imported {forbidden} ({len(leaked)} modules, e.g. {leaked[0]})")
print("ok")
"""


def _probe(forbidden: str, *modules: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, forbidden, *modules], cwd=REPO, capture_output=True,
                          text=True, timeout=120)


def test_numpy_modules_do_not_import_torch():
    result = _probe("torch", *numpy_modules())
    assert result.returncode == 0, result.stderr or result.stdout
    assert result.stdout.strip() == "ok"


def test_the_probe_can_fail():
    """The check is real: cnnlab.gradcheck does import numpy, and the probe catches it."""
    result = _probe("numpy", "cnnlab", "cnnlab.gradcheck")
    assert result.returncode != 0
    assert "imported numpy" in result.stderr
