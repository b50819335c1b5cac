"""GradNorm at the shape of ImageNet-1K on one machine: time per stage, per k-means iteration, peak memory.

The features are random clustered unit vectors of ImageNet-1K's shape (1,281,167 train and 50,000 test
images, 82,115 nouns, d = 512, K = 1,000 classes, C = 2,135 pseudo-classes by the paper's N/600 rule),
generated in float32 blocks so that nothing but the features themselves is held. Each stage runs with
capped work (``--kmeans-iters`` Lloyd iterations, ``--erm-epochs`` epochs) and the full run is
extrapolated from the measured time per iteration / epoch: the paper's settings are 300 iterations for
the pseudo-label k-means, 100 ERM epochs of batch 8192 (Sec. 5.1.2) and 300 iterations × 20 restarts for
the final k-means. faiss ends a k-means run once its objective stops changing, so those are caps;
``--until-converged`` runs both k-means under the 300-iteration cap (one final restart) and extrapolates
with the iterations that actually ran (on these well-separated random clusters, fewer than on CLIP
features: a lower bound on the iterations, not an estimate of them).

``--api estimator`` runs the same capped work through the public ``GradNorm`` estimator instead of the core
functions (what a user calls), to check that the estimator adds no copy of the features.

Usage: ``python benchmarks/bench_imagenet.py [--n-train 1281167 --kmeans-iters 2 --erm-epochs 1 --device cpu
--api core|estimator]``
"""
from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np


def clustered(n: int, centres: np.ndarray, noise: float, rng, block: int = 65536) -> tuple[np.ndarray, np.ndarray]:
    """``n`` unit vectors around random ``centres`` (float32, built block by block) and their labels,
    normalised as the package normalises features when it loads them (so no later step copies them)."""
    from laicpkg.utils.validation import as_features

    out = np.empty((n, centres.shape[1]), dtype=np.float32)
    labels = rng.integers(0, centres.shape[0], n)
    for a in range(0, n, block):
        b = min(a + block, n)
        out[a:b] = as_features(centres[labels[a:b]] + noise * rng.standard_normal((b - a, centres.shape[1]),
                                                                                   dtype=np.float32))
    return out, labels


def peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def main(argv=None) -> int:
    import torch

    from laicpkg.core.counterparts import concat_features, text_counterparts
    from laicpkg.core.filters import pseudo_class_count, select_per_group
    from laicpkg.core.gradnorm import TAU, gradnorm_scores, train_erm_classifier
    from laicpkg.core.kmeans import KMeans

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=1281167)
    ap.add_argument("--n-test", type=int, default=50000)
    ap.add_argument("--n-nouns", type=int, default=82115)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--kmeans-iters", type=int, default=2, help="Lloyd iterations run per k-means (paper: 300)")
    ap.add_argument("--until-converged", action="store_true",
                    help="run both k-means with the paper's 300-iteration cap (one final restart) and extrapolate "
                         "with the iterations faiss actually ran before its objective stopped changing")
    ap.add_argument("--erm-epochs", type=int, default=1, help="ERM epochs run (paper: 100 on ImageNet-1K)")
    ap.add_argument("--max-points", type=int, default=256, help="k-means points per centroid (0: all)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--api", choices=("core", "estimator"), default="core",
                    help="time the core functions stage by stage, or run the GradNorm estimator (fit + predict)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(torch.get_num_threads())
    rng = np.random.default_rng(0)
    out = {"shape": vars(args)}
    t = {}

    t0 = time.perf_counter()
    centres = rng.standard_normal((args.classes, args.dim), dtype=np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    E_train, _ = clustered(args.n_train, centres, 0.06, rng)
    E_test, y_test = clustered(args.n_test, centres, 0.06, rng)
    R, _ = clustered(args.n_nouns, centres, 0.09, rng)
    t["generate"] = time.perf_counter() - t0
    feature_gib = (E_train.nbytes + R.nbytes) / 2 ** 30
    print(f"features: train {E_train.shape}, test {E_test.shape}, nouns {R.shape}; train + nouns = "
          f"{feature_gib:.2f} GiB; peak so far {peak_gib():.2f} GiB", flush=True)

    if args.api == "estimator":
        return _estimator(args, E_train, E_test, R, feature_gib, out)
    C = pseudo_class_count(args.n_train, args.classes, 600)
    mp = args.max_points or None
    t0 = time.perf_counter()
    # on_empty="ignore": with a capped number of iterations a few of the 2,135 centroids may end empty
    cap = 300 if args.until_converged else args.kmeans_iters
    km = KMeans(C, niter=cap, max_points_per_centroid=mp, device=args.device, on_empty="ignore",
                random_state=0)
    km.fit(E_train)
    t["pseudo-label k-means"] = time.perf_counter() - t0
    iters_pl = km.n_iter_
    per_iter_pl = t["pseudo-label k-means"] / iters_pl
    print(f"pseudo-label k-means, C = {C}: {t['pseudo-label k-means']:.1f} s for {iters_pl} iteration(s) of at most "
          f"{cap} (incl. the final assignment of all {args.n_train:,} points); peak {peak_gib():.2f} GiB", flush=True)

    t0 = time.perf_counter()
    W, _ = train_erm_classifier(E_train, km.labels_, C, tau=TAU, epochs=args.erm_epochs, batch_size=8192,
                                device=args.device, random_state=0, progress=False)
    t["ERM"] = time.perf_counter() - t0
    print(f"ERM: {t['ERM']:.1f} s for {args.erm_epochs} epoch(s) of batch 8192; peak {peak_gib():.2f} GiB", flush=True)

    t0 = time.perf_counter()
    S, assign, _ = gradnorm_scores(R, W, TAU, device=args.device)
    t["score (Eq. 6)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    per, _ = select_per_group(S, assign, C, 5, largest=False)
    selected = np.unique(np.concatenate([p for p in per if p.size]))
    t["select (Eq. 8)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    V = text_counterparts(E_test, R[selected], 0.006, device=args.device)
    X = concat_features(E_test, V)
    t["counterparts (Eq. 9)"] = time.perf_counter() - t0
    print(f"score {t['score (Eq. 6)']:.1f} s, select {t['select (Eq. 8)']:.2f} s ({selected.size} nouns), "
          f"counterparts {t['counterparts (Eq. 9)']:.1f} s; peak {peak_gib():.2f} GiB", flush=True)

    t0 = time.perf_counter()
    final = KMeans(args.classes, niter=cap, nredo=1, max_points_per_centroid=mp, device=args.device,
                   on_empty="ignore", random_state=0).fit(X)
    t["final k-means"] = time.perf_counter() - t0
    iters_final = final.n_iter_
    per_iter_final = t["final k-means"] / iters_final
    print(f"final k-means, K = {args.classes} on {X.shape}: {t['final k-means']:.1f} s for {iters_final} "
          f"iteration(s) of at most {cap}; peak {peak_gib():.2f} GiB", flush=True)
    del final

    # the paper's caps (300 iterations, 20 final restarts); with --until-converged, the iterations that ran
    n_pl, n_final = (iters_pl, iters_final) if args.until_converged else (300, 300)
    full = {f"pseudo-label k-means ({n_pl} iterations)": per_iter_pl * n_pl,
            "ERM (100 epochs)": t["ERM"] / args.erm_epochs * 100,
            "score + select + counterparts": t["score (Eq. 6)"] + t["select (Eq. 8)"] + t["counterparts (Eq. 9)"],
            f"final k-means ({n_final} iterations x 20 restarts)": per_iter_final * n_final * 20}
    out.update({"kmeans_iterations_run": {"pseudo-label": iters_pl, "final": iters_final, "cap": cap}})
    out.update({"seconds": t, "seconds_per_kmeans_iteration": {"pseudo-label": per_iter_pl, "final": per_iter_final},
                "extrapolated_full_run_seconds": full, "peak_rss_gib": peak_gib(), "features_gib": feature_gib,
                "peak_over_features": peak_gib() / feature_gib})
    print("extrapolated full run on this device: " + ", ".join(f"{k} {v / 3600:.1f} h" for k, v in full.items())
          + f"; total {sum(full.values()) / 3600:.1f} h")
    print(f"peak resident memory {peak_gib():.2f} GiB = {peak_gib() / feature_gib:.2f} x (train + noun features)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return 0


def _estimator(args, E_train, E_test, R, feature_gib, out) -> int:
    """The capped run through ``GradNorm(...).fit(E_train, R).predict(E_test)``; its per-stage timings."""
    from laicpkg import GradNorm

    t0 = time.perf_counter()
    model = GradNorm(args.classes, kmeans_niter=args.kmeans_iters, kmeans_max_points=args.max_points or None,
                     erm_epochs=args.erm_epochs, erm_batch_size=8192, final_nredo=1, device=args.device,
                     progress=False, random_state=0)
    model.fit(E_train, R).predict(E_test)
    total = time.perf_counter() - t0
    print("GradNorm estimator: " + ", ".join(f"{k} {v:.1f} s" for k, v in model.timings_.items())
          + f"; total {total:.1f} s")
    print(f"peak resident memory {peak_gib():.2f} GiB = {peak_gib() / feature_gib:.2f} x (train + noun features)")
    out.update({"seconds": dict(model.timings_, total=total), "peak_rss_gib": peak_gib(), "features_gib": feature_gib,
                "peak_over_features": peak_gib() / feature_gib})
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
