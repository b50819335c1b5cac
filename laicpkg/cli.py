"""The ``laic`` command line.

``laic run --dataset synthetic-dogs --method gradnorm`` runs one method on one
dataset, prints a small results table and writes a run record JSON.
``laic list`` shows datasets, methods and parameters.

Bad input never ends in a traceback: every :class:`~laicpkg.errors.LaicError`
becomes one line ``laic: error: …`` and exit status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import LaicError

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog.split()[0]} --help)\n")


def _add_params(p: argparse.ArgumentParser) -> None:
    from .config import PARAMS

    g = p.add_argument_group("hyper-parameters (default: the paper's; see `laic list`)")
    for name, spec in PARAMS.items():
        flag = "--" + name.replace("_", "-")
        if spec.type is bool:
            g.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=spec.help)
        else:
            g.add_argument(flag, dest=name, type=spec.type, default=None, metavar=spec.type.__name__.upper(),
                           help=f"{spec.help} [default: {spec.default}]")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="laic", description="Language-assisted image clustering: GradNorm, TAC, SIC, IDCL.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run one method on one dataset")
    r.add_argument("--dataset", required=True, help="synthetic preset or real dataset name (see `laic list`)")
    r.add_argument("--method", required=True, help="method name (see `laic list`)")
    r.add_argument("--seed", type=int, default=0, help="seed of the method (k-means, ERM) [0]")
    r.add_argument("--data-seed", type=int, default=0, help="seed of the synthetic generator [0]")
    r.add_argument("--preset", default="paper", help="parameter preset: paper (default) or official-code")
    r.add_argument("--features", default=None, metavar="DIR", help="feature cache folder (from `laic extract`)")
    r.add_argument("--model", default="ViT-B-32", help="CLIP model of the cached features [ViT-B-32]")
    r.add_argument("--pretrained", default="openai", help="pretrained tag of the cached features [openai]")
    r.add_argument("--nouns", default="wordnet", help="noun list of the cached text features [wordnet]")
    r.add_argument("--prompts", default="ensemble7", help="prompt set of the cached text features [ensemble7]")
    r.add_argument("--out", default=None, metavar="PATH",
                   help="run record path [runs/<dataset>/<method>-seed<seed>.json]")
    r.add_argument("--json", action="store_true", help="print the whole record as JSON instead of a table")
    _add_params(r)

    sub.add_parser("list", help="list datasets, methods and parameters")
    return parser


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
    t = record["timings_s"]
    lines.append("  seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in t.items()))
    return "\n".join(lines)


def _cmd_run(args) -> int:
    from .config import PARAMS, resolve_config
    from .datasets import get_dataset_spec
    from .methods import get_method
    from .runner import run, write_record

    get_dataset_spec(args.dataset)
    get_method(args.method)
    overrides = {k: getattr(args, k) for k in PARAMS}
    cfg = resolve_config(args.dataset, args.method, overrides=overrides, preset=args.preset, seed=args.seed,
                         data_seed=args.data_seed, features=args.features, model=args.model,
                         pretrained=args.pretrained, nouns=args.nouns, prompts=args.prompts)
    result = run(cfg)
    out = Path(args.out) if args.out else Path("runs") / args.dataset / f"{args.method}-seed{args.seed}.json"
    write_record(result.record, out)
    print(json.dumps(result.record, indent=2) if args.json else _fmt_table(result.record))
    print(f"record: {out}")
    return 0


def _cmd_list(_args) -> int:
    from .config import PARAMS
    from .datasets import DATASETS
    from .methods import METHODS

    print("datasets:")
    for d in DATASETS.values():
        sizes = f"{d.n_train}/{d.n_test}" if d.n_train else "-"
        print(f"  {d.name:<20} K={d.n_classes:<5} train/test {sizes:<16} {d.source}")
    print("methods:")
    for m in METHODS.values():
        print(f"  {m.name:<20} {m.description}")
    print("parameters:")
    for p in PARAMS.values():
        print(f"  --{p.name.replace('_', '-'):<24} {str(p.default):<10} {p.help} ({p.source})")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return {"run": _cmd_run, "list": _cmd_list}[args.command](args)
    except LaicError as exc:
        print(f"laic: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("laic: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
