"""DistributedDataParallel through torchrun on CPU (gloo) equals one process on the global batch."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.ddp import WORKER, load_worker

pytestmark = [pytest.mark.torch, pytest.mark.slow]
torch = pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[2]


def test_torchrun_two_processes_match_one_process(tmp_path):
    if not torch.distributed.is_available():
        pytest.skip("torch.distributed is not available in this build")
    worker = load_worker()
    out = tmp_path / "ddp.json"
    env = {**os.environ, "CNNLAB_DEVICE": "cpu", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(WORKER), str(out)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ddp = json.loads(out.read_text())
    assert ddp["world_size"] == 2

    single = worker.train(2 * worker.BATCH)                  # same global batch, one process
    assert single["world_size"] == 1
    assert len(ddp["losses"]) == worker.EPOCHS
    for a, b in zip(ddp["losses"], single["losses"]):
        assert a == pytest.approx(b, rel=1e-6, abs=1e-9)
    for pa, pb in zip(ddp["params"], single["params"]):
        assert pa == pytest.approx(pb, rel=1e-6, abs=1e-9)
    assert ddp["losses"][-1] < ddp["losses"][0]
