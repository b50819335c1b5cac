"""Every bad input and fault ends cleanly: one ``laic: error:`` line and exit 2 for what a user's path, file or
device causes; checks before long work; a cache and thumbnails that follow the photos' content; an output folder
locked while a run writes it; results written before anything is printed."""
import csv
import errno
import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from laicpkg.cli import main

from test_faults import one_line_error

ROOT = Path(__file__).resolve().parents[1]
NOUNS = ["sky", "grass", "fire", "brick", "disc", "square"]


def _photos(folder: Path, n: int = 12) -> Path:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        sub = folder / ("a" if i % 2 else "b")
        sub.mkdir(exist_ok=True)
        arr = np.full((48, 48, 3), 60 * (i % 3), dtype=np.uint8) + rng.integers(0, 30, (48, 48, 3), dtype=np.uint8)
        Image.fromarray(arr).save(sub / f"p{i:02d}.png")
    return folder


@pytest.fixture
def photos(tmp_path):
    folder = _photos(tmp_path / "photos")
    (tmp_path / "nouns.txt").write_text("\n".join(NOUNS) + "\n")
    return folder


def _args(photos, out, *extra, k="2"):
    return ["cluster", str(photos), "--n-clusters", k, "--out", str(out), "--model", "laic-tiny", "--pretrained",
            "none", "--device", "cpu", "--prompts", "photo", "--nouns", str(photos.parent / "nouns.txt"),
            "--method", "kmeans", *extra]


# 1, 2, 3: tracebacks become one line ------------------------------------------------------------------------------


def test_a_name_too_long_is_one_line_in_every_command(tmp_path, capsys, photos):
    long = "x" * 300
    one_line_error(capsys, ["run", "--dataset", "synthetic-dogs", "--method", "kmeans", "--final-nredo", "1",
                            "--out", str(tmp_path / long / "r.json")], "File name too long")
    one_line_error(capsys, _args(photos, tmp_path / long), "File name too long")
    one_line_error(capsys, ["compare", "--datasets", "synthetic-dogs", "--methods", "kmeans", "--seeds", "1",
                            "--records-dir", str(tmp_path / long)], "File name too long")


def test_a_file_name_that_is_not_utf8_is_one_line(tmp_path, capsys, photos):
    bad = os.fsencode(str(photos / "a")) + b"/\xff\xfe.png"
    with open(bad, "wb") as fh:
        Image.new("RGB", (8, 8)).save(fh, format="PNG")
    one_line_error(capsys, _args(photos, tmp_path / "o"), "not valid UTF-8")


def test_an_image_replaced_by_a_decompression_bomb_is_one_line(tmp_path, capsys, photos):
    assert main(_args(photos, tmp_path / "o")) == 0
    capsys.readouterr()
    Image.new("1", (20000, 20000)).save(photos / "a" / "p01.png")  # 4e8 pixels: more than PIL opens
    one_line_error(capsys, _args(photos, tmp_path / "o"), "p01.png")


def test_a_full_standard_output_loses_no_file(tmp_path):
    out = tmp_path / "r.json"
    with open("/dev/full", "w") as full:
        cp = subprocess.run([sys.executable, "-m", "laicpkg.cli", "run", "--dataset", "synthetic-dogs", "--method",
                             "kmeans", "--final-nredo", "1", "--out", str(out)], stdout=full, stderr=subprocess.PIPE,
                            text=True, timeout=300)
    assert cp.returncode == 2 and "Traceback" not in cp.stderr, cp.stderr
    assert cp.stderr.strip().splitlines() == ["laic: error: standard output: No space left on device"]
    assert json.loads(out.read_text())["method"] == "kmeans"  # written before anything was printed


def test_a_closed_pipe_loses_no_file(tmp_path, photos):
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "laicpkg.cli", *_args(photos, out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader has gone (`laic cluster … | true`)
    proc.wait(timeout=300)
    assert (out / "clusters.csv").is_file() and (out / "index.html").is_file()


def test_estimators_raise_the_packages_errors():
    from laicpkg import CLIPKMeans, KMeans, LaicError
    from laicpkg.utils.errors import NotFittedError

    X = np.random.default_rng(0).normal(size=(50, 4)).astype(np.float32)
    with pytest.raises(LaicError, match="random_state"):
        CLIPKMeans(3, random_state=2 ** 31, final_nredo=1).fit(X).predict(X)
    with pytest.raises(NotFittedError, match="not fitted"):
        KMeans(3).predict(X)
    with pytest.raises(AttributeError):  # scikit-learn's convention holds too
        KMeans(3).predict(X)


# 7-11: wrong results, silently -------------------------------------------------------------------------------------


def test_an_out_inside_the_image_folder_is_never_read_as_photos(capsys, photos):
    out = photos / "results"
    for _ in range(2):
        assert main(_args(photos, out)) == 0
        assert "12 images in 2 clusters" in capsys.readouterr().out
    assert len(list(csv.DictReader((out / "clusters.csv").open()))) == 12


def test_an_edited_photo_is_encoded_again_and_gets_a_new_thumbnail(tmp_path, photos):
    out = tmp_path / "o"
    assert main(_args(photos, out)) == 0
    before = json.loads((out / "record.json").read_text())
    thumbs = set(p.name for p in (out / "thumbs").iterdir())
    target = photos / "a" / "p01.png"
    Image.fromarray(np.full((48, 48, 3), 250, dtype=np.uint8)).save(target)  # same name, same size
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 10 ** 9))
    assert main(_args(photos, out)) == 0
    after = json.loads((out / "record.json").read_text())
    assert not after["features_reused"] and after["data_sha256"] != before["data_sha256"]
    assert set(p.name for p in (out / "thumbs").iterdir()) - thumbs  # a new thumbnail for the edited photo


def test_every_thumbnail_shows_the_photo_named_under_it(tmp_path, photos):
    from laicpkg.book.contact_sheet import thumb_name

    out = tmp_path / "o"
    assert main(_args(photos, out)) == 0
    _photos(tmp_path / "other", n=6)
    (tmp_path / "other" / "nouns.txt").write_text("sky\n")
    Image.new("RGB", (48, 48), (0, 0, 255)).save(photos / "b" / "p00a.png")  # one more photo, then rerun
    assert main(_args(photos, out)) == 0
    page = (out / "index.html").read_text()
    import re

    for thumb, caption in re.findall(r'<img src="thumbs/([^"]+)" alt="([^"]+)"', page):
        assert thumb == thumb_name(str(photos / caption)), caption


def test_a_thumbnail_that_cannot_be_written_is_an_error(tmp_path, capsys, photos, monkeypatch):
    import laicpkg.book.contact_sheet as cs

    real = cs.atomic_open

    def full(path, mode="wb"):
        if Path(path).parent.name == "thumbs":
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, mode)

    monkeypatch.setattr(cs, "atomic_open", full)
    err = one_line_error(capsys, _args(photos, tmp_path / "o"), "No space left on device")
    assert "unreadable" not in err


def test_an_unreadable_sub_folder_stops_with_its_name(tmp_path, capsys, photos, monkeypatch):
    real = os.scandir

    def scandir(path="."):
        if Path(os.fsdecode(path)).name == "a":
            raise PermissionError(errno.EACCES, "Permission denied", os.fsdecode(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    one_line_error(capsys, _args(photos, tmp_path / "o"), "cannot read the folder", str(photos / "a"))


# 13: one writer per output folder ------------------------------------------------------------------------------------


def test_a_second_run_into_a_locked_out_refuses(tmp_path, capsys, photos):
    out = tmp_path / "o"
    out.mkdir()
    fd = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a first run holds it
        one_line_error(capsys, _args(photos, out), "another laic cluster is writing into")
    finally:
        os.close(fd)
    assert main(_args(photos, out)) == 0  # free again


# 15, 16: refused before any image is encoded --------------------------------------------------------------------------


@pytest.fixture
def no_encoding(monkeypatch):
    import laicpkg.features.extract as ex

    def refuse(*a, **k):
        raise AssertionError("an image was about to be encoded")

    monkeypatch.setattr(ex, "load_clip", refuse)


def test_bad_outputs_and_sizes_are_refused_before_encoding(tmp_path, capsys, photos, no_encoding):
    (tmp_path / "file").write_text("x")
    one_line_error(capsys, _args(photos, tmp_path / "o", "--cache", str(tmp_path / "file")), "--cache")
    one_line_error(capsys, _args(photos, tmp_path / "file" / "o"), "is a file")
    base = ["cluster", str(photos), "--out", str(tmp_path / "o"), "--model", "laic-tiny", "--pretrained", "none",
            "--device", "cpu", "--nouns", str(photos.parent / "nouns.txt")]
    one_line_error(capsys, base + ["--n-clusters", "2", "--n-pseudo-classes", "13"], "--n-pseudo-classes")
    one_line_error(capsys, base + ["--n-clusters", "5"], "3K = 15", "--n-pseudo-classes")  # 12 images < 3K
    one_line_error(capsys, base + ["--n-clusters", "5", "--method", "tac"], "--tac-n-pseudo-classes")


def test_a_pretrained_folder_is_one_line(tmp_path, capsys, photos):
    (tmp_path / "weights").mkdir()
    one_line_error(capsys, ["cluster", str(photos), "--n-clusters", "2", "--out", str(tmp_path / "o"), "--model",
                            "laic-tiny", "--pretrained", str(tmp_path / "weights")], "is a folder")


# 18: an interrupted calibration leaves no lock file ----------------------------------------------------------------


def test_the_calibration_lock_leaves_no_file(tmp_path):
    from laicpkg.features.twins import calibration_lock

    path = tmp_path / "cal.json"
    with pytest.raises(KeyboardInterrupt):
        with calibration_lock(path):
            raise KeyboardInterrupt
    with calibration_lock(path):
        pass
    assert list(tmp_path.iterdir()) == []
