"""Figures of the book; notebooks call these and never draw by hand.

Explained in: every notebook that shows a figure.
"""
from __future__ import annotations

import numpy as np
from ..book.paper import METHOD_TO_PAPER_ROW, paper_table
from .display import READER_NAMES, dataset_title, display_name

__all__ = ["plot_score_vs_msp", "plot_tsne_panels", "plot_sweep", "plot_theorem2", "plot_error_grid",
           "plot_method_bars", "plot_pace_curves", "plot_density_cores", "plot_idcl_history",
           "plot_idcl_variants", "plot_loss_curves", "plot_paper_vs_twin", "plot_paper_vs_twin_rows", "plot_who_wins"]


def _plt():
    import matplotlib

    matplotlib.rcParams.update({"figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3})
    import matplotlib.pyplot as plt

    return plt


def _metric_axis(ax, metric: str, baseline: str | None) -> None:
    """The y axis of a metric in percent (0–100), or of its difference from ``baseline`` (a zero line)."""
    if baseline is None:
        ax.set_ylabel(f"{metric} (%)")
        ax.set_ylim(0, 100)
    else:
        ax.axhline(0, color="0.3", lw=1)
        ax.set_ylabel(f"{metric} − {READER_NAMES.get(baseline, baseline)} (points)")


def plot_score_vs_msp(S, msp, positive_mask=None, *, tau: float):
    """GradNorm's score S (Eq. 6) against max π̃, with the bounds τ²(1 − m)² ≤ S ≤ τ²(1 − m)(1 + ... )."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4))
    if positive_mask is None:
        ax.scatter(msp, S, s=3, alpha=0.4)
    else:
        pm = np.asarray(positive_mask, bool)
        ax.scatter(msp[~pm], S[~pm], s=3, alpha=0.3, label="negatives", color="tab:gray")
        ax.scatter(msp[pm], S[pm], s=8, alpha=0.8, label="known positives", color="tab:red")
    m = np.linspace(msp.min(), 1, 200)
    ax.plot(m, tau ** 2 * (1 - m) ** 2, "k--", lw=1, label=r"$\tau^2(1-m)^2$ (SeCu, Eq. 13)")
    ax.plot(m, 2 * tau ** 2 * (1 - m) ** 2, "k:", lw=1, label=r"$2\tau^2(1-m)^2$")
    ax.set_xlabel(r"$m = \max_j \tilde\pi_{ij}$")
    ax.set_ylabel(r"$S(\tilde t_i)$ (Eq. 6)")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_tsne_panels(panels: dict, labels, *, title: str = "", class_names=None, max_legend: int = 20):
    """One t-SNE scatter per entry of ``panels`` (name → 2-D embedding), coloured by ``labels`` (Fig. 1), with a
    legend of the classes (``class_names``; the first ``max_legend`` when there are more)."""
    plt = _plt()
    labels = np.asarray(labels)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.0 * len(panels) + 1.8, 4))
    axes = np.atleast_1d(axes)
    cmap = plt.get_cmap("tab20")
    classes = np.unique(labels)
    colour = {c: cmap(i % 20) for i, c in enumerate(classes)}
    for ax, (name, emb) in zip(axes, panels.items()):
        ax.scatter(emb[:, 0], emb[:, 1], c=[colour[c] for c in labels], s=4)
        ax.set_title(name, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    if class_names is not None:
        shown = classes[:max_legend]
        handles = [plt.Line2D([], [], ls="", marker="o", ms=5, color=colour[c], label=str(class_names[c]))
                   for c in shown]
        extra = f" (first {max_legend} of {classes.size})" if classes.size > max_legend else ""
        axes[-1].legend(handles=handles, fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5),
                        frameon=False, title="class" + extra, title_fontsize=7)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_sweep(frames: dict, param: str, *, metrics=("ACC", "NMI", "ARI"), logx: bool = False, paper_value=None):
    """Metrics against one hyper-parameter (Figs. 2-4); ``frames``: title → frame from ``experiments.sweep`` or
    ``experiments.seed_spread`` (then the mean with a band of ± one standard deviation over seeds)."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(frames), figsize=(5.5 * len(frames), 3.5), squeeze=False)
    for ax, (title, df) in zip(axes[0], frames.items()):
        df = df.reset_index() if param not in df.columns else df
        x = np.asarray(df[param], dtype=float)
        for m in metrics:
            line, = ax.plot(x, df[m], marker="o", label=m)
            if f"{m} std" in df:
                ax.fill_between(x, df[m] - df[f"{m} std"], df[m] + df[f"{m} std"], color=line.get_color(),
                                alpha=0.15, lw=0)
        if paper_value is not None:
            ax.axvline(paper_value, color="k", ls=":", lw=1, label="paper default")
        ax.set_xlabel(param)
        ax.set_ylabel("%")
        ax.set_title(title)
        if logx:
            ax.set_xscale("log")
        ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return fig


#: Reader labels for the Theorem 2 sweep's agreement columns (``laicpkg.theory``).
THEOREM2_LABELS = {
    "spearman(-S, MSP)": "rank corr. of GradNorm (S) with TAC's max-softmax",
    "spearman(-S_hat, MSP)": r"rank corr. of $\hat S$ (Eq. 13) with TAC's max-softmax",
    "spearman(-S, max cos)": "rank corr. of S with SIC's max cosine",
    "spearman(-S, max cos - mean cos)": "rank corr. of S with max − mean cosine",
    "jaccard(S, MSP) top-beta": "overlap of the kept nouns: S vs TAC",
    "jaccard(S_hat, MSP) top-beta": r"overlap of the kept nouns: $\hat S$ vs TAC",
    "jaccard(S, max cos) top-beta": "overlap of the kept nouns: S vs SIC",
}


def plot_theorem2(df):
    """Theorem 2 sweep: distance of the classifier to the class means, and agreement of GradNorm's score with
    TAC's and SIC's, against τ. The distance is positive: a log axis, floored at float32's resolution."""
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
    dist = np.maximum(np.asarray(df["max |w_tau - class mean|"], dtype=float), np.finfo(np.float32).eps)
    a.plot(df["tau"], dist, marker="o")
    a.set_xscale("log")
    a.set_yscale("log")
    a.set_xlabel(r"$\tau$")
    a.set_ylabel(r"$\max|\mathbf{w}_\tau - $ class mean$|$")
    a.set_title("the classifier tends to the class means (Eq. 11 → 12)", fontsize=9)
    for i, col in enumerate(c for c in df.columns if c in THEOREM2_LABELS):
        b.plot(df["tau"], df[col], marker="os^Dv<>"[i % 7], label=THEOREM2_LABELS[col],
               ls="-" if col.startswith("spearman") else "--")
    b.set_xscale("log")
    b.set_xlabel(r"$\tau$")
    b.set_ylim(min(0.0, float(np.nanmin(df[[c for c in df.columns if c in THEOREM2_LABELS]].values)) - 0.05), 1.05)
    b.set_title("agreement with TAC (max-softmax) and SIC (cosine)", fontsize=9)
    b.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.tight_layout()
    return fig


def plot_error_grid(df):
    """Mean Err_pos and its Markov bound against N, one line per number of positives per concept."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for b, g in df.groupby("positives per concept"):
        line, = ax.plot(g["N"], g["mean Err_pos"], marker="o", label=f"Err_pos, {b} positives/concept")
        ax.plot(g["N"], g["mean Markov bound"], ls="--", color=line.get_color(), lw=1)
    ax.set_xscale("log")
    ax.set_xlabel("N (train images)")
    ax.set_ylabel("mean over pseudo-classes")
    ax.set_title("Err_pos (solid) and the Markov step E[S]/T_k (dashed)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_method_bars(df, *, metric: str = "ACC", baseline: str | None = None):
    """Grouped bars of ``metric`` per method per dataset; ``df`` has columns dataset, method, metric[, std]
    (error bars: ± one standard deviation over seeds). The legend sits beside the axes, never on the bars.
    With ``baseline`` (a method of ``df``) each bar is the method's difference from the baseline's mean on the
    same dataset, and the baseline itself is left out: the axis shows the differences, not 0–100."""
    plt = _plt()
    pivot = df.pivot(index="dataset", columns="method", values=metric)
    err = df.pivot(index="dataset", columns="method", values=f"{metric} std") if f"{metric} std" in df else None
    methods = list(dict.fromkeys(df["method"]))
    if baseline is not None:
        pivot = pivot.sub(pivot[baseline], axis=0)
        methods = [m for m in methods if m != baseline]
    pivot = pivot[methods]
    err = err[methods] if err is not None else None
    pivot.index = [dataset_title(d) for d in pivot.index]
    if err is not None:
        err.index = pivot.index
    pivot.columns = [READER_NAMES.get(m, m) for m in pivot.columns]
    if err is not None:
        err.columns = pivot.columns
    ax = pivot.plot.bar(yerr=err, figsize=(9, 3.8), rot=25, capsize=1.5, width=0.85,
                        color=[plt.get_cmap("tab10")(i % 10) for i in range(pivot.shape[1])])
    _metric_axis(ax, metric, baseline)
    for t in ax.get_xticklabels():
        t.set_ha("right")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig = ax.get_figure()
    fig.tight_layout()
    return fig


def plot_paper_vs_twin(pvt, *, metric: str = "ACC"):
    """The paper's ``metric`` (x) against the twin's (y), one marker per method and one colour per twin:
    points on the diagonal are rows the twin reproduces. ``pvt`` is :func:`~laicpkg.book.paper.paper_vs_twin`."""
    plt = _plt()
    df = pvt.dropna(subset=[f"{metric} (paper)"]).reset_index()
    fig, ax = plt.subplots(figsize=(6.5, 5))
    markers = dict(zip(df["method"].unique(), "osD^vP*X"))
    colours = dict(zip(df["dataset"].unique(), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for _, r in df.iterrows():
        ax.scatter(r[f"{metric} (paper)"], r[metric], marker=markers[r["method"]], color=colours[r["dataset"]], s=40)
    ax.plot([0, 100], [0, 100], "k--", lw=1)
    ax.set_xlabel(f"paper {metric} (%)")
    ax.set_ylabel(f"twin {metric} (%)")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    handles = [plt.Line2D([], [], ls="", marker=m, color="gray", label=k) for k, m in markers.items()]
    handles += [plt.Line2D([], [], ls="", marker="o", color=c, label=k) for k, c in colours.items()]
    ax.legend(handles=handles, fontsize=7, ncol=2, loc="upper left")
    fig.tight_layout()
    return fig


def plot_pace_curves(curves: dict, *, n: int | None = None):
    """ζ^t per epoch for each pace (IDCL Eq. 5–6) and, when ``n`` is given, the growth n(ζ^{t+1} − ζ^t) (Eq. 4)."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2 if n else 1, figsize=(10 if n else 5, 3.6))
    axes = np.atleast_1d(axes)
    for name, z in curves.items():
        t = np.arange(1, len(z) + 1)
        axes[0].plot(t, z, label=name)
        if n:
            axes[1].plot(t[:-1], n * np.diff(z), label=name)
    axes[0].set_xlabel("epoch t")
    axes[0].set_ylabel(r"$\zeta^t$ (share of each cluster trained on)")
    axes[0].legend(fontsize=8)
    if n:
        axes[1].set_xlabel("epoch t")
        axes[1].set_ylabel(rf"samples added, $n(\zeta^{{t+1}}-\zeta^t)$, n={n}")
    fig.tight_layout()
    return fig


def plot_density_cores(emb, labels, cores, rho=None):
    """A 2-D embedding coloured by cluster, density-core members drawn large and dark (IDCL Fig. 2–3)."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2 if rho is not None else 1, figsize=(10 if rho is not None else 5, 4.2))
    axes = np.atleast_1d(axes)
    ax = axes[0]
    ax.scatter(emb[:, 0], emb[:, 1], c=labels, cmap="tab10", s=4, alpha=0.35)
    idx = np.concatenate(cores)
    ax.scatter(emb[idx, 0], emb[idx, 1], c=np.asarray(labels)[idx], cmap="tab10", s=28, edgecolors="k",
               linewidths=0.6)
    ax.set_title("clusters (small) and their density cores (large)")
    if rho is not None:
        sc = axes[1].scatter(emb[:, 0], emb[:, 1], c=rho, cmap="viridis", s=4)
        fig.colorbar(sc, ax=axes[1], label=r"local density $\rho_i$ (Eq. 1)")
        axes[1].set_title("local density")
    for a in axes:
        a.set_xticks([])
        a.set_yticks([])
        a.grid(False)
    fig.tight_layout()
    return fig


def plot_idcl_variants(histories: dict, metric: str = "ACC"):
    """One line per IDCL variant: ``metric`` per training epoch (``histories``: label -> record history)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.8))
    colours = plt.get_cmap("tab10")
    styles = ("-", "--", ":", "-.")
    for i, (label, h) in enumerate(histories.items()):  # ten colours, then the next line style
        ax.plot(h["epoch"], h[metric], label=label, lw=1.4, color=colours(i % 10), ls=styles[(i // 10) % 4])
    ax.set_xlabel("epoch")
    _metric_axis(ax, metric, None)
    ax.legend(fontsize=7.5, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title(f"{metric} per epoch (computed for this plot only)")
    fig.tight_layout()
    return fig


def plot_idcl_history(history: dict, pretrain_loss=None):
    """IDCL training: ACC/NMI per epoch (when recorded), the losses, and the curriculum size (Fig. 3c–d)."""
    plt = _plt()
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
    ep = np.asarray(history["epoch"])
    if "ACC" in history:
        axes[0].plot(ep, history["ACC"], label="ACC")
        axes[0].plot(ep, history["NMI"], label="NMI")
        axes[0].set_ylabel("%")
        axes[0].legend(fontsize=8)
    axes[0].set_title("clustering quality per epoch")
    rec = np.asarray(history["loss_rec"], dtype=float)
    kl = np.asarray(history["loss_kl"], dtype=float)
    axes[1].plot(ep, rec, label="reconstruction (Eq. 13)")
    axes[1].plot(ep, 0.1 * kl, label=r"$\alpha$ KL (Eq. 12)")
    axes[1].set_yscale("log")
    axes[1].legend(fontsize=8)
    axes[1].set_title("losses per sample")
    axes[2].plot(ep, history["n_train"], label=r"$|D^t|$")
    axes[2].set_title("curriculum size")
    for a in axes:
        a.set_xlabel("epoch")
    fig.tight_layout()
    return fig


def plot_loss_curves(records, methods, *, key: str = "total", seed: int = 0):
    """One panel per method: its training loss per epoch on every dataset (seed ``seed``).

    Explained in: notebooks/07_comparison. ``records`` are run records with a ``loss_history``.
    """
    plt = _plt()
    fig, axes = plt.subplots(1, len(methods), figsize=(4.3 * len(methods), 3.4), squeeze=False)
    for ax, method in zip(axes[0], methods):
        for r in records:
            if r["method"] == method and r["seed"] == seed and "loss_history" in r:
                curve = r["loss_history"][key]
                ax.plot(np.arange(1, len(curve) + 1), curve, label=r["dataset"])
        ax.set_title(f"{method}: {key} loss")
        ax.set_xlabel("epoch")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_paper_vs_twin_rows(table, *, metric: str = "ACC", methods=("zeroshot", "kmeans", "sic", "tac", "gradnorm")):
    """One panel per method: each dataset's paper number (open circle) and the twin's mean over seeds (filled,
    with a bar of ± one standard deviation), joined by a line whose length is the miss. ``table`` is
    :func:`~laicpkg.book.records.comparison_table`; the two CLIP panels are the twins' calibration targets.

    Explained in: the book's landing page and book/results/summary."""
    plt = _plt()
    datasets = list(table.index.get_level_values(0).unique())
    fig, axes = plt.subplots(1, len(methods), figsize=(2.0 * len(methods) + 1.2, 0.42 * len(datasets) + 1.3),
                             sharey=True, sharex=True)
    y = np.arange(len(datasets))
    for ax, m in zip(np.atleast_1d(axes), methods):
        for i, d in enumerate(datasets):
            paper = paper_table(d)
            ref = np.nan if paper is None else paper[metric].get(METHOD_TO_PAPER_ROW.get(m, ""), np.nan)
            if (d, m) not in table.index:
                continue
            here, sd = table.loc[(d, m), metric], table.loc[(d, m), f"{metric} std"]
            if not np.isnan(ref):
                ax.plot([ref, here], [i, i], color="0.75", lw=2, zorder=1)
                ax.scatter([ref], [i], facecolors="white", edgecolors="black", s=46, zorder=2,
                           label="paper" if i == 0 else None)
            ax.errorbar([here], [i], xerr=[sd], fmt="o", color="C3", ms=4.5, capsize=2, zorder=3,
                        label="twin (mean ± std)" if i == 0 else None)
        ax.set_title(READER_NAMES.get(m, m) + ("\n(calibrated)" if m in ("zeroshot", "kmeans") else "\n(predicted)"),
                     fontsize=9)
        ax.grid(axis="x", color="0.92")
        ax.set_xlim(-3, 103)  # a point at 100 is drawn whole
        ax.set_xticks([0, 50, 100])
        ax.tick_params(labelsize=8)
    first = np.atleast_1d(axes)[0]
    first.set_yticks(y, [dataset_title(d) for d in datasets])
    first.invert_yaxis()
    fig.supxlabel(f"{metric} (%)", fontsize=9)
    handles, labels = first.get_legend_handles_labels()
    last = np.atleast_1d(axes)[-1]
    h2, l2 = last.get_legend_handles_labels()
    seen = dict(zip(labels + l2, handles + h2))
    fig.legend(seen.values(), seen.keys(), loc="upper center", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 1.0))
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return fig


def plot_who_wins(paired, *, metric: str = "ACC"):
    """One panel per comparison (GradNorm − TAC, GradNorm − CLIP k-means, …): per dataset the mean paired
    difference (filled where two standard errors decide its sign, open where they do not), a bar of ± two
    standard errors and each seed's difference (small dots). ``paired`` is
    :func:`~laicpkg.book.findings.paired_table`.

    Explained in: the book's landing page and notebooks/07_comparison."""
    plt = _plt()
    pairs = list(dict.fromkeys(zip(paired["first"], paired["second"])))
    datasets = list(dict.fromkeys(paired["dataset"]))
    fig, axes = plt.subplots(1, len(pairs), figsize=(2.3 * len(pairs) + 1.4, 0.4 * len(datasets) + 1.5),
                             sharey=True)
    for ax, (a, b) in zip(np.atleast_1d(axes), pairs):
        g = paired[(paired["first"] == a) & (paired["second"] == b)].set_index("dataset")
        ax.axvline(0, color="0.4", lw=1)
        for i, d in enumerate(datasets):
            if d not in g.index:
                continue
            row = g.loc[d]
            colour = {"yes": "C2", "no": "C3"}.get(row["verdict"], "0.45")
            ax.scatter(row["per seed"], [i] * len(row["per seed"]), s=9, color=colour, alpha=0.5, zorder=2)
            ax.errorbar([row["mean"]], [i], xerr=[2 * row["se"]] if np.isfinite(row["se"]) else None, fmt="o",
                        ms=6, capsize=2.5, color=colour, mfc=colour if row["verdict"] != "tie" else "white", zorder=3)
        ax.set_title(f"{display_name(a)} − {display_name(b)}", fontsize=10)
        ax.grid(axis="x", color="0.92")
        ax.grid(axis="y", visible=False)
    first = np.atleast_1d(axes)[0]
    first.set_yticks(range(len(datasets)), [display_name(d) for d in datasets])
    first.invert_yaxis()
    fig.supxlabel(f"paired difference in {metric} (points; bar: ± 2 standard errors)", fontsize=9)
    fig.tight_layout()
    return fig
