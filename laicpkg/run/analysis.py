"""Small computations the chapters show that run an algorithm: t-SNE of features and text counterparts,
k-means and density cores on an embedding, a twin's CLIP baseline rows.

Explained in: notebooks/05_pipeline, notebooks/09_idcl and notebooks/08_twins.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.counterparts import concat_features
from ..core.density import DensityCoreAssignment
from ..core.kmeans import KMeans
from ..core.metrics import cluster_accuracy, clustering_scores
from ..features.datasets import get_dataset_spec
from ..features.twins import TOLERANCE, mean_baseline_scores

__all__ = ["tsne_embed", "counterpart_tsne", "core_assignment_table", "core_scale_table", "twin_baseline_table"]


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
    panels = {}
    for name, X in {"image features e": E, "text counterparts v": V,
                    "concatenation [e; v]": concat_features(E, V)}.items():
        panels[name], idx = tsne_embed(X, n_samples=n_samples, random_state=random_state)
    return panels, idx


def core_assignment_table(Z, y, n_clusters: int, *, random_state: int = 0) -> pd.DataFrame:
    """k-means against one density-core assignment step (IDCL Eq. 10-11, sum and mean) on fixed features.

    Explained in: notebooks/09_idcl. Euclidean k-means with 10 restarts, as IDCL clusters its embedding.
    """
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


def twin_baseline_table(twins, seeds=(0, 1, 2)) -> pd.DataFrame:
    """Paper vs twin for CLIP k-means and zero-shot (mean over ``seeds``), with the calibration tolerances.

    One row per (twin, baseline): the twin's ACC/NMI, the paper's, the differences and whether they are
    within ±2 (ACC) and ±3 (NMI) points."""
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
