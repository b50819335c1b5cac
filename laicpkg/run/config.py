"""Run configuration: every hyper-parameter, its default, and where each resolved value came from.

Explained in: notebooks/05_pipeline and book/implementation.md ("One class per method").

The parameters and their defaults are the estimators' constructor arguments
(:func:`laicpkg.methods.registry.parameter_defaults`); this module adds what a
signature cannot say: a help line, the source of the default and the valid domain
(:data:`PARAM_INFO`, one entry per parameter, checked against the estimators by a test).

Resolution order (later wins): the estimator's default → the dataset's own setting
(e.g. 100 ERM epochs / batch 8192 for UCF-101 and ImageNet-1K, SIC's Table 2) → a
named parameter preset (``official-code``: the per-dataset temperatures of the GradNorm
authors' public code, book/implementation.md) → the method variant's settings → the user.
``RunConfig.sources`` records the origin of every value.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import math
import numbers

from ..features.datasets import DATASETS, get_dataset_spec
from ..methods.registry import get_method, parameter_defaults
from ..utils.errors import ParameterError, UnknownNameError, look_up

__all__ = ["Param", "PARAMS", "PARAM_INFO", "PARAMETER_PRESETS", "RunConfig", "resolve_config", "FEATURE_FIELDS",
           "with_feature_names",
           "check_seed", "check_preset", "stage1_dataset", "INT_MAX"]

#: Largest integer a parameter or seed may take: faiss and torch take C ``int`` (signed 32-bit) arguments.
INT_MAX = 2 ** 31 - 1
#: Largest float32 value: a float parameter must stay finite once cast to float32 (the dtype of every kernel).
_F32_MAX = 3.4028234663852886e38
_DOMAINS = {"pos": "a positive number", "nonneg": "a number >= 0", "unit": "a number in [0, 1]",
            "int1": "an integer >= 1", "int0": "an integer >= 0"}


@dataclass(frozen=True)
class Param:
    """One hyper-parameter: its default, type, help text, the source of the default and its valid domain.

    ``domain`` is one of ``pos`` (> 0), ``nonneg`` (>= 0), ``unit`` ([0, 1]),
    ``int1`` (integer >= 1), ``int0`` (integer >= 0), a tuple of allowed strings,
    or None (free text / bool); ``hi`` is an upper bound where the arithmetic
    needs one (τ² must be finite in float32).
    """

    name: str
    default: object
    type: type
    help: str
    source: str = "paper"
    domain: object = None
    hi: float | None = None

    def check(self, value):
        """Return ``value`` if it lies in the domain; raise :class:`ParameterError` with one line otherwise."""
        if value is None and self.default is None:
            return value
        flag, opt = self.name, f" (--{self.name.replace('_', '-')})"
        d = self.domain
        if isinstance(d, tuple):
            if value not in d:
                raise ParameterError(f"{flag} must be one of {', '.join(d)}; got {value!r}{opt}")
            return value
        if self.type is bool:
            if not isinstance(value, bool):
                raise ParameterError(f"{flag} must be true or false; got {value!r}{opt}")
            return value
        if d in ("int1", "int0"):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < (1 if d == "int1" else 0):
                raise ParameterError(f"{flag} must be {_DOMAINS[d]}; got {value!r}{opt}")
            if value > INT_MAX:
                raise ParameterError(f"{flag}={value!r} is too large (at most 2**31 - 1 = {INT_MAX}: faiss and torch "
                                     f"take 32-bit integers){opt}")
        elif d in ("pos", "nonneg", "unit"):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
                    or abs(value) > _F32_MAX:
                raise ParameterError(f"{flag} must be a finite number (float32 range); got {value!r}{opt}")
            if (d == "pos" and value <= 0) or value < 0 or (d == "unit" and value > 1):
                raise ParameterError(f"{flag} must be {_DOMAINS[d]}; got {value!r}{opt}")
        if self.hi is not None and value > self.hi:
            raise ParameterError(f"{flag}={value!r} is too large (at most {self.hi:g}: {self.name}² must stay "
                                 f"finite in float32){opt}")
        return value


def check_seed(seed, name: str = "--seed") -> int:
    """A seed must be an integer in [0, 2**31): faiss takes its seed as a signed 32-bit int (numpy and torch
    accept more)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed <= INT_MAX:
        raise ParameterError(f"{name} must be an integer in [0, 2**31); got {seed!r}")
    return int(seed)


#: Source of SIC's Table 2 values on datasets that the table does not cover.
_SIC_NO_COLUMN = "laicpkg choice: SIC Table 2's CIFAR-10 value where Table 2 has no column"


def _info(name: str, help: str, source: str = "paper", domain=None, hi: float | None = None) -> dict:
    return {"name": name, "help": help, "source": source, "domain": domain, "hi": hi}


#: What a signature cannot say about a parameter: help, the source of its default, its domain.
PARAM_INFO = {p["name"]: p for p in [
    _info("tau", "τ, inverse temperature of the classifier (Eq. 4, 6-7); paper 1/0.08",
          domain="pos", hi=1e6),
    _info("beta", "β, nouns kept per pseudo-class (Eq. 8)", domain="int1"),
    _info("kappa", "κ, retrieval temperature of the text counterparts (Eq. 9)", domain="pos"),
    _info("n_pseudo_classes", "C; default: N/600 if N/K > 600 else 3K (Sec. 5.1.2)", domain="int1"),
    _info("erm_epochs", "ERM epochs (Sec. 5.1.2)", domain="int1"),
    _info("erm_batch_size", "ERM batch size (Sec. 5.1.2)", domain="int1"),
    _info("erm_lr", "ERM Adam learning rate (Sec. 5.1.2)", domain="pos"),
    _info("normalize_counterparts", "L2-normalise v_i (TAC code); off = Eq. 9 as written",
          "TAC reference code"),
    _info("kmeans_niter", "Lloyd iterations of every k-means", "GradNorm reference code", domain="int1"),
    _info("kmeans_nredo", "restarts of the Stage 1 (pseudo-label) k-means", "laicpkg choice", domain="int1"),
    _info("score_dtype", "precision of GradNorm's scoring (Eq. 6-7): float32, float16 (fp16 tensors, W·τ "
          "cast first) or float16-authors (the authors' code's fp16 order and tie-breaking sort)", "laicpkg choice",
          domain=("float32", "float16", "float16-authors")),
    _info("kmeans_max_points", "every k-means trains on at most this many points per centroid (a "
          "random subsample; 0: every point)", "faiss default, used by every reference implementation",
          domain="int0"),
    _info("final_nredo", "restarts of the final k-means", "GradNorm reference code", domain="int1"),
    _info("tac_top_k", "TAC filter: nouns kept per centre", "TAC reference code", domain="int1"),
    _info("tac_temperature", "TAC filter: softmax temperature over centres", "TAC reference code",
          domain="pos"),
    _info("tac_score_dtype", "TAC filter: float32, or float16-authors (TAC's code: fp16 centres, similarities "
          "and softmax; its tie-breaking sort)", "laicpkg choice", domain=("float32", "float16-authors")),
    _info("tac_n_pseudo_classes", "TAC filter: centres; default N/300 if N/K > 300 else 3K",
          "TAC reference code", domain="int1"),
    _info("sic_gamma_u", "SIC: γ_u, threshold on the uniqueness ρ (or a fraction: --sic-gamma-u-mode)",
          _SIC_NO_COLUMN, domain="unit"),
    _info("sic_gamma_r", "SIC: nearest nouns kept per image centre",
          _SIC_NO_COLUMN, domain="int1"),
    _info("sic_gamma_u_mode", "SIC: γ_u as a 'threshold' on ρ (paper text, code) or the "
          "'fraction' of most generic nouns removed", "SIC paper, Sec. 3.1, and reference code",
          domain=("fraction", "threshold")),
    _info("sic_order", "SIC: γ_r nearest among the unique nouns ('sequential') or among all, "
          "then intersected ('intersect', the code)", "SIC paper, Sec. 3.1", domain=("sequential", "intersect")),
    _info("sic_adjust_to", "SIC: the adjusted mapping averages the ξ_a nouns nearest to the "
          "'image-center' or to its 'nearest-noun'", "SIC reference code", domain=("image-center", "nearest-noun")),
    _info("sic_rank_by", "SIC: rank the ξ_c most confident images by the head's 'logits' or "
          "'proba'", "SIC reference code", domain=("logits", "proba")),
    _info("sic_neighbor_mode", "SIC: L_I's neighbour among the k nearest 'include-self' "
          "(the code) or 'exclude-self'", "SIC reference code", domain=("include-self", "exclude-self")),
    _info("sic_neighbor_metric", "SIC: L_I's k nearest images by inner product ('ip') or by faiss' L2 "
          "search ('l2', the code; the same neighbours in exact arithmetic on unit features)",
          "laicpkg choice", domain=("ip", "l2")),
    _info("sic_noun_center", "SIC: ē of Eq. 1 as the exact 'mean' of the nouns or the 'batch-means' "
          "(mean of per-batch means over batches of the SIC batch size, the code)", "SIC paper, Eq. 1",
          domain=("mean", "batch-means")),
    _info("sic_head_init", "SIC: head initialised from the k-means 'centers' (Eq. 8-9) or "
          "'plain' (the code's default)", "SIC paper, Eq. 8-9", domain=("centers", "plain")),
    _info("sic_weight_decay", "SIC: Adam weight decay of the head", "SIC reference code (configs)",
          domain="nonneg"),
    _info("final_assign", "final clustering of [e; v] (and of CLIP k-means): 'kmeans' (paper) or "
          "'density-core' (IDCL Eq. 9-11 after k-means) or 'density-core-mean'", "GradNorm paper",
          domain=("kmeans", "density-core", "density-core-mean")),
    _info("tac_kmeans_nredo", "TAC filter: restarts of its k-means", "TAC reference code", domain="int1"),
    _info("tacstar_init", "TAC*: head weights, 'trunc-normal' (std 0.02) or 'torch' default",
          "TAC reference code", domain=("trunc-normal", "torch")),
    _info("tacstar_neighbor_mode", "TAC*: neighbours without the sample itself "
          "('exclude-self') or TAC's 'drop-first' column of the search", "laicpkg choice",
          domain=("exclude-self", "drop-first")),
    _info("tac_kappa", "TAC / TAC*: retrieval temperature of the text counterparts", "TAC reference code",
          domain="pos"),
    _info("tacstar_epochs", "TAC*: epochs of the heads", "TAC reference code", domain="int1"),
    _info("tacstar_batch_size", "TAC*: batch size", "TAC reference code", domain="int1"),
    _info("tacstar_lr", "TAC*: Adam learning rate (betas 0.9, 0.99)", "TAC reference code", domain="pos"),
    _info("tacstar_temperature", "TAC*: temperature of the cluster-level contrastive loss",
          "TAC reference code", domain="pos"),
    _info("tacstar_neighbors", "TAC*: neighbours mined per modality", "TAC reference code", domain="int1"),
    _info("tacstar_entropy_weight", "TAC*: weight of the mean-assignment entropy", "TAC reference code",
          domain="nonneg"),
    _info("sic_mapping", "SIC: semantic-centre mapping: direct, center or adjusted", "SIC Table 3",
          domain=("direct", "center", "adjusted")),
    _info("sic_xi_a", "SIC: ξ_a, nouns averaged by the adjusted mapping",
          _SIC_NO_COLUMN, domain="int1"),
    _info("sic_neighbors", "SIC: k, nearest neighbours of L_I",
          _SIC_NO_COLUMN, domain="int1"),
    _info("sic_lambda", "SIC: λ, weight of the balance term L_B",
          _SIC_NO_COLUMN, domain="nonneg"),
    _info("sic_beta", "SIC: β, weight of L_IS",
          _SIC_NO_COLUMN, domain="nonneg"),
    _info("sic_lr", "SIC: η_φ, Adam learning rate of the head",
          _SIC_NO_COLUMN, domain="pos"),
    _info("sic_epochs", "SIC: epochs", "SIC paper, implementation details", domain="int1"),
    _info("sic_batch_size", "SIC: batch size", "SIC paper, implementation details", domain="int1"),
    _info("sic_input_scale", "SIC: norm of the image features fed to the head (the code feeds unnormalised "
          "CLIP features; caches hold unit vectors; 1 = unit features)",
          "SIC reference code (unnormalised features); the value 10 is a laicpkg assumption", domain="pos"),
    _info("sic_tau_m", "SIC: τ_m of the k-means initialisation (Eq. 8-9; not stated)",
          "SIC reference code (α of --center_init)", domain="pos"),
    _info("idcl_alpha", "IDCL: α, weight of the KL term (Eq. 14)", "IDCL paper", domain="nonneg"),
    _info("idcl_lr", "IDCL: Adam learning rate of the clustering stage (paper: 0.01, collapses; "
          "see laicpkg/methods/idcl.py)", "laicpkg choice (IDEC)", domain="pos"),
    _info("idcl_pretrain_lr", "IDCL: Adam learning rate of pre-training (0.01 collapses; see laicpkg/methods/idcl.py)",
          "laicpkg choice (IDEC)", domain="pos"),
    _info("idcl_pretrain_epochs", "IDCL: autoencoder pre-training epochs", "IDCL paper", domain="int0"),
    _info("idcl_epochs", "IDCL: training epochs", "IDCL paper", domain="int1"),
    _info("idcl_batch_size", "IDCL: batch size", "IDCL paper", domain="int1"),
    _info("idcl_t_grow", "IDCL: T_grow of the pacing function (not stated)", "laicpkg choice",
          domain="pos"),
    _info("idcl_pace", "IDCL: pace: exponential (paper), linear (fixed pace) or none",
          "IDCL paper", domain=("exponential", "linear", "none")),
    _info("idcl_density_core", "IDCL: density-core assignment (off: k-means centroids, DEC)",
          "IDCL paper"),
    _info("idcl_core_reduce", "IDCL: 'sum' over each density core (Eq. 10) or 'mean' (our variant)",
          "IDCL paper", domain=("sum", "mean")),
    _info("idcl_transformer", "IDCL: Transformer autoencoder (off: linear autoencoder)", "IDCL paper"),
    _info("idcl_augment", "IDCL: rotate training images by up to 10° and shift them by up to H/10 pixels "
          "(off: the images as they are)", "IDCL paper, Appendix F"),
    _info("idcl_reconstruction", "IDCL: keep the reconstruction loss while clustering (off: DEC's "
          "KL-only fine-tuning)", "IDCL paper, Eq. 14"),
    _info("idcl_hidden", "IDCL: widths of the encoder's layers before the embedding (the "
          "DEC/IDEC baselines of IDCL's Table 2: 500,500,2000)", "IDCL paper, Sec. 4.1"),
    _info("idcl_norm_first", "IDCL: pre-norm Transformer blocks (off: post-norm; see laicpkg/methods/idcl.py)",
          "laicpkg choice"),
    _info("idcl_pretrain_cache", "IDCL: folder caching pre-trained autoencoders, shared by runs "
          "that differ only after pre-training (empty: no cache)", "laicpkg choice"),
    _info("idcl_tol", "IDCL: μ, stop when fewer labels change (not stated; DEC's value)",
          "laicpkg choice (DEC)", domain="nonneg"),
    _info("sic_xi_c", "SIC: ξ_c, most confident images per cluster for the centre-based mappings; default 0.9 n/c",
          "SIC paper, implementation details", domain="int1"),
    _info("idcl_dc_quantile", "IDCL: λ₁, quantile of pairwise distances giving the cutoff d_c (Eq. 1)", "IDCL paper",
          domain="unit"),
    _info("idcl_core_fraction", "IDCL: λ₂, share of each cluster's densest points forming its core (Eq. 9)",
          "IDCL paper", domain="unit"),
    _info("idcl_zeta0", "IDCL: ζ⁰, share of the data in the first curriculum (Eq. 5)", "IDCL paper", domain="unit"),
    _info("idcl_zeta_max", "IDCL: ζ_max, cap of the curriculum's share (Eq. 5)", "IDCL paper", domain="unit"),
    _info("idcl_latent_dim", "IDCL: dimension of the embedding", "IDCL paper", domain="int1"),
    _info("idcl_n_blocks", "IDCL: Transformer blocks (not stated)", "laicpkg choice", domain="int1"),
    _info("idcl_n_heads", "IDCL: attention heads (not stated)", "laicpkg choice", domain="int1"),
    _info("idcl_kmeans_nredo", "IDCL: restarts of the first epoch's k-means", "laicpkg choice", domain="int1"),
    _info("device", "torch device: auto, cpu or cuda", "laicpkg choice", domain=("auto", "cpu", "cuda")),
]}



def _type_of(default, domain) -> type:
    if isinstance(default, bool):
        return bool
    if domain in ("int1", "int0"):
        return int
    if domain in ("pos", "nonneg", "unit"):
        return float
    return str


def _params() -> dict:
    defaults = parameter_defaults()
    missing = sorted(set(defaults) - set(PARAM_INFO))
    stale = sorted(set(PARAM_INFO) - set(defaults))
    if missing or stale:  # a new estimator argument needs its help line; a removed one loses it
        raise ParameterError(f"PARAM_INFO out of step with the estimators: missing {missing}, stale {stale}")
    return {name: Param(name, defaults[name], _type_of(defaults[name], info["domain"]), info["help"], info["source"],
                        info["domain"], info["hi"])
            for name, info in PARAM_INFO.items()}


#: Every hyper-parameter of every method: default from the estimator, the rest from :data:`PARAM_INFO`.
PARAMS = _params()

#: Named parameter presets (per-dataset values live in each dataset's specification, ``DatasetSpec.presets``).
#: ``official-code``: every method as its authors' public code runs it, where that differs from the defaults.
#: For every dataset (``"*"``): 20 restarts of GradNorm's pseudo-label k-means and its fp16 scoring in the
#: authors' order (GradNorm's code), TAC's filter in fp16 (TAC's code), SIC's two noun filters intersected, its
#: per-batch noun centre, L2 neighbours and a plain linear head (SIC's code), TAC*'s neighbours by dropping the
#: first search column (TAC's code). Per dataset: GradNorm's C, 1/τ, β and κ, SIC's lr on ImageNet-Dogs.
PARAMETER_PRESETS = {
    "paper": {},
    "official-code": {"*": {"kmeans_nredo": 20, "score_dtype": "float16-authors", "tac_score_dtype": "float16-authors",
                            "sic_order": "intersect", "sic_head_init": "plain", "sic_noun_center": "batch-means",
                            "sic_neighbor_metric": "l2", "tacstar_neighbor_mode": "drop-first"}},
}


def check_preset(preset: str) -> str:
    """``preset`` if it names one of :data:`PARAMETER_PRESETS`; :class:`UnknownNameError` with one line otherwise."""
    look_up(PARAMETER_PRESETS, preset, "preset")
    return preset


def stage1_dataset(dataset: str) -> str:
    """The dataset whose train split Stage 1 runs on: itself, or ImageNet-1K for the ImageNet shift sets.

    Per-dataset training settings (epochs, batch sizes, TAC*'s temperature, presets) follow this dataset,
    not the evaluated one (GradNorm Sec. 5.5.2: the shift sets are clustered "based on the
    filtered candidate positive semantics from ImageNet training data").
    """
    spec = DATASETS.get(dataset)
    return spec.train_from if spec is not None and spec.train_from else dataset


@dataclass
class RunConfig:
    """A resolved run: dataset, method, seeds, data source and every hyper-parameter."""

    dataset: str
    method: str
    seed: int = 0
    data_seed: int = 0
    preset: str = "paper"
    features: str | None = None
    model: str | None = None  # the feature cache's names (None: the only cache of the dataset in ``features``)
    pretrained: str | None = None
    nouns: str | None = None
    prompts: str | None = None
    params: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "method": self.method, "seed": self.seed, "data_seed": self.data_seed,
                "preset": self.preset, "features": self.features, "model": self.model,
                "pretrained": self.pretrained, "nouns": self.nouns, "prompts": self.prompts,
                "params": dict(self.params), "sources": dict(self.sources)}


#: The fields of a configuration that name a feature cache (what ``laic extract`` was given).
FEATURE_FIELDS = ("model", "pretrained", "nouns", "prompts")


def with_feature_names(config: RunConfig, data) -> RunConfig:
    """``config`` with the cache names its data were actually read from (a feature folder's cache found by
    :func:`~laicpkg.features.cache.resolve_cache_names`), so that its record names them; unchanged for
    generated data."""
    from dataclasses import replace

    names = getattr(data, "meta", {}).get("feature_names") if config.features else None
    return replace(config, **{k: names[k] for k in FEATURE_FIELDS}) if names else config


def resolve_config(dataset: str, method: str, *, overrides: dict | None = None, preset: str = "paper",
                   **fields) -> RunConfig:
    """Resolve every parameter with its source (estimator default, dataset, preset, method variant, user)."""
    check_preset(preset)
    spec = get_dataset_spec(dataset)
    m = get_method(method)
    params = {name: p.default for name, p in PARAMS.items()}
    sources = {name: p.source for name, p in PARAMS.items()}

    def apply(values: dict, source: str) -> None:
        for k, v in values.items():
            params[k], sources[k] = v, source

    stage1 = get_dataset_spec(stage1_dataset(dataset))
    via = "" if stage1.name == dataset else f" (of {stage1.name}, whose train split Stage 1 uses)"
    for values, src in stage1.settings:
        apply(values, src + via)
    # every dataset's entry, then Stage 1's dataset's, then (for a shift set) its own Stage 2 entry
    apply(PARAMETER_PRESETS[preset].get("*", {}), f"preset {preset}")
    apply(stage1.presets.get(preset, {}), f"preset {preset}{via}")
    if stage1.name != dataset:
        apply(spec.presets.get(preset, {}), f"preset {preset}")
    for values, src in m.settings:
        apply(values, src)
    for k, v in (overrides or {}).items():
        if k not in PARAMS:
            raise UnknownNameError(f"unknown parameter {k!r}; known: {', '.join(sorted(PARAMS))}")
        if v is not None:
            params[k], sources[k] = v, "user"
    if spec.kind == "features":  # forced: what the method cannot do on feature vectors
        for values, src in m.feature_settings:
            apply(values, src)
    for k, v in params.items():
        PARAMS[k].check(v)
    for name in ("seed", "data_seed"):
        if name in fields:
            check_seed(fields[name], "--" + name.replace("_", "-"))
    return RunConfig(dataset=dataset, method=method, preset=preset, params=params, sources=sources, **fields)
