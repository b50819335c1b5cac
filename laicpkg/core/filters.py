"""The arithmetic of noun filters: which wild nouns count as candidate positive semantics.

Explained in: notebooks/03_theorem2_limits (TAC and SIC as special cases of Eq. 6)
and notebooks/05_pipeline (the three filters side by side).

The filters are Stage 1 of the estimators in :mod:`laicpkg.methods`; this module
holds what they compute: the pseudo-class count rule, per-group top-β selection
(Eq. 8), normalised class means (Eq. 12), blocked logits, and the baselines' scores:

* :func:`max_softmax_scores` — TAC's reference code: maximum softmax probability over
  normalised pseudo-class means (the τ→0 special case, Eq. 13 of GradNorm);
* :func:`uniqueness` and :func:`nearest_per_center` — SIC's semantic-space construction
  (SIC paper, Eq. 1 and the paragraph after it; the cosine special case, Eq. 14–15 of GradNorm).
"""
from __future__ import annotations

import numpy as np
import torch

from ..utils.validation import check_int
from ..utils.validation import resolve_device

__all__ = ["pseudo_class_count", "select_per_group", "normalized_class_means", "iter_logit_chunks",
           "max_softmax_scores", "uniqueness", "nearest_per_center", "to_half", "select_per_group_as_torch",
           "tac_scores_fp16", "batch_mean_center"]

#: elements of one (chunk of nouns × pseudo-classes) block; bounds scoring memory (4 MiB in float32).
BLOCK_ELEMENTS = 1 << 20


def pseudo_class_count(n_samples: int, n_clusters: int, samples_per_class: int) -> int:
    """The pseudo-class count rule of TAC and GradNorm (GradNorm Sec. 5.1.2).

    ``round(N / samples_per_class)`` when the average class size ``N / K``
    exceeds ``samples_per_class``, otherwise ``3K``. GradNorm uses 600, TAC's
    code 300 (CIFAR-10: 83 and 167; ImageNet-1K: 2135 and 4271).
    Halves round up.
    """
    n_samples = check_int(n_samples, "n_samples")
    n_clusters = check_int(n_clusters, "n_clusters")
    if n_samples / n_clusters > samples_per_class:
        return int(np.floor(n_samples / samples_per_class + 0.5))
    return 3 * n_clusters


def select_per_group(scores, groups, n_groups: int, k: int, *, largest: bool = False):
    """Keep the ``k`` best-scored items of every group (GradNorm Eq. 8).

    Parameters
    ----------
    scores : ndarray of shape (n_items,)
    groups : ndarray of shape (n_items,)
        Group (pseudo-class) of every item, in ``[0, n_groups)``.
    k : int
        Items kept per group (β); a group with fewer items keeps all of them.
    largest : bool
        Keep the largest scores instead of the smallest.

    Returns
    -------
    per_group : list of ndarray
        For each group, the kept item indices, best first (ties by index).
    group_sizes : ndarray of shape (n_groups,)
        How many items each group had before selection.
    """
    scores = np.asarray(scores, dtype=np.float64)
    groups = np.asarray(groups, dtype=np.int64)
    key = -scores if largest else scores
    order = np.lexsort((np.arange(scores.size), key, groups))
    g_sorted = groups[order]
    sizes = np.bincount(groups, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank = np.arange(order.size) - starts[g_sorted]
    keep = order[rank < k]
    kept_groups = groups[keep]
    bounds = np.concatenate(([0], np.cumsum(np.bincount(kept_groups, minlength=n_groups))))
    per_group = [keep[bounds[j]:bounds[j + 1]] for j in range(n_groups)]
    return per_group, sizes


def normalized_class_means(E: np.ndarray, labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Unit-norm class means as columns, shape (d, n_classes) (GradNorm Eq. 12).

    An empty class gets a zero column.
    """
    sums = np.zeros((n_classes, E.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, E)
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    means = np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0)
    return np.ascontiguousarray(means.T, dtype=np.float32)


def iter_logit_chunks(R: np.ndarray, W: np.ndarray, scale: float, *, device: str = "cpu",
                      chunk_size: int | None = None, dtype=torch.float32):
    """Yield ``(start, stop, scale * R[start:stop] @ W)`` as torch blocks.

    The block size keeps ``chunk × C`` below :data:`BLOCK_ELEMENTS`, so M = 82k
    nouns against C = 2,135 pseudo-classes never materialises the full matrix.
    On the CPU the product is taken by NumPy's BLAS (faster than torch's for
    this tall-skinny shape on the project machines); on CUDA by torch.
    """
    device = resolve_device(device)
    n_classes = W.shape[1]
    if chunk_size is None:
        chunk_size = max(1, BLOCK_ELEMENTS // max(n_classes, 1))
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    W_scaled = np.ascontiguousarray(np.asarray(W, dtype=np_dtype) * np_dtype(scale))
    # fp16 (the GradNorm authors' scoring): inputs rounded to half precision, product and softmax in half
    Wt = None if device == "cpu" and dtype != torch.float16 else torch.as_tensor(W_scaled, device=device).to(dtype)
    for start in range(0, R.shape[0], chunk_size):
        stop = min(start + chunk_size, R.shape[0])
        Rc = np.asarray(R[start:stop], dtype=np_dtype)
        if Wt is None:
            yield start, stop, torch.from_numpy(Rc @ W_scaled)
        else:
            yield start, stop, torch.as_tensor(Rc, device=device).to(dtype) @ Wt


def max_softmax_scores(R: np.ndarray, W: np.ndarray, temperature: float = 1.0, *, device: str = "cpu"):
    """TAC's score: ``p_i = softmax_j(r_iᵀ w_j / temperature)``; returns ``(max_j p_ij, argmax_j p_ij)``.

    GradNorm Eq. 13 (the maximum softmax probability); float32 and int64 arrays of length n_nouns.
    """
    msp = np.empty(R.shape[0], dtype=np.float32)
    assign = np.empty(R.shape[0], dtype=np.int64)
    for a, b, logits in iter_logit_chunks(R, W, 1.0 / temperature, device=device):
        p_max, arg = torch.softmax(logits, dim=1).max(dim=1)
        msp[a:b] = p_max.cpu().numpy()
        assign[a:b] = arg.cpu().numpy()
    return msp, assign


def uniqueness(R: np.ndarray, center: np.ndarray | None = None) -> np.ndarray:
    """SIC Eq. 1: ``ρ(w) = 1 − cos(w, ē)`` with ``ē`` the normalised mean of the (unit) noun features
    (or the given unit ``center``, e.g. :func:`batch_mean_center`)."""
    if center is None:
        center = R.mean(axis=0)
        center /= max(np.linalg.norm(center), np.finfo(np.float32).tiny)
    return 1.0 - R @ center


def nearest_per_center(centers: np.ndarray, R: np.ndarray, pool: np.ndarray, k: int) -> list:
    """Per centre, the ``k`` nouns of ``pool`` of highest cosine, best first (ties: lower index first).

    SIC's "γ_r nearest nouns" of every image-cluster centre (GradNorm Eq. 15's score).
    """
    sims = centers @ R[pool].T  # (K, |pool|)
    n_take = min(k, pool.size)
    out = []
    for j in range(centers.shape[0]):
        top = np.argpartition(-sims[j], n_take - 1)[:n_take]
        top = top[np.lexsort((pool[top], -sims[j, top]))]
        out.append(pool[top].astype(np.int64))
    return out


# -- the authors' fp16 arithmetic, reproduced on any device ------------------------------------------------
# TAC's and GradNorm's public code move the features to the GPU in half precision and compute centres,
# similarities and softmaxes there. A half-precision GPU kernel reads fp16 operands, accumulates in fp32 and
# rounds its result to fp16 once; the functions below do the same with float32 NumPy arithmetic and one
# rounding (:func:`to_half`) after every operation whose output the code stores in half precision, so they
# run at fp32 speed on the CPU. Products are summed in another order than cuBLAS sums them, so a value can
# round to the neighbouring fp16 number in rare cases.

def to_half(x) -> np.ndarray:
    """``x`` rounded to the nearest fp16 number, returned as float32 (the value a half tensor holds).

    Converted by torch (vectorised; numpy's float16 casts are several times slower), round to nearest even
    as IEEE 754 and numpy do."""
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    return t.to(torch.float16).to(torch.float32).numpy()


def _softmax_half(logits: np.ndarray, axis: int) -> np.ndarray:
    """``torch.softmax`` of a half tensor: fp32 arithmetic on the fp16 logits, the result rounded to fp16."""
    z = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(z, dtype=np.float32)
    return to_half(e / e.sum(axis=axis, keepdims=True, dtype=np.float32))


def select_per_group_as_torch(values, groups, n_groups: int, k: int) -> tuple[list, np.ndarray]:
    """The authors' per-group selection: for every group, its items in index order, ranked by
    ``torch.argsort(values, descending=True)`` on the CPU, the first ``k`` kept.

    torch's CPU sort is not stable, so among equal values (frequent in fp16) the kept items are the ones
    its sort puts first — reproduced by calling the same sort on the same float32 values. Returns
    ``(per_group, group_sizes)`` as :func:`select_per_group` does (best first)."""
    values = np.asarray(values, dtype=np.float32)
    groups = np.asarray(groups, dtype=np.int64)
    order = np.argsort(groups, kind="stable")  # every group's items in index order, as torch.where gives them
    sizes = np.bincount(groups, minlength=n_groups)
    bounds = np.concatenate(([0], np.cumsum(sizes)))
    per_group = []
    for j in range(n_groups):
        members = order[bounds[j]:bounds[j + 1]]
        if members.size == 0:
            per_group.append(members.astype(np.int64))
            continue
        rank = torch.argsort(torch.from_numpy(values[members]), descending=True).numpy()
        per_group.append(members[rank[:k]].astype(np.int64))
    return per_group, sizes


def tac_scores_fp16(E: np.ndarray, labels: np.ndarray, n_classes: int, R: np.ndarray, temperature: float = 1.0,
                    chunk_size: int | None = None):
    """TAC's noun scores in its code's half-precision order: ``(max_j p_ij, argmax_j p_ij)`` per noun.

    Image and noun features rounded to fp16; each pseudo-class centre the fp16 mean of its images; the
    centres normalised in fp16 (norm, then quotient); similarities ``centres @ nounsᵀ`` rounded to fp16 (and
    divided by ``temperature`` in fp16 when it is not 1); the softmax over centres in fp16. An empty
    pseudo-class gets a zero centre (the code's would be NaN and poison every noun's softmax).
    GradNorm Eq. 13's score; the float32 path is :func:`max_softmax_scores`."""
    Eh = to_half(E)
    sums = np.zeros((n_classes, Eh.shape[1]), dtype=np.float64)
    np.add.at(sums, labels, Eh)
    counts = np.bincount(labels, minlength=n_classes)
    centres = to_half(np.divide(sums, counts[:, None], out=np.zeros_like(sums), where=counts[:, None] > 0))
    norms = to_half(np.sqrt((centres.astype(np.float64) ** 2).sum(axis=1)))
    centres = to_half(centres / np.maximum(norms, np.float32(1e-12))[:, None])
    Rh = to_half(R)
    if chunk_size is None:
        chunk_size = max(1, BLOCK_ELEMENTS // max(n_classes, 1))
    msp = np.empty(Rh.shape[0], dtype=np.float32)
    assign = np.empty(Rh.shape[0], dtype=np.int64)
    for a in range(0, Rh.shape[0], chunk_size):
        sim = to_half(centres @ Rh[a:a + chunk_size].T)                  # (C, chunk)
        if temperature != 1.0:
            sim = to_half(sim / np.float32(temperature))
        p = _softmax_half(sim, axis=0)                                     # over the centres, as the code
        msp[a:a + chunk_size] = p.max(axis=0)
        assign[a:a + chunk_size] = p.argmax(axis=0)
    return msp, assign


def batch_mean_center(R: np.ndarray, batch_size: int) -> np.ndarray:
    """SIC's code's noun centre: the mean of per-batch means over consecutive batches of ``batch_size`` nouns
    (the last, smaller batch weighs as much as a full one), normalised. :func:`uniqueness` uses the exact
    mean; both give ``ē`` of SIC Eq. 1."""
    R = np.asarray(R, dtype=np.float32)
    means = np.stack([R[a:a + batch_size].mean(axis=0) for a in range(0, R.shape[0], batch_size)])
    center = means.mean(axis=0)
    return center / max(float(np.linalg.norm(center)), float(np.finfo(np.float32).tiny))
