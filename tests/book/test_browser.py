"""Read every page of the built book in headless Chromium, as a student would, fully offline.

Checks: internal links resolve (file and #anchor), images load, MathJax typeset all maths (no raw
TeX left), no cell shows an error or a traceback, no JavaScript error, search finds "perceptron",
and not a single request leaves localhost.

Layout, at a desktop's 1280x900 and a phone's 390x844 (issue 10, "reads well"), with every dropdown
and hidden cell opened: the page never scrolls sideways (documentElement.scrollWidth <= innerWidth + 1);
every display equation, code block, table and cell output wider than its box scrolls inside its own
box or an ancestor's within the article (overflow-x auto or scroll), and none is clipped by an
overflow hidden; every image of the article has alt text in words, not a file name; every image in a
chapter's cell output is a numbered figure (a <figure> whose <figcaption> says "Fig. N").

One browser and one tab serve every page: a page is loaded once at 1280 px, then measured again at
390 px by resizing the viewport. Screenshots of a few pages at both widths go to _build/screenshots/.
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from helpers.book import ROOT

pytestmark = [pytest.mark.book, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = ["book/intro.html", "book/01_perceptron.html", "book/03_softmax_losses.html",
               "book/06_backprop.html", "book/10_architectures.html", "book/glossary.html"]
WIDTHS = {1280: 900, 390: 844}          # a desktop window and a phone (width: height), in CSS pixels
CHAPTER_PAGE = re.compile(r"^book/(\d\d_[\w-]+|pytorch)\.html$")
EXEMPT_IMAGES = ()                      # e.g. the theme's logo, if one is configured: CSS selectors
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


# Opens every dropdown (solutions) and hidden cell, so that what they hold is measured too.
OPEN_ALL_JS = r"""
() => {
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  document.querySelectorAll(".toggle-hidden").forEach(e => e.classList.remove("toggle-hidden"));
  document.querySelectorAll("button.toggle-button").forEach(b => {
    if (b.classList.contains("toggle-button-hidden")) { b.click(); }
  });
}
"""

# Runs at the current viewport width: overflow, scrolling boxes, alt text and figure captions.
LAYOUT_JS = r"""
(args) => {
  const [exempt, chapter] = args;
  const W = window.innerWidth;
  const main = document.querySelector("main#main-content, main, article") || document.body;
  const article = document.querySelector("article.bd-article, article, main") || document.body;
  const describe = (e) => {
    let d = e.tagName.toLowerCase();
    if (e.id) d += "#" + e.id;
    if (e.classList.length) d += "." + [...e.classList].slice(0, 3).join(".");
    const fig = e.closest("figure[id], div.cell[id], section[id]");
    const where = fig ? " in #" + fig.id : "";
    const text = (e.getAttribute && e.getAttribute("data-tex")) || e.textContent || "";
    return d + where + " " + JSON.stringify(text.replace(/\s+/g, " ").trim().slice(0, 60));
  };
  const scrolls = (e) => ["auto", "scroll"].includes(getComputedStyle(e).overflowX);
  const clips = (e) => ["hidden", "clip"].includes(getComputedStyle(e).overflowX);
  const visible = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };

  // (a) the page itself never scrolls sideways; name the elements that stick out
  const pageOverflow = document.documentElement.scrollWidth > W + 1;
  let sticking = [];
  if (pageOverflow) {
    for (const e of document.body.querySelectorAll("*")) {
      if (!visible(e) || e.closest("dialog, .bd-sidebar-primary, .bd-sidebar-secondary")) continue;
      if (getComputedStyle(e).position === "fixed") continue;
      const r = e.getBoundingClientRect();
      if (r.right <= W + 1) continue;
      let p = e.parentElement, inside = false;
      while (p && p !== document.body) { if (scrolls(p) || clips(p)) { inside = true; break; } p = p.parentElement; }
      const parent = e.parentElement;
      if (!inside && !(parent && parent.getBoundingClientRect().right > W + 1 && !scrolls(parent)))
        sticking.push(describe(e) + " reaches x=" + Math.round(r.right));
      if (sticking.length >= 5) break;
    }
  }

  // (b) wide content scrolls in its own box (or an ancestor's inside the article), never clipped
  const wide = [];
  const boxes = article.querySelectorAll('mjx-container[display="true"], div.math, pre, table, div.cell_output, div.cell_output .output');
  for (const e of boxes) {
    if (!visible(e)) continue;
    const parent = e.parentElement;
    const own = e.scrollWidth > e.clientWidth + 1;
    const spills = parent && e.getBoundingClientRect().right > parent.getBoundingClientRect().right + 1
                   && e.getBoundingClientRect().width > parent.clientWidth + 1;
    if (!own && !spills) continue;
    let node = own ? e : parent, verdict = null;
    while (node) {
      if (scrolls(node)) { verdict = "ok"; break; }
      if (clips(node)) { verdict = "clipped by overflow " + getComputedStyle(node).overflowX + " on " + describe(node).split(" ")[0]; break; }
      if (node === main) break;
      node = node.parentElement;
    }
    if (verdict !== "ok")
      wide.push(describe(e) + " is " + Math.round(Math.max(e.scrollWidth, e.getBoundingClientRect().width)) +
                " px wide in a " + Math.round((own ? e : parent).clientWidth) + " px box: " +
                (verdict || "no scrolling box around it"));
  }

  // (c) alt text in words; (d) cell-output images are numbered figures (chapters)
  const badAlt = [], noFigure = [];
  // a file name or path: an image extension, Sphinx's _images/ folder, or one token with / _ . or digits
  const fileLike = (a) => /\.(png|jpe?g|svg|gif|webp|pdf)\b/i.test(a) || /_images\//.test(a) ||
                          (!/\s/.test(a) && /[\/\\_.\d]/.test(a));
  for (const img of article.querySelectorAll("img")) {
    if (exempt.some(sel => img.matches(sel))) continue;
    const alt = (img.getAttribute("alt") || "").trim();
    if (!alt || fileLike(alt)) badAlt.push((img.getAttribute("src") || "").split("/").pop() + " alt=" + JSON.stringify(alt.slice(0, 60)));
    if (chapter && img.closest(".cell_output")) {
      const fig = img.closest("figure");
      const cap = fig && fig.querySelector("figcaption");
      if (!cap || !/Fig\.\s*\d+/.test(cap.textContent))
        noFigure.push((img.getAttribute("src") || "").split("/").pop() +
                      (fig ? " (figure without a numbered caption)" : " (not in a figure)"));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width: W, pageOverflow, sticking,
          wide: wide.slice(0, 8), wideCount: wide.length, badAlt, noFigure};
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


def _shot_name(name: str, width: int) -> str:
    return name.replace("/", "_").replace(".html", f"-{width}.png")


@pytest.fixture(scope="module")
def survey(built_book, server, browser):
    """Every page read once (at 1280 px, then resized to 390 px): what the two tests below check."""
    html_root = built_book
    pages = sorted(p.relative_to(html_root).as_posix() for p in html_root.rglob("*.html")
                   if not p.relative_to(html_root).parts[0].startswith(("_", ".")))
    shots = ROOT / "_build" / "screenshots"
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True)

    external, js_errors, problems, layout, figures = [], [], [], [], []
    (first_width, first_height), *others = WIDTHS.items()
    context = browser.new_context(viewport={"width": first_width, "height": first_height})

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
    start = time.monotonic()

    for name in pages:
        text = (html_root / name).read_text(encoding="utf-8", errors="replace")
        redirect = REFRESH.search(text)
        if redirect:                                   # e.g. index.html -> book/intro.html
            target = (html_root / name).parent / redirect.group(1)
            if not target.exists():
                problems.append(f"{name}: redirects to a missing page {redirect.group(1)}")
            continue
        page.set_viewport_size({"width": first_width, "height": first_height})
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
        if name in SCREENSHOTS:                         # as a reader first sees it, before opening
            for width, height in WIDTHS.items():
                page.set_viewport_size({"width": width, "height": height})
                page.evaluate("() => window.scrollTo(0, 0)")
                page.screenshot(path=str(shots / _shot_name(name, width)))

        page.evaluate(OPEN_ALL_JS)
        chapter = bool(CHAPTER_PAGE.match(name))
        for width, height in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
            lay = page.evaluate(LAYOUT_JS, [list(EXEMPT_IMAGES), chapter])
            at = f"{name} @ {width} px"
            if lay["pageOverflow"]:
                layout.append(f"{at}: the page scrolls sideways (scrollWidth {lay['scrollWidth']} > "
                              f"{lay['width']}); sticking out: {'; '.join(lay['sticking']) or '?'}")
            layout += [f"{at}: {w}" for w in lay["wide"]]
            if lay["wideCount"] > len(lay["wide"]):
                layout.append(f"{at}: ... and {lay['wideCount'] - len(lay['wide'])} more wide boxes")
            if width == first_width:                    # the same at every width: report once
                figures += [f"{name}: image without alt text in words: {a}" for a in lay["badAlt"]]
                figures += [f"{name}: cell-output image not a numbered figure: {f}" for f in lay["noFigure"]]

    # Search: Sphinx's client-side index must find the perceptron chapter.
    page.set_viewport_size({"width": first_width, "height": first_height})
    page.goto(f"{server}/search.html?q=perceptron", wait_until="load")
    page.wait_for_selector("#search-results ul.search li, ul.search li", timeout=20000)
    results = page.eval_on_selector_all("ul.search li a", "els => els.map(e => e.getAttribute('href'))")
    page.screenshot(path=str(shots / "search_perceptron.png"))
    if not any("01_perceptron" in (h or "") for h in results):
        problems.append(f"search.html?q=perceptron does not list the perceptron chapter: {results[:10]}")
    context.close()
    seconds = time.monotonic() - start
    (ROOT / "_build" / "browser-survey.txt").write_text(
        f"{len(pages)} pages at {sorted(WIDTHS)} px in {seconds:.0f} s\n" + "\n".join(layout + figures) + "\n",
        encoding="utf-8")
    return {"pages": pages, "external": external, "js_errors": js_errors, "problems": problems,
            "layout": layout, "figures": figures, "seconds": seconds}


def test_book_in_a_real_browser(survey):
    external, js_errors, problems, pages = (survey[k] for k in ("external", "js_errors", "problems", "pages"))
    assert not external, "requests to hosts other than localhost:\n" + "\n".join(sorted(set(external))[:30])
    assert not js_errors, "JavaScript errors:\n" + "\n".join(js_errors[:20])
    assert not problems, f"{len(problems)} problems in {len(pages)} pages:\n" + "\n".join(problems[:60])
    assert len(pages) >= 10, f"only {len(pages)} pages were built"


def test_pages_fit_desktop_and_phone_widths(survey):
    """No page scrolls sideways; whatever is wider than its box scrolls inside it, nothing is clipped."""
    layout = survey["layout"]
    assert not layout, (f"{len(layout)} layout problems in {len(survey['pages'])} pages at "
                        f"{' and '.join(f'{w} px' for w in WIDTHS)} (all in _build/browser-survey.txt):\n"
                        + "\n".join(layout[:150]))


def test_images_have_alt_text_and_numbered_captions(survey):
    """Every image has alt text in words; every image a chapter's cell draws is a numbered figure."""
    figures = survey["figures"]
    pages = sorted({line.split(":", 1)[0] for line in figures})
    assert not figures, (f"{len(figures)} images without alt text or a numbered caption on {len(pages)} pages "
                         f"({', '.join(pages)}); give the cell that draws it mystnb figure caption, name "
                         "and image alt (BOOK.md rule 4):\n" + "\n".join(figures[:150]))
