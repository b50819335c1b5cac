"""What ``laic cluster`` writes: a table per image, one entry per cluster, the run record, and a contact sheet.

Explained in: README ("Cluster your own photos").

``clusters.csv`` has one row per image (its path relative to the image folder, cluster, the cluster's name, the
image's cosine similarity to its cluster's mean image, its three nearest nouns); ``clusters.json`` each cluster's
five names, size and most central images; ``record.json`` the run record; ``index.html`` a contact sheet that
opens offline: a section per cluster with its names and a grid of square thumbnails (``thumbs/``, upright by
their EXIF orientation, named by the file's content so a changed photo never shows an old thumbnail), most central
first, each linking to the original, and a section listing the images that could not be read. ``--export DIR``
(:func:`export_clusters`) links or copies every photo into one folder per cluster. Every file is written to a
temporary file and renamed, so an interrupted write never leaves half a file.
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import shutil
from pathlib import Path

from ..utils.atomic import atomic_open
from ..utils.errors import LaicError
from ..utils.timing import bar_disabled
from ..run.cluster import file_stamp

__all__ = ["write_cluster_outputs", "write_contact_sheet", "export_clusters", "check_export_dir", "CENTRAL",
           "SHEET_PER_CLUSTER", "THUMB", "EXPORT_MARK"]

#: Most central images listed per cluster in clusters.json; thumbnails per cluster on the sheet; their size (px).
CENTRAL, SHEET_PER_CLUSTER, THUMB = 12, 60, 160


def write_cluster_outputs(result, out, *, per_cluster: int = SHEET_PER_CLUSTER, progress: bool | None = None) -> list:
    """Write clusters.csv, clusters.json, record.json and the contact sheet of a
    :class:`~laicpkg.run.cluster.ClusterResult` into ``out``; returns the paths written."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        written = [_write_csv(result, out / "clusters.csv"), _write_json(result, out / "clusters.json")]
        with atomic_open(out / "record.json", "w") as fh:
            json.dump(result.record, fh, indent=2)
            fh.write("\n")
        written.append(out / "record.json")
        written.append(write_contact_sheet(result, out, per_cluster=per_cluster, progress=progress))
    except OSError as exc:
        raise LaicError(f"cannot write the clustering into {out}: {exc.strerror or exc} (the clusters above were "
                        "found; nothing half-written was left)") from None
    return written


def _name(result, c: int) -> str:
    return result.names[c][0] if result.names.get(c) else f"cluster {c}"


def _write_csv(result, path: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["path", "cluster", "cluster_name", "similarity", "noun_1", "noun_2", "noun_3"])
    for i, f in enumerate(result.files):
        c = int(result.labels[i])
        nouns = (list(result.image_nouns[i]) + ["", "", ""])[:3]
        w.writerow([result.relative(f), c, _name(result, c), f"{result.similarity[i]:.4f}", *nouns])
    with atomic_open(path, "w") as fh:
        fh.write(buf.getvalue())
    return path


def _write_json(result, path: Path) -> Path:
    clusters = [{"cluster": c, "names": result.names[c], "size": len(result.central[c]),
                 "central_images": [result.relative(result.files[i]) for i in result.central[c][:CENTRAL]]}
                for c in sorted(result.names)]
    with atomic_open(path, "w") as fh:
        json.dump({"images": str(result.root.resolve()), "paths": "relative to images",
                   "n_images": len(result.files), "n_clusters": result.n_clusters,
                   "skipped_images": [result.relative(f) for f in result.skipped], "clusters": clusters}, fh, indent=2)
        fh.write("\n")
    return path


def thumb_name(src: str) -> str:
    """A thumbnail's file name: a hash of the photo's :func:`~laicpkg.run.cluster.file_stamp`, so a photo edited or
    replaced in place gets a new thumbnail and two runs on other folders never share one."""
    return hashlib.sha256(file_stamp(src).encode("utf-8", "surrogateescape")).hexdigest()[:20] + ".jpg"


def _thumbnail(src: str, dst: Path) -> bool:
    """A square JPEG thumbnail of ``src`` (upright by its EXIF orientation, centre-cropped) at ``dst``, kept if it
    is there already; False if the image cannot be read."""
    from PIL import Image, ImageOps

    if dst.is_file():
        return True
    try:
        with Image.open(src) as im:
            im = ImageOps.fit(ImageOps.exif_transpose(im).convert("RGB"), (THUMB, THUMB))
    except (OSError, ValueError, Image.DecompressionBombError):
        return False
    with atomic_open(dst, "wb") as fh:  # an error writing it is the output folder's, not the photo's
        im.save(fh, format="JPEG", quality=85)
    return True


def _link(src: str, out: Path) -> str:
    """The original photo as a link from ``out/index.html`` (relative, so the sheet and the photos can move
    together)."""
    try:
        rel = os.path.relpath(Path(src).resolve(), out.resolve())
    except ValueError:  # another drive (Windows)
        return Path(src).resolve().as_uri()
    return "/".join(html.escape(part, quote=True) for part in Path(rel).as_posix().split("/"))


def write_contact_sheet(result, out, *, per_cluster: int = SHEET_PER_CLUSTER, progress: bool | None = None) -> Path:
    """``index.html`` with a section per cluster (its five names, size, a grid of thumbnails linking to the
    originals, most central first), a section of the images left out as unreadable, and the thumbnails under
    ``thumbs/``; viewable offline (relative links only)."""
    from tqdm import tqdm

    out = Path(out)
    thumbs = out / "thumbs"
    thumbs.mkdir(parents=True, exist_ok=True)
    shown = {c: result.central[c][:per_cluster] for c in sorted(result.names)}
    sections = []
    with tqdm(total=sum(map(len, shown.values())), desc="contact sheet", unit="img",
              disable=bar_disabled(progress)) as bar:
        for c, idx in shown.items():
            cells = []
            for i in idx:
                src = result.files[i]
                dst = thumbs / thumb_name(src)
                ok = _thumbnail(src, dst)
                name = html.escape(result.relative(src))
                cells.append(f'<figure><a href="{_link(src, out)}"><img src="thumbs/{dst.name}" alt="{name}" '
                             f'loading="lazy"></a><figcaption>{name}</figcaption></figure>' if ok else
                             f'<figure class="bad"><figcaption>{name} (unreadable now)</figcaption></figure>')
                bar.update(1)
            shown_note = f", the {len(idx)} most central shown" if len(result.central[c]) > len(idx) else ""
            sections.append(f'<section id="cluster-{c}"><h2>Cluster {c}: {html.escape(", ".join(result.names[c]))}'
                            f'</h2><p>{len(result.central[c])} images{shown_note}</p><div class="grid">{"".join(cells)}'
                            '</div></section>')
    if result.skipped:
        items = "".join(f"<li>{html.escape(result.relative(f))}</li>" for f in result.skipped)
        sections.append(f'<section id="skipped"><h2>Skipped images ({len(result.skipped)})</h2><p>These files could '
                        f'not be read and were left out (--skip-bad-images).</p><ul>{items}</ul></section>')
    nav = "".join(f'<li><a href="#cluster-{c}">{c}: {html.escape(", ".join(result.names[c]))}</a> '
                  f'({len(result.central[c])})</li>' for c in shown)
    if result.skipped:
        nav += f'<li><a href="#skipped">skipped images ({len(result.skipped)})</a></li>'
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Clusters of {html.escape(result.root.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin-top: 2rem; }}
nav ul {{ line-height: 1.8; padding-left: 1.2rem; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax({THUMB}px, 1fr)); gap: 8px; }}
figure {{ margin: 0; }} img {{ width: 100%; aspect-ratio: 1; object-fit: cover; display: block; border-radius: 4px; }}
figcaption {{ font-size: 0.7rem; color: #666; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }}
</style></head>
<body><h1>{len(result.files)} images of {html.escape(str(result.root))} in {result.n_clusters} clusters</h1>
<p>Each cluster is named by the nouns of highest mean retrieval weight over its images (Eq. 9 of GradNorm);
its images are shown most central first (cosine similarity to the cluster's mean image). Method:
{html.escape(result.record["method"])}.</p>
<nav><ul>{nav}</ul></nav>
{"".join(sections)}
</body></html>
"""
    path = out / "index.html"
    with atomic_open(path, "w") as fh:
        fh.write(page)
    return path


#: The file that marks a folder as written by ``--export`` (such a folder is replaced by the next export).
EXPORT_MARK = ".laic-export"


def check_export_dir(path) -> Path:
    """``--export DIR`` must not exist, be empty, or be an earlier export (it is replaced); checked before any
    image is encoded."""
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise LaicError(f"--export {path}: a file is in the way, not a folder")
        if any(path.iterdir()) and not (path / EXPORT_MARK).is_file():
            raise LaicError(f"--export {path} is a folder with other files in it; give a new or empty folder")
    return path


def _folder_name(c: int, names: list) -> str:
    first = names[0] if names else "cluster"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in first.replace(" ", "-"))[:40]
    return f"{c:03d}-{safe}"


def export_clusters(result, folder, *, copy: bool = False) -> Path:
    """Every photo into one folder per cluster (``<folder>/<cluster>-<first name>/``), as symbolic links to the
    originals (``copy``: copies). Files from sub-folders keep their relative path in their name (``a__b.jpg``), so
    none overwrites another. Built beside ``folder`` and renamed into place: an interrupted export leaves the
    earlier one as it was."""
    folder = check_export_dir(folder)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir(parents=True)
        dirs = {c: tmp / _folder_name(c, result.names.get(c, [])) for c in result.names}
        for d in dirs.values():
            d.mkdir()
        for i, src in enumerate(result.files):
            dst = dirs[int(result.labels[i])] / result.relative(src).replace("/", "__")
            if copy:
                shutil.copy2(src, dst)
            else:
                os.symlink(Path(src).resolve(), dst)
        (tmp / EXPORT_MARK).write_text("written by laic cluster --export; replaced by the next export\n")
        if folder.exists():
            shutil.rmtree(folder)
        tmp.rename(folder)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise LaicError(f"cannot export the clusters into {folder}: {exc.strerror or exc} (the clusters above and "
                        "the files listed were written)") from None
    return folder
