# The two commands of the README: `make book` and `make test`. Both create the
# virtual environment in .venv on first use (torch installs from local disk on
# the project machines; elsewhere pip downloads it).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: env test test-fast bench book clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

env: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

bench: $(STAMP)
	$(PY) benchmarks/bench_gradnorm.py

clean:
	rm -rf $(VENV) _build runs
