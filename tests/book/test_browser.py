"""Read every page of the built book in headless Chromium, as a student would, fully offline.

Checks: internal links resolve (file and #anchor), images load, MathJax typeset all maths (no raw
TeX left), no cell shows an error or a traceback, no JavaScript error, search finds "perceptron",
and not a single request leaves localhost. Screenshots of a few pages go to _build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from helpers.book import ROOT

pytestmark = [pytest.mark.book, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ["book/intro.html", "book/01_perceptron.html", "book/03_softmax_losses.html",
               "book/06_backprop.html"]
ID_ATTR = re.compile(r'\bid="([^"]+)"')
REFRESH = re.compile(r'http-equiv="refresh"[^>]*url=([^"\s>]+)', re.IGNORECASE)

# Runs in the page once MathJax has finished: everything the test needs, as one JSON object.
PAGE_REPORT_JS = r"""
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const imgs = [...document.images];
  imgs.forEach(img => { img.loading = "eager"; });
  await Promise.all(imgs.map(img => img.complete ? null :
      new Promise(r => { img.addEventListener("load", r); img.addEventListener("error", r); setTimeout(r, 5000); })));
  const maths = [...document.querySelectorAll("span.math, div.math")];
  const untypeset = maths.filter(m => !m.querySelector("mjx-container")).map(m => m.textContent.slice(0, 80));
  const clone = document.querySelector("main, article, body").cloneNode(true);
  clone.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight").forEach(e => e.remove());
  const text = clone.textContent;
  const errors = [...document.querySelectorAll(".output.error, .output.traceback, .cell_output .traceback")]
      .map(e => e.textContent.slice(0, 200));
  const outputText = [...document.querySelectorAll(".cell_output")].map(e => e.textContent).join("\n");
  return {
    links: [...document.querySelectorAll("a[href]")].map(a => a.href),
    brokenImages: imgs.filter(img => !(img.naturalWidth > 0)).map(img => img.getAttribute("src")),
    mathCount: maths.length,
    mjxCount: document.querySelectorAll("mjx-container").length,
    untypeset: untypeset,
    rawTex: (text.match(/\\\(|\\\[|\$\$|\$[^$\n]{0,200}\\[a-zA-Z]+[^$\n]{0,200}\$/g) || []).slice(0, 5),
    errors: errors,
    traceback: outputText.includes("Traceback (most recent call last)"),
  };
}
"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(built_book):
    handler = functools.partial(_QuietHandler, directory=str(built_book))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no browser: {CHROMIUM} is missing (apt-get install chromium); the browser check is skipped")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install playwright); the browser check is skipped")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@functools.lru_cache(maxsize=None)
def _ids(path: Path) -> frozenset[str]:
    return frozenset(ID_ATTR.findall(path.read_text(encoding="utf-8", errors="replace")))


def _check_link(href: str, base: str, html_root: Path) -> str | None:
    """None if an internal link resolves to an existing file (and anchor), else the problem."""
    parts = urlsplit(href)
    if not href.startswith(base) or parts.scheme not in ("http", "https"):
        return None                                    # external link: not followed (offline)
    path = unquote(parts.path).lstrip("/")
    target = html_root / path
    if target.is_dir():
        target = target / "index.html"
    if not target.exists():
        return f"{href} -> missing file {target.relative_to(html_root)}"
    frag = unquote(parts.fragment)
    if frag and target.suffix == ".html" and frag not in _ids(target):
        return f"{href} -> no element with id {frag!r} in {target.relative_to(html_root)}"
    return None


def test_book_in_a_real_browser(built_book, server, browser):
    html_root = built_book
    pages = sorted(p.relative_to(html_root).as_posix() for p in html_root.rglob("*.html")
                   if not p.relative_to(html_root).parts[0].startswith(("_", ".")))
    shots = ROOT / "_build" / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)

    external, js_errors, problems = [], [], []
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def route(r):
        host = urlsplit(r.request.url).hostname
        if r.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("pageerror", lambda exc: js_errors.append(f"{page.url}: {exc}"))

    for name in pages:
        text = (html_root / name).read_text(encoding="utf-8", errors="replace")
        redirect = REFRESH.search(text)
        if redirect:                                   # e.g. index.html -> book/intro.html
            target = (html_root / name).parent / redirect.group(1)
            if not target.exists():
                problems.append(f"{name}: redirects to a missing page {redirect.group(1)}")
            continue
        page.goto(f"{server}/{name}", wait_until="load")
        report = page.evaluate(PAGE_REPORT_JS)
        for href in sorted(set(report["links"])):
            problem = _check_link(href, server, html_root)
            if problem:
                problems.append(f"{name}: broken link {problem}")
        problems += [f"{name}: image did not load: {src}" for src in report["brokenImages"]]
        if report["mathCount"] and report["mjxCount"] == 0:
            problems.append(f"{name}: {report['mathCount']} maths elements but MathJax rendered none")
        problems += [f"{name}: maths not typeset: {t!r}" for t in report["untypeset"][:5]]
        problems += [f"{name}: raw TeX visible: {t!r}" for t in report["rawTex"]]
        problems += [f"{name}: a cell shows an error: {t!r}" for t in report["errors"][:3]]
        if report["traceback"]:
            problems.append(f"{name}: a cell output contains a traceback")
        if name in SCREENSHOTS:
            page.screenshot(path=str(shots / (name.replace("/", "_").replace(".html", ".png"))), full_page=False)

    # Search: Sphinx's client-side index must find the perceptron chapter.
    page.goto(f"{server}/search.html?q=perceptron", wait_until="load")
    page.wait_for_selector("#search-results ul.search li, ul.search li", timeout=20000)
    results = page.eval_on_selector_all("ul.search li a", "els => els.map(e => e.getAttribute('href'))")
    page.screenshot(path=str(shots / "search_perceptron.png"))
    if not any("01_perceptron" in (h or "") for h in results):
        problems.append(f"search.html?q=perceptron does not list the perceptron chapter: {results[:10]}")
    context.close()

    assert not external, "requests to hosts other than localhost:\n" + "\n".join(sorted(set(external))[:30])
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors[:20])
    assert not problems, f"{len(problems)} problems in {len(pages)} pages:\n" + "\n".join(problems[:60])
    assert len(pages) >= 10, f"only {len(pages)} pages were built"
