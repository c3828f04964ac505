"""Where the built site is, and which pages the book has (shared by the tests)."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CHROMIUM = "/usr/bin/chromium"


def toc_files() -> list[str]:
    """Every document named in _toc.yml, in reading order (without suffix)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []):
                    walk(child)

    walk(toc)
    return files


def site_pages() -> list[Path]:
    """Every HTML page of the book proper (the toc's pages), in reading order."""
    return [HTML / f"{name}.html" for name in toc_files()]


def numbered_chapters() -> list[str]:
    """The documents of the numbered parts of _toc.yml: the citable chapters."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [
        chapter["file"]
        for part in toc.get("parts", [])
        if part.get("numbered", toc.get("defaults", {}).get("numbered", False))
        for chapter in part.get("chapters", [])
    ]
