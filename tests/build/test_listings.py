"""The book shows the package's code by name, never by line numbers.

Every ``literalinclude`` of ``code/`` names a public object with
``:pyobject:`` and uses no line-based option, so that editing a docstring can
never change what a listing shows; ``:no-docstring:`` (the book's extension)
leaves a docstring out by parsing the source.
"""

from __future__ import annotations

import ast
import json
import re

import pytest

from booksite import ROOT
from tinynet_book import docstring_lines

LINE_OPTIONS = (":lines:", ":start-at:", ":start-after:", ":end-at:", ":end-before:", ":dedent:")
DIRECTIVE = re.compile(r"```\{literalinclude\}\s+(\S+)\n((?::[^\n]*\n)*)")


def _page_sources():
    for page in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(page.read_text(encoding="utf-8"))["cells"]
        yield page, "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for page in sorted((ROOT / "book").glob("*.md")):
        yield page, page.read_text(encoding="utf-8")


def _listings():
    found = []
    for page, text in _page_sources():
        for target, options in DIRECTIVE.findall(text + "\n"):
            found.append((page.name, target, options))
    return found


LISTINGS = _listings()


def test_the_book_has_listings_of_the_package():
    assert sum("code/tinynet" in target for _, target, _ in LISTINGS) >= 30


@pytest.mark.parametrize(("page", "target", "options"), LISTINGS, ids=lambda v: str(v)[:40])
def test_listing_is_a_public_object_by_name(page, target, options):
    assert "code/tinynet/" in target, f"{page}: a listing of {target}, outside the package"
    for option in LINE_OPTIONS:
        assert option not in options, f"{page}: {target} uses {option}; name the object instead"
    match = re.search(r":pyobject:\s*(\S+)", options)
    assert match, f"{page}: {target} is shown without :pyobject:"
    name = match.group(1)
    assert not any(part.startswith("_") for part in name.split(".")), (
        f"{page}: the listing shows the private {name}; the book teaches what a reader can import"
    )
    source = (ROOT / "book" / target).resolve().read_text(encoding="utf-8")
    if ":no-docstring:" in options:
        docstring_lines(source, name)  # raises if there is no such object or no docstring


SAMPLE = '''
import numpy as np


def plain(a):
    """One line."""
    return a


def long(a,
         b):
    """First line.

    More.
    """
    c = a + b
    return c


class Box:
    """A box."""

    def method(self):
        """Its method."""
        return 1
'''


@pytest.mark.parametrize(
    ("name", "expected"),
    [("plain", (2, 2, 3)), ("long", (3, 6, 8)), ("Box.method", (2, 2, 3)), ("Box", (2, 2, 6))],
)
def test_docstring_lines_are_relative_to_the_object(name, expected):
    assert docstring_lines(SAMPLE, name) == expected
    first, last, length = expected
    lines = SAMPLE.splitlines()
    tree = ast.parse(SAMPLE)
    node = tree
    for part in name.split("."):
        node = next(n for n in ast.iter_child_nodes(node) if getattr(n, "name", None) == part)
    start = node.lineno - 1
    assert lines[start + first - 1].strip().startswith('"""')
    assert lines[start + last - 1].strip().endswith('"""')
    assert start + length == node.end_lineno


def test_docstring_lines_refuses_what_it_cannot_show():
    from sphinx.errors import ExtensionError

    with pytest.raises(ExtensionError, match="no function or class 'missing'"):
        docstring_lines(SAMPLE, "missing")
    with pytest.raises(ExtensionError, match="'bare' has no docstring"):
        docstring_lines("def bare():\n    return 1\n", "bare")


def test_no_docstring_listing_in_the_built_site_has_no_docstring(html_dir):
    page = (html_dir / "book" / "07-dynamics.html").read_text(encoding="utf-8")
    start = page.index("w2_block_curvature</span><span class=\"p\">(")
    block = page[start:page.index("</pre>", start)]
    assert "&quot;&quot;&quot;" not in block and '"""' not in block
    assert "eigvalsh" in block
