"""Wall time of every whole method on CIFAR-10-scale synthetic features (one line per method).

Each method runs once through :func:`laicpkg.run.runner.run` (Stage 1 on the train split, prediction on the
test split), on the same data and seed; the line gives the total seconds, the seconds of its
longest stages, and ACC. Run it on an otherwise idle machine.

Usage: ``python benchmarks/bench_methods.py [--n-train 50000 --n-test 10000 --n-nouns 82000 --methods ...]``
"""
from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv=None) -> int:
    from laicpkg.run.config import resolve_config
    from laicpkg.run.experiments import COMPARISON_METHODS
    from laicpkg.run.runner import run
    from laicpkg.features.synthetic import make_synthetic

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-train", type=int, default=50000)
    ap.add_argument("--n-test", type=int, default=10000)
    ap.add_argument("--n-nouns", type=int, default=82000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--methods", default=",".join(COMPARISON_METHODS))
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--json", default=None, help="also write the lines to this JSON file")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    data = make_synthetic("synthetic-cifar10", seed=0, n_train=args.n_train, n_test=args.n_test,
                          n_nouns=args.n_nouns, dim=args.dim)
    print(f"data: {args.n_train} train / {args.n_test} test images, {args.n_nouns} nouns, d={args.dim} "
          f"({time.perf_counter() - t0:.1f} s to generate)")
    out = {}
    for m in args.methods.split(","):
        cfg = resolve_config("synthetic-cifar10", m, overrides={"device": args.device})
        rec = run(cfg, data=data).record
        t = rec["timings_s"]
        top = sorted(((k, v) for k, v in t.items() if k not in ("total", "load", "cluster")), key=lambda kv: -kv[1])[:3]
        out[m] = {"seconds": t["total"], "ACC": rec["metrics"]["ACC"], "stages": dict(top)}
        print(f"{m:<20} {t['total']:8.1f} s   ACC {rec['metrics']['ACC']:5.1f}   "
              + ", ".join(f"{k} {v:.1f}" for k, v in top), flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
