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
# # The whole methods side by side
#
# GradNorm's Tables 1–2 compare whole methods, not only noun filters. Here every method runs on the
# same features, with the same seeds, through the same run records:
#
# | method | what it is |
# |---|---|
# | `zeroshot` | CLIP zero-shot with the **true class names** (Eq. 1): the supervised reference row |
# | `kmeans` | CLIP k-means: spherical k-means on the image features |
# | `sic` | SIC {cite}`sic`, complete: semantic space (uniqueness, γ_u, γ_r), adjusted centre-based semantic centres and pseudo-labels (SIC Eq. 5), a linear head initialised from k-means (SIC Eq. 8–9) trained with $L_I + \beta L_{IS} + \lambda L_B$ (SIC Eq. 11), SIC Table 2's settings |
# | `tac` | TAC {cite}`tac`, training-free: TAC's filter, text counterparts with κ = 0.005, k-means on $[\mathbf e;\mathbf v]$ |
# | `tac-star` | TAC\*: the same counterparts, two cluster heads trained by cross-modal mutual distillation (cluster-level contrast at temperature 0.5 between an anchor's image head and its text neighbour's text head and vice versa, image–text consistency, minus 5× the entropy of the mean assignment), 20 epochs, batch 512 |
# | `gradnorm` | GradNorm: ERM classifier, Eq. 6 score, Eq. 8 selection, Eq. 9 Stage 2 |
# | `gradnorm-centroid` | GradNorm with $W$ the normalised pseudo-class means (Eq. 12) |
# | `gradnorm-tac-star` | TAC\*'s heads fed with GradNorm's selected nouns (a combination no paper reports) |
#
# The runs are made by `laic compare` (one record per dataset, method and seed under
# `book/results/comparison/records`; five seeds; the data are fixed and the seed drives each method's
# k-means, initialisation and batches) and this page reads the records. No choice in any method looks at
# test labels: the trained heads are those of the last epoch.

# %% tags=["parameters"]
records_dir = "../book/results/comparison/records"

# %%
# NBVAL_CHECK_OUTPUT
from laicpkg.run.experiments import COMPARISON_METHODS, load_records
from laicpkg.book.tables import comparison_table, mean_std_table, paper_comparison
from laicpkg.book.plotting import plot_loss_curves, plot_method_bars

records = load_records(records_dir)
table = comparison_table(records, order=COMPARISON_METHODS)
print(f"{len(records)} runs; datasets: {', '.join(table.index.get_level_values(0).unique())}")

# %% [markdown]
# ## ACC, NMI and ARI, mean ± std over seeds

# %%
# NBVAL_CHECK_OUTPUT
mean_std_table(table)

# %% [markdown]
# The papers' numbers (GradNorm's Tables 1–2, which also list CLIP, SIC and TAC) appear beside each
# real dataset that has records; the synthetic presets have none.

# %%
# NBVAL_CHECK_OUTPUT
beside_paper = paper_comparison(table)
beside_paper.round(1) if len(beside_paper) else "these records hold synthetic presets only: no published numbers"

# %% [markdown]
# On the synthetic presets (and only there; these are not claims about real data): TAC\*'s trained heads
# are the strongest on the CIFAR-like presets (99.9 and 99.2 ACC), where classes are well separated once
# the text counterparts are added; on the fine-grained dogs preset the GradNorm family leads (GradNorm
# 89.5, GradNorm→TAC\* 95.5 against SIC 87.9, TAC\* 86.0 and k-means 72.2), which is the paper's claim
# about fine-grained data. GradNorm's result depends on the seed (std 6.5 on synthetic-cifar10, 6.8 for
# the centroid classifier): Stage 1's k-means trains on faiss' subsample of 256 points per pseudo-class,
# as every reference implementation does, and the ablations chapter shows what that does to the spread.
# SIC, run as its paper and code specify (threshold γ_u, adjusted mapping to the image centre, τ_m = 0.05),
# is close to the best on every preset (95.9, 89.5, 87.9). Reading Eq. 9 literally (`gradnorm-literal`,
# unnormalised $\mathbf v_i$) moves GradNorm by less than its seed spread (89.1, 87.4, 90.1 against 89.3, 84.4,
# 89.5). Zero-shot CLIP knows the class names and is deterministic (std 0).

# %%
flat = table.reset_index()
fig = plot_method_bars(flat, metric="ACC")

# %% [markdown]
# ## Training curves
#
# TAC\* and SIC record their loss terms per epoch (seed 0 shown). TAC\*'s total is
# $L_{dis} + L_{con} - 5H$ and goes negative as the entropy of the mean assignment reaches $\log K$;
# SIC's is $L_I + \beta L_{IS} + \lambda L_B$ with $L_B$ the negative entropy.

# %%
fig = plot_loss_curves(records, ["tac-star", "gradnorm-tac-star", "sic"])

# %% [markdown]
# ## Cost
#
# Mean seconds per run (method only, data loading excluded) on the project's 2-core CPU. These runs
# shared the machine with other jobs, so read them as orders of magnitude; the benchmarks in
# `benchmarks/` measure speed properly.

# %%
# NBVAL_CHECK_OUTPUT
table["seconds"].unstack(0).reindex(COMPARISON_METHODS).round(1)

# %% [markdown]
# ## Where the papers are ambiguous, and what we chose
#
# The rule: the paper where it is explicit, the official code where the paper is silent or ambiguous, the
# other reading as a named option (all listed in {doc}`../book/implementation`); `--preset official-code`
# runs each method's code logic.
#
# *SIC.* (i) γ_u is a threshold on the uniqueness in the text and in the code (kept: $1-\cos \ge 0.05$);
# Table 2 calls it "the number of most unique nouns" (`--sic-gamma-u-mode fraction`). (ii) The γ_r nearest
# nouns are taken among the unique ones, as the text describes; the code intersects two filters run on
# all nouns (`--sic-order intersect`). (iii) The adjusted mapping averages the ξ_a nouns nearest to the
# image centre and ranks the confident images by logits, as the code does. (iv) Eq. 10 defines
# $L_B=-\sum\bar q\log\bar q$, the entropy, and calls it the "negative entropy loss"; the code subtracts the
# entropy (as SCAN {cite}`scan`), so $L_B$ is the negative entropy. (v) The head starts from the k-means
# centres as Eq. 8–9 state, with the code's τ_m = 0.05 (Eq. 9's $\lVert h_l\rVert^2$ read as $\lVert r_l\rVert^2$);
# Adam with the code's weight decay. (vi) L_I's neighbour may be the image itself, as in the code's
# neighbour files. (vii) Eq. 4 is garbled; the image centre is the mean of the top-ξ_c images. (viii) SIC
# augments images with random crops; on cached features there is nothing to crop. The code early-stops
# on test accuracy; we keep the last epoch.
#
# *TAC.* The heads, losses, settings and initialisation (truncated normal, std 0.02) follow the public TAC
# code (cluster-level contrast as in Contrastive Clustering {cite}`cc`); its last incomplete batch is dropped
# as there, and its filter's k-means takes the best of 10 restarts.
#
# *GradNorm.* `gradnorm-literal` is the paper read literally: Eq. 9 without normalising $\mathbf v_i$ (the
# default normalises, as the authors' code). The paper's single prompt "a photo of a [CLASS]" (the default
# is the code's 7-template ensemble) is a choice of feature extraction (`laic extract --prompts photo`)
# that the synthetic presets cannot show. Which TAC variant the
# GradNorm paper's "TAC" row reports is not stated; we map it to the training-free `tac`.
