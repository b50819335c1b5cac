"""The papers' table rows, as data.

Explained in: notebooks/07_comparison, notebooks/08_twins and notebooks/09_idcl.

* GradNorm ("On the Provable Importance of Gradients for Language-assisted Image Clustering"), Tables 1–2:
  NMI, ACC and ARI of CLIP zero-shot, CLIP k-means, SIC, TAC and GradNorm per dataset, real CLIP ViT-B/32.
* IDCL, Table 2 (IDCL, DEC, IDEC) and Table 4 (ablations) on DIGITS: ACC and NMI.
"""
from __future__ import annotations

__all__ = ["GRADNORM_ROWS", "GRADNORM_TABLES", "IDCL_DIGITS"]

#: The rows of GradNorm's Tables 1–2, in the paper's order.
GRADNORM_ROWS = ("CLIP (zero-shot)", "CLIP (k-means)", "SIC (AAAI23)", "TAC (ICML24)", "GradNorm (ICCV25)")


def _rows(*triples) -> dict:
    """{row: {"NMI", "ACC", "ARI"}} from (NMI, ACC, ARI) triples in :data:`GRADNORM_ROWS` order."""
    return {n: dict(zip(("NMI", "ACC", "ARI"), t)) for n, t in zip(GRADNORM_ROWS, triples)}


#: GradNorm's Tables 1–2 per dataset (NMI, ACC, ARI in percent).
GRADNORM_TABLES = {
    "stl10": _rows((93.9, 97.1, 93.7), (91.7, 94.3, 89.1), (95.3, 98.1, 95.9), (92.3, 94.5, 89.5), (95.6, 98.3, 96.2)),
    "cifar10": _rows((80.7, 90.0, 79.3), (70.3, 74.2, 61.6), (84.7, 92.6, 84.4), (80.8, 90.1, 79.8),
                     (82.6, 91.1, 81.5)),
    "cifar20": _rows((55.3, 58.3, 39.8), (49.9, 45.5, 28.3), (59.3, 58.3, 43.9), (60.7, 55.8, 42.7),
                     (61.3, 60.6, 43.6)),
    "imagenet10": _rows((95.8, 97.6, 94.9), (96.9, 98.2, 96.1), (97.0, 98.2, 96.1), (97.5, 98.6, 97.0),
                        (98.7, 99.4, 98.7)),
    "imagenet-dogs": _rows((73.5, 72.8, 58.2), (39.8, 38.1, 20.1), (69.0, 69.7, 55.8), (75.1, 75.1, 63.6),
                           (81.0, 81.2, 70.9)),
    "dtd": _rows((56.5, 43.1, 26.9), (57.3, 42.6, 27.4), (59.6, 45.9, 30.5), (60.1, 45.9, 29.0), (63.1, 50.9, 34.2)),
    "ucf101": _rows((79.9, 63.4, 50.2), (79.5, 58.2, 47.6), (81.0, 61.9, 53.6), (81.6, 61.3, 52.4),
                    (82.5, 62.7, 53.2)),
    "imagenet": _rows((81.0, 63.6, 45.4), (72.3, 38.9, 27.1), (77.2, 47.0, 34.3), (77.8, 48.9, 36.4),
                      (79.2, 52.6, 39.1)),
}

#: IDCL on DIGITS: Table 2 (IDCL, DEC, IDEC) and Table 4 (the ablations), (ACC, NMI) in percent. Table 4's check
#: marks did not survive in our copy of the paper; the rows are matched to ablations by its text: Model-4 lacks the
#: curriculum ("RCL"), Model-3 the Transformer blocks, Model-5 uses a fixed pace, Model-2 lacks the density core,
#: Model-1 lacks all three.
IDCL_DIGITS = {
    "IDCL": (95.3, 91.4), "no curriculum (Model-4)": (93.7, 89.4), "fixed pace (Model-5)": (93.2, 90.1),
    "no density core (Model-2)": (89.9, 83.5), "no Transformer (Model-3)": (92.6, 88.7),
    "none of the three (Model-1)": (77.5, 72.4), "DEC (baseline)": (72.3, 69.7), "IDEC (baseline)": (76.4, 71.6),
}
