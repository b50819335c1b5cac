"""How the book's figures reach a reader: readers' names, text no smaller than 9 pt, twice the screen resolution.

Explained in: every chapter (:func:`laicpkg.book.display.for_readers` registers :func:`figure_png` as the
notebook's display of matplotlib figures).

Each figure is written as a PNG at :data:`DPI` dots per inch (a 6.4-inch figure is 1,280 pixels wide and the
page shows it at about 700: twice the screen's resolution). Before it is written, every title, axis label, tick
label and legend entry passes through :func:`~laicpkg.book.names.reader_label` (``tac-star`` → "TAC*") and
every text smaller than :data:`MIN_POINTS` is raised to it (more for a figure wider than the page's column, which
the page shrinks: :func:`smallest_points`). The PNG carries two text chunks that the book's
browser check reads: ``laic:min-text-px``, the smallest text's height in pixels at the PNG's own size, and
``laic:texts``, the figure's words (JSON).
"""
from __future__ import annotations

import io
import json

from .names import reader_label
from ..utils.atomic import atomic_open

__all__ = ["DPI", "MIN_POINTS", "MIN_PIXELS", "COLUMN_PX", "figure_png", "save_figure", "show_figures", "figure_texts",
           "smallest_points"]

#: Resolution of the book's PNG figures.
DPI = 200
#: Smallest font size of any text in a figure, in points.
MIN_POINTS = 9.0
#: Smallest text a reader sees, in CSS pixels, and the width of the book's text column in a 1,280-pixel window:
#: a figure wider than the column is shown shrunk to it, so its text must be larger than :data:`MIN_POINTS`.
MIN_PIXELS, COLUMN_PX = 9.0, 660


def _texts(fig):
    """Every visible text artist of ``fig`` with words in it (titles, labels, tick labels, legends, annotations)."""
    from matplotlib.text import Text

    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def figure_texts(fig) -> list[str]:
    """The words a reader sees in ``fig``, in drawing order."""
    return [t.get_text() for t in _texts(fig)]


def _width_inches(fig) -> float:
    """The width of ``fig`` as saved with ``bbox_inches="tight"`` (its tight box and the padding on both sides)."""
    import matplotlib

    return fig.get_tightbbox(fig.canvas.get_renderer()).width + 2 * matplotlib.rcParams["savefig.pad_inches"]


def smallest_points(width_inches: float) -> float:
    """The smallest font size (pt) that a figure ``width_inches`` wide may use: :data:`MIN_POINTS`, or more when the
    page shrinks the figure to the :data:`COLUMN_PX` column, so that its text is :data:`MIN_PIXELS` or larger."""
    return max(MIN_POINTS, 1.02 * MIN_PIXELS * 72 * width_inches / COLUMN_PX)  # 2 % to spare


def _for_readers(fig) -> float:
    """Relabel ``fig`` with readers' names and raise small text to :func:`smallest_points`; its smallest size
    (pt). Three times: larger text widens the figure a little."""
    for t in _texts(fig):
        label = reader_label(t.get_text())
        if label != t.get_text():
            t.set_text(label)
    for _ in range(3):
        floor = smallest_points(_width_inches(fig))
        for t in _texts(fig):
            if t.get_fontsize() < floor:
                t.set_fontsize(floor)
    return min((t.get_fontsize() for t in _texts(fig)), default=MIN_POINTS)


def figure_png(fig, dpi: int = DPI) -> bytes:
    """``fig`` as PNG bytes for the book: readers' names, text ≥ :data:`MIN_POINTS`, ``dpi`` dots per inch, and
    the ``laic:min-text-px`` and ``laic:texts`` chunks (see the module's docstring)."""
    points = _for_readers(fig)
    meta = {"Software": None, "laic:min-text-px": f"{points * dpi / 72:.2f}",
            "laic:texts": json.dumps(figure_texts(fig), ensure_ascii=True)}
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata=meta)
    return buf.getvalue()


def save_figure(fig, path, dpi: int = DPI) -> None:
    """Write :func:`figure_png` of ``fig`` to ``path`` atomically (a page's figure file)."""
    data = figure_png(fig, dpi)
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def show_figures(ip) -> None:
    """Make :func:`figure_png` the PNG display of matplotlib figures in the IPython shell ``ip``.

    A first figure is made and closed before: matplotlib loads its backend lazily, and the inline backend sets
    its own PNG formatter when it loads; this one replaces it."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    plt.close(plt.figure())  # loads the backend now (the inline backend registers its formatter then)
    ip.display_formatter.formatters["image/png"].for_type(Figure, figure_png)
