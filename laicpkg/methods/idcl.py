"""IDCL: deep image clustering with a density-based curriculum and density-core assignment
(Zheng, Zhang and Wang, ICMR 2024).

Explained in: notebooks/09_idcl.

The model (Sec. 3, Fig. 1) is a Transformer autoencoder (:class:`TransformerAE`):
a convolutional patch embedding into 16 patches, absolute (sinusoidal) position
encoding, Transformer blocks, and a linear block ``M-512-512-3072-10``; the decoder
mirrors it and a transposed convolution reassembles the patches. Training
(Algorithm 2) alternates, once per epoch:

1. embed every sample, ``z_i = f_W(x_i)``; local density ρ (Eq. 1) with ``d_c`` at λ₁ = 2 %;
2. k-means on Z (warm-started from the previous epoch's clusters, see below);
3. density cores at λ₂ = 5 % (Eq. 9), assignment ``q`` (Eq. 10–11), DEC target ``P``;
   labels ``Y = argmax q``; stop when fewer than μ of the labels changed;
4. the curriculum ``D^t`` (Eq. 7–8, Algorithm 1) with pace ``ζ^t`` (Eq. 5–6);
5. mini-batches of ``D^t`` with loss ``‖x − g(f(x))‖² + α KL(p‖q)`` (Eq. 12–14), α = 0.1.

Defaults are the paper's (Sec. 4) except the learning rate: Adam, 100 pre-training epochs
(reconstruction only), 200 training epochs, batch 256, ζ⁰ = 0.6, ζ_max = 0.95,
λ₁ = 2 %, λ₂ = 5 %, α = 0.1, 10-dimensional embedding, and Appendix F's augmentation
(:func:`random_affine`: every training image rotated by up to 10° and shifted by up to H/10
pixels in each direction).

Where the paper is silent or inconsistent we choose, document and expose:

* ``t_grow`` (T_grow of Eq. 5) is not given; default 100 (half the training epochs),
  so ζ reaches its cap at epoch 90.
* the learning rate: the paper gives Adam with lr 0.01. With it, every variant we ran
  collapses on DIGITS: pre-training ends at the mean image (reconstruction loss stuck at
  5.0 per image, k-means on the embedding 22 % ACC, against 1.6 and 66 % with 0.001; both
  with post-norm blocks), and
  the clustering stage from a good pre-trained encoder falls from 71–84 % to 15–17 % ACC
  within 10 epochs whether the assignment uses density cores (sum or mean) or centroids
  (DEC) (measured on seed 0, 40 epochs; the same stage with 0.001 keeps 67–80 %). Both
  stages therefore default to 0.001 (IDEC's setting); ``lr=0.01`` gives the literal reading,
  and its runs are reported beside ours in the book.
* Transformer blocks are pre-norm (``norm_first=True``). The post-norm block of Vaswani et
  al. ends in a LayerNorm over each patch embedding, and on 8×8 DIGITS that embedding is
  4-dimensional (I_c·I_h/4·I_w/4 = 4): normalising it removes its mean and scale, half of
  the patch. Measured on DIGITS (100 pre-training epochs, seeds 0/1): post-norm ends at
  reconstruction loss 1.94/2.02 with k-means ACC 69.4/68.3 on the embedding, pre-norm at
  0.87/1.08 and 79.7/77.5. ``norm_first=False`` restores the post-norm block.
* ``pretrain_cache`` (a folder) stores the pre-trained autoencoder keyed by the data, the
  network and the pre-training settings, so ablations that differ only after pre-training
  share it; the clustering stage draws its batches from a separate random stream, so a
  cached run gives the same labels as an uncached one.
* the augmentation (Appendix F) says what is done to "the image data used during model
  training", not where: we augment every mini-batch of pre-training and of the clustering
  stage (a fresh draw per image and batch; the reconstruction target is the augmented image,
  the input of the autoencoder), while the embedding that the density, k-means, the cores and
  DEC's target are computed from at the start of each epoch is of the original images. The
  paper names "standard library functions" for its resizing and no library for this step; we
  draw as torchvision's ``RandomAffine(degrees=10, translate=(0.1, 0.1))`` does with its
  defaults: angle uniform on [−10°, 10°], whole-pixel shifts (uniform on [−H/10, H/10],
  rounded: −1, 0 or 1 pixel on 8×8 DIGITS), nearest-neighbour resampling, zero fill.
  Measured on seed 0 (100 + 200 epochs): bilinear resampling with fractional shifts instead
  blurs every 8×8 digit and drops IDCL to 56.7 ACC and the plain autoencoder to 26.4. ``augment=False`` trains on the images as they
  are (and vectors are never augmented). DEC and IDEC of Table 2 are run without it: the
  paper describes their setup apart (Appendix C) and names no augmentation for them.
* μ (stopping threshold) is not given; default 0.001 as in DEC.
* the number of Transformer blocks and heads is not given; default 1 block, 1 head
  (the patch embedding of 8×8 DIGITS is only 4-dimensional).
* Eq. 14 sums the KL term over the whole training set and averages the
  reconstruction, while the update rule (Eq. 16–17) averages both per sample over
  the mini-batch; we follow Eq. 16–17 (per-sample mean of ``rec + α KL``).
* Algorithm 2 runs k-means every epoch; k-means from scratch would permute the
  labels between epochs and make the stopping test meaningless, so after the first
  epoch it starts from the centroids of the previous epoch's labels.
* the cores of Eq. 10–11 are embedded at the start of each epoch and held fixed
  during that epoch (Eq. 15 differentiates with respect to ``z_i`` only).
* the "no density core" ablation uses the same Student-t kernel with one point per
  cluster, the k-means centroid (DEC's assignment).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from ..core.density import (CORE_FRACTION, DC_QUANTILE, ZETA0, ZETA_MAX, core_assignment, curriculum_mask,
                            cutoff_distance, density_cores, difficulty_scores, local_density, pace, target_distribution)
from ..utils.errors import FeatureError, ParameterError, look_up
from ..utils.timing import bar_disabled
from ..core.kmeans import KMeans
from ..utils.validation import check_choice, check_finite_loss, check_int, check_n_clusters, check_positive, resolve_device
from .base import Estimator
from ..utils.atomic import atomic_open
from ..core.metrics import clustering_scores

__all__ = ["TransformerAE", "IDCL", "IDCL_VARIANTS", "variant_title", "variant_config", "sinusoidal_positions", "parse_widths", "random_affine",
           "affine_images"]

#: Appendix F's augmentation: largest rotation (degrees) and largest shift (share of the image height).
MAX_ROTATION_DEG = 10.0
MAX_SHIFT = 0.1

#: Appendix F's augmentation off: the "-noaug" variants below.
_NO_AUG = {"augment": False}
#: IDCL's own DEC and IDEC rows (its Table 2) through the same code: AE 500-500-2000-10, 500 pre-training epochs,
#: no curriculum, centroid assignment (IDCL Appendix); IDEC keeps the reconstruction loss, DEC drops it.
_BASELINE = {**_NO_AUG, "pace": "none", "density_core": False, "transformer": False, "hidden": "500,500,2000",
             "pretrain_epochs": 500}

#: IDCL's variants on DIGITS, declared once: ``name → (constructor arguments that differ from IDCL's defaults,
#: the row of IDCL Table 4 or Table 2 it reproduces, or None)``. The name is the run record's
#: (``digits__<name>__seed<s>.json``, ``laic idcl-grid``); the book names a record by its configuration
#: (:func:`variant_title`). Table 4's rows are matched to ablations by the paper's text:
#: Model-4 lacks the curriculum, Model-3 the Transformer blocks, Model-5 uses a fixed pace, Model-2 lacks the
#: density core, Model-1 all three. In the paper's order; then the same without Appendix F's augmentation, the
#: paper's literal learning rate, our core-mean assignment, and DEC and IDEC at our default learning rate.
IDCL_VARIANTS = {
    "model-1": ({"pace": "none", "density_core": False, "transformer": False},
                "Model-1: no curriculum, no density core, no Transformer"),
    "no-density-core": ({"density_core": False}, "Model-2: no density core"),
    "no-transformer": ({"transformer": False}, "Model-3: no Transformer"),
    "no-curriculum": ({"pace": "none"}, "Model-4: no curriculum"),
    "fixed-pace": ({"pace": "linear"}, "Model-5: fixed pace"),
    "idcl": ({}, "IDCL (all)"),
    "dec": ({**_BASELINE, "reconstruction": False, "lr": 0.01, "pretrain_lr": 0.01}, "DEC (Table 2)"),
    "idec": ({**_BASELINE, "lr": 0.01, "pretrain_lr": 0.01}, "IDEC (Table 2)"),
    "idcl-noaug": (dict(_NO_AUG), None),
    "no-transformer-noaug": ({"transformer": False, **_NO_AUG}, None),
    "no-curriculum-noaug": ({"pace": "none", **_NO_AUG}, None),
    "fixed-pace-noaug": ({"pace": "linear", **_NO_AUG}, None),
    "no-density-core-noaug": ({"density_core": False, **_NO_AUG}, None),
    "paper-lr": ({"lr": 0.01, **_NO_AUG}, None),
    "paper-lr-postnorm": ({"lr": 0.01, "norm_first": False, **_NO_AUG}, None),
    "core-mean": ({"core_reduce": "mean", **_NO_AUG}, None),
    "dec-lr0.001": ({**_BASELINE, "reconstruction": False, "lr": 0.001, "pretrain_lr": 0.001}, None),
    "idec-lr0.001": ({**_BASELINE, "lr": 0.001, "pretrain_lr": 0.001}, None),
}


def variant_title(config: dict) -> str:
    """The name of the IDCL variant a run configuration ``config`` (a run record's ``config``: ``idcl_*`` names)
    is: IDCL Table 4's naming, DEC and IDEC for the baselines, and what else differs from IDCL's defaults
    ("+ no augmentation", "+ lr 0.01", ...). Records written before a parameter existed ran without it: no
    ``idcl_augment`` means no augmentation, no ``idcl_norm_first`` post-norm blocks.

    Explained in: notebooks/09_idcl ("The ablation")."""
    c = config
    plain = c["idcl_pace"] == "none" and not c["idcl_density_core"] and not c["idcl_transformer"]
    if plain and c.get("idcl_hidden", "512,512,3072") == "500,500,2000":
        base = "IDEC (baseline)" if c.get("idcl_reconstruction", True) else "DEC (baseline)"
        return base if c["idcl_lr"] == 0.01 else f"{base} + lr {c['idcl_lr']:g}"
    if plain:
        flags = [("none of the three (Model-1)", True), ("", False), ("", False), ("", False)]
    else:
        flags = [("no curriculum (Model-4)", c["idcl_pace"] == "none"),
                 ("fixed pace (Model-5)", c["idcl_pace"] == "linear"),
                 ("no density core (Model-2)", not c["idcl_density_core"]),
                 ("no Transformer (Model-3)", not c["idcl_transformer"])]
    flags += [("core mean (this book)", c.get("idcl_core_reduce", "sum") == "mean"),
              (f"lr {c['idcl_lr']:g}", c["idcl_lr"] != 1e-3),
              ("post-norm blocks", c["idcl_transformer"] and not c.get("idcl_norm_first", False)),
              ("no augmentation", not c.get("idcl_augment", False))]
    changes = [name for name, on in flags if on]
    ablated = any(on for name, on in flags[:4])  # one of Table 4's models, or IDCL with other changes
    return " + ".join(changes) if ablated else " + ".join(["IDCL"] + changes)


def variant_config(name: str, *, full: bool = False) -> dict:
    """The run parameters (``idcl_*`` names) of variant ``name`` of :data:`IDCL_VARIANTS` that differ from IDCL's
    defaults (``full``: every configurable parameter); :class:`UnknownNameError` with the known names otherwise."""
    look_up(IDCL_VARIANTS, name, "IDCL variant")
    values = {**IDCL.configured(), **IDCL_VARIANTS[name][0]} if full else IDCL_VARIANTS[name][0]
    return {IDCL.config_name(arg): value for arg, value in values.items()}


def affine_images(x: torch.Tensor, angle_deg: torch.Tensor, shift_px: torch.Tensor,
                  mode: str = "nearest") -> torch.Tensor:
    """Rotate each image of ``x`` (n, C, H, W) about its centre by ``angle_deg`` (n,) degrees and shift it by
    ``shift_px`` (n, 2) pixels (x, y), zero fill — torchvision's ``affine`` on a batch (same convention:
    positive angles turn counter-clockwise, positive shifts move right and down)."""
    n, _, H, W = x.shape
    a = angle_deg.to(torch.float64) * (np.pi / 180.0)
    cos, sin = torch.cos(a), torch.sin(a)
    tx, ty = shift_px[:, 0].to(torch.float64), shift_px[:, 1].to(torch.float64)
    # output pixel (u, v) (centred pixel units) reads input R(angle)^-1 ((u, v) - t); affine_grid works in
    # [-1, 1] units (align_corners=False): x_n = 2u / W, y_n = 2v / H
    theta = torch.zeros(n, 2, 3, dtype=torch.float64)
    theta[:, 0, 0], theta[:, 0, 1] = cos, sin * H / W
    theta[:, 1, 0], theta[:, 1, 1] = -sin * W / H, cos
    theta[:, 0, 2] = -(cos * tx + sin * ty) * 2 / W
    theta[:, 1, 2] = -(-sin * tx + cos * ty) * 2 / H
    grid = F.affine_grid(theta.to(x.dtype), [n, x.shape[1], H, W], align_corners=False)
    return F.grid_sample(x, grid.to(x.device), mode=mode, padding_mode="zeros", align_corners=False)


def random_affine(x: torch.Tensor, generator: torch.Generator, max_degrees: float = MAX_ROTATION_DEG,
                  max_shift: float = MAX_SHIFT) -> torch.Tensor:
    """IDCL Appendix F's augmentation: each image of ``x`` (n, C, H, W) rotated by an angle uniform on
    [−max_degrees, max_degrees] and shifted by up to ``max_shift``·H pixels in each direction.

    The paper names no library or interpolation; this is torchvision's ``RandomAffine(degrees=10,
    translate=(0.1, 0.1))`` with its defaults, drawn per image: whole-pixel shifts (a uniform draw on
    [−0.1·W, 0.1·W], rounded) and nearest-neighbour resampling, zero fill (DIGITS' background). On 8×8
    DIGITS the shift is −1, 0 or +1 pixel. Draws come from ``generator`` (reproducible).

    Explained in: notebooks/09_idcl."""
    n, _, H, W = x.shape
    draws = torch.rand(n, 3, generator=generator, dtype=torch.float64) * 2 - 1
    angle = draws[:, 0] * max_degrees
    shift = torch.round(draws[:, 1:] * torch.tensor([max_shift * W, max_shift * H], dtype=torch.float64))
    return affine_images(x, angle, shift, mode="nearest")


def parse_widths(hidden) -> tuple:
    """Layer widths from ``(500, 500, 2000)`` or ``"500,500,2000"``; one clear error for anything else."""
    try:
        widths = tuple(int(w) for w in (hidden.split(",") if isinstance(hidden, str) else hidden))
    except (TypeError, ValueError):
        widths = ()
    if not widths or min(widths) < 1:
        raise ParameterError(f"idcl_hidden must be comma-separated positive integers like 500,500,2000; "
                             f"got {hidden!r}")
    return widths


def check_network_memory(widths) -> None:
    """Refuse, before anything is allocated, an encoder/decoder pair of these layer widths whose weights,
    gradients and Adam moments (4 float32 copies) would not fit in this machine's memory."""
    import os

    weights = 2 * sum(a * b + b for a, b in zip(widths[:-1], widths[1:]))
    need = 16 * weights
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return
    if need > total:
        raise ParameterError(f"IDCL's autoencoder with layers {','.join(map(str, widths))} has {weights:,} weights, "
                             f"{need / 2 ** 30:.1f} GiB with gradients and Adam's moments: more than this machine's "
                             f"{total / 2 ** 30:.1f} GiB (lower --idcl-latent-dim or --idcl-hidden)")


def sinusoidal_positions(n_positions: int, dim: int) -> torch.Tensor:
    """Absolute sinusoidal position encoding of Vaswani et al. (2017), shape (n_positions, dim)."""
    pos = torch.arange(n_positions, dtype=torch.float32)[:, None]
    i = torch.arange(dim, dtype=torch.float32)[None, :]
    angle = pos / torch.pow(10000.0, (2 * torch.div(i, 2, rounding_mode="floor")) / dim)
    return torch.where(i.long() % 2 == 0, torch.sin(angle), torch.cos(angle))


def _mlp(sizes) -> nn.Sequential:
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no activation after the last layer


class TransformerAE(nn.Module):
    """The Transformer autoencoder of IDCL (Sec. 3, Fig. 1; configuration in Sec. 4).

    Parameters
    ----------
    image_shape : (C, H, W); H and W divisible by ``grid`` (4 → 16 patches).
    latent_dim : int, default 10
    hidden : linear block widths after the flattened patches, default (512, 512, 3072)
    transformer : bool, default True; False gives the plain autoencoder ``M-512-512-3072-10``
        of the ablation (no patch embedding, no Transformer blocks).
    n_blocks, n_heads : Transformer blocks (each a self-attention and a feed-forward layer).
    norm_first : bool, default True — pre-norm blocks (False: post-norm, Vaswani et al.; see the module notes).
    """

    def __init__(self, image_shape, latent_dim: int = 10, hidden=(512, 512, 3072), *, transformer: bool = True,
                 grid: int = 4, n_blocks: int = 1, n_heads: int = 1, norm_first: bool = True):
        super().__init__()
        C, H, W = (int(v) for v in image_shape)
        self.image_shape = (C, H, W)
        self.transformer = bool(transformer)
        M = C * H * W
        if self.transformer:
            if H % grid or W % grid:
                raise ParameterError(f"image size {H}x{W} is not divisible by the {grid}x{grid} patch grid")
            ph, pw = H // grid, W // grid
            self.grid, self.embed_dim = grid, C * ph * pw   # patch embedding size I_c·I_h/4·I_w/4 (Sec. 4)
            if self.embed_dim % n_heads:
                raise ParameterError(f"n_heads={n_heads} does not divide the patch embedding size {self.embed_dim}")
            self.patch = nn.Conv2d(C, self.embed_dim, kernel_size=(ph, pw), stride=(ph, pw))
            self.register_buffer("pos", sinusoidal_positions(grid * grid, self.embed_dim))

            def blocks():
                layer = nn.TransformerEncoderLayer(self.embed_dim, n_heads, dim_feedforward=4 * self.embed_dim,
                                                   dropout=0.0, batch_first=True, norm_first=norm_first)
                return nn.TransformerEncoder(layer, n_blocks, enable_nested_tensor=False)

            self.enc_blocks, self.dec_blocks = blocks(), blocks()
            self.unpatch = nn.ConvTranspose2d(self.embed_dim, C, kernel_size=(ph, pw), stride=(ph, pw))
            M = grid * grid * self.embed_dim
        check_network_memory([M, *hidden, latent_dim])
        self.encoder = _mlp([M, *hidden, latent_dim])
        self.decoder = _mlp([latent_dim, *reversed(hidden), M])

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        if self.transformer:
            t = self.patch(x).flatten(2).transpose(1, 2) + self.pos      # (B, 16, I_e)
            x = self.enc_blocks(t)
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = self.decoder(z)
        if self.transformer:
            t = self.dec_blocks(h.view(h.shape[0], self.grid * self.grid, self.embed_dim) + self.pos)
            t = t.transpose(1, 2).reshape(h.shape[0], self.embed_dim, self.grid, self.grid)
            return self.unpatch(t)
        return h.view(h.shape[0], *self.image_shape)

    def forward(self, x):
        z = self.encode(x)
        return z, self.decode(z)


@dataclass
class _ClusterStep:
    """What one clustering step of Algorithm 2 (lines 3–6) hands to the training epoch."""

    labels: np.ndarray          # Y = argmax q
    clusters: np.ndarray        # k-means clusters (they define the cores and the curriculum)
    rho: np.ndarray             # local density (Eq. 1)
    d_c: float                  # cutoff distance
    cores: list | None          # density cores (Eq. 9), None without them
    core_pts: torch.Tensor      # points of the cores (or the centroids, DEC)
    core_lab: np.ndarray        # their clusters
    q: torch.Tensor             # assignment (Eq. 10–11)
    p: torch.Tensor             # DEC target distribution
    centroids: np.ndarray       # k-means centroids


class IDCL(Estimator):
    """IDCL (Algorithm 2), estimator style: ``fit(X)`` then ``labels_``.

    Parameters
    ----------
    n_clusters : int
    alpha : float, default 0.1 — weight of the KL term (Eq. 14)
    dc_quantile, core_fraction : λ₁ = 0.02 and λ₂ = 0.05
    zeta0, zeta_max, t_grow, pace : the curriculum (Eq. 5–6); ``pace`` is "exponential"
        (paper), "linear" (fixed pace, Table 4 Model-5) or "none" (no curriculum, Model-4)
    density_core : bool, default True — False assigns with the k-means centroids (DEC)
    core_reduce : "sum" (Eq. 10, default) or "mean" over each core's members
    transformer : bool, default True — False uses the plain linear autoencoder
    augment : bool, default True — Appendix F's rotation and shift of every training batch
        (:func:`random_affine`; images only)
    reconstruction : bool, default True — False fine-tunes on the KL term alone (DEC)
    latent_dim, hidden, n_blocks, n_heads : the network (see :class:`TransformerAE`); ``hidden``
        as a tuple or "512,512,3072"
    lr, pretrain_epochs, epochs, batch_size : Adam lr (default 0.001; paper 0.01, see the module
        notes), 100, 200, 256
    pretrain_lr : float, default 0.001 — Adam lr of the pre-training (see the module notes)
    norm_first : bool, default True — pre-norm Transformer blocks (see the module notes)
    pretrain_cache : folder or None — cache of pre-trained autoencoders (see the module notes)
    tol : μ, the stopping threshold on the share of changed labels
    kmeans_nredo : restarts of the first-epoch k-means
    image_shape : (C, H, W) when ``X`` is given flat; vectors without an image shape
        need ``transformer=False``
    device, progress, random_state

    Attributes
    ----------
    labels_ (n,), q_ (n, K), embedding_ (n, latent_dim), rho_ (n,), cores_ (list),
    history_ : dict of per-epoch lists (zeta, n_train, changed, loss_rec, loss_kl, and
        ACC/NMI when ``fit`` got ``y_eval`` — used only for reporting), pretrain_loss_,
    n_epochs_ (epochs run), timings_
    """

    config_prefix = "idcl_"
    config_shared = ("device",)
    accepts_images = True
    not_configured = Estimator.not_configured + ("image_shape",)

    def __init__(self, n_clusters: int, *, alpha: float = 0.1, dc_quantile: float = DC_QUANTILE,
                 core_fraction: float = CORE_FRACTION, zeta0: float = ZETA0, zeta_max: float = ZETA_MAX,
                 t_grow: float = 100.0, pace: str = "exponential", density_core: bool = True,
                 core_reduce: str = "sum", transformer: bool = True, augment: bool = True,
                 reconstruction: bool = True,
                 latent_dim: int = 10, hidden: str = "512,512,3072", n_blocks: int = 1, n_heads: int = 1,
                 norm_first: bool = True, lr: float = 1e-3, pretrain_lr: float = 1e-3, pretrain_epochs: int = 100,
                 epochs: int = 200, batch_size: int = 256, tol: float = 1e-3, kmeans_nredo: int = 20,
                 pretrain_cache: str = "", image_shape=None, device: str = "auto", progress: bool = True,
                 random_state: int = 0):
        self.n_clusters = n_clusters
        self.alpha = alpha
        self.dc_quantile = dc_quantile
        self.core_fraction = core_fraction
        self.zeta0 = zeta0
        self.zeta_max = zeta_max
        self.t_grow = t_grow
        self.pace = pace
        self.density_core = density_core
        self.core_reduce = core_reduce
        self.transformer = transformer
        self.augment = augment
        self.reconstruction = reconstruction
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.n_blocks = n_blocks
        self.n_heads = n_heads
        self.norm_first = norm_first
        self.lr = lr
        self.pretrain_lr = pretrain_lr
        self.pretrain_epochs = pretrain_epochs
        self.epochs = epochs
        self.batch_size = batch_size
        self.tol = tol
        self.kmeans_nredo = kmeans_nredo
        self.pretrain_cache = pretrain_cache
        self.image_shape = image_shape
        self.device = device
        self.progress = progress
        self.random_state = random_state

    # -- input -------------------------------------------------------------------------------
    def _prepare(self, X) -> torch.Tensor:
        if hasattr(X, "detach"):
            X = X.detach().cpu().numpy()
        X = np.asarray(X, dtype=np.float32)
        if X.ndim == 2 and self.image_shape is not None:
            if int(np.prod(self.image_shape)) != X.shape[1]:
                raise FeatureError(f"image_shape {tuple(self.image_shape)} does not match {X.shape[1]} values per sample")
            X = X.reshape(X.shape[0], *self.image_shape)
        elif X.ndim == 2:
            if self.transformer:
                raise ParameterError("flat inputs need image_shape=(C, H, W) for the Transformer autoencoder, "
                                     "or transformer=False")
            X = X.reshape(X.shape[0], 1, 1, X.shape[1])
        elif X.ndim == 3:
            X = X[:, None]
        elif X.ndim != 4:
            raise FeatureError(f"IDCL input must be (n, C, H, W), (n, H, W) or (n, features), got shape {X.shape}")
        if X.shape[0] == 0:
            raise FeatureError("IDCL input is empty")
        if not np.isfinite(X).all():
            raise FeatureError("IDCL input holds NaN or inf")
        if float(X.reshape(X.shape[0], -1).std(axis=0).max()) == 0.0:
            raise FeatureError("IDCL input is constant: every sample is identical")
        return torch.from_numpy(np.ascontiguousarray(X))

    @torch.no_grad()
    def _embed(self, X: torch.Tensor, chunk: int = 4096) -> torch.Tensor:
        self.model_.eval()
        return torch.cat([self.model_.encode(X[a:a + chunk].to(self.device_)).cpu()
                          for a in range(0, X.shape[0], chunk)]).double()

    def _batches(self, idx: np.ndarray, rng: np.random.Generator):
        bs = check_int(self.batch_size, "batch_size")
        idx = idx[rng.permutation(idx.size)]
        for a in range(0, idx.size, bs):
            yield torch.from_numpy(idx[a:a + bs])

    def _augments(self, X: torch.Tensor) -> bool:
        """Whether training batches are augmented: ``augment`` on and ``X`` images (H, W > 1)."""
        return bool(self.augment) and X.shape[2] > 1 and X.shape[3] > 1

    def _batch(self, X: torch.Tensor, b: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
        """The mini-batch ``X[b]`` on the device, augmented (Appendix F) when ``gen`` is given."""
        xb = X[b]
        if gen is not None:
            xb = random_affine(xb, gen)
        return xb.to(self.device_)

    def _augment_stream(self, X: torch.Tensor, rng: np.random.Generator) -> torch.Generator | None:
        """The augmentation's random stream (seeded from ``rng``), or None without augmentation."""
        if not self._augments(X):
            return None
        return torch.Generator().manual_seed(int(rng.integers(2 ** 62)))

    def _cache_path(self, X: torch.Tensor, pre_epochs: int):
        """File of the pre-trained autoencoder in ``pretrain_cache``, keyed by everything that shapes it."""
        import hashlib
        import json

        key = {"data": hashlib.sha256(X.numpy().tobytes()).hexdigest(), "shape": list(X.shape),
               "net": [self.latent_dim, list(parse_widths(self.hidden)), self.transformer, self.n_blocks, self.n_heads,
                       self.norm_first],
               "pretrain": [pre_epochs, float(self.pretrain_lr), self.batch_size], "seed": self.random_state,
               "augment": "torchvision-randomaffine-10deg-0.1" if self._augments(X) else False,
               "torch": torch.__version__.split("+")[0]}
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
        return Path(self.pretrain_cache) / f"idcl-ae-{digest}.pt"

    def _build_network(self, X: torch.Tensor) -> "TransformerAE":
        """The autoencoder, initialised from ``random_state`` (the same network on every call)."""
        torch.manual_seed(self.random_state)
        return TransformerAE(X.shape[1:], self.latent_dim, parse_widths(self.hidden), transformer=self.transformer,
                             n_blocks=self.n_blocks, n_heads=self.n_heads, norm_first=self.norm_first).to(self.device_)

    def _pretrain(self, X: torch.Tensor, pre_epochs: int, rng: np.random.Generator) -> None:
        """Pre-training: reconstruction only (Algorithm 2, line 1; Eq. 13), or load it from the cache."""
        path = self._cache_path(X, pre_epochs) if self.pretrain_cache else None
        try:
            cached = path is not None and path.is_file()
        except OSError:  # a folder we may not read: pre-train (and warn below when it cannot be written)
            cached = False
        if cached:
            try:
                saved = torch.load(path, map_location=self.device_, weights_only=True)
                self.model_.load_state_dict(saved["state"])
                self.pretrain_loss_ = [float(v) for v in saved["loss"]]
                self.pretrain_cached_ = True
                return
            except Exception as exc:  # truncated or foreign file: report, delete, pre-train again
                warnings.warn(f"IDCL pre-training cache {path} is unreadable ({type(exc).__name__}); "
                              "pre-training again and rewriting it", RuntimeWarning, stacklevel=2)
                path.unlink(missing_ok=True)
                self.model_ = self._build_network(X)
        self.pretrain_cached_ = False
        opt = torch.optim.Adam(self.model_.parameters(), lr=check_positive(self.pretrain_lr, "pretrain_lr"))
        self.pretrain_loss_ = []
        all_idx = np.arange(X.shape[0])
        gen = self._augment_stream(X, rng)
        for _ in tqdm(range(pre_epochs), desc="IDCL pre-training", disable=bar_disabled(self.progress), leave=False):
            self.model_.train()
            total = 0.0
            for b in self._batches(all_idx, rng):
                xb = self._batch(X, b, gen)
                loss = F.mse_loss(self.model_(xb)[1], xb, reduction="none").flatten(1).sum(1).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * b.numel()
            self.pretrain_loss_.append(check_finite_loss(total / X.shape[0], "IDCL pre-training",
                                                         len(self.pretrain_loss_), "--idcl-pretrain-lr",
                                                         self.pretrain_lr))
        if path is not None:
            state = {k: v.detach().cpu() for k, v in self.model_.state_dict().items()}
            try:
                with atomic_open(path, "wb") as fh:
                    torch.save({"state": state, "loss": torch.tensor(self.pretrain_loss_)}, fh)
            except OSError as exc:  # a cache that cannot be written costs time later, never this run
                warnings.warn(f"IDCL pre-training cache {path.parent} cannot be written ({exc.strerror or exc}); "
                              "going on without caching", RuntimeWarning, stacklevel=2)

    # -- Algorithm 2 -------------------------------------------------------------------------
    def _cluster_step(self, Z: torch.Tensor, K: int, init) -> _ClusterStep:
        """Algorithm 2, lines 3–6: density (Eq. 1), k-means (warm-started from ``init``), density cores
        (Eq. 9), assignment (Eq. 10–11) and the DEC target; the cores stay fixed for the epoch."""
        Zn = Z.numpy()
        if self.density_core or self.pace != "none":
            d_c = cutoff_distance(Zn, self.dc_quantile)
            rho = local_density(Zn, d_c)
        else:  # DEC / IDEC: neither the cores nor the curriculum needs the density
            d_c, rho = float("nan"), np.zeros(Zn.shape[0])
        km = KMeans(K, spherical=False, niter=300, nredo=self.kmeans_nredo if init is None else 1,
                    on_empty="ignore", random_state=self.random_state, init=init).fit(Zn)
        if self.density_core:
            cores = density_cores(rho, km.labels_, K, self.core_fraction)
            core_lab = np.concatenate([np.full(len(c), k) for k, c in enumerate(cores)])
            core_pts = Z[np.concatenate(cores)]
        else:
            cores, core_lab = None, np.arange(K)
            core_pts = torch.from_numpy(km.cluster_centers_).double()
        q = core_assignment(Z, core_pts, core_lab, K, self.core_reduce)
        return _ClusterStep(labels=q.argmax(1).numpy(), clusters=km.labels_, rho=rho, d_c=d_c, cores=cores,
                            core_pts=core_pts, core_lab=core_lab, q=q, p=target_distribution(q).float(),
                            centroids=km.cluster_centers_)

    @staticmethod
    def _warm_start(Z: np.ndarray, step: _ClusterStep, K: int) -> np.ndarray:
        """Centroids of the current labels: the next epoch's k-means starts from them (module notes)."""
        return np.stack([Z[step.labels == k].mean(0) if (step.labels == k).any() else step.centroids[k]
                         for k in range(K)]).astype(np.float32)

    def _train_epoch(self, X: torch.Tensor, train_idx: np.ndarray, step: _ClusterStep, K: int, opt, rng,
                     alpha: float, gen: torch.Generator | None = None) -> tuple:
        """One epoch on the curriculum ``D^t``: per-sample ``rec + α KL(p‖q)`` (Eq. 12–17), on batches
        augmented by ``gen`` (Appendix F) when given.

        Returns the summed reconstruction and KL terms."""
        core_pts = step.core_pts.float().to(self.device_)
        self.model_.train()
        rec_sum = kl_sum = 0.0
        for b in self._batches(train_idx, rng):
            xb = self._batch(X, b, gen)
            z, xr = self.model_(xb)
            rec = F.mse_loss(xr, xb, reduction="none").flatten(1).sum(1)              # Eq. 13 per sample
            q = core_assignment(z, core_pts, step.core_lab, K, self.core_reduce)      # Eq. 11
            p = step.p[b].to(self.device_)
            kl = (p * (torch.log(p.clamp_min(1e-12)) - torch.log(q.clamp_min(1e-12)))).sum(1)  # Eq. 12
            # Eq. 16-17; without reconstruction (DEC) only the KL term trains the encoder
            loss = (rec + alpha * kl).mean() if self.reconstruction else kl.mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            rec_sum += rec.sum().item()
            kl_sum += kl.sum().item()
        return rec_sum, kl_sum

    @staticmethod
    def _new_history(with_eval: bool) -> dict:
        keys = ("epoch", "zeta", "n_train", "changed", "loss_rec", "loss_kl", "d_c") + (("ACC", "NMI") if with_eval
                                                                                         else ())
        return {k: [] for k in keys}

    def _record_epoch(self, it: int, step: _ClusterStep, changed: float, y_eval) -> None:
        """The history entries known after the clustering step (ACC/NMI only for reporting)."""
        h = self.history_
        h["epoch"].append(it)
        h["changed"].append(changed)
        h["d_c"].append(step.d_c)
        if y_eval is not None:
            s = clustering_scores(y_eval, step.labels)
            h["ACC"].append(s["ACC"])
            h["NMI"].append(s["NMI"])

    def _record_training(self, zeta: float, n_train: int, rec: float, kl: float) -> None:
        h = self.history_
        h["zeta"].append(float(zeta))
        h["n_train"].append(int(n_train))
        h["loss_rec"].append(rec / max(n_train, 1))
        h["loss_kl"].append(kl / max(n_train, 1))

    def fit(self, X, y_eval=None) -> "IDCL":
        """Pre-train the autoencoder, then run Algorithm 2. ``y_eval`` (optional) only fills ``history_``."""
        X = self._prepare(X)
        K = check_n_clusters(self.n_clusters, X.shape[0], "n_clusters (K)", "samples")
        check_choice(self.pace, "pace", ("exponential", "linear", "none"))
        epochs = check_int(self.epochs, "epochs", minimum=0)
        pre_epochs = check_int(self.pretrain_epochs, "pretrain_epochs", minimum=0)
        check_int(self.batch_size, "batch_size")
        parse_widths(self.hidden)
        lr = check_positive(self.lr, "lr")
        alpha = float(self.alpha)
        self.device_ = resolve_device(self.device)
        if self.pretrain_cache and Path(self.pretrain_cache).exists() and not Path(self.pretrain_cache).is_dir():
            raise ParameterError(f"pretrain_cache {self.pretrain_cache} is a file; it must be a folder (or absent)")
        self.model_ = self._build_network(X)
        self.timings_ = {}
        t0 = time.perf_counter()
        self._pretrain(X, pre_epochs, np.random.default_rng(self.random_state))
        self.timings_["pretrain"] = time.perf_counter() - t0
        # The clustering stage draws its batches from a fresh stream, so a run that loads its
        # pre-trained autoencoder from ``pretrain_cache`` is identical to one that trains it.
        rng = np.random.default_rng([self.random_state, 1])
        gen = self._augment_stream(X, rng)
        opt = torch.optim.Adam(self.model_.parameters(), lr=lr)
        self.history_ = self._new_history(y_eval is not None)
        step = init = Z = None
        t0 = time.perf_counter()
        bar = tqdm(range(1, epochs + 1), desc="IDCL training", disable=bar_disabled(self.progress), leave=False)
        self.n_epochs_ = 0
        for it in bar:
            Z = self._embed(X)
            previous = None if step is None else step.labels
            step = self._cluster_step(Z, K, init)
            changed = float(np.mean(step.labels != previous)) if previous is not None else 1.0
            self.n_epochs_ = it
            self._record_epoch(it, step, changed, y_eval)
            if it > 1 and changed < self.tol:
                self._record_training(float("nan"), 0, float("nan"), float("nan"))
                break
            init = self._warm_start(Z.numpy(), step, K)
            zeta = pace(it, zeta0=self.zeta0, zeta_max=self.zeta_max, t_grow=self.t_grow, kind=self.pace)
            train_idx = np.flatnonzero(curriculum_mask(difficulty_scores(step.rho), step.clusters, K, zeta))
            rec, kl = self._train_epoch(X, train_idx, step, K, opt, rng, alpha, gen)
            check_finite_loss(rec + kl, "IDCL", it - 1, "--idcl-lr", self.lr)
            self._record_training(zeta, train_idx.size, rec, kl)
            bar.set_postfix(zeta=f"{zeta:.2f}", changed=f"{changed:.3f}", rec=f"{self.history_['loss_rec'][-1]:.3f}",
                            kl=f"{self.history_['loss_kl'][-1]:.4f}")
        self.timings_["train"] = time.perf_counter() - t0
        self._finish(X, K, step, Z)
        return self

    def _finish(self, X: torch.Tensor, K: int, step: _ClusterStep | None, Z: torch.Tensor | None) -> None:
        """Learned attributes from the last clustering step (or one k-means after pre-training alone);
        ``embedding_`` is the embedding that step clustered."""
        if step is None:
            Z = self._embed(X)  # no training epochs: assign once after pre-training
            km = KMeans(K, spherical=False, nredo=self.kmeans_nredo, on_empty="ignore",
                        random_state=self.random_state).fit(Z.numpy())
            labels, q, rho, cores = km.labels_, None, None, None
        else:
            labels, q, rho, cores = step.labels, step.q, step.rho, step.cores
        self.labels_ = np.asarray(labels, dtype=np.int64)
        self.q_ = None if q is None else q.numpy()
        self.embedding_ = Z.numpy().astype(np.float32)
        self.rho_ = rho
        self.cores_ = cores

    def fit_predict(self, X, y_eval=None) -> np.ndarray:
        return self.fit(X, y_eval).labels_

    def cluster(self, data) -> np.ndarray:
        """Raw images (``data.X``, scored by ``data.y`` in the history), or a LaIC dataset's test features."""
        if hasattr(data, "X"):
            return self.fit_predict(data.X, y_eval=data.y)
        return self.fit_predict(data.E_test)

    def pace_curve(self, epochs: int | None = None) -> np.ndarray:
        """ζ^t for t = 1..epochs under this model's pace settings (for plots)."""
        t = np.arange(1, (epochs or self.epochs) + 1)
        return pace(t, zeta0=self.zeta0, zeta_max=self.zeta_max, t_grow=self.t_grow, kind=self.pace)
