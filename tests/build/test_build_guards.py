"""The build's guards, tested on throwaway copies of the book.

- A committed notebook carries no outputs and no execution counts.
- A cell that raises makes `make book` exit non-zero (and the same book
  without that cell builds).
- Editing a function in code/tinynet and running `make book` again changes
  the published page: no stale outputs from the execution cache.

The throwaway copies run the repository's own Makefile and _config.yml with
the project's virtual environment, so they test the real build command.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from booksite import ROOT

VENV = ROOT / ".venv"


def _notebook(*sources: str) -> dict:
    return {
        "cells": [
            {"cell_type": "markdown", "id": "title", "metadata": {}, "source": "# Probe"}
        ]
        + [
            {"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
             "outputs": [], "source": textwrap.dedent(src).strip()}
            for i, src in enumerate(sources)
        ],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"},
                     "language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _throwaway_book(tmp_path: Path, *cells: str) -> Path:
    """A copy of the build machinery with one probe notebook as its only chapter."""
    book = tmp_path / "book-copy"
    book.mkdir(parents=True)
    for name in ("Makefile", "_config.yml", "requirements.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, book / name)
    shutil.copytree(ROOT / "code", book / "code",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copytree(ROOT / "book", book / "book",
                    ignore=shutil.ignore_patterns("*.ipynb", "*.md", ".ipynb_checkpoints"))
    (book / "book" / "index.md").write_text("# Throwaway book\n\nA probe of the build.\n")
    (book / "book" / "probe.ipynb").write_text(json.dumps(_notebook(*cells)))
    (book / "_toc.yml").write_text(
        "format: jb-book\nroot: book/index\nchapters:\n  - file: book/probe\n"
    )
    return book


def _make_book(book: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    # The copy's tinynet, not the repository's editable install, is imported.
    env["PYTHONPATH"] = str(book / "code")
    return subprocess.run(
        ["make", "-C", str(book), "book", f"VENV={VENV}"],
        capture_output=True, text=True, env=env, timeout=600,
    )


def test_committed_notebooks_have_no_outputs():
    notebooks = sorted((ROOT / "book").rglob("*.ipynb"))
    assert notebooks, "no notebooks found in book/"
    dirty = []
    for path in notebooks:
        if ".ipynb_checkpoints" in path.parts:
            continue
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code" and (cell.get("outputs") or cell.get("execution_count")):
                dirty.append(path.relative_to(ROOT).as_posix())
                break
    assert not dirty, f"notebooks committed with outputs or execution counts: {dirty}"


def test_a_raising_cell_fails_the_build(tmp_path):
    good = _make_book(_throwaway_book(tmp_path / "good", "print(1 + 1)"))
    assert good.returncode == 0, f"the control book does not build:\n{good.stdout[-3000:]}\n{good.stderr[-3000:]}"

    bad = _make_book(_throwaway_book(tmp_path / "bad", "print(1 + 1)",
                                     "raise RuntimeError('deliberate failure in a cell')"))
    output = bad.stdout + bad.stderr
    assert bad.returncode != 0, "a notebook cell raised, yet `make book` succeeded"
    assert "deliberate failure in a cell" in output


def test_editing_tinynet_changes_the_site(tmp_path):
    book = _throwaway_book(
        tmp_path,
        "import numpy as np\nfrom tinynet import relu\nprint('relu gives', relu(np.array([-1.0, 2.0])).sum())",
    )
    page = book / "_build" / "html" / "book" / "probe.html"

    first = _make_book(book)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert "relu gives 2.0" in page.read_text()

    source = book / "code" / "tinynet" / "kernels.py"  # relu's one home
    text = source.read_text()
    assert "return np.maximum(a, 0.0)" in text
    source.write_text(text.replace("return np.maximum(a, 0.0)", "return np.maximum(a, 0.0) + 20.0"))

    second = _make_book(book)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    html = page.read_text()
    assert "relu gives 42.0" in html, "the page still shows the output of the old tinynet"
    assert "relu gives 2.0" not in html
