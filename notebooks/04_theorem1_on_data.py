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
# # Theorem 1 on data
#
# Theorem 1 bounds the fraction of true positives of pseudo-class $k$ that the filter of Eq. 8 misses,
#
# $$\mathrm{Err}_{pos}(k) = \frac{|\{\tilde{\mathbf t}_i \in \mathcal P_{\mathcal T}(k) : S(\tilde{\mathbf t}_i) > T_k\}|}{B_k}
# \le \frac{2\gamma}{T_k}\Big[\min_{\mathbf W}\Omega(\mathbf W) + O\big(\sqrt{1/B_k}\big) + O\big(\sqrt{1/N}\big)\Big],$$
#
# where $B_k$ is the number of positives of class $k$, $T_k$ the $\beta$-th smallest score among the nouns
# assigned to $k$, and $N$ the number of images. The proof has two steps we can check by computation:
#
# 1. **Markov's inequality**: $\mathrm{Err}_{pos}(k) \le \mathbb E_{\mathcal P_{\mathcal T}(k)}[S] / T_k$.
# 2. **Self-bounding** (Eq. 16): $\|\partial\ell/\partial\mathbf W\|_F^2 \le 2\gamma\,\ell$, which turns the expected score into
#    an expected loss. For unit-norm inputs and the softmax cross-entropy it holds with $\gamma = \tau^2$:
#    $\|g\|^2 = \tau^2\sum_k(\pi_k - \mathbb 1[k=y])^2 \le 2\tau^2(1-\pi_y)^2 \le 2\tau^2(-\log\pi_y)$, because $1 - p \le -\log p$.
#
# On the synthetic benchmark the positives are known, so every quantity can be measured. We take
# $\mathcal P_{\mathcal T}(k)$ to be the known positives that the classifier assigns to pseudo-class $k$ (the
# pseudo-classes are not the true classes, so "positives of class $k$" has to be read through $\tilde y$).
#
# One remark before the numbers: Eq. 8 keeps only $\beta$ nouns per pseudo-class, so when $B_k > \beta$ at
# least $B_k - \beta$ positives are missed whatever the score: $\mathrm{Err}_{pos}(k) \ge \max(0, 1 - \beta/B_k)$
# (column `floor`). The measured error therefore sits between this floor and the Markov bound.

# %% tags=["remove-cell"]
from laicpkg.book.display import for_readers

for_readers()  # whole tables, "—" for a missing value

# %% tags=["remove-cell"]
# The reference checks of the book's tests (nbval): hidden from readers.
from laicpkg.book.checks import TOLERANCES, Tolerance, check_reference
REFERENCE = "../book/results/reference/04_theorem1_on_data.json"

# %%
import numpy as np
import pandas as pd
from IPython.display import Markdown

from laicpkg import GradNorm
from laicpkg.core.gradnorm import TAU
from laicpkg.book.plotting import plot_error_grid
from laicpkg.features.synthetic import make_synthetic
from laicpkg.theory import (sample_split_check, self_bounding, theorem1_error_grid, theorem1_leading_term,
                            theorem1_table)

data = make_synthetic("synthetic-cifar10", seed=0)
f = GradNorm(data.n_classes, progress=False, random_state=0).select_nouns(data.E_train, data.R)
t1 = theorem1_table(f, data.positive_mask)

# %% tags=["nbval-check-output"]
print(f"Markov step holds in every pseudo-class: {bool((t1['Err_pos'] <= t1['markov_bound'] + 1e-12).all())}")

# %%
summary = t1[["B_k", "floor", "Err_pos", "markov_bound"]].describe().loc[["count", "mean", "min", "50%", "max"]]
print(f"pseudo-classes with positives: {len(t1)} of {f.n_pseudo_classes_}")
summary.round(3)

# %% tags=["remove-cell"]
print(check_reference(summary, REFERENCE, "Err_pos summary", TOLERANCES["quantity"]))

# %% [markdown]
# ## The self-bounding constant
#
# The ratio $\|\partial\ell/\partial\mathbf W\|^2 / (2\ell)$ over the images (at their pseudo-labels) and over the nouns
# (at $\tilde y$); its maximum is the smallest $\gamma$ that works on these samples, and it must not exceed $\tau^2$.

# %%
img = self_bounding(data.E_train, f.W_, TAU, labels=f.pseudo_labels_)
noun = self_bounding(data.R, f.W_, TAU)
gamma = pd.DataFrame({"images (pseudo-labels)": [img["ratio"].max(), img["ratio"].median()],
                      "nouns (predicted labels)": [noun["ratio"].max(), noun["ratio"].median()],
                      "tau^2": [TAU ** 2, TAU ** 2]}, index=["max ratio (gamma estimate)", "median ratio"])
gamma.round(2)

# %% tags=["remove-cell"]
print(check_reference(gamma, REFERENCE, "self-bounding", TOLERANCES["quantity"]))

# %% [markdown]
# ## The bound itself: its leading term and the Lemma-5 step
#
# The checks above hold for any data: Markov's inequality and the self-bounding property cannot fail.
# What the theorem adds is the right-hand side. Its only computable part is the leading term
# $\frac{2\gamma}{T_k}\min_{\mathbf W}\Omega(\mathbf W)$; with $\gamma = \tau^2$ and $\hat\Omega$ the image risk of the trained
# $\mathbf W^*$ (mean cross-entropy of the train images at their pseudo-labels) it is $2\tau^2\hat\Omega/T_k$. The proof
# reaches it through one step (Lemma 5): the positives' mean score is bounded by the image risk,
# $\mathbb E_{\mathcal P_{\mathcal T}(k)}[S] \le 2\gamma\hat\Omega$. Both are computed per pseudo-class below.

# %%
lead = theorem1_leading_term(f, data.E_train, data.positive_mask)
print(f"image risk {lead.attrs['image_risk']:.3f}; 2 tau^2 risk = {2 * TAU ** 2 * lead.attrs['image_risk']:.1f}; "
      f"mean gradient norm of the images {lead.attrs['image_mean_S']:.2f}, of the positive nouns "
      f"{lead['mean_S_positives'].mean():.1f}")
print(f"leading term >= Err_pos in {int(lead['leading_term_holds'].sum())} of {len(lead)} pseudo-classes; "
      f"Lemma-5 step holds in {int((lead['lemma5_ratio'] <= 1).sum())} of {len(lead)}")
lead.round(3)

# %% tags=["remove-cell"]
print(check_reference(lead.drop(columns=["leading_term_holds"]), REFERENCE, "leading term",
                      {"k": TOLERANCES["count"], "B_k": TOLERANCES["count"], "T_k": TOLERANCES["quantity"],
                       "Err_pos": TOLERANCES["quantity"], "leading_term": TOLERANCES["quantity"],
                       "mean_S_positives": TOLERANCES["quantity"], "lemma5_rhs": TOLERANCES["quantity"],
                       "lemma5_ratio": TOLERANCES["quantity"]}))

# %% [markdown]
# **What this says.** On these data the leading term is *below* the measured error in most pseudo-classes,
# and the Lemma-5 step fails in most of them: the positive nouns' gradient norms are an order of magnitude
# larger than the images' own (the lines above). The reason is the modality gap. Lemma 5 compares the
# score of a noun with the loss of an image, which is legitimate only if the noun–label pairs
# $(\tilde{\mathbf t}, \tilde y)$ follow the same distribution as the image–pseudo-label pairs on which $\mathbf W^*$ was
# trained. Text features sit in their own cone, far from every image class mean, so even a true positive
# gets a flat $\tilde\pi$ and a large gradient. The theorem is therefore true on these data only through its
# unquantified $O(\sqrt{1/B_k}) + O(\sqrt{1/N})$ terms, which must absorb the whole gap; as a statement about
# how small $\mathrm{Err}_{pos}$ is, it says nothing here. What the method needs in practice is weaker and
# does hold: within a pseudo-class, positives have *lower* scores than the other nouns assigned to it, so
# the β smallest are mostly positives (the filter's precision in the pipeline chapter).

# %% [markdown]
# ## The same on a CLIP-like twin
#
# The preset above has a wide modality gap: its nouns sit far from every image. The CIFAR-10 twin
# ({doc}`08_twins`) was fitted to CLIP's measured image–text cosines. The same quantities on both, with
# GradNorm at the paper's settings:

# %%
from laicpkg.features.datasets import load_dataset
from laicpkg.book.findings import theorem_gap_counts, theorem_gap_text
from laicpkg.theory import modality_gap_table

gap = modality_gap_table({"small preset": data, "CIFAR-10 twin": load_dataset("twin-cifar10")})
gap.round(3)

# %% tags=["remove-cell"]
gap_numbers = gap[["image–positive cosine", "mean S, images", "mean S, positive nouns"]]
print(check_reference(gap_numbers, REFERENCE, "modality gap on a twin",
                      {"image–positive cosine": TOLERANCES["cosine"], "mean S, images": TOLERANCES["quantity"],
                       "mean S, positive nouns": TOLERANCES["quantity"]}))

# %% tags=["remove-input"]
Markdown(theorem_gap_text(gap))

# %% tags=["remove-cell"]
(lead_k, lead_n), (step_k, step_n) = theorem_gap_counts(gap)
print(check_reference(pd.DataFrame({"pseudo-classes": [lead_n], "leading term holds": [lead_k],
                                    "Lemma-5 step holds": [step_k]}), REFERENCE, "twin counts",
                      Tolerance(atol=3.0)))

# %% [markdown]
# ## How the error falls with N and Bₖ
#
# The bound's sampling terms shrink as $O(1/\sqrt N)$ and $O(1/\sqrt{B_k})$. We vary the number of train
# images and the number of positive nouns per concept in the generator (everything else fixed) and
# measure the mean $\mathrm{Err}_{pos}$ and the Markov bound.

# %%
grid = theorem1_error_grid("synthetic-cifar10", [1000, 3000, 10000], [5, 20, 60],
                           data_kwargs={"seed": 0, "n_test": 200, "n_nouns": 8000})
grid.round(3)

# %% tags=["remove-cell"]
print(check_reference(grid, REFERENCE, "error grid", TOLERANCES["quantity"]))

# %% mystnb={"figure": {"caption": "Theorem 1 on data: the mean error on the positives, Err_pos (solid), and its Markov bound (dashed) against the number of train images, for three numbers of positive nouns per concept.", "name": "fig-error-grid"}}
fig = plot_error_grid(grid)

# %% [markdown]
# $\mathrm{Err}_{pos}$ stays below its Markov bound everywhere, and the bound is often above 1, i.e. vacuous:
# on these data the theorem is true but not informative. The error *grows* with the number of positives
# per concept, which is the floor $1 - \beta/B_k$ at work (more positives compete for the same $\beta$
# places), not a failure of the score; the theorem's $O(1/\sqrt{B_k})$ term concerns the estimation error
# inside the bound, which the floor dominates. Along $N$ the picture is not monotone because the
# pseudo-class count changes with $N$ ($C = 3K$ up to $N = 6000$, then $N/600$), and with it $T_k$ and the
# pseudo-classes themselves, so the bound's constants are not fixed across the grid. The measurements are
# consistent with the theorem as an upper bound; they do not test its rate.
#
# ## An objection: pseudo-labels from the same data
#
# One can object that the target of the gradient (the pseudo-labels) is built from the same data, so the
# bound's independence assumption may fail. The sharper form of the objection is the one the
# previous section measured: the proof treats the scored noun–label pairs as if they were drawn like the
# image–pseudo-label pairs that trained $\mathbf W^*$ (Lemma 5). The nouns never enter Stage 1, so they are
# independent of the pseudo-labels, but they are not distributed like the images: the modality gap breaks
# that hidden assumption, and with it the quantitative content of the bound.
#
# The narrower point, reuse of the *images* (k-means and ERM run on the same images), can be tested by a
# sample split: centres from one half of the images label the other half, on which the classifier is
# trained.

# %%
split = sample_split_check(data)
split.round(2)

# %% tags=["remove-cell"]
print(check_reference(split, REFERENCE, "sample split", {c: TOLERANCES["percent"] if c in ("precision", "recall")
                                                          else TOLERANCES["quantity"] for c in split.columns}))

# %% [markdown]
# If reusing the images inflated the filter's quality, the sample-split row would be clearly worse. On
# this benchmark the two rows are close: reusing the images is not what limits the theorem here; the
# distribution shift between nouns and images, which no sample split removes, is.
