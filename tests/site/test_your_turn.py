"""The "Your turn" sections and the sections tinynet.selfcheck points to.

Every core chapter that derives something has a "Your turn" section whose
executed output is the checker's real report on a realistic first attempt:
a FAIL that names the mistake. Every section a diagnosis refers to is, in
the built book, the number and title that tinynet.selfcheck prints.
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from sphinx.util.inventory import InventoryFile

from tinynet import selfcheck

#: Chapter page -> (label of its "Your turn" section, the check it runs,
#: words the report of the first attempt must contain).
YOUR_TURN = {
    "01-relu": ("relu-your-turn", "relu_backward", "exactly 0"),
    "03-forward": ("forward-your-turn", "forward", "np.max(a, 0) reduces"),
    "04-backward": ("backward-your-turn", "grad_w2", "the transpose of the right one"),
    "06-training": ("training-your-turn", "train", "changed the caller"),
}


def _soup(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.mark.parametrize("page", sorted(YOUR_TURN))
def test_your_turn_shows_the_checkers_diagnosis(html_dir, page):
    label, name, words = YOUR_TURN[page]
    soup = _soup(html_dir / "book" / f"{page}.html")
    anchor = soup.find(id=label)
    assert anchor is not None, f"{page} has no section {label}"
    section = anchor.find_parent("section") or anchor.parent
    reports = section.select("div.tinynet-selfcheck")
    assert len(reports) == 1, f"{page}: expected one selfcheck report in {label}"
    text = " ".join(reports[0].get_text(" ", strip=True).split())
    assert re.match(rf"FAIL {name} ?:", text), text
    assert words in text, text
    link = reports[0].find("a")
    assert link is not None and link["href"].startswith(selfcheck.BOOK_URL)


def test_every_section_selfcheck_names_is_that_section_of_the_book(html_dir):
    with open(html_dir / "objects.inv", "rb") as f:
        labels = InventoryFile.load(f, "", lambda base, uri: uri)["std:label"]
    wrong = []
    for label, (number, title, page) in selfcheck.SECTIONS.items():
        entry = labels[label]
        uri = entry[2] if isinstance(entry, tuple) else entry.uri
        path, _, anchor = uri.partition("#")
        if path != page:
            wrong.append(f"{label}: on {path}, not {page}")
            continue
        heading = _soup(html_dir / path).find(id=anchor)
        if heading.name not in ("h1", "h2", "h3", "h4"):
            heading = heading.find_next(["h1", "h2", "h3", "h4"])
        shown = heading.find(class_="section-number").get_text().strip().rstrip(".")
        heading_text = heading.get_text(" ", strip=True)
        plain_title = title.replace("W1", "W_1").replace("W2", "W_2")
        if shown != number:
            wrong.append(f"{label}: Section {shown} in the book, {number} in selfcheck")
        if not (title in heading_text or plain_title in heading_text.replace("\\(", "").replace("\\)", "")
                or title in heading_text.replace("\\(", "").replace("\\)", "")):
            wrong.append(f"{label}: titled {heading_text!r} in the book, {title!r} in selfcheck")
    assert not wrong, "\n".join(wrong)
