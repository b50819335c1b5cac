"""GradNorm: gradient-norm filtering of wild nouns (GradNorm paper, Sec. 3, Algorithm 1).

Explained in: notebooks/02_eq6_derivation (the score), notebooks/03_theorem2_limits
(the centroid classifier as the τ→0 limit) and notebooks/05_pipeline (the method).

The arithmetic of Stage 1 (the estimator is :class:`laicpkg.methods.gradnorm.GradNorm`):

1. spherical k-means on the train image features → pseudo-labels ``y`` (C classes);
2. ERM of the single-layer classifier ``h(e; W) = softmax(τ eᵀW)`` with
   cross-entropy (Eq. 3–4), or the centroid classifier of Eq. 12;
3. the score of every noun, the squared Frobenius norm of the loss gradient
   with respect to W at its own predicted label (Eq. 6–7);
4. the β lowest scores of each pseudo-class (Eq. 8); their union is D_pos.

Stage 2 (Eq. 9 and the final k-means) is in :mod:`laicpkg.core.counterparts`.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .filters import BLOCK_ELEMENTS, _softmax_half, iter_logit_chunks, normalized_class_means, to_half
from ..utils.validation import check_finite_loss, check_int, check_positive

__all__ = ["TAU", "BETA", "SCORE_DTYPES", "gradnorm_scores", "gradnorm_scores_fp16_authors", "train_erm_classifier",
           "centroid_classifier"]

#: τ = 1/0.08, the paper's inverse temperature of Eq. 4 and Eq. 6–7 (Sec. 5.1.2).
TAU = 1.0 / 0.08
#: β = 5 nouns kept per pseudo-class (Eq. 8, Sec. 5.1.2).
BETA = 5


#: Precisions of the score computation (``score_dtype``): float32; float16 tensors with W·τ cast to fp16 (fast on a
#: GPU); and "float16-authors", the GradNorm code's fp16 order (:func:`gradnorm_scores_fp16_authors`).
SCORE_DTYPES = {"float32": torch.float32, "float16": torch.float16, "float16-authors": None}


def gradnorm_scores(R, W, tau: float = TAU, *, device: str = "cpu", chunk_size: int | None = None,
                    dtype=torch.float32):
    """GradNorm scores of nouns in closed form (Eq. 6–7).

    For a unit-norm noun feature ``r̃_i`` and classifier ``W* = (w_1, …, w_C)``,

    ``π̃_ij = softmax_j(τ r̃_iᵀ w_j)`` (Eq. 7), ``ỹ_i = argmax_j π̃_ij`` and

    ``S_i = ‖∂ℓ(h(r̃_i; W*), ỹ_i)/∂W*‖²_F = τ² (Σ_k π̃_ik² + 1 − 2 max_j π̃_ij)`` (Eq. 6).

    The derivation (appendix, "Derivation of Eq. (6)"): ``∂ℓ/∂w_k = τ (π̃_ik − 𝟙[k = ỹ_i]) r̃_i``,
    so the squared norm is ``τ² ‖r̃_i‖² Σ_k (π̃_ik − 𝟙[k = ỹ_i])²``. For rows that
    are not unit-norm the factor ``‖r̃_i‖²`` is kept, so the value is the exact
    gradient norm for any input.

    Evaluated as ``τ² (Σ_{k≠ỹ} π̃_ik² + (1 − max_j π̃_ij)²)`` with ``1 − max π̃`` summed
    from the other probabilities (the appendix's intermediate form), which avoids
    the cancellation of ``1 − 2 max π̃`` for confident nouns, in blocks of nouns
    (see :func:`laicpkg.core.filters.iter_logit_chunks`).

    Parameters
    ----------
    R : array of shape (n_nouns, d)
    W : array of shape (d, n_classes)
    tau : float
        Inverse temperature τ of Eq. 4.

    Returns
    -------
    scores : ndarray (n_nouns,) float64
    assign : ndarray (n_nouns,) int64 — ỹ, the argmax of π̃ (= the argmin of ℓ over labels)
    msp : ndarray (n_nouns,) float64 — max_j π̃_ij
    """
    R = np.asarray(R)
    W = np.asarray(W)
    tau = check_positive(tau, "tau")
    n = R.shape[0]
    scores = np.empty(n, dtype=np.float64)
    assign = np.empty(n, dtype=np.int64)
    msp = np.empty(n, dtype=np.float64)
    for a, b, logits in iter_logit_chunks(R, W, tau, device=device, chunk_size=chunk_size, dtype=dtype):
        p = torch.softmax(logits, dim=1)
        p_max, arg = p.max(dim=1)
        msp[a:b] = p_max.double().cpu().numpy()
        # Σ_k π̃_k² + 1 − 2 max π̃ written as Σ_{k≠ỹ} π̃_k² + (Σ_{k≠ỹ} π̃_k)² (the appendix's second line):
        # identical in exact arithmetic, free of cancellation when max π̃ → 1.
        rest = p.scatter_(1, arg[:, None], 0.0)  # in place: π̃ with the argmax entry zeroed
        s = torch.linalg.vector_norm(rest, dim=1) ** 2 + rest.sum(dim=1) ** 2
        scores[a:b] = s.double().cpu().numpy()
        assign[a:b] = arg.cpu().numpy()
    scores *= tau * tau * np.einsum("ij,ij->i", R, R).astype(np.float64)  # ‖r̃_i‖² (1 for unit-norm nouns)
    return scores, assign, msp


def gradnorm_scores_fp16_authors(R, W, tau: float = TAU, *, chunk_size: int | None = None):
    """GradNorm scores in the order of operations of the authors' code (fp16), any device.

    Their code rounds the classifier and the noun features to fp16, takes the product in half precision
    and *then* divides it by the temperature 1/τ in half precision, softmaxes over the pseudo-classes in
    half precision and scores every noun in float32 as ``√((Σ_k π̃_ik² + (1 − max π̃)² − (max π̃)²) ·
    Σ_d r̃_id²)`` with the noun's squared norm summed in fp16 — the square root of Eq. 6 divided by τ,
    the same ranking in exact arithmetic. Emulated with float32 arithmetic and one rounding to fp16
    after each step the code keeps in half precision (:func:`laicpkg.core.filters.to_half`).

    Returns ``(scores, assign, msp)`` like :func:`gradnorm_scores`, ``scores`` in the code's units
    (select with :func:`laicpkg.core.filters.select_per_group_as_torch` on ``-scores``, as the code's
    ``argsort(-score, descending=True)``).
    """
    tau = check_positive(tau, "tau")
    Wh = to_half(np.asarray(W).T)                 # (C, d), the code's weights in half precision
    Rh = to_half(R)
    temp = np.float32(1.0 / tau)
    n_classes = Wh.shape[0]
    if chunk_size is None:
        chunk_size = max(1, BLOCK_ELEMENTS // max(n_classes, 1))
    n = Rh.shape[0]
    scores = np.empty(n, dtype=np.float32)
    assign = np.empty(n, dtype=np.int64)
    msp = np.empty(n, dtype=np.float32)
    sq_norm = to_half(np.sum(to_half(Rh * Rh), axis=1, dtype=np.float32))   # Σ |r|^p in fp16, p = 2
    for a in range(0, n, chunk_size):
        sim = to_half(to_half(Wh @ Rh[a:a + chunk_size].T) / temp)          # product, then ÷ temp, in fp16
        p = _softmax_half(sim, axis=0).T                                      # (chunk, C) float32 values
        conf = p.max(axis=1)
        score_1 = np.sum(p ** 2, axis=1, dtype=np.float32) + (1 - conf) ** 2 - conf ** 2
        scores[a:a + chunk_size] = np.sqrt(np.maximum(score_1 * sq_norm[a:a + chunk_size], 0))
        assign[a:a + chunk_size] = p.argmax(axis=1)
        msp[a:a + chunk_size] = conf
    return scores, assign, msp


def train_erm_classifier(E, y, n_classes: int, *, tau: float = TAU, epochs: int = 30, batch_size: int = 2048,
                         lr: float = 1e-3, device: str = "cpu", random_state: int = 0, progress: bool | None = None):
    """ERM of ``h(e; W) = softmax(τ eᵀW)`` with cross-entropy (Eq. 3–4).

    ``W`` (d × C, no bias) starts from ``U(−1/√d, 1/√d)`` (torch's default for a
    linear layer) drawn from a generator seeded with ``random_state``; Adam
    with learning rate ``lr``; mini-batches from a seeded permutation each
    epoch; the loss is the batch mean of Eq. 4.

    Returns
    -------
    W : ndarray of shape (d, n_classes), float32
    losses : list of float — mean training loss per epoch
    """
    E = np.asarray(E, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    epochs = check_int(epochs, "erm_epochs")
    batch_size = check_int(batch_size, "erm_batch_size")
    lr = check_positive(lr, "erm_lr")
    tau = check_positive(tau, "tau")
    n, d = E.shape
    gen = torch.Generator().manual_seed(int(random_state))
    bound = 1.0 / np.sqrt(d)
    W0 = (torch.rand(d, n_classes, generator=gen) * 2 - 1) * bound
    W = W0.to(device).requires_grad_(True)
    Et = torch.as_tensor(E, device=device)
    yt = torch.as_tensor(y, device=device)
    opt = torch.optim.Adam([W], lr=lr)
    losses = []
    bar = tqdm(range(epochs), desc="ERM (Eq. 3)", unit="epoch", disable=(not progress) if progress is not None else None,
               leave=False)
    for _ in bar:
        perm = torch.randperm(n, generator=gen).to(device)
        total = torch.zeros((), dtype=torch.float64, device=device)  # summed on the device: no sync per step
        for start in range(0, n, batch_size):
            idx = perm[start:start + batch_size]
            loss = F.cross_entropy(tau * (Et[idx] @ W), yt[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach().double() * idx.numel()
        losses.append(check_finite_loss(float(total) / n, "GradNorm ERM", len(losses), "--erm-lr", lr))
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    return W.detach().cpu().numpy().astype(np.float32), losses


def centroid_classifier(E, y, n_classes: int) -> np.ndarray:
    """``W`` whose columns are the normalised pseudo-class means (Eq. 12, the τ→0 limit of Theorem 2)."""
    return normalized_class_means(np.asarray(E, dtype=np.float32), np.asarray(y, dtype=np.int64), n_classes)
