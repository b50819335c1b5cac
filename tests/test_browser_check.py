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
