#!/usr/bin/env python
"""Check the GPU paths against the CPU on one machine and write a JSON report (``make gpu-check``).

``python scripts/gpu_check.py [--device cuda] [--out _build/gpu-check.json] [--quick]`` runs, each on the CPU and on
``--device``, and compares them within the tolerances stated below:

* **extraction**: generated images through a randomly initialised open_clip ViT-B-32 (fp32 on the CPU, fp16
  autocast on CUDA: what ``laic extract`` does); the features of the two must have cosine similarity of at least
  ``0.99`` for every image; images per second on each;
* **k-means**: faiss' k-means (training and assignment) on the same blobs; the two labelings must agree on at
  least 99 % of the points after Hungarian matching; the time ratio. Needs a faiss with GPU support
  (``faiss-gpu-cu12``); reported as not run otherwise;
* **GradNorm**: ERM classifier and Eq. 6 scores on the ``synthetic-cifar10`` preset: at least 90 % of the selected
  nouns shared (Jaccard) and ACC within 3 points;
* **training**: TAC*, SIC and IDCL (on DIGITS) for a few epochs: ACC within 5 points and the last epoch's loss
  within 5 % (GPU kernels sum in another order, so training drifts a little).

Exit status 0 when every comparison that ran holds, 1 otherwise. ``--device cpu`` runs the script on a machine
without a GPU (both sides on the CPU: the comparisons then hold exactly), which is how the test suite checks it.
Times are wall seconds of each side measured in this run.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

TOL = {"extraction_min_cosine": 0.99, "kmeans_agreement": 0.99, "gradnorm_jaccard": 0.9, "gradnorm_acc": 3.0,
       "train_acc": 5.0, "train_loss_rel": 0.05}


#: The two sides of every comparison: the CPU and the device under test (also "cpu" with --device cpu).
SIDES = ("cpu", "device")


def _timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def check_extraction(device: str, n_images: int) -> dict:
    import torch

    from laicpkg.features.extract import load_clip
    from PIL import Image

    rng = np.random.default_rng(0)
    images = [Image.fromarray(rng.integers(0, 255, (224, 224, 3), dtype=np.uint8)) for _ in range(n_images)]
    feats, secs = {}, {}
    for side, dev in zip(SIDES, ("cpu", device)):
        net, preprocess, _ = load_clip("ViT-B-32", "none", device=dev)
        x = torch.stack([preprocess(im) for im in images]).to(dev)
        ctx = torch.autocast("cuda", dtype=torch.float16) if dev == "cuda" else torch.no_grad()
        with torch.no_grad(), ctx:
            f, secs[side] = _timed(lambda: net.encode_image(x).float())
            if dev == "cuda":
                torch.cuda.synchronize()
        feats[side] = torch.nn.functional.normalize(f, dim=-1).cpu().numpy()
    cos = np.einsum("ij,ij->i", feats["cpu"], feats["device"])
    return {"n_images": n_images, "min_cosine": float(cos.min()), "mean_cosine": float(cos.mean()),
            "images_per_s": {d: n_images / max(s, 1e-9) for d, s in secs.items()},
            "ok": bool(cos.min() >= TOL["extraction_min_cosine"])}


def check_kmeans(device: str, n: int, k: int) -> dict:
    from laicpkg.core.kmeans import KMeans, kmeans_on_gpu
    from laicpkg.core.metrics import cluster_accuracy
    from laicpkg.utils.errors import LaicError

    try:
        gpu = device == "cpu" or kmeans_on_gpu(device)
    except LaicError as exc:
        return {"ran": False, "why": str(exc)}
    if not gpu:
        return {"ran": False, "why": "faiss has no GPU support here"}
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(k, 128)).astype(np.float32)
    X = (centres[rng.integers(0, k, n)] + 0.3 * rng.normal(size=(n, 128))).astype(np.float32)
    labels, secs = {}, {}
    for side, dev in zip(SIDES, ("cpu", device)):
        km, secs[side] = _timed(lambda: KMeans(k, niter=20, random_state=0, device=dev).fit(X))
        labels[side] = km.labels_
    agree = cluster_accuracy(labels["cpu"], labels["device"])
    return {"ran": True, "n": n, "k": k, "agreement": float(agree), "seconds": secs,
            "cpu_over_device": secs["cpu"] / max(secs["device"], 1e-9), "ok": bool(agree >= TOL["kmeans_agreement"])}


def _acc(y, labels) -> float:
    from laicpkg.core.metrics import cluster_accuracy

    return 100.0 * float(cluster_accuracy(y, labels))


def check_gradnorm(device: str, data) -> dict:
    from laicpkg import GradNorm

    out = {}
    for side, dev in zip(SIDES, ("cpu", device)):
        model, secs = _timed(lambda: GradNorm(data.n_classes, erm_epochs=5, final_nredo=2, device=dev,
                                               random_state=0).fit(data.E_train, data.R))
        out[side] = {"selected": set(map(int, model.selected_indices_)), "acc": _acc(data.y_test, model.predict(data.E_test)),
                    "seconds": secs, "scores": np.asarray(model.scores_, dtype=np.float64)}
    a, b = out["cpu"]["selected"], out["device"]["selected"]
    jac = len(a & b) / max(len(a | b), 1)
    dacc = abs(out["cpu"]["acc"] - out["device"]["acc"])
    rel = float(np.max(np.abs(out["cpu"]["scores"] - out["device"]["scores"])) /
                max(float(np.max(np.abs(out["cpu"]["scores"]))), 1e-12))
    return {"jaccard": jac, "acc": {d: out[d]["acc"] for d in out}, "max_rel_score_diff": rel,
            "seconds": {d: out[d]["seconds"] for d in out},
            "ok": bool(jac >= TOL["gradnorm_jaccard"] and dacc <= TOL["gradnorm_acc"])}


def _last_loss(model) -> float | None:
    hist = getattr(model, "loss_history_", None) or getattr(model, "history_", None)
    if isinstance(hist, dict):
        hist = next((v for k, v in hist.items() if "total" in k or k == "loss"), next(iter(hist.values()), None))
    return float(hist[-1]) if hist else None


def check_training(device: str, data, digits, epochs: int) -> dict:
    from laicpkg import IDCL, SIC, TAC, TACStar

    builders = {
        "tac-star": (lambda dev: TACStar(data.n_classes, noun_filter=TAC(data.n_classes), epochs=epochs, device=dev,
                                         progress=False, random_state=0), data, data.y_test),
        "sic": (lambda dev: SIC(data.n_classes, epochs=epochs, device=dev, progress=False, random_state=0), data,
                data.y_test),
        "idcl": (lambda dev: IDCL(10, pretrain_epochs=epochs, epochs=epochs, device=dev, progress=False,
                                  random_state=0), digits, digits.y),
    }
    report = {}
    for name, (build, ds, y) in builders.items():
        side = {}
        for name_, dev in zip(SIDES, ("cpu", device)):
            model = build(dev)
            labels, secs = _timed(lambda: model.cluster(ds))
            side[name_] = {"acc": _acc(y, labels), "loss": _last_loss(model), "seconds": secs}
        dacc = abs(side["cpu"]["acc"] - side["device"]["acc"])
        l0, l1 = side["cpu"]["loss"], side["device"]["loss"]
        rel = None if l0 is None or l1 is None else abs(l0 - l1) / max(abs(l0), 1e-12)
        report[name] = {**{d: side[d] for d in side}, "acc_diff": dacc, "loss_rel_diff": rel,
                        "ok": bool(dacc <= TOL["train_acc"] and (rel is None or rel <= TOL["train_loss_rel"]))}
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    ap.add_argument("--out", default="_build/gpu-check.json")
    ap.add_argument("--quick", action="store_true", help="small sizes (the test suite's run on a CPU)")
    args = ap.parse_args(argv)

    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu-check: torch sees no CUDA device; run it on a machine with a GPU (or --device cpu to try the "
              "script)", file=sys.stderr)
        return 2
    from laicpkg import load_dataset
    from laicpkg.utils.environment import package_versions

    t0 = time.perf_counter()
    data = load_dataset("synthetic-cifar10", data_seed=0)
    digits = load_dataset("digits")
    q = args.quick
    report = {"device": args.device,
              "gpu": torch.cuda.get_device_name(0) if args.device == "cuda" else None,
              "machine": platform.platform(), "versions": package_versions(), "tolerances": TOL}
    steps = [("extraction", lambda: check_extraction(args.device, 8 if q else 256)),
             ("kmeans", lambda: check_kmeans(args.device, 5000 if q else 200_000, 20 if q else 1000)),
             ("gradnorm", lambda: check_gradnorm(args.device, data)),
             ("training", lambda: check_training(args.device, data, digits, 1 if q else 5))]
    for name, step in steps:
        t = time.perf_counter()
        report[name] = step()
        print(f"gpu-check: {name} done in {time.perf_counter() - t:.1f} s", flush=True)
    report["seconds"] = time.perf_counter() - t0
    oks = [report["extraction"]["ok"], report["gradnorm"]["ok"], *(v["ok"] for v in report["training"].values())]
    if report["kmeans"].get("ran"):
        oks.append(report["kmeans"]["ok"])
    report["ok"] = all(oks)
    text = json.dumps(report, indent=2, default=lambda o: sorted(o) if isinstance(o, set) else str(o))
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text + "\n")
    tmp.replace(out)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
