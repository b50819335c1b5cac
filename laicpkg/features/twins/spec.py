"""A twin's specification: the generators, their parameters and defaults, the calibration files.

Explained in: book/implementation.md ("Synthetic twins").
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...utils.errors import ParameterError
from ...utils.fixedmath import fixed_unit

#: The package's data folder (calibration files, class lists).
DATA_DIR = Path(__file__).parents[1] / "data"

#: The calibration files of the two generators: ``twins.json`` the tree model's, ``twins_clip.json`` the clip
#: model's. ``LAIC_TWIN_MODEL`` (``tree`` or ``clip``) says whose parameters the twins are drawn with.
CALIBRATION_FILES = {"tree": DATA_DIR / "twins.json",
                     "clip": DATA_DIR / "twins_clip.json",
                     "real": DATA_DIR / "twins_real.json",
                     "real-completed": DATA_DIR / "twins_real_completed.json"}

#: Models that draw the twins of another model with another noun pool, and so share its calibration for those
#: twins: "real-completed" is the "real" model's twins with the completed pool of WordNet's 82,115 nouns
#: (:mod:`laicpkg.features.completion`) in place of the 1,959 real texts. Its own file holds only the twins the
#: other model cannot draw (:data:`~laicpkg.features.twins.real.COMPLETED_DATASETS`).
SHARED_CALIBRATION = {"real-completed": "real"}


MODEL_ENV = "LAIC_TWIN_MODEL"

#: The model the twins are drawn with when ``LAIC_TWIN_MODEL`` is unset: the clip model, whose calibration meets
#: CLIP's measured geometry as well as its baseline rows (book chapter "What the twins model").
DEFAULT_MODEL = "clip"

#: The generators a twin can use: "tree" (the first twins: concepts down the WordNet tree, isotropic noise),
#: "clip" (sub-modes, shared appearance modes, the image cone, texts that follow WordNet only locally) and "real"
#: (real CLIP texts for the nouns and class names, images drawn around them: :mod:`laicpkg.features.twins.real`);
#: "real-completed" (the "real" twins with the completed noun pool, :data:`SHARED_CALIBRATION`).
MODELS = tuple(CALIBRATION_FILES)


def _check_model(model: str) -> str:
    if model not in MODELS:
        raise ParameterError(f"unknown twin model {model!r}; choose one of {', '.join(MODELS)}")
    return model


def model_of(spec) -> str:
    """The model ``spec`` is drawn with, as ``LAIC_TWIN_MODEL`` names it: its generator, or "real-completed" for
    the "real" generator with the completed noun pool."""
    return "real-completed" if spec.noun_pool == "completed" else spec.model


def twin_model() -> str:
    """The generator the twins are drawn with in this process: ``$LAIC_TWIN_MODEL`` or :data:`DEFAULT_MODEL`."""
    model = os.environ.get(MODEL_ENV, DEFAULT_MODEL) or DEFAULT_MODEL
    if model not in CALIBRATION_FILES:
        raise ParameterError(f"{MODEL_ENV} must be one of {', '.join(CALIBRATION_FILES)}; got {model!r}")
    return model


#: The global generator parameters a calibration may change (the rest is the dataset's identity).
GENERATOR_PARAMS = ("semantic_weight", "appearance_weight", "ambiguity", "confusion", "confusion_appearance",
                    "nuisance_weight", "nuisance_kind", "nuisance_modes", "image_noise", "text_noise", "spread",
                    "hyponym_share", "modality_gap")


#: The parameters of the "clip" model (:func:`_clip_images`); a calibration of it stores these.
CLIP_PARAMS = ("model", "semantic_weight", "appearance_weight", "image_noise", "text_noise", "spread",
               "hyponym_share", "image_gap", "text_gap", "shared_weight", "submodes", "hyponym_weight",
               "submode_lean", "lean_partners", "image_lean", "nuisance_pool", "basis_dim", "basis_decay",
               "mode_offset", "mode_noise", "synset_modes", "image_overlap")


#: The parameters of the "real" model (:mod:`laicpkg.features.twins.real`); a calibration of it stores these.
REAL_PARAMS = ("model", "text_mean", "image_gap", "semantic_weight", "appearance_weight", "mode_offset", "mode_noise",
               "image_noise", "aligned_noise", "image_lean", "hyponym_share", "hyponym_weight", "image_overlap",
               "nuisance_pool", "basis_dim", "basis_decay", "lean_partners")


#: The "real" model's starting values: fitted to CLIP's measurements on 500 real CIFAR-10 test images
#: (:data:`~laicpkg.catalog.geometry.REAL_CIFAR10`) and to the paper's CLIP k-means row of CIFAR-10
#: (``laic calibrate --model real``).
REAL_DEFAULTS = {"model": "real", "text_mean": 0.1836, "image_gap": 0.9, "semantic_weight": 0.3508,
                 "appearance_weight": 0.2699, "mode_offset": 0.1232, "mode_noise": 0.35, "image_noise": 0.18,
                 "aligned_noise": 0.1, "image_lean": 0.6, "hyponym_share": 0.1053, "hyponym_weight": 0.4793,
                 "image_overlap": 0.0758, "nuisance_pool": 16, "basis_dim": 64, "basis_decay": 1.0, "lean_partners": 3}


#: The "clip" model's starting values, set from the measured geometry of real CLIP features (book chapter
#: "What the twins model"), never from a LaIC method: the concept spread and lexical noise give the LVIS texts'
#: weak dependence on WordNet distance (Spearman 0.125 against 0.113) at their mean cosine (0.724 against 0.727);
#: the offsets give the COCO images' cone (mean cosine ≈ 0.5) and image–caption cosines (≈ 0.31 / 0.16).
CLIP_DEFAULTS = {"model": "clip", "spread": 1.5, "text_noise": 0.5, "semantic_weight": 0.6, "appearance_weight": 0.0,
                 "image_noise": 0.25, "hyponym_share": 0.5}


@dataclass(frozen=True)
class TwinSpec:
    """A twin: the real dataset's classes (names and WordNet ids) and sizes, and the generator's parameters."""

    name: str
    dataset: str                       # the real dataset it mirrors (its K, sizes, paper rows)
    classes: tuple                     # ((class name, (wnid, ...)), ...)
    n_train: int
    n_test: int
    dim: int = 512
    semantic_weight: float = 1.0       # w_s
    appearance_weight: float = 0.5     # w_a
    ambiguity: float = 0.0             # ρ: an image's class terms are scaled by 1 − ρ·U(0, 1)
    confusion: float = 0.0             # c: share of the class terms an image loses that go to the nearest class
    confusion_appearance: float = 0.0  # a: how much of that class's appearance comes with its concept
    nuisance_weight: float = 0.2       # w_b
    nuisance_modes: int = 8
    nuisance_kind: str = "gaussian"    # "gaussian": a spread along nuisance_modes directions; "modes": one of them
    image_noise: float = 1.0           # σ
    text_noise: float = 0.3            # τ
    spread: float = 0.5                # of the concept geometry
    hyponym_share: float = 0.5
    modality_gap: float = 1.0          # g
    # --- the "clip" model (see _clip_world / _clip_images): CLIP's measured geometry ---
    model: str = "tree"                # "tree": the first twins' model above; "clip": sub-modes, cone, local text
    image_gap: float = 0.55            # g_i: the images' common offset (the cone, the modality gap)
    text_gap: float = 1.5              # g_t: the texts' common offset
    shared_weight: float = 0.6         # h: a direction images and texts share (image–text cosine of unrelated pairs)
    submodes: int = 50                 # S: sub-modes per class
    hyponym_weight: float = 0.7        # η: how much of a hyponym sub-mode's concept is the hyponym's own
    submode_lean: float = 0.1          # p: share of sub-modes that lean toward a similar class
    lean_partners: int = 3             # the nearest classes a lean goes toward (one drawn per sub-mode or image)
    image_lean: float = 0.4            # ρ_i: an image leans toward a similar class by ρ_i·U(0, 1)
    nuisance_pool: int = 16            # Q: appearance modes shared by all classes (a sub-mode takes one)
    basis_dim: int = 64                # M: directions of the shared basis
    basis_decay: float = 1.0           # λ_j ∝ j^(−decay): the basis directions' variances
    mode_offset: float = 0.38          # ζ: size of an appearance mode's offset
    mode_noise: float = 0.5            # ν: an image's own spread along the shared basis
    synset_modes: int = 0              # m: in a class of several synsets, each synset's own appearance modes
    image_overlap: float = 0.0         # q: share of a class's images drawn as images of its nearest class
    # --- the "real" model (laicpkg.features.twins.real): real CLIP texts, images drawn around them ---
    text_mean: float = 0.22            # c_t: weight of the texts' mean direction in an image
    aligned_noise: float = 0.0         # τ_a: noise inside the span of the real texts
    noun_pool: str = "real"            # the "real" model's nouns: "real" (1,959 texts) or "completed" (82,115)
    baseline_kmeans: tuple = (300, 20)  # (iterations, restarts) of CLIP k-means in the calibration
    reduced_train: str = ""            # why n_train is below the real dataset's, if it is
    notes: str = ""
    calibration: dict = field(default_factory=dict, compare=False)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    @property
    def class_names(self) -> tuple:
        return tuple(name for name, _ in self.classes)


def _unit(x: np.ndarray) -> np.ndarray:
    return fixed_unit(x)


def _directions(rng, n: int, d: int) -> np.ndarray:
    return _unit(rng.standard_normal((n, d)))
