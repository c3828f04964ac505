# Training a Simple Neural Network in NumPy: build, test and benchmark.
#   make book   build the site into _build/html (creates .venv first)
#   make test   build the site, then run every test (package, notebooks, site, browser)
#   make bench  benchmarks of the training loop and the build
#   make labels record the built book's labels as released (when releasing)
#   make clean  remove _build (keeps the virtual environments)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.requirements-installed
PKG    := $(VENV)/.tinynet-installed
TOOLS  := .venv-tools
BUILD  := _build
# The execution cache only sees a notebook's own cells, and Sphinx rewrites
# only the pages whose sources changed. Everything else the pages depend on
# (tinynet, the book's Sphinx extension, the pins) goes into this
# fingerprint; when it changes, `make book` drops the cache and Sphinx's
# environment, so no page can show outputs of an older tinynet.
FINGERPRINT_FILES := $(sort $(wildcard code/tinynet/*.py book/_ext/*.py)) requirements.txt pyproject.toml

.PHONY: all book test bench clean venv labels

all: book

venv: $(PKG)

# (Re)create the virtual environment whenever requirements.txt changes.
$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed, found " + sys.version.split()[0]'
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

# Reinstall tinynet (editable, so code/ edits need nothing) when its metadata,
# such as the version, changes.
$(PKG): $(STAMP) pyproject.toml
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(PKG)

book: $(PKG)
	@mkdir -p $(BUILD)
	@new=$$(sha256sum $(FINGERPRINT_FILES) | sha256sum | cut -d" " -f1); \
	 old=$$(cat $(BUILD)/.fingerprint 2>/dev/null); \
	 if [ "$$new" != "$$old" ]; then \
	   echo "tinynet or the pinned packages changed: executing every notebook afresh"; \
	   rm -rf $(BUILD)/.jupyter_cache $(BUILD)/.doctrees $(BUILD)/html $(BUILD)/jupyter_execute; \
	 fi; \
	 $(VENV)/bin/jupyter-book build . --warningiserror --nitpick --keep-going \
	   && echo "$$new" > $(BUILD)/.fingerprint

# Tools for the publishing tests (cffconvert, repo2docker), kept apart from
# the book's environment because their pins conflict with it.
$(TOOLS)/.installed: tests/tools-requirements.txt
	rm -rf $(TOOLS)
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet -r tests/tools-requirements.txt
	touch $@

test: book $(TOOLS)/.installed
	$(PY) -m pytest

bench: $(PKG)
	$(PY) tests/bench/run_bench.py

# When releasing a version: add every label of the built book to the list of
# released labels, which the tests then keep resolving.
labels: book
	$(PY) book/_ext/release_labels.py

clean:
	rm -rf $(BUILD)
