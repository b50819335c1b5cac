"""Reading run records back: tables of the runs, means and sample standard deviations over seeds.

Explained in: notebooks/05_pipeline and notebooks/07_comparison.

Every function here reads records (dicts, as :func:`laicpkg.run.experiments.load_records` returns them) and
returns a pandas frame or a record; nothing here runs a method.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..run.experiments import load_records
from .display import READER_NAMES
from .idcl import idcl_variant
from .paper import METHOD_TO_PAPER_ROW, paper_table

__all__ = ["results_table", "comparison_table", "mean_std_table", "dataset_seed_means", "find_record"]


def results_table(records) -> pd.DataFrame:
    """One row per record: ACC/NMI/ARI, filter precision/recall and size, seconds."""
    rows = []
    for r in records:
        row = {"method": r["method"], **{k: r["metrics"][k] for k in ("ACC", "NMI", "ARI")}}
        f = r.get("filter", {})
        row["nouns kept"] = f.get("n_selected", np.nan)
        row["precision"] = f.get("precision", np.nan)
        row["recall"] = f.get("recall", np.nan)
        rows.append(row)
    out = pd.DataFrame(rows).set_index("method")
    # a count: an integer, "—" where there is none
    out["nouns kept"] = pd.Series([int(v) if pd.notna(v) else np.nan for v in out["nouns kept"]], index=out.index,
                                  dtype=object)
    return out


def comparison_table(records, *, metrics=("ACC", "NMI", "ARI"), order=None) -> pd.DataFrame:
    """Mean ± std over seeds per (dataset, method): a frame with ``<metric>`` and ``<metric> std`` columns."""
    df = pd.DataFrame([{"dataset": r["dataset"], "method": r["method"], "seed": r["seed"], **r["metrics"],
                        "seconds": r["timings_s"].get("total", np.nan)} for r in records])
    g = df.groupby(["dataset", "method"])
    out = g[list(metrics) + ["seconds"]].mean()
    for m in metrics:
        out[f"{m} std"] = g[m].std(ddof=1)
    out["seeds"] = g["seed"].nunique()
    if order is not None:
        out = out.reindex([(d, m) for d in out.index.get_level_values(0).unique() for m in order
                           if (d, m) in out.index])
    return out


def mean_std_table(table: pd.DataFrame, metrics=("ACC", "NMI", "ARI")) -> pd.DataFrame:
    """``mean ± std`` strings per metric (one decimal, as in the papers' tables) and the number of seeds.

    Explained in: notebooks/07_comparison. ``table`` is :func:`comparison_table`'s output.
    """
    out = pd.DataFrame({m: table[m].map("{:.1f}".format) + " ± " + table[f"{m} std"].map("{:.1f}".format)
                        for m in metrics})
    out["seeds"] = table["seeds"]
    return out


def dataset_seed_means(records_dir, dataset: str, methods) -> pd.DataFrame | None:
    """Mean ± std over seeds of ``dataset``'s runs under ``records_dir`` (the comparison runs), with the
    paper's ACC / NMI / ARI beside; None when there are none (a dataset outside the comparison). Every data seed
    counts (the comparison draws data seed = run seed).

    Explained in: notebooks/05_pipeline (every dataset page shows the chapters' numbers beside its run)."""
    from pathlib import Path

    if not Path(records_dir).is_dir():
        return None
    recs = load_records(records_dir, methods=list(methods), datasets=[dataset])
    if not recs:
        return None
    out = mean_std_table(comparison_table(recs, order=list(methods)).loc[dataset])
    out.index = [READER_NAMES.get(m, m) for m in out.index]
    paper = paper_table(dataset)
    if paper is not None:
        rows = {READER_NAMES.get(m, m): METHOD_TO_PAPER_ROW.get(m) for m in methods}
        out["paper ACC / NMI / ARI"] = [
            (f"{paper.loc[rows[i], 'ACC']:.1f} / {paper.loc[rows[i], 'NMI']:.1f} / {paper.loc[rows[i], 'ARI']:.1f}"
             if rows.get(i) in paper.index else "—") for i in out.index]
    return out


def find_record(records, **match) -> dict:
    """The first record whose fields equal ``match`` (``variant=`` matches :func:`idcl_variant`)."""
    for r in records:
        if all((idcl_variant(r) if k == "variant" else r.get(k)) == v for k, v in match.items()):
            return r
    raise LookupError(f"no record with {match}")
