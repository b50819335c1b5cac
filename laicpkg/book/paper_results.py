"""Numbers reported in the papers, for side-by-side tables (no computation here).

The numbers live in each dataset's specification (``DatasetSpec.paper``,
:mod:`laicpkg.features.datasets`): GradNorm's Table 1 (five classic datasets) and
Table 2 (three harder ones), and IDCL's Tables 2 and 4 on DIGITS. This module
gives them the shapes the book's tables use.
"""
from __future__ import annotations

import pandas as pd

from ..features.datasets import DATASETS

__all__ = ["PAPER_TABLES", "paper_table", "METHOD_TO_PAPER_ROW", "IDCL_DIGITS"]

#: Our method names → the paper's row they correspond to (whole methods only).
METHOD_TO_PAPER_ROW = {"kmeans": "CLIP (k-means)", "gradnorm": "GradNorm (ICCV25)", "zeroshot": "CLIP (zero-shot)",
                       "tac": "TAC (ICML24)", "sic": "SIC (AAAI23)"}

#: ``PAPER_TABLES[dataset][row] = (NMI, ACC, ARI)`` in percent, GradNorm's Tables 1–2.
PAPER_TABLES = {name: {row: (v["NMI"], v["ACC"], v["ARI"]) for row, v in spec.paper.items()}
                for name, spec in DATASETS.items() if spec.paper and spec.kind == "features"}

#: IDCL paper on DIGITS, ``(ACC, NMI)`` in percent: Table 2 (IDCL, DEC, IDEC) and Table 4 (ablation). Table 4's
#: check marks did not survive in our copy of the paper; the rows are matched to ablations by its
#: text: Model-4 lacks the curriculum ("RCL"), Model-3 the Transformer blocks, Model-5 uses a
#: fixed pace, Model-2 lacks the density core, Model-1 lacks all three.
IDCL_DIGITS = {row: (v["ACC"], v["NMI"]) for row, v in DATASETS["digits"].paper.items()}


def paper_table(dataset: str) -> pd.DataFrame | None:
    """The paper's rows for ``dataset`` as a frame with columns ACC, NMI, ARI, or None without numbers."""
    spec = DATASETS.get(dataset)
    if spec is None or not spec.paper or spec.kind != "features":
        return None
    rows = [{"method": row, "ACC": v["ACC"], "NMI": v["NMI"], "ARI": v["ARI"]} for row, v in spec.paper.items()]
    return pd.DataFrame(rows).set_index("method")
