"""Nouns and naming: which nouns a filter kept, which of them are true positives, and what each cluster is named.

Explained in: notebooks/05_pipeline and notebooks/07_comparison. Every function reads run records; nothing here
runs a method.
"""
from __future__ import annotations

import pandas as pd

from ..features.concepts import wordnet_graph
from ..features.twins import TWIN_SPECS, class_positives

__all__ = ["twin_positive_names", "naming_table", "filter_table", "record_nouns_table", "cluster_names_table"]


def twin_positive_names(dataset: str) -> dict:
    """{class name: the pool names (first lemmas) of its WordNet positives} for a twin; {} otherwise."""
    twin = TWIN_SPECS.get(dataset)
    if twin is None:
        return {}
    graph = wordnet_graph()
    return {cls: {graph.lemmas[i][0] for i in closure}
            for cls, closure in zip(twin.class_names, class_positives(twin, graph))}


def _marked(names, positive) -> str:
    """Pool names as words (underscores to spaces), ✓ after those in ``positive``."""
    return ", ".join(n.replace("_", " ") + (" ✓" if n in positive else "") for n in names)


def naming_table(records) -> pd.DataFrame:
    """Naming accuracy (share of clusters whose top name is a positive of their matched class), mean ± std
    over seeds per dataset and method, for the records that measured it (datasets with known positives)."""
    rows = [{"dataset": r["dataset"], "method": r["method"], "seed": r["seed"], "naming": r["naming_accuracy"]}
            for r in records if r.get("naming_accuracy") is not None]
    if not rows:
        return pd.DataFrame()
    g = pd.DataFrame(rows).groupby(["dataset", "method"])["naming"]
    return pd.DataFrame({"naming accuracy": g.mean().round(1), "std": g.std(ddof=1).round(1),
                         "seeds": g.count()})


def filter_table(records) -> pd.DataFrame:
    """Stage 1 of every record that has one: nouns kept, precision and recall against the known positives
    (mean over seeds per dataset and method)."""
    rows = [{"dataset": r["dataset"], "method": r["method"], "nouns kept": r["filter"]["n_selected"],
             "precision": r["filter"].get("precision"), "recall": r["filter"].get("recall")}
            for r in records if r.get("filter")]
    if not rows:
        return pd.DataFrame()
    return pd.DataFrame(rows).groupby(["dataset", "method"]).mean().round(1)


def record_nouns_table(record: dict, max_groups: int = 10) -> pd.DataFrame:
    """The nouns a run's Stage 1 kept, per pseudo-class (first ``max_groups`` groups), ✓ where a noun is a
    WordNet positive of some class of the twin."""
    positive = set().union(*twin_positive_names(record["dataset"]).values())
    groups = sorted((record.get("selected_nouns") or {}).items(), key=lambda kv: int(kv[0]))[:max_groups]
    return pd.DataFrame([{"pseudo-class": int(g), "nouns (best first)": _marked(nouns, positive)}
                         for g, nouns in groups]).set_index("pseudo-class")


def cluster_names_table(record: dict, max_clusters: int | None = None) -> pd.DataFrame:
    """One run's clusters: the matched class and the five best names (Eq. 9 weights), ✓ where a name is a
    positive of the matched class (a twin's WordNet closure; marks only for twins)."""
    names = record.get("cluster_names") or {}
    positive = twin_positive_names(record["dataset"])
    rows = []
    for c, entry in list(sorted(names.items(), key=lambda kv: int(kv[0])))[:max_clusters]:
        ok = positive.get(entry["class"], set())
        rows.append({"cluster": int(c), "matched class": entry["class"],
                     "names (best first)": _marked(entry["names"], ok)})
    return pd.DataFrame(rows).set_index("cluster")
