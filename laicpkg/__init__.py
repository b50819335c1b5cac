"""laicpkg — language-assisted image clustering: GradNorm, TAC, SIC and IDCL on CLIP features.

Every computation of the LaIC book lives here; notebooks only call it. The layers, each
importing only from those below it::

    cli                      the `laic` command
    cli_catalog              what the parser and `laic list` show, as JSON (so `--help` needs no torch)
    book                     paper numbers, tables by chapter, findings, figures, notebook checks, results pages
    run                      configuration, run records, runner, sweeps, the Dask grid
    theory                   the quantities of Theorems 1-2
    methods                  one estimator class per method, and the registry of names
    features                 dataset specifications, generators, extraction, nouns, caches
    core                     the arithmetic: k-means, metrics, scores, counterparts, density
    utils                    errors, validation, atomic writes, timers, environment
"""
from ._version import __version__  # noqa: F401  (the package face re-exports)

#: The package face: each public name and the module it lives in. Imported on first use (PEP 562), so that
#: ``import laicpkg`` (and ``laic --help``) does not load torch and faiss.
_EXPORTS = {
    "KAPPA": "core.counterparts", "concat_features": "core.counterparts", "text_counterparts": "core.counterparts",
    "pseudo_class_count": "core.filters", "select_per_group": "core.filters",
    "BETA": "core.gradnorm", "TAU": "core.gradnorm", "centroid_classifier": "core.gradnorm",
    "gradnorm_scores": "core.gradnorm", "train_erm_classifier": "core.gradnorm",
    "KMeans": "core.kmeans", "k_means": "core.kmeans",
    "cluster_accuracy": "core.metrics", "clustering_scores": "core.metrics", "filter_precision_recall": "core.metrics",
    "load_dataset": "features.datasets", "TwoStage": "methods.base", "CLIPKMeans": "methods.baselines",
    "ZeroShot": "methods.baselines", "GradNorm": "methods.gradnorm", "IDCL": "methods.idcl", "SIC": "methods.sic",
    "TAC": "methods.tac", "TACStar": "methods.tac",
    "CacheError": "utils.errors", "EmptyClusterError": "utils.errors", "FeatureError": "utils.errors",
    "LaicError": "utils.errors", "ParameterError": "utils.errors", "UnknownNameError": "utils.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str):
    if name in _EXPORTS:
        from importlib import import_module

        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
