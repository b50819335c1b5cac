"""Helpers the notebooks call: run a list of methods, parameter sweeps, tables of selected nouns, t-SNE.

Explained in: notebooks/05_pipeline and notebooks/06_ablations.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .config import resolve_config
from .data import LaICData
from .datasets import load_dataset
from .runner import RunResult, run, write_record

__all__ = ["run_methods", "results_table", "sweep", "selected_nouns_table", "tsne_embed", "load_records"]


def run_methods(dataset: str, methods, *, data: LaICData | None = None, features=None, seed: int = 0,
                data_seed: int = 0, overrides: dict | None = None, records_dir=None, **fields):
    """Run every method on one dataset (same data, same seed); write records when ``records_dir`` is set.

    Returns ``(table, results)``: :func:`results_table` of the records and a dict method → RunResult.
    """
    if data is None:
        data = load_dataset(dataset, features=features, data_seed=data_seed, **fields)
    results = {}
    for m in methods:
        cfg = resolve_config(dataset, m, overrides=overrides, seed=seed, data_seed=data_seed, features=features,
                             **fields)
        results[m] = run(cfg, data=data)
        if records_dir is not None:
            write_record(results[m].record, Path(records_dir) / dataset / f"{m}.json")
    return results_table([r.record for r in results.values()]), results


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
    return pd.DataFrame(rows).set_index("method")


def load_records(folder) -> list[dict]:
    """All run records (``*.json``) under ``folder``, sorted by path."""
    return [json.loads(p.read_text()) for p in sorted(Path(folder).rglob("*.json"))]


def sweep(data: LaICData, method: str, param: str, values, *, seed: int = 0, overrides: dict | None = None):
    """Run ``method`` once per value of ``param`` (others at their defaults); one row per value."""
    rows = []
    for v in values:
        cfg = resolve_config(data.name, method, overrides={**(overrides or {}), param: v}, seed=seed)
        rec = run(cfg, data=data).record
        rows.append({param: v, **{k: rec["metrics"][k] for k in ("ACC", "NMI", "ARI")},
                     "precision": rec.get("filter", {}).get("precision", np.nan)})
    return pd.DataFrame(rows)


def selected_nouns_table(result: RunResult, max_groups: int = 10) -> pd.DataFrame:
    """The selected nouns of the first ``max_groups`` non-empty pseudo-classes; known positives marked ✓."""
    f = result.model.filter_
    data = result.data
    rows = []
    for g, idx in enumerate(f.selected_per_group_):
        if idx.size == 0:
            continue
        names = []
        for i in idx:
            mark = ""
            if data.positive_mask is not None:
                mark = " ✓" if data.positive_mask[i] else " ✗"
            names.append(f"{data.nouns[i]}{mark}")
        rows.append({"pseudo-class": g, "selected nouns (✓ known positive)": ", ".join(names)})
        if len(rows) >= max_groups:
            break
    return pd.DataFrame(rows).set_index("pseudo-class")


def tsne_embed(X, *, n_samples: int = 1500, random_state: int = 0):
    """2-D t-SNE (scikit-learn) of at most ``n_samples`` rows; returns ``(embedding, row indices)``."""
    from sklearn.manifold import TSNE

    X = np.asarray(X)
    rng = np.random.default_rng(random_state)
    idx = np.sort(rng.choice(X.shape[0], size=min(n_samples, X.shape[0]), replace=False))
    emb = TSNE(n_components=2, init="pca", perplexity=30, random_state=random_state).fit_transform(X[idx])
    return emb, idx
