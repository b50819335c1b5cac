"""GradNorm end to end (GradNorm paper, Algorithm 1): one estimator, Stage 1 and Stage 2.

Explained in: notebooks/05_pipeline (the method), notebooks/02_eq6_derivation (the score)
and notebooks/03_theorem2_limits (the centroid classifier as the τ→0 limit).

Stage 1 (:meth:`GradNorm.select_nouns`, Algorithm 1 lines 1–4):

1. spherical k-means on the train image features → pseudo-labels ``y`` (C classes);
2. ERM of ``h(e; W) = softmax(τ eᵀW)`` with cross-entropy (Eq. 3–4), or the
   centroid classifier of Eq. 12;
3. the score of every noun, the squared Frobenius norm of the loss gradient with
   respect to W at its own predicted label (Eq. 6–7);
4. the β lowest scores of each pseudo-class (Eq. 8); their union is D_pos.

Stage 2 (:class:`~laicpkg.methods.base.TwoStage`): text counterparts (Eq. 9) and
spherical k-means on ``[e; v]``.
"""
from __future__ import annotations

from ..core.counterparts import KAPPA
from ..core.filters import select_per_group, select_per_group_as_torch
from ..core.gradnorm import (BETA, SCORE_DTYPES, TAU, centroid_classifier, gradnorm_scores,
                             gradnorm_scores_fp16_authors, train_erm_classifier)
from ..utils.timing import timed
from ..utils.validation import check_choice, check_int, check_positive, resolve_device
from .base import TwoStage

__all__ = ["GradNorm"]


class GradNorm(TwoStage):
    """GradNorm (Algorithm 1): gradient-norm noun filter, then Stage 2.

    ``GradNorm(K).fit(E_train, R).predict(E_test)`` returns the clusters of the test images.

    Parameters
    ----------
    n_clusters : int
        K, the number of classes (the C rule and the final k-means).
    n_pseudo_classes : int or None
        C; ``None`` applies the paper's rule ``N/600`` if ``N/K > 600`` else ``3K`` (Sec. 5.1.2).
    tau : float, default 1/0.08
        τ of Eq. 4 and Eq. 6–7.
    beta : int, default 5
        β of Eq. 8, nouns kept per pseudo-class.
    classifier : {"erm", "centroid"}
        ``"erm"`` trains W by Eq. 3–4 (the paper); ``"centroid"`` uses the normalised
        pseudo-class means (Eq. 12).
    erm_epochs, erm_batch_size, erm_lr : int, int, float, default 30, 2048, 1e-3
        ERM settings (Sec. 5.1.2; 100 epochs and batch 8192 on UCF-101 and ImageNet-1K).
    kmeans_niter, kmeans_nredo, kmeans_max_points : int
        Lloyd iterations (also of the final k-means), restarts and faiss' subsampling of the
        pseudo-label k-means.
    score_dtype : {"float32", "float16", "float16-authors"}
        Precision of the logits and softmax of Eq. 7: float32; fp16 tensors (W·τ cast to fp16; fast on a
        GPU); or the authors' code's fp16 order of operations and its tie-breaking sort
        (:func:`~laicpkg.core.gradnorm.gradnorm_scores_fp16_authors`, the ``official-code`` preset).
    kappa, normalize_counterparts, final_nredo, final_assign :
        Stage 2 (see :class:`~laicpkg.methods.base.TwoStage`).
    device : {"auto", "cpu", "cuda"}
    progress : bool or None
        tqdm bar over ERM epochs (None: only on a terminal).
    random_state : int
        Seeds k-means, the ERM initialisation and shuffling.

    Attributes
    ----------
    pseudo_labels_ : (n_train,) pseudo-labels y from k-means
    n_pseudo_classes_ : C
    W_ : (d, C) the classifier W*
    erm_losses_ : per-epoch training loss (``"erm"`` only)
    scores_ : (n_nouns,) S of Eq. 6
    noun_assign_ : (n_nouns,) ỹ of Eq. 7
    msp_ : (n_nouns,) max_j π̃_ij
    selected_indices_, selected_per_group_, R_pos_, text_counterparts_, labels_ : see :class:`TwoStage`
    """

    filter_name = "gradnorm"
    #: the classifier is chosen by the method's name (gradnorm, gradnorm-centroid), not by a flag
    not_configured = TwoStage.not_configured + ("classifier",)
    #: The C rule's images per pseudo-class (Sec. 5.1.2: C = N/600 when N/K > 600, else 3K).
    SAMPLES_PER_PSEUDO_CLASS = 600
    stage1_params = ("n_pseudo_classes", "tau", "beta", "classifier", "erm_epochs", "erm_batch_size", "erm_lr",
                     "kmeans_niter", "kmeans_nredo", "kmeans_max_points", "score_dtype", "device")

    def __init__(self, n_clusters: int, *, n_pseudo_classes: int | None = None, tau: float = TAU, beta: int = BETA,
                 classifier: str = "erm", erm_epochs: int = 30, erm_batch_size: int = 2048, erm_lr: float = 1e-3,
                 kmeans_niter: int = 300, kmeans_nredo: int = 1, kmeans_max_points: int | None = 256,
                 score_dtype: str = "float32", kappa: float = KAPPA, normalize_counterparts: bool = True,
                 final_nredo: int = 20, final_assign: str = "kmeans", device: str = "auto",
                 progress: bool | None = None, random_state: int = 0):
        self.n_clusters = n_clusters
        self.n_pseudo_classes = n_pseudo_classes
        self.tau = tau
        self.beta = beta
        self.classifier = classifier
        self.erm_epochs = erm_epochs
        self.erm_batch_size = erm_batch_size
        self.erm_lr = erm_lr
        self.kmeans_niter = kmeans_niter
        self.kmeans_nredo = kmeans_nredo
        self.kmeans_max_points = kmeans_max_points
        self.score_dtype = score_dtype
        self.kappa = kappa
        self.normalize_counterparts = normalize_counterparts
        self.final_nredo = final_nredo
        self.final_assign = final_assign
        self.device = device
        self.progress = progress
        self.random_state = random_state

    def _select(self, E, R):
        C = self.pseudo_classes_for(E.shape[0])
        beta = check_int(self.beta, "beta")
        tau = check_positive(self.tau, "tau")
        check_choice(self.classifier, "classifier", ("erm", "centroid"))
        dtype = SCORE_DTYPES[check_choice(self.score_dtype, "score_dtype", tuple(SCORE_DTYPES))]
        device = resolve_device(self.device)
        km = self._kmeans(E, C)
        self.pseudo_labels_, self.n_pseudo_classes_ = km.labels_, C
        with timed(self.timings_, "classifier"):
            if self.classifier == "erm":
                self.W_, self.erm_losses_ = train_erm_classifier(
                    E, km.labels_, C, tau=tau, epochs=self.erm_epochs, batch_size=self.erm_batch_size,
                    lr=self.erm_lr, device=device, random_state=self.random_state, progress=self.progress)
            else:
                self.W_, self.erm_losses_ = centroid_classifier(E, km.labels_, C), []
        authors = self.score_dtype == "float16-authors"
        with timed(self.timings_, "score"):
            if authors:
                self.scores_, self.noun_assign_, self.msp_ = gradnorm_scores_fp16_authors(R, self.W_, tau)
            else:
                self.scores_, self.noun_assign_, self.msp_ = gradnorm_scores(R, self.W_, tau, device=device,
                                                                             dtype=dtype)
        with timed(self.timings_, "select"):
            if authors:  # the code: argsort(-score, descending=True), i.e. the lowest scores, its tie order
                per_group, sizes = select_per_group_as_torch(-self.scores_, self.noun_assign_, C, beta)
            else:
                per_group, sizes = select_per_group(self.scores_, self.noun_assign_, C, beta, largest=False)
        self._record_groups(per_group, sizes, beta)
