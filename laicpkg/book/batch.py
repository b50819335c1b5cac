"""Execute the pipeline notebook once per dataset with papermill, then write the results summary page.

Explained in: README ("Where results appear").

``laic batch --datasets synthetic-cifar10,synthetic-cifar20,synthetic-dogs`` writes
``book/results/datasets/<dataset>.ipynb`` (the executed pipeline notebook), the run
records under ``book/results/records/<dataset>/`` and ``book/results/summary.md``
with one table across datasets (and the paper's numbers beside real ones). The
summary page only reads run records; it never recomputes.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

from ..utils.atomic import atomic_open
from ..features.twins import DEFAULT_TWINS
from ..utils.errors import LaicError, one_line
from ..run.experiments import COMPARISON_METHODS, load_records
from ..run.records import read_failures
from ..features.datasets import get_dataset_spec
from ..run.grid import Task, execute
from .display import reader_frame, reader_label
from .figures import save_figure
from .nouns import naming_table
from .paper import METHOD_TO_PAPER_ROW, PAPER_TABLES, headline, ordering_table, paper_cells
from .plotting import plot_paper_vs_twin_rows
from .records import comparison_table, mean_std_table

__all__ = ["run_batch", "summary_frame", "write_summary", "DEFAULT_DATASETS", "PIPELINE_NOTEBOOK", "default_out_dir"]

DEFAULT_DATASETS = DEFAULT_TWINS
#: The pipeline notebook, found through the package (a link to ``notebooks/05_pipeline.ipynb`` in a source
#: checkout; the notebook itself in an installed wheel), so ``laic batch`` runs from any folder.
PIPELINE_NOTEBOOK = Path(__file__).with_name("pipeline.ipynb")
#: The book's results folder of a source checkout (``make book`` writes the twins' pages there).
BOOK_RESULTS = Path(__file__).resolve().parents[2] / "book" / "results"


def default_out_dir(datasets) -> Path:
    """Where ``laic batch`` writes without ``--out-dir``: the book's results folder, for the synthetic datasets of
    a source checkout only. Real features' pages never go into the repository unasked."""
    real = [d for d in datasets if get_dataset_spec(d).synthetic is None]
    if real:
        raise LaicError(f"--out-dir is required for real datasets ({', '.join(real)}): the folder for their pages, "
                        "records and summary (e.g. --out-dir laic-results)")
    if not BOOK_RESULTS.parent.is_dir():
        raise LaicError("--out-dir is required (no source checkout with a book/ folder beside this package)")
    return BOOK_RESULTS


def pipeline_task(notebook: str, target: str, parameters: dict) -> dict:
    """One papermill execution of the pipeline notebook into ``target`` (written only if it succeeds)."""
    import time

    import papermill as pm

    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.stem + ".tmp.ipynb")
    t0 = time.perf_counter()
    try:
        pm.execute_notebook(notebook, str(tmp), parameters=parameters, kernel_name="python3", progress_bar=False,
                            cwd=str(Path(notebook).parent))
    except pm.PapermillExecutionError as exc:
        raise LaicError(f"the pipeline notebook failed on {parameters['dataset']} in cell {exc.exec_count}: "
                        f"{exc.ename}: {one_line(exc.evalue, limit=400)} (the executed notebook: {tmp})") from None
    except Exception as exc:  # the kernel died, a parameter is missing, …: say what, on one line
        raise LaicError(f"the pipeline notebook could not run on {parameters['dataset']}: {type(exc).__name__}: "
                        f"{one_line(str(exc), limit=400)}") from None
    _for_the_reader(tmp, parameters["dataset"])
    tmp.replace(target)
    failed = read_failures(parameters["records_dir"], [parameters["dataset"]]) if parameters.get("records_dir") else []
    if failed:  # the page shows the other methods; the batch still fails, naming these
        raise LaicError(f"{len(failed)} method(s) failed on {parameters['dataset']} (its page {target} shows the "
                        "others): " + "; ".join(f"{m}: {one_line(why, limit=200)}" for _, m, why in failed))
    return {"status": "done", "path": str(target), "seconds": time.perf_counter() - t0}


#: The pipeline notebook's first heading, which each dataset page replaces by its own.
PIPELINE_TITLE = "# The pipeline on one dataset"


def _relative_paths(nb, folder: Path, final_name: str) -> None:
    """The paths papermill wrote into a page (its injected parameters and its metadata) made relative to the page's
    ``folder``, so a downloaded page names no folder of the machine that made it. The records snapshot the page was
    checked against is named by the records folder it copied (the snapshot itself is removed after the batch)."""
    import os

    def rel(value):
        return os.path.relpath(value, folder) if isinstance(value, str) and os.path.isabs(value) else value

    meta = nb.metadata.get("papermill", {})
    params = meta.get("parameters", {})
    if params.get("reference_records") and params.get("records_dir"):
        params["reference_records"] = params["records_dir"]
    for key in list(params):
        params[key] = rel(params[key])
    for key in ("input_path", "output_path"):
        if key in meta:
            meta[key] = rel(meta[key]) if key == "input_path" else final_name
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = "# Parameters\n" + "".join(
                f"{k} = {json.dumps(v) if isinstance(v, str) else repr(v)}\n" for k, v in params.items())


def _for_the_reader(path: Path, dataset: str) -> None:
    """An executed pipeline page as the book shows it: titled by its dataset, the parameter cells (the template's
    and the one papermill injected) hidden with Jupyter Book's ``remove-cell`` tag, and every path in it relative
    to the page (:func:`_relative_paths`)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    spec = get_dataset_spec(dataset)  # a twin is titled by the real dataset it stands for
    title = f"{get_dataset_spec(spec.twin_of).title} (twin)" if spec.twin_of else spec.title
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if cell.cell_type == "markdown" and cell.source.startswith(PIPELINE_TITLE):
            cell.source = cell.source.replace(PIPELINE_TITLE, f"# {title}: the pipeline", 1)
        if ("parameters" in tags or "injected-parameters" in tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    _relative_paths(nb, path.resolve().parent, path.name.replace(".tmp.ipynb", ".ipynb"))
    nbformat.write(nb, path)


def _snapshot(records: Path, out_dir: Path) -> Path:
    """A copy of the run records as they are before a batch (empty if there are none yet), in a temporary folder
    beside them (seen by Dask workers on a shared filesystem); the pages compare their runs with it."""
    import tempfile

    out_dir.mkdir(parents=True, exist_ok=True)
    copy = Path(tempfile.mkdtemp(prefix=".reference-records-", dir=out_dir))
    if records.is_dir():
        shutil.copytree(records, copy, dirs_exist_ok=True)
    return copy


def run_batch(datasets=DEFAULT_DATASETS, *, notebook=None, out_dir=None, features=None,
              seed: int = 0, extra_parameters: dict | None = None, progress: bool | None = None,
              grid: dict | None = None, report: list | None = None, **fields) -> list[Path]:
    """Run the parametrised pipeline notebook for each dataset; returns the written notebooks and summary page.

    ``notebook``: default :data:`PIPELINE_NOTEBOOK`; ``out_dir``: default :func:`default_out_dir`; ``fields``:
    ``model``, ``pretrained``, ``nouns``, ``prompts`` of the feature cache (None: the folder's only one).
    ``grid``: :func:`laicpkg.run.grid.execute`'s options to run the executions on Dask workers; ``report`` (a
    list) receives the :class:`~laicpkg.run.grid.GridReport`. A method that fails on a dataset is shown on its
    page and in the summary while the other methods' results stay; that dataset's task then fails, naming it.
    The summary page covers the records present.
    """
    notebook = Path(notebook) if notebook is not None else PIPELINE_NOTEBOOK
    if not notebook.is_file():
        raise LaicError(f"pipeline notebook {notebook} not found")
    for ds in datasets:
        get_dataset_spec(ds)  # unknown names fail before anything runs
    out_dir = Path(out_dir if out_dir is not None else default_out_dir(datasets)).resolve()
    records = out_dir / "records"
    # the pages check their runs against the records as they were before this batch, never against themselves
    reference = _snapshot(records, out_dir)
    tasks = []
    for ds in datasets:
        params = {"dataset": ds, "features": str(Path(features).resolve()) if features else None,
                  "records_dir": str(records), "reference_records": str(reference),
                  "spread_records": str(out_dir / "comparison" / "records"), "seed": seed,
                  **{k: v for k, v in fields.items() if v is not None}, **(extra_parameters or {})}
        tasks.append(Task(ds, pipeline_task, {"notebook": str(notebook.resolve()),
                                              "target": str(out_dir / "datasets" / f"{ds}.ipynb"),
                                              "parameters": params}))
    try:
        result = execute(tasks, progress=progress is not False, desc="papermill", **(grid or {}))
    finally:
        shutil.rmtree(reference, ignore_errors=True)
    if report is not None:
        report.append(result)
    elif result.failed:
        raise LaicError("; ".join(f"{name}: {why}" for name, why in result.failed))
    written = [Path(t.kwargs["target"]) for t in tasks if t.name in result.done]
    if result.done or any(records.rglob("*.json")):  # nothing ran and nothing was there: the failures say why
        written.append(write_summary(records, out_dir / "summary.md"))
    return written


def summary_frame(records) -> pd.DataFrame:
    """One row per (dataset, method) from run records, with the paper's numbers where it has them."""
    rows = []
    for r in records:
        row = {"dataset": r["dataset"], "method": r["method"],
               **{k: round(r["metrics"][k], 1) for k in ("ACC", "NMI", "ARI")}}
        f = r.get("filter", {})
        row["precision"] = round(f["precision"], 1) if "precision" in f else None
        row["recall"] = round(f["recall"], 1) if "recall" in f else None
        paper = PAPER_TABLES.get(r["dataset"], {}).get(METHOD_TO_PAPER_ROW.get(r["method"], ""))
        row["paper ACC/NMI/ARI"] = f"{paper[1]} / {paper[0]} / {paper[2]}" if paper else None
        rows.append(row)
    return pd.DataFrame(rows)


def _markdown(df: pd.DataFrame) -> str:
    """A markdown table: one decimal, "—" for a missing value, readers' names for method and dataset keys."""
    d = reader_frame(df.round(1))
    d = d.apply(lambda c: c.map(reader_label) if c.dtype == object or pd.api.types.is_string_dtype(c.dtype) else c)
    return d.astype(object).where(d.notna(), None).to_markdown(index=False, missingval="—", floatfmt=".1f")


def _fold(title: str, body: str) -> str:
    """A collapsed MyST dropdown holding ``body`` (a long table the reader opens)."""
    return f":::{{dropdown}} {title}\n\n{body}\n:::\n"


def _save_figure(fig, png: Path) -> None:
    import matplotlib.pyplot as plt

    save_figure(fig, png)
    plt.close(fig)


def write_summary(records_dir, path, comparison_dir=None) -> Path:
    """Write the markdown results page from the run records.

    Explained in: book/results/summary (the page itself). Figure first: the paper's rows against the twins'
    means over seeds (the comparison runs under ``comparison_dir``, default ``<records_dir>/../comparison/records``,
    the chapters' numbers); then the methods × datasets table in the paper's shape ("twin (paper)"), the
    ordering question, naming accuracy, and, folded, every mean ± std and the single-seed runs of the dataset
    pages (``records_dir``). Nothing is recomputed.
    """
    records = load_records(records_dir)
    df = summary_frame(records)
    failures = read_failures(records_dir)
    if df.empty and not failures:
        raise LaicError(f"no run records under {records_dir}")
    path = Path(path)
    comparison_dir = Path(comparison_dir) if comparison_dir is not None else Path(records_dir).parent / "comparison" / "records"
    if not df.empty:
        order = [m for m in COMPARISON_METHODS if m in set(df["method"])]
        order += sorted(set(df["method"]) - set(order))
        df = df.sort_values(["dataset", "method"], key=lambda c: c.map(order.index) if c.name == "method" else c)
    seeded = load_records(comparison_dir) if comparison_dir.is_dir() else []
    rows = ["zeroshot", "kmeans", "sic", "tac", "gradnorm"]
    sections = ["# Results across datasets\n"]
    if seeded:
        table = comparison_table(seeded, order=[m for m in COMPARISON_METHODS if m in {r["method"] for r in seeded}])
        paper_rows = table.loc[[i for i in table.index if i[1] in rows]]
        h = headline(paper_rows)
        png = path.with_name("summary_paper_vs_twin.png")
        _save_figure(plot_paper_vs_twin_rows(paper_rows), png)
        holds = ", ".join(h["ordering_holds_on"]) or "none"
        twins = all(get_dataset_spec(d).synthetic is not None for d in {r["dataset"] for r in seeded})
        if twins:
            sections.append(f"""```{{figure}} {png.name}
:name: fig-results-paper-vs-twin
:width: 100%
GradNorm's Tables 1–2 (open circles: the paper, real CLIP ViT-B/32 features) against the same rows on the
{h['n_twins']} synthetic twins (filled: mean over {h['seeds']} seeds, bar: ± one standard deviation). The two
CLIP rows are the twins' calibration targets; SIC, TAC and GradNorm are predictions.
```

The twins reproduce the CLIP rows (mean |twin − paper| {h['calibrated_mean_abs']:.1f} ACC points) and miss
the predicted rows by {h['predicted_mean_abs']:.1f} points on average ({h['predicted_below']} of
{h['predicted_rows']} below the paper); the paper's ordering GradNorm > TAC > CLIP k-means holds on
{len(h['ordering_holds_on'])} of {h['ordering_twins']} twins ({holds}). These are the runs of
{{doc}}`/notebooks/07_comparison` and {{doc}}`/notebooks/08_twins` (`make compare`, {h['seeds']} seeds each).
""")
        else:
            sections.append(f"""```{{figure}} {png.name}
:name: fig-results-paper-vs-twin
:width: 100%
GradNorm's Tables 1–2 (open circles: the paper) against the same rows on these features (filled: mean over
{h['seeds']} seeds of `laic compare`, bar: ± one standard deviation).
```

Mean |run − paper| over the CLIP rows: {h['calibrated_mean_abs']:.1f} ACC points; over SIC, TAC and GradNorm:
{h['predicted_mean_abs']:.1f} ({h['predicted_below']} of {h['predicted_rows']} below the paper). The paper's
ordering GradNorm > TAC > CLIP k-means holds on {len(h['ordering_holds_on'])} of {h['ordering_twins']}
datasets ({holds}).
""")
        sections.append(f"""## The paper's table, {"twin" if twins else "these features"} beside paper

ACC in percent, mean over seeds{" on the twin" if twins else ""}, the paper's number in brackets{" (its real dataset's)" if twins else ""}:

{_markdown(paper_cells(table, "ACC", rows).reset_index())}

NMI:

{_markdown(paper_cells(table, "NMI", rows).reset_index())}

""")
        ordering = ordering_table(table)
        if len(ordering):
            sections.append(f"""## Does the paper's ordering hold?

Per {"twin" if twins else "dataset"}: is GradNorm above TAC above CLIP k-means (ACC, means over seeds), and is it in the paper's table?

{_markdown(ordering.reset_index())}
""")
        sections.append(_fold("Every method on every twin: mean ± std over seeds (ACC, NMI, ARI)",
                              _markdown(mean_std_table(table).reset_index())))
    naming = naming_table(records)
    if len(naming):
        sections.append(f"""## Naming accuracy

The share of final clusters whose best name (the selected noun of highest mean Eq. 9 weight over the
cluster's images) is a positive of the class the cluster is matched to (the runs of the dataset pages).

{_markdown(naming.reset_index())}
""")
    if failures:
        rows = pd.DataFrame(failures, columns=["dataset", "method", "error"])
        sections.append(f"""## Runs that failed

These methods stopped with an error on the dataset pages' runs; the other methods' results above and below are
complete.

{rows.to_markdown(index=False)}
""")
    sections.append(f"""## The dataset pages' runs

Each page below runs the pipeline once (seed 0) and writes its records to `book/results/records/`; one seed
moves by about a standard deviation from the means above. Precision and recall are those of the noun filter
against the known positive nouns (on a twin: the class synsets and their WordNet hyponym closure).

""" + _fold(f"The {len(df)} single-seed runs", _markdown(df)))
    with atomic_open(path, "w") as fh:
        fh.write("\n".join(sections))
    return path
