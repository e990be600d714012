"""The DDP worker that the distributed tests run under torchrun (tests/train/ddp_worker.py), and a
loader that imports it in-process for the single-process reference run."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

WORKER = Path(__file__).resolve().parents[1] / "train" / "ddp_worker.py"


def load_worker() -> ModuleType:
    """tests/train/ddp_worker.py as a module (it is a script, not on the import path)."""
    spec = importlib.util.spec_from_file_location("cnnlab_ddp_worker", WORKER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
