"""GradNorm: gradient-norm filtering of wild nouns (GradNorm paper, Sec. 3, Algorithm 1).

Explained in: notebooks/02_eq6_derivation (the score), notebooks/03_theorem2_limits
(the centroid classifier as the τ→0 limit) and notebooks/05_pipeline (the method).

Stage 1 (this module, :class:`GradNormFilter`):

1. spherical k-means on the train image features → pseudo-labels ``y`` (C classes);
2. ERM of the single-layer classifier ``h(e; W) = softmax(τ eᵀW)`` with
   cross-entropy (Eq. 3–4), or the centroid classifier of Eq. 12;
3. the score of every noun, the squared Frobenius norm of the loss gradient
   with respect to W at its own predicted label (Eq. 6–7);
4. the β lowest scores of each pseudo-class (Eq. 8); their union is D_pos.

Stage 2 (Eq. 9 and the final k-means) is in :mod:`laicpkg.core.counterparts`, and
:class:`GradNorm` joins both.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from .counterparts import TwoStageClustering
from .filters import NounFilter, iter_logit_chunks, normalized_class_means, pseudo_class_count, select_per_group
from .kmeans import KMeans
from ..utils.timing import timed
from ..utils.validation import (as_features, check_choice, check_finite_loss, check_int, check_n_clusters, check_positive,
                         resolve_device)

__all__ = ["TAU", "BETA", "gradnorm_scores", "train_erm_classifier", "centroid_classifier",
           "GradNormFilter", "GradNorm"]

#: τ = 1/0.08, the paper's inverse temperature of Eq. 4 and Eq. 6–7 (Sec. 5.1.2).
TAU = 1.0 / 0.08
#: β = 5 nouns kept per pseudo-class (Eq. 8, Sec. 5.1.2).
BETA = 5


#: Precisions of the score computation (``score_dtype``).
SCORE_DTYPES = {"float32": torch.float32, "float16": torch.float16}


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
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    lr = check_positive(lr, "lr")
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
        losses.append(check_finite_loss(float(total) / n, "GradNorm ERM", len(losses), "--lr", lr))
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
    return W.detach().cpu().numpy().astype(np.float32), losses


def centroid_classifier(E, y, n_classes: int) -> np.ndarray:
    """``W`` whose columns are the normalised pseudo-class means (Eq. 12, the τ→0 limit of Theorem 2)."""
    return normalized_class_means(np.asarray(E, dtype=np.float32), np.asarray(y, dtype=np.int64), n_classes)


class GradNormFilter(NounFilter):
    """Stage 1 of GradNorm (Algorithm 1, lines 1–4).

    Parameters
    ----------
    n_clusters : int
        K, the number of ground-truth classes (used by the C rule).
    n_pseudo_classes : int or None
        C; ``None`` applies the paper's rule ``N/600`` if ``N/K > 600`` else ``3K``.
    tau : float, default 1/0.08
        τ of Eq. 4 and Eq. 6–7.
    beta : int, default 5
        β of Eq. 8.
    classifier : {"erm", "centroid"}
        ``"erm"`` trains W by Eq. 3–4 (the paper); ``"centroid"`` uses the
        normalised pseudo-class means (Eq. 12), as public re-implementations do.
    epochs, batch_size, lr :
        ERM settings (30, 2048, 1e-3; 100 and 8192 for UCF-101 and ImageNet-1K).
    kmeans_niter, kmeans_nredo, kmeans_max_points :
        Settings of the pseudo-label k-means (``kmeans_max_points``: faiss' subsampling, see
        :class:`~laicpkg.core.counterparts.TwoStageClustering`).
    score_dtype : {"float32", "float16"}
        Precision of the logits and softmax of Eq. 7 in the score; the authors' code scores in fp16.
    device : {"cpu", "cuda", "auto"}
    random_state : int
        Seeds k-means and the ERM initialisation and shuffling.

    Attributes
    ----------
    pseudo_labels_ : (n_samples,) pseudo-labels y from k-means
    n_pseudo_classes_ : C
    W_ : (d, C) the classifier W*
    erm_losses_ : per-epoch training loss (``"erm"`` only)
    scores_ : (n_nouns,) S of Eq. 6
    noun_assign_ : (n_nouns,) ỹ of Eq. 7
    msp_ : (n_nouns,) max_j π̃_ij
    selected_per_group_, selected_indices_, group_sizes_, short_groups_ : see :class:`NounFilter`
    """

    name = "gradnorm"

    def __init__(self, n_clusters: int, *, n_pseudo_classes: int | None = None, tau: float = TAU, beta: int = BETA,
                 classifier: str = "erm", epochs: int = 30, batch_size: int = 2048, lr: float = 1e-3,
                 kmeans_niter: int = 300, kmeans_nredo: int = 1, kmeans_max_points: int | None = 256,
                 score_dtype: str = "float32", device: str = "cpu", progress: bool | None = None,
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.score_dtype = score_dtype
        self.n_pseudo_classes = n_pseudo_classes
        self.tau = tau
        self.beta = beta
        self.classifier = classifier
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.kmeans_niter = kmeans_niter
        self.kmeans_nredo = kmeans_nredo
        self.kmeans_max_points = kmeans_max_points
        self.device = device
        self.progress = progress
        self.random_state = random_state

    def _fit(self, E, R):
        n = E.shape[0]
        k = check_n_clusters(self.n_clusters, n, "n_clusters (K)", "training images")
        C = self.n_pseudo_classes if self.n_pseudo_classes is not None else pseudo_class_count(n, k, 600)
        C = check_n_clusters(C, n, "n_pseudo_classes (C)", "training images")
        beta = check_int(self.beta, "beta")
        tau = check_positive(self.tau, "tau")
        check_choice(self.classifier, "classifier", ("erm", "centroid"))
        dtype = SCORE_DTYPES[check_choice(self.score_dtype, "score_dtype", tuple(SCORE_DTYPES))]
        device = resolve_device(self.device)
        with timed(self.timings_, "kmeans"):
            km = KMeans(C, spherical=True, niter=self.kmeans_niter, nredo=self.kmeans_nredo,
                        max_points_per_centroid=self.kmeans_max_points, device=self.device,
                        random_state=self.random_state).fit(E)
        self.pseudo_labels_, self.n_pseudo_classes_ = km.labels_, C
        with timed(self.timings_, "classifier"):
            if self.classifier == "erm":
                self.W_, self.erm_losses_ = train_erm_classifier(
                    E, km.labels_, C, tau=tau, epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
                    device=device, random_state=self.random_state, progress=self.progress)
            else:
                self.W_, self.erm_losses_ = centroid_classifier(E, km.labels_, C), []
        with timed(self.timings_, "score"):
            self.scores_, self.noun_assign_, self.msp_ = gradnorm_scores(R, self.W_, tau, device=device, dtype=dtype)
        with timed(self.timings_, "select"):
            per_group, sizes = select_per_group(self.scores_, self.noun_assign_, C, beta, largest=False)
        self._record_groups(per_group, sizes, beta)


class GradNorm(TwoStageClustering):
    """GradNorm end to end (Algorithm 1): Stage 1 filter, then Stage 2 clustering.

    ``GradNorm(n_clusters=K).fit(E_train, R).predict(E_test)`` returns the
    cluster labels of the test images. Parameters are those of
    :class:`GradNormFilter` plus Stage 2's ``kappa`` (κ = 0.006, Eq. 9),
    ``normalize_counterparts`` (True, as in the TAC reference code; False is
    Eq. 9 literally) and ``final_nredo`` (restarts of the final k-means).

    Attributes: those of the filter (``pseudo_labels_``, ``W_``, ``scores_``,
    ``noun_assign_``, ``selected_indices_``, ``selected_per_group_``) and, after
    :meth:`predict`, ``text_counterparts_`` (v of Eq. 9) and ``labels_``.
    """

    def __init__(self, n_clusters: int, *, n_pseudo_classes: int | None = None, tau: float = TAU, beta: int = BETA,
                 kappa: float = 0.006, classifier: str = "erm", normalize_counterparts: bool = True,
                 epochs: int = 30, batch_size: int = 2048, lr: float = 1e-3, kmeans_niter: int = 300,
                 kmeans_nredo: int = 1, kmeans_max_points: int | None = 256, score_dtype: str = "float32",
                 final_nredo: int = 20, final_assign: str = "kmeans", device: str = "cpu",
                 progress: bool | None = None, random_state: int = 0):
        self.n_pseudo_classes = n_pseudo_classes
        self.tau = tau
        self.beta = beta
        self.classifier = classifier
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.kmeans_nredo = kmeans_nredo
        self.score_dtype = score_dtype
        self.progress = progress
        super().__init__(None, n_clusters, kappa=kappa, normalize_counterparts=normalize_counterparts,
                         kmeans_niter=kmeans_niter, kmeans_max_points=kmeans_max_points, final_nredo=final_nredo,
                         final_assign=final_assign, device=device, random_state=random_state)

    def make_filter(self) -> GradNormFilter:
        return GradNormFilter(self.n_clusters, n_pseudo_classes=self.n_pseudo_classes, tau=self.tau, beta=self.beta,
                              classifier=self.classifier, epochs=self.epochs, batch_size=self.batch_size,
                              lr=self.lr, kmeans_niter=self.kmeans_niter, kmeans_nredo=self.kmeans_nredo,
                              kmeans_max_points=self.kmeans_max_points, score_dtype=self.score_dtype,
                              device=self.device, progress=self.progress,
                              random_state=self.random_state)
