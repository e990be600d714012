"""The structure every chapter must have (/work/issues/BOOK.md, rules 1-4), checked on the MyST sources.

Static: nothing is built or executed, the whole module runs in about a second. The chapters are
book/NN_*.md and book/pytorch.md (not the intro, preface, errata and other pages). Each chapter is
checked against four rules, one test each:

- ``learn``: an opening ``{admonition} What you will learn`` with ``:class: tip`` and three to six
  bullets, starting within the first 80 lines of the file.
- ``summary``: a ``## Summary`` section (with at least three bullets) immediately before ``## Exercises``.
- ``exercises``: ``## Exercises`` holds a numbered list of at least 6 items (1, 2, 3, ...), followed by
  exactly one ``{admonition} Solutions`` with ``:class: dropdown`` holding the same number of numbered
  items.
- ``figures``: every code cell that *creates* a figure carries mystnb figure metadata with a caption, a
  name ``fig-...`` (unique in the chapter) and image alt text in words (not a file name), and creates
  only one figure. A cell creates a figure when its top-level code calls ``plt.subplots``,
  ``plt.figure``, ``plt.subplot_mosaic`` or ``matplotlib.figure.Figure``, or a pyplot drawing function
  that draws on an implicit figure (``plt.plot``, ``plt.imshow``, ...), or a function that creates a
  figure: one defined in the chapter (in any cell up to this one, followed transitively) or in
  cnnlab (e.g. ``cnnlab.train.plot_history``). Such a call inside a loop counts as several figures.
  Cells tagged ``remove-output`` or ``remove-cell`` show no figure and are not checked.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import pytest

from helpers.book import ROOT

BOOK = ROOT / "book"
CHAPTERS = sorted(p.stem for p in BOOK.glob("[0-9][0-9]_*.md")) + ["pytorch"]
RULES = ("learn", "summary", "exercises", "figures")

MIN_EXERCISES = 6
LEARN_WITHIN = 80            # lines from the top of the file
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<info>.*)$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
NUMBERED = re.compile(r"^(\d+)[.)]\s+\S")
BULLET = re.compile(r"^[-*+]\s+\S")

# pyplot functions that make a new figure, and those that draw on the current (implicit) one.
PLT_NEW_FIGURE = {"subplots", "figure", "subplot_mosaic"}
PLT_IMPLICIT = {"plot", "imshow", "matshow", "scatter", "bar", "barh", "hist", "hist2d", "contour",
                "contourf", "pcolormesh", "pcolor", "semilogx", "semilogy", "loglog", "errorbar",
                "fill_between", "stem", "step", "pie", "boxplot", "violinplot", "quiver", "stackplot",
                "subplot", "axhline", "axvline", "spy", "hexbin", "streamplot", "stairs"}
FILE_NAME = re.compile(r"(\.(png|jpe?g|svg|gif|pdf|webp)\b)|/|\\|_images|^[\w.-]+$", re.IGNORECASE)


# --- reading a chapter ---------------------------------------------------------------------------

class Block:
    """A fenced block of the MyST source: a code cell, a directive or a code block."""

    def __init__(self, start: int, fence: str, info: str):
        self.start, self.fence, self.info = start, fence, info.strip()
        self.end = None
        self.body: list[tuple[int, str]] = []      # (line number, line) inside the fences

    @property
    def directive(self) -> str:
        m = re.match(r"\{([\w:-]+)\}\s*(.*)", self.info)
        return m.group(1) if m else ""

    @property
    def argument(self) -> str:
        m = re.match(r"\{([\w:-]+)\}\s*(.*)", self.info)
        return m.group(2).strip() if m else ""

    def options(self) -> dict[str, str]:
        opts = {}
        if self.body and self.body[0][1].strip() == "---":          # options as a YAML block
            for _, line in self.body[1:]:
                if line.strip() == "---":
                    break
                m = re.match(r"^([\w-]+):\s*(.*)$", line)
                if m:
                    opts[m.group(1)] = m.group(2).strip()
            return opts
        for _, line in self.body:
            m = re.match(r"^:([\w-]+):\s*(.*)$", line)
            if not m:
                break
            opts[m.group(1)] = m.group(2).strip()
        return opts

    def content(self) -> list[tuple[int, str]]:
        """The body without the :option: lines, and the top-level lines only (nested fences dropped)."""
        lines = [(n, ln) for n, ln in self.body]
        if lines and lines[0][1].strip() == "---":
            close = next((k for k in range(1, len(lines)) if lines[k][1].strip() == "---"), 0)
            lines = lines[close + 1:]
        while lines and re.match(r"^:([\w-]+):", lines[0][1]):
            lines.pop(0)
        out, inner = [], None
        for n, ln in lines:
            m = FENCE.match(ln)
            if inner is None:
                if m and m.group("indent") == "":
                    inner = m.group("fence")
                    continue
                out.append((n, ln))
            elif m and m.group("fence")[0] == inner[0] and len(m.group("fence")) >= len(inner) \
                    and not m.group("info").strip():
                inner = None
        return out


@lru_cache(maxsize=None)
def parse(chapter: str):
    """Top-level blocks and top-level lines (outside every fence) of a chapter, with line numbers."""
    lines = (BOOK / f"{chapter}.md").read_text(encoding="utf-8").splitlines()
    start = 0
    if lines and lines[0].strip() == "---":                # jupytext front matter
        start = next(i for i in range(1, len(lines)) if lines[i].strip() == "---") + 1
    blocks, top, stack = [], [], []
    for i in range(start, len(lines)):
        n, line = i + 1, lines[i]
        m = FENCE.match(line)
        if stack:
            opener = stack[-1]
            closes = (m and m.group("fence")[0] == opener.fence[0]
                      and len(m.group("fence")) >= len(opener.fence) and not m.group("info").strip())
            if closes:
                stack.pop()
                opener.end = n
                if not stack:
                    blocks.append(opener)
                else:
                    stack[-1].body.append((n, line))
                continue
            stack[-1].body.append((n, line))
            # a directive fenced with more backticks (or colons) may nest fenced blocks
            if m and m.group("info").strip() and (opener.fence[0] != m.group("fence")[0]
                                                  or len(m.group("fence")) < len(opener.fence)):
                if opener.directive and opener.directive != "code-cell":
                    stack.append(Block(n, m.group("fence"), m.group("info")))
            continue
        if m:
            stack.append(Block(n, m.group("fence"), m.group("info")))
            continue
        top.append((n, line))
    return blocks, top


def headings(chapter: str, level: int = 2) -> list[tuple[int, str]]:
    _, top = parse(chapter)
    out = []
    for n, line in top:
        m = HEADING.match(line)
        if m and len(m.group(1)) == level:
            out.append((n, m.group(2)))
    return out


def section_span(chapter: str, title: str) -> tuple[int, int] | None:
    """(first line, last line + 1) of the ## section with this title, or None."""
    hs = headings(chapter)
    total = len((BOOK / f"{chapter}.md").read_text(encoding="utf-8").splitlines()) + 1
    for k, (n, t) in enumerate(hs):
        if t == title:
            return n, (hs[k + 1][0] if k + 1 < len(hs) else total)
    return None


# --- the rules ------------------------------------------------------------------------------------

def check_learn(chapter: str) -> list[str]:
    blocks, _ = parse(chapter)
    found = [b for b in blocks if b.directive == "admonition" and b.argument == "What you will learn"]
    if not found:
        return ["no ```{admonition} What you will learn``` (BOOK.md rule 1)"]
    b, problems = found[0], []
    if len(found) > 1:
        problems.append(f"{len(found)} 'What you will learn' admonitions (lines {[x.start for x in found]})")
    if b.start > LEARN_WITHIN:
        problems.append(f"'What you will learn' starts at line {b.start}, after line {LEARN_WITHIN}")
    if b.options().get("class", "").split() != ["tip"]:
        problems.append(f"'What you will learn' (line {b.start}) needs ':class: tip', "
                        f"has {b.options().get('class')!r}")
    bullets = [ln for _, ln in b.content() if BULLET.match(ln)]
    if not 3 <= len(bullets) <= 6:
        problems.append(f"'What you will learn' (line {b.start}) has {len(bullets)} bullets, wants 3 to 6")
    return problems


def check_summary(chapter: str) -> list[str]:
    hs = headings(chapter)
    titles = [t for _, t in hs]
    problems = []
    for title in ("Summary", "Exercises"):
        if titles.count(title) != 1:
            problems.append(f"{titles.count(title)} '## {title}' headings, wants exactly one")
    if problems:
        return problems
    k = titles.index("Exercises")
    if k == 0 or titles[k - 1] != "Summary":
        before = titles[k - 1] if k else None
        return [f"the section before '## Exercises' is {before!r}, wants 'Summary' (BOOK.md rule 2)"]
    lo, hi = section_span(chapter, "Summary")
    _, top = parse(chapter)
    bullets = [ln for n, ln in top if lo < n < hi and BULLET.match(ln)]
    if len(bullets) < 3:
        problems.append(f"'## Summary' (line {lo}) has {len(bullets)} bullets, wants at least 3")
    return problems


def _numbers(lines) -> list[int]:
    return [int(NUMBERED.match(ln).group(1)) for _, ln in lines if NUMBERED.match(ln)]


def check_exercises(chapter: str) -> list[str]:
    span = section_span(chapter, "Exercises")
    if span is None:
        return ["no '## Exercises' section (BOOK.md rule 3)"]
    lo, hi = span
    blocks, top = parse(chapter)
    sols = [b for b in blocks if lo < b.start < hi and b.directive == "admonition"
            and b.argument == "Solutions"]
    if len(sols) != 1:
        return [f"'## Exercises' (line {lo}) holds {len(sols)} 'Solutions' admonitions, wants exactly one"]
    sol, problems = sols[0], []
    exercises = _numbers([(n, ln) for n, ln in top if lo < n < sol.start])
    after = _numbers([(n, ln) for n, ln in top if sol.end < n < hi])
    if after:
        problems.append(f"numbered items after the Solutions admonition (line {sol.end}): {after}")
    if exercises != list(range(1, len(exercises) + 1)):
        problems.append(f"the exercises are numbered {exercises}, wants 1, 2, 3, ...")
    if len(exercises) < MIN_EXERCISES:
        problems.append(f"{len(exercises)} exercises, wants at least {MIN_EXERCISES}")
    if "dropdown" not in sol.options().get("class", "").split():
        problems.append(f"the Solutions admonition (line {sol.start}) needs ':class: dropdown'")
    solutions = _numbers(sol.content())
    if solutions != list(range(1, len(exercises) + 1)):
        problems.append(f"the Solutions admonition (line {sol.start}) numbers {solutions}, "
                        f"wants one per exercise, 1 to {len(exercises)}")
    return problems


# --- figures --------------------------------------------------------------------------------------

def _parse_code(source: str) -> ast.Module | None:
    lines = ["pass" if ln.lstrip().startswith(("%", "!")) else ln for ln in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _callee(call: ast.Call) -> tuple[str, str]:
    """('plt', 'subplots') for plt.subplots(...), ('', 'name') for name(...), ('?', attr) otherwise."""
    f = call.func
    if isinstance(f, ast.Name):
        return "", f.id
    if isinstance(f, ast.Attribute):
        base = f.value
        if isinstance(base, ast.Name):
            return base.id, f.attr
        if isinstance(base, ast.Attribute):      # matplotlib.pyplot.subplots, matplotlib.figure.Figure
            return base.attr, f.attr
        return "?", f.attr
    return "?", ""


def _creates(call: ast.Call, makers: set[str]) -> str | None:
    """'new' if the call makes a new figure, 'implicit' if it draws on pyplot's current one, else None."""
    base, name = _callee(call)
    if base in ("plt", "pyplot") and name in PLT_NEW_FIGURE:
        return "new"
    if base in ("plt", "pyplot") and name in PLT_IMPLICIT:
        return "implicit"
    if name == "Figure" and base in ("", "figure", "mpl_figure"):
        return "new"
    if base in ("", "cnnlab", "train", "loop", "T") and name in makers:
        return "new"
    return None


def _figure_calls(tree: ast.AST, makers: set[str], top_level: bool):
    """(kind, in_loop) of every figure-making call in tree; not inside function bodies if top_level."""
    out = []

    def visit(node, in_loop):
        if top_level and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return
        loop = in_loop or isinstance(node, (ast.For, ast.While, ast.ListComp, ast.SetComp,
                                            ast.DictComp, ast.GeneratorExp))
        if isinstance(node, ast.Call):
            kind = _creates(node, makers)
            if kind:
                out.append((kind, loop))
        for child in ast.iter_child_nodes(node):
            visit(child, loop)

    for child in ast.iter_child_nodes(tree):
        visit(child, False)
    return out


def _function_makers(trees: list[ast.AST], makers: set[str]) -> set[str]:
    """Names of the functions defined in trees that create a figure (transitively), added to makers."""
    defs = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[node.name] = node
    makers = set(makers)
    changed = True
    while changed:
        changed = False
        for name, node in defs.items():
            if name not in makers and any(kind == "new" or kind == "implicit"
                                          for stmt in node.body
                                          for kind, _ in _figure_calls(stmt, makers, top_level=False)):
                makers.add(name)
                changed = True
    return makers


@lru_cache(maxsize=None)
def cnnlab_figure_makers() -> frozenset[str]:
    """Public functions of cnnlab that create a matplotlib figure (e.g. plot_history)."""
    trees = []
    for path in sorted((ROOT / "cnnlab").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "matplotlib" in text:
            trees.append(ast.parse(text))
    return frozenset(n for n in _function_makers(trees, set()) if not n.startswith("_"))


def code_cells(chapter: str):
    """(first line number, metadata, source) of every ```{code-cell}``` of a chapter, in order."""
    import yaml

    blocks, _ = parse(chapter)
    out = []
    for b in blocks:
        if b.directive != "code-cell":
            continue
        lines = [ln for _, ln in b.body]
        meta = {}
        if lines and lines[0].strip() == "---":                 # metadata as a YAML block
            close = next(k for k in range(1, len(lines)) if lines[k].strip() == "---")
            meta = yaml.safe_load("\n".join(lines[1:close])) or {}
            lines = lines[close + 1:]
        else:
            while lines and re.match(r"^:([\w-]+):", lines[0]):
                key, value = re.match(r"^:([\w-]+):\s*(.*)$", lines.pop(0)).groups()
                meta[key] = yaml.safe_load(value) if value else None
        out.append((b.start, meta, "\n".join(lines)))
    return out


def figure_cells(chapter: str):
    """(line, first source line, metadata, number of figures) of every code cell that creates figures."""
    makers, trees, out = set(cnnlab_figure_makers()), [], []
    for line, meta, source in code_cells(chapter):
        tree = _parse_code(source)
        if tree is None:
            continue
        trees.append(tree)
        makers = _function_makers(trees, makers)
        if set(meta.get("tags") or []) & {"remove-output", "remove-cell"}:
            continue
        calls = _figure_calls(tree, makers, top_level=True)
        new = [loop for kind, loop in calls if kind == "new"]
        count = len(new) + sum(new) if new else (1 if calls else 0)
        if count:
            first = next((ln for ln in source.splitlines() if ln.strip()), "")
            out.append((line, first.strip()[:70], meta, count))
    return out


def _words(text) -> int:
    return len(str(text).split())


def check_figures(chapter: str) -> list[str]:
    problems, names = [], {}
    for k, first, meta, count in figure_cells(chapter):
        where = f"the cell at line {k} ({first!r})"
        mystnb = meta.get("mystnb") or {}
        fig = mystnb.get("figure") or {}
        img = mystnb.get("image") or {}
        if count > 1:
            problems.append(f"{where} creates {count} figures; split it, one figure per cell")
        caption, name, alt = fig.get("caption"), fig.get("name"), img.get("alt")
        if not caption or _words(caption) < 4:
            problems.append(f"{where} has no mystnb.figure.caption (a sentence or two)")
        if not name or not re.fullmatch(r"fig-[a-z0-9][a-z0-9-]*", str(name)):
            problems.append(f"{where} needs mystnb.figure.name 'fig-<chapter>-<what>', has {name!r}")
        elif name in names:
            problems.append(f"{where} repeats the figure name {name!r} of the cell at line {names[name]}")
        else:
            names[name] = k
        if not alt or _words(alt) < 4 or (_words(alt) < 2 and FILE_NAME.search(str(alt))) \
                or re.search(r"\.(png|jpe?g|svg|gif)\b|_images/", str(alt), re.IGNORECASE):
            problems.append(f"{where} needs mystnb.image.alt describing the picture in words, has {alt!r}")
    return problems


CHECKS = {"learn": check_learn, "summary": check_summary, "exercises": check_exercises,
          "figures": check_figures}


def _cases():
    for chapter in CHAPTERS:
        for rule in RULES:
            yield pytest.param(chapter, rule, id=f"{chapter}-{rule}")


@pytest.mark.parametrize(("chapter", "rule"), list(_cases()))
def test_chapter_structure(chapter, rule):
    problems = CHECKS[rule](chapter)
    assert not problems, f"book/{chapter}.md breaks BOOK.md's '{rule}' rule:\n  " + "\n  ".join(problems)


def test_the_figure_rule_sees_figures():
    """The figure detector is not blind: the reference chapter's four figures are found, with metadata."""
    cells = figure_cells("07_convolution")
    assert len(cells) >= 4, f"found only {len(cells)} figure cells in book/07_convolution.md"
    assert "plot_history" in cnnlab_figure_makers()
    tree = _parse_code("fig, axes = plt.subplots(1, 2)\nfor a in range(2):\n    plt.figure()\n")
    calls = _figure_calls(tree, set(), top_level=True)
    assert [k for k, _ in calls] == ["new", "new"] and [loop for _, loop in calls] == [False, True]
