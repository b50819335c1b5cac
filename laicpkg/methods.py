"""Registry of clustering methods reachable from ``laic run --method`` and the notebooks.

Explained in: notebooks/05_pipeline.

Every entry builds an unfitted model from a resolved parameter dict and the
number of clusters K; the runner fits it on the train split (Stage 1) and
predicts on the test split (Stage 2).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .counterparts import TwoStageClustering
from .errors import UnknownNameError
from .filters import SICFilter, TACFilter
from .gradnorm import GradNormFilter

__all__ = ["MethodSpec", "METHODS", "get_method", "list_methods"]

_STAGE2 = ("kappa", "normalize_counterparts", "kmeans_niter", "final_nredo", "device")


@dataclass(frozen=True)
class MethodSpec:
    name: str
    description: str
    params: tuple          # parameters of the config this method reads (recorded in the run record)
    build: Callable | None  # (params, K, seed) -> TwoStageClustering; None for plain k-means


def _stage2(f, p, K, seed):
    return TwoStageClustering(f, K, kappa=p["kappa"], normalize_counterparts=p["normalize_counterparts"],
                              kmeans_niter=p["kmeans_niter"], final_nredo=p["final_nredo"], device=p["device"],
                              random_state=seed)


def _gradnorm(classifier):
    def build(p, K, seed):
        f = GradNormFilter(K, n_pseudo_classes=p["n_pseudo_classes"], tau=p["tau"], beta=p["beta"],
                           classifier=classifier, epochs=p["epochs"], batch_size=p["batch_size"], lr=p["lr"],
                           kmeans_niter=p["kmeans_niter"], kmeans_nredo=p["kmeans_nredo"], device=p["device"],
                           progress=False, random_state=seed)
        return _stage2(f, p, K, seed)
    return build


def _tac(p, K, seed):
    f = TACFilter(K, n_pseudo_classes=p["tac_n_pseudo_classes"], top_k=p["tac_top_k"],
                  temperature=p["tac_temperature"], kmeans_niter=p["kmeans_niter"], kmeans_nredo=p["kmeans_nredo"],
                  device=p["device"], random_state=seed)
    return _stage2(f, p, K, seed)


def _sic(p, K, seed):
    f = SICFilter(K, gamma_u=p["sic_gamma_u"], gamma_r=p["sic_gamma_r"], gamma_u_mode=p["sic_gamma_u_mode"],
                  kmeans_niter=p["kmeans_niter"], kmeans_nredo=p["kmeans_nredo"], random_state=seed)
    return _stage2(f, p, K, seed)


_GN = ("tau", "beta", "n_pseudo_classes", "epochs", "batch_size", "lr", "kmeans_nredo")
METHODS = {m.name: m for m in [
    MethodSpec("zeroshot", "CLIP zero-shot with the true class names (Eq. 1; supervised reference)", (), None),
    MethodSpec("kmeans", "CLIP k-means: spherical k-means on the test image features",
               ("kmeans_niter", "final_nredo"), None),
    MethodSpec("gradnorm", "GradNorm (paper): ERM classifier, Eq. 6 score, Eq. 8 selection, Eq. 9 Stage 2",
               _GN + _STAGE2, _gradnorm("erm")),
    MethodSpec("gradnorm-centroid", "GradNorm with W = normalised pseudo-class means (Eq. 12)",
               tuple(x for x in _GN if x not in ("epochs", "batch_size", "lr")) + _STAGE2, _gradnorm("centroid")),
    MethodSpec("tac-filter", "TAC's noun filter (max softmax over centres) under GradNorm's Stage 2",
               ("tac_top_k", "tac_temperature", "tac_n_pseudo_classes", "kmeans_nredo") + _STAGE2, _tac),
    MethodSpec("sic-filter", "SIC's semantic-space construction under GradNorm's Stage 2",
               ("sic_gamma_u", "sic_gamma_r", "sic_gamma_u_mode", "kmeans_nredo") + _STAGE2, _sic),
]}


def list_methods() -> list[str]:
    return list(METHODS)


def get_method(name: str) -> MethodSpec:
    if name not in METHODS:
        raise UnknownNameError(f"unknown method {name!r}; choose one of {', '.join(METHODS)}")
    return METHODS[name]
