"""The twins chapter's tables and figures: what a twin lets Stage 2 show, and how close it sits to real CLIP.

Explained in: notebooks/08_twins ("Can a twin tell the noun filters apart?", "Twins on real CLIP text").
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MODEL_NAMES", "ceilings_summary", "ceilings_display", "gain_display", "plot_ceilings",
           "real_table_comparison", "paired_differences"]

#: The twin models as a reader meets them.
MODEL_NAMES = {"tree": "tree twin", "clip": "clip twin", "real": "real-text twin"}

_STAGES = ("random nouns", "all positives", "class names")


def _title(twin: str) -> str:
    from .tables import dataset_title

    return dataset_title(twin)


def ceilings_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean ACC over data seeds of :func:`~laicpkg.run.ceilings.ceilings_table`'s rows, per twin and model, with
    the margin of Stage 2 fed the class names over Stage 2 fed random nouns (paired by data seed: mean and
    standard error, ``n − 1`` in the standard deviation) and the paper's GradNorm row for the real dataset."""
    from ..features.datasets import get_dataset_spec
    from ..features.twins import calibrated_twins

    rows = []
    for (twin, model), g in table.groupby(["twin", "model"], sort=False):
        margin = g["class names"] - g["random nouns"]
        gain = g[["class names", "all positives"]].max(axis=1) - g[["zero-shot", "CLIP k-means"]].max(axis=1)
        paper = get_dataset_spec(calibrated_twins("clip")[twin].dataset).paper
        n = len(g)
        rows.append({"dataset": _title(twin), "twin": MODEL_NAMES.get(model, model), "seeds": n,
                     "CLIP k-means": g["CLIP k-means"].mean(), "zero-shot": g["zero-shot"].mean(),
                     **{s: g[s].mean() for s in _STAGES},
                     "class names − random": margin.mean(),
                     "± SE": margin.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan,
                     "paper GradNorm": paper["GradNorm (ICCV25)"]["ACC"],
                     "right nouns − better baseline": gain.mean(),
                     "gain ± SE": gain.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan,
                     "paper: GradNorm − better CLIP row": paper["GradNorm (ICCV25)"]["ACC"] - max(
                         paper["CLIP (zero-shot)"]["ACC"], paper["CLIP (k-means)"]["ACC"])})
    return pd.DataFrame(rows).set_index(["dataset", "twin"])


#: The columns of :func:`ceilings_summary` that :func:`gain_display` shows, not :func:`ceilings_display`.
_GAIN = ("right nouns − better baseline", "gain ± SE", "paper: GradNorm − better CLIP row")


def gain_display(summary: pd.DataFrame) -> pd.DataFrame:
    """What Stage 2 adds to CLIP's own answers: Stage 2 fed the right nouns (the better of the class names and
    every positive) minus the better of zero-shot and k-means on the twin (mean ± standard error over data seeds),
    beside the paper's GradNorm minus the better of CLIP's two rows for the real dataset."""
    return pd.DataFrame({
        "twin: right nouns − better of zero-shot and k-means": [
            f"{m:+.1f} ± {se:.1f}" for m, se in zip(summary["right nouns − better baseline"], summary["gain ± SE"])],
        "paper: GradNorm − better of CLIP's zero-shot and k-means": summary["paper: GradNorm − better CLIP row"].round(1),
    }, index=summary.index)


def ceilings_display(summary: pd.DataFrame) -> pd.DataFrame:
    """:func:`ceilings_summary` for reading: ACC to one decimal, the margin with its standard error in one
    column."""
    out = summary.drop(columns=["class names − random", "± SE", *_GAIN]).round(1)
    out["class names − random"] = [f"{m:+.1f} ± {se:.1f}" for m, se in
                                   zip(summary["class names − random"], summary["± SE"])]
    return out


def plot_ceilings(summary: pd.DataFrame):
    """Stage 2's ACC with random nouns, all positives and the class names, per dataset (rows) and twin model
    (panels), beside CLIP k-means and the paper's GradNorm: where the right nouns lift Stage 2 above random ones,
    a twin can tell noun filters apart."""
    from .plotting import _plt

    plt = _plt()
    models = list(dict.fromkeys(summary.index.get_level_values("twin")))
    datasets = list(dict.fromkeys(summary.index.get_level_values("dataset")))
    fig, axes = plt.subplots(1, len(models), figsize=(4.2 * len(models) + 1.6, 0.55 * len(datasets) + 1.6),
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
    fig.legend(handles, labels, loc="center right", fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0, 1 - 1.5 / fig.get_figwidth(), 1))
    return fig


def real_table_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """The real CIFAR-10 statistics (:data:`~laicpkg.features.geometry.REAL_CIFAR10`) beside each twin's (rows of
    ``table``: twin, model, statistic, value — the mean over data seeds): real CLIP's value ± the tolerance, and
    each twin's value marked ✓ where it lies within it."""
    from ..features.geometry import REAL_CIFAR10

    out = pd.DataFrame({"real CLIP": {k: f"{t.value:g} ± {t.tolerance:g}" for k, t in REAL_CIFAR10.items()}})
    for (twin, model), g in table.groupby(["twin", "model"], sort=False):
        values = g.set_index("statistic")["value"]
        out[f"{_title(twin)}, {MODEL_NAMES.get(model, model)}"] = [
            f"{values[k]:.3g} {'✓' if t.holds(values[k]) else '✗'}" for k, t in REAL_CIFAR10.items()]
    out.index.name = "statistic (500 images)"
    return out


def paired_differences(records, first: str = "gradnorm", second: str = "tac") -> pd.DataFrame:
    """Per dataset, the mean ACC of CLIP k-means, zero-shot, ``second`` and ``first`` over their seeds, and
    ``first − second`` paired by seed (:func:`laicpkg.book.findings.paired_table`): its mean, standard error
    (``n − 1`` in the standard deviation), each seed's value, and the verdict — a difference of two standard
    errors or more is resolved."""
    from .findings import paired_table
    from .tables import READER_NAMES

    df = pd.DataFrame([{"dataset": r["dataset"], "method": r["method"], "ACC": r["metrics"]["ACC"]} for r in records])
    means = df.groupby(["dataset", "method"], sort=False)["ACC"].mean()
    a, b = READER_NAMES.get(first, first), READER_NAMES.get(second, second)
    words = {"yes": f"{a} better", "no": f"{b} better", "tie": "not resolved"}
    out = []
    for _, row in paired_table(records, pairs=((first, second),)).iterrows():
        dataset = row["dataset"]
        out.append({"dataset": _title(dataset), "seeds": row["seeds"],
                    **{READER_NAMES.get(m, m): means[(dataset, m)] for m in ("kmeans", "zeroshot", second, first)
                       if (dataset, m) in means.index},
                    f"{a} − {b}": f"{row['mean']:+.2f} ± {row['se']:.2f}",
                    "per seed": " / ".join(f"{x:+.1f}" for x in row["per seed"]), "verdict": words[row["verdict"]]})
    return pd.DataFrame(out).set_index("dataset").round(1)
