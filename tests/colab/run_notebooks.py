"""Execute notebooks top to bottom as a Colab user would, and report every cell that raised.

    <venv>/bin/python run_notebooks.py --out report.json --jobs 2 NOTEBOOK...

Runs inside the Colab-like virtual environment of test_colab.py, with only what that environment
holds (nbformat and nbclient, as on Colab): no pytest, no cnnlab checkout. Each notebook runs in a
folder of its own holding only a copy of it (on Colab a notebook opens alone in /content), in its
own kernel, every cell even after one fails, so that the report lists every error with its name.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

CELL_TIMEOUT = 300          # seconds, like the book build


def run(path: str) -> dict:
    import nbformat
    from nbclient import NotebookClient

    start = time.monotonic()
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="colab-") as folder:
        shutil.copy(path, Path(folder) / Path(path).name)
        client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=True,
                                resources={"metadata": {"path": folder}})
        try:
            client.execute()
        except Exception as err:                  # a dead kernel or a timeout: report it as an error
            return {"path": path, "seconds": time.monotonic() - start, "cells": len(nb.cells),
                    "errors": [{"cell": -1, "ename": type(err).__name__, "evalue": str(err)[:2000]}]}
    errors = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors.append({"cell": i, "ename": out["ename"], "evalue": out["evalue"][:20000],
                               "source": cell.source[:200]})
    return {"path": path, "seconds": time.monotonic() - start, "cells": len(nb.cells), "errors": errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("notebooks", nargs="+")
    args = parser.parse_args()
    # The longest first, so that the pool ends together: a notebook's size is a fair guess.
    order = sorted(args.notebooks, key=lambda p: -Path(p).stat().st_size)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(run, order))
    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
