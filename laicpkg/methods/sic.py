"""SIC, "Semantic-Enhanced Image Clustering" (Cai et al., AAAI 2023), complete.

Explained in: notebooks/07_comparison.

1. Semantic space construction (:meth:`SIC.select_nouns`): uniqueness
   ``ρ(w) = 1 − cos(w, ē)`` (SIC Eq. 1), drop the most generic nouns (γ_u), k-means
   with c = K on the images, keep the γ_r nearest nouns of every centre → the
   semantic set T with embeddings V.
2. Semantic centres H (one per cluster), recomputed every epoch from the head's
   current assignment Q, by one of three mappings:

   * ``direct``: every image to its nearest noun of T; k-means (c) on those nouns;
   * ``center``: per cluster l, the images whose ``q_il`` is among the ξ_c largest of
     column l (Eq. 2–3); their mean is the image centre (Eq. 4); its nearest noun of T is h_l;
   * ``adjusted`` (default, SIC's best): as ``center``, then h_l is replaced by the
     mean of its ξ_a nearest nouns of T.

   Pseudo-labels ``p_i = one-hot(argmax_l softmax_l(u_iᵀ h_l))`` (Eq. 5).
3. Joint consistency learning of a linear cluster head ``q_i = softmax(W u_i + b)``,
   initialised from the k-means centres R as ``W = 2τ_m R``, ``b_l = −τ_m ‖r_l‖²``
   (Eq. 8–9), with ``L = L_I + β L_IS + λ L_B`` (Eq. 11): neighbour consistency
   ``L_I = −mean_i log q_iᵀ q_j`` for one random j of the k nearest neighbours (Eq. 6),
   image–semantic ``L_IS = mean_i CE(p_i, q_i)`` (Eq. 7) and the balance term (Eq. 10).
   Adam, 100 epochs, batch 128, SIC Table 2's η_φ, ξ_c = 0.9 n/c, ξ_a, k, λ = 5, β.

Choices (all parameters; the paper where it is explicit, SIC's public code where the paper is silent or
ambiguous, the other reading as an option; ``--preset official-code`` runs the code's logic):

* γ_u: SIC's text says "select ρ(w) ≥ γ_u" and its code keeps the nouns with ``cos(w, ē) < 1 − γ_u``:
  both a threshold (the default). Its Table 2 calls γ_u "the number of most unique nouns"; the
  reading as the fraction of most generic nouns removed is ``gamma_u_mode="fraction"``.
* Semantic space: the γ_r nearest nouns among the unique ones, as the paper describes
  (``order="sequential"``); the code intersects two filters run on all nouns (``"intersect"``).
* Adjusted mapping: the ξ_a nouns nearest to the *image centre*, as the code does (the paper's text and
  its Table 2 caption disagree); ``adjust_to="nearest-noun"`` uses the centre's nearest noun.
* The ξ_c most confident images of a cluster are ranked by the head's logits, as the code does
  (``rank_by="proba"``: by probabilities).
* Head: initialised from the k-means centres as Eq. 8–9 state, with τ_m = 0.05, the code's α of its
  ``--center_init`` flag (the paper gives no value); the code's default is a plain linear layer
  (``head_init="plain"``). Adam with weight decay 1e-4 (0.009 for ImageNet-Dogs), as the code's configs.
* Scale of the head's input: the paper does not say whether u is normalised; the code feeds the head
  CLIP's unnormalised image features (``encode_image``'s output, and k-means centres of those for
  Eq. 8–9). The feature caches hold unit vectors, so the head sees ``s·u`` and starts from ``s·r_l``
  with ``input_scale`` s = 10 (an assumption about the order of ViT-B/32's feature norms, not measured
  here: no weights offline). With unit inputs (``input_scale=1``) Eq. 8–9's logits differ by at most
  ``4τ_m = 0.2`` and the head at η_φ = 1e-4 stays near uniform on small datasets with many clusters
  (book/implementation.md, "SIC's input scale").
* L_I's neighbour is drawn from the k nearest images *including the image itself*, as the code's
  neighbour files hold (``neighbor_mode="exclude-self"`` draws among the k others). The neighbours are
  searched by inner product; the code searches by L2 (``neighbor_metric="l2"``): the same order in exact
  arithmetic on unit features, but float32 rounding reorders a few rows.
* ē of Eq. 1 is the exact mean of the noun features; the code averages per-batch means over its text
  loader's batches (``noun_center="batch-means"``, batches of ``batch_size`` nouns), which moves ē
  slightly and flips a few uniqueness decisions at the γ_u threshold.
* The code early-stops on test accuracy; we do not (no choice looks at test labels): 100 epochs, the
  last head is kept.
* L_B: Eq. 10 writes ``−Σ q̄ log q̄`` (the entropy) and calls it the "negative entropy
  loss"; minimising the entropy would empty clusters, the opposite of its stated
  purpose, so L_B is the negative entropy ``Σ_l q̄_l log q̄_l`` (as in SCAN, whose code SIC
  forks).
* Eq. 9 writes ``‖h_l‖²`` for the bias; with W built from R it must be ``‖r_l‖²``.
* Eq. 4 is garbled (it sums u_i over i with 1/‖z_i‖₁); we read it as the mean of the
  selected images of cluster l. The adjusted centre is L2-normalised.
* The CLIP-style image augmentation of SIC's training is not applied: this project
  works on cached features.
* Semantic centres and pseudo-labels are recomputed once per epoch (Algorithm 1),
  from Q on the whole train split.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..core.filters import batch_mean_center, nearest_per_center, uniqueness
from ..core.kmeans import KMeans
from ..utils.errors import ParameterError
from ..utils.timing import bar_disabled, timed, torch_threads
from ..utils.validation import (as_features, check_choice, check_finite_loss, check_int, check_n_clusters,
                                check_positive, resolve_device)
from .base import NounSelector
from .tac import mine_neighbors
from ..utils.validation import check_fitted

__all__ = ["sic_neighbors", "SIC", "semantic_centers", "sic_losses", "negative_entropy"]


def negative_entropy(q: torch.Tensor) -> torch.Tensor:
    """SIC's balance term ``L_B = Σ_l q̄_l log q̄_l`` with ``q̄ = mean_i q_i`` (Eq. 10, read as negative entropy)."""
    m = q.mean(0).clamp_min(1e-9)
    return (m * m.log()).sum()


def sic_losses(q: torch.Tensor, q_nb: torch.Tensor, pseudo: torch.Tensor):
    """``(L_I, L_IS, L_B)`` of SIC Eq. 6, 7 and 10 for a batch.

    ``q`` (B, c) anchors' assignments, ``q_nb`` (B, c) one neighbour's, ``pseudo`` (B,) labels.
    """
    l_i = -torch.log((q * q_nb).sum(1).clamp_min(1e-12)).mean()
    l_is = F.nll_loss(torch.log(q.clamp_min(1e-12)), pseudo)
    return l_i, l_is, negative_entropy(q)


def semantic_centers(U: np.ndarray, V: np.ndarray, Q: np.ndarray | None, *, mapping: str = "adjusted",
                     xi_c: int | None = None, xi_a: int = 20, adjust_to: str = "image-center",
                     random_state: int = 0) -> np.ndarray:
    """The c semantic centres H (c, d) of SIC's three mappings (see the module docstring).

    ``U`` (n, d) images, ``V`` (m, d) semantic set T, ``Q`` (n, c) the scores by which the ξ_c most
    confident images of each cluster are ranked (the head's logits in SIC's code, or its probabilities;
    unused by ``direct``, which needs ``c`` from ``Q.shape[1]`` only). ``adjust_to``: the adjusted mapping
    averages the ξ_a nouns nearest to the image centre (SIC's code, default) or to the centre's nearest
    noun (``"nearest-noun"``).
    """
    check_choice(adjust_to, "adjust_to", ("image-center", "nearest-noun"))
    check_choice(mapping, "mapping", ("direct", "center", "adjusted"))
    c = Q.shape[1]
    if mapping == "direct":
        nearest = (U @ V.T).argmax(1)
        S = V[nearest]
        return KMeans(c, spherical=True, niter=100, on_empty="ignore", random_state=random_state).fit(S).cluster_centers_
    n = U.shape[0]
    xi_c = max(1, min(n, int(math.floor(0.9 * n / c)) if xi_c is None else int(xi_c)))
    kth = np.partition(Q, n - xi_c, axis=0)[n - xi_c]       # κ_l: the ξ_c-th largest q in column l (Eq. 3)
    Zmask = Q >= kth[None, :]                                 # Eq. 2
    img_centers = (Zmask.T.astype(np.float64) @ U) / Zmask.sum(0)[:, None]   # Eq. 4
    sims = img_centers @ V.T
    H = V[sims.argmax(1)].astype(np.float64)
    if mapping == "adjusted":
        xi_a = min(check_int(xi_a, "xi_a"), V.shape[0])
        anchor = sims if adjust_to == "image-center" else H @ V.T
        nn_idx = np.argpartition(-anchor, xi_a - 1, axis=1)[:, :xi_a]
        H = V[nn_idx].mean(1)
        H /= np.linalg.norm(H, axis=1, keepdims=True)
    return H.astype(np.float32)


def sic_neighbors(U: np.ndarray, k: int, mode: str = "include-self", metric: str = "ip") -> np.ndarray:
    """Candidate neighbours (n, ·) of L_I: the k nearest images by inner product (= by L2 on unit-norm rows).

    ``mode="include-self"`` keeps the image itself among the k + 1 candidates, as SIC's code (SCAN's
    neighbour files) does, so the drawn neighbour is the anchor with probability 1/(k + 1);
    ``"exclude-self"`` draws among the k others. ``metric="l2"`` searches with faiss' exact L2 index as
    the code does (``IndexFlatL2``, the top k + 1 kept as found, the image itself usually first): the same
    neighbours in exact arithmetic on unit rows, another order where float32 distances tie or round apart.
    """
    check_choice(mode, "neighbor_mode", ("include-self", "exclude-self"))
    check_choice(metric, "neighbor_metric", ("ip", "l2"))
    if metric == "l2":
        import faiss

        X = np.ascontiguousarray(U, dtype=np.float32)
        kk = min(check_int(k, "n_neighbors"), X.shape[0] - 1)
        index = faiss.IndexFlatL2(X.shape[1])
        index.add(X)
        _, idx = index.search(X, kk + 1)
        idx = np.ascontiguousarray(idx, dtype=np.int64)
        if mode == "include-self":
            return idx
        out = np.empty((X.shape[0], kk), dtype=np.int64)
        for i, row in enumerate(idx):
            out[i] = row[row != i][:kk]
        return out
    others = mine_neighbors(U, k)
    if mode == "exclude-self":
        return others
    return np.concatenate([np.arange(U.shape[0])[:, None], others], axis=1)


class SIC(NounSelector):
    """The complete SIC method (semantic space, semantic centres, joint consistency learning).

    Parameters
    ----------
    n_clusters : int (c)
    gamma_u, gamma_u_mode : γ_u, a threshold on ρ (default) or the fraction of most generic nouns removed
    gamma_r : int — nearest nouns kept per image centre
    order : "sequential" (the γ_r nearest among the unique nouns, the paper) or "intersect" (the code)
    mapping : "direct", "center" or "adjusted" (default)
    xi_c : top samples per cluster for the centre-based mappings; default 0.9 n/c
    xi_a : nouns averaged by the adjusted mapping (SIC Table 2: 20–50)
    adjust_to : "image-center" (default) or "nearest-noun" (see the module notes)
    rank_by : "logits" (default) or "proba": how the ξ_c most confident images are ranked
    n_neighbors, neighbor_mode : k of L_I (default 20); "include-self" (default) or "exclude-self"
    neighbor_metric : "ip" (default) or "l2" (the code's faiss search; :func:`sic_neighbors`)
    noun_center : "mean" (default, Eq. 1) or "batch-means" (the code: the mean of per-batch means over
        batches of ``batch_size`` nouns; :func:`~laicpkg.core.filters.batch_mean_center`)
    lam, beta : λ (balance, 5) and β (image–semantic, SIC Table 2: 1 or 0.1)
    head_init, tau_m : "centers" (Eq. 8–9, default) with τ_m = 0.05, or "plain"
    input_scale : norm of the image features fed to the head (10; 1 = unit features; see the module notes)
    epochs, batch_size, lr : 100, 128, η_φ (SIC Table 2: 1e-4; ImageNet-Dogs 9e-3)
    weight_decay : Adam's weight decay (SIC's code: 1e-4; 0.009 for ImageNet-Dogs)
    kmeans_niter, kmeans_nredo, kmeans_max_points : the image k-means of the semantic space
    device, progress, random_state

    Attributes
    ----------
    uniqueness_ (n_nouns,), unique_mask_ (n_nouns,), centers_ (c, d), image_labels_ : the semantic
    space; selected_indices_, selected_per_group_ : the semantic set T; R_pos_ : its features V;
    head_ (torch Linear), loss_history_ (per epoch: L_I, L_IS, L_B, total), semantic_centers_ (c, d)
    """

    filter_name = "sic"
    config_prefix = "sic_"
    config_shared = ("kmeans_niter", "kmeans_nredo", "kmeans_max_points", "device")
    config_renamed = {"lam": "sic_lambda", "n_neighbors": "sic_neighbors"}
    stage1_params = ("gamma_u", "gamma_r", "gamma_u_mode", "order", "noun_center", "batch_size", "kmeans_niter",
                     "kmeans_nredo",
                     "kmeans_max_points", "device")

    def __init__(self, n_clusters: int, *, gamma_u: float = 0.05, gamma_r: int = 500,
                 gamma_u_mode: str = "threshold", order: str = "sequential", mapping: str = "adjusted",
                 xi_c: int | None = None, xi_a: int = 20, adjust_to: str = "image-center", rank_by: str = "logits",
                 n_neighbors: int = 20, neighbor_mode: str = "include-self", neighbor_metric: str = "ip",
                 noun_center: str = "mean", lam: float = 5.0, beta: float = 1.0,
                 head_init: str = "centers", tau_m: float = 0.05, input_scale: float = 10.0, epochs: int = 100,
                 batch_size: int = 128, lr: float = 1e-4, weight_decay: float = 1e-4, kmeans_niter: int = 300,
                 kmeans_nredo: int = 1, kmeans_max_points: int | None = 256, device: str = "auto",
                 progress: bool = True, random_state: int = 0):
        self.n_clusters = n_clusters
        self.gamma_u = gamma_u
        self.gamma_r = gamma_r
        self.gamma_u_mode = gamma_u_mode
        self.order = order
        self.mapping = mapping
        self.xi_c = xi_c
        self.xi_a = xi_a
        self.adjust_to = adjust_to
        self.rank_by = rank_by
        self.n_neighbors = n_neighbors
        self.neighbor_mode = neighbor_mode
        self.neighbor_metric = neighbor_metric
        self.noun_center = noun_center
        self.lam = lam
        self.beta = beta
        self.head_init = head_init
        self.tau_m = tau_m
        self.input_scale = input_scale
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.kmeans_niter = kmeans_niter
        self.kmeans_nredo = kmeans_nredo
        self.kmeans_max_points = kmeans_max_points
        self.device = device
        self.progress = progress
        self.random_state = random_state

    # -- Stage 1: semantic space construction (SIC Eq. 1 and the paragraph after it) -------------
    def _select(self, E, R):
        k = check_n_clusters(self.n_clusters, E.shape[0], "n_clusters (K)", "training images")
        gamma_r = check_int(self.gamma_r, "gamma_r")
        check_choice(self.gamma_u_mode, "gamma_u_mode", ("fraction", "threshold"))
        check_choice(self.order, "order", ("sequential", "intersect"))
        gamma_u = float(self.gamma_u)
        if not (0.0 <= gamma_u < 1.0):
            raise ParameterError(f"gamma_u must be in [0, 1), got {self.gamma_u!r}")
        check_choice(self.noun_center, "noun_center", ("mean", "batch-means"))
        with timed(self.timings_, "uniqueness"):
            center = batch_mean_center(R, check_int(self.batch_size, "batch_size")) \
                if self.noun_center == "batch-means" else None
            rho = uniqueness(R, center)
            cut = np.quantile(rho, gamma_u) if self.gamma_u_mode == "fraction" else gamma_u
            self.uniqueness_, self.unique_mask_ = rho, rho >= cut
        km = self._kmeans(E, k)
        self.centers_, self.image_labels_ = km.cluster_centers_, km.labels_
        with timed(self.timings_, "select"):
            # "sequential" (the paper): the γ_r nearest among the unique nouns; "intersect" (SIC's code): the
            # γ_r nearest among all nouns, then only those that are also unique
            mask = self.unique_mask_
            pool = np.flatnonzero(mask) if self.order == "sequential" else np.arange(R.shape[0])
            per_group = nearest_per_center(km.cluster_centers_, R, pool, gamma_r)
            if self.order == "intersect":
                per_group = [g[mask[g]] for g in per_group]
            sizes = np.full(k, pool.size, dtype=np.int64)
        self._record_groups(per_group, sizes, gamma_r)

    # -- Stage 2: semantic centres and joint consistency learning (Algorithm 1) ------------------
    @torch.no_grad()
    def _logits(self, X: torch.Tensor) -> torch.Tensor:
        return self.head_(X)

    @torch.no_grad()
    def _proba(self, X: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.head_(X), dim=1)

    def _check_training(self) -> dict:
        """Validated training settings (one error line per bad value)."""
        check_choice(self.mapping, "mapping", ("direct", "center", "adjusted"))
        check_choice(self.rank_by, "rank_by", ("logits", "proba"))
        check_choice(self.head_init, "head_init", ("centers", "plain"))
        check_choice(self.neighbor_mode, "neighbor_mode", ("include-self", "exclude-self"))
        weight_decay = float(self.weight_decay)
        if not (np.isfinite(weight_decay) and weight_decay >= 0):
            raise ParameterError(f"weight_decay must be a number >= 0, got {self.weight_decay!r}")
        return {"epochs": check_int(self.epochs, "epochs", minimum=0), "batch_size": check_int(self.batch_size,
                "batch_size"), "lr": check_positive(self.lr, "lr"), "tau_m": check_positive(self.tau_m, "tau_m"),
                "weight_decay": weight_decay, "input_scale": check_positive(self.input_scale, "input_scale")}

    def _init_head(self, d: int, c: int, tau_m: float, scale: float, device: str) -> None:
        """The linear head; from the k-means centres R (of the inputs ``s·u``, so ``s·r``) as ``W = 2τ_m R``,
        ``b = −τ_m ‖r‖²`` (Eq. 8–9)."""
        torch.manual_seed(self.random_state)
        self.head_ = torch.nn.Linear(d, c).to(device)
        if self.head_init == "centers":
            Rc = torch.from_numpy(self.centers_.astype(np.float32)) * scale
            with torch.no_grad():
                self.head_.weight.copy_(2.0 * tau_m * Rc)
                self.head_.bias.copy_(-tau_m * (Rc * Rc).sum(1))

    def _semantic_pseudo_labels(self, U: np.ndarray, Ut: torch.Tensor) -> tuple:
        """Semantic centres H from the head's current assignment, and pseudo-labels (Eq. 2–5)."""
        Q = (self._logits(Ut) if self.rank_by == "logits" else self._proba(Ut)).cpu().numpy()
        H = semantic_centers(U, self.R_pos_, Q, mapping=self.mapping, xi_c=self.xi_c, xi_a=self.xi_a,
                             adjust_to=self.adjust_to, random_state=self.random_state)
        return H, torch.from_numpy((U @ H.T).argmax(1)).to(Ut.device)

    def _train_epoch(self, Ut, pseudo, nbrs, opt, rng, batch_size: int) -> np.ndarray:
        """One epoch of ``L = L_I + β L_IS + λ L_B`` (Eq. 11); returns the mean of the four terms."""
        n = Ut.shape[0]
        perm = rng.permutation(n)
        sums, n_b = np.zeros(4), 0
        for a in range(0, n, batch_size):
            idx = perm[a:a + batch_size]
            j = nbrs[idx, rng.integers(0, nbrs.shape[1], size=idx.size)]
            q = torch.softmax(self.head_(Ut[idx]), dim=1)
            q_nb = torch.softmax(self.head_(Ut[j]), dim=1)
            l_i, l_is, l_b = sic_losses(q, q_nb, pseudo[idx])
            loss = l_i + self.beta * l_is + self.lam * l_b
            opt.zero_grad()
            loss.backward()
            opt.step()
            sums += [l_i.item(), l_is.item(), l_b.item(), loss.item()]
            n_b += 1
        return sums / max(n_b, 1)

    def fit(self, E_train, R) -> "SIC":
        """Semantic space, then the cluster head on the train split (SIC Algorithm 1)."""
        R = as_features(R, "noun features")
        self.select_nouns(E_train, R)
        self.timings_ = {f"filter/{k}": v for k, v in self.timings_.items()}
        self.R_pos_ = R[self.selected_indices_]
        U = as_features(E_train, "image features")
        c = check_n_clusters(self.n_clusters, U.shape[0], "n_clusters (c)", "training images")
        s = self._check_training()
        if self.R_pos_.shape[0] < c:
            raise ParameterError(f"the semantic set has {self.R_pos_.shape[0]} nouns, fewer than c={c} clusters")
        device = resolve_device(self.device)
        with timed(self.timings_, "neighbors"):
            nbrs = sic_neighbors(U, self.n_neighbors, self.neighbor_mode, self.neighbor_metric)
        self._init_head(U.shape[1], c, s["tau_m"], s["input_scale"], device)
        rng = np.random.default_rng(self.random_state)
        opt = torch.optim.Adam(self.head_.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])
        Ut = torch.from_numpy(U).to(device) * s["input_scale"]  # the code's head sees unnormalised features
        bs = min(s["batch_size"], U.shape[0])
        self.loss_history_ = {"L_I": [], "L_IS": [], "L_B": [], "total": []}
        H = None
        with timed(self.timings_, "train_head"), torch_threads(1):
            bar = tqdm(range(s["epochs"]), desc="SIC head", disable=bar_disabled(self.progress), leave=False)
            for epoch in bar:
                H, pseudo = self._semantic_pseudo_labels(U, Ut)
                means = self._train_epoch(Ut, pseudo, nbrs, opt, rng, bs)
                check_finite_loss(means[3], "SIC", epoch, "--sic-lr", self.lr)
                for key, v in zip(self.loss_history_, means):
                    self.loss_history_[key].append(float(v))
                bar.set_postfix(loss=f"{means[3]:.4f}")
        self.semantic_centers_ = H
        return self

    def predict_proba(self, E) -> np.ndarray:
        check_fitted(self, "head_")
        E = as_features(E, "image features")
        dev = self.head_.weight.device
        return self._proba(torch.from_numpy(E).to(dev) * float(self.input_scale)).cpu().numpy()

    def predict(self, E) -> np.ndarray:
        """Clusters ``argmax_l q_il`` of the trained head (SIC Algorithm 1, output)."""
        check_fitted(self, "head_")
        with timed(self.timings_, "predict"):
            labels = self.predict_proba(E).argmax(1).astype(np.int64)
        self.labels_ = labels
        return labels

    def cluster(self, data) -> np.ndarray:
        """Semantic space and head on the train split, the head's argmax on the test split."""
        return self.fit(data.E_train, data.R).predict(data.E_test)
