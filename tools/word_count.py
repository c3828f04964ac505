"""Count the words of the book's prose in the built HTML: `python tools/word_count.py [HTML_DIR]`.

Counts the words a reader reads in chapters 1-6: the article text without
code cells, outputs, listings, display and inline mathematics, the "Cite
this page" box and the heading permalinks. Prints one line per chapter and
the total.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bs4 import BeautifulSoup

CHAPTERS = ["01-relu", "02-setup", "03-forward", "04-backward", "05-gradcheck", "06-training"]
DROP = ["div.cell", "div.highlight", "pre", "div.math", "span.math", "mjx-container",
        "script", "style", ".cite-this-page", "a.headerlink", "div.output"]


def prose_words(page: Path) -> int:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article") or soup
    for selector in DROP:
        for tag in article.select(selector):
            tag.decompose()
    return len(article.get_text(" ").split())


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    html = Path(argv[0]) if argv else Path(__file__).resolve().parents[1] / "_build" / "html"
    total = 0
    for name in CHAPTERS:
        words = prose_words(html / "book" / f"{name}.html")
        total += words
        print(f"{name:14s} {words:6d}")
    print(f"{'total':14s} {total:6d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
