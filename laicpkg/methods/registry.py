"""Registry of method names: each maps to one estimator class and a few fixed arguments.

Explained in: notebooks/05_pipeline and book/implementation.md ("One class per method").

A :class:`Method` never lists parameters: its configurable parameters are the
constructor arguments of its estimator (and, for methods fed by another
method's Stage 1, the ``stage1_params`` of that estimator), named by
:meth:`~laicpkg.methods.base.Estimator.config_name`. The run configuration, the
command-line flags and the run records all derive from :func:`parameter_defaults`.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field, replace

from ..utils.errors import ParameterError, look_up
from .base import TwoStage
from .baselines import CLIPKMeans, ZeroShot
from .gradnorm import GradNorm
from .idcl import IDCL
from .sic import SIC
from .tac import TAC, TACStar

__all__ = ["Method", "METHODS", "TITLES", "get_method", "list_methods", "parameter_defaults", "ESTIMATORS"]


@dataclass(frozen=True)
class Method:
    """A method name: its estimator class, fixed constructor arguments and variant settings.

    ``noun_filter``: the estimator class whose Stage 1 feeds this one (TAC* fed by GradNorm,
    TAC's filter under GradNorm's Stage 2). ``unused``: configurable arguments this variant
    never reads (the ERM settings of the centroid classifier). ``settings``: (values, source)
    pairs that this variant changes in the configuration (users may still override them).
    ``feature_settings``: the same, applied only on CLIP-feature datasets (not raw images).
    ``filter_fixed``: fixed constructor arguments of the ``noun_filter`` (TAC's filter at GradNorm's C).
    ``title``: the name a reader sees in the book's figures and tables (:data:`TITLES`).
    """

    name: str
    description: str
    estimator: type
    fixed: dict = field(default_factory=dict)
    noun_filter: type | None = None
    unused: tuple = ()
    settings: tuple = ()
    feature_settings: tuple = ()
    filter_fixed: dict = field(default_factory=dict)
    title: str = ""

    def parameters(self) -> dict:
        """``{config name: (estimator class, argument name, default)}`` of every parameter this method reads."""
        out = {}
        cls = self.estimator
        for arg, default in cls.configured().items():
            if arg not in self.fixed and arg not in self.unused:
                out[cls.config_name(arg)] = (cls, arg, default)
        if self.noun_filter is not None:
            f = self.noun_filter
            for arg, default in f.configured().items():
                if arg in f.stage1_params:
                    out.setdefault(f.config_name(arg), (f, arg, default))
        return out

    def build(self, params: dict, n_clusters: int, seed: int, progress: bool | None = False):
        """An unfitted estimator from a resolved configuration (``params`` by config name); ``progress``: the
        estimator's progress bars over training epochs (None: only on a terminal)."""
        def kwargs(cls):
            names = {a: cls.config_name(a) for a in cls.configured()}
            kw = {a: params[c] for a, c in names.items() if c in used}
            accepted = inspect.signature(cls.__init__).parameters
            kw.update({k: v for k, v in (("random_state", seed), ("progress", progress)) if k in accepted})
            return kw

        used = self.parameters()
        kw = {**kwargs(self.estimator), **self.fixed}
        if self.noun_filter is not None:
            f_kw = {a: v for a, v in kwargs(self.noun_filter).items()
                    if a in self.noun_filter.stage1_params or a in ("random_state", "progress")}
            kw["noun_filter"] = self.noun_filter(n_clusters, **f_kw, **self.filter_fixed)
        return self.estimator(n_clusters, **kw)


_GRADNORM = "GradNorm (paper): ERM classifier, Eq. 6 score, Eq. 8 selection, Eq. 9 Stage 2"
_ERM = ("erm_epochs", "erm_batch_size", "erm_lr")
METHODS = {m.name: m for m in [
    Method("zeroshot", "CLIP zero-shot with the true class names (Eq. 1; supervised reference)", ZeroShot),
    Method("kmeans", "CLIP k-means: spherical k-means on the test image features", CLIPKMeans),
    Method("gradnorm", _GRADNORM, GradNorm),
    Method("gradnorm-literal", "GradNorm read literally: Eq. 9 without normalising v_i (the default normalises, "
           "as the authors' code); the single 'a photo of a' prompt is a feature-extraction choice "
           "(laic extract --prompts photo)", GradNorm,
           settings=(({"normalize_counterparts": False}, "GradNorm paper, Eq. 9 as written (unnormalised v_i)"),)),
    Method("gradnorm-centroid", "GradNorm with W = normalised pseudo-class means (Eq. 12)", GradNorm,
           fixed={"classifier": "centroid"}, unused=_ERM),
    Method("tac-filter", "TAC's noun filter (max softmax over centres) under GradNorm's Stage 2", TwoStage,
           noun_filter=TAC),
    Method("sic-filter", "SIC's semantic-space construction under GradNorm's Stage 2", TwoStage, noun_filter=SIC),
    Method("tac", "TAC, training-free: TAC's filter, counterparts with κ = 0.005, k-means on [e; v]", TAC),
    Method("tac-equal-c", "TAC with GradNorm's number of pseudo-classes (C = N/600 if N/K > 600 else 3K, "
           "GradNorm Sec. 5.1.2) instead of TAC's N/300: the two filters at the same C", TAC,
           fixed={"pseudo_class_size": GradNorm.SAMPLES_PER_PSEUDO_CLASS}),
    Method("tac-filter-equal-c", "TAC's filter at GradNorm's C under GradNorm's Stage 2: GradNorm against it "
           "differs only in the noun score", TwoStage, noun_filter=TAC,
           filter_fixed={"pseudo_class_size": GradNorm.SAMPLES_PER_PSEUDO_CLASS}),
    Method("tac-star", "TAC*: TAC's filter and text counterparts, cross-modal mutual-distillation heads", TACStar,
           noun_filter=TAC),
    Method("gradnorm-tac-star", "GradNorm→TAC*: TAC*'s heads fed with GradNorm's selected nouns", TACStar,
           noun_filter=GradNorm),
    Method("sic", "SIC, complete: semantic space, adjusted centre-based pseudo-labels, consistency learning", SIC),
    Method("idcl", "IDCL: Transformer autoencoder, density curriculum, density-core assignment "
           "(raw images; on CLIP-feature datasets: the test image features with a linear autoencoder)", IDCL,
           feature_settings=(({"idcl_transformer": False}, "forced by the runner: LaIC features are vectors, "
                              "not images (linear autoencoder)"),)),
]}

#: The name of each method as the book shows it (the papers' names; variants say how they differ).
TITLES = {"zeroshot": "CLIP zero-shot", "kmeans": "CLIP k-means", "gradnorm": "GradNorm",
          "gradnorm-literal": "GradNorm, Eq. 9 as written", "gradnorm-centroid": "GradNorm, centroid W",
          "tac-filter": "TAC's filter + GradNorm's Stage 2", "tac-equal-c": "TAC at GradNorm's C",
          "tac-filter-equal-c": "TAC's filter at GradNorm's C + GradNorm's Stage 2", "sic-filter": "SIC's filter + GradNorm's Stage 2",
          "tac": "TAC", "tac-star": "TAC*", "gradnorm-tac-star": "GradNorm→TAC*", "sic": "SIC", "idcl": "IDCL"}
METHODS = {name: replace(m, title=TITLES[name]) for name, m in METHODS.items()}

#: Every estimator class reachable from a method name.
ESTIMATORS = tuple(dict.fromkeys(c for m in METHODS.values() for c in (m.estimator, m.noun_filter) if c is not None))


def list_methods() -> list[str]:
    return list(METHODS)


def get_method(name: str) -> Method:
    return look_up(METHODS, name, "method")


def parameter_defaults() -> dict:
    """``{config name: default}`` over every method, from the estimators' signatures.

    A name shared by several estimators must have one default everywhere (a test holds
    every estimator to it); a disagreement raises :class:`ParameterError` at import.
    """
    out, owner = {}, {}
    for m in METHODS.values():
        for name, (cls, arg, default) in m.parameters().items():
            if name in out and out[name] != default:
                raise ParameterError(f"{name}: {cls.__name__}.{arg} defaults to {default!r} but "
                                     f"{owner[name]} to {out[name]!r}")
            out.setdefault(name, default)
            owner.setdefault(name, f"{cls.__name__}.{arg}")
    return out
