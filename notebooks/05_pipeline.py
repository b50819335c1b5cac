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
# # The pipeline on one dataset
#
# This notebook is run by `laic batch` (papermill) once per dataset, by default on the synthetic
# twins of GradNorm's Tables 1–2 (see {doc}`/notebooks/01_laic_problem`); the table below lists its inputs.
# It runs every method row of those tables that the package implements on the same features and seed:
# CLIP zero-shot, CLIP k-means, SIC, TAC (training-free) and GradNorm (ERM classifier, and the centroid
# variant of Eq. 12), writes one run record per method, and sets the result beside the paper's row for the
# real dataset. On a twin the calibration fixed the two CLIP rows to the paper's; the other rows are
# predictions.

# %% tags=["remove-cell"]
from laicpkg.book.display import for_readers

for_readers()  # whole tables, "—" for a missing value

# %% tags=["remove-cell"]
# The reference checks of the book's tests (nbval): hidden from readers.
from laicpkg.book.checks import check_against_records

# %% tags=["parameters", "remove-cell"]
dataset = "twin-dtd"
features = None  # folder of cached real features (laic extract); None for synthetic data
model = pretrained = nouns = prompts = None  # which cache of that folder (as given to laic extract); None: its only one
methods = "zeroshot,kmeans,sic,tac,gradnorm,gradnorm-centroid"
tau = None  # None: the paper's 1/0.08
kappa = None  # None: the paper's 0.006
beta = None  # None: the paper's 5
seed = 0
data_seed = 0
records_dir = None  # where run records go (laic batch sets book/results/records)
reference_records = "../book/results/records"  # committed records the results are checked against
spread_records = "../book/results/comparison/records"  # three seeds per method: how far a result may move
tsne_points = 1000

# %% [markdown]
# This page's inputs (the notebook's parameters; `laic batch` sets them per dataset, papermill's `-p` any of them):

# %% tags=["remove-input"]
import pandas as pd

pd.DataFrame({"value": {"dataset": dataset, "features": features or "generated (a synthetic twin)",
                        "methods": methods, "τ, κ, β": f"{tau or 'paper'}, {kappa or 'paper'}, {beta or 'paper'}",
                        "seed (method, data)": f"{seed}, {data_seed}"}}).rename_axis("parameter")

# %%

from laicpkg.book.paper import paper_table
from laicpkg.book.plotting import plot_tsne_panels
from laicpkg.book.nouns import cluster_names_table, naming_table, record_nouns_table
from laicpkg.book.records import comparison_table, dataset_seed_means, results_table
from laicpkg.run.analysis import counterpart_tsne
from laicpkg.book.paper import ordering_table, paper_vs_twin
from laicpkg.features.datasets import load_dataset
from laicpkg.run.experiments import run_methods

pd.set_option("display.max_colwidth", None)
cache = {"model": model, "pretrained": pretrained, "nouns": nouns, "prompts": prompts}
data = load_dataset(dataset, features=features, data_seed=data_seed, **cache)
method_list = [m for m in methods.split(",") if m and (m != "zeroshot" or data.class_text is not None)]

# %% tags=["nbval-check-output"]
pd.Series(data.describe())

# %% [markdown]
# ## Results
#
# ACC, NMI and ARI in percent on the test split. For methods with a noun filter: how many nouns it
# kept and the precision and recall of that set against the known positives (on a twin: the class
# synsets and their WordNet hyponym closure), and the naming accuracy of the final clusters.

# %%
failures = []
results = run_methods(dataset, method_list, data=data, features=features, seed=seed, data_seed=data_seed,
                      overrides={"tau": tau, "kappa": kappa, "beta": beta}, records_dir=records_dir,
                      failures=failures, **cache)
records = [r.record for r in results.values()]
results_table(records).round(1)

# %% tags=["remove-cell"]
agreement = check_against_records(results, reference_records, dataset, seed=seed, data_seed=data_seed,
                                  spread_dir=spread_records)

# %% tags=["remove-cell"]
# The run is compared with the committed records of this dataset and seed (as they were before this page
# ran): it fails if ACC or NMI moved by more than 3 points, ARI by more than 5, filter precision or recall by
# more than 3, the number of kept nouns by more than 5 %, or if fewer than 80 % of the selected nouns are
# shared — or, for a method whose three seeds of the comparison runs differ by more, by more than its own
# seeds differ (book/status.md).
agreement

# %% [markdown]
# Methods that stopped with an error (none, when the table above has every method):

# %% tags=["nbval-check-output"]
pd.DataFrame(failures, columns=["method", "error"]).set_index("method") if failures else "none"

# %% [markdown]
# ## Paper vs this run
#
# The GradNorm paper's numbers for the real dataset (Tables 1–2, ViT-B/32) beside this run's, and the
# difference Δ = run − paper in points (one seed here; {doc}`/notebooks/07_comparison` has three seeds).

# %%
table = comparison_table(records, order=list(results))
versus = paper_vs_twin(table) if paper_table(dataset) is not None else None
versus.round(1) if versus is not None else "no paper numbers: not one of the paper's datasets"

# %% [markdown]
# The same rows as means over three seeds, from the runs of {doc}`/notebooks/07_comparison` (the numbers of
# the chapters and of the results page; run seed s draws the twin's data seed s, the three draws its
# calibration averaged; ± one standard deviation over the seeds):

# %% tags=["nbval-check-output"]
seed_means = dataset_seed_means(spread_records, dataset, method_list)
seed_means if seed_means is not None else "no three-seed runs of this dataset"

# %% [markdown]
# Does the paper's ordering (GradNorm above TAC above CLIP k-means, ACC) hold on this run?

# %%
ordering_table(table)

# %% [markdown]
# ## The nouns GradNorm selected
#
# The β nouns of lowest score (Eq. 8) in the first pseudo-classes, best first; on a twin ✓ marks a
# WordNet positive of one of the classes.

# %%
record_nouns_table(results["gradnorm"].record, max_groups=8) if "gradnorm" in results else "GradNorm did not run"

# %% [markdown]
# ## Clusters that name themselves
#
# Every final cluster's five best names (the selected nouns ranked by their mean Eq. 9 weight over the
# cluster's images) beside the class the cluster is matched to; ✓: a positive of that class. The naming
# accuracy is the share of clusters whose best name is a positive of their matched class.

# %%
naming_table(records)

# %%
cluster_names_table(results["gradnorm"].record, max_clusters=20) if "gradnorm" in results else "GradNorm did not run"

# %% [markdown]
# ## Image features, text counterparts and their concatenation (as in the paper's Fig. 1)
#
# t-SNE of the test images' CLIP features $\mathbf e_i$, their text counterparts $\mathbf v_i$ built from
# GradNorm's nouns (Eq. 9), and the concatenation $[\mathbf e_i; \mathbf v_i]$ that the final k-means clusters;
# colours are the ground-truth classes.

# %% mystnb={"figure": {"caption": "t-SNE of the test images' features e, their text counterparts v (Eq. 9, GradNorm's nouns) and the concatenation [e; v] that the final k-means clusters; colours are the true classes."}}
if "gradnorm" in results:
    panels, idx = counterpart_tsne(data.E_test, results["gradnorm"].model.text_counterparts_, n_samples=tsne_points)
    fig = plot_tsne_panels(panels, data.y_test[idx], class_names=data.class_names)
