"""Write book/released-labels.txt from the built site: `make labels`.

Run it when releasing a version. Every explicit label of a section, chapter,
figure, exercise or equation in the built book is listed; from then on
tests/publishing checks that each one still resolves, so a citation of
"Section 4.3" or "Equation (4.7)" keeps landing on the same text.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sphinx.util.inventory import InventoryFile

ROOT = Path(__file__).resolve().parents[1]
SPHINX_OWN = {"genindex", "modindex", "py-modindex", "search"}


def equation_anchors(html: Path) -> dict[str, str]:
    """Equation label -> page, from the anchors Sphinx writes (id="equation-LABEL").

    Numbered equations are not in objects.inv, so they are read from the HTML.
    """
    found = {}
    for page in sorted(html.rglob("*.html")):
        if "_static" in page.parts:
            continue
        for label in re.findall(r'id="equation-([^"]+)"', page.read_text(encoding="utf-8")):
            found[label] = page.relative_to(html).as_posix()
    return found


def built_labels(html: Path) -> list[str]:
    with open(html / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", lambda base, uri: uri)
    labels = set(inventory.get("std:label", {})) | set(equation_anchors(html))
    return sorted(labels - SPHINX_OWN)


def main() -> int:
    html = ROOT / "_build" / "html"
    if not (html / "objects.inv").is_file():
        print("build the book first: make book", file=sys.stderr)
        return 1
    labels = built_labels(html)
    target = ROOT / "book" / "released-labels.txt"
    header = (
        "# Labels of released versions: each must keep resolving in the built site\n"
        "# (tests/publishing/test_publishing.py). Add with `make labels` when releasing;\n"
        "# never remove one.\n"
    )
    old = set()
    if target.exists():
        old = {l.strip() for l in target.read_text().splitlines() if l.strip() and not l.startswith("#")}
    target.write_text(header + "\n".join(sorted(old | set(labels))) + "\n")
    print(f"{len(old | set(labels))} labels in {target.relative_to(ROOT)} ({len(set(labels) - old)} new)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
