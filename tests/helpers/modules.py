"""The one list of cnnlab's numpy-only modules (they must never import torch).

Discovered from the package, so a new numpy module is covered without editing a list; the torch
packages are the only exclusions.
"""

from __future__ import annotations

import pkgutil

import cnnlab

TORCH_PACKAGES = ("cnnlab.models", "cnnlab.train", "cnnlab.data", "cnnlab.cli", "cnnlab.__main__")


def numpy_modules() -> list[str]:
    """Every module under cnnlab that is not in (or under) a torch package, found without importing it."""
    names = ["cnnlab"]
    for info in pkgutil.walk_packages(cnnlab.__path__, prefix="cnnlab.", onerror=lambda name: None):
        if not any(info.name == t or info.name.startswith(t + ".") for t in TORCH_PACKAGES):
            names.append(info.name)
    return sorted(names)
