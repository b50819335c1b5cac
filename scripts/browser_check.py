"""Real-browser check of the built book (Debian's chromium, headless, driven by selenium).

Usage: ``python scripts/browser_check.py [_build/html]`` (``make browser-check`` builds
the book first). For the index, the results summary, one per-dataset results page
and the theory pages with equations, it checks in a real browser that

* the page loads with its title and the book's navigation;
* MathJax rendered the equations (``mjx-container`` elements, no ``mjx-merror``),
  on every page whose source holds math;
* every ``<img>`` finished loading with a non-zero natural size (figures present);
* every internal link of every page in the build points at a file that exists
  (checked on the files, with the anchors the browser sees);
* no page shows the test machinery (nbval markers, the reference checks' lines) or "NaN";
* no two pages share a title;

and on every page of the build, at 1280 and at 420 px wide, that

* no display equation and no table is wider than the text column unless it sits in a scroll container
  that reaches all of it (nothing cut off on the left);
* every image of the page body is a numbered figure with a caption;
* MathJax left no raw TeX in the body or the sidebar (delimiters or commands outside code);
* the landing page shows a figure;
* every notebook page ends with its run time and a link to download the notebook;
* every table has row labels (a header cell or a word, not a number, first in each body row);
* no table header (column or row label) shows a method or dataset key (``tac-star``, ``twin-cifar10``): readers
  see display names;
* every figure's smallest text renders at 9 px or more at 1280 px, and no legend, title or axis label of a figure
  shows a method or dataset key (both read from what :func:`laicpkg.book.figures.figure_png` writes into the
  PNG: the smallest text in pixels at the PNG's own size, and the figure's texts);
* no visible code cell imports the reference checks (``laicpkg.book.checks``);

and on the files of the build that

* every bibliography entry carries a DOI, an arXiv id or a URL;
* no downloadable notebook holds an absolute path of the machine that built it;

and, with ``--contact-sheet DIR``, that ``laic cluster``'s contact sheet ``DIR/index.html`` loads with every
thumbnail (screenshot ``DIR/contact-sheet.png``); it writes ``browser-check.png`` (the landing page), ``browser-check-results.png`` (the results page),
``browser-check-420.png`` (the landing page at 420 px) and ``browser-check.json`` (what was measured) into
the build folder. Exit status
1 with one line per failure when anything is wrong.
"""
from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

PAGES = ["index.html", "book/results/summary.html", "notebooks/02_eq6_derivation.html",
         "notebooks/03_theorem2_limits.html"]
MATH_PAGES = {"notebooks/02_eq6_derivation.html", "notebooks/03_theorem2_limits.html", "index.html"}

_JS_STATE = """
const imgs = Array.from(document.images);
return {
  title: document.title,
  mathjax_loaded: typeof window.MathJax !== 'undefined' && !!window.MathJax.startup,
  mjx: document.querySelectorAll('mjx-container').length,
  mjx_errors: document.querySelectorAll('mjx-merror').length,
  raw_tex: document.querySelectorAll('.math:not(:has(mjx-container))').length,
  images: imgs.length,
  broken_images: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src')),
  nav_links: document.querySelectorAll('nav a.reference.internal, .bd-sidebar a').length,
  links: Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
};
"""


#: Widths at which every page is laid out and measured (a laptop and a phone).
WIDTHS = (1280, 420)

_JS_LAYOUT = r"""
const col = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
const colBox = col.getBoundingClientRect();
const problems = [];
function scrollBox(el) {
  for (let a = el; a && a !== col.parentElement; a = a.parentElement) {
    const cs = getComputedStyle(a);
    if ((cs.overflowX === 'auto' || cs.overflowX === 'scroll') && a.getBoundingClientRect().width <= colBox.width + 2)
      return a;
  }
  return null;
}
for (const el of document.querySelectorAll('mjx-container[display="true"], table')) {
  if (el.closest('.bd-sidebar-primary, .bd-sidebar-secondary, nav')) continue;
  const inner = el.tagName.toLowerCase() === 'table' ? el : (el.querySelector('mjx-math') || el);
  const box = inner.getBoundingClientRect();
  if (box.width === 0) continue;
  const what = el.tagName.toLowerCase() === 'table' ? 'table' : 'display equation';
  const holder = scrollBox(el);
  const frame = holder ? holder.getBoundingClientRect() : colBox;
  if (box.left < frame.left - 2) { problems.push(`${what} cut off on the left (${Math.round(frame.left - box.left)} px)`); continue; }
  if (box.width > colBox.width + 2 && !holder)
    problems.push(`${what} ${Math.round(box.width)} px wide in a ${Math.round(colBox.width)} px column, no scroll box`);
}
const body = col.cloneNode(true);
for (const x of body.querySelectorAll('pre, code, mjx-container, script, style, .highlight')) x.remove();
const side = document.querySelector('.bd-sidebar-primary');
const sideText = side ? side.innerText : '';
const imgs = Array.from(col.querySelectorAll('img')).filter(i => !i.closest('.bd-sidebar-primary, header, .navbar-brand'));
return {
  problems: problems,
  body_text: body.innerText,
  side_text: sideText,
  images: imgs.length,
  uncaptioned: imgs.filter(i => { const f = i.closest('figure'); return !(f && f.querySelector('figcaption')); })
                   .map(i => i.getAttribute('src')),
  figures: col.querySelectorAll('figure figcaption').length,
  download: !!document.querySelector('.laic-runtime a[download]'),
  tables: Array.from(col.querySelectorAll('table')).filter(t => !t.closest('.bd-sidebar-primary, nav, .citation'))
    .map(t => {
      const rows = Array.from(t.querySelectorAll('tbody tr'));
      const label = r => { const c = r.cells[0]; if (!c) return false; if (c.tagName === 'TH') return true;
                           const x = c.textContent.trim(); return x !== '' && !/^[-+−–]?[\d.,%\s±()−+]*$/.test(x); };
      return {headers: Array.from(t.querySelectorAll('th')).map(h => h.textContent.trim()),
              rows: rows.length, labelled: rows.filter(label).length,
              caption: (t.querySelector('caption') || {innerText: ''}).innerText.trim()};
    }),
  figure_sizes: imgs.map(i => ({src: i.getAttribute('src'), width: i.getBoundingClientRect().width,
                                natural: i.naturalWidth})),
  visible_code: Array.from(col.querySelectorAll('.cell_input')).filter(c => c.getClientRects().length > 0)
    .map(c => c.innerText),
};
"""

#: TeX that MathJax should have typeset: delimiters and common commands, outside code.
RAW_TEX = r"(\\\(|\\\)|\\\[|\\\]|\$\$|\\(frac|mathbf|tilde|sum|tau|kappa|lVert|operatorname|begin)\b)"


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_bin = shutil.which("chromedriver")
    if not browser or not driver_bin:
        raise SystemExit("browser check: chromium and chromedriver are needed "
                         "(Debian: apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1400,1000", "--allow-file-access-from-files"):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service(driver_bin), options=opts)


def _wait_for_mathjax(drv, timeout: float = 20.0) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, timeout).until(lambda d: d.execute_script(
        "return document.readyState === 'complete' && (typeof MathJax === 'undefined' || "
        "(MathJax.startup && MathJax.startup.promise && (MathJax.startup.document.state() >= 200 ||"
        " document.querySelectorAll('mjx-container').length > 0 || document.querySelectorAll('.math').length == 0)))"))
    # Let the typesetting promise settle.
    drv.execute_async_script("const done = arguments[0]; if (window.MathJax && MathJax.startup && "
                             "MathJax.startup.promise) { MathJax.startup.promise.then(() => done(true)); } "
                             "else { done(false); }")


def check_links(root: Path) -> list[str]:
    """Every internal href of every built page points at an existing file."""
    from html.parser import HTMLParser

    class Links(HTMLParser):
        def __init__(self):
            super().__init__()
            self.hrefs = []

        def handle_starttag(self, tag, attrs):
            if tag in ("a", "link", "img", "script"):
                for k, v in attrs:
                    if k in ("href", "src") and v:
                        self.hrefs.append(v)

    problems = []
    for page in sorted(root.rglob("*.html")):
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        for href in parser.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("#", "mailto:", "data:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.exists():
                problems.append(f"{page.relative_to(root)}: broken internal link {href}")
    return problems


def check_contact_sheet(drv, folder: Path) -> tuple[list[str], dict]:
    """``laic cluster``'s contact sheet: it loads, has a section per cluster, and every thumbnail loaded."""
    page = folder / "index.html"
    if not page.is_file():
        return [f"contact sheet: {page} missing"], {}
    drv.get(page.as_uri())
    drv.execute_script("window.scrollTo(0, document.body.scrollHeight);")  # lazy images load on the way down
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(drv, 20).until(lambda d: d.execute_script(
        "return Array.from(document.images).every(i => i.complete);"))
    state = drv.execute_script("""
const imgs = Array.from(document.images);
return {sections: document.querySelectorAll('section').length, images: imgs.length,
        broken_images: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.getAttribute('src'))};""")
    drv.execute_script("window.scrollTo(0, 0);")
    drv.save_screenshot(str(folder / "contact-sheet.png"))
    failures = []
    if not state["sections"] or not state["images"]:
        failures.append(f"contact sheet: {state['sections']} sections, {state['images']} thumbnails")
    if state["broken_images"]:
        failures.append(f"contact sheet: {len(state['broken_images'])} thumbnails did not load "
                        f"(first: {state['broken_images'][0]})")
    return failures, state


#: Text of the test machinery that must never reach a reader's page (markers, check lines).
PLUMBING = ("NBVAL", "numbers agree with the committed reference", "means agree with the committed reference",
            "LAIC_WRITE_REFERENCE")


def landing(root: Path) -> str:
    """The landing page of a build: ``index.html``, or the page it redirects to (Jupyter Book writes a
    redirect to the root document when that is not at the top)."""
    import re

    text = (root / "index.html").read_text(encoding="utf-8")
    m = re.search(r'http-equiv="Refresh" content="0; url=([^"]+)"', text)
    return m.group(1) if m else "index.html"


def _book_pages(root: Path) -> list[Path]:
    """The reader's pages of a build (not the search, index, redirect or source pages)."""
    skip = {"search.html", "genindex.html", "py-modindex.html"}
    first = landing(root) if (root / "index.html").is_file() else "index.html"
    return [p for p in sorted(root.rglob("*.html"))
            if "_static" not in p.parts and "_sources" not in p.parts and "_images" not in p.parts
            and p.name not in skip and not (p.name == "index.html" and p.parent == root and first != "index.html")]


def check_plumbing(root: Path) -> list[str]:
    """No built page shows the test machinery's text (nbval markers, the reference checks' lines) or a NaN
    where a value is missing."""
    import re

    problems = []
    for page in _book_pages(root):
        text = re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))
        for needle in PLUMBING:
            if needle in text:
                problems.append(f"{page.relative_to(root)}: shows test machinery ({needle!r})")
        nans = len(re.findall(r"\bNaN\b", text))
        if nans:
            problems.append(f"{page.relative_to(root)}: shows NaN {nans} time(s) where a value is missing")
    return problems


#: Words about how the project is run, which a reader's page never needs.
PROCESS = (r"\bthe issue\b", r"\bthis issue\b", r"\bsession\b", r"\bearlier versions?\b", r"\bprevious versions?\b",
           r"\bour first runs\b", r"\bbefore it was added\b", r"\bTODO\b", r"\bFIXME\b")


def check_process_words(root: Path) -> list[str]:
    """No page's text speaks about the project's process (issues, sessions, earlier versions of the page)."""
    import re

    problems = []
    for page in _book_pages(root):
        text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page.read_text(encoding="utf-8"),
                                              flags=re.S))
        for pattern in PROCESS:
            m = re.search(pattern, text, re.I)
            if m:
                problems.append(f"{page.relative_to(root)}: speaks about the project's process ({m.group(0)!r})")
    return problems


def check_titles(root: Path) -> list[str]:
    """No two pages share a title (the sidebar would show the same entry twice)."""
    import html
    import re

    seen = {}
    for page in _book_pages(root):
        m = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8"), re.S)
        title = html.unescape(m.group(1)).strip() if m else ""
        seen.setdefault(title, []).append(str(page.relative_to(root)))
    return [f"{len(v)} pages share the title {k!r}: {', '.join(v[:3])}" for k, v in seen.items() if len(v) > 1]


#: Smallest text a figure may show, in CSS pixels at 1280 px.
MIN_FIGURE_TEXT_PX = 9.0


def reader_keys() -> set[str]:
    """The method and dataset keys of the package (what a reader must never see as a label)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from laicpkg.cli_catalog import load_catalog

    catalog = load_catalog()
    return {m["name"] for m in catalog["methods"]} | {d["name"] for d in catalog["datasets"]}


def keys_in(text: str, keys) -> list[str]:
    """The keys that ``text`` shows as whole tokens (case-sensitive: "TAC" is a name, "tac" a key)."""
    import re

    return sorted(k for k in keys if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text))


def table_problems(tables, keys) -> list[str]:
    """Tables without row labels, and table headers that show a method or dataset key."""
    out = []
    for i, t in enumerate(tables, 1):
        if t["rows"] >= 2 and t["labelled"] < t["rows"]:
            out.append(f"table {i} has no row labels ({t['rows'] - t['labelled']} of {t['rows']} rows start with "
                       "a number)")
        shown = sorted({k for h in t["headers"] for k in keys_in(h, keys)})
        if shown:
            out.append(f"table {i} shows key(s) {', '.join(shown)} in its header")
    return out


def png_labels(path: Path) -> dict | None:
    """What :func:`laicpkg.book.figures.figure_png` wrote into a PNG: ``min_text_px`` (smallest text, pixels at the
    PNG's own size) and ``texts`` (titles, labels, legend entries); None when the PNG carries neither."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            info = dict(getattr(im, "text", {}) or {})
    except OSError:
        return None
    if "laic:min-text-px" not in info:
        return None
    return {"min_text_px": float(info["laic:min-text-px"]), "texts": json.loads(info.get("laic:texts", "[]"))}


def figure_problems(sizes, page: Path, keys, min_px: float = MIN_FIGURE_TEXT_PX) -> list[str]:
    """Figures whose smallest text renders below ``min_px`` at their shown width, or that show a key."""
    out = []
    for f in sizes:
        src = f["src"] or ""
        if not src.lower().endswith(".png") or src.startswith("data:"):
            continue
        meta = png_labels((page.parent / unquote(src)).resolve())
        if meta is None:
            out.append(f"figure {src} does not say its text size (drawn outside laicpkg.book.figures)")
            continue
        scale = f["width"] / f["natural"] if f["natural"] else 1.0
        shown = meta["min_text_px"] * scale
        if shown < min_px:
            out.append(f"figure {src}: smallest text {shown:.1f} px at 1280 px (at least {min_px:g})")
        named = sorted({k for t in meta["texts"] for k in keys_in(t, keys)})
        if named:
            out.append(f"figure {src} shows key(s) {', '.join(named)} in a legend, title or label")
    return out


def code_problems(visible_code) -> list[str]:
    """Visible code cells that import the reference checks (they belong in hidden cells)."""
    return [f"a visible code cell imports the reference checks ({line.strip()[:70]!r})"
            for c in visible_code for line in c.splitlines() if "book.checks" in line]


def check_bibliography(root: Path) -> list[str]:
    """Every entry of the bibliography page links its work: a DOI, an arXiv id or a URL."""
    import html
    import re

    problems = []
    for page in _book_pages(root):
        text = page.read_text(encoding="utf-8")
        for m in re.finditer(r'<div class="citation"[^>]*>(.*?)</div>', text, re.S):
            entry = m.group(1)
            if not re.search(r'href="https?://|\bdoi\b|arXiv', entry, re.I):
                label = html.unescape(re.sub(r"<[^>]+>", " ", entry)).split()
                problems.append(f"{page.relative_to(root)}: bibliography entry without DOI, arXiv id or URL "
                                f"({' '.join(label[:8])} …)")
    return problems


#: An absolute path of a build machine (POSIX home, temporary or system folders; a Windows drive).
ABSOLUTE_PATH = r'(?<![\w.:/~-])(/(?:home|tmp|work|root|Users|var|private|mnt|scratch)/[^\s"\\]*|[A-Z]:\\\\[^\s"]*)'


def check_downloads(root: Path) -> list[str]:
    """No notebook offered for download (the files the pages' download links point at) names an absolute path."""
    import re

    problems, seen = [], set()
    for page in _book_pages(root):
        for href in re.findall(r'<a class="reference download" href="([^"]+)"', page.read_text(encoding="utf-8")):
            target = (page.parent / unquote(href)).resolve()
            if target in seen or not target.is_file():
                continue
            seen.add(target)
            m = re.search(ABSOLUTE_PATH, target.read_text(encoding="utf-8", errors="replace"))
            if m:
                problems.append(f"{target.relative_to(root)}: downloadable notebook holds the absolute path "
                                f"{m.group(1)[:60]!r}")
    return problems


def check_layout(drv, root: Path, pages, widths=WIDTHS) -> tuple[list[str], dict]:
    """At each width, every page: display math and tables fit their column or scroll; every body image is a
    captioned figure; no raw TeX in the body or the sidebar; the landing page has a figure."""
    import re

    failures, report = [], {}
    keys = reader_keys()
    for width in widths:
        drv.set_window_size(width, 1000)
        for page in pages:
            rel = str(page.relative_to(root))
            drv.get(page.as_uri())
            _wait_for_mathjax(drv)
            state = drv.execute_script(_JS_LAYOUT)
            report[f"{rel}@{width}"] = {k: v for k, v in state.items()
                                        if k not in ("body_text", "side_text", "visible_code")}
            for line in dict.fromkeys(state["problems"]):
                failures.append(f"{rel} at {width} px: {line}")
            if width == widths[0]:
                for line in (table_problems(state["tables"], keys) + figure_problems(state["figure_sizes"], page, keys)
                             + code_problems(state["visible_code"])):
                    failures.append(f"{rel}: {line}")
                for src in state["uncaptioned"]:
                    failures.append(f"{rel}: figure without a caption ({src})")
                for where, text in (("body", state["body_text"]), ("sidebar", state["side_text"])):
                    raw = re.findall(RAW_TEX, text)
                    if raw:
                        failures.append(f"{rel}: raw TeX in the {where} ({len(raw)}×, first {raw[0][0]!r})")
                if rel == landing(root) and state["figures"] == 0:
                    failures.append(f"{rel}: the landing page has no figure")
                if rel.startswith(("notebooks/", "book/results/datasets/")) \
                        and not state["download"]:
                    failures.append(f"{rel}: no run time and download link at the end of the page")
    drv.set_window_size(1400, 1000)
    return failures, report


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    sheet = None
    if "--contact-sheet" in argv:
        i = argv.index("--contact-sheet")
        sheet = Path(argv[i + 1]).resolve()
        del argv[i:i + 2]
    root = Path(argv[0] if argv else "_build/html").resolve()
    if not (root / "index.html").is_file():
        print(f"browser check: no built book at {root} (run `make book` or `jupyter-book build .`)")
        return 1
    pages = [landing(root) if p == "index.html" else p for p in PAGES]
    MATH_PAGES.add(landing(root))
    datasets = sorted((root / "book/results/datasets").glob("*.html"))
    if datasets:
        pages.append(str(datasets[0].relative_to(root)))
    failures, report = [], {}
    drv = _driver()
    try:
        for rel in pages:
            path = root / rel
            if not path.is_file():
                failures.append(f"{rel}: page missing from the build")
                continue
            drv.get(path.as_uri())
            _wait_for_mathjax(drv)
            state = drv.execute_script(_JS_STATE)
            state.pop("links")
            report[rel] = state
            if not state["title"]:
                failures.append(f"{rel}: page has no title")
            if state["nav_links"] == 0:
                failures.append(f"{rel}: no navigation links rendered")
            if rel in MATH_PAGES:
                if not state["mathjax_loaded"]:
                    failures.append(f"{rel}: MathJax did not load")
                if state["mjx"] == 0:
                    failures.append(f"{rel}: no equation was rendered by MathJax")
            if state["mjx_errors"]:
                failures.append(f"{rel}: {state['mjx_errors']} MathJax error(s)")
            if state["broken_images"]:
                failures.append(f"{rel}: images did not load: {state['broken_images']}")
            if rel.startswith("book/results") and state["images"] == 0:
                failures.append(f"{rel}: results page without figures")
        layout_failures, report["layout"] = check_layout(drv, root, _book_pages(root))
        failures += layout_failures
        drv.set_window_size(1280, 1000)
        for rel, shot in ((landing(root), "browser-check.png"), ("book/results/summary.html", "browser-check-results.png")):
            if (root / rel).is_file():
                drv.get((root / rel).as_uri())
                _wait_for_mathjax(drv)
                drv.save_screenshot(str(root / shot))
        drv.set_window_size(420, 900)
        drv.get((root / landing(root)).as_uri())
        _wait_for_mathjax(drv)
        drv.save_screenshot(str(root / "browser-check-420.png"))
        drv.set_window_size(1400, 1000)
        if sheet is not None:
            sheet_failures, report["contact-sheet"] = check_contact_sheet(drv, sheet)
            failures += sheet_failures
    finally:
        drv.quit()
    failures += (check_links(root) + check_plumbing(root) + check_titles(root) + check_process_words(root)
                 + check_bibliography(root) + check_downloads(root))
    report["failures"] = failures
    (root / "browser-check.json").write_text(json.dumps(report, indent=2) + "\n")
    for line in failures:
        print(f"browser check: {line}")
    n_math = sum(v.get("mjx", 0) for k, v in report.items() if isinstance(v, dict) and k != "layout")
    n_img = sum(v.get("images", 0) for k, v in report.items()
                if isinstance(v, dict) and k not in ("contact-sheet", "layout"))
    sheet_line = (f", contact sheet {report['contact-sheet'].get('images', 0)} thumbnails"
                  if sheet is not None and report.get("contact-sheet") else "")
    print(f"browser check: {len(pages)} pages in depth and {len(_book_pages(root))} laid out at "
          f"{' and '.join(map(str, WIDTHS))} px, {n_math} rendered equations, {n_img} images{sheet_line}, "
          f"{'FAILED' if failures else 'ok'}; screenshot {root / 'browser-check.png'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
