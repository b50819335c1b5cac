#!/usr/bin/env python
"""Write small datasets in the real on-disk formats, a local CLIP checkpoint and a noun file: the inputs of the
README's "Running on real data" commands, for a machine without the real datasets and weights.

``python scripts/real_formats.py DIR [--per-class N] [--model laic-tiny]`` writes

* ``DIR/data/cifar10/cifar-10-batches-py/``: CIFAR-10's pickled batches (``data_batch_1`` … ``data_batch_5``,
  ``test_batch``, ``batches.meta``), as torchvision reads them;
* ``DIR/data/stl10/stl10_binary/``: STL-10's binaries (``train_X.bin``, ``train_y.bin``, ``test_X.bin``,
  ``test_y.bin``, ``class_names.txt``; 96×96 pixels, column-major, labels from 1);
* ``DIR/data/imagenet/{train,val}/<wnid>/*.JPEG``: an ImageNet folder tree of the ten ImageNet-10 synsets;
* ``DIR/data/photos/``: unlabelled JPEGs in sub-folders, half of them stored sideways with an EXIF orientation
  tag (as phone cameras write them);
* ``DIR/weights/<model>.pt``: an open_clip model with random weights (seed 0) saved as a checkpoint file;
* ``DIR/my-nouns.txt``: a noun list.

Each class is a coloured shape on a background with pixel noise; every file is the same on every machine.
The images are fewer than the real datasets hold, so torchvision's MD5 checks and ``laic extract``'s size check
(GradNorm Table 7) do not pass on them: :func:`generated_files_accepted` bypasses exactly those two.

``--run-readme`` then runs the README's "Running on real data" block on these files (:func:`readme_chain`,
:func:`run_chain`: the lines as written, with DATA, FEATURES, OUT, DEVICE, MODEL, WEIGHTS and NOUNS set here) and
prints the seconds of each command; ``tests/test_real_data.py`` runs the same lines.
"""
from __future__ import annotations

import argparse
import os
import pickle
import re
import shlex
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

NOUNS = ["airplane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck", "monkey", "tower",
         "disc", "square", "stripe", "sky", "grass", "water", "brick", "fire", "snow", "sand", "leaf", "ball"]
PALETTE = [(210, 40, 40), (40, 180, 60), (40, 60, 210), (220, 200, 40), (160, 40, 200), (40, 200, 200),
           (240, 130, 30), (120, 120, 120), (20, 20, 20), (250, 250, 250)]


def class_image(k: int, rng, size: int) -> np.ndarray:
    """An RGB image (H, W, 3) of class ``k``: a shape (disc, square or stripes) in the class's colour."""
    yy, xx = np.mgrid[:size, :size]
    base = np.full((size, size, 3), 128.0)
    colour = PALETTE[k % len(PALETTE)]
    shape = k % 3
    if shape == 0:
        mask = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size / 3) ** 2
    elif shape == 1:
        mask = (abs(yy - size / 2) < size / 3) & (abs(xx - size / 2) < size / 3)
    else:
        mask = (xx // max(size // 8, 1)) % 2 == 0
    base[mask] = colour
    return np.clip(base + rng.normal(0, 12, base.shape), 0, 255).astype(np.uint8)


def _labels(n_classes: int, per_class: int, rng) -> np.ndarray:
    y = np.repeat(np.arange(n_classes), per_class)
    return y[rng.permutation(y.size)]


def write_cifar10(root: Path, per_class: int, rng) -> Path:
    """CIFAR-10's ``cifar-10-batches-py``: five train batches and a test batch of ``{'data', 'labels'}``."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def batch(y):
        data = np.stack([class_image(int(k), rng, 32).transpose(2, 0, 1).reshape(-1) for k in y])
        return {"batch_label": "generated", "labels": [int(k) for k in y], "data": data,
                "filenames": [f"img{i}.png" for i in range(len(y))]}

    train = _labels(10, per_class * 5, rng)
    for b, part in enumerate(np.array_split(train, 5), start=1):
        with open(folder / f"data_batch_{b}", "wb") as fh:
            pickle.dump(batch(part), fh)
    with open(folder / "test_batch", "wb") as fh:
        pickle.dump(batch(_labels(10, per_class, rng)), fh)
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": names, "num_cases_per_batch": 10000, "num_vis": 3072}, fh)
    return folder


def write_stl10(root: Path, per_class: int, rng) -> Path:
    """STL-10's ``stl10_binary``: uint8 images (N, 3, 96, 96) stored column-major, labels 1..10."""
    folder = root / "stl10_binary"
    folder.mkdir(parents=True, exist_ok=True)
    names = ["airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"]
    for split, n in (("train", per_class * 5), ("test", per_class)):
        y = _labels(10, n, rng)
        X = np.stack([class_image(int(k), rng, 96).transpose(2, 1, 0) for k in y])  # (N, 3, W, H): column-major
        X.astype(np.uint8).tofile(folder / f"{split}_X.bin")
        (y + 1).astype(np.uint8).tofile(folder / f"{split}_y.bin")
    (folder / "class_names.txt").write_text("\n".join(names) + "\n")
    return folder


def write_imagenet10(root: Path, per_class: int, rng) -> Path:
    """An ImageNet folder tree (``train`` and ``val``, one folder per synset) of the ImageNet-10 synsets."""
    from laicpkg.features.images import read_wnids

    for k, wnid in enumerate(read_wnids("imagenet10_wnids.txt")):
        for split, n in (("train", per_class * 5), ("val", per_class)):
            folder = root / split / wnid
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(n):
                Image.fromarray(class_image(k, rng, 64)).save(folder / f"{wnid}_{i:04d}.JPEG", quality=90)
    return root


def write_photos(root: Path, per_group: int, rng) -> Path:
    """Unlabelled photos in two sub-folders; every other one stored rotated with EXIF orientation 6 (its pixels
    turned 90° counter-clockwise, the tag telling a viewer to turn them back)."""
    for g in range(3):
        for i in range(per_group):
            path = root / ("holiday" if i % 2 else "home") / f"photo-{g}-{i:03d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            img = Image.fromarray(class_image(g, rng, 80)[:, :64])  # portrait: 80 high, 64 wide
            if i % 2:
                exif = Image.Exif()
                exif[0x0112] = 6
                img.transpose(Image.Transpose.ROTATE_90).save(path, quality=90, exif=exif.tobytes())
            else:
                img.save(path, quality=90)
    return root


def write_checkpoint(path: Path, model: str = "laic-tiny") -> Path:
    """An open_clip ``model`` with random weights (seed 0) saved as a state-dict checkpoint."""
    import torch

    from laicpkg.features.extract import load_clip

    net, _, _ = load_clip(model, "none")
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)
    return path


#: The HTML comment that marks the README's block of real-data commands.
README_MARK = "<!-- real-data-chain"


def readme_chain(readme) -> list[str]:
    """The lines of the README's real-data block (the fenced block after :data:`README_MARK`), comments kept."""
    text = Path(readme).read_text(encoding="utf-8")
    start = text.index(README_MARK)
    block = text[text.index("```bash", start) + len("```bash"):]
    return [ln for ln in block[:block.index("```")].splitlines() if ln.strip()]


def chain_variables(root: Path, model: str = "laic-tiny", device: str = "cpu") -> dict:
    """The values of the README block's names for the files :func:`main` writes under ``root``."""
    return {"DATA": str(root / "data"), "FEATURES": str(root / "features"), "OUT": str(root / "results"),
            "DEVICE": device, "MODEL": model, "WEIGHTS": str(root / "weights" / f"{model}.pt"),
            "NOUNS": str(root / "my-nouns.txt")}


@contextmanager
def generated_files_accepted():
    """torchvision's MD5 checks of CIFAR and STL-10 and ``laic extract``'s size check (GradNorm Table 7) pass for
    the generated files, which are fewer and other than the real ones; nothing else is changed."""
    import torchvision.datasets.cifar as cifar
    import torchvision.datasets.stl10 as stl10

    import laicpkg.features.images as images

    saved = (cifar.check_integrity, stl10.check_integrity, images.check_size)
    cifar.check_integrity = stl10.check_integrity = lambda *a, **k: True
    images.check_size = lambda *a, **k: None
    try:
        yield
    finally:
        cifar.check_integrity, stl10.check_integrity, images.check_size = saved


def run_chain(lines, variables: dict, *, extra=None) -> list[dict]:
    """Run each ``laic`` line of ``lines`` in this process (``laicpkg.cli.main``) with ``$NAME`` replaced from
    ``variables`` (assignment lines are the user's to edit and are skipped). ``extra``: optional function
    ``line -> list of more lines`` run right after that line (the test runs every method after ``laic run``).
    Returns one ``{"command", "rc", "seconds"}`` per command."""
    from laicpkg.cli import main

    out = []
    todo = [(line, True) for line in lines]
    while todo:
        line, from_block = todo.pop(0)
        words = shlex.split(re.sub(r"\$(\w+)", lambda m: variables[m.group(1)], line), comments=True)
        if not words or words[0] != "laic":
            continue
        t0 = time.perf_counter()
        rc = main(words[1:])
        out.append({"command": line, "rc": rc, "seconds": round(time.perf_counter() - t0, 2)})
        if rc != 0:
            break
        if extra is not None and from_block:
            todo[:0] = [(more, False) for more in extra(line)]
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder")
    p.add_argument("--per-class", type=int, default=4, help="test images per class (train: five times as many)")
    p.add_argument("--model", default="laic-tiny", help="open_clip architecture of the checkpoint [laic-tiny]")
    p.add_argument("--wordnet-nouns", type=int, default=0, metavar="N",
                   help="write N WordNet nouns (evenly spaced over the 82,115) as the noun list instead of the 24")
    p.add_argument("--run-readme", default=None, metavar="README",
                   help="then run that README's real-data block on these files and print the seconds per command")
    args = p.parse_args(argv)
    root = Path(args.folder)
    rng = np.random.default_rng(0)
    write_cifar10(root / "data" / "cifar10", args.per_class, rng)
    write_stl10(root / "data" / "stl10", args.per_class, rng)
    write_imagenet10(root / "data" / "imagenet", args.per_class, rng)
    write_photos(root / "data" / "photos", max(12, 2 * args.per_class), rng)
    write_checkpoint(root / "weights" / f"{args.model}.pt", args.model)
    nouns = NOUNS
    if args.wordnet_nouns:
        from laicpkg.features.nouns import load_nouns

        pool = list(dict.fromkeys(load_nouns("wordnet")))
        nouns = pool[::max(len(pool) // args.wordnet_nouns, 1)][:args.wordnet_nouns]
    (root / "my-nouns.txt").write_text("\n".join(nouns) + "\n")
    print(f"wrote CIFAR-10, STL-10, ImageNet-10 and photos under {root / 'data'}, the checkpoint "
          f"{root / 'weights' / (args.model + '.pt')} and the noun list {root / 'my-nouns.txt'}")
    if args.run_readme:
        lines = readme_chain(args.run_readme)
        os.chdir(root)
        with generated_files_accepted():
            steps = run_chain(lines, chain_variables(root.resolve(), args.model))
        for s in steps:
            print(f"{s['seconds']:8.1f} s  rc {s['rc']}  {s['command']}")
        return max(s["rc"] for s in steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
