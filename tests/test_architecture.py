"""The architecture holds: imports point down the layers, parameters are declared once (in the estimators),
the CLI's flags are the estimators' parameters, and every dataset is one specification."""
from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import laicpkg
from laicpkg.cli import build_parser
from laicpkg.features.datasets import DATASETS
from laicpkg.methods.registry import ESTIMATORS, METHODS, parameter_defaults
from laicpkg.run.config import PARAM_INFO, PARAMS

PKG = Path(laicpkg.__file__).parent
#: Layers from the bottom; a module may import from its own layer or any layer below.
LAYERS = ["_version", "utils", "catalog", "core", "features", "methods", "theory", "run", "book", "cli_catalog", "cli"]


def _layer(module: str) -> int:
    return LAYERS.index(module.split(".")[0])


def _imports(path: Path, module: str | None = None) -> list[str]:
    """Every laicpkg module ``path`` imports, at any depth (function-level imports included); ``module`` (dotted,
    inside laicpkg) is where the file sits in the package, by default where ``path`` is."""
    package = (module.split(".") if module else list(path.relative_to(PKG).with_suffix("").parts))[:-1]
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
                target = ".".join(base + ([node.module] if node.module else []))
                if not target:  # `from . import x` at the top
                    out += [a.name for a in node.names]
                else:
                    out.append(target)
            elif node.module and node.module.startswith("laicpkg."):
                out.append(node.module[len("laicpkg."):])
        elif isinstance(node, ast.Import):
            out += [a.name[len("laicpkg."):] for a in node.names if a.name.startswith("laicpkg.")]
    return out


def test_every_import_points_down():
    wrong = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        if rel.parts == ("__init__",):
            continue  # the package face re-exports from every layer
        own = _layer(".".join(rel.parts))
        for target in _imports(path):
            if _layer(target) > own:
                wrong.append(f"{'.'.join(rel.parts)} -> {target}")
    assert not wrong, wrong


def test_the_check_can_fail(tmp_path):
    """A core module that imports the runner is caught (the probe is read as if it sat in laicpkg/core; it is
    written to a temporary folder, never into the package)."""
    bad = tmp_path / "probe.py"
    bad.write_text("from ..run.runner import run\n")
    assert any(_layer(t) > _layer("core.probe") for t in _imports(bad, "core.probe"))
    assert _imports(bad, "core.probe") == ["run.runner"]


def test_no_module_is_named_like_a_data_folder():
    modules = {p.stem for p in PKG.rglob("*.py")}
    folders = {p.name for p in PKG.rglob("*") if p.is_dir() and not (p / "__init__.py").exists()
               and p.name != "__pycache__"}
    assert not modules & folders


# -- parameters ------------------------------------------------------------------------------------------------
def _cli_flags() -> set:
    run = next(a for a in build_parser()._subparsers._group_actions[0].choices.items() if a[0] == "run")[1]
    return {a.dest for a in run._actions if a.option_strings and a.help != "==SUPPRESS=="} & \
        ({a.dest for g in run._action_groups if g.title.startswith("hyper-parameters") for a in g._group_actions})


def test_cli_flags_are_the_estimators_parameters():
    derived = set()
    for m in METHODS.values():
        derived |= set(m.parameters())
    assert _cli_flags() == derived == set(PARAMS) == set(PARAM_INFO)


def test_each_parameter_default_lives_in_a_signature_only():
    """PARAM_INFO holds no defaults; every default is the estimators' (and one per name)."""
    assert all("default" not in info for info in PARAM_INFO.values())
    defaults = parameter_defaults()
    for cls in ESTIMATORS:
        for arg, default in cls.configured().items():
            name = cls.config_name(arg)
            if name in defaults:
                assert defaults[name] == default, (cls.__name__, arg)
    assert PARAMS["erm_epochs"].default == inspect.signature(laicpkg.GradNorm).parameters["erm_epochs"].default


def test_registry_builds_every_method_through_its_class():
    from laicpkg.run.config import resolve_config

    for name, m in METHODS.items():
        dataset = "digits" if name == "idcl" else "synthetic-cifar10"
        cfg = resolve_config(dataset, name)
        model = m.build(cfg.params, 10, 0)
        assert type(model) is m.estimator
        params = model.get_params(deep=False)
        for cfg_name, (cls, arg, _) in m.parameters().items():
            holder = model if cls is m.estimator else model.noun_filter
            assert holder.get_params(deep=False)[arg] == cfg.params[cfg_name], (name, cfg_name)
        assert params.get("random_state", 0) == 0


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_estimators_follow_the_scikit_learn_contract(cls):
    """``__init__`` stores its arguments unchanged; ``clone`` gives an equal, unfitted estimator."""
    from sklearn.base import clone

    est = cls(7)
    params = est.get_params(deep=False)
    assert params["n_clusters"] == 7
    assert set(params) == set(inspect.signature(cls.__init__).parameters) - {"self"}
    twin = clone(est)
    assert twin.get_params(deep=False) == params and twin is not est
    assert not [k for k in vars(twin) if k.endswith("_") and not k.startswith("_")]


def test_no_attribute_forwarding():
    for cls in ESTIMATORS:
        assert "__getattr__" not in vars(cls) and all("__getattr__" not in vars(b) for b in cls.__mro__[1:-1]
                                                      if b.__module__.startswith("laicpkg"))


def test_old_erm_flags_still_work_with_a_warning(capsys):
    args = build_parser().parse_args(["run", "--dataset", "synthetic-cifar10", "--method", "gradnorm",
                                      "--epochs", "3"])
    assert args.erm_epochs == 3 and "deprecated" in capsys.readouterr().err


# -- datasets ------------------------------------------------------------------------------------------------
def test_one_specification_per_dataset():
    """Settings, presets and paper numbers of a dataset are read from its DatasetSpec only."""
    from laicpkg.book.paper import IDCL_DIGITS, PAPER_TABLES
    from laicpkg.run.config import resolve_config

    assert set(PAPER_TABLES) == {n for n, s in DATASETS.items() if s.paper and s.kind == "features"}
    assert IDCL_DIGITS["IDCL"] == (95.3, 91.4)
    cfg = resolve_config("cifar10", "gradnorm", preset="official-code")
    assert cfg.params["n_pseudo_classes"] == 250 and cfg.sources["n_pseudo_classes"] == "preset official-code"
    assert cfg.params["sic_beta"] == 0.1 and cfg.sources["sic_beta"] == "SIC Table 2"
    for s in DATASETS.values():
        for values, source in s.settings:
            assert set(values) <= set(PARAMS) and source
        for preset in s.presets.values():
            assert set(preset) <= set(PARAMS)


def test_adding_a_dataset_is_one_entry(monkeypatch):
    """A new torchvision dataset registered by one DatasetSpec is known everywhere."""
    from laicpkg.features import images
    from laicpkg.features.datasets import DatasetSpec, get_dataset_spec
    from laicpkg.run.config import resolve_config

    spec = DatasetSpec("country211", "Country-211", 211, 31650, 21100, "torchvision Country211",
                       images=images.torchvision_split("Country211", "train", "test"),
                       settings=(({"erm_epochs": 50}, "an example"),), presets={"official-code": {"kappa": 0.01}},
                       paper={"CLIP (k-means)": {"NMI": 1.0, "ACC": 2.0, "ARI": 3.0}})
    monkeypatch.setitem(DATASETS, spec.name, spec)
    assert get_dataset_spec("country211") is spec
    cfg = resolve_config("country211", "gradnorm", preset="official-code")
    assert cfg.params["erm_epochs"] == 50 and cfg.params["kappa"] == 0.01
    from laicpkg.book.paper import paper_table

    assert paper_table("country211").loc["CLIP (k-means)", "ACC"] == 2.0


def test_repository_is_self_contained():
    """No code, notebook or book page points to the design notes or the papers' text files."""
    root = PKG.parent
    pattern = re.compile(r"DESIGN\.md|shared/papers|papers/.*\.txt|tac_training_free")
    hits = []
    for path in [*root.glob("laicpkg/**/*.py"), *root.glob("notebooks/*.py"), *root.glob("book/*.md"),
                 root / "README.md", *root.glob("scripts/*"), *root.glob("benchmarks/*.py")]:
        if path.is_file() and pattern.search(path.read_text(errors="ignore")):
            hits.append(str(path.relative_to(root)))
    assert not hits, hits


def _graph(prefixes) -> dict:
    """Which of the modules named by ``prefixes`` import which (any depth, function-level imports included); a
    package's ``__init__`` (its re-exporting face) is left out."""
    graph = {}
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG).with_suffix("")
        name = ".".join(rel.parts)
        if rel.parts[-1] == "__init__" or not name.startswith(prefixes):
            continue
        graph[name] = {t for t in _imports(path) if t.startswith(prefixes) and t != name}
    return graph


def _cycle(graph: dict):
    """A cycle of ``graph`` as a list of modules, or None."""
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "open":
                return path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
            if nxt not in state:
                found = visit(nxt, path + [nxt])
                if found:
                    return found
        state[node] = "done"
        return None

    for node in graph:
        if node not in state:
            found = visit(node, [node])
            if found:
                return found
    return None


def test_no_import_circle_between_datasets_twins_and_geometry():
    graph = _graph(("features.datasets", "features.geometry", "features.twins"))
    assert {"features.twins.spec", "features.twins.recipes", "features.twins.calibration"} <= set(graph)
    assert _cycle(graph) is None, _cycle(graph)
    assert not {t for t in graph["features.geometry"] if t.startswith(("features.twins", "features.datasets"))}
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]  # the check can fail


def test_the_twins_read_no_environment_variable_at_import():
    """LAIC_TWIN_MODEL is read when a twin is asked for: a bad value fails then, with its name, not at import."""
    import os
    import subprocess
    import sys

    code = ("import laicpkg.features.datasets, laicpkg.features.twins as t\n"
            "try:\n    t.get_twin('twin-cifar10')\nexcept Exception as e:\n    print('ERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "LAIC_TWIN_MODEL": "bogus"})
    assert out.returncode == 0, out.stderr
    assert "ERR" in out.stdout and "LAIC_TWIN_MODEL" in out.stdout


def _string_literals(path: Path) -> list[str]:
    """Every string constant of ``path`` that is not a docstring."""
    tree = ast.parse(path.read_text())
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def test_no_algorithm_module_names_a_dataset():
    """The algorithms (core, methods) know no dataset: a dataset's facts live in its specification."""
    from laicpkg.features.twins import twin_specs

    names = set(DATASETS) | set(twin_specs("clip"))
    found = [f"{p.relative_to(PKG)}: {s!r}" for layer in ("core", "methods") for p in (PKG / layer).rglob("*.py")
             for s in _string_literals(p) if any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", s) for n in names)]
    assert not found, found


def _foreign_imports(path: Path) -> list[str]:
    """The modules ``path`` imports that are neither the standard library nor laicpkg's catalog or utils."""
    import sys

    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            names = _imports(path, "catalog." + path.stem)
            out += [n for n in names if n.split(".")[0] not in ("catalog", "utils")]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            out += [m for m in mods if m.split(".")[0] not in sys.stdlib_module_names
                    and m.split(".")[0] != "__future__" and not m.startswith(("laicpkg.catalog", "laicpkg.utils"))]
    return sorted(set(out))


def test_the_catalog_is_plain_data():
    """The catalog imports nothing but the standard library and its own modules (no array, no loader), every
    dataset's images are a named loader the registry resolves, and the papers' numbers live in it only: no other
    module holds three or more of GradNorm's table values as literals."""
    from laicpkg.catalog.papers import GRADNORM_TABLES
    from laicpkg.catalog.spec import Loader
    from laicpkg.features.datasets import image_loader

    assert not {str(p.relative_to(PKG)): _foreign_imports(p) for p in (PKG / "catalog").glob("*.py")
                if _foreign_imports(p)}
    for spec in DATASETS.values():
        assert spec.images is None or isinstance(spec.images, Loader), spec.name
        assert spec.images is None or callable(image_loader(spec)), spec.name
    values = {v for table in GRADNORM_TABLES.values() for row in table.values() for v in row.values() if v > 30}
    holders = {}
    for p in PKG.rglob("*.py"):
        if "catalog" in p.parts:
            continue
        found = {n.value for n in ast.walk(ast.parse(p.read_text()))
                 if isinstance(n, ast.Constant) and isinstance(n.value, float) and n.value in values}
        if len(found) >= 3:
            holders[str(p.relative_to(PKG))] = sorted(found)
    assert not holders, holders


def _local_imports(path: Path) -> list[int]:
    """The lines of ``path`` where a function imports from laicpkg (a relative import)."""
    return [n.lineno for f in ast.walk(ast.parse(path.read_text()))
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
            for n in ast.walk(f) if isinstance(n, ast.ImportFrom) and n.level]


def test_function_local_imports_only_where_start_up_asks():
    """Modules import each other at the top, so the import graph shows who depends on whom; only the modules on
    the command line's start-up path import inside functions, and each says why once, in a comment above its
    first function."""
    allowed = {"cli.py", "cli_catalog.py", "run/cluster.py"}
    found = {str(p.relative_to(PKG)): _local_imports(p) for p in PKG.rglob("*.py")}
    assert not {f: lines for f, lines in found.items() if lines and f not in allowed}
    for f in allowed:
        head = (PKG / f).read_text().split("\ndef ")[0]
        assert any(line.startswith("#") and "import" in line for line in head.splitlines()), f


def test_the_catalog_rules_can_fail(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("import numpy as np\nfrom ..features import images\nfrom .spec import Loader\n")
    assert _foreign_imports(probe) == ["features", "numpy"]
    probe.write_text("def f():\n    from .spec import Loader\n    import numpy\n")
    assert _local_imports(probe) == [2]


def test_the_dataset_rule_can_fail(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text('"""Docstrings may say cifar10."""\nSETTINGS = {"cifar10": 1}\n')
    assert _string_literals(probe) == ["cifar10"]
