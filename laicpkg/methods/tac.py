"""TAC, "Image Clustering with External Guidance" (Li et al., ICML 2024): the training-free
variant and TAC*, the cross-modal mutual-distillation heads.

Explained in: notebooks/07_comparison.

* Training-free TAC (:class:`TAC`, ``laic run --method tac``): TAC's noun filter, text
  counterparts with retrieval temperature κ = 0.005, ``[e; v]``, spherical k-means —
  GradNorm's Stage 2 with TAC's filter and κ.
* TAC* (:class:`TACStar`): the same text counterparts ``v_i`` of the train images,
  then two cluster heads (Linear d→d, BatchNorm, ReLU, Linear d→K, softmax), one on
  ``e`` and one on ``v``, trained on the train split with, per mini-batch of anchors
  and one random neighbour of each (top-50 by inner product, mined separately in
  each modality):

  ``L = L_dis(q^e(anchor), q^v(text neighbour)) + L_dis(q^v(anchor), q^e(image neighbour))
  + L_con(q^v, q^e) − 5 (H(q̄^v) + H(q̄^e))``,

  where ``L_dis`` is the cluster-level contrastive loss (columns of the two assignment
  matrices, positive = the same cluster in the other modality, temperature 0.5),
  ``L_con`` the binary cross-entropy pulling ``q^vᵀ q^e`` of the same image to 1, and
  ``H(q̄)`` the entropy of the mean assignment. Adam (betas 0.9, 0.99, lr 1e-3),
  20 epochs, batch 512 (100 epochs, batch 8192, temperature 5.0 for UCF-101 and
  ImageNet-1K); predictions are the image head's argmax, as in the public TAC code.
  No test label is used for any choice: the heads of the last epoch are kept.

``TACStar(K, noun_filter=GradNorm(K))`` feeds TAC* with GradNorm's selected nouns
instead of TAC's ("GradNorm→TAC*", a combination no paper reports).
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from ..core.counterparts import text_counterparts
from ..core.filters import (max_softmax_scores, normalized_class_means, select_per_group, select_per_group_as_torch,
                            tac_scores_fp16)
from ..utils.timing import bar_disabled, timed, torch_threads
from ..utils.validation import (as_features, check_choice, check_finite_loss, check_int, check_n_clusters, check_positive,
                                resolve_device)
from .base import NounSelector, TwoStage
from ..utils.validation import check_fitted

__all__ = ["TAC_KAPPA", "TAC", "TACStar", "ClusterHead", "cluster_contrastive_loss", "pair_consistency_loss", "mean_entropy",
           "mine_neighbors"]

#: κ = 0.005, TAC's retrieval temperature (TAC code; book/implementation.md).
TAC_KAPPA = 0.005


class ClusterHead(nn.Module):
    """Linear d→d, BatchNorm, ReLU, Linear d→K, softmax (TAC's cluster head).

    ``init="trunc-normal"`` draws both Linear weights from a normal of std 0.02 truncated to [-2, 2], as
    TAC's code does (biases keep PyTorch's default); ``init="torch"`` keeps PyTorch's default
    (Kaiming-uniform) weights.
    """

    def __init__(self, dim: int, n_clusters: int, init: str = "trunc-normal"):
        super().__init__()
        check_choice(init, "init", ("trunc-normal", "torch"))
        self.net = nn.Sequential(nn.Linear(dim, dim), nn.BatchNorm1d(dim), nn.ReLU(), nn.Linear(dim, n_clusters))
        if init == "trunc-normal":
            for layer in (self.net[0], self.net[3]):
                nn.init.trunc_normal_(layer.weight, std=0.02)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(x), dim=1)


def cluster_contrastive_loss(q_a: torch.Tensor, q_b: torch.Tensor, temperature: float = 0.5) -> torch.Tensor:
    """Cluster-level contrastive loss between two (B, K) assignment matrices (TAC's ``L_dis``).

    The K columns of each matrix are the cluster representations; after L2
    normalisation, column k of ``q_a`` and column k of ``q_b`` are a positive pair
    and the other 2K − 2 columns are negatives:

    ``L = (1/2K) Σ_{c ∈ 2K} −log( exp(s(c, c⁺)/T) / Σ_{c' ≠ c} exp(s(c, c')/T) )``.
    """
    K = q_a.shape[1]
    c = F.normalize(torch.cat([q_a.t(), q_b.t()], dim=0), dim=1)    # (2K, B)
    sim = c @ c.t() / temperature
    sim = sim.masked_fill(torch.eye(2 * K, dtype=torch.bool, device=sim.device), float("-inf"))
    target = torch.cat([torch.arange(K, 2 * K), torch.arange(0, K)]).to(sim.device)
    return F.cross_entropy(sim, target)


def pair_consistency_loss(q_a: torch.Tensor, q_b: torch.Tensor) -> torch.Tensor:
    """``mean_i −log(q_a,iᵀ q_b,i)``: binary cross-entropy of the agreement with target 1 (TAC's ``L_con``)."""
    agree = (q_a * q_b).sum(1).clamp(1e-12, 1.0)
    return F.binary_cross_entropy(agree, torch.ones_like(agree))


def mean_entropy(q: torch.Tensor) -> torch.Tensor:
    """Entropy ``H(q̄) = −Σ_k q̄_k log q̄_k`` of the mean assignment over the batch."""
    m = q.mean(0).clamp_min(1e-9)
    return -(m * m.log()).sum()


def mine_neighbors(X: np.ndarray, k: int, mode: str = "exclude-self") -> np.ndarray:
    """Indices (n, k) of the k nearest neighbours by inner product (faiss).

    ``mode="exclude-self"`` removes the sample itself wherever it appears in its top k + 1;
    ``mode="drop-first"`` drops the first column of the top k + 1, as TAC's code does (the same unless
    duplicates tie with the sample, when TAC may keep the sample and drop its duplicate).
    """
    import faiss

    check_choice(mode, "neighbor mode", ("exclude-self", "drop-first"))
    X = np.ascontiguousarray(X, dtype=np.float32)
    k = min(check_int(k, "n_neighbors"), X.shape[0] - 1)
    index = faiss.IndexFlatIP(X.shape[1])
    index.add(X)
    _, idx = index.search(X, k + 1)
    if mode == "drop-first":
        return np.ascontiguousarray(idx[:, 1:], dtype=np.int64)
    out = np.empty((X.shape[0], k), dtype=np.int64)
    for i, row in enumerate(idx):
        row = row[row != i]
        out[i] = row[:k]
    return out


class TAC(TwoStage):
    """Training-free TAC: TAC's noun filter (its public reference code), then Stage 2 with κ = 0.005.

    Stage 1 (book/implementation.md, "The baselines' filters"): spherical k-means on the
    image features with ``C = pseudo_class_count(N, K, 300)`` centres; ``w_j`` the
    normalised pseudo-class means; every noun gets ``p_i = softmax_j(r_iᵀ w_j / temperature)``
    (temperature 1: the cosine itself is the logit) and is assigned to ``argmax_j p_ij``;
    each centre keeps the ``top_k`` nouns of highest ``max_j p_ij`` — the
    maximum-softmax-probability score of GradNorm Eq. 13.

    Parameters
    ----------
    n_clusters : int
    n_pseudo_classes : int or None — default ``N/pseudo_class_size`` if ``N/K > pseudo_class_size`` else ``3K``
    pseudo_class_size : int, default 300 — images per centre in that rule (TAC's code); 600 gives GradNorm's C
        (Sec. 5.1.2): the methods ``tac-equal-c`` and ``tac-filter-equal-c`` compare the filters at the same C.
        Not a configuration parameter: a method name fixes it.
    top_k : int, default 5 — nouns kept per centre
    temperature : float, default 1.0 — of the softmax over centres
    score_dtype : {"float32", "float16-authors"} — "float16-authors" scores in TAC's code's half precision and
        ranks with its tie-breaking sort (:func:`~laicpkg.core.filters.tac_scores_fp16`; ``official-code``)
    kmeans_niter, kmeans_nredo, kmeans_max_points : 300, 10 (TAC's code), 256
    kappa : float, default 0.005 — TAC's retrieval temperature (Eq. 9)
    normalize_counterparts, final_nredo, final_assign, device, random_state : see :class:`TwoStage`

    Attributes
    ----------
    pseudo_labels_, n_pseudo_classes_, W_ (d, C), msp_ (n_nouns,), noun_assign_ (n_nouns,),
    and those of :class:`TwoStage`.
    """

    filter_name = "tac"
    config_prefix = "tac_"
    config_shared = ("kmeans_niter", "kmeans_max_points", "final_nredo", "final_assign", "normalize_counterparts",
                     "device")
    #: TAC's code: C = N/300 when N/K > 300, else 3K.
    SAMPLES_PER_PSEUDO_CLASS = 300
    #: set by a method name (``tac-equal-c``), not by a flag
    not_configured = TwoStage.not_configured + ("pseudo_class_size",)
    stage1_params = ("n_pseudo_classes", "top_k", "temperature", "score_dtype", "kmeans_niter", "kmeans_nredo", "kmeans_max_points",
                     "device")

    def __init__(self, n_clusters: int, *, n_pseudo_classes: int | None = None, pseudo_class_size: int = 300,
                 top_k: int = 5, temperature: float = 1.0, score_dtype: str = "float32", kmeans_niter: int = 300,
                 kmeans_nredo: int = 10,
                 kmeans_max_points: int | None = 256, kappa: float = TAC_KAPPA, normalize_counterparts: bool = True,
                 final_nredo: int = 20, final_assign: str = "kmeans", device: str = "auto", random_state: int = 0):
        self.n_clusters = n_clusters
        self.n_pseudo_classes = n_pseudo_classes
        self.pseudo_class_size = pseudo_class_size
        self.top_k = top_k
        self.temperature = temperature
        self.score_dtype = score_dtype
        self.kmeans_niter = kmeans_niter
        self.kmeans_nredo = kmeans_nredo
        self.kmeans_max_points = kmeans_max_points
        self.kappa = kappa
        self.normalize_counterparts = normalize_counterparts
        self.final_nredo = final_nredo
        self.final_assign = final_assign
        self.device = device
        self.random_state = random_state

    def pseudo_classes_for(self, n: int) -> int:
        """C for ``n`` training images with ``pseudo_class_size`` images per centre (TAC's code: 300)."""
        return self._pseudo_classes(n, check_int(self.pseudo_class_size, "pseudo_class_size"))

    def _select(self, E, R):
        C = self.pseudo_classes_for(E.shape[0])
        top_k = check_int(self.top_k, "top_k")
        temperature = check_positive(self.temperature, "temperature")
        device = resolve_device(self.device)
        half = check_choice(self.score_dtype, "score_dtype", ("float32", "float16-authors")) == "float16-authors"
        km = self._kmeans(E, C)
        self.pseudo_labels_, self.n_pseudo_classes_ = km.labels_, C
        with timed(self.timings_, "score"):
            self.W_ = normalized_class_means(E, km.labels_, C)
            if half:
                self.msp_, self.noun_assign_ = tac_scores_fp16(E, km.labels_, C, R, temperature)
            else:
                self.msp_, self.noun_assign_ = max_softmax_scores(R, self.W_, temperature, device=device)
        with timed(self.timings_, "select"):
            if half:  # TAC's code: argsort(confidence, descending=True) per centre, its order among ties
                per_group, sizes = select_per_group_as_torch(self.msp_, self.noun_assign_, C, top_k)
            else:
                per_group, sizes = select_per_group(self.msp_, self.noun_assign_, C, top_k, largest=True)
        self._record_groups(per_group, sizes, top_k)


class TACStar(NounSelector):
    """TAC*: a noun filter, text counterparts (κ = 0.005), and the mutual-distillation heads.

    Parameters
    ----------
    n_clusters : int
    noun_filter : estimator with a Stage 1 or None — default ``TAC(K)``; ``GradNorm(K)``
        gives GradNorm→TAC*
    kappa : float, default 0.005
    n_neighbors : int, default 50
    temperature : float, default 0.5 — of the cluster-level contrastive loss
    entropy_weight : float, default 5.0
    epochs, batch_size, lr : 20, 512, 1e-3 (Adam, betas 0.9, 0.99)
    init : {"trunc-normal", "torch"} — head weights (TAC's code: truncated normal, std 0.02)
    neighbor_mode : {"exclude-self", "drop-first"} — see :func:`mine_neighbors`
    device, progress, random_state

    Attributes
    ----------
    noun_filter_ : the fitted filter; selected_indices_, selected_per_group_ : its D_pos;
    head_image_, head_text_ : the trained heads; loss_history_ : per-epoch dict of the
    three loss terms; labels_ : clusters of the last :meth:`predict`.
    """

    config_prefix = "tacstar_"
    config_renamed = {"kappa": "tac_kappa", "n_neighbors": "tacstar_neighbors"}

    def __init__(self, n_clusters: int, *, noun_filter=None, kappa: float = TAC_KAPPA, n_neighbors: int = 50,
                 temperature: float = 0.5, entropy_weight: float = 5.0, epochs: int = 20, batch_size: int = 512,
                 lr: float = 1e-3, init: str = "trunc-normal", neighbor_mode: str = "exclude-self",
                 device: str = "auto", progress: bool = True, random_state: int = 0):
        self.n_clusters = n_clusters
        self.noun_filter = noun_filter
        self.kappa = kappa
        self.n_neighbors = n_neighbors
        self.temperature = temperature
        self.entropy_weight = entropy_weight
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.init = init
        self.neighbor_mode = neighbor_mode
        self.device = device
        self.progress = progress
        self.random_state = random_state

    def _select(self, E, R):
        f = self.noun_filter if self.noun_filter is not None else TAC(self.n_clusters, device=self.device,
                                                                      random_state=self.random_state)
        self._select_with(f, E, R)

    def transform(self, E) -> np.ndarray:
        """Text counterparts v (Eq. 9, normalised as in TAC's code) of images ``E``."""
        check_fitted(self, "R_pos_")
        E = as_features(E, "image features")
        return text_counterparts(E, self.R_pos_, self.kappa, normalize=True, device=resolve_device(self.device))

    def cluster(self, data) -> np.ndarray:
        """Filter and heads on the train split, the image head's argmax on the test split."""
        return self.fit(data.E_train, data.R).predict(data.E_test)

    def _train_epoch(self, Et, Vt, nb_img, nb_txt, opt, rng, bs: int, temperature: float, epoch: int) -> np.ndarray:
        """One epoch of ``L_dis + L_con − w (H(q̄^v) + H(q̄^e))`` over full batches of anchors; each anchor is
        paired with one random neighbour per modality. Returns the mean of the three terms and the total."""
        self.head_image_.train()
        self.head_text_.train()
        n = Et.shape[0]
        n_batches = max(1, n // bs)   # the TAC code drops the last incomplete batch
        perm = rng.permutation(n)
        sums = np.zeros(4)
        device = Et.device
        for b in range(n_batches):
            idx = perm[b * bs:(b + 1) * bs]
            pick = rng.integers(0, nb_img.shape[1], size=(2, idx.size))
            j_img = torch.from_numpy(nb_img[idx, pick[0]]).to(device)
            j_txt = torch.from_numpy(nb_txt[idx, pick[1]]).to(device)
            idx_t = torch.from_numpy(idx).to(device)
            q_e, q_v = self.head_image_(Et[idx_t]), self.head_text_(Vt[idx_t])
            q_e_nb, q_v_nb = self.head_image_(Et[j_img]), self.head_text_(Vt[j_txt])
            # a diverged step gives non-finite assignments, on which the BCE below would fail
            finite = all(bool(torch.isfinite(q).all()) for q in (q_e, q_v, q_e_nb, q_v_nb))
            check_finite_loss(0.0 if finite else float("nan"), "TAC*", epoch, "--tacstar-lr", self.lr)
            l_dis = (cluster_contrastive_loss(q_e, q_v_nb, temperature)
                     + cluster_contrastive_loss(q_v, q_e_nb, temperature))
            l_con = pair_consistency_loss(q_v, q_e)
            l_ent = mean_entropy(q_v) + mean_entropy(q_e)
            loss = l_dis + l_con - self.entropy_weight * l_ent
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += [l_dis.item(), l_con.item(), l_ent.item(), loss.item()]
        return sums / n_batches

    def fit(self, E_train, R) -> "TACStar":
        """Stage 1 by the noun filter, then the two heads on the train split (Algorithm of TAC*)."""
        R = as_features(R, "noun features")
        self.select_nouns(E_train, R)
        self.timings_ = {f"filter/{k}": v for k, v in self.timings_.items()}
        self.R_pos_ = R[self.selected_indices_]
        E = as_features(E_train, "image features")
        K = check_n_clusters(self.n_clusters, E.shape[0], "n_clusters (K)", "training images")
        epochs = check_int(self.epochs, "epochs", minimum=0)
        bs = check_int(self.batch_size, "batch_size", minimum=2)
        temperature = check_positive(self.temperature, "temperature")
        device = resolve_device(self.device)
        with timed(self.timings_, "counterparts_train"):
            V = self.transform(E)
        with timed(self.timings_, "neighbors"):
            nb_img = mine_neighbors(E, self.n_neighbors, self.neighbor_mode)
            nb_txt = mine_neighbors(V, self.n_neighbors, self.neighbor_mode)
        torch.manual_seed(self.random_state)
        rng = np.random.default_rng(self.random_state)
        d = E.shape[1]
        self.head_image_ = ClusterHead(d, K, self.init).to(device)
        self.head_text_ = ClusterHead(d, K, self.init).to(device)
        params = list(self.head_image_.parameters()) + list(self.head_text_.parameters())
        opt = torch.optim.Adam(params, lr=check_positive(self.lr, "lr"), betas=(0.9, 0.99))
        Et, Vt = torch.from_numpy(E).to(device), torch.from_numpy(V).to(device)
        self.loss_history_ = {"distill": [], "consistency": [], "entropy": [], "total": []}
        with timed(self.timings_, "train_heads"), torch_threads(1):
            bar = tqdm(range(epochs), desc="TAC* heads", disable=bar_disabled(self.progress), leave=False)
            for epoch in bar:
                means = self._train_epoch(Et, Vt, nb_img, nb_txt, opt, rng, min(bs, E.shape[0]), temperature, epoch)
                for key, v in zip(self.loss_history_, means):
                    self.loss_history_[key].append(float(v))
                bar.set_postfix(loss=f"{means[3]:.4f}")
        return self

    @torch.no_grad()
    def predict_proba(self, E) -> np.ndarray:
        """Image-head assignment probabilities (n, K)."""
        check_fitted(self, "head_image_")
        E = as_features(E, "image features")
        self.head_image_.eval()
        dev = next(self.head_image_.parameters()).device
        return torch.cat([self.head_image_(torch.from_numpy(E[a:a + 8192]).to(dev)).cpu()
                          for a in range(0, E.shape[0], 8192)]).numpy()

    def predict(self, E) -> np.ndarray:
        """TAC* clusters: the image head's argmax (TAC code)."""
        check_fitted(self, "head_image_")
        with timed(self.timings_, "predict"):
            labels = self.predict_proba(E).argmax(1).astype(np.int64)
        self.labels_ = labels
        return labels
