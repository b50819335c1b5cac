"""``laic cluster``: a folder of unlabelled images to named clusters, a table, a contact sheet and a record;
``laic run --save-labels``; a CLI that answers fast and suggests names."""
import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from laicpkg.cli import main

from test_faults import one_line_error

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--model", "laic-tiny", "--pretrained", "none", "--device", "cpu", "--prompts", "photo"]


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """120 generated images in three groups (discs, squares, stripes), nested folders, and a small noun list."""
    root = tmp_path_factory.mktemp("photos") / "demo"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "demo_photos.py"), str(root), "--per-group", "40"],
                   check=True, capture_output=True)
    return root


def _cluster(photos, out, *extra):
    return main(["cluster", str(photos), "--n-clusters", "3", "--out", str(out), "--nouns", f"{photos}.nouns.txt",
                 *TINY, *extra])


def test_cluster_end_to_end(photos, tmp_path, capsys):
    out = tmp_path / "out"
    assert _cluster(photos, out) == 0
    printed = capsys.readouterr().out
    assert "120 images in 3 clusters" in printed
    rows = list(csv.DictReader((out / "clusters.csv").open()))
    files = sorted(p.relative_to(photos).as_posix() for p in photos.rglob("*.png"))
    assert sorted(r["path"] for r in rows) == files  # one row per image (relative to the folder), each in one cluster
    assert set(rows[0]) == {"path", "cluster", "cluster_name", "similarity", "noun_1", "noun_2", "noun_3"}
    groups = Counter((Path(r["path"]).parent.name, r["cluster"]) for r in rows)
    assert len(groups) == 3 and set(groups.values()) == {40}  # the random encoder separates the three groups
    summary = json.loads((out / "clusters.json").read_text())
    assert summary["n_images"] == 120 and len(summary["clusters"]) == 3
    for c in summary["clusters"]:
        assert len(c["names"]) == 5 and c["size"] == 40 and len(c["central_images"]) == 12
        assert all(r["cluster_name"] == c["names"][0] for r in rows if int(r["cluster"]) == c["cluster"])
    record = json.loads((out / "record.json").read_text())
    assert record["method"] == "gradnorm" and record["n_images"] == 120 and not record["features_reused"]
    page = (out / "index.html").read_text()
    assert page.count("<section") == 3 and page.count("<img ") == 120
    assert len(list((out / "thumbs").glob("*.jpg"))) == 120
    # a second run on the same folder reuses the features
    assert _cluster(photos, out) == 0
    again = json.loads((out / "record.json").read_text())
    assert again["features_reused"] and again["predictions_sha256"] == record["predictions_sha256"]


def test_cluster_with_other_methods(photos, tmp_path):
    for method in ("kmeans", "tac"):
        out = tmp_path / method
        assert _cluster(photos, out, "--method", method, "--cache", str(tmp_path / "cache")) == 0
        rows = list(csv.DictReader((out / "clusters.csv").open()))
        assert len({r["cluster"] for r in rows}) == 3


def test_cluster_bad_inputs(photos, tmp_path, capsys):
    empty = tmp_path / "empty"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "notes.txt").write_text("no images here")
    one_line_error(capsys, ["cluster", str(empty), "--n-clusters", "2", "--out", str(tmp_path / "o"), *TINY],
                   "no images")
    one_line_error(capsys, ["cluster", str(tmp_path / "nope"), "--n-clusters", "2", "--out", str(tmp_path / "o"),
                            *TINY], "not a folder")
    one_line_error(capsys, ["cluster", str(photos), "--n-clusters", "500", "--out", str(tmp_path / "o"), *TINY],
                   "larger than the number of images", "120")
    one_line_error(capsys, ["cluster", str(photos), "--n-clusters", "1", "--out", str(tmp_path / "o"), *TINY],
                   "--n-clusters")
    one_line_error(capsys, ["cluster", str(photos), "--n-clusters", "3", "--out", str(tmp_path / "o"),
                            "--method", "idcl", *TINY], "raw pixels")
    one_line_error(capsys, ["cluster", str(photos), "--n-clusters", "3", "--out", str(tmp_path / "o"),
                            "--method", "zeroshot", *TINY], "class names")
    one_line_error(capsys, ["cluster", str(photos), "--n-clusters", "3", "--out", str(tmp_path / "o"),
                            "--method", "gradnrom", *TINY], "did you mean 'gradnorm'")
    (tmp_path / "file").write_text("x")
    one_line_error(capsys, ["cluster", str(photos), "--n-clusters", "3", "--out", str(tmp_path / "file"), *TINY],
                   "is a file")
    one_line_error(capsys, ["cluster", str(photos), "--n-clusters", "3", "--out", str(tmp_path / "o"), "--nouns",
                            str(tmp_path / "missing.txt"), *TINY], "missing.txt")
    assert not (tmp_path / "o").exists()  # nothing was written by any of them


def test_cluster_unreadable_image(tmp_path, capsys, photos):
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i, p in enumerate(sorted(photos.rglob("*.png"))[:12]):
        Image.open(p).save(folder / f"{i:02d}.png")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    base = ["cluster", str(folder), "--n-clusters", "2", "--out", str(tmp_path / "o"), "--nouns",
            f"{photos}.nouns.txt", *TINY]
    one_line_error(capsys, base, "broken.jpg", "--skip-bad-images")
    assert not (tmp_path / "o" / "clusters.csv").exists()
    assert main(base + ["--skip-bad-images"]) == 0
    rows = list(csv.DictReader((tmp_path / "o" / "clusters.csv").open()))
    assert len(rows) == 12 and not any(r["path"].endswith("broken.jpg") for r in rows)
    assert json.loads((tmp_path / "o" / "clusters.json").read_text())["skipped_images"] == ["broken.jpg"]
    page = (tmp_path / "o" / "index.html").read_text()
    assert '<section id="skipped">' in page and "<li>broken.jpg</li>" in page  # the sheet lists it


def test_run_save_labels_writes_one_label_per_test_image(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["run", "--dataset", "synthetic-dogs", "--method", "kmeans", "--final-nredo", "1", "--out", str(out),
                 "--save-labels"]) == 0
    rows = list(csv.DictReader(out.with_suffix(".labels.csv").open()))
    record = json.loads(out.read_text())
    assert len(rows) == record["data"]["n_test"]
    labels = np.array([int(r["cluster"]) for r in rows], dtype=np.int64)
    import hashlib

    assert hashlib.sha256(labels.tobytes()).hexdigest() == record["predictions_sha256"]


def test_run_shows_the_papers_row(capsys, tmp_path):
    assert main(["run", "--dataset", "twin-imagenet10", "--method", "kmeans", "--final-nredo", "1", "--out",
                 str(tmp_path / "r.json")]) == 0
    out = capsys.readouterr().out
    assert "the paper's CLIP (k-means) on imagenet10" in out and "98.2" in out


def test_help_and_version_import_no_numeric_library():
    code = ("import sys\nfrom laicpkg.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('HEAVY', sorted(m for m in ('torch', 'faiss', 'sklearn', 'numpy') if m in sys.modules))")
    for args in (["--help"], ["--version"], []):
        cp = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
        assert "HEAVY []" in cp.stdout, (args, cp.stdout, cp.stderr)
    cp = subprocess.run([sys.executable, "-m", "laicpkg.cli", "--version"], capture_output=True, text=True)
    assert cp.returncode == 0 and cp.stdout.startswith("laic (laicpkg) ")


def test_unknown_names_get_a_suggestion(capsys):
    one_line_error(capsys, ["run", "--dataset", "twin-cifar1", "--method", "kmeans"], "did you mean 'twin-cifar10'")
    one_line_error(capsys, ["run", "--dataset", "synthetic-dogs", "--method", "tac-sta"], "did you mean 'tac-star'")
