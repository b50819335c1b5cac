"""Per-dataset parameter settings with their sources, as data.

Explained in: book/implementation.md ("Parameters and their sources").

* SIC ("Semantic-Enhanced Image Clustering"), Table 2: its hyper-parameters per dataset; its reference code's
  weight decay on ImageNet-Dogs.
* The large datasets' training settings: GradNorm Sec. 5.1.2 (ERM), TAC's reference code (TAC*).
* The ``official-code`` preset's per-dataset values: GradNorm's code (``filter_nouns.py``,
  ``concat_kmeans.py``): C, the filter's temperature 1/τ, κ (and β on ImageNet-1K); SIC's lr on ImageNet-Dogs.
"""
from __future__ import annotations

__all__ = ["SIC_TABLE2", "SIC_DOGS_WEIGHT_DECAY", "TAC_LARGE", "ERM_LARGE", "OFFICIAL_CODE", "official_preset"]

_SIC_ALL = {"sic_gamma_u": 0.05, "sic_lambda": 5.0}  # SIC Table 2: the same for every dataset it covers

#: SIC Table 2, per dataset it covers.
SIC_TABLE2 = {
    "stl10": {**_SIC_ALL, "sic_gamma_r": 200, "sic_xi_a": 20, "sic_neighbors": 20, "sic_beta": 1.0, "sic_lr": 1e-4},
    "cifar10": {**_SIC_ALL, "sic_gamma_r": 500, "sic_xi_a": 30, "sic_neighbors": 20, "sic_beta": 0.1, "sic_lr": 1e-4},
    "cifar20": {**_SIC_ALL, "sic_gamma_r": 200, "sic_xi_a": 20, "sic_neighbors": 20, "sic_beta": 1.0, "sic_lr": 1e-4},
    "imagenet-dogs": {**_SIC_ALL, "sic_gamma_r": 1000, "sic_xi_a": 50, "sic_neighbors": 20, "sic_beta": 1.0,
                      "sic_lr": 9e-3},
}

#: (values, source) settings.
SIC_DOGS_WEIGHT_DECAY = ({"sic_weight_decay": 0.009}, "SIC reference code (configs/clustering/imagenet_dog.yml)")
TAC_LARGE = ({"tacstar_epochs": 100, "tacstar_batch_size": 8192, "tacstar_temperature": 5.0}, "TAC reference code")
ERM_LARGE = ({"erm_epochs": 100, "erm_batch_size": 8192}, "GradNorm Sec. 5.1.2")

#: GradNorm's code per dataset: (C, the filter's temperature, κ, other values); None where the code sets none.
OFFICIAL_CODE = {
    "stl10": (30, 0.08, 0.01, {}), "cifar10": (250, 0.06, 0.009, {}), "cifar20": (200, 0.08, 0.008, {}),
    "imagenet10": (50, 0.018, 0.006, {}), "imagenet-dogs": (50, 0.02, 0.007, {"sic_lr": 1e-4}),
    "dtd": (180, 0.08, 0.01, {}), "ucf101": (303, 0.02, 0.01, {}), "imagenet": (2000, 0.02, 0.006, {"beta": 3}),
    "aircraft": (300, 0.02, 0.008, {}), "food101": (1200, 0.01, 0.01, {}), "flowers102": (300, 0.01, 0.009, {}),
    "pets": (120, 0.01, 0.01, {}), "cars": (None, 0.01, 0.01, {}),
    "imagenet-v2": (None, None, 0.004, {}), "imagenet-sketch": (None, None, 0.006, {}),
    "imagenet-r": (None, None, 0.005, {}), "imagenet-a": (None, None, 0.007, {}), "imagenet-c": (None, None, 0.007, {}),
}


def official_preset(dataset: str) -> dict:
    """``{"official-code": values}`` of :data:`OFFICIAL_CODE` for ``dataset`` as parameter names (τ = 1 / the
    code's temperature), or ``{}`` where the authors' code names no value for it."""
    if dataset not in OFFICIAL_CODE:
        return {}
    C, temperature, kappa, more = OFFICIAL_CODE[dataset]
    values = {"n_pseudo_classes": C, "tau": None if temperature is None else 1 / temperature, "kappa": kappa, **more}
    return {"official-code": {k: v for k, v in values.items() if v is not None}}
