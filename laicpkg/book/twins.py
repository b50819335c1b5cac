"""The twins chapter's tables and figures: what a twin lets Stage 2 show, and how close it sits to real CLIP.

Explained in: notebooks/08_twins ("Can a twin tell the noun filters apart?", "Twins on real CLIP text").
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..features.concepts import wordnet_graph
from ..features.datasets import get_dataset_spec
from ..catalog.geometry import REAL_CIFAR10
from ..features.twins import TWIN_SPECS, calibrated_twins, class_positives, get_twin
from .display import READER_NAMES, dataset_title
from .findings import paired_table
from .findings.common import standard_error
from .plotting import _plt

__all__ = ["MODEL_NAMES", "ceilings_summary", "ceilings_display", "gain_display", "plot_ceilings", "objectives_summary", "seeding_summary",
           "real_table_comparison", "paired_differences", "geometry_summary", "geometry_misses",
           "geometry_targets_met", "twin_calibration_table", "twin_positives_table"]

#: The twin models as a reader meets them.
MODEL_NAMES = {"tree": "tree twin", "clip": "clip twin", "real": "real-text twin",
               "real-completed": "real-text twin, completed pool"}

_STAGES = ("random nouns", "all positives", "class names")


def ceilings_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean ACC over data seeds of :func:`~laicpkg.run.ceilings.ceilings_table`'s rows, per twin and model, with
    the margin of Stage 2 fed the class names over Stage 2 fed random nouns (paired by data seed: mean and
    standard error, ``n − 1`` in the standard deviation) and the paper's GradNorm row for the real dataset."""
    rows = []
    for (twin, model), g in table.groupby(["twin", "model"], sort=False):
        margin = g["class names"] - g["random nouns"]
        gain = g[["class names", "all positives"]].max(axis=1) - g[["zero-shot", "CLIP k-means"]].max(axis=1)
        paper = get_dataset_spec(calibrated_twins("clip")[twin].dataset).paper
        n = len(g)
        rows.append({"dataset": dataset_title(twin), "twin": MODEL_NAMES.get(model, model), "seeds": n,
                     "CLIP k-means": g["CLIP k-means"].mean(), "zero-shot": g["zero-shot"].mean(),
                     **{s: g[s].mean() for s in _STAGES},
                     "class names − random": margin.mean(),
                     "± SE": standard_error(margin),
                     "paper GradNorm": paper["GradNorm (ICCV25)"]["ACC"],
                     "right nouns − better baseline": gain.mean(),
                     "gain ± SE": standard_error(gain),
                     "paper: GradNorm − better CLIP row": paper["GradNorm (ICCV25)"]["ACC"] - max(
                         paper["CLIP (zero-shot)"]["ACC"], paper["CLIP (k-means)"]["ACC"])})
    return pd.DataFrame(rows).set_index(["dataset", "twin"])


#: The columns of :func:`ceilings_summary` that :func:`gain_display` shows, not :func:`ceilings_display`.
_GAIN = ("right nouns − better baseline", "gain ± SE", "paper: GradNorm − better CLIP row")


def gain_display(summary: pd.DataFrame) -> pd.DataFrame:
    """What Stage 2 adds to CLIP's own answers: Stage 2 fed the right nouns (the better of the class names and
    every positive) minus the better of zero-shot and k-means on the twin (mean ± standard error over data seeds),
    beside the paper's GradNorm minus the better of CLIP's two rows for the real dataset."""
    gain = [f"{m:+.1f} ± {se:.1f}" for m, se in zip(summary["right nouns − better baseline"], summary["gain ± SE"])]
    return pd.DataFrame({"twin: right nouns − better of zero-shot and k-means": gain,
                         "paper: GradNorm − better of CLIP's zero-shot and k-means":
                             summary["paper: GradNorm − better CLIP row"].round(1)}, index=summary.index)


def ceilings_display(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`ceilings_summary` for reading: ACC to one decimal, the margin with its standard error in one
    column."""
    out = summary.drop(columns=["class names − random", "± SE", *_GAIN]).round(1)
    out["class names − random"] = [f"{m:+.1f} ± {se:.1f}" for m, se in
                                   zip(summary["class names − random"], summary["± SE"])]
    return out


#: The columns of :func:`laicpkg.run.ceilings.stage2_objectives`, in reading order.
_OBJECTIVES = ("objective, k-means found", "objective, zero-shot", "objective, true classes", "ACC, k-means found",
               "ACC, zero-shot")


def objectives_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean over data seeds of :func:`~laicpkg.run.ceilings.objectives_table`'s rows, per dataset and twin model:
    spherical k-means' objective on ``[e; v]`` of Stage 2 fed the class names for the partition its restarts find,
    zero-shot's and the true classes' (four decimals), and the ACC of the first two (one decimal)."""
    out = table.assign(dataset=[dataset_title(t) for t in table["twin"]],
                       twin=[MODEL_NAMES.get(m, m) for m in table["model"]])
    out = out.groupby(["dataset", "twin"], sort=False)[list(_OBJECTIVES)].mean()
    return out.round({c: 4 if c.startswith("objective") else 1 for c in _OBJECTIVES})


#: The columns of :func:`laicpkg.run.ceilings.stage2_seeding`, in reading order.
_SEEDING = ("zero-shot", "class names, random starts", "class names, k-means++ starts", "random nouns, random starts",
            "random nouns, k-means++ starts")


def seeding_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean ACC over data seeds of :func:`~laicpkg.run.ceilings.seeding_table`'s rows, per dataset and twin model
    (one decimal), with the margin of the class names over random nouns from k-means++ starts (paired by data seed:
    mean and standard error, ``n − 1`` in the standard deviation)."""
    rows = []
    for (twin, model), g in table.groupby(["twin", "model"], sort=False):
        margin = g["class names, k-means++ starts"] - g["random nouns, k-means++ starts"]
        rows.append({"dataset": dataset_title(twin), "twin": MODEL_NAMES.get(model, model), "seeds": len(g),
                     **{c: round(g[c].mean(), 1) for c in _SEEDING},
                     "class names − random, k-means++ starts": round(margin.mean(), 1),
                     "± SE": round(standard_error(margin), 1)})
    return pd.DataFrame(rows).set_index(["dataset", "twin"])


def plot_ceilings(summary: pd.DataFrame):
    """Stage 2's ACC with random nouns, all positives and the class names, per dataset (rows) and twin model
    (panels), beside CLIP k-means and the paper's GradNorm: where the right nouns lift Stage 2 above random ones,
    a twin can tell noun filters apart."""
    plt = _plt()
    models = list(dict.fromkeys(summary.index.get_level_values("twin")))
    datasets = list(dict.fromkeys(summary.index.get_level_values("dataset")))
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models) + 1.6, 0.55 * len(datasets) + 2.0),
                             sharey=True, squeeze=False, dpi=150)
    style = {"random nouns": ("o", "none", "tab:gray"), "all positives": ("^", "tab:blue", "tab:blue"),
             "class names": ("o", "tab:green", "tab:green"), "CLIP k-means": ("|", "black", "black"),
             "paper GradNorm": ("*", "tab:red", "tab:red")}
    y = np.arange(len(datasets))[::-1]
    for ax, model in zip(axes[0], models):
        part = summary.xs(model, level="twin").reindex(datasets)
        ax.hlines(y, part[list(_STAGES)].min(axis=1), part[list(_STAGES)].max(axis=1), color="0.8", lw=3)
        for column, (marker, face, edge) in style.items():
            if marker == "|":  # a line marker has no face
                ax.scatter(part[column], y, marker=marker, color=edge, s=160, label=column, zorder=3)
            else:
                ax.scatter(part[column], y, marker=marker, facecolors=face, edgecolors=edge, s=60, label=column,
                           zorder=3)
        ax.set_title(model, fontsize=10)
        ax.set_xlabel("ACC (%)", fontsize=9)
        ax.tick_params(labelsize=9)
    axes[0][0].set_yticks(y, datasets)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.6 / fig.get_figheight(), 1, 1))
    return fig


def real_table_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """The real CIFAR-10 statistics (:data:`~laicpkg.catalog.geometry.REAL_CIFAR10`) beside each twin's (rows of
    ``table``: twin, model, statistic, value — the mean over data seeds): real CLIP's value ± the tolerance, and
    each twin's value marked ✓ where it lies within it."""
    out = pd.DataFrame({"real CLIP": {k: f"{t.value:g} ± {t.tolerance:g}" for k, t in REAL_CIFAR10.items()}})
    for (twin, model), g in table.groupby(["twin", "model"], sort=False):
        values = g.set_index("statistic")["value"]
        out[f"{dataset_title(twin)}, {MODEL_NAMES.get(model, model)}"] = [
            f"{values[k]:.3g} {'✓' if t.holds(values[k]) else '✗'}" for k, t in REAL_CIFAR10.items()]
    out.index.name = "statistic (500 images)"
    return out


def paired_differences(records, first: str = "gradnorm", second: str = "tac") -> pd.DataFrame:
    """Per dataset, the mean ACC of CLIP k-means, zero-shot, ``second`` and ``first`` over their seeds, and
    ``first − second`` paired by seed (:func:`laicpkg.book.findings.paired_table`): its mean, standard error
    (``n − 1`` in the standard deviation), each seed's value, and the verdict — a difference of two standard
    errors or more is resolved."""
    df = pd.DataFrame([{"dataset": r["dataset"], "method": r["method"], "ACC": r["metrics"]["ACC"]} for r in records])
    means = df.groupby(["dataset", "method"], sort=False)["ACC"].mean()
    a, b = READER_NAMES.get(first, first), READER_NAMES.get(second, second)
    words = {"yes": f"{a} better", "no": f"{b} better", "tie": "not resolved"}
    out = []
    for _, row in paired_table(records, pairs=((first, second),)).iterrows():
        dataset = row["dataset"]
        out.append({"dataset": dataset_title(dataset), "seeds": row["seeds"],
                    **{READER_NAMES.get(m, m): means[(dataset, m)] for m in ("kmeans", "zeroshot", second, first)
                       if (dataset, m) in means.index},
                    f"{a} − {b}": f"{row['mean']:+.2f} ± {row['se']:.2f}",
                    "per seed": " / ".join(f"{x:+.1f}" for x in row["per seed"]), "verdict": words[row["verdict"]]})
    return pd.DataFrame(out).set_index("dataset").round(1)


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


def twin_calibration_table(model: str | None = None) -> pd.DataFrame:
    """The committed calibrations (``laic calibrate``): per twin and baseline, the twin's ACC/NMI (mean over
    the calibration's seeds), the paper's, whether each lies within the tolerance, and the ACC of each data
    seed (how much one drawn twin can differ from the mean), the lean toward the nearest class (confusion c,
    its appearance share a; 0 where NMI was not fitted) and what lowers k-means' ACC (the ambiguity ρ, or the
    image noise σ with ρ = 0: ``laic calibrate --acc-by noise``). ``model`` "clip": the clip model's
    calibration, with its fitted parameters instead (lean partners, image lean ρ_i, appearance modes' offset ζ,
    class appearance w_a, and the image noise σ and image offset g_i, fitted to the image-side geometry where
    the defaults miss it). Reads, never runs."""
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
    twin = get_twin(twin) if isinstance(twin, str) else twin
    graph = wordnet_graph()
    rows = []
    for (name, wnids), closure in zip(twin.classes, class_positives(twin, graph)):
        ids = [graph.synset(w) for w in wnids]
        rest = [graph.name(i) for i in closure if i not in ids]
        rows.append({"class": name, "synset": ", ".join(wnids), "positive nouns": int(closure.size),
                     "some hyponyms": ", ".join(rest[:examples]) + (", …" if len(rest) > examples else "")})
    return pd.DataFrame(rows).set_index("class")
