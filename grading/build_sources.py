"""Write solutions/<a>/<a>.ipynb from grading/sources/<a>.py (see grading/nbsource.py).

    python grading/build_sources.py [a1 a2 ...]      then: make release
"""

import importlib
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from grading.nbsource import build  # noqa: E402

ASSIGNMENTS = ["a1", "a2", "a3", "a4", "lab1", "lab2"]


def main(names):
    for name in names or ASSIGNMENTS:
        try:
            module = importlib.import_module(f"grading.sources.{name}")
        except ModuleNotFoundError:
            print(f"no grading/sources/{name}.py, skipped")
            continue
        nb = build(name, module.CELLS)
        path = REPO / "solutions" / name / f"{name}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(path))
        print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main(sys.argv[1:])
