"""Sphinx extension of the LaIC book: the end of every executed notebook page says how long the notebook ran
and offers it for download (as scikit-learn's gallery does), as ``.ipynb`` and as a jupytext percent script.

The run time is read from the notebook itself: the execution timestamps that Jupyter records in each code
cell's metadata (first cell started to last cell finished). Pages without them (markdown pages, notebooks
never executed) get only the download link.
"""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from docutils import nodes


def _times(cell):
    ex = cell.get("metadata", {}).get("execution", {})
    start, end = ex.get("iopub.execute_input"), ex.get("iopub.status.idle") or ex.get("shell.execute_reply")
    return start, end


def run_time(path: Path) -> tuple[float, str] | None:
    """Seconds from the first code cell's start to the last one's end, and the day it ran; None if unknown."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    stamps = [_times(c) for c in nb.get("cells", []) if c.get("cell_type") == "code"]
    starts = [s for s, _ in stamps if s]
    ends = [e for _, e in stamps if e]
    if not starts or not ends:
        return None
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    first, last = min(map(parse, starts)), max(map(parse, ends))
    return (last - first).total_seconds(), first.date().isoformat()


def _describe(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def write_script(source: Path, target: Path) -> Path | None:
    """The notebook ``source`` as a jupytext percent script at ``target`` (without outputs); None if jupytext is
    missing."""
    try:
        import jupytext
    except ImportError:  # pragma: no cover - jupytext ships with the book extras
        return None
    nb = jupytext.read(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(jupytext.writes(nb, fmt="py:percent"), encoding="utf-8")
    return target


def add_footer(app, doctree, docname):
    source = Path(app.env.doc2path(docname))
    if source.suffix != ".ipynb":
        return
    up = "../" * docname.count("/")
    link = f"{up}_sources/{docname}.ipynb"
    timing = run_time(source)
    when = (f"This page's notebook ran in {_describe(timing[0])} (executed {timing[1]}). "
            if timing else "")
    script = write_script(source, Path(app.builder.outdir) / "_sources" / f"{docname}.py")
    py = (f' · <a class="reference download" href="{up}_sources/{docname}.py" download>as a script (.py)</a>'
          if script else "")
    html = (f'<p class="laic-runtime">{when}<a class="reference download" href="{link}" download>'
            f"Download this notebook (.ipynb)</a>{py}</p>")
    doctree.append(nodes.raw("", html, format="html"))


def setup(app):
    app.connect("doctree-resolved", add_footer)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
