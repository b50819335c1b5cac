#!/usr/bin/env python
"""Generate a folder of demo images for ``laic cluster`` (and the browser check of its contact sheet).

``python scripts/demo_photos.py DIR [--per-group N]`` writes N images of each of three groups (red discs,
green squares, blue stripes; noise on every pixel) into nested sub-folders of DIR, and ``DIR.nouns.txt``, a
small noun list. Deterministic: the same files every time.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

NOUNS = ["apple", "tomato", "sky", "ocean", "grass", "leaf", "fire", "brick", "zebra", "checkerboard", "disc", "square"]


def _image(group: int, rng, size: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    base = np.full((size, size, 3), 235.0)
    if group == 0:  # red disc
        mask = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size / 3) ** 2
        base[mask] = (210, 40, 40)
    elif group == 1:  # green square
        mask = (abs(yy - size / 2) < size / 3) & (abs(xx - size / 2) < size / 3)
        base[mask] = (40, 180, 60)
    else:  # blue stripes
        base[(xx // 8) % 2 == 0] = (40, 60, 210)
    return np.clip(base + rng.normal(0, 10, base.shape), 0, 255).astype(np.uint8)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder")
    p.add_argument("--per-group", type=int, default=40)
    args = p.parse_args(argv)
    root = Path(args.folder)
    rng = np.random.default_rng(0)
    for g, name in enumerate(("discs", "squares", "stripes")):
        for i in range(args.per_group):
            path = root / ("a" if i % 2 else "b") / name / f"{name}-{i:03d}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(_image(g, rng)).save(path)
    Path(f"{root}.nouns.txt").write_text("\n".join(NOUNS) + "\n")
    print(f"wrote {3 * args.per_group} images under {root} and the noun list {root}.nouns.txt")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
