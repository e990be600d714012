"""The places where the lecture notes are wrong or rounded, collected from the chapter modules.

Each chapter module of :mod:`cnnlab.notes` defines ``ERRATA``, a tuple of :class:`Erratum`: what the
notes print and a function computing the exact value. The book's errata page renders
:func:`errata_table`, and each chapter marks the place where it computes the value with the MyST
target ``(<key>)=``, so the page links there and cannot drift from the chapters.
"""

from __future__ import annotations

import importlib
from typing import Callable, NamedTuple

__all__ = ["Erratum", "CHAPTER_MODULES", "all_errata", "errata_table"]

# The chapter modules, in book order (imported lazily by all_errata).
CHAPTER_MODULES = ("ch03_softmax_losses", "ch04_mlp", "ch05_gradients", "ch06_backprop", "ch07_convolution",
                   "ch08_pooling", "ch09_conv_backprop", "ch10_architectures", "ch11_training",
                   "ch13_autoencoders")


class Erratum(NamedTuple):
    """One place where the notes are wrong ("wrong") or give a rounded value ("rounded").

    key: unique, also the MyST target in the chapter that computes the value; chapter: the book
    page (e.g. "06_backprop"); where: where in the notes; quantity: what is meant; printed: what the
    notes print; exact: computes the exact value or the corrected statement, formatted.
    """

    key: str
    chapter: str
    where: str
    quantity: str
    printed: str
    exact: Callable[[], str]
    kind: str = "wrong"


def all_errata() -> list[Erratum]:
    """Every erratum of every chapter module, in book order; keys are unique."""
    found: list[Erratum] = []
    for name in CHAPTER_MODULES:
        found.extend(importlib.import_module(f"{__package__}.{name}").ERRATA)
    keys = [e.key for e in found]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise ValueError(f"all_errata: duplicate keys {duplicates}")
    return found


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no column breaks, no emphasis from _ or *."""
    text = str(text).replace("\n", " ")
    for ch in "\\|_*":
        text = text.replace(ch, "\\" + ch)
    return text


def errata_table(errata: list[Erratum] | None = None) -> str:
    """A MyST Markdown table of the errata: where and what, the notes' value, the exact one, and a
    link to where the book computes it ({ref} to the chapter's ``(<key>)=`` target)."""
    rows = ["| | in the notes | they print | exact (computed) | see |", "|---|---|---|---|---|"]
    for i, e in enumerate(all_errata() if errata is None else errata, start=1):
        number = f"{i}" if e.kind == "wrong" else f"{i} (rounded)"
        link = f"{{ref}}`ch. {e.chapter[:2].lstrip('0')} <{e.key}>`"
        rows.append(f"| {number} | {_cell(e.where)}: {_cell(e.quantity)} | {_cell(e.printed)} "
                    f"| {_cell(e.exact())} | {link} |")
    return "\n".join(rows)
