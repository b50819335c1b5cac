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
# # The gradient-norm score (Eq. 6)
#
# GradNorm trains a single-layer classifier $h(\mathbf e; \mathbf W) = \operatorname{softmax}(\tau \mathbf e^\top \mathbf W)$
# on pseudo-labelled image features by cross-entropy (Eq. 3–4), then feeds it the text feature
# $\tilde{\mathbf r}_i$ of a noun and measures the gradient of the loss at the noun's own prediction
# $\tilde y_i = \arg\max_j \tilde\pi_{ij}$:
#
# $$S(\tilde{\mathbf t}_i) = \Big\| \frac{\partial \ell(h(\tilde{\mathbf r}_i; \mathbf W^*), \tilde y_i)}{\partial \mathbf W^*} \Big\|_F^2
#  = \tau^2 \Big( \sum_{k} \tilde\pi_{ik}^2 + 1 - 2 \max_j \tilde\pi_{ij} \Big), \tag{6}$$
#
# $$\tilde\pi_{ij} = \frac{\exp(\tau \tilde{\mathbf r}_i^\top \mathbf w_j^*)}{\sum_k \exp(\tau \tilde{\mathbf r}_i^\top \mathbf w_k^*)}. \tag{7}$$
#
# A small score means the classifier is confident and *settled* on the noun: it lies where one
# pseudo-class of images lies. This chapter derives Eq. 6 as the paper's appendix does, checks it
# against autograd, and shows what the score measures.
#
# ## Derivation with sympy
#
# With logits $z_k = \tau \tilde{\mathbf r}^\top \mathbf w_k$ the chain rule gives
# $\partial \ell / \partial \mathbf w_k = (\partial \ell / \partial z_k)\, \tau \tilde{\mathbf r}$, so everything rests
# on $\partial \ell / \partial z_k$. `laicpkg.theory.derive_eq6` does each step symbolically (three classes,
# label $\tilde y = 1$):

# %% tags=["remove-cell"]
from laicpkg.book.display import for_readers

for_readers()  # whole tables, "—" for a missing value

# %% tags=["nbval-check-output"]
import numpy as np
import pandas as pd
import sympy as sp
from IPython.display import Markdown, Math, display

from laicpkg.core.gradnorm import TAU, gradnorm_scores
from laicpkg.theory import derive_eq6, gradient_norm_autograd

steps, symbols = derive_eq6(3)
for description, expr in steps:
    display(Markdown(description + ":"), Math(sp.latex(expr)))

# %% [markdown]
# So $\partial\ell/\partial \mathbf w_k = \tau(\tilde\pi_k - \mathbb 1[k = \tilde y])\,\tilde{\mathbf r}$ and, for
# $\|\tilde{\mathbf r}\| = 1$,
# $S = \tau^2 \sum_{k \ne \tilde y} \tilde\pi_k^2 + \tau^2 (1 - \max_j \tilde\pi_j)^2$, which is Eq. 6. The package
# evaluates this second form, with $1 - \max_j\tilde\pi_j$ summed from the other probabilities, because
# $1 - 2\max_j \tilde\pi_j$ cancels catastrophically for confident nouns; both are the same number in
# exact arithmetic.
#
# ## The closed form against autograd
#
# Random unit-norm nouns and a random classifier; the autograd column differentiates the loss directly.

# %% tags=["nbval-check-output"]
rng = np.random.default_rng(0)
R = rng.standard_normal((6, 32))
R /= np.linalg.norm(R, axis=1, keepdims=True)
W = rng.standard_normal((32, 10)) * 0.3
S, assign, msp = gradnorm_scores(R, W, TAU)
auto = [gradient_norm_autograd(r, W, TAU) for r in R]
check = pd.DataFrame({"closed form (Eq. 6)": S, "autograd": [a for a, _ in auto],
                      "ỹ (closed form)": assign, "ỹ (argmax logits)": [y for _, y in auto]})
check["relative difference"] = (check["closed form (Eq. 6)"] - check["autograd"]).abs() / check["autograd"]
print("largest relative difference below 1e-5:", bool(check["relative difference"].max() < 1e-5))
check.drop(columns="relative difference").round(4)

# %% [markdown]
# ## What the score measures
#
# Writing $m = \max_j \tilde\pi_j$, the two parts of Eq. 6 give
# $\tau^2(1-m)^2 \le S \le 2\tau^2 (1-m)^2$ (the other probabilities sum to $1-m$, so their squares sum to at
# most $(1-m)^2$). The score therefore orders nouns *almost* as the maximum softmax probability does,
# but not exactly: among nouns with the same confidence it prefers those whose remaining mass is spread
# over many pseudo-classes rather than concentrated on a runner-up. On the synthetic benchmark, with a
# trained ERM classifier:

# %% mystnb={"figure": {"caption": "GradNorm's score S (Eq. 6) of every noun of the synthetic CIFAR-10 preset against its largest softmax probability m (trained ERM classifier); red: the known positive nouns. Every score lies between τ²(1−m)² (dashed) and 2τ²(1−m)² (dotted).", "name": "fig-score-vs-msp"}}
from laicpkg import GradNorm
from laicpkg.book.plotting import plot_score_vs_msp
from laicpkg.features.synthetic import make_synthetic

data = make_synthetic("synthetic-cifar10", seed=0)
f = GradNorm(data.n_classes, progress=False, random_state=0).select_nouns(data.E_train, data.R)
fig = plot_score_vs_msp(f.scores_, f.msp_, data.positive_mask, tau=TAU)

# %% tags=["nbval-check-output"]
inside = (f.scores_ >= TAU ** 2 * (1 - f.msp_) ** 2 * (1 - 1e-9)) & (f.scores_ <= 2 * TAU ** 2 * (1 - f.msp_) ** 2 * (1 + 1e-9))
print(f"nouns within tau^2 (1-m)^2 <= S <= 2 tau^2 (1-m)^2: {inside.mean():.1%} of {inside.size}")
