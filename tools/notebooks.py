"""The Colab notebooks of the book, and every file that says where cnnlab is installed from.

    python tools/notebooks.py                 (`make notebooks`; `make book` runs it too)
    python tools/notebooks.py --sources       only put the install source into every file
    python tools/notebooks.py --check         write nothing; list what is out of date (exit 1)

Where cnnlab comes from is written once, in pyproject.toml: ``[project.urls] Source`` (the git
repository), ``Documentation`` (the online book) and ``version`` (the release tag ``v<version>``).
This script writes them into every file that needs them: the install cell of every chapter and
assignment (``pip install "cnnlab[torch] @ git+<Source>@v<version>"``), the README and the book's
install commands, the Colab buttons' repository in _config.yml and ``cnnlab.__version__``.

Then it generates book/<chapter>.ipynb, the notebook that a chapter's "open in Colab" button
opens, from the MyST source book/<chapter>.md. Plain Jupyter and Colab do not understand MyST, so
the Markdown is rewritten: a glued value becomes the value computed by the executed chapter (from
Jupyter Book's cache _build/.jupyter_cache, or by executing the chapter here when the cache does not
hold it), a citation becomes author-year text linked to the online bibliography, a cross-reference
a link to the online page, an admonition a titled blockquote, a dropdown a ``<details>`` block.
Maths stays as it is (Jupyter renders ``$...$`` and ``$$...$$``). The notebooks are generated,
never edited by hand; tests/book/test_notebooks.py fails when one is out of date.

Jupyter Book's cache knows a chapter's code, not the library it imports: a chapter whose cnnlab
changed would keep its old numbers. So every run (and the book tests' build) first compares a hash
of cnnlab's sources with the one stamped beside the cache and empties the cache when they differ
(``drop_stale_cache``, which also drops Sphinx's saved environment): after a change to cnnlab the
next build executes every chapter again.
"""

from __future__ import annotations

import argparse
import codecs
import hashlib
import os
import re
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
CACHE = ROOT / "_build" / ".jupyter_cache"
CACHE_STAMP = ROOT / "_build" / ".jupyter_cache.cnnlab-sha256"   # the cnnlab the cache was executed with
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


# --- where cnnlab comes from ------------------------------------------------------------------

class Source(NamedTuple):
    repo: str       # https://github.com/<org>/<name>
    docs: str       # the online book, ending in "/"
    version: str    # 0.2.0: the notebooks install the tag v0.2.0

    @property
    def git(self) -> str:
        """The pip URL of the release: git+<repo>@v<version>."""
        return f"git+{self.repo}@v{self.version}"

    def spec(self, extra: str = "torch") -> str:
        return f"cnnlab[{extra}] @ {self.git}" if extra else f"cnnlab @ {self.git}"


def read_source(root: Path = ROOT) -> Source:
    """The install source as pyproject.toml sets it (the only place it is written by hand)."""
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ImportError:                   # Python 3.10: the three lines this needs, by pattern
        project = {"version": re.search(r'(?m)^version = "([^"]+)"', text).group(1),
                   "urls": dict(re.findall(r'(?m)^(Source|Documentation) = "([^"]+)"', text))}
    else:
        project = tomllib.loads(text)["project"]
    urls = project.get("urls", {})
    for key in ("Source", "Documentation"):
        if key not in urls:
            raise SystemExit(f"notebooks.py: pyproject.toml has no [project.urls] {key}")
    repo = urls["Source"].rstrip("/")
    if not re.fullmatch(r"https://[\w.-]+/[\w.-]+/[\w.-]+", repo):
        raise SystemExit(f"notebooks.py: [project.urls] Source must be https://<host>/<org>/<repo>, got {repo!r}")
    return Source(repo, urls["Documentation"].rstrip("/") + "/", project["version"])


GIT_URL = re.compile(r"git\+https?://[^\s\"'\\)`]+")


def sourced_files(root: Path = ROOT) -> list[Path]:
    """The files that name the install source (exercises/ is regenerated from solutions/)."""
    files = [root / "README.md", root / "book" / "intro.md", root / "book" / "instructors.md"]
    files += sorted((root / "book").glob("*.md")) + sorted((root / "solutions").glob("*/*.ipynb"))
    return list(dict.fromkeys(p for p in files if p.exists()))


def with_source(path: Path, text: str, source: Source) -> str:
    """``text`` (the content of ``path``) with every install URL, version and repository set."""
    text = GIT_URL.sub(source.git, text)
    if path.name == "_config.yml":
        text = re.sub(r"(?m)^(repository:\n  url: ).*$", lambda m: m.group(1) + source.repo, text)
    if path.name == "__init__.py":
        text = re.sub(r'(?m)^__version__ = ".*"$', f'__version__ = "{source.version}"', text)
    return text


def sync_sources(source: Source, *, check: bool, root: Path = ROOT) -> list[Path]:
    """Write the install source into every file that needs it; return the files that changed."""
    changed = []
    for path in sourced_files(root) + [root / "_config.yml", root / "cnnlab" / "__init__.py"]:
        text = path.read_text(encoding="utf-8")
        new = with_source(path, text, source)
        if new != text:
            changed.append(path)
            if not check:
                path.write_text(new, encoding="utf-8")
    return changed


# --- the online book: page titles, citations -------------------------------------------------

def page_title(docname: str, root: Path = ROOT) -> str:
    """The first heading of a page of the book (docname: repository path without suffix)."""
    for suffix in (".md", ".ipynb"):
        path = root / (docname + suffix)
        if path.exists():
            text = path.read_text(encoding="utf-8")
            if suffix == ".ipynb":
                import nbformat
                text = "\n".join(c.source for c in nbformat.reads(text, as_version=4).cells
                                 if c.cell_type == "markdown")
            heading = re.search(r"(?m)^# (.+)$", text)
            if heading:
                return heading.group(1).strip()
    raise ValueError(f"notebooks.py: no page {docname} (.md or .ipynb) with a '# ' heading")


def page_url(docname: str, source: Source, anchor: str = "") -> str:
    return f"{source.docs}{docname}.html" + (f"#{anchor}" if anchor else "")


def _plain(latex: str) -> str:
    """A bibtex name as plain text: L{\\'e}on -> Léon."""
    import latexcodec  # noqa: F401  (registers the "ulatex" codec; pybtex depends on it)

    return codecs.decode(latex, "ulatex").replace("{", "").replace("}", "")


def bibliography(root: Path = ROOT) -> dict[str, str]:
    """Citation key -> author-year label, as the book's author_year style writes it."""
    from pybtex.database import parse_file

    config = (root / "_config.yml").read_text(encoding="utf-8")
    bibs = re.findall(r"(?m)^  - (book/\S+\.bib)$", config)
    labels = {}
    for bib in bibs:
        for key, entry in parse_file(str(root / bib)).entries.items():
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            last = [_plain(" ".join(p.prelast_names + p.last_names)) for p in people]
            if len(last) == 1:
                who = last[0]
            elif len(last) == 2:
                who = f"{last[0]} and {last[1]}"
            elif last:
                who = f"{last[0]} et al."
            else:
                who = _plain(entry.fields.get("title", key))
            labels[key] = f"{who}, {entry.fields.get('year', 'n.d.')}"
    return labels


# --- MyST Markdown -> Jupyter Markdown --------------------------------------------------------

ROLE = re.compile(r"\{([a-z][\w:-]*)\}`([^`]*)`")
FENCE_OPEN = re.compile(r"^(\s*)(:{3,}|`{3,})\{([\w:-]+)\}\s*(.*)$")
CODE_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
ADMONITIONS = {"note", "tip", "hint", "important", "warning", "caution", "attention", "danger",
               "error", "seealso"}


class Context(NamedTuple):
    """What rewriting one chapter needs: its glued values, the bibliography, the source."""
    path: Path
    glued: dict[str, str]
    cites: dict[str, str]
    source: Source
    used: dict[str, str]          # the glued values the text shows (recorded in the notebook's metadata)

    def fail(self, message: str) -> ValueError:
        return ValueError(f"notebooks.py: {self.path.relative_to(ROOT)}: {message}")


def _link_target(target: str, ctx: Context) -> str:
    """A {doc} target relative to the page -> the repository docname."""
    if target.startswith("/"):
        return target.lstrip("/")
    here = ctx.path.parent.relative_to(ROOT)
    return os.path.normpath(here / target).replace(os.sep, "/")


def _labels(ctx: Context) -> dict[str, tuple[str, str]]:
    """MyST targets ``(label)=`` in the book: label -> (docname, the heading that follows)."""
    found = {}
    for md in sorted(BOOK.glob("*.md")):
        lines = md.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            m = re.fullmatch(r"\(([\w-]+)\)=\s*", line)
            if m:
                heading = next((ln.lstrip("#").strip() for ln in lines[i + 1:] if ln.strip()), m.group(1))
                found[m.group(1)] = (md.relative_to(ROOT).with_suffix("").as_posix(), heading)
            m = re.fullmatch(r"\s+name:\s*(fig-[\w-]+)\s*", line)      # a mystnb figure's name ({numref})
            if m:
                found[m.group(1)] = (md.relative_to(ROOT).with_suffix("").as_posix(), "the figure")
    return found


def rewrite_role(role: str, content: str, ctx: Context) -> str:
    """One MyST role as plain Markdown."""
    if role in ("glue", "glue:", "glue:text", "glue:any", "glue:md"):
        from myst_nb.core.variables import format_plain_text

        key, _, fmt = content.partition(":") if role == "glue:text" else (content, "", "")
        if key not in ctx.glued:
            raise ctx.fail(f"{{{role}}}`{content}`: the executed chapter glued no {key!r}")
        ctx.used[key] = ctx.glued[key]
        return format_plain_text(ctx.glued[key], fmt)
    if role in ("cite", "cite:p", "cite:t", "cite:ps", "cite:ts"):
        keys = [k.strip() for k in content.split(",")]
        missing = [k for k in keys if k not in ctx.cites]
        if missing:
            raise ctx.fail(f"{{{role}}}`{content}`: {missing} not in the bibliography")
        url = page_url("book/bibliography", ctx.source)
        if role.startswith("cite:t"):
            return "; ".join(f"[{ctx.cites[k].replace(', ', ' (', 1)})]({url})" for k in keys)
        return "(" + "; ".join(f"[{ctx.cites[k]}]({url})" for k in keys) + ")"
    if role in ("doc", "ref", "numref"):
        m = re.fullmatch(r"(.*?)\s*<([^>]+)>", content, flags=re.S)
        text, target = (m.group(1), m.group(2)) if m else (None, content)
        if role == "doc":
            docname = _link_target(target, ctx)
            return f"[{text or page_title(docname)}]({page_url(docname, ctx.source)})"
        labels = _labels(ctx)
        if target not in labels:
            raise ctx.fail(f"{{{role}}}`{content}`: no target ({target})= in book/")
        docname, heading = labels[target]
        return f"[{text or heading}]({page_url(docname, ctx.source, target)})"
    if role == "math":
        return f"${content}$"
    raise ctx.fail(f"the MyST role {{{role}}} has no plain-Markdown form in notebooks.py")


def rewrite_inline(line: str, ctx: Context) -> str:
    if re.fullmatch(r"\(([\w-]+)\)=\s*", line):
        return f'<a id="{line.strip()[1:-2]}"></a>'
    return ROLE.sub(lambda m: rewrite_role(m.group(1), m.group(2), ctx), line)


def _directive_end(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing the directive opened at ``start`` with ``fence``."""
    depth, inner_code = 0, None
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        if fence[0] == "`" and inner_code is None and FENCE_OPEN.match(lines[i]) and \
                FENCE_OPEN.match(lines[i]).group(2) == fence:
            depth += 1
            continue
        code = CODE_FENCE.match(lines[i])
        if fence[0] == "`" and code and not FENCE_OPEN.match(lines[i]):
            if inner_code is None and stripped != fence:
                inner_code = code.group(1)          # a plain code block inside the directive
                continue
            if inner_code is not None and stripped == inner_code:
                inner_code = None
                continue
        if inner_code is None and stripped == fence:
            if depth == 0:
                return i
            depth -= 1
    raise ValueError(f"unclosed directive at line {start + 1}")


def rewrite_markdown(text: str, ctx: Context) -> str:
    """A MyST Markdown cell as plain Jupyter Markdown."""
    lines, out, i = text.splitlines(), [], 0
    while i < len(lines):
        line = lines[i]
        code = CODE_FENCE.match(line)
        directive = FENCE_OPEN.match(line)
        if directive:
            indent, fence, name, argument = directive.groups()
            try:
                end = _directive_end(lines, i, fence)
            except ValueError as exc:
                raise ctx.fail(str(exc)) from None
            body = lines[i + 1:end]
            options = {}
            while body and re.match(r"^\s*:[\w-]+:", body[0]):
                key, _, value = body.pop(0).strip()[1:].partition(":")
                options[key] = value.strip()
            out += rewrite_directive(name, argument, options, "\n".join(body), ctx, indent).splitlines()
            i = end + 1
            continue
        if code:                                     # a plain code block: copied verbatim
            fence = code.group(1)
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence), len(lines) - 1)
            out += lines[i:end + 1]
            i = end + 1
            continue
        if re.match(r"^%( |$)", line):               # a MyST comment
            i += 1
            continue
        out.append(rewrite_inline(line, ctx))
        i += 1
    return "\n".join(out)


def rewrite_directive(name: str, argument: str, options: dict, body: str, ctx: Context, indent: str) -> str:
    """An admonition as a titled blockquote, a dropdown as a <details> block."""
    if name in ("admonition", "dropdown") or name in ADMONITIONS:
        title = argument.strip() or name.capitalize()
        inner = rewrite_markdown(body.strip("\n"), ctx)
        if name == "dropdown" or "dropdown" in options.get("class", "").split():
            block = f"<details>\n<summary>{rewrite_inline(title, ctx)}</summary>\n\n{inner}\n\n</details>"
        else:
            quoted = "\n".join(">" + (" " + ln if ln.strip() else "") for ln in inner.splitlines())
            block = f"> **{rewrite_inline(title, ctx)}**\n>\n{quoted}"
        return "\n".join(indent + ln if ln else ln for ln in block.splitlines())
    if name == "math":
        return f"$$\n{body.strip()}\n$$"
    raise ctx.fail(f"the MyST directive {{{name}}} has no plain-Markdown form in notebooks.py")


# --- glued values: from the executed chapter ---------------------------------------------------

def glued_values(nb) -> dict[str, str]:
    """name -> text/plain of every value a (executed) notebook glued."""
    values = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            meta = output.get("metadata", {}).get("scrapbook")
            if meta:
                data = {k[len(meta.get("mime_prefix", "")):]: v for k, v in output["data"].items()}
                values[meta["name"]] = data.get("text/plain", "")
    return values


def executed(md: Path, nb):
    """The chapter with its outputs: from Jupyter Book's cache, else executed here (minutes)."""
    if CACHE.exists():
        from jupyter_cache import get_cache
        cache = get_cache(str(CACHE))
        try:
            return cache.get_cache_bundle(cache.match_cache_notebook(nb).pk).nb
        except KeyError:
            pass
    import nbformat
    from nbclient import NotebookClient
    print(f"notebooks.py: {md.relative_to(ROOT)} is not in the execution cache; executing it", flush=True)
    env_path = str(Path(sys.executable).parent)
    os.environ["PATH"] = env_path + os.pathsep + os.environ.get("PATH", "")
    run = nbformat.from_dict(nb)
    NotebookClient(run, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(md.parent)}}).execute()
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    cached = nbformat.from_dict(nb)          # the cache's key hashes the source's cells and metadata
    for cell, done in zip(cached.cells, run.cells):
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = done.outputs, done.execution_count
    get_cache(str(CACHE)).cache_notebook_bundle(CacheBundleIn(cached, str(md)), check_validity=False, overwrite=True)
    return run                       # and in the cache, so that the next book build does not execute it again


# --- one chapter -------------------------------------------------------------------------------

def read_chapter(md: Path):
    import jupytext
    return jupytext.read(md)


def generate(md: Path, source: Source, cites: dict[str, str] | None = None, glued: dict[str, str] | None = None):
    """The Colab notebook of the MyST chapter ``md`` (no outputs).

    ``glued``: the values to show (name -> text/plain); by default those of the executed chapter.
    The values shown are recorded in the notebook's metadata (cnnlab.glued), so that a test can
    regenerate the notebook from its source on any machine and compare the values separately.
    """
    import nbformat

    nb = read_chapter(md)
    if glued is None:
        needs_glue = any(c.cell_type == "markdown" and "{glue" in c.source for c in nb.cells)
        glued = glued_values(executed(md, nb)) if needs_glue else {}
    ctx = Context(md, glued, bibliography() if cites is None else cites, source, {})
    cells = []
    for i, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        metadata = {"tags": list(tags)} if tags else {}
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(rewrite_markdown(cell.source, ctx), metadata=metadata)
        elif cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(cell.source, metadata=metadata)
        else:
            new = nbformat.v4.new_raw_cell(cell.source, metadata=metadata)
        new.id = f"cell-{i}"
        cells.append(new)
    out = nbformat.v4.new_notebook(cells=cells)
    out.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"},
                    "cnnlab": {"generated_from": md.relative_to(ROOT).as_posix(),
                               "by": "tools/notebooks.py (make notebooks): edit the .md, never this file",
                               "glued": dict(sorted(ctx.used.items()))}}
    return out


def chapters(root: Path = ROOT) -> list[Path]:
    """Every MyST notebook in book/: a jupytext header with a kernel."""
    found = []
    for md in sorted((root / "book").glob("*.md")):
        text = md.read_text(encoding="utf-8")
        header = text.split("---", 2)[1] if text.startswith("---") else ""
        if "jupytext" in header and "kernelspec" in header:
            found.append(md)
    return found


def render(nb) -> str:
    import nbformat
    return nbformat.writes(nb) + "\n"


def library_hash(root: Path = ROOT) -> str:
    """sha256 over the paths and contents of cnnlab's Python sources."""
    digest = hashlib.sha256()
    for path in sorted((root / "cnnlab").rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def drop_stale_cache(root: Path = ROOT) -> bool:
    """Empty Jupyter Book's execution cache if cnnlab changed since it was filled; True if emptied.

    Sphinx's saved environment (_build/.doctrees) goes too: Sphinx re-reads, and so re-executes, only
    the documents it believes changed."""
    cache, stamp = root / CACHE.relative_to(ROOT), root / CACHE_STAMP.relative_to(ROOT)
    current = library_hash(root)
    stale = cache.exists() and (not stamp.exists() or stamp.read_text(encoding="utf-8").strip() != current)
    if stale:
        shutil.rmtree(cache)
        shutil.rmtree(cache.parent / ".doctrees", ignore_errors=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(current + "\n", encoding="utf-8")
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is out of date")
    parser.add_argument("--sources", action="store_true", help="only write the install source into every file")
    parser.add_argument("chapters", nargs="*", type=Path, help="book/<chapter>.md (default: all)")
    args = parser.parse_args(argv)
    if not args.check and drop_stale_cache():
        print("cnnlab changed since the book was executed: emptied _build/.jupyter_cache (every chapter runs again)")
    source = read_source()
    stale = sync_sources(source, check=args.check)
    if not args.sources:
        cites = bibliography()
        for md in [p.resolve() for p in args.chapters] or chapters():
            ipynb = md.with_suffix(".ipynb")
            text = render(generate(md, source, cites))
            if not ipynb.exists() or ipynb.read_text(encoding="utf-8") != text:
                stale.append(ipynb)
                if not args.check:
                    ipynb.write_text(text, encoding="utf-8")
    for path in stale:
        print(("out of date: " if args.check else "wrote ") + path.relative_to(ROOT).as_posix())
    if args.check and stale:
        print("run `make notebooks` (then `make release` for exercises/) and commit the result")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
