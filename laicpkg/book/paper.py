"""The papers' numbers and the twins measured against them.

Explained in: the landing page (notebooks/00_overview), notebooks/07_comparison and notebooks/08_twins.

The numbers live in each dataset's specification (``DatasetSpec.paper``, :mod:`laicpkg.features.datasets`):
GradNorm's Table 1 (five classic datasets) and Table 2 (three harder ones), and IDCL's Tables 2 and 4 on
DIGITS. This module gives them the shapes the book's tables use, and sets the twins' runs (means over seeds,
:func:`laicpkg.book.records.comparison_table`) beside them. Nothing here runs a method.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..catalog.papers import GRADNORM_ROWS, IDCL_DIGITS
from ..features.datasets import DATASETS
from .display import READER_NAMES, dataset_title

__all__ = ["PAPER_TABLES", "paper_table", "METHOD_TO_PAPER_ROW", "IDCL_DIGITS", "PREDICTED", "paper_comparison",
           "paper_vs_twin", "ordering_table", "narrow_orderings", "twin_models_versus_paper", "twin_models_summary",
           "twin_models_by_twin", "paper_cells", "headline"]

#: Our method names → the paper's row they correspond to (whole methods only).
METHOD_TO_PAPER_ROW = dict(zip(("zeroshot", "kmeans", "sic", "tac", "gradnorm"), GRADNORM_ROWS))

#: ``PAPER_TABLES[dataset][row] = (NMI, ACC, ARI)`` in percent, GradNorm's Tables 1–2.
PAPER_TABLES = {name: {row: (v["NMI"], v["ACC"], v["ARI"]) for row, v in spec.paper.items()}
                for name, spec in DATASETS.items() if spec.paper and spec.kind == "features"}



def paper_table(dataset: str) -> pd.DataFrame | None:
    """The paper's rows for ``dataset`` as a frame with columns ACC, NMI, ARI, or None without numbers."""
    spec = DATASETS.get(dataset)
    if spec is None or not spec.paper or spec.kind != "features":
        return None
    rows = [{"method": row, "ACC": v["ACC"], "NMI": v["NMI"], "ARI": v["ARI"]} for row, v in spec.paper.items()]
    return pd.DataFrame(rows).set_index("method")


#: The rows a twin predicts (the CLIP rows are its calibration targets).
PREDICTED = ("sic", "tac", "gradnorm")


def paper_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """Our means beside the GradNorm paper's numbers for every dataset of ``table`` that the paper reports.

    Explained in: notebooks/07_comparison. Rows are (dataset, paper row); an empty frame when no dataset
    of ``table`` is one of the paper's.
    """
    parts = {}
    for ds in table.index.get_level_values(0).unique():
        paper = paper_table(ds)
        if paper is not None:
            ours = table.loc[ds][["ACC", "NMI", "ARI"]].rename(index=METHOD_TO_PAPER_ROW)
            parts[ds] = ours.merge(paper, left_index=True, right_index=True, how="left", suffixes=("", " (paper)"))
    return pd.concat(parts, names=["dataset", "method"]) if parts else pd.DataFrame()


def paper_vs_twin(table: pd.DataFrame, metrics=("ACC", "NMI", "ARI")) -> pd.DataFrame:
    """:func:`paper_comparison` of twin runs with the differences twin − paper per metric (``Δ ACC``, …).

    Explained in: notebooks/07_comparison ("Paper vs twin"). A twin's paper rows are its real dataset's.
    """
    out = paper_comparison(table)
    if out.empty:  # none of the paper's datasets
        return out
    for m in metrics:
        out[f"Δ {m}"] = out[m] - out[f"{m} (paper)"]
    return out[[c for m in metrics for c in (m, f"{m} (paper)", f"Δ {m}")]]


def ordering_table(table: pd.DataFrame, metric: str = "ACC",
                   order=("gradnorm", "tac", "kmeans")) -> pd.DataFrame:
    """Per dataset: does the paper's ordering (GradNorm above TAC above CLIP k-means, by ``metric``) hold?

    One row per dataset of ``table`` (:func:`comparison_table` means) that has all three methods: their
    means, and whether each step of the ordering holds on these runs and in the paper's table.
    """
    rows = []
    for ds in table.index.get_level_values(0).unique():
        ours = table.loc[ds][metric]
        if not set(order) <= set(ours.index):
            continue
        paper = paper_table(ds)
        row = {"dataset": ds, **{f"{m} {metric}": round(float(ours[m]), 1) for m in order}}
        holds = all(ours[a] > ours[b] for a, b in zip(order, order[1:]))
        row["ordering holds"] = "yes" if holds else "no: " + ", ".join(
            f"{a} ≤ {b}" for a, b in zip(order, order[1:]) if not ours[a] > ours[b])
        if paper is not None:
            p = paper[metric].rename(index={v: k for k, v in METHOD_TO_PAPER_ROW.items()})
            row["in the paper"] = "yes" if all(p[a] > p[b] for a, b in zip(order, order[1:])) else "no"
        rows.append(row)
    return pd.DataFrame(rows).set_index("dataset") if rows else pd.DataFrame()


def narrow_orderings(table: pd.DataFrame, metric: str = "ACC",
                     order=("gradnorm", "tac", "kmeans")) -> pd.DataFrame:
    """The steps of the paper's ordering that hold on a dataset of ``table`` (:func:`comparison_table` means)
    by less than their standard error: the margin ``mean_a − mean_b`` and the standard error of that difference
    of two means over seeds, ``√(s_a² / n_a + s_b² / n_b)`` (``s`` the sample std the table holds, ``n`` its
    seeds; unpaired: :func:`laicpkg.book.findings.paired_table` pairs the seeds). One row per such step (columns
    ``step``, ``margin``, ``standard error``).

    Explained in: notebooks/08_twins ("Does the paper's ordering hold on the twins?")."""
    rows = []
    for ds, r in ordering_table(table, metric, order).iterrows():
        if r["ordering holds"] != "yes":
            continue
        for a, b in zip(order, order[1:]):
            ra, rb = table.loc[(ds, a)], table.loc[(ds, b)]
            if min(ra["seeds"], rb["seeds"]) < 2:
                continue
            se = float(np.sqrt(ra[f"{metric} std"] ** 2 / ra["seeds"] + rb[f"{metric} std"] ** 2 / rb["seeds"]))
            margin = float(ra[metric] - rb[metric])
            if margin < se:
                rows.append({"dataset": ds, "step": f"{a} > {b}", "margin": margin, "standard error": se})
    return pd.DataFrame(rows, columns=["dataset", "step", "margin", "standard error"]).set_index("dataset")


def _paper_deltas(table: pd.DataFrame, metric: str, methods) -> pd.Series:
    """twin − paper in ``metric`` for the paper rows of ``methods`` (:func:`paper_vs_twin`), per (dataset, row)."""
    rows = {METHOD_TO_PAPER_ROW[m] for m in methods}
    delta = paper_vs_twin(table, metrics=(metric,))[f"Δ {metric}"].dropna()
    return delta[[r in rows for r in delta.index.get_level_values(1)]]


def twin_models_versus_paper(tables: dict, metric: str = "ACC") -> pd.DataFrame:
    """Paper vs twin under several twin models side by side: one row per (dataset, paper row), the paper's
    ``metric`` and, for every ``label → comparison_table`` of ``tables``, the twin's mean and Δ = twin − paper.

    Explained in: notebooks/08_twins ("What CLIP's geometry changed")."""
    parts = []
    for label, table in tables.items():
        pvt = paper_vs_twin(table, metrics=(metric,))
        if not parts:
            parts.append(pvt[[f"{metric} (paper)"]].rename(columns={f"{metric} (paper)": f"paper {metric}"}))
        parts.append(pvt[[metric, f"Δ {metric}"]].rename(columns={metric: f"{label} {metric}",
                                                                   f"Δ {metric}": f"{label} Δ"}))
    return pd.concat(parts, axis=1)


def twin_models_summary(tables: dict, metric: str = "ACC") -> pd.DataFrame:
    """Per twin model (``label → comparison_table``), :func:`headline`'s numbers: the mean and largest
    |Δ ``metric``| of the rows a twin predicts (SIC, TAC, GradNorm), how many of them fall below the paper, the
    mean |Δ| of its calibrated CLIP rows, and on how many twins the paper's ordering (GradNorm > TAC > CLIP
    k-means) holds.

    Explained in: notebooks/08_twins ("What CLIP's geometry changed")."""
    rows = {}
    for label, table in tables.items():
        h = headline(table, metric)
        rows[label] = {f"predicted rows: mean |Δ {metric}|": round(h["predicted_mean_abs"], 1),
                       f"largest |Δ {metric}|": round(h["predicted_max_abs"], 1),
                       "below the paper": f"{h['predicted_below']} of {h['predicted_rows']}",
                       f"CLIP rows: mean |Δ {metric}|": round(h["calibrated_mean_abs"], 1),
                       "ordering holds on": f"{len(h['ordering_holds_on'])} of {h['ordering_twins']} twins"}
    return pd.DataFrame(rows).T


def twin_models_by_twin(tables: dict, metric: str = "ACC") -> pd.DataFrame:
    """Per twin (rows, the real dataset's name) and twin model (columns, ``label → comparison_table``): the mean
    |Δ ``metric``| = |twin − paper| of the rows a twin predicts (SIC, TAC, GradNorm); NaN where a model has no
    such row for the twin.

    Explained in: notebooks/08_twins ("What CLIP's geometry changed")."""
    out = pd.DataFrame({label: _paper_deltas(table, metric, PREDICTED).abs().groupby(level=0).mean()
                        for label, table in tables.items()})
    out.index = [dataset_title(d) for d in out.index]
    out.index.name = f"predicted rows: mean |Δ {metric}|"
    return out


def paper_cells(table: pd.DataFrame, metric: str = "ACC",
                methods=("zeroshot", "kmeans", "sic", "tac", "gradnorm")) -> pd.DataFrame:
    """The paper's table shape: methods × datasets, each cell "twin mean (paper)" in ``metric``, "—" where a
    number does not exist. ``table`` is :func:`comparison_table` (means over seeds).

    Explained in: the book's landing page and book/results/summary."""
    datasets = list(table.index.get_level_values(0).unique())
    out = pd.DataFrame(index=[READER_NAMES.get(m, m) for m in methods],
                       columns=[dataset_title(d) for d in datasets], dtype=object)
    for d in datasets:
        paper = paper_table(d)
        for m in methods:
            here = table[metric].get((d, m), np.nan)
            ref = np.nan if paper is None else paper[metric].get(METHOD_TO_PAPER_ROW.get(m, ""), np.nan)
            cell = "—" if pd.isna(here) else f"{here:.1f}"
            if not pd.isna(ref):
                cell += f" ({ref:.1f})"
            out.loc[READER_NAMES.get(m, m), dataset_title(d)] = cell
    out.index.name = f"{metric}: twin (paper)"
    return out


def headline(table: pd.DataFrame, metric: str = "ACC") -> dict:
    """The numbers of the landing page, from :func:`comparison_table` means: for the predicted rows
    (:data:`PREDICTED`) the mean and largest |twin − paper| and how many fall below the paper; for the
    calibrated CLIP rows the mean |twin − paper|; the twins on which the paper's ordering (GradNorm > TAC >
    CLIP k-means) holds; the number of twins and of seeds."""
    predicted = _paper_deltas(table, metric, PREDICTED)
    calibrated = _paper_deltas(table, metric, ("kmeans", "zeroshot"))
    reader = {METHOD_TO_PAPER_ROW[m]: READER_NAMES[m] for m in METHOD_TO_PAPER_ROW}
    order = ordering_table(table, metric)
    holds = [dataset_title(d) for d, v in order["ordering holds"].items() if v == "yes"] if len(order) else []
    worst = predicted.abs().idxmax() if len(predicted) else None
    return {"n_twins": int(table.index.get_level_values(0).nunique()), "seeds": int(table["seeds"].min()),
            "predicted_rows": int(predicted.size), "predicted_mean_abs": float(predicted.abs().mean()),
            "predicted_below": int((predicted < 0).sum()),
            "predicted_max_abs": float(predicted.abs().max()) if len(predicted) else float("nan"),
            "worst": (dataset_title(worst[0]), reader.get(worst[1], worst[1])) if worst is not None else None,
            "calibrated_mean_abs": float(calibrated.abs().mean()), "ordering_holds_on": holds,
            "ordering_twins": int(len(order))}
