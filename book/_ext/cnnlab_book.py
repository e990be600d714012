"""Sphinx extension for the cnnlab book: keep every page fully offline.

Jupyter Book always loads sphinx-thebe, which adds to every page a script declaring the unpkg.com
URL of Thebe (twice, in an incremental build: a JavaScript error, "THEBE_JS_URL has already been
declared") and a loader. The book launches notebooks on Colab only, so the Thebe assets are dropped
from each page's context before it is rendered.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any


def _is_thebe(asset: Any) -> bool:
    name = str(getattr(asset, "filename", asset) or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "thebe" in name or "THEBE_JS_URL" in body


def _drop_thebe(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    for key in ("script_files", "css_files"):
        if context.get(key):
            context[key] = [asset for asset in context[key] if not _is_thebe(asset)]


def _refresh_stylesheets(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for static in app.config.html_static_path:
        for css in sorted((Path(app.confdir) / static).glob("*.css")):
            built = Path(app.outdir) / "_static" / css.name
            if built.parent.is_dir() and (not built.exists() or built.read_bytes() != css.read_bytes()):
                shutil.copyfile(css, built)


def setup(app):
    app.connect("html-page-context", _drop_thebe, priority=900)
    app.connect("build-finished", _refresh_stylesheets)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
