"""Feature-extraction throughput with random (ViT-B/32-sized) open_clip weights on generated images.

Writes an ImageFolder of ``--n-images`` JPEGs, runs :func:`laicpkg.features.extract.extract_image_features`
and :func:`laicpkg.features.extract.extract_text_features` end to end (DataLoader workers,
preprocessing, fp16 autocast on CUDA, shards, cache) and prints images/s and nouns/s.

Usage: ``python benchmarks/bench_extract.py --device cuda --n-images 4096 --n-nouns 8192``
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def make_images(root: Path, n: int, size: int = 256, classes: int = 4) -> None:
    from PIL import Image

    rng = np.random.default_rng(0)
    for split in ("train", "test"):
        for i in range(n if split == "train" else max(n // 8, classes)):
            d = root / split / f"class{i % classes}"
            d.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)).save(d / f"{i:06d}.jpg")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="ViT-B-32")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--n-images", type=int, default=512)
    ap.add_argument("--n-nouns", type=int, default=1024)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--json", default=None)
    args = ap.parse_args(argv)

    from laicpkg.features.extract import extract_image_features, extract_text_features
    from laicpkg.features.nouns import load_nouns
    from laicpkg.utils.validation import resolve_device

    device = resolve_device(args.device)
    out = {"model": args.model, "device": device, "weights": "random (pretrained='none')"}
    if device == "cuda":
        out["gpu"] = torch.cuda.get_device_name(0)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        make_images(tmp / "img", args.n_images)
        out["make_images_s"] = time.perf_counter() - t0
        torch.manual_seed(0)
        t0 = time.perf_counter()
        extract_image_features("imagefolder", tmp / "img", tmp / "f", model=args.model, pretrained="none",
                               device=device, batch_size=args.batch_size, num_workers=args.workers,
                               splits=("train",), progress=False)
        dt = time.perf_counter() - t0
        out.update(images=args.n_images, image_s=dt, images_per_s=args.n_images / dt)
        nouns = tmp / "nouns.txt"
        nouns.write_text("\n".join(load_nouns("wordnet-unique")[: args.n_nouns]))
        t0 = time.perf_counter()
        extract_text_features(tmp / "f", nouns=str(nouns), model=args.model, pretrained="none", device=device,
                              progress=False)
        dt = time.perf_counter() - t0
        out.update(nouns=args.n_nouns, text_s=dt, nouns_per_s=args.n_nouns / dt)
    print(f"{args.model} (random weights) on {device}{' (' + out['gpu'] + ')' if 'gpu' in out else ''}:")
    print(f"  images: {out['images']} in {out['image_s']:.1f}s = {out['images_per_s']:.0f} images/s "
          "(end to end: JPEG decode, preprocessing, encoder, cache)")
    print(f"  nouns:  {out['nouns']} x 7 prompts in {out['text_s']:.1f}s = {out['nouns_per_s']:.0f} nouns/s")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
