"""Synthetic twins of the paper's datasets: WordNet-grounded features calibrated to CLIP's baselines.

Explained in: notebooks/01_laic_problem and book/implementation.md ("Synthetic twins").

A twin has the real dataset's K, class names and split sizes; each class is one or
more WordNet synsets. Its geometry comes from :func:`~laicpkg.features.concepts.concept_vectors`
(a vector per noun synset, built down the hypernym tree). With ``c(s)`` the concept of
synset ``s``, ``o_img`` and ``o_txt`` two orthogonal modality offsets (CLIP's modality gap):

* an image of class ``k``: its semantic synset ``s`` is the class synset, or with
  probability ``hyponym_share`` a random synset of the class's hyponym closure (a
  Maltese dog among "dogs"); ``x = normalise(g·o_img + t·(w_s·c(s) + w_a·a_k) + w_b·n + σ·ε/√d)``
  with ``a_k`` the class's appearance direction, ``t = 1 − ρ·u`` (``u`` uniform on [0, 1]: the
  ambiguity ``ρ`` puts some images between the classes), ``n = Gz/√m`` a Gaussian spread along
  ``m = nuisance_modes`` directions shared by all classes (``nuisance_kind="modes"``: one of them) and
  ``ε`` standard normal; with ``confusion`` c > 0 the class terms become
  ``t·(w_s·c(s) + w_a·a_k) + c·(1 − t)·(w_s·c̄_p + a·w_a·a_p)``, ``p`` the class whose mean concept is nearest
  to ``k``'s and ``a`` = ``confusion_appearance``: an ambiguous image leans toward one similar class instead
  of toward nowhere, so errors concentrate on class pairs as CLIP's do (higher NMI at the same ACC; the
  concept's lean moves zero-shot's errors, the appearance's mostly k-means');
* a noun (every one of WordNet's 82,115 noun synsets, named by its first lemma):
  ``r = normalise(g·o_txt + c(s) + τ·ε/√d)``;
* the class-name text feature (zero-shot, Eq. 1): ``normalise(g·o_txt + c̄_k)`` with ``c̄_k`` the
  mean concept of the class's synsets.

The clip model (``model="clip"``; issue "Twins with CLIP's measured geometry") replaces the noise model above
by the structure real CLIP features show (``laicpkg.features.geometry`` measures it on shipped real features):

* **local text**: the concepts are drawn with a large ``spread`` (1.5: a child keeps cos ≈ 0.55 of its parent),
  so text similarity follows WordNet among close relatives only; a word's own component ``τ`` is added,
  ``L_s = normalise(c(s) + τ·ε_s/√d)``; a noun ``r_s = normalise(g_t·o_txt + h·m + L_s)``; the class text
  is the class synset's noun text (the mean ``L`` of a class's synsets);
* **sub-modes**: each class has ``S`` sub-modes; a sub-mode is the class concept (one of its synsets',
  ``normalise(c̄_k + η·c(s))``, where a class has several: CIFAR-20's superclasses) or, with probability
  ``hyponym_share``, a hyponym's (``normalise(c̄_k + η·c(s))``: a Maltese dog among dogs), and with
  probability ``submode_lean`` it leans toward one of the ``lean_partners`` nearest classes by U(0, 1)
  (zero-shot's errors then come in whole sub-modes, as CLIP's do);
* **shared appearance modes**: every sub-mode takes one of ``Q = nuisance_pool`` offsets shared by all
  classes (backgrounds, poses), drawn on ``M = basis_dim`` directions with variances ``λ_j ∝ j^−decay``;
  an image adds its own spread ``ν`` on the same basis and a little isotropic noise ``σ``: few directions carry
  the variance (CLIP's participation ratio), and images of different classes in one mode are neighbours
  (1-NN below 100 where an image leans toward another class); with ``synset_modes`` m > 0, in a class of
  several synsets each synset draws m modes and the sub-modes that show it (or a hyponym of it) take one of
  those: a CIFAR-100 class inside a CIFAR-20 superclass keeps its own look (:data:`CLIP_STRUCTURE`);
* **images that show a similar class**: with ``image_overlap`` q > 0, a share q of a class's images is drawn
  whole as an image of its most similar class (the nearest of its lean partners: a sub-mode, look and lean of
  that class), the label kept: a real dataset's images that look like another class (a pickup truck among
  buses), which no feature can tell from that class's; 0 draws none and leaves every other draw as it was
  (:data:`CLIP_STRUCTURE`);
* **the cone**: a common image offset ``g_i·o_img`` and a direction ``m`` shared by images and texts
  (``h``), so images have CLIP's mean cosine (≈ 0.5) and unrelated image–text pairs CLIP's cosine (≈ 0.16);
* an image of class ``k`` in sub-mode ``j``: ``x = normalise(g_i·o_img + h·m + w_s·((1 − ℓ)·s_kj + ℓ·c̄_p)
  + w_a·a_k + ζ·o_q(kj) + ν·Bz + σ·ε/√d)`` with ``ℓ = ρ_i·U(0, 1)`` toward a partner ``p``.

The real-text model (``model="real"``, :mod:`~laicpkg.features.twins.real`) draws no text: its nouns and class
names are real CLIP texts, and only the images are drawn around them.

Calibration (``laic calibrate --model clip``) fits three parameters per twin to the paper's CLIP rows: the
number of lean partners to zero-shot NMI, ζ to k-means ACC and ρ_i to zero-shot ACC (w_a where ζ = 0 is not
enough); the rest are fixed by the geometry targets (:data:`CLIP_DEFAULTS`, the TwinSpec defaults).

Ground-truth positives are the class synsets and their hyponym closure: defined by WordNet,
not by the generator. The calibrated generator parameters of each twin (``laic calibrate``)
are committed in ``data/twins.json`` (the clip model's in ``data/twins_clip.json``, the real-text model's in
``data/twins_real.json``); the calibration looks only at CLIP k-means and
zero-shot (:func:`baseline_scores`), never at a LaIC method.

The sub-package, one module per concern: :mod:`~.spec` (a twin's specification, the generators' parameters and
defaults), :mod:`~.recipes` (each dataset's classes and sizes, as data), :mod:`~.tree`, :mod:`~.clip` and
:mod:`~.real` (the three generators), :mod:`~.draw` (drawing a twin, its positives, the CLIP baselines),
:mod:`~.measure` (a twin's geometry against real CLIP), :mod:`~.calibration` (fitting the generators) and
:mod:`~.store` (the committed calibrations). Which generator a process draws with is read from
``LAIC_TWIN_MODEL`` when asked (:func:`twin_model`), never at import.
"""
from __future__ import annotations

from .calibration import (ACC_KNOBS, NMI_ROUNDS, REAL_TABLE_ROUNDS, TABLE_FACTORS, TABLE_KNOBS, TOLERANCE, calibrate,
                          calibrate_task, check_calibration_options, check_model_covers, fit_real_table,
                          image_text_geometry, mean_baseline_scores, remeasure, table_loss)
from .clip import nearest_class_lists
from .draw import baseline_scores, class_positives, make_twin
from .measure import geometry_table, mean_real_table, real_table, real_table_frame, twin_geometry
from .real import REAL_DATASETS
from ...catalog.twins import CLIP_STRUCTURE
from .recipes import base_specs
from .spec import (CALIBRATION_FILES, CLIP_DEFAULTS, CLIP_PARAMS, DEFAULT_MODEL, GENERATOR_PARAMS, MODEL_ENV, MODELS,
                   REAL_DEFAULTS, REAL_PARAMS, TwinSpec, twin_model)
from .store import (DEFAULT_TWINS, calibrated_twins, calibration_lock, check_calibration_file, get_twin,
                    merge_calibrations, read_calibrations, twin_specs, write_calibration)
from .tree import nearest_classes

__all__ = ["TwinSpec", "make_twin", "calibration_lock", "baseline_scores", "GENERATOR_PARAMS", "calibrate", "write_calibration",
           "calibrate_task", "merge_calibrations", "get_twin", "twin_specs", "TOLERANCE", "class_positives",
           "mean_baseline_scores", "DEFAULT_TWINS", "ACC_KNOBS", "check_calibration_options", "check_model_covers",
           "remeasure", "read_calibrations", "check_calibration_file", "MODELS", "CLIP_PARAMS", "CLIP_DEFAULTS",
           "CALIBRATION_FILES", "DEFAULT_MODEL", "MODEL_ENV", "twin_model", "nearest_class_lists", "nearest_classes",
           "calibrated_twins", "base_specs", "CLIP_STRUCTURE", "REAL_PARAMS", "REAL_DEFAULTS", "REAL_DATASETS",
           "NMI_ROUNDS",
           "REAL_TABLE_ROUNDS", "TABLE_KNOBS", "TABLE_FACTORS", "fit_real_table", "table_loss", "image_text_geometry",
           "twin_geometry", "geometry_table", "real_table", "mean_real_table", "real_table_frame"]


def __getattr__(name: str):
    """``TWIN_SPECS`` (the twins of this process's model) and ``TWINS_FILE`` (its calibration file), resolved when
    read: ``LAIC_TWIN_MODEL`` is read then, not at import."""
    if name == "TWIN_SPECS":
        return twin_specs()
    if name == "TWINS_FILE":
        return CALIBRATION_FILES[twin_model()]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
