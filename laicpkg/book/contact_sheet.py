"""What ``laic cluster`` writes: a table per image, one entry per cluster, the run record, and a contact sheet.

Explained in: README ("Cluster your own photos").

``clusters.csv`` has one row per image (path, cluster, the cluster's name, the image's cosine similarity to its
cluster's mean image, its three nearest nouns); ``clusters.json`` each cluster's five names, size and most
central images; ``record.json`` the run record; ``index.html`` a contact sheet that opens offline: a section per
cluster with its names and a grid of thumbnails (``thumbs/``), most central first. Every file is written to a
temporary file and renamed, so an interrupted write never leaves half a file.
"""
from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path

from ..utils.atomic import atomic_open
from ..utils.errors import LaicError
from ..utils.timing import bar_disabled

__all__ = ["write_cluster_outputs", "write_contact_sheet", "CENTRAL", "SHEET_PER_CLUSTER", "THUMB"]

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
        w.writerow([f, c, _name(result, c), f"{result.similarity[i]:.4f}", *nouns])
    with atomic_open(path, "w") as fh:
        fh.write(buf.getvalue())
    return path


def _write_json(result, path: Path) -> Path:
    clusters = [{"cluster": c, "names": result.names[c], "size": len(result.central[c]),
                 "central_images": [result.files[i] for i in result.central[c][:CENTRAL]]}
                for c in sorted(result.names)]
    with atomic_open(path, "w") as fh:
        json.dump({"images": str(result.root), "n_images": len(result.files), "n_clusters": result.n_clusters,
                   "skipped_images": result.skipped, "clusters": clusters}, fh, indent=2)
        fh.write("\n")
    return path


def _thumbnail(src: str, dst: Path) -> bool:
    """A JPEG thumbnail of ``src`` at ``dst`` (kept if it is there already); False if the image cannot be read."""
    from PIL import Image

    if dst.is_file():
        return True
    try:
        with Image.open(src) as im:
            im = im.convert("RGB")
            im.thumbnail((THUMB, THUMB))
            with atomic_open(dst, "wb") as fh:
                im.save(fh, format="JPEG", quality=85)
    except (OSError, ValueError):
        return False
    return True


def write_contact_sheet(result, out, *, per_cluster: int = SHEET_PER_CLUSTER, progress: bool | None = None) -> Path:
    """``index.html`` with a section per cluster (names, size, a grid of thumbnails, most central first) and the
    thumbnails under ``thumbs/``; viewable offline (relative links only)."""
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
                dst = thumbs / f"{i:06d}.jpg"
                ok = _thumbnail(result.files[i], dst)
                name = html.escape(Path(result.files[i]).name)
                cells.append(f'<figure><img src="thumbs/{dst.name}" alt="{name}" loading="lazy"><figcaption>{name}'
                             f'</figcaption></figure>' if ok else f'<figure class="bad"><figcaption>{name} '
                             '(unreadable)</figcaption></figure>')
                bar.update(1)
            shown_note = f", the {len(idx)} most central shown" if len(result.central[c]) > len(idx) else ""
            sections.append(f'<section id="cluster-{c}"><h2>Cluster {c}: {html.escape(", ".join(result.names[c]))}'
                            f'</h2><p>{len(result.central[c])} images{shown_note}</p><div class="grid">{"".join(cells)}'
                            '</div></section>')
    nav = " · ".join(f'<a href="#cluster-{c}">{c}: {html.escape(_name(result, c))}</a>' for c in shown)
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Clusters of {html.escape(result.root.name)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin-top: 2rem; }}
nav {{ line-height: 1.8; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax({THUMB}px, 1fr)); gap: 8px; }}
figure {{ margin: 0; }} img {{ width: 100%; height: auto; display: block; border-radius: 4px; }}
figcaption {{ font-size: 0.7rem; color: #666; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }}
</style></head>
<body><h1>{len(result.files)} images of {html.escape(str(result.root))} in {result.n_clusters} clusters</h1>
<p>Each cluster is named by the nouns of highest mean retrieval weight over its images (Eq. 9 of GradNorm);
its images are shown most central first (cosine similarity to the cluster's mean image). Method:
{html.escape(result.record["method"])}.</p>
<nav>{nav}</nav>
{"".join(sections)}
</body></html>
"""
    path = out / "index.html"
    with atomic_open(path, "w") as fh:
        fh.write(page)
    return path
