# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The LaIC book
#
# A reference reproduction of **GradNorm** {cite}`gradnorm` — a filter of wild nouns for *language-assisted
# image clustering* (LaIC) — and of the methods it is compared with and generalises, **TAC** {cite}`tac` and
# **SIC** {cite}`sic`, plus the density-based **IDCL** {cite}`idcl`. Every result on these pages is computed on
# **synthetic** data: *twins* of the paper's datasets, generated CLIP-like features with each dataset's
# classes, split sizes and WordNet noun pool, calibrated so that CLIP k-means and CLIP zero-shot score what the
# paper reports for them. No real image and no pretrained CLIP model were used to build this book. The same
# code runs on real CLIP features ({doc}`../book/install`).

# %% tags=["remove-cell"]
from laicpkg.book.display import for_readers

for_readers()  # whole tables, "—" for a missing value

# %% tags=["parameters", "remove-cell"]
records_dir = "../book/results/comparison/records"

# %% tags=["remove-cell"]
from IPython.display import Markdown

import pandas as pd

from laicpkg.book.findings import answer_frame, answer_text, overview_bullets, paired_table
from laicpkg.book.plotting import plot_paper_vs_twin_rows, plot_who_wins
from laicpkg.book.records import comparison_table
from laicpkg.book.paper import headline, paper_cells
from laicpkg.book.twins import ceilings_summary
from laicpkg.run.experiments import load_records

ROWS = ["zeroshot", "kmeans", "sic", "tac", "gradnorm"]
records = load_records(records_dir, methods=ROWS)
table = comparison_table(records, order=ROWS)
h = headline(table)
paired = paired_table([r for r in records if r["method"] in ("gradnorm", "tac", "kmeans")])
ceilings = ceilings_summary(pd.read_csv("../book/results/twins_ceilings.csv"))

# %% tags=["remove-input", "nbval-check-output"]
Markdown(answer_text(paired))

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Who wins on each twin: the difference in ACC between two methods, paired by seed (large dot: the mean; bar: ± two standard errors; small dots: each seed). Green: the first method is better by more than two standard errors; red: the second is; open grey: a tie.", "name": "fig-who-wins"}}
fig = plot_who_wins(paired)

# %% tags=["remove-input", "nbval-check-output"]
answer_frame(paired)

# %% tags=["remove-input", "nbval-check-output"]
Markdown(overview_bullets(h, ceilings))

# %% tags=["remove-input"] mystnb={"figure": {"caption": "GradNorm's Tables 1–2 (open circles: the paper, real CLIP ViT-B/32 features) against the same rows on the synthetic twins (filled: mean over the seeds, bar: ± one sample standard deviation). The two CLIP rows are what the twins were calibrated to; SIC, TAC and GradNorm are what the twins predict.", "name": "fig-headline"}}
fig = plot_paper_vs_twin_rows(table)

# %% [markdown]
# :::{admonition} Words used in this book
# :class: note
# * **Twin**: generated CLIP-like image and noun features standing in for one of the paper's datasets. Its
#   CLIP k-means and zero-shot accuracy were fitted to the paper's; what TAC, SIC and GradNorm score on it
#   is a prediction ({doc}`08_twins`).
# * **Clip twin**: the twins these pages use; their geometry (neighbourhoods, the image cone, image–text
#   cosines) was fitted to measurements of real CLIP features. **Tree twin**: a simpler kind without CLIP's geometry,
#   kept for comparison. **Real-text twin**: a twin whose class and noun texts are real CLIP text features.
# * **Preset**: a small synthetic dataset of the same kind, fast enough for the theory chapters; or a named
#   set of hyper-parameters (`paper`, `official-code`).
# :::

# %% [markdown]
# The same numbers as the paper prints them, "twin (paper)" in each cell:

# %% tags=["remove-input", "nbval-check-output"]
paper_cells(table)

# %% [markdown]
# ## The method in one page
#
# Given image features $\mathbf e_1,\dots,\mathbf e_N$ (train split) and a pool of $M$ wild nouns with text
# features $\tilde{\mathbf r}_1,\dots,\tilde{\mathbf r}_M$ (WordNet {cite}`wordnet`), GradNorm (Algorithm 1):
#
# 1. clusters the images into $C$ pseudo-classes with k-means ($C = N/600$ if $N/K > 600$, else $3K$);
# 2. trains $h(\mathbf e;\mathbf W) = \operatorname{softmax}(\tau\,\mathbf e^\top\mathbf W)$ on the pseudo-labels by
#    cross-entropy (Eq. 3–4), $\tau = 1/0.08$;
# 3. scores each noun by the squared norm of the loss gradient at its own prediction,
#    $S(\tilde{\mathbf t}_i) = \tau^2(\sum_k\tilde\pi_{ik}^2 + 1 - 2\max_j\tilde\pi_{ij})$ (Eq. 6–7);
# 4. keeps the $\beta = 5$ lowest-scored nouns of every pseudo-class (Eq. 8);
# 5. builds for every test image the text counterpart
#    $\mathbf v_i = \sum_j \operatorname{softmax}_j(\mathbf e_i^\top\tilde{\mathbf r}_j/\kappa)\,\tilde{\mathbf r}_j$
#    over the kept nouns, $\kappa = 0.006$ (Eq. 9), and
# 6. clusters $[\mathbf e_i;\mathbf v_i]$ into $K$ groups with k-means.
#
# TAC and SIC differ in steps 2–4: TAC scores nouns by the maximum softmax probability over normalised
# pseudo-class means, SIC by the cosine to image-cluster centres after removing generic nouns. Section 4
# of the paper shows both as limits of GradNorm; {doc}`03_theorem2_limits` checks that by computation.
#
# ## Where the numbers come from
#
# The default build runs on *synthetic twins* of the paper's datasets: the real K, class names, split
# sizes and WordNet's 82,115-noun pool, with the geometry measured on real CLIP features (sub-modes within
# each class, appearance shared across classes, the image cone, texts that follow WordNet only among close
# relatives) and calibrated so that CLIP k-means and zero-shot match the paper's rows ({doc}`08_twins`). On a twin every noun's relation to every
# class is known, so the filters' precision and recall, the clusters' names and the quantities of the
# paper's theorems can be measured; the theory chapters use three small presets of the same kind. The same
# notebooks run on real CLIP features when you have them (`laic extract`, then `laic batch --features`;
# see the README).
#
# ## How the book is organised
#
# * **Theory**: the LaIC problem on the synthetic benchmark; the derivation of Eq. 6; Theorem 2 and its
#   limits; Theorem 1 measured on data with planted positives.
# * **Method and experiments**: the pipeline that `laic batch` runs per dataset, and the ablations of
#   $\kappa$, $\tau$ and $\beta$.
# * **Baselines and IDCL**: the whole methods side by side on the twins (three seeds), paper vs twin for
#   every row of Tables 1–2, and IDCL on DIGITS.
# * **Results**: the methods × datasets table and one executed pipeline page per twin.
# * **Reference**: where this implementation follows the paper and where the authors' code differs
#   ({doc}`../book/implementation`), what reproduced where ({doc}`../book/status`), and the bibliography.
