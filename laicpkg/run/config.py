"""Run configuration: every hyper-parameter, its default, and where each resolved value came from.

Explained in: notebooks/05_pipeline.

Resolution order (later wins): the paper's default → the dataset's own setting
(e.g. 100 epochs / batch 8192 for UCF-101 and ImageNet-1K, SIC's Table 2) → a
named preset (``official-code``: the per-dataset temperatures of the GradNorm
authors' public code, book/implementation.md) → the user. ``RunConfig.sources`` records
the origin of every value.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import math
import numbers

from ..utils.errors import ParameterError, UnknownNameError
from ..core.gradnorm import BETA, TAU
from ..core.counterparts import KAPPA

__all__ = ["Param", "PARAMS", "DATASET_SETTINGS", "PRESETS", "RunConfig", "resolve_config", "check_seed",
           "stage1_dataset"]

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
    """A seed must be an integer in [0, 2**32) (numpy, faiss and torch all accept that range)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2 ** 32:
        raise ParameterError(f"{name} must be an integer in [0, 2**32); got {seed!r}")
    return int(seed)


#: Source of SIC's Table 2 values on datasets that the table does not cover.
_SIC_NO_COLUMN = "laicpkg choice: SIC Table 2's CIFAR-10 value where Table 2 has no column"

PARAMS = {p.name: p for p in [
    Param("tau", TAU, float, "τ, inverse temperature of the classifier (Eq. 4, 6-7); paper 1/0.08",
          domain="pos", hi=1e6),
    Param("beta", BETA, int, "β, nouns kept per pseudo-class (Eq. 8)", domain="int1"),
    Param("kappa", KAPPA, float, "κ, retrieval temperature of the text counterparts (Eq. 9)", domain="pos"),
    Param("n_pseudo_classes", None, int, "C; default: N/600 if N/K > 600 else 3K (Sec. 5.1.2)", domain="int1"),
    Param("epochs", 30, int, "ERM epochs (Sec. 5.1.2)", domain="int1"),
    Param("batch_size", 2048, int, "ERM batch size (Sec. 5.1.2)", domain="int1"),
    Param("lr", 1e-3, float, "ERM Adam learning rate (Sec. 5.1.2)", domain="pos"),
    Param("normalize_counterparts", True, bool, "L2-normalise v_i (TAC code); off = Eq. 9 as written",
          "TAC reference code"),
    Param("kmeans_niter", 300, int, "Lloyd iterations of every k-means", "GradNorm reference code", domain="int1"),
    Param("kmeans_nredo", 1, int, "restarts of the Stage 1 (pseudo-label) k-means", "laicpkg choice", domain="int1"),
    Param("score_dtype", "float32", str, "precision of GradNorm's scoring (Eq. 6-7): float32 or float16 (the "
          "authors' code)", "laicpkg choice", domain=("float32", "float16")),
    Param("kmeans_max_points", 256, int, "every k-means trains on at most this many points per centroid (a "
          "random subsample; 0: every point)", "faiss default, used by every reference implementation",
          domain="int0"),
    Param("final_nredo", 20, int, "restarts of the final k-means", "GradNorm reference code", domain="int1"),
    Param("tac_top_k", 5, int, "TAC filter: nouns kept per centre", "TAC reference code", domain="int1"),
    Param("tac_temperature", 1.0, float, "TAC filter: softmax temperature over centres", "TAC reference code",
          domain="pos"),
    Param("tac_n_pseudo_classes", None, int, "TAC filter: centres; default N/300 if N/K > 300 else 3K",
          "TAC reference code", domain="int1"),
    Param("sic_gamma_u", 0.05, float, "SIC: γ_u, threshold on the uniqueness ρ (or a fraction: --sic-gamma-u-mode)",
          _SIC_NO_COLUMN, domain="unit"),
    Param("sic_gamma_r", 500, int, "SIC: nearest nouns kept per image centre",
          _SIC_NO_COLUMN, domain="int1"),
    Param("sic_gamma_u_mode", "threshold", str, "SIC: γ_u as a 'threshold' on ρ (paper text, code) or the "
          "'fraction' of most generic nouns removed", "SIC paper, Sec. 3.1, and reference code",
          domain=("fraction", "threshold")),
    Param("sic_order", "sequential", str, "SIC: γ_r nearest among the unique nouns ('sequential') or among all, "
          "then intersected ('intersect', the code)", "SIC paper, Sec. 3.1", domain=("sequential", "intersect")),
    Param("sic_adjust_to", "image-center", str, "SIC: the adjusted mapping averages the ξ_a nouns nearest to the "
          "'image-center' or to its 'nearest-noun'", "SIC reference code", domain=("image-center", "nearest-noun")),
    Param("sic_rank_by", "logits", str, "SIC: rank the ξ_c most confident images by the head's 'logits' or "
          "'proba'", "SIC reference code", domain=("logits", "proba")),
    Param("sic_neighbor_mode", "include-self", str, "SIC: L_I's neighbour among the k nearest 'include-self' "
          "(the code) or 'exclude-self'", "SIC reference code", domain=("include-self", "exclude-self")),
    Param("sic_head_init", "centers", str, "SIC: head initialised from the k-means 'centers' (Eq. 8-9) or "
          "'plain' (the code's default)", "SIC paper, Eq. 8-9", domain=("centers", "plain")),
    Param("sic_weight_decay", 1e-4, float, "SIC: Adam weight decay of the head", "SIC reference code (configs)",
          domain="nonneg"),
    Param("final_assign", "kmeans", str, "final clustering of [e; v] (and of CLIP k-means): 'kmeans' (paper) or "
          "'density-core' (IDCL Eq. 9-11 after k-means) or 'density-core-mean'", "GradNorm paper",
          domain=("kmeans", "density-core", "density-core-mean")),
    Param("tac_kmeans_nredo", 10, int, "TAC filter: restarts of its k-means", "TAC reference code", domain="int1"),
    Param("tacstar_init", "trunc-normal", str, "TAC*: head weights, 'trunc-normal' (std 0.02) or 'torch' default",
          "TAC reference code", domain=("trunc-normal", "torch")),
    Param("tacstar_neighbor_mode", "exclude-self", str, "TAC*: neighbours without the sample itself "
          "('exclude-self') or TAC's 'drop-first' column of the search", "laicpkg choice",
          domain=("exclude-self", "drop-first")),
    Param("tac_kappa", 0.005, float, "TAC / TAC*: retrieval temperature of the text counterparts", "TAC reference code",
          domain="pos"),
    Param("tacstar_epochs", 20, int, "TAC*: epochs of the heads", "TAC reference code", domain="int1"),
    Param("tacstar_batch_size", 512, int, "TAC*: batch size", "TAC reference code", domain="int1"),
    Param("tacstar_lr", 1e-3, float, "TAC*: Adam learning rate (betas 0.9, 0.99)", "TAC reference code", domain="pos"),
    Param("tacstar_temperature", 0.5, float, "TAC*: temperature of the cluster-level contrastive loss",
          "TAC reference code", domain="pos"),
    Param("tacstar_neighbors", 50, int, "TAC*: neighbours mined per modality", "TAC reference code", domain="int1"),
    Param("tacstar_entropy_weight", 5.0, float, "TAC*: weight of the mean-assignment entropy", "TAC reference code",
          domain="nonneg"),
    Param("sic_mapping", "adjusted", str, "SIC: semantic-centre mapping: direct, center or adjusted", "SIC Table 3",
          domain=("direct", "center", "adjusted")),
    Param("sic_xi_a", 20, int, "SIC: ξ_a, nouns averaged by the adjusted mapping",
          _SIC_NO_COLUMN, domain="int1"),
    Param("sic_neighbors", 20, int, "SIC: k, nearest neighbours of L_I",
          _SIC_NO_COLUMN, domain="int1"),
    Param("sic_lambda", 5.0, float, "SIC: λ, weight of the balance term L_B",
          _SIC_NO_COLUMN, domain="nonneg"),
    Param("sic_beta", 1.0, float, "SIC: β, weight of L_IS",
          _SIC_NO_COLUMN, domain="nonneg"),
    Param("sic_lr", 1e-4, float, "SIC: η_φ, Adam learning rate of the head",
          _SIC_NO_COLUMN, domain="pos"),
    Param("sic_epochs", 100, int, "SIC: epochs", "SIC paper, implementation details", domain="int1"),
    Param("sic_batch_size", 128, int, "SIC: batch size", "SIC paper, implementation details", domain="int1"),
    Param("sic_tau_m", 0.05, float, "SIC: τ_m of the k-means initialisation (Eq. 8-9; not stated)",
          "SIC reference code (α of --center_init)", domain="pos"),
    Param("idcl_alpha", 0.1, float, "IDCL: α, weight of the KL term (Eq. 14)", "IDCL paper", domain="nonneg"),
    Param("idcl_lr", 1e-3, float, "IDCL: Adam learning rate of the clustering stage (paper: 0.01, collapses; "
          "see idcl.py)", "laicpkg choice (IDEC)", domain="pos"),
    Param("idcl_pretrain_lr", 1e-3, float, "IDCL: Adam learning rate of pre-training (0.01 collapses; see idcl.py)",
          "laicpkg choice (IDEC)", domain="pos"),
    Param("idcl_pretrain_epochs", 100, int, "IDCL: autoencoder pre-training epochs", "IDCL paper", domain="int0"),
    Param("idcl_epochs", 200, int, "IDCL: training epochs", "IDCL paper", domain="int1"),
    Param("idcl_batch_size", 256, int, "IDCL: batch size", "IDCL paper", domain="int1"),
    Param("idcl_t_grow", 100.0, float, "IDCL: T_grow of the pacing function (not stated)", "laicpkg choice",
          domain="pos"),
    Param("idcl_pace", "exponential", str, "IDCL: pace: exponential (paper), linear (fixed pace) or none",
          "IDCL paper", domain=("exponential", "linear", "none")),
    Param("idcl_density_core", True, bool, "IDCL: density-core assignment (off: k-means centroids, DEC)",
          "IDCL paper"),
    Param("idcl_core_reduce", "sum", str, "IDCL: 'sum' over each density core (Eq. 10) or 'mean' (our variant)",
          "IDCL paper", domain=("sum", "mean")),
    Param("idcl_transformer", True, bool, "IDCL: Transformer autoencoder (off: linear autoencoder)", "IDCL paper"),
    Param("idcl_reconstruction", True, bool, "IDCL: keep the reconstruction loss while clustering (off: DEC's "
          "KL-only fine-tuning)", "IDCL paper, Eq. 14"),
    Param("idcl_hidden", "512,512,3072", str, "IDCL: widths of the encoder's layers before the embedding (the "
          "DEC/IDEC baselines of IDCL's Table 2: 500,500,2000)", "IDCL paper, Sec. 4.1"),
    Param("idcl_norm_first", True, bool, "IDCL: pre-norm Transformer blocks (off: post-norm; see idcl.py)",
          "laicpkg choice"),
    Param("idcl_pretrain_cache", "", str, "IDCL: folder caching pre-trained autoencoders, shared by runs "
          "that differ only after pre-training (empty: no cache)", "laicpkg choice"),
    Param("idcl_tol", 1e-3, float, "IDCL: μ, stop when fewer labels change (not stated; DEC's value)",
          "laicpkg choice (DEC)", domain="nonneg"),
    Param("device", "auto", str, "torch device: auto, cpu or cuda", "laicpkg choice", domain=("auto", "cpu", "cuda")),
]}

_TAC_LARGE = ({"tacstar_epochs": 100, "tacstar_batch_size": 8192, "tacstar_temperature": 5.0}, "TAC reference code")
_SIC_ALL = {"sic_gamma_u": 0.05, "sic_lambda": 5.0}  # Table 2: the same for every dataset it covers
_SIC = {
    "stl10": {**_SIC_ALL, "sic_gamma_r": 200, "sic_xi_a": 20, "sic_neighbors": 20, "sic_beta": 1.0, "sic_lr": 1e-4},
    "cifar10": {**_SIC_ALL, "sic_gamma_r": 500, "sic_xi_a": 30, "sic_neighbors": 20, "sic_beta": 0.1, "sic_lr": 1e-4},
    "cifar20": {**_SIC_ALL, "sic_gamma_r": 200, "sic_xi_a": 20, "sic_neighbors": 20, "sic_beta": 1.0, "sic_lr": 1e-4},
    "imagenet-dogs": {**_SIC_ALL, "sic_gamma_r": 1000, "sic_xi_a": 50, "sic_neighbors": 20, "sic_beta": 1.0,
                      "sic_lr": 9e-3},
}

#: Settings that define a method variant (applied after the dataset's and the preset's, before the user's).
METHOD_SETTINGS = {
    "gradnorm-literal": [({"normalize_counterparts": False}, "GradNorm paper, Eq. 9 as written (unnormalised v_i)")],
}

_SIC_DOGS_WD = ({"sic_weight_decay": 0.009}, "SIC reference code (configs/clustering/imagenet_dog.yml)")

#: Per-dataset settings stated by the papers or reference code: a list of (values, source) per dataset.
DATASET_SETTINGS = {
    "ucf101": [({"epochs": 100, "batch_size": 8192}, "GradNorm Sec. 5.1.2"), _TAC_LARGE],
    "imagenet": [({"epochs": 100, "batch_size": 8192}, "GradNorm Sec. 5.1.2"), _TAC_LARGE],
    "stl10": [(_SIC["stl10"], "SIC Table 2")],
    "cifar10": [(_SIC["cifar10"], "SIC Table 2")],
    "cifar20": [(_SIC["cifar20"], "SIC Table 2")],
    "imagenet-dogs": [(_SIC["imagenet-dogs"], "SIC Table 2"), _SIC_DOGS_WD],
    # The synthetic presets take SIC's setting of the real dataset they mimic.
    "synthetic-cifar10": [(_SIC["cifar10"], "SIC Table 2 (CIFAR-10)")],
    "synthetic-cifar20": [(_SIC["cifar20"], "SIC Table 2 (CIFAR-20)")],
    "synthetic-dogs": [(_SIC["imagenet-dogs"], "SIC Table 2 (ImageNet-Dogs)"), _SIC_DOGS_WD],
}

#: Named presets. ``official-code``: every method as its authors' public code runs it, where that differs from
#: the defaults. GradNorm (filter_nouns.py, concat_kmeans.py): C, the filter temperature 1/τ, β and the retrieval
#: κ per dataset, 20 restarts of the pseudo-label k-means, fp16 scoring. SIC: the two noun filters intersected,
#: a plain linear head, lr 1e-4 on ImageNet-Dogs (its config; Table 2 says 9e-3). TAC: neighbours by dropping
#: the first search column (book/implementation.md). ``"*"`` applies
#: to every dataset; the ImageNet shift sets take ImageNet's Stage 1 entry and their own κ (Stage 2).
PRESETS = {
    "paper": {},
    "official-code": {
        "*": {"kmeans_nredo": 20, "score_dtype": "float16", "sic_order": "intersect", "sic_head_init": "plain",
              "tacstar_neighbor_mode": "drop-first"},
        "cifar10": {"n_pseudo_classes": 250, "tau": 1 / 0.06, "kappa": 0.009},
        "cifar20": {"n_pseudo_classes": 200, "tau": 1 / 0.08, "kappa": 0.008},
        "stl10": {"n_pseudo_classes": 30, "tau": 1 / 0.08, "kappa": 0.01},
        "imagenet10": {"n_pseudo_classes": 50, "tau": 1 / 0.018, "kappa": 0.006},
        "imagenet-dogs": {"n_pseudo_classes": 50, "tau": 1 / 0.02, "kappa": 0.007, "sic_lr": 1e-4},
        "dtd": {"n_pseudo_classes": 180, "tau": 1 / 0.08, "kappa": 0.01},
        "ucf101": {"n_pseudo_classes": 303, "tau": 1 / 0.02, "kappa": 0.01},
        "imagenet": {"n_pseudo_classes": 2000, "tau": 1 / 0.02, "kappa": 0.006, "beta": 3},
        "imagenet-c": {"kappa": 0.007},
        "imagenet-v2": {"kappa": 0.004},
        "imagenet-sketch": {"kappa": 0.006},
        "imagenet-a": {"kappa": 0.007},
        "imagenet-r": {"kappa": 0.005},
        "cars": {"tau": 1 / 0.01, "kappa": 0.01},
        "pets": {"n_pseudo_classes": 120, "tau": 1 / 0.01, "kappa": 0.01},
        "flowers102": {"n_pseudo_classes": 300, "tau": 1 / 0.01, "kappa": 0.009},
        "food101": {"n_pseudo_classes": 1200, "tau": 1 / 0.01, "kappa": 0.01},
        "aircraft": {"n_pseudo_classes": 300, "tau": 1 / 0.02, "kappa": 0.008},
    },
}


def stage1_dataset(dataset: str) -> str:
    """The dataset whose train split Stage 1 runs on: itself, or ImageNet-1K for the ImageNet shift sets.

    Per-dataset training settings (epochs, batch sizes, TAC*'s temperature, presets) follow this dataset,
    not the evaluated one (GradNorm Sec. 5.5.2: the shift sets are clustered "based on the
    filtered candidate positive semantics from ImageNet training data").
    """
    from ..features.datasets import DATASETS

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
    model: str = "ViT-B-32"
    pretrained: str = "openai"
    nouns: str = "wordnet"
    prompts: str = "ensemble7"
    params: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "method": self.method, "seed": self.seed, "data_seed": self.data_seed,
                "preset": self.preset, "features": self.features, "model": self.model,
                "pretrained": self.pretrained, "nouns": self.nouns, "prompts": self.prompts,
                "params": dict(self.params), "sources": dict(self.sources)}


def resolve_config(dataset: str, method: str, *, overrides: dict | None = None, preset: str = "paper",
                   **fields) -> RunConfig:
    """Resolve every parameter with its source (paper, dataset, preset, user)."""
    if preset not in PRESETS:
        raise UnknownNameError(f"unknown preset {preset!r}; choose one of {', '.join(sorted(PRESETS))}")
    params = {name: p.default for name, p in PARAMS.items()}
    sources = {name: p.source for name, p in PARAMS.items()}
    stage1 = stage1_dataset(dataset)
    via = "" if stage1 == dataset else f" (of {stage1}, whose train split Stage 1 uses)"
    for values, src in DATASET_SETTINGS.get(stage1, []):
        for k, v in values.items():
            params[k], sources[k] = v, src + via
    chosen = PRESETS[preset]
    # every dataset's entry, then Stage 1's dataset's, then (for a shift set) its own Stage 2 entry
    keys = [("*", ""), (stage1, via)] + ([(dataset, "")] if dataset != stage1 else [])
    for key, suffix in keys:
        for k, v in chosen.get(key, {}).items():
            params[k], sources[k] = v, f"preset {preset}{suffix}"
    for values, src in METHOD_SETTINGS.get(method, []):
        for k, v in values.items():
            params[k], sources[k] = v, src
    for k, v in (overrides or {}).items():
        if k not in PARAMS:
            raise UnknownNameError(f"unknown parameter {k!r}; known: {', '.join(sorted(PARAMS))}")
        if v is not None:
            params[k], sources[k] = v, "user"
    for k, v in params.items():
        PARAMS[k].check(v)
    for name in ("seed", "data_seed"):
        if name in fields:
            check_seed(fields[name], "--" + name.replace("_", "-"))
    return RunConfig(dataset=dataset, method=method, preset=preset, params=params, sources=sources, **fields)
