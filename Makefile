# The two commands of the README: `make book` and `make test`. Both create the
# virtual environment in .venv on first use from the lock file (exact versions of every package;
# torch installs from local disk on the project machines; elsewhere pip downloads it).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LOCK := requirements/lock.txt

.PHONY: gpu-check env lock test test-fast bench book clean wordnet notebooks browser-check browser-deps html compare contact-sheet \
	idcl-digits final-assign twins-geometry twins-geometry-clip twins-real compare-real

# WordNet 3.0 database for the noun-list regeneration test: the system's, or
# Debian's wordnet-base unpacked into .cache (no root needed to unpack).
WORDNET_DIR ?= $(if $(wildcard /usr/share/wordnet/data.noun),/usr/share/wordnet,$(CURDIR)/.cache/wordnet-base/usr/share/wordnet)

# FAISS_GPU=faiss-gpu-cu12 installs that GPU build of faiss instead of the lock's faiss-cpu; an environment that has
# a faiss-gpu* wheel already keeps it (scripts/install_lock.py says so in one line).
FAISS_GPU ?=

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(PY) scripts/install_lock.py $(LOCK) $(if $(FAISS_GPU),--faiss-gpu $(FAISS_GPU),)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

# The environment of the lock file: the exact set that executed the committed notebooks and records.
env: $(STAMP)

# Regenerate the lock file: resolve pyproject.toml's ranges (extras dev and book) in a fresh
# environment and freeze it. Commit the result together with re-executed notebooks and records.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[dev,book]"
	{ echo "# Exact versions of every package of the project's environment (Python $$(.lock-venv/bin/python -c 'import platform; print(platform.python_version())'), $$(uname -s) $$(uname -m)):"; \
	  echo "# the set that executed the committed notebooks and run records. \`make env\` installs from it;"; \
	  echo "# \`make lock\` regenerates it from the ranges in pyproject.toml (extras dev and book)."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > $(LOCK).tmp
	mv $(LOCK).tmp $(LOCK)
	rm -rf .lock-venv
	@echo "wrote $(LOCK)"

$(CURDIR)/.cache/wordnet-base/usr/share/wordnet/data.noun:
	mkdir -p .cache/wordnet-base
	cd .cache/wordnet-base && (apt-get download wordnet-base || (apt-get update -qq && apt-get download wordnet-base))
	cd .cache/wordnet-base && dpkg -x wordnet-base_*.deb .
	test -f $@

wordnet: $(WORDNET_DIR)/data.noun

# Unit tests, then nbval: the committed notebooks are re-executed; cells tagged nbval-check-output
# (mathematically determined outputs) are compared exactly, the others check their numbers against
# committed references within stated tolerances (laicpkg.book.checks) and must run without error.
# nbval runs twice: with the default thread count and with one thread (what another CPU's arithmetic does to
# k-means and training must stay inside every check's tolerance).
test: $(STAMP) wordnet
	LAIC_WORDNET_DIR=$(WORDNET_DIR) $(PY) -m pytest
	$(PY) -m pytest --nbval-lax notebooks -p no:cacheprovider
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest --nbval-lax notebooks -p no:cacheprovider
	$(MAKE) browser-check

# Debian's chromium and its driver for the browser check (installed when missing; needs root or sudo).
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
browser-deps:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || \
	  ( $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null || \
	    ( $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null ) )

# Build the HTML book from the committed executed notebooks and results (no batch run); the results page is
# rewritten from the committed run records first (it only reads them).
html: $(STAMP)
	$(PY) -c "from laicpkg.book.batch import write_summary; write_summary('book/results/records', 'book/results/summary.md')"
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/jupyter-book build . -W -n --keep-going

# Real-browser check: headless chromium loads the built book, checks MathJax, figures and links,
# and writes _build/html/browser-check.png and browser-check.json.
browser-check: html browser-deps contact-sheet
	$(PY) scripts/browser_check.py _build/html --contact-sheet _build/contact-sheet

# `laic cluster` on generated images with a random tiny open_clip model (offline): the contact sheet the
# browser check opens.
contact-sheet: $(STAMP)
	rm -rf _build/demo-photos _build/contact-sheet
	$(PY) scripts/demo_photos.py _build/demo-photos --per-group 40
	$(VENV)/bin/laic cluster _build/demo-photos --n-clusters 3 --out _build/contact-sheet --model laic-tiny \
	  --pretrained none --device cpu --nouns _build/demo-photos.nouns.txt --prompts photo

# On a machine with a CUDA GPU: extraction, faiss k-means, GradNorm and the trained methods on the GPU against the
# CPU, within the tolerances stated in the script (under 8 minutes); writes _build/gpu-check.json.
gpu-check: $(STAMP)
	$(PY) scripts/gpu_check.py --device cuda --out _build/gpu-check.json

test-fast: $(STAMP)
	$(PY) -m pytest -m "not slow"

# Re-sync every notebooks/*.py (the reviewed source) into its .ipynb and execute it in place; the
# checks in the notebooks (re)write their references in book/results/reference/ as they run.
notebooks: $(STAMP)
	for f in notebooks/*.py; do LAIC_WRITE_REFERENCE=1 $(VENV)/bin/jupytext --to ipynb --set-kernel python3 --execute "$$f" || exit 1; done

bench: $(STAMP)
	$(PY) benchmarks/bench_gradnorm.py

# The main job: run the default batch (papermill: the pipeline page on the seven twins) and build the HTML book.
book: $(STAMP)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/laic batch
	$(MAKE) html
	@echo "The book is at $(CURDIR)/_build/html/index.html"

# The whole methods on the seven default twins (9 methods x 7 twins x 3 seeds; the comparison chapter and
# the paper-vs-twin chapter read these records; --workers N spreads them); five seeds of GradNorm, TAC and CLIP
# k-means (the paired answer of the landing page); TAC's filter at GradNorm's C; GradNorm and TAC with their
# authors' settings (preset official-code). Records already written are kept.
compare: $(STAMP)
	$(VENV)/bin/laic compare
	$(VENV)/bin/laic compare --methods kmeans,tac,gradnorm --seeds 5
	$(VENV)/bin/laic compare --methods tac-equal-c,tac-filter-equal-c
	$(VENV)/bin/laic compare --preset official-code --methods gradnorm,tac --records-dir book/results/comparison-official/records

# CLIP's geometry of the tree model's twins beside real CLIP's, data seed 0 (the twins chapter reads the table).
TWINS7 := twin-cifar10,twin-cifar20,twin-stl10,twin-imagenet10,twin-imagenet-dogs,twin-dtd,twin-ucf101
# The twins whose every class name has a real CLIP text (the real-text model draws them).
REALTEXT4 := twin-cifar10,twin-stl10,twin-imagenet10,twin-imagenet-dogs
twins-geometry: $(STAMP)
	LAIC_TWIN_MODEL=tree $(VENV)/bin/laic calibrate --check --dataset $(TWINS7) --seeds 1 --geometry-out book/results/twins_geometry.csv

# The same for the clip model's twins (the default), mean over three data seeds.
twins-geometry-clip: $(STAMP)
	LAIC_TWIN_MODEL=clip $(VENV)/bin/laic calibrate --check --dataset $(TWINS7) --seeds 3 \
	  --geometry-out book/results/twins_geometry_clip.csv

# The real-text twins (real CLIP texts, images drawn around them): calibration check and geometry, and beside
# the clip twins the real CIFAR-10 table and Stage 2's ceilings, three data seeds (rows already written are kept);
# with the completed pool on all seven twins; and for the clip and completed-pool twins, k-means' objective on
# [e; v] of Stage 2 fed the class names (the partition found, zero-shot's, the true classes'); for the completed-pool
# twins, Stage 2 from k-means++ starts beside the reference's random ones.
twins-real: $(STAMP)
	LAIC_TWIN_MODEL=real $(VENV)/bin/laic calibrate --check --dataset $(TWINS7) --seeds 3 \
	  --geometry-out book/results/twins_geometry_real.csv --real-table-out book/results/twins_real_table.csv \
	  --ceilings-out book/results/twins_ceilings.csv
	LAIC_TWIN_MODEL=clip $(VENV)/bin/laic calibrate --check --dataset $(TWINS7) --seeds 3 \
	  --real-table-out book/results/twins_real_table.csv --ceilings-out book/results/twins_ceilings.csv \
	  --objectives-out book/results/twins_objectives.csv
	LAIC_TWIN_MODEL=real-completed $(VENV)/bin/laic calibrate --check --dataset $(TWINS7) --seeds 3 \
	  --ceilings-out book/results/twins_ceilings.csv --objectives-out book/results/twins_objectives.csv \
	  --seeding-out book/results/twins_seeding.csv

# The comparison on the real-text twins with both noun pools: the four with real class texts and the real texts
# alone, and all seven completed to WordNet's 82,115 nouns (CIFAR-20, DTD and UCF-101 with the completed pool's class
# texts; one record per run; runs already recorded are skipped).
compare-real: $(STAMP)
	LAIC_TWIN_MODEL=real $(VENV)/bin/laic compare --datasets $(REALTEXT4) \
	  --records-dir book/results/comparison-real/records
	LAIC_TWIN_MODEL=real-completed $(VENV)/bin/laic compare --datasets $(TWINS7) \
	  --methods kmeans,zeroshot,tac,gradnorm --records-dir book/results/comparison-real-completed/records

# IDCL's variants on DIGITS (laic list shows them), five seeds, two runs at a time with one thread each; the
# records already written are kept.
idcl-digits: $(STAMP)
	OMP_NUM_THREADS=1 $(VENV)/bin/laic idcl-grid --workers 2 --threads 1

# Density cores as LaIC's final step (the IDCL chapter reads book/results/idcl/final_assign.csv).
final-assign: $(STAMP)
	$(VENV)/bin/laic final-assign

clean:
	rm -rf $(VENV) _build runs
