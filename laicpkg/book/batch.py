"""Execute the pipeline notebook once per dataset with papermill, then write the results summary page.

Explained in: README ("Where results appear").

``laic batch --datasets synthetic-cifar10,synthetic-cifar20,synthetic-dogs`` writes
``book/results/datasets/<dataset>.ipynb`` (the executed pipeline notebook), the run
records under ``book/results/records/<dataset>/`` and ``book/results/summary.md``
with one table across datasets (and the paper's numbers beside real ones). The
summary page only reads run records; it never recomputes.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..utils.atomic import atomic_open
from ..features.datasets import get_dataset_spec
from ..utils.errors import LaicError
from ..run.experiments import load_records
from .paper_results import METHOD_TO_PAPER_ROW, PAPER_TABLES

__all__ = ["run_batch", "summary_frame", "write_summary", "DEFAULT_DATASETS", "PIPELINE_NOTEBOOK"]

DEFAULT_DATASETS = ("synthetic-cifar10", "synthetic-cifar20", "synthetic-dogs")
PIPELINE_NOTEBOOK = Path("notebooks") / "05_pipeline.ipynb"


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
        raise LaicError(f"the pipeline notebook failed on {parameters['dataset']}: {exc.ename}: {exc.evalue} "
                        f"(see {tmp})") from None
    tmp.replace(target)
    return {"status": "done", "path": str(target), "seconds": time.perf_counter() - t0}


def run_batch(datasets=DEFAULT_DATASETS, *, notebook=PIPELINE_NOTEBOOK, out_dir="book/results", features=None,
              seed: int = 0, extra_parameters: dict | None = None, progress: bool | None = None,
              grid: dict | None = None, report: list | None = None) -> list[Path]:
    """Run the parametrised pipeline notebook for each dataset; returns the written notebooks.

    ``grid``: :func:`laicpkg.run.grid.execute`'s options to run the executions on Dask workers; ``report`` (a
    list) receives the :class:`~laicpkg.run.grid.GridReport`. The summary page covers the records present.
    """
    from ..run.grid import Task, execute

    notebook = Path(notebook)
    if not notebook.is_file():
        raise LaicError(f"pipeline notebook {notebook} not found (run from the repository root)")
    for ds in datasets:
        get_dataset_spec(ds)  # unknown names fail before anything runs
    out_dir = Path(out_dir).resolve()
    records = out_dir / "records"
    tasks = []
    for ds in datasets:
        params = {"dataset": ds, "features": str(Path(features).resolve()) if features else None,
                  "records_dir": str(records), "reference_records": str(records), "seed": seed,
                  **(extra_parameters or {})}
        tasks.append(Task(ds, pipeline_task, {"notebook": str(notebook.resolve()),
                                              "target": str(out_dir / "datasets" / f"{ds}.ipynb"),
                                              "parameters": params}))
    result = execute(tasks, progress=progress is not False, desc="papermill", **(grid or {}))
    if report is not None:
        report.append(result)
    elif result.failed:
        raise LaicError("; ".join(f"{name}: {why}" for name, why in result.failed))
    write_summary(records, out_dir / "summary.md")
    return [Path(t.kwargs["target"]) for t in tasks if t.name in result.done]


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
        row["paper ACC/NMI/ARI"] = f"{paper[1]} / {paper[0]} / {paper[2]}" if paper else ""
        rows.append(row)
    return pd.DataFrame(rows)


def write_summary(records_dir, path) -> Path:
    """Write the markdown summary page (table + ACC bar figure) from the records in ``records_dir``."""
    from .plotting import plot_method_bars

    df = summary_frame(load_records(records_dir))
    if df.empty:
        raise LaicError(f"no run records under {records_dir}")
    path = Path(path)
    fig = plot_method_bars(df, metric="ACC")
    png = path.with_name("summary_acc.png")
    with atomic_open(png, "wb") as fh:
        fig.savefig(fh, format="png", metadata={"Software": None})
    import matplotlib.pyplot as plt

    plt.close(fig)
    table = df.fillna("").to_markdown(index=False)
    text = f"""# Results across datasets

One row per dataset and method, read from the run records in `book/results/records/`
(written by the per-dataset pipeline pages; nothing here is recomputed). ACC, NMI
and ARI are in percent on the test split; precision and recall are those of the
noun filter against the known positive nouns (synthetic data only). For the real
datasets, the column on the right gives the GradNorm paper's Tables 1-2 numbers.

{table}

```{{figure}} summary_acc.png
:name: fig-summary-acc
ACC per method and dataset (from the same records).
```
"""
    with atomic_open(path, "w") as fh:
        fh.write(text)
    return path
