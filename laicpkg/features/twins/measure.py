"""Measuring a twin against real CLIP: its geometry beside the real reference features, and the table real CLIP
features of 500 CIFAR-10 images give.

Explained in: notebooks/08_twins ("What the twins model", "Twins on real CLIP text").
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .draw import make_twin
from ...core.counterparts import final_clustering
from ...core.metrics import cluster_accuracy
from ...utils.atomic import atomic_open
from ..concepts import wordnet_graph
from ...catalog.geometry import GEOMETRY_TARGETS, PER_TWIN_TARGETS, PROBE_TARGETS, GeometryTarget
from ..realtext import real_text_pool
from ..geometry import (hop_distances, image_geometry, image_text_table, linear_probe_accuracy, lvis_reference,
                        reference_statistics, table_sample, text_geometry)


def twin_geometry(name, seed: int = 0) -> dict:
    """:func:`image_geometry` of a twin (a name or a TwinSpec; data seed ``seed``) and :func:`text_geometry` of
    its noun features for the LVIS reference's unambiguous synsets (a drawn pool holds every WordNet noun synset;
    the "real" model's pool, real texts, those of the synsets it holds)."""
    data = make_twin(name, seed=seed)
    name = getattr(name, "name", name)
    out = image_geometry(data.E_train, data.y_train, data.E_test, data.y_test, data.class_text)
    if name in PROBE_TARGETS:  # a probe costs a fit; measured where a reference exists
        out["linear-probe accuracy"] = linear_probe_accuracy(data.E_train, data.y_train, data.E_test, data.y_test)
    lvis = lvis_reference()
    graph = wordnet_graph()
    offsets = [lvis.offsets[r] for r in lvis.single_sense()]
    if data.meta.get("model") == "real":  # the real pool: the real texts of those synsets it holds
        pool = real_text_pool()
        offsets = [o for o in offsets if pool.row_of(o) is not None]
        rows = [pool.row_of(o) for o in offsets]
    else:
        rows = [graph.index[o] for o in offsets]
        if len(data.nouns) != len(graph) or any(data.nouns[i] != graph.lemmas[i][0] for i in rows[:20]):
            raise ValueError(f"{name}'s noun pool is not WordNet's synset list; its text geometry cannot be measured")
    out.update(text_geometry(data.R[rows], hop_distances(graph, [graph.index[o] for o in offsets])))
    return out


def geometry_table(names, seeds=(0,)) -> "pd.DataFrame":
    """Each twin's statistics (``names``: twin names or TwinSpecs; mean over the data ``seeds``) beside the real
    CLIP reference and the targets: one row per (twin, statistic) with the twin's value, the target, its source
    and whether it holds."""
    import pandas as pd

    ref = reference_statistics()
    rows = []
    for twin in names:
        runs = [twin_geometry(twin, s) for s in seeds]
        name = getattr(twin, "name", twin)
        mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
        for stat, value in mean.items():
            target = GEOMETRY_TARGETS.get(stat)
            per_twin = PER_TWIN_TARGETS.get(stat)
            if per_twin is not None and name in per_twin:
                v, src = per_twin[name]
                target = GeometryTarget(v, tolerance=5.0, source=src)
            rows.append({"twin": name, "statistic": stat, "twin value": value,
                         "real CLIP": ref.get(stat, np.nan) if per_twin is None else
                         (per_twin[name][0] if name in per_twin else np.nan),
                         "target": target.describe() if target else "—",
                         "holds": ("yes" if target.holds(value) else "no") if target else "—"})
    return pd.DataFrame(rows).set_index(["twin", "statistic"])


def real_table(spec, seed: int) -> dict:
    """:func:`~laicpkg.features.geometry.image_text_table` of a twin's test split (50 images per class), and CLIP
    k-means' ACC on the whole test split (``"CLIP k-means ACC"``, the twin's baseline k-means settings)."""
    data = make_twin(spec, seed=seed, test_only=True)
    rows = table_sample(data.y_test)
    out = image_text_table(data.E_test[rows], data.y_test[rows], data.class_text)
    niter, nredo = spec.baseline_kmeans
    labels = final_clustering(data.E_test, spec.n_classes, niter=niter, nredo=nredo, random_state=seed)
    out["CLIP k-means ACC"] = 100.0 * cluster_accuracy(data.y_test, labels)
    return out


def mean_real_table(spec, seeds) -> dict:
    """:func:`real_table` averaged over the data ``seeds``."""
    runs = [real_table(spec, s) for s in seeds]
    return {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}


def real_table_frame(specs, seeds, path=None) -> "pd.DataFrame":
    """:func:`mean_real_table` of every twin in ``specs`` (TwinSpecs), one row per (twin, model, statistic) with
    the mean ``value`` over the data ``seeds``. With ``path`` (a CSV) the rows of other twins or models already
    there are kept, and the file is rewritten whole after each twin (temporary file and rename)."""
    import pandas as pd

    keys = ["twin", "model"]
    old = pd.read_csv(path) if path is not None and Path(path).is_file() else pd.DataFrame(
        columns=keys + ["statistic", "value"])
    for spec in specs:
        table = mean_real_table(spec, seeds)
        new = pd.DataFrame({"twin": spec.name, "model": spec.model, "statistic": list(table),
                            "value": list(table.values())})
        old = pd.concat([old[(old["twin"] != spec.name) | (old["model"] != spec.model)], new], ignore_index=True)
        if path is not None:
            with atomic_open(path, "w") as fh:
                old.to_csv(fh, index=False)
    return old
