"""Computations behind the theory chapters: Eq. 6 derived symbolically, Theorem 2's fixed point and
limits, and Theorem 1's quantities measured on data with planted positives.

Explained in: notebooks/02_eq6_derivation, notebooks/03_theorem2_limits, notebooks/04_theorem1_on_data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from .features.synthetic import make_synthetic
from .core.filters import normalized_class_means, select_per_group
from .methods.gradnorm import GradNorm
from .core.kmeans import KMeans
from .utils.validation import as_features, check_positive
from .core.gradnorm import TAU, gradnorm_scores, train_erm_classifier
from .core.metrics import filter_precision_recall

__all__ = ["derive_eq6", "gradient_norm_autograd", "softmax_rows", "secu_fixed_point", "secu_fixed_point_table", "fixed_point_status", "secu_scores", "msp_scores", "max_cosine",
           "theorem2_sweep", "self_bounding", "theorem1_table", "theorem1_leading_term", "theorem1_error_grid", "sample_split_check",
           "modality_gap_table"]


# ----------------------------------------------------------------------------------------------- Eq. 6

def derive_eq6(n_classes: int = 3):
    """The appendix's derivation of Eq. 6, step by step, with sympy.

    Works with the logits ``z_k = τ r̃ᵀw_k`` so that ``∂z_k/∂w_k = τ r̃``. Returns a
    list of ``(description, sympy expression)`` and a dict of the symbols.
    """
    import sympy as sp

    C = n_classes
    tau = sp.Symbol("tau", positive=True)
    rr = sp.Symbol(r"\lVert\tilde{\mathbf{r}}\rVert^{2}", positive=True)   # ‖r̃‖², printed as such
    z = sp.symbols(f"z1:{C + 1}", real=True)
    y = 0  # label ỹ = class 1 without loss of generality
    denom = sum(sp.exp(zk) for zk in z)
    loss = -sp.log(sp.exp(z[y]) / denom)
    pis = [sp.exp(zk) / denom for zk in z]
    p = sp.symbols(f"pi1:{C + 1}", positive=True)
    dl_dz = [sp.simplify(sp.diff(loss, zk)) for zk in z]
    # ∂ℓ/∂z_k = π_k − 𝟙[k = ỹ]: check symbolically
    checks = [sp.simplify(dl_dz[k] - (pis[k] - (1 if k == y else 0))) for k in range(C)]
    grad_sq = tau ** 2 * rr * sum((p[k] - (1 if k == y else 0)) ** 2 for k in range(C))
    expanded = sp.expand(grad_sq)
    # Use Σ_k π_k = 1 to remove the linear terms except 2π_ỹ
    closed = tau ** 2 * rr * (sum(pk ** 2 for pk in p) + 1 - 2 * p[y])
    steps = [  # descriptions in LaTeX (inline math between $…$), for a reader's page
        (r"cross-entropy at label $\tilde y = 1$ (Eq. 4), logits $z_k = \tau\tilde{\mathbf r}^\top\mathbf w_k$", loss),
        (r"$\partial\ell/\partial z_k$, $k = 1,\dots,C$", sp.Matrix(dl_dz)),
        (r"$\partial\ell/\partial z_k - (\tilde\pi_k - \mathbb 1[k = \tilde y])$ (all zero)", sp.Matrix(checks)),
        (r"$\lVert\partial\ell/\partial\mathbf W\rVert_F^2 = \sum_k \lVert(\tilde\pi_k - \mathbb 1[k = \tilde y])\,"
         r"\tau\tilde{\mathbf r}\rVert^2$", grad_sq),
        ("expanded", expanded),
        (r"Eq. 6 for $\lVert\tilde{\mathbf r}\rVert^2 = 1$: "
         r"$\tau^2(\sum_k\tilde\pi_k^2 + 1 - 2\tilde\pi_{\tilde y})$, $\tilde\pi_{\tilde y} = \max_j\tilde\pi_j$",
         closed.subs(rr, 1)),
        (r"expanded minus Eq. 6 (zero: "
         r"$(\tilde\pi_{\tilde y} - 1)^2 = \tilde\pi_{\tilde y}^2 - 2\tilde\pi_{\tilde y} + 1$)",
         sp.simplify(expanded - closed)),
    ]
    return steps, {"tau": tau, "r_norm2": rr, "z": z, "pi": p}


def gradient_norm_autograd(r, W, tau: float) -> tuple[float, int]:
    """``‖∂ℓ(h(r̃; W), ỹ)/∂W‖²_F`` by torch autograd for one noun (the slow definition of Eq. 6).

    Returns the squared norm and ỹ = argmax of the logits. Used to check the closed form.
    """
    import torch

    Wt = torch.tensor(np.asarray(W), dtype=torch.float64, requires_grad=True)
    logits = tau * torch.tensor(np.asarray(r), dtype=torch.float64) @ Wt
    y = int(torch.argmax(logits))
    loss = torch.nn.functional.cross_entropy(logits[None], torch.tensor([y]))
    (g,) = torch.autograd.grad(loss, Wt)
    return float((g ** 2).sum()), y


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax in float64."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# ------------------------------------------------------------------------------------------ Theorem 2

def secu_fixed_point(E, y, n_classes: int, tau: float, *, n_iter: int = 200, tol: float = 1e-10, W0=None):
    """Iterate the fixed point of Eq. 11 (SeCu loss, Eq. 10, with ‖w_k‖ = 1).

    ``w_j ← Λ(Σ_{i:y_i=j} (1 − π_ij) e_i / Σ_{i:y_i=j} (1 − π_ij))`` with
    ``π_{i,y_i} = softmax_k(τ e_iᵀ w_k)[y_i]``. Starts from the normalised class
    means (the τ→0 limit, Eq. 12) unless ``W0`` is given.

    Returns ``(W, deltas)``: W of shape (d, C) and the largest column change per iteration.
    """
    E = as_features(E, "image features", dtype=np.float64)
    y = np.asarray(y, dtype=np.int64)
    tau = check_positive(tau, "tau")
    W = normalized_class_means(E, y, n_classes).astype(np.float64) if W0 is None else np.array(W0, np.float64)
    deltas = []
    for _ in range(n_iter):
        pi = softmax_rows(tau * E @ W)[np.arange(E.shape[0]), y]
        weights = 1.0 - pi
        sums = np.zeros((n_classes, E.shape[1]))
        np.add.at(sums, y, weights[:, None] * E)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        W_new = np.divide(sums, norms, out=np.zeros_like(sums), where=norms > 0).T
        deltas.append(float(np.abs(W_new - W).max()))
        W = W_new
        if deltas[-1] < tol:
            break
    return W, deltas


def fixed_point_status(deltas, tol: float = 1e-10, window: int = 50) -> str:
    """How the iteration of Eq. 11 ended: ``converged`` (last step below ``tol``), ``oscillating`` (the step
    size over the last ``window`` steps does not shrink: its smallest value is above half its largest), or
    ``slow`` (still shrinking when the iterations ran out)."""
    if deltas[-1] < tol:
        return "converged"
    tail = np.asarray(deltas[-window:])
    return "oscillating" if tail.min() > 0.5 * tail.max() else "slow"


def secu_fixed_point_table(E, y, n_classes: int, taus, *, n_iter: int = 200) -> pd.DataFrame:
    """For each τ: iterations of Eq. 11 used, how it ended (:func:`fixed_point_status`), the last step size
    and the distance to the class means (Eq. 12).

    Explained in: notebooks/03_theorem2_limits.
    """
    means = normalized_class_means(as_features(E, "image features", dtype=np.float64), np.asarray(y), n_classes)
    rows = []
    for tau in taus:
        W, deltas = secu_fixed_point(E, y, n_classes, tau, n_iter=n_iter)
        rows.append({"tau": float(tau), "iterations": len(deltas), "status": fixed_point_status(deltas),
                     "last change": deltas[-1], "max |w - class mean|": float(np.abs(W - means).max())})
    return pd.DataFrame(rows).set_index("tau")


def secu_scores(R, W, tau: float) -> np.ndarray:
    """Eq. 13: the SeCu gradient norm ``‖∂ℓ̂/∂W‖² = τ² ‖r̃‖² (1 − max_j π̃_ij)²``.

    With the stop-gradient of Eq. 10 only ``w_ỹ`` receives a gradient,
    ``−τ (1 − π̃_ỹ) r̃``; for any τ this ranks nouns exactly as the maximum
    softmax probability (MSP) does.
    """
    R = np.asarray(R, dtype=np.float64)
    p = softmax_rows(tau * R @ np.asarray(W, dtype=np.float64))
    return tau ** 2 * np.einsum("ij,ij->i", R, R) * (1.0 - p.max(axis=1)) ** 2


def msp_scores(R, W, temperature: float = 1.0) -> np.ndarray:
    """TAC's score: ``max_j softmax_j(r̃ᵀw_j / temperature)`` (higher = kept)."""
    return softmax_rows(np.asarray(R, np.float64) @ np.asarray(W, np.float64) / temperature).max(axis=1)


def max_cosine(R, W) -> np.ndarray:
    """SIC's score (Eq. 15): ``max_j r̃ᵀw_j`` with unit-norm ``w_j``."""
    return (np.asarray(R, np.float64) @ np.asarray(W, np.float64)).max(axis=1)


def _topk_sets(scores, groups, C, k, largest):
    per, _ = select_per_group(scores, groups, C, k, largest=largest)
    return set(np.concatenate(per).tolist()) if per else set()


def _jaccard(a: set, b: set) -> float:
    return len(a & b) / max(len(a | b), 1)


def theorem2_sweep(E, y, R, n_classes: int, taus, *, beta: int = 5) -> pd.DataFrame:
    """Theorem 2 by computation, one row per τ.

    For each τ: the SeCu fixed point W_τ (Eq. 11) and its distance to the class
    means (Eq. 12); the GradNorm score S (Eq. 6) with W_τ; and how S's ranking
    and its top-β-per-class selection (Eq. 8) agree with TAC's MSP score and
    SIC's max-cosine score, both computed on the class means. Rank agreement is
    Spearman's ρ of −S with the other score; set agreement is the Jaccard index
    of the selected nouns (assignment ỹ = argmax of each score's own classifier).
    """
    E = as_features(E, "image features", dtype=np.float64)
    R = as_features(R, "noun features", dtype=np.float64)
    W_mean = normalized_class_means(E, np.asarray(y), n_classes).astype(np.float64)
    msp = msp_scores(R, W_mean, 1.0)
    cos = max_cosine(R, W_mean)
    cosines = R @ W_mean
    cos_gap = cosines.max(axis=1) - cosines.mean(axis=1)  # what MSP ranks by to first order as τ → 0
    assign_mean = (R @ W_mean).argmax(axis=1)
    sel_msp = _topk_sets(msp, assign_mean, n_classes, beta, True)
    sel_cos = _topk_sets(cos, assign_mean, n_classes, beta, True)
    rows = []
    for tau in taus:
        W, deltas = secu_fixed_point(E, y, n_classes, tau)
        S, assign, _ = gradnorm_scores(R, W, tau, dtype=torch.float64)
        sel_S = _topk_sets(S, assign, n_classes, beta, False)
        S_hat = secu_scores(R, W, tau)                                     # Eq. 13, same W_τ and ỹ
        sel_hat = _topk_sets(S_hat, assign, n_classes, beta, False)
        rows.append({
            "tau": tau,
            "fixed-point iterations": len(deltas),
            "fixed point": fixed_point_status(deltas),
            "spearman(-S_hat, MSP)": float(spearmanr(-S_hat, msp)[0]),
            "jaccard(S_hat, MSP) top-beta": _jaccard(sel_hat, sel_msp),
            "max |w_tau - class mean|": float(np.abs(W - W_mean).max()),
            "spearman(-S, MSP)": float(spearmanr(-S, msp)[0]),
            "spearman(-S, max cos)": float(spearmanr(-S, cos)[0]),
            "spearman(-S, max cos - mean cos)": float(spearmanr(-S, cos_gap)[0]),
            "jaccard(S, MSP) top-beta": _jaccard(sel_S, sel_msp),
            "jaccard(S, max cos) top-beta": _jaccard(sel_S, sel_cos),
        })
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ Theorem 1

def self_bounding(R, W, tau: float, labels=None) -> pd.DataFrame:
    """Per-sample ``‖∂ℓ/∂W‖²_F`` and ``ℓ`` for the self-bounding property (Eq. 16).

    For unit-norm inputs ``‖g‖² = τ² Σ_k (π_k − 𝟙[k=y])² ≤ 2τ² (1 − π_y)² ≤ 2τ² ℓ``,
    because ``1 − p ≤ −log p``; so Eq. 16 holds with ``γ = τ²``. The returned
    frame has columns ``grad_sq``, ``loss`` and ``ratio = grad_sq / (2 loss)``;
    ``max(ratio)`` estimates the smallest γ on these samples. ``labels`` default
    to the predicted ones (ỹ).
    """
    R = np.asarray(R, np.float64)
    p = softmax_rows(tau * R @ np.asarray(W, np.float64))
    yl = p.argmax(axis=1) if labels is None else np.asarray(labels)
    onehot = np.zeros_like(p)
    onehot[np.arange(len(yl)), yl] = 1.0
    grad_sq = tau ** 2 * np.einsum("ij,ij->i", R, R) * ((p - onehot) ** 2).sum(axis=1)
    loss = -np.log(np.clip(p[np.arange(len(yl)), yl], 1e-300, None))
    ratio = np.divide(grad_sq, 2 * loss, out=np.zeros_like(loss), where=loss > 0)
    return pd.DataFrame({"grad_sq": grad_sq, "loss": loss, "ratio": ratio})


def theorem1_table(f: GradNorm, positive_mask) -> pd.DataFrame:
    """Err_pos(k) of Theorem 1 and the Markov step of its proof, per pseudo-class k.

    ``P_T(k)``: the true positives assigned to pseudo-class k (ỹ = k), ``B_k = |P_T(k)|``;
    ``T_k``: the β-th smallest score among all nouns assigned to k (Eq. 8);
    ``Err_pos(k) = |{t ∈ P_T(k): S(t) > T_k}| / B_k``; Markov: ``Err_pos(k) ≤ E_{P_T(k)}[S] / T_k``.
    ``floor = max(0, 1 − β/B_k)``: with only β nouns kept per pseudo-class, at least
    ``B_k − β`` positives are missed whatever the score. Rows only for pseudo-classes
    with B_k > 0 and T_k > 0.
    """
    pos = np.asarray(positive_mask, bool)
    rows = []
    for k, idx in enumerate(f.selected_per_group_):
        if idx.size == 0:
            continue
        T = float(f.scores_[idx].max())  # the β-th smallest (or the largest kept if fewer)
        members = np.flatnonzero((f.noun_assign_ == k) & pos)
        if members.size == 0 or T <= 0:
            continue
        s = f.scores_[members]
        rows.append({"k": k, "B_k": int(members.size), "T_k": T, "Err_pos": float((s > T).mean()),
                     "floor": max(0.0, 1.0 - idx.size / members.size),
                     "markov_bound": float(s.mean() / T)})
    return pd.DataFrame(rows)


def theorem1_leading_term(f: GradNorm, E, positive_mask, tau: float = TAU) -> pd.DataFrame:
    """Theorem 1's computable right-hand side and the Lemma-5 step of its proof, per pseudo-class.

    Explained in: notebooks/04_theorem1_on_data.

    The bound is ``Err_pos(k) ≤ (2γ/T_k)[min_W Ω(W) + O(√(1/B_k)) + O(√(1/N))]``. With ``γ = τ²`` (the
    self-bounding constant, Eq. 16) and ``Ω̂`` the image risk of the trained ``W*`` (mean cross-entropy
    of the train images at their pseudo-labels, the empirical stand-in for ``min_W Ω``), the *leading
    term* is ``2τ²Ω̂ / T_k``. The proof's Lemma-5 step bounds the positives' mean score by the image risk,
    ``E_{P_T(k)}[S] ≤ 2γ Ω̂``: the column ``lemma5_ratio`` is their quotient (≤ 1 where it holds).
    ``image_mean_S`` is the images' own mean gradient norm, for comparison. Rows as in
    :func:`theorem1_table`.
    """
    images = self_bounding(E, f.W_, tau, labels=f.pseudo_labels_)
    risk = float(images["loss"].mean())
    rhs = 2 * tau ** 2 * risk
    t = theorem1_table(f, positive_mask)
    pos = np.asarray(positive_mask, bool)
    mean_s = [float(f.scores_[(f.noun_assign_ == k) & pos].mean()) for k in t["k"]]
    out = t[["k", "B_k", "T_k", "Err_pos"]].copy()
    out["leading_term"] = rhs / t["T_k"]
    out["leading_term_holds"] = out["Err_pos"] <= out["leading_term"]
    out["mean_S_positives"] = mean_s
    out["lemma5_rhs"] = rhs
    out["lemma5_ratio"] = out["mean_S_positives"] / rhs
    out.attrs.update({"image_risk": risk, "image_mean_S": float(images["grad_sq"].mean()), "gamma": tau ** 2})
    return out


def modality_gap_table(datasets: dict, *, random_state: int = 0) -> pd.DataFrame:
    """The modality gap and the Lemma-5 step of Theorem 1 on several datasets (name → :class:`LaICData` with known
    positives), one row each: the mean cosine between a class's train images and its positive nouns, the images'
    and the positives' mean gradient norm (Eq. 6, GradNorm's classifier at the paper's settings), and in how many
    pseudo-classes the Lemma-5 step and the leading term hold (:func:`theorem1_leading_term`).

    Explained in: notebooks/04_theorem1_on_data ("The same on a CLIP-like twin")."""
    rows = {}
    for name, data in datasets.items():
        f = GradNorm(data.n_classes, progress=False, random_state=random_state).select_nouns(data.E_train, data.R)
        lead = theorem1_leading_term(f, data.E_train, data.positive_mask)
        pos = np.flatnonzero(data.positive_mask)
        means = np.stack([data.E_train[data.y_train == c].mean(axis=0) for c in range(data.n_classes)])
        cos = np.einsum("ij,ij->i", data.R[pos].astype(np.float64), means[data.noun_class[pos]].astype(np.float64))
        rows[name] = {"image–positive cosine": float(cos.mean()), "mean S, images": lead.attrs["image_mean_S"],
                      "mean S, positive nouns": float(lead["mean_S_positives"].mean()),
                      "Lemma-5 step holds": f"{int((lead['lemma5_ratio'] <= 1).sum())} of {len(lead)}",
                      "leading term ≥ Err_pos": f"{int(lead['leading_term_holds'].sum())} of {len(lead)}"}
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "data"
    return out


def theorem1_error_grid(make_data, n_trains, positives, *, beta: int = 5, tau: float = TAU, classifier="erm",
                        erm_epochs: int = 30, random_state: int = 0, data_kwargs: dict | None = None) -> pd.DataFrame:
    """Mean Err_pos over pseudo-classes as the number of images N and of positives per concept vary.

    ``make_data`` is a synthetic preset name, generated with ``n_train=N`` and
    ``positives_per_concept=B`` and the generator arguments in ``data_kwargs``, or a callable
    ``make_data(n_train, positives_per_concept)`` returning a :class:`~laicpkg.features.container.LaICData`.
    """
    if isinstance(make_data, str):

        preset, fixed = make_data, dict(data_kwargs or {})

        def make_data(n, b):
            return make_synthetic(preset, n_train=n, positives_per_concept=b, **fixed)
    rows = []
    for n in n_trains:
        for b in positives:
            data = make_data(n, b)
            f = GradNorm(data.n_classes, beta=beta, tau=tau, classifier=classifier, erm_epochs=erm_epochs,
                         progress=False, random_state=random_state).select_nouns(data.E_train, data.R)
            t = theorem1_table(f, data.positive_mask)
            rows.append({"N": n, "positives per concept": b, "mean B_k": float(t["B_k"].mean()),
                         "mean Err_pos": float(t["Err_pos"].mean()), "mean floor": float(t["floor"].mean()),
                         "mean Markov bound": float(t["markov_bound"].mean())})
    return pd.DataFrame(rows)


def sample_split_check(data, *, beta: int = 5, tau: float = TAU, erm_epochs: int = 30, random_state: int = 0):
    """Pseudo-labels from the same images vs from held-out images (the review's objection).

    Splits the train images in halves A and B. "same data": k-means and ERM on A.
    "split": k-means on B gives the centres; A is labelled by its nearest B-centre
    and the classifier is trained on A. The nouns never enter either step. Returns
    a frame with filter precision/recall and mean Err_pos for both.
    """
    rng = np.random.default_rng(random_state)
    perm = rng.permutation(data.E_train.shape[0])
    A, B = data.E_train[perm[::2]], data.E_train[perm[1::2]]
    rows = []
    same = GradNorm(data.n_classes, beta=beta, tau=tau, erm_epochs=erm_epochs, progress=False,
                    random_state=random_state).select_nouns(A, data.R)
    C = same.n_pseudo_classes_
    km_b = KMeans(C, random_state=random_state).fit(B)
    y_a = km_b.predict(A)
    W, _ = train_erm_classifier(A, y_a, C, tau=tau, epochs=erm_epochs, random_state=random_state, progress=False)
    split = GradNorm(data.n_classes, beta=beta, tau=tau, n_pseudo_classes=C, progress=False)
    split.timings_ = {}
    split.pseudo_labels_, split.n_pseudo_classes_, split.W_ = y_a, C, W
    split.scores_, split.noun_assign_, split.msp_ = gradnorm_scores(data.R, W, tau)
    per, sizes = select_per_group(split.scores_, split.noun_assign_, C, beta)
    split._record_groups(per, sizes, beta)
    split.selected_indices_ = np.unique(np.concatenate(per))
    for name, f in (("same images", same), ("held-out images (sample split)", split)):
        pr = filter_precision_recall(f.selected_indices_, data.positive_mask)
        t = theorem1_table(f, data.positive_mask)
        rows.append({"pseudo-labels from": name, "precision": pr["precision"], "recall": pr["recall"],
                     "mean Err_pos": float(t["Err_pos"].mean())})
    return pd.DataFrame(rows)
