"""Figures of the book; notebooks call these and never draw by hand.

Explained in: every notebook that shows a figure.
"""
from __future__ import annotations

import numpy as np

__all__ = ["plot_score_vs_msp", "plot_tsne_panels", "plot_sweep", "plot_theorem2", "plot_error_grid",
           "plot_method_bars"]


def _plt():
    import matplotlib

    matplotlib.rcParams.update({"figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3})
    import matplotlib.pyplot as plt

    return plt


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


def plot_tsne_panels(panels: dict, labels, *, title: str = ""):
    """One t-SNE scatter per entry of ``panels`` (name → 2-D embedding), coloured by ``labels`` (Fig. 1)."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4))
    axes = np.atleast_1d(axes)
    for ax, (name, emb) in zip(axes, panels.items()):
        ax.scatter(emb[:, 0], emb[:, 1], c=labels, s=4, cmap="tab20")
        ax.set_title(name)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_sweep(frames: dict, param: str, *, metrics=("ACC", "NMI", "ARI"), logx: bool = False, paper_value=None):
    """Metrics against one hyper-parameter (Figs. 2-4); ``frames``: title → frame from ``experiments.sweep``."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(frames), figsize=(5 * len(frames), 3.5), squeeze=False)
    for ax, (title, df) in zip(axes[0], frames.items()):
        for m in metrics:
            ax.plot(df[param], df[m], marker="o", label=m)
        if paper_value is not None:
            ax.axvline(paper_value, color="k", ls=":", lw=1, label="paper default")
        ax.set_xlabel(param)
        ax.set_title(title)
        if logx:
            ax.set_xscale("log")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_theorem2(df):
    """Theorem 2 sweep: distance to class means and agreement with TAC's and SIC's scores against τ."""
    plt = _plt()
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.6))
    a.plot(df["tau"], df["max |w_tau - class mean|"], marker="o")
    a.set_xscale("log")
    a.set_yscale("symlog", linthresh=1e-6)
    a.set_xlabel(r"$\tau$")
    a.set_title(r"$\max|w_\tau - $ class mean$|$ (Eq. 11 → Eq. 12)")
    for col in [c for c in df.columns if c.startswith("spearman") or c.startswith("jaccard")]:
        b.plot(df["tau"], df[col], marker="o", label=col)
    b.set_xscale("log")
    b.set_xlabel(r"$\tau$")
    b.set_title("agreement with TAC (MSP) and SIC (cosine)")
    b.legend(fontsize=7)
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


def plot_method_bars(df, *, metric: str = "ACC"):
    """Grouped bars of ``metric`` per method per dataset; ``df`` has columns dataset, method, metric[, std]."""
    plt = _plt()
    pivot = df.pivot(index="dataset", columns="method", values=metric)
    err = df.pivot(index="dataset", columns="method", values=f"{metric} std") if f"{metric} std" in df else None
    ax = pivot.plot.bar(yerr=err, figsize=(8, 3.8), rot=0, capsize=2)
    ax.set_ylabel(f"{metric} (%)")
    ax.legend(fontsize=8, ncol=3)
    fig = ax.get_figure()
    fig.tight_layout()
    return fig
