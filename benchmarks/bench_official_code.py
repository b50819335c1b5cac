"""How far the `official-code` preset's arithmetic moves each method's Stage 1 on a full-size twin, and what it
costs: TAC's filter and GradNorm's scoring in the authors' fp16 order against float32, SIC's per-batch noun
centre against the exact mean, SIC's L2 neighbour search against inner product.

Every pair is run on the same features, pseudo-labels and classifier, so the numbers measure the
arithmetic alone: the Jaccard overlap of the selected nouns, how many uniqueness decisions flip, how many
images get another neighbour set, and the time of each path (ratios measured in the same run).

Usage: ``python benchmarks/bench_official_code.py [--dataset twin-cifar10] [--json out.json]``
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np


def _jaccard(a, b) -> float:
    a, b = set(np.asarray(a).tolist()), set(np.asarray(b).tolist())
    return len(a & b) / max(len(a | b), 1)


def _selected(per_group) -> np.ndarray:
    return np.unique(np.concatenate([g for g in per_group if len(g)]))


def main(argv=None) -> int:
    from laicpkg.core.filters import (batch_mean_center, max_softmax_scores, normalized_class_means,
                                      pseudo_class_count, select_per_group, select_per_group_as_torch,
                                      tac_scores_fp16, uniqueness)
    from laicpkg.core.gradnorm import TAU, gradnorm_scores, gradnorm_scores_fp16_authors, train_erm_classifier
    from laicpkg.core.kmeans import KMeans
    from laicpkg.features.datasets import load_dataset
    from laicpkg.methods.sic import sic_neighbors

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dataset", default="twin-cifar10")
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)
    data = load_dataset(args.dataset)
    E, R, K = data.E_train, data.R, data.n_classes
    print(f"{args.dataset}: {E.shape[0]:,} train images, {R.shape[0]:,} nouns, d = {E.shape[1]}, K = {K}")
    out = {"dataset": args.dataset}

    def timed(f, *a, **k):
        t0 = time.perf_counter()
        r = f(*a, **k)
        return r, time.perf_counter() - t0

    # TAC's filter: the same pseudo-labels, float32 vs the code's fp16
    C = pseudo_class_count(E.shape[0], K, 300)
    labels = KMeans(C, niter=300, nredo=1, max_points_per_centroid=256, random_state=0).fit(E).labels_
    (msp32, a32), t32 = timed(lambda: max_softmax_scores(R, normalized_class_means(E, labels, C)))
    (msp16, a16), t16 = timed(tac_scores_fp16, E, labels, C, R)
    sel32 = _selected(select_per_group(msp32, a32, C, 5, largest=True)[0])
    sel16 = _selected(select_per_group_as_torch(msp16, a16, C, 5)[0])
    out["tac"] = {"C": C, "jaccard": _jaccard(sel32, sel16), "assign_changed": int((a32 != a16).sum()),
                  "seconds_fp32": t32, "seconds_fp16_authors": t16}
    print(f"TAC filter (C = {C}): fp16-authors vs float32 selections Jaccard {out['tac']['jaccard']:.3f}, "
          f"{out['tac']['assign_changed']} of {R.shape[0]:,} nouns assigned elsewhere; {t32:.2f} s vs {t16:.2f} s")

    # GradNorm's scoring: the same ERM classifier, float32 vs fp16 tensors vs the authors' fp16 order
    C = pseudo_class_count(E.shape[0], K, 600)
    labels = KMeans(C, niter=300, nredo=1, max_points_per_centroid=256, random_state=0).fit(E).labels_
    W, _ = train_erm_classifier(E, labels, C, random_state=0, progress=False)
    (s32, g32, _), u32 = timed(gradnorm_scores, R, W, TAU)
    (s16, g16, _), u16 = timed(gradnorm_scores, R, W, TAU, dtype=__import__("torch").float16)
    (sa, ga, _), ua = timed(gradnorm_scores_fp16_authors, R, W, TAU)
    p32 = _selected(select_per_group(s32, g32, C, 5)[0])
    p16 = _selected(select_per_group(s16, g16, C, 5)[0])
    pa = _selected(select_per_group_as_torch(-sa, ga, C, 5)[0])
    out["gradnorm"] = {"C": C, "jaccard_authors_vs_fp32": _jaccard(pa, p32), "jaccard_fp16_vs_fp32": _jaccard(p16, p32),
                       "jaccard_authors_vs_fp16": _jaccard(pa, p16), "seconds_fp32": u32, "seconds_fp16": u16,
                       "seconds_fp16_authors": ua}
    print(f"GradNorm scoring (C = {C}): authors' fp16 order vs float32 Jaccard {_jaccard(pa, p32):.3f}, fp16 tensors "
          f"vs float32 {_jaccard(p16, p32):.3f}, authors' order vs fp16 tensors {_jaccard(pa, p16):.3f}; "
          f"time float32 {u32:.2f} s, fp16 tensors {u16:.2f} s ({u16 / u32:.1f}x), authors' order {ua:.2f} s "
          f"({ua / u32:.1f}x)")

    # SIC's noun centre: exact mean vs the code's per-batch means (batch 128), at γ_u = 0.05 and where the
    # cut removes a tenth of the nouns
    exact = uniqueness(R)
    batched = uniqueness(R, batch_mean_center(R, 128))
    cuts = {"gamma_u 0.05": 0.05, "gamma_u at the 10 % quantile": float(np.quantile(exact, 0.10))}
    out["sic_center"] = {k: int(((exact >= c) != (batched >= c)).sum()) for k, c in cuts.items()}
    print("SIC noun centre, decisions that flip (of {:,}): ".format(R.shape[0])
          + ", ".join(f"{k} {v}" for k, v in out["sic_center"].items()))

    # SIC's neighbours: inner product vs L2, k = 20, with the image itself
    U = data.E_train
    (nb_ip, t_ip), (nb_l2, t_l2) = timed(sic_neighbors, U, 20), timed(sic_neighbors, U, 20, metric="l2")
    sets = np.mean([set(a) != set(b) for a, b in zip(nb_ip, nb_l2)])
    order = np.mean((nb_ip != nb_l2).any(axis=1))
    out["sic_neighbors"] = {"rows_other_set": float(sets), "rows_other_order": float(order),
                            "seconds_ip": t_ip, "seconds_l2": t_l2}
    print(f"SIC neighbours (k = 20): {100 * sets:.2f} % of images get another neighbour set, {100 * order:.2f} % "
          f"another order; {t_ip:.1f} s (inner product) vs {t_l2:.1f} s (L2)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
