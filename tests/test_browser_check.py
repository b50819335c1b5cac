"""The link checker of scripts/browser_check.py (the browser part runs in `make browser-check`)."""
import importlib.util
from pathlib import Path

SPEC = importlib.util.spec_from_file_location("browser_check", Path(__file__).parents[1] / "scripts/browser_check.py")
browser_check = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(browser_check)


def test_check_links_finds_broken_internal_links(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a/page.html").write_text('<a href="../index.html#x">ok</a><img src="fig.png">'
                                          '<a href="https://example.org/missing">external</a><a href="#top">anchor</a>')
    (tmp_path / "index.html").write_text('<a href="a/page.html">ok</a><a href="gone.html">broken</a>')
    problems = browser_check.check_links(tmp_path)
    assert problems == ["a/page.html: broken internal link fig.png", "index.html: broken internal link gone.html"]
    (tmp_path / "a/fig.png").write_bytes(b"")
    (tmp_path / "index.html").write_text('<a href="a/page.html">ok</a>')
    assert browser_check.check_links(tmp_path) == []


def test_missing_build_is_reported(tmp_path, capsys):
    assert browser_check.main([str(tmp_path)]) == 1
    assert "no built book" in capsys.readouterr().out


def test_check_plumbing_finds_test_machinery_in_a_page(tmp_path):
    (tmp_path / "index.html").write_text("<p>ACC 90.1</p>")
    assert browser_check.check_plumbing(tmp_path) == []
    (tmp_path / "page.html").write_text("<pre># NBVAL_CHECK_OUTPUT\nx = 1</pre>")
    (tmp_path / "two.html").write_text("<p>baselines: 6 numbers agree with the committed reference</p>")
    assert [p.split(":")[0] for p in browser_check.check_plumbing(tmp_path)] == ["page.html", "two.html"]


def test_check_plumbing_finds_nan_and_check_titles_finds_duplicates(tmp_path):
    (tmp_path / "index.html").write_text("<title>Book</title><p>ACC 90.1 — Nanjing</p>")
    (tmp_path / "a.html").write_text("<title>Page A</title><td>NaN</td><td>NaN</td>")
    (tmp_path / "b.html").write_text("<title>Page A</title><p>fine</p>")
    assert browser_check.check_plumbing(tmp_path) == ["a.html: shows NaN 2 time(s) where a value is missing"]
    assert browser_check.check_titles(tmp_path) == ["2 pages share the title 'Page A': a.html, b.html"]
    (tmp_path / "b.html").write_text("<title>Page B</title>")
    assert browser_check.check_titles(tmp_path) == []


def test_raw_tex_pattern():
    import re

    for raw in (r"\(\kappa\)", r"the \frac{a}{b}", "$$x$$", r"\[ x \]", r"\mathbf{e}"):
        assert re.search(browser_check.RAW_TEX, raw), raw
    for fine in ("κ = 0.006", "a (b) [c]", "cost $5", "C:/path"):
        assert not re.search(browser_check.RAW_TEX, fine), fine


def test_check_process_words(tmp_path):
    (tmp_path / "index.html").write_text("<title>A</title><p>The ordering holds on one twin.</p>")
    assert browser_check.check_process_words(tmp_path) == []
    (tmp_path / "b.html").write_text("<title>B</title><p>a reading which the issue rules out</p>")
    (tmp_path / "c.html").write_text("<title>C</title><p>Earlier versions of this page showed more.</p>")
    found = browser_check.check_process_words(tmp_path)
    assert [f.split(":")[0] for f in found] == ["b.html", "c.html"]


KEYS = {"tac", "tac-star", "gradnorm", "kmeans", "twin-cifar10", "cifar10"}


def test_table_problems_finds_unlabelled_rows_and_keys_in_headers():
    labelled = {"headers": ["method", "ACC"], "rows": 3, "labelled": 3, "caption": ""}
    assert browser_check.table_problems([labelled], KEYS) == []
    bare = {"headers": ["ACC", "std", "seeds"], "rows": 28, "labelled": 0, "caption": ""}
    keyed = {"headers": ["", "tac-star", "TAC*", "twin-cifar10 (twin)", "Stage 2"], "rows": 2, "labelled": 2,
             "caption": ""}
    found = browser_check.table_problems([bare, keyed], KEYS)
    assert found == ["table 1 has no row labels (28 of 28 rows start with a number)",
                     "table 2 shows key(s) tac-star, twin-cifar10 in its header"]
    # readers' names are not keys: case matters, and a key must stand as a whole token
    assert browser_check.keys_in("TAC, GradNorm, CIFAR-10, tac_top_k, gradnorm-like", KEYS) == []
    assert browser_check.keys_in("tac-star: total loss", KEYS) == ["tac-star"]


def _png(path, **text):
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    for k, v in text.items():
        info.add_text(k.replace("_", "-").replace("laic-", "laic:"), v)
    Image.new("RGB", (1000, 400), "white").save(path, pnginfo=info)


def test_figure_problems_reads_text_size_and_words_from_the_png(tmp_path):
    page = tmp_path / "page.html"
    _png(tmp_path / "good.png", laic_min_text_px="25", laic_texts='["TAC", "GradNorm"]')
    _png(tmp_path / "small.png", laic_min_text_px="12", laic_texts='["TAC"]')
    _png(tmp_path / "keyed.png", laic_min_text_px="25", laic_texts='["tac-star: total loss"]')
    _png(tmp_path / "bare.png")
    shown = lambda name: {"src": name, "width": 500.0, "natural": 1000}  # noqa: E731 - drawn at half its size
    assert browser_check.figure_problems([shown("good.png")], page, KEYS) == []
    found = browser_check.figure_problems([shown(n) for n in ("small.png", "keyed.png", "bare.png")], page, KEYS)
    assert found == ["figure small.png: smallest text 6.0 px at 1280 px (at least 9)",
                     "figure keyed.png shows key(s) tac-star in a legend, title or label",
                     "figure bare.png does not say its text size (drawn outside laicpkg.book.figures)"]


def test_figure_png_writes_what_the_check_reads(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from laicpkg.book.figures import DPI, MIN_POINTS, figure_png

    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([0, 1], [0, 1], label="tac-star")
    ax.legend(fontsize=6)
    ax.set_title("twin-cifar10")
    (tmp_path / "f.png").write_bytes(figure_png(fig))
    plt.close(fig)
    meta = browser_check.png_labels(tmp_path / "f.png")
    assert meta["min_text_px"] == round(MIN_POINTS * DPI / 72, 2)  # the 6-pt legend was raised to 9 pt
    assert "TAC*" in meta["texts"] and "CIFAR-10" in meta["texts"]
    assert browser_check.keys_in(" ".join(meta["texts"]), KEYS) == []


def test_code_problems_finds_visible_check_imports():
    assert browser_check.code_problems(["import numpy as np\nx = 1"]) == []
    found = browser_check.code_problems(["import numpy as np\nfrom laicpkg.book.checks import TOLERANCES"])
    assert found == ["a visible code cell imports the reference checks ('from laicpkg.book.checks import TOLERANCES')"]


def test_check_bibliography_wants_a_doi_an_arxiv_id_or_a_url(tmp_path):
    linked = '<div class="citation" id="a"><p>A. Author. Title. <a href="https://doi.org/10.1/x">doi</a></p></div>'
    arxiv = '<div class="citation" id="b"><p>B. Author. Title. arXiv:2401.00001.</p></div>'
    bare = '<div class="citation" id="c"><p>C. Author. A title without a link. 2020.</p></div>'
    (tmp_path / "refs.html").write_text(f"<title>R</title>{linked}{arxiv}")
    assert browser_check.check_bibliography(tmp_path) == []
    (tmp_path / "refs.html").write_text(f"<title>R</title>{linked}{bare}")
    found = browser_check.check_bibliography(tmp_path)
    assert len(found) == 1 and found[0].startswith("refs.html: bibliography entry without DOI") and "C. Author" in found[0]


def test_check_downloads_finds_absolute_paths(tmp_path):
    (tmp_path / "_sources").mkdir()
    (tmp_path / "page.html").write_text('<title>P</title><a class="reference download" href="_sources/p.ipynb" '
                                        'download>Download</a>')
    (tmp_path / "_sources/p.ipynb").write_text('{"source": ["records = \\"../records\\""]}')
    assert browser_check.check_downloads(tmp_path) == []
    (tmp_path / "_sources/p.ipynb").write_text('{"input_path": "/tmp/tmpab12/05_pipeline.ipynb"}')
    found = browser_check.check_downloads(tmp_path)
    assert found == ["_sources/p.ipynb: downloadable notebook holds the absolute path '/tmp/tmpab12/05_pipeline.ipynb'"]


def test_a_figure_wider_than_the_column_gets_larger_text(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from laicpkg.book.figures import COLUMN_PX, DPI, MIN_PIXELS, figure_png

    fig, ax = plt.subplots(figsize=(13, 3))
    ax.plot([0, 1], [0, 1])
    ax.set_title("wide", fontsize=8)
    data = figure_png(fig)
    plt.close(fig)
    (tmp_path / "w.png").write_bytes(data)
    from PIL import Image

    natural = Image.open(tmp_path / "w.png").width
    meta = browser_check.png_labels(tmp_path / "w.png")
    shown = meta["min_text_px"] * COLUMN_PX / natural  # the page shrinks it to the column
    assert natural > COLUMN_PX and MIN_PIXELS - 0.05 <= shown < MIN_PIXELS + 1.0
    assert meta["min_text_px"] > 9 * DPI / 72  # more than 9 pt
