"""Helpers shared by the tests that tie the book's equations to code.

Independent of tinynet on purpose: a finite difference written here checks
the package instead of trusting it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

EQUATION_LABEL = re.compile(r"\$\$[ \t]*\((eq-[A-Za-z0-9-]+)\)")


def equation_labels(page: Path) -> set[str]:
    """Labels of the ``$$ ... $$ (label)`` equations of a notebook's markdown
    cells or of a Markdown page."""
    text = page.read_text(encoding="utf-8")
    if page.suffix == ".ipynb":
        text = "\n".join(
            "".join(cell["source"])
            for cell in json.loads(text)["cells"]
            if cell["cell_type"] == "markdown"
        )
    return set(EQUATION_LABEL.findall(text))


def assert_equation_label(page: Path, label: str) -> None:
    """Fail unless ``label`` is a numbered equation's label in ``page``."""
    assert label in equation_labels(page), (
        f"{label} is not an equation label ($$ ... $$ ({label})) in {page}"
    )


def fd_gradient(f, w: np.ndarray, eps: float) -> np.ndarray:
    """Centered-difference gradient of the scalar f at every entry of w."""
    w = np.array(w, dtype=np.float64)
    grad = np.zeros_like(w)
    for index in np.ndindex(w.shape):
        old = w[index]
        w[index] = old + eps
        f_plus = f(w)
        w[index] = old - eps
        f_minus = f(w)
        w[index] = old
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad
