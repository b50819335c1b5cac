"""How the book's tables look to a reader: every row shown, "—" for a missing value, wide tables scrollable,
long ones collapsible.

Explained in: every chapter (each calls :func:`for_readers` in a hidden first cell).

Pandas truncates long frames to "…" and prints ``NaN`` for a value that does not exist (a method without
a paper row, a filter statistic of a method without a filter). :func:`for_readers` registers IPython
formatters for data frames and series that print the whole table with ``—`` in such cells, wrap the HTML
table in a horizontally scrollable box (a 44-column table never runs off the page) and fold tables of more
than :data:`FOLD_ROWS` rows into a ``<details>`` element that the reader opens. Numbers are shown as the
chapter rounded them; nothing is recomputed.
"""
from __future__ import annotations

import html

import pandas as pd

from .figures import show_figures
from .names import READER_NAMES, dataset_title, display_name, reader_label

__all__ = ["for_readers", "frame_html", "frame_text", "MISSING", "FOLD_ROWS", "display_name", "reader_label",
           "reader_frame", "READER_NAMES", "dataset_title"]

#: What a missing value reads as.
MISSING = "—"
#: Tables with more rows than this are folded (the reader opens them).
FOLD_ROWS = 25


def reader_frame(obj):
    """A frame or series with readers' names in its index and column labels (values untouched)."""
    def words(index) -> bool:
        return index.dtype == object or pd.api.types.is_string_dtype(index.dtype)

    def relabel(index):
        if isinstance(index, pd.MultiIndex):
            return index.set_levels([lvl.map(reader_label) if words(lvl) else lvl for lvl in index.levels],
                                    verify_integrity=False).set_names([reader_label(n) for n in index.names])
        out = index.map(reader_label) if words(index) else index
        return out.set_names(reader_label(index.name)) if hasattr(out, "set_names") else out

    obj = obj.copy()
    obj.index = relabel(obj.index)
    if isinstance(obj, pd.DataFrame):
        obj.columns = relabel(obj.columns)
    else:
        obj.name = reader_label(obj.name)
    return obj


def frame_text(obj) -> str:
    """Plain-text rendering of a frame or series: all rows and columns, :data:`MISSING` for NaN."""
    obj = reader_frame(obj)
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", 250):
        return obj.to_string(na_rep=MISSING)


def frame_html(obj) -> str:
    """HTML rendering: the whole table, :data:`MISSING` for NaN, in a scrollable box; folded when long."""
    obj = reader_frame(obj)
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    with pd.option_context("display.max_rows", None, "display.max_columns", None):
        table = obj.to_html(na_rep=MISSING, border=0, classes="dataframe laic-table", max_rows=None,
                            max_cols=None)
    box = f'<div class="laic-table-box" style="overflow-x:auto; max-width:100%">{table}</div>'
    if len(obj) > FOLD_ROWS:
        label = html.escape(f"the whole table: {len(obj)} rows × {obj.shape[1]} columns")
        return f"<details class=\"laic-fold\"><summary>{label}</summary>{box}</details>"
    return box


def for_readers() -> None:
    """Register :func:`frame_text` and :func:`frame_html` as the notebook's display of frames and series, and
    :func:`laicpkg.book.figures.figure_png` as its display of matplotlib figures.

    Outside IPython (a script, the test suite) it only lifts pandas' truncation."""
    pd.set_option("display.max_rows", None)
    pd.set_option("display.max_columns", None)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the notebook extras
        return
    ip = get_ipython()
    if ip is None:
        return
    formatters = ip.display_formatter.formatters
    for kind in (pd.DataFrame, pd.Series):
        formatters["text/plain"].for_type(kind, lambda obj, p, cycle: p.text(frame_text(obj)))
        formatters["text/html"].for_type(kind, frame_html)
    show_figures(ip)
