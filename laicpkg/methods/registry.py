"""Registry of clustering methods reachable from ``laic run --method`` and the notebooks.

Explained in: notebooks/05_pipeline.

Every entry builds an unfitted model from a resolved parameter dict and the
number of clusters K; the runner fits it on the train split (Stage 1) and
predicts on the test split (Stage 2).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..core.counterparts import TwoStageClustering
from ..utils.errors import ParameterError, UnknownNameError
from ..core.filters import SICFilter, TACFilter
from ..core.gradnorm import GradNormFilter
from .sic import SIC
from .tac import TACStar

__all__ = ["MethodSpec", "METHODS", "get_method", "list_methods"]

_STAGE2 = ("kappa", "normalize_counterparts", "kmeans_niter", "kmeans_max_points", "final_nredo", "final_assign",
           "device")


@dataclass(frozen=True)
class MethodSpec:
    name: str
    description: str
    params: tuple          # parameters of the config this method reads (recorded in the run record)
    build: Callable | None  # (params, K, seed) -> TwoStageClustering; None for plain k-means
    kind: str = "laic"      # "laic": fit(E_train, R), predict(E_test); "images": IDCL on raw data


def max_points(p) -> int | None:
    """The k-means subsampling of a resolved config: ``kmeans_max_points`` 0 means every point."""
    return p["kmeans_max_points"] or None


def _stage2(f, p, K, seed, kappa=None):
    return TwoStageClustering(f, K, kappa=p["kappa"] if kappa is None else kappa,
                              normalize_counterparts=p["normalize_counterparts"], kmeans_niter=p["kmeans_niter"],
                              kmeans_max_points=max_points(p), final_nredo=p["final_nredo"],
                              final_assign=p["final_assign"], device=p["device"], random_state=seed)


def _gradnorm_filter(p, K, seed, classifier="erm"):
    return GradNormFilter(K, n_pseudo_classes=p["n_pseudo_classes"], tau=p["tau"], beta=p["beta"],
                          classifier=classifier, epochs=p["epochs"], batch_size=p["batch_size"], lr=p["lr"],
                          kmeans_niter=p["kmeans_niter"], kmeans_nredo=p["kmeans_nredo"],
                          kmeans_max_points=max_points(p), score_dtype=p["score_dtype"], device=p["device"],
                          progress=False, random_state=seed)


def _gradnorm(classifier):
    def build(p, K, seed):
        return _stage2(_gradnorm_filter(p, K, seed, classifier), p, K, seed)
    return build


def _tac_filter(p, K, seed):
    return TACFilter(K, n_pseudo_classes=p["tac_n_pseudo_classes"], top_k=p["tac_top_k"],
                     temperature=p["tac_temperature"], kmeans_niter=p["kmeans_niter"],
                     kmeans_nredo=p["tac_kmeans_nredo"],
                     kmeans_max_points=max_points(p), device=p["device"], random_state=seed)


def _tac(p, K, seed):
    return _stage2(_tac_filter(p, K, seed), p, K, seed)


def _tac_free(p, K, seed):
    return _stage2(_tac_filter(p, K, seed), p, K, seed, kappa=p["tac_kappa"])


def _tac_star(make_filter):
    def build(p, K, seed):
        return TACStar(K, noun_filter=make_filter(p, K, seed), kappa=p["tac_kappa"],
                       n_neighbors=p["tacstar_neighbors"], temperature=p["tacstar_temperature"],
                       entropy_weight=p["tacstar_entropy_weight"], epochs=p["tacstar_epochs"],
                       batch_size=p["tacstar_batch_size"], lr=p["tacstar_lr"], init=p["tacstar_init"],
                       neighbor_mode=p["tacstar_neighbor_mode"], device=p["device"], progress=False,
                       random_state=seed)
    return build


def _sic_full(p, K, seed):
    return SIC(K, gamma_u=p["sic_gamma_u"], gamma_r=p["sic_gamma_r"], gamma_u_mode=p["sic_gamma_u_mode"],
               order=p["sic_order"], mapping=p["sic_mapping"], xi_a=p["sic_xi_a"], adjust_to=p["sic_adjust_to"],
               rank_by=p["sic_rank_by"], n_neighbors=p["sic_neighbors"], neighbor_mode=p["sic_neighbor_mode"],
               lam=p["sic_lambda"], beta=p["sic_beta"], head_init=p["sic_head_init"], tau_m=p["sic_tau_m"],
               epochs=p["sic_epochs"], batch_size=p["sic_batch_size"], lr=p["sic_lr"],
               weight_decay=p["sic_weight_decay"], kmeans_niter=p["kmeans_niter"], kmeans_nredo=p["kmeans_nredo"],
               kmeans_max_points=max_points(p), device=p["device"], progress=False, random_state=seed)


def parse_widths(text: str) -> tuple:
    """``"500,500,2000"`` → ``(500, 500, 2000)``; one clear error for anything else."""
    try:
        widths = tuple(int(w) for w in str(text).split(","))
    except ValueError:
        widths = ()
    if not widths or min(widths) < 1:
        raise ParameterError(f"idcl_hidden must be comma-separated positive integers like 500,500,2000; got {text!r}")
    return widths


def _idcl(p, K, seed):
    from .idcl import IDCL

    return IDCL(K, alpha=p["idcl_alpha"], lr=p["idcl_lr"], pretrain_lr=p["idcl_pretrain_lr"],
                pretrain_epochs=p["idcl_pretrain_epochs"], epochs=p["idcl_epochs"], batch_size=p["idcl_batch_size"],
                t_grow=p["idcl_t_grow"], pace=p["idcl_pace"], density_core=p["idcl_density_core"],
                core_reduce=p["idcl_core_reduce"],
                transformer=p["idcl_transformer"], reconstruction=p["idcl_reconstruction"],
                hidden=parse_widths(p["idcl_hidden"]), norm_first=p["idcl_norm_first"],
                pretrain_cache=p.get("idcl_pretrain_cache") or None, tol=p["idcl_tol"], device=p["device"], progress=False,
                random_state=seed)


def _sic(p, K, seed):
    f = SICFilter(K, gamma_u=p["sic_gamma_u"], gamma_r=p["sic_gamma_r"], gamma_u_mode=p["sic_gamma_u_mode"],
                  order=p["sic_order"],
                  kmeans_niter=p["kmeans_niter"], kmeans_nredo=p["kmeans_nredo"],
                  kmeans_max_points=max_points(p), device=p["device"], random_state=seed)
    return _stage2(f, p, K, seed)


_GN = ("tau", "beta", "n_pseudo_classes", "epochs", "batch_size", "lr", "kmeans_nredo", "kmeans_max_points",
       "score_dtype")
_TACF = ("tac_top_k", "tac_temperature", "tac_n_pseudo_classes", "tac_kappa", "tac_kmeans_nredo", "kmeans_max_points")
_TACSTAR = ("tac_kappa", "tacstar_epochs", "tacstar_batch_size", "tacstar_lr", "tacstar_temperature",
            "tacstar_neighbors", "tacstar_entropy_weight", "tacstar_init", "tacstar_neighbor_mode", "device")
_SICP = ("sic_gamma_u", "sic_gamma_r", "sic_gamma_u_mode", "sic_order", "sic_mapping", "sic_xi_a", "sic_adjust_to",
         "sic_rank_by", "sic_neighbors", "sic_neighbor_mode", "sic_lambda", "sic_beta", "sic_head_init",
         "sic_weight_decay", "sic_lr", "sic_epochs", "sic_batch_size", "sic_tau_m", "kmeans_niter", "kmeans_nredo",
         "kmeans_max_points", "device")
_IDCLP = ("idcl_alpha", "idcl_lr", "idcl_pretrain_lr", "idcl_pretrain_epochs", "idcl_epochs", "idcl_batch_size",
          "idcl_t_grow", "idcl_pace", "idcl_density_core", "idcl_core_reduce", "idcl_transformer", "idcl_reconstruction",
          "idcl_hidden", "idcl_norm_first", "idcl_tol",
          "device")
METHODS = {m.name: m for m in [
    MethodSpec("zeroshot", "CLIP zero-shot with the true class names (Eq. 1; supervised reference)", (), None),
    MethodSpec("kmeans", "CLIP k-means: spherical k-means on the test image features",
               ("kmeans_niter", "kmeans_max_points", "final_nredo", "final_assign"), None),
    MethodSpec("gradnorm", "GradNorm (paper): ERM classifier, Eq. 6 score, Eq. 8 selection, Eq. 9 Stage 2",
               _GN + _STAGE2, _gradnorm("erm")),
    MethodSpec("gradnorm-literal", "GradNorm read literally: Eq. 9 without normalising v_i (the default "
               "normalises, as the authors' code); the single 'a photo of a' prompt is a feature-extraction choice "
               "(laic extract --prompts photo)", _GN + _STAGE2, _gradnorm("erm")),
    MethodSpec("gradnorm-centroid", "GradNorm with W = normalised pseudo-class means (Eq. 12)",
               tuple(x for x in _GN if x not in ("epochs", "batch_size", "lr")) + _STAGE2, _gradnorm("centroid")),
    MethodSpec("tac-filter", "TAC's noun filter (max softmax over centres) under GradNorm's Stage 2",
               ("tac_top_k", "tac_temperature", "tac_n_pseudo_classes", "tac_kmeans_nredo") + _STAGE2, _tac),
    MethodSpec("sic-filter", "SIC's semantic-space construction under GradNorm's Stage 2",
               ("sic_gamma_u", "sic_gamma_r", "sic_gamma_u_mode", "sic_order", "kmeans_nredo") + _STAGE2, _sic),
    MethodSpec("tac", "TAC, training-free: TAC's filter, counterparts with κ = 0.005, k-means on [e; v]",
               _TACF + tuple(x for x in _STAGE2 if x != "kappa"), _tac_free),
    MethodSpec("tac-star", "TAC*: TAC's filter and text counterparts, cross-modal mutual-distillation heads",
               _TACF + _TACSTAR, _tac_star(_tac_filter)),
    MethodSpec("gradnorm-tac-star", "GradNorm→TAC*: TAC*'s heads fed with GradNorm's selected nouns",
               _GN + _TACSTAR, _tac_star(_gradnorm_filter)),
    MethodSpec("sic", "SIC, complete: semantic space, adjusted centre-based pseudo-labels, consistency learning",
               _SICP, _sic_full),
    MethodSpec("idcl", "IDCL: Transformer autoencoder, density curriculum, density-core assignment "
               "(raw images, e.g. digits; on LaIC datasets: the test image features with a linear autoencoder)",
               _IDCLP, _idcl, kind="images"),
]}


def list_methods() -> list[str]:
    return list(METHODS)


def get_method(name: str) -> MethodSpec:
    if name not in METHODS:
        raise UnknownNameError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[name]
