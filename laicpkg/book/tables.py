"""Tables and small analyses the book shows, computed from run records and fitted models.

Explained in: notebooks/05_pipeline, notebooks/09_idcl and notebooks/07_comparison.

Every function here reads records (dicts, as :func:`laicpkg.run.experiments.load_records`
returns them) or a :class:`~laicpkg.run.runner.RunResult` and returns a pandas frame;
nothing here runs a method.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..methods.idcl import IDCL_VARIANTS, variant_config, variant_title
from ..methods.registry import TITLES


__all__ = ["results_table", "tsne_embed", "counterpart_tsne", "comparison_table", "mean_std_table",
           "paper_comparison", "final_assign_summary", "final_assign_bars", "core_assignment_table", "idcl_variant",
           "idcl_table", "idcl_histories", "find_record", "idcl_baseline_check", "twin_baseline_table",
           "twin_calibration_table", "twin_positives_table", "twin_positive_names", "paper_vs_twin", "ordering_table",
           "narrow_orderings",
           "naming_table", "cluster_names_table", "filter_table", "record_nouns_table", "geometry_targets_met",
           "geometry_misses",
           "twin_models_versus_paper", "twin_models_summary", "twin_models_by_twin"]


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


def tsne_embed(X, *, n_samples: int = 1500, random_state: int = 0):
    """2-D t-SNE (scikit-learn) of at most ``n_samples`` rows; returns ``(embedding, row indices)``."""
    from sklearn.manifold import TSNE

    X = np.asarray(X)
    rng = np.random.default_rng(random_state)
    idx = np.sort(rng.choice(X.shape[0], size=min(n_samples, X.shape[0]), replace=False))
    emb = TSNE(n_components=2, init="pca", perplexity=30, random_state=random_state).fit_transform(X[idx])
    return emb, idx


def counterpart_tsne(E, V, *, n_samples: int = 1500, random_state: int = 0) -> tuple[dict, np.ndarray]:
    """Fig. 1's three t-SNE panels: image features ``e``, text counterparts ``v`` (Eq. 9) and ``[e; v]``.

    Explained in: notebooks/05_pipeline. The same rows (a random subset) in every panel; returns
    ``({panel name: embedding}, row indices)``.
    """
    from ..core.counterparts import concat_features

    panels = {}
    for name, X in {"image features e": E, "text counterparts v": V,
                    "concatenation [e; v]": concat_features(E, V)}.items():
        panels[name], idx = tsne_embed(X, n_samples=n_samples, random_state=random_state)
    return panels, idx


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


def idcl_variant(record: dict) -> str:
    """The IDCL variant a run record belongs to, by its configuration (:func:`laicpkg.methods.idcl.variant_title`)."""
    return variant_title(record["config"])


def idcl_table(records) -> pd.DataFrame:
    """Mean ± std of ACC and NMI (scikit-learn's, and the IDCL paper's max-normalised NMI where recorded) per
    IDCL variant over seeds, beside the IDCL paper's DIGITS numbers (NaN where the paper has no row)."""
    from ..book.paper_results import IDCL_DIGITS

    df = pd.DataFrame([{"variant": idcl_variant(r), "seed": r["seed"], "ACC": r["metrics"]["ACC"],
                        "NMI": r["metrics"]["NMI"], "NMI_max": r["metrics"].get("NMI_max", np.nan),
                        "epochs run": r.get("n_epochs", np.nan),
                        "minutes": r["timings_s"]["total"] / 60} for r in records])
    g = df.groupby("variant")
    out = pd.DataFrame({"ACC": g["ACC"].mean(), "ACC std": g["ACC"].std(ddof=1), "NMI": g["NMI"].mean(),
                        "NMI std": g["NMI"].std(ddof=1), "NMI (max)": g["NMI_max"].mean(),
                        "NMI (max) std": g["NMI_max"].std(ddof=1), "seeds": g["seed"].nunique(),
                        "epochs run": g["epochs run"].mean(), "minutes / run": g["minutes"].mean()})
    out["paper ACC"] = [IDCL_DIGITS.get(v, (np.nan, np.nan))[0] for v in out.index]
    out["paper NMI"] = [IDCL_DIGITS.get(v, (np.nan, np.nan))[1] for v in out.index]
    order = [k for k in IDCL_DIGITS if k in out.index] + [k for k in out.index if k not in IDCL_DIGITS]
    return out.loc[order]


#: IDCL Table 4's rows (and Table 2's DEC and IDEC) in the paper's order: the book's name of the variant
#: (:func:`idcl_variant`) → the table's label, both from :data:`laicpkg.methods.idcl.IDCL_VARIANTS`.
TABLE4_ROWS = {variant_title(variant_config(name, full=True)): label
               for name, (_, label) in IDCL_VARIANTS.items() if label is not None}


def _pm(mean, std) -> str:
    return "—" if pd.isna(mean) else f"{mean:.1f} ± {std:.1f}"


def idcl_table4(table: pd.DataFrame) -> pd.DataFrame:
    """IDCL Table 4 (and Table 2's DEC and IDEC) side by side: the paper's ACC and NMI, ours as mean ± std
    over seeds with Appendix F's augmentation (the default) and without it, and the paper's NMI
    normalisation (max, Appendix E Eq. 30) beside scikit-learn's. ``table`` is :func:`idcl_table`'s output;
    "—" where a run does not exist. DEC and IDEC are run as the paper describes them (lr 0.01, no
    augmentation).

    Explained in: notebooks/09_idcl."""
    from ..book.paper_results import IDCL_DIGITS

    rows = []
    for key, label in TABLE4_ROWS.items():
        here = table.loc[key] if key in table.index else None
        bare = f"{key} + no augmentation"
        bare = table.loc[bare] if not key.endswith("(baseline)") and bare in table.index else None
        paper_acc, paper_nmi = IDCL_DIGITS[key]  # the paper's numbers whether or not we have the run
        rows.append({
            "model": label,
            "paper ACC": paper_acc,
            "ACC": "—" if here is None else _pm(here["ACC"], here["ACC std"]),
            "paper NMI": paper_nmi,
            "NMI": "—" if here is None else _pm(here["NMI"], here["NMI std"]),
            "NMI (max)": "—" if here is None else _pm(here["NMI (max)"], here["NMI (max) std"]),
            "seeds": 0 if here is None else int(here["seeds"]),
            "ACC, no augmentation": "—" if bare is None else _pm(bare["ACC"], bare["ACC std"]),
        })
    return pd.DataFrame(rows).set_index("model")


def mean_std_table(table: pd.DataFrame, metrics=("ACC", "NMI", "ARI")) -> pd.DataFrame:
    """``mean ± std`` strings per metric (one decimal, as in the papers' tables) and the number of seeds.

    Explained in: notebooks/07_comparison. ``table`` is :func:`comparison_table`'s output.
    """
    out = pd.DataFrame({m: table[m].map("{:.1f}".format) + " ± " + table[f"{m} std"].map("{:.1f}".format)
                        for m in metrics})
    out["seeds"] = table["seeds"]
    return out


def paper_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """Our means beside the GradNorm paper's numbers for every dataset of ``table`` that the paper reports.

    Explained in: notebooks/07_comparison. Rows are (dataset, paper row); an empty frame when no dataset
    of ``table`` is one of the paper's.
    """
    from ..book.paper_results import METHOD_TO_PAPER_ROW, paper_table

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
    from ..book.paper_results import METHOD_TO_PAPER_ROW, paper_table

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


#: The rows a twin predicts (the CLIP rows are its calibration targets).
PREDICTED = ("sic", "tac", "gradnorm")


def _paper_deltas(table: pd.DataFrame, metric: str, methods) -> pd.Series:
    """twin − paper in ``metric`` for the paper rows of ``methods`` (:func:`paper_vs_twin`), per (dataset, row)."""
    from ..book.paper_results import METHOD_TO_PAPER_ROW

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


#: The names a reader knows for the methods (:data:`laicpkg.methods.registry.TITLES`).
READER_NAMES = TITLES


def dataset_seed_means(records_dir, dataset: str, methods) -> pd.DataFrame | None:
    """Mean ± std over seeds of ``dataset``'s runs under ``records_dir`` (the comparison runs), with the
    paper's ACC / NMI / ARI beside; None when there are none (a dataset outside the comparison). Every data seed
    counts (the comparison draws data seed = run seed).

    Explained in: notebooks/05_pipeline (every dataset page shows the chapters' numbers beside its run)."""
    from pathlib import Path

    from ..book.paper_results import METHOD_TO_PAPER_ROW, paper_table
    from ..run.experiments import load_records

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


def geometry_summary(geometry: pd.DataFrame) -> pd.DataFrame:
    """The geometry table (``features.twins.geometry_table``, one row per twin and statistic) as statistics ×
    twins with the real CLIP value and the target beside, each twin's value marked ✓ where it meets its
    target.

    Explained in: notebooks/08_twins."""
    g = geometry.reset_index()
    cell = g.apply(lambda r: f"{r['twin value']:.3g}" + (" ✓" if r["holds"] == "yes" else ""), axis=1)
    out = g.assign(cell=cell).pivot(index="statistic", columns="twin", values="cell")
    out.columns = [dataset_title(c) for c in out.columns]
    def joined(column, fmt):  # one value per statistic, or each twin's where they differ (the 1-NN references)
        parts = {}
        for stat, rows in g.groupby("statistic"):
            vals = [(r["twin"], fmt(r[column])) for _, r in rows.iterrows()
                    if not pd.isna(r[column]) and r[column] != "—"]
            distinct = list(dict.fromkeys(v for _, v in vals))  # as shown: equal to the digits shown
            parts[stat] = ("—" if not distinct else distinct[0] if len(distinct) == 1 else
                           "; ".join(f"{v} ({dataset_title(t)})" for t, v in vals))
        return [parts.get(stat, "—") for stat in out.index]

    out["real CLIP"] = joined("real CLIP", lambda v: f"{v:.3g}")
    out["target"] = joined("target", str)
    order = list(dict.fromkeys(g["statistic"]))
    return out.loc[order]


def geometry_misses(geometry: pd.DataFrame) -> pd.DataFrame:
    """The rows of a geometry table (``features.twins.geometry_table``) whose twin misses its target: the
    real dataset's name, the statistic, the twin's value and the target (empty where every target holds).

    Explained in: notebooks/08_twins."""
    miss = geometry.reset_index().query("holds == 'no'").reset_index(drop=True)
    return miss.assign(twin=miss["twin"].map(dataset_title))[["twin", "statistic", "twin value", "target"]]


def geometry_targets_met(**tables) -> pd.DataFrame:
    """How many of its geometry targets each twin meets, one column per geometry table (``name=table`` of
    ``features.twins.geometry_table``, e.g. one per twin model): "k of n".

    Explained in: notebooks/08_twins."""
    cols = {}
    for name, geometry in tables.items():
        holds = geometry.reset_index().groupby("twin", sort=False)["holds"]
        cols[name] = holds.apply(lambda h: f"{int((h == 'yes').sum())} of {int((h != '—').sum())}")
    out = pd.DataFrame(cols)
    out.index = [dataset_title(t) for t in out.index]
    return out


def dataset_title(dataset: str) -> str:
    """The real dataset's name for a twin ("CIFAR-10" for twin-cifar10), else the dataset's own name
    (:func:`laicpkg.book.display.display_name`, the book's one mapping of names)."""
    from .display import display_name

    return display_name(dataset)


def paper_cells(table: pd.DataFrame, metric: str = "ACC",
                methods=("zeroshot", "kmeans", "sic", "tac", "gradnorm")) -> pd.DataFrame:
    """The paper's table shape: methods × datasets, each cell "twin mean (paper)" in ``metric``, "—" where a
    number does not exist. ``table`` is :func:`comparison_table` (means over seeds).

    Explained in: the book's landing page and book/results/summary."""
    from ..book.paper_results import METHOD_TO_PAPER_ROW, paper_table

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
    from ..book.paper_results import METHOD_TO_PAPER_ROW

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


def final_assign_summary(fa: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds of :func:`final_assign_experiment`'s rows, per dataset, method and final step."""
    return fa.groupby(["dataset", "method", "final_assign"])[["ACC", "NMI", "ARI"]].agg(["mean", "std"])


def final_assign_bars(fa: pd.DataFrame) -> pd.DataFrame:
    """ACC mean and std per dataset and ``method + final step``: the input of :func:`~laicpkg.book.plotting.plot_method_bars`."""
    return (fa.assign(method=fa["method"] + " + " + fa["final_assign"])
            .groupby(["dataset", "method"])["ACC"].agg(["mean", "std"]).reset_index()
            .rename(columns={"mean": "ACC", "std": "ACC std"}))


def core_assignment_table(Z, y, n_clusters: int, *, random_state: int = 0) -> pd.DataFrame:
    """k-means against one density-core assignment step (IDCL Eq. 10-11, sum and mean) on fixed features.

    Explained in: notebooks/09_idcl. Euclidean k-means with 10 restarts, as IDCL clusters its embedding.
    """
    from ..core.density import DensityCoreAssignment
    from ..core.kmeans import KMeans
    from ..core.metrics import clustering_scores

    km = KMeans(n_clusters, spherical=False, nredo=10, random_state=random_state).fit(Z)
    rows = [{"assignment": "k-means", **clustering_scores(y, km.labels_)}]
    for reduce in ("sum", "mean"):
        m = DensityCoreAssignment(n_clusters, spherical=False, kmeans_nredo=10, reduce=reduce,
                                  random_state=random_state).fit(Z)
        rows.append({"assignment": f"density cores ({reduce}, Eq. 10-11)", **clustering_scores(y, m.labels_)})
    return pd.DataFrame(rows).set_index("assignment")


def core_scale_table(Z, y, n_clusters: int, scales=(0.25, 0.5, 1, 2, 4, 8, 16), *,
                     random_state: int = 0) -> pd.DataFrame:
    """Eq. 10's sum over a density core depends on the scale of the embedding: one assignment step
    (k-means, cores, Eq. 10–11 with the sum and with the mean) on ``s·Z`` for each scale ``s``.

    The Student-t kernel ``(1 + ‖z_i − z_j‖²)⁻¹`` is near 1 for points closer than 1 and near
    ``‖z_i − z_j‖⁻²`` beyond, so on a small embedding every core member counts about 1 and the sum is the
    core's size (the large clusters win), while on a large one distance dominates. Per scale: ACC of both
    reductions, the clusters left without a sample and the smallest cluster (sum).

    Explained in: notebooks/09_idcl."""
    from ..core.density import DensityCoreAssignment
    from ..core.metrics import cluster_accuracy

    Z = np.asarray(Z, dtype=np.float64)
    rows = []
    for sc in scales:
        out = {"scale": sc}
        for reduce in ("sum", "mean"):
            m = DensityCoreAssignment(n_clusters, spherical=False, kmeans_nredo=10, reduce=reduce,
                                      random_state=random_state).fit(sc * Z)
            sizes = np.bincount(m.labels_, minlength=n_clusters)
            out[f"ACC ({reduce})"] = 100.0 * cluster_accuracy(y, m.labels_)
            if reduce == "sum":
                out["empty clusters (sum)"] = int((sizes == 0).sum())
                out["smallest cluster (sum)"] = int(sizes.min())
        rows.append(out)
    return pd.DataFrame(rows).set_index("scale")


def idcl_baseline_check(table: pd.DataFrame, bases=("DEC (baseline)", "IDEC (baseline)"),
                        tolerance: float = 3.0) -> pd.DataFrame:
    """The DEC and IDEC rows of :func:`idcl_table` (with any learning-rate variant of them) against IDCL's
    Table 2: differences and whether each mean lies within ``tolerance`` points of the paper's number.

    Explained in: notebooks/09_idcl (validating the harness before judging IDCL).
    """
    from ..book.paper_results import IDCL_DIGITS

    present = [r for b in bases for r in table.index if r == b or r.startswith(b + " + ")]
    out = table.loc[present, ["ACC", "ACC std", "NMI", "NMI std", "seeds", "paper ACC", "paper NMI"]].copy()
    for r in present:  # a variant is compared with the paper's row of its baseline
        base = next(b for b in bases if r == b or r.startswith(b + " + "))
        out.loc[r, ["paper ACC", "paper NMI"]] = IDCL_DIGITS[base]
    out["ΔACC"] = out["ACC"] - out["paper ACC"]
    out["ΔNMI"] = out["NMI"] - out["paper NMI"]
    out[f"within ±{tolerance:g}"] = (out["ΔACC"].abs() <= tolerance) & (out["ΔNMI"].abs() <= tolerance)
    return out


def find_record(records, **match) -> dict:
    """The first record whose fields equal ``match`` (``variant=`` matches :func:`idcl_variant`)."""
    for r in records:
        if all((idcl_variant(r) if k == "variant" else r.get(k)) == v for k, v in match.items()):
            return r
    raise LookupError(f"no record with {match}")


def idcl_histories(records, *, seed: int = 0, order=None) -> dict:
    """Per-epoch history of every IDCL variant for one seed, in ``order`` (e.g. the rows of :func:`idcl_table`)."""
    found = {idcl_variant(r): r["history"] for r in records if r["seed"] == seed}
    return {k: found[k] for k in (order if order is not None else found) if k in found}


def twin_baseline_table(twins, seeds=(0, 1, 2)) -> pd.DataFrame:
    """Paper vs twin for CLIP k-means and zero-shot (mean over ``seeds``), with the calibration tolerances.

    One row per (twin, baseline): the twin's ACC/NMI, the paper's, the differences and whether they are
    within ±2 (ACC) and ±3 (NMI) points."""
    from ..features.datasets import get_dataset_spec
    from ..features.twins import TOLERANCE, mean_baseline_scores

    rows = []
    for twin in twins:
        achieved = mean_baseline_scores(twin, seeds)
        paper = get_dataset_spec(twin.dataset).paper
        for method, row in (("kmeans", "CLIP (k-means)"), ("zeroshot", "CLIP (zero-shot)")):
            r = {"twin": twin.name, "baseline": row}
            for k in ("ACC", "NMI"):
                here = achieved[method][k]
                r.update({f"twin {k}": round(here, 1), f"paper {k}": paper[row][k],
                          f"Δ{k}": round(here - paper[row][k], 1),
                          f"{k} within ±{TOLERANCE[k]:g}": abs(here - paper[row][k]) <= TOLERANCE[k]})
            rows.append(r)
    return pd.DataFrame(rows).set_index(["twin", "baseline"])


def twin_calibration_table(model: str | None = None) -> pd.DataFrame:
    """The committed calibrations (``laic calibrate``): per twin and baseline, the twin's ACC/NMI (mean over
    the calibration's seeds), the paper's, whether each lies within the tolerance, and the ACC of each data
    seed (how much one drawn twin can differ from the mean), the lean toward the nearest class (confusion c,
    its appearance share a; 0 where NMI was not fitted) and what lowers k-means' ACC (the ambiguity ρ, or the
    image noise σ with ρ = 0: ``laic calibrate --acc-by noise``). ``model`` "clip": the clip model's
    calibration, with its fitted parameters instead (lean partners, image lean ρ_i, appearance modes' offset ζ,
    class appearance w_a, and the image noise σ and image offset g_i, fitted to the image-side geometry where
    the defaults miss it). Reads, never runs."""
    from ..features.twins import TWIN_SPECS, calibrated_twins

    specs = TWIN_SPECS if model is None else calibrated_twins(model)
    rows = []
    for name, twin in specs.items():
        entry = twin.calibration
        if not entry:
            continue
        for method, row in (("kmeans", "CLIP (k-means)"), ("zeroshot", "CLIP (zero-shot)")):
            r = {"twin": name, "baseline": row}
            for k in ("ACC", "NMI"):
                here, paper = entry["achieved"][method][k], entry["paper"][method][k]
                r.update({f"twin {k}": round(here, 1), f"paper {k}": paper, f"Δ{k}": round(here - paper, 1),
                          f"{k} ok": "✓" if entry["within_tolerance"][method][k] else "✗"})
            per_seed = entry.get("per_seed", {}).get(method, {}).get("ACC")
            r["ACC per data seed"] = " / ".join(f"{v:.1f}" for v in per_seed) if per_seed else ""
            if twin.model == "clip":
                r["partners / ρ_i"] = f"{twin.lean_partners} / {twin.image_lean:.2f}"
                r["ζ / w_a"] = f"{twin.mode_offset:.2f} / {twin.appearance_weight:.2f}"
                r["σ / g_i"] = f"{twin.image_noise:.2f} / {twin.image_gap:.2f}"
            else:
                r["lean c / a"] = f"{twin.confusion:.2f} / {twin.confusion_appearance:.2f}"
                r["ρ / σ"] = f"{twin.ambiguity:.2f} / {twin.image_noise:g}"
            rows.append(r)
    return pd.DataFrame(rows).set_index(["twin", "baseline"])


def twin_positives_table(twin, examples: int = 5) -> pd.DataFrame:
    """Per class of a twin: its WordNet synset, how many nouns of the pool are its positives (the synset
    and its hyponym closure) and the first few of them. Read from WordNet; nothing is generated."""
    from ..features.concepts import wordnet_graph
    from ..features.twins import class_positives, get_twin

    twin = get_twin(twin) if isinstance(twin, str) else twin
    graph = wordnet_graph()
    rows = []
    for (name, wnids), closure in zip(twin.classes, class_positives(twin, graph)):
        ids = [graph.synset(w) for w in wnids]
        rest = [graph.name(i) for i in closure if i not in ids]
        rows.append({"class": name, "synset": ", ".join(wnids), "positive nouns": int(closure.size),
                     "some hyponyms": ", ".join(rest[:examples]) + (", …" if len(rest) > examples else "")})
    return pd.DataFrame(rows).set_index("class")


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


def twin_positive_names(dataset: str) -> dict:
    """{class name: the pool names (first lemmas) of its WordNet positives} for a twin; {} otherwise."""
    from ..features.concepts import wordnet_graph
    from ..features.twins import TWIN_SPECS, class_positives

    twin = TWIN_SPECS.get(dataset)
    if twin is None:
        return {}
    graph = wordnet_graph()
    return {cls: {graph.lemmas[i][0] for i in closure}
            for cls, closure in zip(twin.class_names, class_positives(twin, graph))}


def _marked(names, positive) -> str:
    """Pool names as words (underscores to spaces), ✓ after those in ``positive``."""
    return ", ".join(n.replace("_", " ") + (" ✓" if n in positive else "") for n in names)


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
