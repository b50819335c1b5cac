"""Every notebooks/*.py (jupytext percent) and its .ipynb hold the same cells, and the .ipynb is executed."""
from pathlib import Path

import pytest

NOTEBOOKS = sorted(Path(__file__).resolve().parents[1].joinpath("notebooks").glob("*.py"))


@pytest.mark.parametrize("py", NOTEBOOKS, ids=lambda p: p.stem)
def test_pair_in_sync_and_executed(py):
    import jupytext
    import nbformat

    ipynb = py.with_suffix(".ipynb")
    assert ipynb.is_file(), f"{ipynb.name} missing: run `make notebooks`"
    a = jupytext.read(py)
    b = nbformat.read(ipynb, as_version=4)
    src_a = [(c.cell_type, c.source.strip()) for c in a.cells]
    src_b = [(c.cell_type, c.source.strip()) for c in b.cells]
    assert src_a == src_b, f"{py.name} and {ipynb.name} have drifted apart: run `make notebooks`"
    code = [c for c in b.cells if c.cell_type == "code"]
    assert code and all(c.get("execution_count") for c in code), f"{ipynb.name} is not executed"
    assert b.metadata.get("kernelspec", {}).get("name") == "python3"
    errors = [o for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{ipynb.name} has error outputs"
