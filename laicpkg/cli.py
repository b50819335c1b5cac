"""The ``laic`` command line.

``laic run --dataset synthetic-dogs --method gradnorm`` runs one method on one
dataset, prints a small results table and writes a run record JSON.
``laic extract`` encodes images and nouns with open_clip into the feature cache,
``laic import-tac`` converts the TAC scripts' feature files, ``laic nouns``
regenerates the WordNet noun file, and ``laic list`` shows datasets, methods
and parameters.

Bad input never ends in a traceback: every :class:`~laicpkg.utils.errors.LaicError`
becomes one line ``laic: error: …`` and exit status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .utils.errors import LaicError, ParameterError, UnknownNameError, one_line

# Each command imports what it needs inside its function: `laic --help`, `laic list` and every check of bad input
# answer before torch, faiss and the estimators load (seconds), so the imports below the commands stay local.

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog.split()[0]} --help)\n")


#: Flags renamed when GradNorm's ERM settings got their prefix; accepted with a warning.
DEPRECATED_FLAGS = {"--epochs": "erm_epochs", "--batch-size": "erm_batch_size", "--lr": "erm_lr"}


class _Deprecated(argparse.Action):
    def __call__(self, parser, namespace, values, option_string=None):
        new = "--" + self.dest.replace("_", "-")
        print(f"laic: warning: {option_string} is deprecated; use {new}", file=sys.stderr)
        setattr(namespace, self.dest, values)


def _add_params(p: argparse.ArgumentParser) -> None:
    """One flag per parameter of :data:`laicpkg.run.config.PARAMS` (the estimators' arguments), read from the
    catalog (:mod:`laicpkg.cli_catalog`) so that parsing imports no numeric library."""
    from .cli_catalog import load_catalog

    params = {q["name"]: q for q in load_catalog()["params"]}
    g = p.add_argument_group("hyper-parameters (default: the paper's; see `laic list`)")
    for name, spec in params.items():
        flag = "--" + name.replace("_", "-")
        if spec["type"] is bool:
            g.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=spec["help"])
        else:
            g.add_argument(flag, dest=name, type=spec["type"], default=None, metavar=spec["type"].__name__.upper(),
                           help=f"{spec['help']} [default: {spec['default']}]")
    for old, name in DEPRECATED_FLAGS.items():
        g.add_argument(old, dest=name, type=params[name]["type"], action=_Deprecated, help=argparse.SUPPRESS)


def _add_cache_args(p: argparse.ArgumentParser) -> None:
    """--model, --pretrained, --nouns, --prompts: which cache of a --features folder to read, given as to
    `laic extract` (a checkpoint file, a noun file) or by name; each defaults to the folder's only one."""
    g = p.add_argument_group("which features of --features DIR (as given to `laic extract`; default: the only "
                             "cache of the dataset there)")
    g.add_argument("--model", default=None, help="CLIP model, e.g. ViT-B-32")
    g.add_argument("--pretrained", default=None, metavar="TAG|FILE", help="weights tag or checkpoint file")
    g.add_argument("--nouns", default=None, metavar="LIST|FILE", help="noun list name or noun file")
    g.add_argument("--prompts", default=None, help="prompt set (ensemble7, photo)")


def _cache_fields(args) -> dict:
    """The cache-naming flags the user gave (None ones left out: resolved from the folder)."""
    from .run.config import FEATURE_FIELDS

    return {k: getattr(args, k) for k in FEATURE_FIELDS if getattr(args, k) is not None}


def _add_grid_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("where the runs go (default: one after another in this process)")
    g.add_argument("--workers", type=int, default=None, metavar="N", help="a local Dask cluster of N worker processes")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="a running Dask scheduler (tcp://HOST:PORT); its workers must see the same files")
    g.add_argument("--cluster", default=None, choices=["slurm", "pbs", "sge", "lsf"],
                   help="submit Dask workers as batch jobs through dask-jobqueue")
    g.add_argument("--cluster-option", action="append", default=[], metavar="KEY=VALUE",
                   help="option of the dask-jobqueue cluster (cores=4, memory=16GB, walltime=02:00:00, queue=…)")
    g.add_argument("--jobs", type=int, default=None, metavar="N", help="batch jobs to start with --cluster [1]")
    g.add_argument("--print-job-script", action="store_true", help="print the job script of --cluster and stop")


def _grid_options(args) -> dict | None:
    """The grid options of a command, validated; prints the job script and returns None for --print-job-script."""
    from .run.grid import check_grid_options, make_jobqueue_cluster, parse_cluster_options

    options = parse_cluster_options(args.cluster_option)
    check_grid_options(args.workers, args.scheduler, args.cluster, args.jobs, options)
    if args.print_job_script:
        if not args.cluster:
            raise ParameterError("--print-job-script needs --cluster")
        c = make_jobqueue_cluster(args.cluster, options, submit=False)
        try:
            print(c.job_script())
        finally:
            c.close()
        return None
    return {"workers": args.workers, "scheduler": args.scheduler, "cluster": args.cluster,
            "cluster_options": options, "jobs": args.jobs}


def _report_grid(report) -> int:
    """Failures one line each on stderr, the summary on stdout; exit status 2 if any task failed."""
    for name, why in report.failed:
        print(f"laic: error: {name}: {why}", file=sys.stderr)
    print(report.summary())
    return 2 if report.failed else 0


#: The commands and their one-line help (``laic --help`` lists them without importing torch).
COMMANDS = {
    "run": "run one method on one dataset",
    "cluster": "cluster a folder of unlabelled images into named clusters (CSV, JSON, contact sheet)",
    "compare": "every method × dataset × seed, one run record each (comparison chapter)",
    "extract": "encode a dataset's images (and the noun pool) with open_clip",
    "nouns": "regenerate the shipped WordNet noun file from a WordNet 3.0 database",
    "import-tac": "read the feature files saved by the TAC reference scripts",
    "batch": "run the pipeline notebook per dataset with papermill, then the summary",
    "final-assign": "k-means vs IDCL's density-core assignment as the final step (CSV)",
    "idcl-grid": "IDCL's variants (Table 4's ablation, DEC, IDEC, ...) on raw images, one run record each",
    "calibrate": "fit a synthetic twin's generator to the paper's CLIP baseline rows",
    "ceilings": "does Stage 2 reward the right nouns on a dataset? Stage 2 fed the class names vs random nouns",
    "list": "list datasets, methods and parameters",
}


def build_parser(light: bool = False) -> argparse.ArgumentParser:
    """The ``laic`` parser. ``light``: the commands without their options (what ``laic --help`` shows; builds
    in milliseconds because it imports no numeric library)."""
    from ._version import __version__

    parser = _Parser(prog="laic", description="Language-assisted image clustering: GradNorm, TAC, SIC, IDCL.")
    parser.add_argument("--version", action="version", version=f"laic (laicpkg) {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    if light:
        for name, text in COMMANDS.items():
            sub.add_parser(name, help=text)
        return parser
    return _full_parser(parser, sub)


def _full_parser(parser, sub) -> argparse.ArgumentParser:
    from .cli_catalog import load_catalog

    catalog = load_catalog()
    ACC_KNOBS, DEFAULT_TWINS, MODELS = catalog["acc_knobs"], catalog["default_twins"], catalog["twin_models"]
    COMPARISON_DATASETS, COMPARISON_SEEDS = catalog["comparison_datasets"], catalog["comparison_seeds"]
    PRESET_HELP = f"parameter preset: {', '.join(catalog['presets'])} [paper]"
    IDCL_RECORDS_DIR, IDCL_PRETRAIN_CACHE = catalog["idcl_records_dir"], catalog["idcl_pretrain_cache"]

    r = sub.add_parser("run", help=COMMANDS["run"])
    r.add_argument("--dataset", required=True, help="synthetic preset or real dataset name (see `laic list`)")
    r.add_argument("--method", required=True, help="method name (see `laic list`)")
    r.add_argument("--seed", type=int, default=0, help="seed of the method (k-means, ERM) [0]")
    r.add_argument("--data-seed", type=int, default=0, help="seed of the synthetic generator [0]")
    r.add_argument("--preset", default="paper", help=PRESET_HELP)
    r.add_argument("--features", "--data-root", dest="features", default=None, metavar="DIR",
                   help="feature cache folder (from `laic extract`); for raw-image datasets (IDCL), their folder")
    _add_cache_args(r)
    r.add_argument("--out", default=None, metavar="PATH",
                   help="run record path [runs/<dataset>/<method>-seed<seed>.json]")
    r.add_argument("--json", action="store_true", help="print the whole record as JSON instead of a table")
    r.add_argument("--save-labels", action="store_true",
                   help="also write every test image's predicted cluster to <record>.labels.csv")
    _add_params(r)

    k = sub.add_parser("cluster", help=COMMANDS["cluster"])
    k.add_argument("images", help="folder of images (searched recursively; no labels, no split)")
    k.add_argument("--n-clusters", required=True, type=int, metavar="K", help="number of clusters")
    k.add_argument("--out", required=True, metavar="DIR",
                   help="where clusters.csv, clusters.json, index.html (contact sheet) and record.json go")
    k.add_argument("--method", default="gradnorm", help="a LaIC method (see `laic list`) [gradnorm]")
    k.add_argument("--model", default="ViT-B-32", help="open_clip model [ViT-B-32]")
    k.add_argument("--pretrained", default=None, metavar="TAG|FILE",
                   help="open_clip tag, a checkpoint file, or 'none' for random weights [openai for ViT-B-32, "
                        "ViT-B-16, ViT-L-14 and RN50; required for any other model]")
    k.add_argument("--nouns", default="wordnet", help="noun pool: wordnet, wordnet-unique, wordnet-senses or a file")
    k.add_argument("--prompts", default="ensemble7", help="ensemble7 (default) or photo")
    k.add_argument("--cache", default=None, metavar="DIR", help="feature cache folder [DIR/features]")
    k.add_argument("--extract-batch-size", type=int, default=64, help="images per batch of the encoder [64]")
    k.add_argument("--workers", type=int, default=0, help="DataLoader workers of the encoder [0]")
    k.add_argument("--skip-bad-images", action="store_true", help="leave out unreadable images instead of stopping")
    k.add_argument("--seed", type=int, default=0, help="seed of the method [0]")
    k.add_argument("--sheet-images", type=int, default=60, metavar="N",
                   help="thumbnails per cluster on the contact sheet, most central first [60]")
    k.add_argument("--export", default=None, metavar="DIR",
                   help="also put every photo into one folder per cluster under DIR (symbolic links)")
    k.add_argument("--export-copy", action="store_true", help="with --export: copy the photos instead of linking")
    _add_params(k)

    c = sub.add_parser("compare", help=COMMANDS["compare"])
    c.add_argument("--datasets", default=",".join(COMPARISON_DATASETS),
                   help=f"comma-separated datasets [the {len(COMPARISON_DATASETS)} default twins]")
    c.add_argument("--methods", default=None, help=f"comma-separated methods [the comparison chapter's {len(catalog['comparison_methods'])}]")
    c.add_argument("--seeds", type=int, default=COMPARISON_SEEDS, help=f"seeds 0..N-1 [{COMPARISON_SEEDS}]")
    c.add_argument("--features", default=None, metavar="DIR", help="feature cache folder for real datasets")
    _add_cache_args(c)
    c.add_argument("--preset", default="paper", help=PRESET_HELP)
    c.add_argument("--records-dir", default="book/results/comparison/records")
    c.add_argument("--data-seeds", default="paired", metavar="paired|N",
                   help="data seed of a generated twin: the run's seed (the draws it was calibrated on) or N for "
                        "every seed [paired]")
    _add_grid_args(c)

    e = sub.add_parser("extract", help=COMMANDS["extract"])
    e.add_argument("--dataset", required=True, help="dataset name (see `laic list`)")
    e.add_argument("--root", help="folder holding the images (torchvision root or ImageFolder)")
    e.add_argument("--out", required=True, metavar="DIR", help="feature cache folder")
    e.add_argument("--model", default="ViT-B-32", help="ViT-B-32 (paper), ViT-B-16, ViT-L-14, RN50, or any "
                   "open_clip name")
    e.add_argument("--pretrained", default=None, metavar="TAG|FILE",
                   help="open_clip tag, a checkpoint file, or 'none' for random weights [openai for ViT-B-32, "
                        "ViT-B-16, ViT-L-14 and RN50; required for any other model]")
    e.add_argument("--cache-tag", default=None, help="name of the weights in the cache [the tag]")
    e.add_argument("--nouns", default="wordnet", help="wordnet, wordnet-unique, wordnet-senses or a file")
    e.add_argument("--prompts", default="ensemble7", help="ensemble7 (default) or photo ('a photo of a {}.')")
    e.add_argument("--average", default="normalized", choices=["normalized", "raw"],
                   help="average normalised prompt embeddings (default) or raw ones (GradNorm code)")
    e.add_argument("--splits", default="train,test", help="comma-separated splits [train,test]")
    e.add_argument("--no-text", action="store_true", help="skip the noun pool")
    e.add_argument("--text-only", action="store_true", help="only the noun pool")
    e.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    e.add_argument("--batch-size", type=int, default=256)
    e.add_argument("--workers", type=int, default=None, help="DataLoader workers [4, at most the CPUs here]")
    e.add_argument("--allow-size-mismatch", action="store_true", help="do not check split sizes (Table 7)")
    e.add_argument("--skip-bad-images", action="store_true",
                   help="leave out unreadable images (listed in the cache's metadata) instead of stopping")

    n = sub.add_parser("nouns", help=COMMANDS["nouns"])
    n.add_argument("--wordnet-dir", default="/usr/share/wordnet", help="WordNet dict folder [/usr/share/wordnet]")
    n.add_argument("--nltk-data", default=None, help="where to lay out the corpus for NLTK [a temporary folder]")
    n.add_argument("--out", default=None, help="output file [the package's data/wordnet_noun_senses.tsv.gz]")
    n.add_argument("--hypernyms-out", default=None,
                   help="hypernym graph file [the package's data/wordnet_noun_hypernyms.tsv.gz]")

    t = sub.add_parser("import-tac", help=COMMANDS["import-tac"])
    t.add_argument("folder", help="folder with <Dataset>_image_embedding_*.npy etc.")
    t.add_argument("--dataset", required=True, help="our dataset name for these features (e.g. cifar10)")
    t.add_argument("--out", required=True, metavar="DIR", help="feature cache folder")
    t.add_argument("--model", default="ViT-B-32")
    t.add_argument("--pretrained", default="openai")
    t.add_argument("--prefix", default=None, help="file prefix <Dataset> [found automatically]")
    t.add_argument("--noun-list", default=None, help="TAC's noun CSV (word column) or a text file")

    b = sub.add_parser("batch", help=COMMANDS["batch"])
    b.add_argument("--datasets", default=",".join(DEFAULT_TWINS),
                   help=f"comma-separated dataset names [the {len(DEFAULT_TWINS)} default twins]")
    b.add_argument("--features", default=None, metavar="DIR", help="feature cache for real datasets")
    _add_cache_args(b)
    b.add_argument("--notebook", default=None, help="the pipeline notebook to execute [the package's]")
    b.add_argument("--out-dir", default=None, metavar="DIR",
                   help="where the pages, records and summary.md go; required for real datasets [the twins: the "
                        "source checkout's book/results]")
    b.add_argument("--seed", type=int, default=0)
    _add_grid_args(b)

    fa = sub.add_parser("final-assign", help=COMMANDS["final-assign"])
    fa.add_argument("--datasets", default="synthetic-cifar10,synthetic-cifar20,synthetic-dogs")
    fa.add_argument("--methods", default="kmeans,gradnorm-centroid")
    fa.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 [5]")
    fa.add_argument("--features", default=None, metavar="DIR", help="feature cache folder for real datasets")
    fa.add_argument("--out", default="book/results/idcl/final_assign.csv", metavar="PATH")

    ig = sub.add_parser("idcl-grid", help=COMMANDS["idcl-grid"])
    ig.add_argument("--dataset", default="digits", help="a raw-image dataset (see `laic list`) [digits]")
    ig.add_argument("--variants", default=None, help="comma-separated IDCL variants [all; see `laic list`]")
    ig.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 [5]")
    ig.add_argument("--records-dir", default=IDCL_RECORDS_DIR)
    ig.add_argument("--pretrain-cache", default=IDCL_PRETRAIN_CACHE, metavar="DIR",
                    help="pre-trained autoencoders shared by the runs [%(default)s]")
    ig.add_argument("--threads", type=int, default=None, metavar="N",
                    help="torch threads per run (1 with --workers 2 on a 2-core machine) [torch's default]")
    _add_grid_args(ig)

    cal = sub.add_parser("calibrate", help=COMMANDS["calibrate"])
    cal.add_argument("--dataset", default=None, help="twin name(s), comma-separated [with --check: every twin]")
    cal.add_argument("--seeds", type=int, default=3, help="data seeds 0..N-1 averaged [3]")
    cal.add_argument("--steps", type=int, default=7, help="bisection steps per searched parameter [7]")
    cal.add_argument("--out", default=None, metavar="PATH",
                     help="calibration file [the model's: data/twins_clip.json or data/twins.json]")
    cal.add_argument("--fit-nmi", action="store_true",
                     help="also fit NMI: the confusion c (nearest-class leaning) to zero-shot NMI, its appearance "
                          "share to k-means NMI (4 × --steps times longer)")
    cal.add_argument("--acc-by", choices=ACC_KNOBS, default=ACC_KNOBS[0],
                     help="what lowers k-means ACC to the paper's: the ambiguity rho (some images lose their class "
                          "terms) or the image noise sigma with rho = 0 (errors spread over all classes) [ambiguity]")
    cal.add_argument("--model", choices=MODELS, default=None,
                     help="the generator to fit: tree (the first twins) or clip (sub-modes, the image cone, texts "
                          "that follow WordNet only locally: CLIP's measured geometry) [$LAIC_TWIN_MODEL or clip]; "
                          "--check and --remeasure use the twins of $LAIC_TWIN_MODEL")
    cal.add_argument("--remeasure", action="store_true",
                     help="measure the committed parameters again on the current generator and store the numbers "
                          "(after a change of the generator's arithmetic; no fitting)")
    cal.add_argument("--check", action="store_true",
                     help="evaluate the committed twins: paper vs twin for CLIP k-means and zero-shot, and CLIP's "
                          "geometry (cone, dimension, 1-NN, image-text and text statistics) beside its targets")
    cal.add_argument("--geometry-out", default=None, metavar="CSV",
                     help="with --check: also write the geometry table to CSV (the twins chapter reads it)")
    cal.add_argument("--real-table-out", default=None, metavar="CSV",
                     help="with --check: also write the statistics real CLIP features of 500 CIFAR-10 images give "
                          "(catalog.geometry.REAL_CIFAR10), measured on the CIFAR-10 and STL-10 twins, into CSV "
                          "(rows of other twins or models kept)")
    cal.add_argument("--ceilings-out", default=None, metavar="CSV",
                     help="with --check: also measure Stage 2's ceilings of each twin (class names, all positives, "
                          "random nouns; run.ceilings) into CSV, keeping the rows it holds (resumable)")
    cal.add_argument("--objectives-out", default=None, metavar="CSV",
                     help="with --check: also measure spherical k-means' objective on [e; v] of Stage 2 fed the class "
                          "names, for the partition found, zero-shot's and the true classes' (run.ceilings) into CSV "
                          "(resumable)")
    cal.add_argument("--seeding-out", default=None, metavar="CSV",
                     help="with --check: also measure Stage 2 fed the class names and fed random nouns with its final "
                          "k-means started from random rows (the reference) and from k-means++ starts "
                          "(run.ceilings.stage2_seeding) into CSV (resumable)")
    _add_grid_args(cal)

    z = sub.add_parser("ceilings", help=COMMANDS["ceilings"],
                       description="Stage 2 of GradNorm and TAC (Eq. 9 and the final k-means) fed the class names, "
                                   "every known positive (twins only) and random nouns, beside CLIP k-means and "
                                   "zero-shot: where the class names do not beat random nouns, no noun filter can "
                                   "show its worth on that data.")
    z.add_argument("--dataset", required=True, help="a twin, or a real dataset with --features (see `laic list`)")
    z.add_argument("--features", default=None, metavar="DIR",
                   help="feature cache folder from `laic extract` (it encodes the class names too)")
    _add_cache_args(z)
    z.add_argument("--seeds", type=int, default=3,
                   help="seeds 0..N-1 of the final k-means and the random draws (a twin: also its data seed) [3]")
    z.add_argument("--draws", type=int, default=3, help="random noun sets per seed [3]")
    z.add_argument("--n-random", type=int, default=None, metavar="N",
                   help="nouns per random set [a twin: as many as its positives; real data: 5·C, as many as "
                        "GradNorm's filter keeps at most]")
    z.add_argument("--out", default=None, metavar="CSV", help="also write the table, one row per seed, to CSV")

    sub.add_parser("list", help=COMMANDS["list"])
    return parser


def _check_notebook(path) -> None:
    """--notebook must be a Jupyter notebook (JSON with cells), checked before papermill starts."""
    import json as _json

    p = Path(path)
    try:
        nb = _json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise LaicError(f"--notebook {path}: no such file") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise LaicError(f"--notebook {path} is not a Jupyter notebook ({type(exc).__name__})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise LaicError(f"--notebook {path} is not a Jupyter notebook (no cells)")


def _cmd_batch(args) -> int:
    from .book.batch import default_out_dir, run_batch
    from .run.config import check_seed
    from .run.records import check_output_dir

    check_seed(args.seed)
    datasets = _names(args.datasets, "--datasets")
    _check_feature_datasets(datasets, "batch")
    out_dir = check_output_dir(args.out_dir if args.out_dir is not None else default_out_dir(datasets))
    if args.notebook is not None:
        _check_notebook(args.notebook)
    fields = _cache_fields(args)
    if args.features:
        _resolve_caches(datasets, args.features, fields)
    grid = _grid_options(args)
    if grid is None:
        return 0
    report = []
    for p in run_batch(datasets, notebook=args.notebook, out_dir=out_dir, features=args.features, seed=args.seed,
                       grid=grid, report=report, **fields):
        print(f"wrote {p}")
    return _report_grid(report[0])


def _cmd_extract(args) -> int:
    from .features.extract import (check_text_inputs, default_weights, extract_class_texts, extract_image_features,
                                   extract_text_features)

    if args.no_text and args.text_only:
        raise LaicError("--no-text and --text-only exclude each other")
    default_weights(args.model, args.pretrained)  # no silent random weights: fails before anything is read
    if not args.no_text:  # a bad noun list or prompt set fails before any image is encoded
        check_text_inputs(args.nouns, args.prompts, args.average)
    written = []
    if not args.text_only:
        if not args.root:
            raise LaicError("--root is required to extract images")
        written += extract_image_features(args.dataset, args.root, args.out, model=args.model,
                                          pretrained=args.pretrained, splits=tuple(args.splits.split(",")),
                                          device=args.device, batch_size=args.batch_size,
                                          num_workers=_workers(args.workers), check_size=not args.allow_size_mismatch,
                                          cache_name=args.cache_tag, skip_bad_images=args.skip_bad_images)
    if not args.no_text:
        written.append(extract_text_features(args.out, nouns=args.nouns, prompts=args.prompts, model=args.model,
                                             pretrained=args.pretrained, device=args.device,
                                             average=args.average, cache_name=args.cache_tag, reuse=True))
        if not args.text_only:  # the class names, for zero-shot CLIP
            written.append(extract_class_texts(args.dataset, args.out, prompts=args.prompts, model=args.model,
                                               pretrained=args.pretrained, device=args.device,
                                               average=args.average, cache_name=args.cache_tag))
    for p in written:
        print(f"wrote {p}")
    return 0


def _workers(n: int | None) -> int:
    """DataLoader workers: as given, else 4 but no more than this machine's CPUs (torch warns beyond them)."""
    import os

    return n if n is not None else min(4, os.cpu_count() or 1)


def _cmd_nouns(args) -> int:
    import tempfile

    from .features.nouns import (HYPERNYMS_FILE, SENSES_FILE, prepare_nltk_wordnet, read_wordnet_hypernyms,
                                 read_wordnet_senses, write_tsv_gz, write_wordnet_senses)
    from .run.records import check_output_dir, check_record_path

    if args.nltk_data:
        check_output_dir(args.nltk_data)
    for path, flag in ((args.out, "--out"), (args.hypernyms_out, "--hypernyms-out")):
        if path:
            check_record_path(path, what=f"the {flag} file")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.nltk_data or tmp
        try:
            prepare_nltk_wordnet(args.wordnet_dir, data_dir)
        except OSError as exc:
            raise LaicError(f"cannot lay out WordNet for NLTK in {data_dir} (--nltk-data): "
                            f"{exc.strerror or exc}") from None
        try:
            rows = read_wordnet_senses(data_dir)
            hyper = read_wordnet_hypernyms(data_dir)
        except LaicError as exc:
            raise LaicError(f"{args.wordnet_dir}: {exc}") from None
    path = write_wordnet_senses(rows, args.out or SENSES_FILE)
    n_syn = sum(1 for r in rows if r[1] == "0")
    print(f"wrote {path}: {len(rows)} noun senses, {n_syn} synsets")
    hpath = write_tsv_gz(hyper, args.hypernyms_out or HYPERNYMS_FILE)
    print(f"wrote {hpath}: {sum(bool(h) for _, h in hyper)} synsets with hypernyms")
    return 0


def _cmd_import_tac(args) -> int:
    from .features.interop import import_tac

    for p in import_tac(args.folder, args.dataset, args.out, model=args.model, pretrained=args.pretrained,
                        prefix=args.prefix, noun_list=args.noun_list):
        print(f"wrote {p}")
    return 0


def _fmt_table(record: dict) -> str:
    m = record["metrics"]
    lines = [f"{record['method']} on {record['dataset']} (seed {record['seed']})",
             f"  {'ACC':>6} {'NMI':>6} {'ARI':>6}",
             f"  {m['ACC']:6.1f} {m['NMI']:6.1f} {m['ARI']:6.1f}"]
    f = record.get("filter")
    if f:
        line = f"  filter: {f['n_selected']} nouns selected over {f['n_groups']} groups"
        if "precision" in f:
            line += f"; precision {f['precision']:.1f}%, recall {f['recall']:.1f}%"
        lines.append(line)
        if "warning" in f:
            lines.append(f"  note: {f['warning']}")
    paper = _paper_row(record)
    if paper:
        lines.append(paper)
    t = record["timings_s"]
    lines.append("  seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in t.items()))
    return "\n".join(lines)


def _paper_row(record: dict) -> str:
    """The GradNorm paper's row of this method on this dataset (a twin's: its real dataset's), one line, or ""."""
    from .book.paper import METHOD_TO_PAPER_ROW, paper_table
    from .features.datasets import get_dataset_spec

    row = METHOD_TO_PAPER_ROW.get(record["method"])
    table = paper_table(record["dataset"]) if row else None
    if table is None or row not in table.index:
        return ""
    p = table.loc[row]
    real = get_dataset_spec(record["dataset"]).twin_of or record["dataset"]
    return (f"  {p['ACC']:6.1f} {p['NMI']:6.1f} {p['ARI']:6.1f}  the paper's {row} on {real} (GradNorm Tables 1-2, "
            "ViT-B/32)" + (": this twin's CLIP rows were calibrated to it" if real != record["dataset"]
                           and row.startswith("CLIP") else ""))


def _cmd_run(args) -> int:
    from .run.config import PARAMS, resolve_config
    from .features.datasets import get_dataset_spec
    from .methods.registry import get_method
    from .run.records import check_record_path, write_record
    from .run.runner import run

    method = get_method(args.method)
    if get_dataset_spec(args.dataset).kind == "images" and not method.estimator.accepts_images:
        raise UnknownNameError(f"{args.dataset} holds raw images: only --method idcl runs on it")
    overrides = {k: getattr(args, k) for k in PARAMS}
    fields = _cache_fields(args)
    if args.features and get_dataset_spec(args.dataset).kind == "features":  # a missing cache fails before any work
        _resolve_caches([args.dataset], args.features, fields)
    cfg = resolve_config(args.dataset, args.method, overrides=overrides, preset=args.preset, seed=args.seed,
                         data_seed=args.data_seed, features=args.features, **fields)
    out = check_record_path(args.out or Path("runs") / args.dataset / f"{args.method}-seed{args.seed}.json")
    labels_path = check_record_path(out.with_suffix(".labels.csv"), what="the labels") if args.save_labels else None
    result = run(cfg, progress=None)
    shown = json.dumps(result.record, indent=2) if args.json else _fmt_table(result.record)
    # The files are written before anything is printed (a closed or full standard output loses nothing); a failing
    # write shows the results first, so nothing the run found is lost either.
    from .run.records import write_labels

    written = _write_or_show(lambda: [write_record(result.record, out)] + (
        [write_labels(result, labels_path)] if labels_path is not None else []), shown)
    print(shown, flush=True)
    info = sys.stderr if args.json else sys.stdout  # stdout stays one JSON document
    print(f"record: {written[0]}", file=info)
    if labels_path is not None:
        print(f"labels: {written[1]}", file=info)
    return 0


def _cmd_ceilings(args) -> int:
    import pandas as pd
    from tqdm import tqdm

    from .book.findings.common import standard_error
    from .features.datasets import get_dataset_spec, load_dataset
    from .run.ceilings import check_ceilings_data, random_noun_count, stage2_ceilings
    from .run.records import check_record_path
    from .utils.atomic import atomic_open
    from .utils.validation import check_int

    seeds = check_int(args.seeds, "--seeds")
    draws = check_int(args.draws, "--draws")
    n_random = None if args.n_random is None else check_int(args.n_random, "--n-random")
    out = check_record_path(args.out, what="the ceilings table") if args.out else None
    spec = get_dataset_spec(args.dataset)
    if spec.kind != "features":
        raise UnknownNameError(f"{args.dataset} holds raw images: Stage 2's ceilings need CLIP features")
    fields = _cache_fields(args)
    if args.features:
        _resolve_caches([args.dataset], args.features, fields)

    def load(seed: int):
        data = load_dataset(args.dataset, features=args.features, data_seed=seed, **fields)
        check_ceilings_data(data)
        n = random_noun_count(data) if n_random is None else n_random
        if n > len(data.R):
            raise ParameterError(f"--n-random {n} exceeds the {len(data.R)} nouns of {args.dataset}'s pool")
        return data, n

    data, n = load(0)  # what is missing fails before any clustering
    rows = []
    for seed in tqdm(range(seeds), desc=f"Stage 2 ceilings on {args.dataset}", unit="seed"):
        if seed and spec.twin_of is not None:  # a twin is drawn on each data seed; real features are read once
            data, n = load(seed)
        rows.append({"dataset": args.dataset, "seed": seed, "random nouns (n)": n,
                     **stage2_ceilings(data, seed=seed, draws=draws, n_random=n)})
    table = pd.DataFrame(rows)
    shown = table.drop(columns="dataset").round(1).to_string(index=False)
    margin = table["class names"] - table["random nouns"]
    se = standard_error(margin)
    shown += (f"\nclass names − random nouns: {margin.mean():+.1f} ± {se:.1f} ACC points (mean ± SE over "
              f"{len(margin)} seed{'s' if len(margin) > 1 else ''})")
    if out is not None:
        def write():
            with atomic_open(out, "w") as fh:
                table.to_csv(fh, index=False)
            return out
        _write_or_show(write, shown)
    print(shown)
    if out is not None:
        print(f"wrote {out}")
    return 0


def _write_or_show(write, shown: str):
    """``write()``; if it fails, print ``shown`` (the results) before the error goes on."""
    try:
        return write()
    except LaicError:
        print(shown, flush=True)
        raise


def _cmd_cluster(args) -> int:
    from .book.contact_sheet import check_export_dir, export_clusters, write_cluster_outputs
    from .run.cluster import cluster_folder, locked_output
    from .run.config import PARAMS, check_seed

    check_seed(args.seed)
    for flag in ("extract_batch_size", "sheet_images"):
        if getattr(args, flag) < 1:
            raise ParameterError(f"--{flag.replace('_', '-')} must be at least 1; got {getattr(args, flag)}")
    if args.workers < 0:
        raise ParameterError(f"--workers must be at least 0; got {args.workers}")
    if args.export_copy and not args.export:
        raise ParameterError("--export-copy needs --export DIR")
    if args.export:
        check_export_dir(args.export)
    with locked_output(args.out):  # a second run into the same --out refuses with one line
        result = cluster_folder(args.images, args.n_clusters, args.out, method=args.method, model=args.model,
                                pretrained=args.pretrained, device=args.device or "auto", nouns=args.nouns,
                                prompts=args.prompts, cache=args.cache, batch_size=args.extract_batch_size,
                                num_workers=args.workers, skip_bad_images=args.skip_bad_images, seed=args.seed,
                                overrides={k: getattr(args, k) for k in PARAMS}, progress=None)
        shown = result.summary()
        written = _write_or_show(lambda: write_cluster_outputs(result, args.out, per_cluster=args.sheet_images),
                                 shown)
        if args.export:
            written.append(_write_or_show(lambda: export_clusters(result, args.export, copy=args.export_copy), shown))
    print(shown, flush=True)  # after the files: a closed or full standard output loses nothing
    for p in written:
        print(f"wrote {p}")
    return 0


def _cmd_compare(args) -> int:
    from .run.experiments import COMPARISON_METHODS, compare, data_seed_rule
    from .book.records import comparison_table
    from .run.records import check_output_dir

    from .run.config import check_preset

    datasets, methods = _grid_arguments(args, COMPARISON_METHODS)
    data_seed_rule(args.data_seeds)  # checked before any run starts
    check_preset(args.preset)
    check_output_dir(args.records_dir)
    grid = _grid_options(args)
    if grid is None:
        return 0
    fields = _cache_fields(args)
    if args.features:
        _resolve_caches(datasets, args.features, fields)
    report = []
    records = compare(datasets, methods, range(args.seeds), records_dir=args.records_dir, features=args.features,
                      grid=grid, report=report, data_seeds=args.data_seeds, preset=args.preset, **fields)
    if records:
        table = comparison_table(records, order=methods)
        print(table[["ACC", "ACC std", "NMI", "ARI", "seeds"]].round(1).to_string())
    print(f"records: {args.records_dir}")
    return _report_grid(report[0])


def _grid_arguments(args, default_methods) -> tuple[list, list]:
    """Datasets, methods and seed count of a grid command, each checked before any run starts."""
    from .run.config import check_seed
    from .methods.registry import get_method

    datasets = _names(args.datasets, "--datasets")
    methods = list(default_methods) if args.methods is None else _names(args.methods, "--methods")
    _check_feature_datasets(datasets, args.command)
    for m in methods:
        get_method(m)
    if args.seeds < 1:
        raise ParameterError(f"--seeds must be at least 1 (runs seeds 0..N-1); got {args.seeds}")
    check_seed(args.seeds - 1, "--seeds - 1")
    return datasets, methods


def _check_feature_datasets(datasets, command: str) -> None:
    """Every dataset known and one of CLIP features (a grid command cannot run on raw images)."""
    from .features.datasets import get_dataset_spec

    for d in datasets:
        if get_dataset_spec(d).kind != "features":
            raise ParameterError(f"{d} holds raw images; laic {command} runs on CLIP features (IDCL on raw images: "
                                 f"laic run --dataset {d} --method idcl)")


def _resolve_caches(datasets, features, fields: dict) -> None:
    """Every dataset's cache in ``features`` is found (one clear error listing the folder's caches if not)."""
    from .features.cache import resolve_cache_names
    from .features.datasets import get_dataset_spec

    for d in datasets:
        resolve_cache_names(features, d, train_from=get_dataset_spec(d).train_from, **fields)


def _names(text: str, flag: str) -> list:
    """The comma-separated names of ``flag``; at least one (an empty list is an error, not "all")."""
    names = [n.strip() for n in str(text).split(",") if n.strip()]
    if not names:
        raise ParameterError(f"{flag} names nothing (got {text!r}); give comma-separated names (see laic list)")
    return names


def _cmd_idcl_grid(args) -> int:
    from .book.idcl import idcl_table
    from .features.datasets import get_dataset_spec
    from .methods.idcl import variant_config
    from .run.experiments import idcl_grid
    from .run.records import check_output_dir

    if get_dataset_spec(args.dataset).kind != "images":
        raise ParameterError(f"{args.dataset} holds CLIP features; laic idcl-grid runs IDCL on raw images "
                             "(on features: laic compare --methods idcl)")
    variants = None if args.variants is None else _names(args.variants, "--variants")
    for v in variants or ():
        variant_config(v)
    if args.seeds < 1:
        raise ParameterError(f"--seeds must be at least 1 (runs seeds 0..N-1); got {args.seeds}")
    if args.threads is not None and args.threads < 1:
        raise ParameterError(f"--threads must be at least 1; got {args.threads}")
    check_output_dir(args.records_dir)
    check_output_dir(args.pretrain_cache)
    grid = _grid_options(args)
    if grid is None:
        return 0
    report = []
    records = idcl_grid(args.dataset, variants, range(args.seeds), records_dir=args.records_dir,
                        pretrain_cache=args.pretrain_cache, threads=args.threads, grid=grid, report=report)
    if records:
        print(idcl_table(records)[["ACC", "ACC std", "NMI", "NMI std", "seeds"]].round(1).to_string())
    print(f"records: {args.records_dir}")
    return _report_grid(report[0])


def _cmd_final_assign(args) -> int:
    from .utils.atomic import atomic_open
    from .run.experiments import final_assign_experiment
    from .run.records import check_record_path

    datasets, methods = _grid_arguments(args, [])

    out = check_record_path(args.out, what="the final-assignment table")
    df = final_assign_experiment(datasets, methods, range(args.seeds), features=args.features)
    print(df.groupby(["dataset", "method", "final_assign"])["ACC"].mean().round(1).to_string(), flush=True)
    try:
        with atomic_open(out, "w") as fh:
            df.to_csv(fh, index=False)
    except OSError as exc:
        raise LaicError(f"cannot write {out}: {exc.strerror or exc} (the table above was not saved)") from None
    print(f"wrote {out}")
    return 0


def _cmd_calibrate(args) -> int:
    from .run.analysis import twin_baseline_table
    from .features.twins import (CALIBRATION_FILES, TWIN_SPECS, calibrate_task, check_calibration_file,
                                  check_calibration_options, check_model_covers, get_twin, merge_calibrations, remeasure,
                                  twin_model, write_calibration)
    from .run.grid import Task, execute
    from .run.config import check_seed
    from .run.records import check_record_path

    for flag in ("geometry_out", "ceilings_out", "real_table_out", "objectives_out", "seeding_out"):
        if getattr(args, flag) and not args.check:
            raise ParameterError(f"--{flag.replace('_', '-')} needs --check")
        if getattr(args, flag):
            check_record_path(getattr(args, flag), what=f"the {flag.split('_')[0]} table")
    names = [n for n in (args.dataset or "").split(",") if n] or ([] if not args.check else list(TWIN_SPECS))
    if not names:
        raise ParameterError("--dataset is required (a twin name; see `laic list`), or use --check")
    for n in names:
        get_twin(n)
    for flag in ("seeds", "steps"):
        if getattr(args, flag) < 1:
            raise ParameterError(f"--{flag} must be at least 1; got {getattr(args, flag)}")
    check_seed(args.seeds - 1, "--seeds - 1")
    if args.model and args.model != twin_model() and (args.check or args.remeasure):
        raise ParameterError(f"--check and --remeasure use the twins of LAIC_TWIN_MODEL={twin_model()}; set it to "
                             f"{args.model} instead of --model")
    args.model = args.model or twin_model()
    check_calibration_options(args.fit_nmi, args.acc_by, args.model)
    if not args.check:
        for n in names:
            check_model_covers(get_twin(n), args.model)
    seeds = tuple(range(args.seeds))
    if args.check:
        from .features.twins import geometry_table

        print(twin_baseline_table([get_twin(n) for n in names], seeds).to_string())
        print("\nCLIP's geometry (features.geometry): each twin's mean over the data seeds, the real CLIP value, "
              "the target")
        geometry = geometry_table(names, seeds)
        print(geometry.round(3).to_string())
        if args.geometry_out:
            from .utils.atomic import atomic_open

            with atomic_open(args.geometry_out, "w") as fh:
                geometry.to_csv(fh)
            print(f"wrote {args.geometry_out}")
        if args.real_table_out:
            from .features.twins import real_table_frame

            specs = [get_twin(n) for n in names if get_twin(n).dataset in ("cifar10", "stl10")]
            real = real_table_frame(specs, seeds, args.real_table_out)
            print("\nReal CIFAR-10's CLIP statistics (catalog.geometry.REAL_CIFAR10), measured on the twins")
            print(real.round(3).to_string(index=False))
            print(f"wrote {args.real_table_out}")
        if args.ceilings_out:
            from .run.ceilings import ceilings_table

            ceilings = ceilings_table([get_twin(n) for n in names], seeds, args.ceilings_out)
            print("\nStage 2's ceilings (run.ceilings): ACC with the class names, all positives, random nouns")
            print(ceilings.round(1).to_string(index=False))
            print(f"wrote {args.ceilings_out}")
        if args.objectives_out:
            from .run.ceilings import objectives_table

            objectives = objectives_table([get_twin(n) for n in names], seeds, args.objectives_out)
            print("\nStage 2 fed the class names: k-means' objective on [e; v] (run.ceilings.stage2_objectives)")
            print(objectives.round(4).to_string(index=False))
            print(f"wrote {args.objectives_out}")
        if args.seeding_out:
            from .run.ceilings import seeding_table

            seeding = seeding_table([get_twin(n) for n in names], seeds, args.seeding_out)
            print("\nStage 2 from random and from k-means++ starts (run.ceilings.stage2_seeding): ACC")
            print(seeding.round(1).to_string(index=False))
            print(f"wrote {args.seeding_out}")
        return 0
    out = check_calibration_file(check_record_path(args.out or CALIBRATION_FILES[args.model],
                                                   what="the calibration")).resolve()
    grid = _grid_options(args)
    if grid is None:
        return 0
    merge_calibrations(names, out)  # what an interrupted grid of an earlier version left beside the file
    if args.remeasure:
        for n in names:
            entry = remeasure(n)
            _print_calibration(n, entry)
            write_calibration(n, entry, out)
        print(f"wrote {out}")
        return 0
    here = not (grid["workers"] or grid["scheduler"] or grid["cluster"])
    options = {"seeds": list(seeds), "steps": args.steps, "fit_nmi": args.fit_nmi, "acc_by": args.acc_by,
               "model": args.model, "out": str(out), "progress": here}
    tasks = [Task(n, calibrate_task, {"name": n, **options}) for n in names]
    report = execute(tasks, desc="twins calibrated", **grid)
    for n in report.done:
        _print_calibration(n, report.results[n]["entry"])
    if report.done:
        print(f"wrote {out}")
    return _report_grid(report)


def _print_calibration(name: str, entry: dict) -> None:
    """A calibration's achieved k-means and zero-shot ACC/NMI beside the paper's, one line per baseline."""
    ach, pap = entry["achieved"], entry["paper"]
    for m in ("kmeans", "zeroshot"):
        ok = entry["within_tolerance"][m]
        print(f"{name} {m:<9} " + "  ".join(
            f"{k} {ach[m][k]:5.1f} (paper {pap[m][k]:5.1f}{'' if ok[k] else f', outside ±{tol:g}'})"
            for k, tol in (("ACC", 2), ("NMI", 3))), flush=True)


def _cmd_list(_args) -> int:
    from .cli_catalog import load_catalog

    catalog = load_catalog()
    print("datasets:")
    for d in catalog["datasets"]:
        if d["kind"] == "features":
            sizes = f"{d['n_train']}/{d['n_test']}" if d["n_train"] else f"-/{d['n_test']}" if d["n_test"] else "-"
            print(f"  {d['name']:<20} K={d['n_classes']:<5} train/test {sizes:<16} {d['source']}")
    print("raw-image datasets (IDCL):")
    for d in catalog["datasets"]:
        if d["kind"] == "images":
            print(f"  {d['name']:<20} K={d['n_classes']:<5} n={d['n_test']:<7} {'x'.join(map(str, d['image_shape'])):<10} "
                  f"{d['source']}{' (--data-root)' if d['data_root'] else ''}")
    print("methods:")
    for m in catalog["methods"]:
        print(f"  {m['name']:<20} {m['description']}")
    print("IDCL variants (laic idcl-grid --variants):")
    for v in catalog["idcl_variants"]:
        row = f"   [IDCL paper, {v['paper_row']}]" if v["paper_row"] else ""
        print(f"  {v['name']:<22} {v['title']}{row}")
    print("parameters:")
    for p in catalog["params"]:
        print(f"  --{p['name'].replace('_', '-'):<24} {str(p['default']):<10} {p['help']} ({p['source']})")
    return 0


#: Thread-count variables the numeric libraries read when they load; a bad value makes libgomp and OpenBLAS
#: print warnings (and fall back to defaults), so it is refused before any of them is imported.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _check_environment() -> None:
    import os

    for var in THREAD_VARIABLES:
        value = os.environ.get(var)
        if value is not None and value.strip() and not (value.strip().isdigit() and int(value) >= 1):
            raise ParameterError(f"{var}={value!r}: a thread count must be a positive integer (unset it to use "
                                 "every core)")


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line each, ``laic: warning: …``, like the errors."""
    print(f"laic: warning: {str(message).strip().splitlines()[0] if str(message).strip() else category.__name__}",
          file=sys.stderr if file is None else file)


def _out_of_memory(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, MemoryError) or (isinstance(exc, RuntimeError) and (
        "can't allocate memory" in text or "out of memory" in text or "not enough memory" in text))


def main(argv=None) -> int:
    import warnings

    try:
        _check_environment()
    except LaicError as exc:
        print(f"laic: error: {exc}", file=sys.stderr)
        return 2
    warnings.showwarning = _show_warning
    words = sys.argv[1:] if argv is None else list(argv)
    # `laic`, `laic --help` and `laic --version` need only the command names: no numeric library is imported
    parser = build_parser(light=not words or words[0] in ("-h", "--help", "--version"))
    args = parser.parse_args(argv)
    try:
        commands = {"run": _cmd_run, "list": _cmd_list, "extract": _cmd_extract, "nouns": _cmd_nouns,
                    "import-tac": _cmd_import_tac, "batch": _cmd_batch, "compare": _cmd_compare,
                    "final-assign": _cmd_final_assign, "idcl-grid": _cmd_idcl_grid, "calibrate": _cmd_calibrate, "cluster": _cmd_cluster,
                    "ceilings": _cmd_ceilings}
        return commands[args.command](args)
    except LaicError as exc:
        print(f"laic: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("laic: interrupted", file=sys.stderr)
        return 130
    except (MemoryError, RuntimeError) as exc:
        if not _out_of_memory(exc):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"laic: error: out of memory ({first[:200]}); a size you asked for (a dimension, a batch, a "
              "count) needs more memory than this machine has", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like (the results were written first): stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # noqa: BLE001 — what a user's path, file or device causes: one line, never a traceback
        why = _boundary_error(exc)
        if why is None:
            raise
        try:
            print(f"laic: error: {why}", file=sys.stderr)
        except OSError:
            pass
        return 2


def _boundary_error(exc: BaseException) -> str | None:
    """The one line for an error that a path, a file or a device causes (an OS error, a file name or text that is
    not valid UTF-8, an image PIL refuses), or None for anything else (a bug: its traceback is shown)."""
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else None
        if where is None and getattr(exc, "errno", None) is not None and exc.errno in (28, 5):  # ENOSPC, EIO on a stream
            where = "standard output"
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python exits
        text = exc.strerror or str(exc) or type(exc).__name__
        return f"{ascii(str(where))[1:-1] + ': ' if where is not None else ''}{text}"
    if isinstance(exc, UnicodeError):
        bad = getattr(exc, "object", b"")
        shown = ascii(bad[:80]) if isinstance(bad, (str, bytes)) else ""
        return f"a file name or text that is not valid UTF-8 ({exc.reason}): {shown}; rename the file"
    if type(exc).__name__ == "DecompressionBombError":  # PIL: an image with more pixels than it opens
        return f"an image too large to open safely: {one_line(str(exc), limit=300)}"
    return None


if __name__ == "__main__":
    sys.exit(main())
