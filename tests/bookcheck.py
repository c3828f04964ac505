"""The equation labels of the book's pages, for the tests that tie equations to code.

The independent implementations those tests compare against live in
``tests/reference.py``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

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


def reduced_problem(seed):
    """The post's problem for ``seed`` with its inputs reduced exactly
    (``tinynet.diagnostics.reduce_inputs``, chapter 7's ``eq-reduced``):
    ``(x, y, w1, w2)`` with ``x`` of shape (N, N)."""
    from tinynet import original_problem
    from tinynet.diagnostics import reduce_inputs

    x, y, w1, w2 = original_problem(seed)
    r = reduce_inputs(x, w1)
    return r.x, y, r.w1, w2
