"""Publishing: one version everywhere, citations, labels that stay, Binder,
licences, sitemap and OpenGraph (the GitHub workflows: test_workflows.py)."""

from __future__ import annotations

import functools
import re
import subprocess
import tomllib
from urllib.parse import urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup
from sphinx.util.inventory import InventoryFile

from booksite import ROOT, numbered_chapters, site_pages, toc_files
from release_labels import equation_anchors

TOOLS = ROOT / ".venv-tools" / "bin"
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"]


def version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


def soup(path):
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@functools.cache
def element_ids(path) -> frozenset[str]:
    """Every id attribute of the page, parsed once per page."""
    return frozenset(tag["id"] for tag in soup(path).find_all(id=True))


# --- one version string -------------------------------------------------------

def test_one_version_string_everywhere(html_dir):
    import tinynet

    v = version()
    assert tinynet.__version__ == v, "reinstall tinynet (make book does) after a version change"
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert str(cff["version"]) == v, "CITATION.cff and pyproject.toml disagree on the version"
    options = (html_dir / "_static" / "documentation_options.js").read_text()
    assert f"VERSION: '{v}'" in options, "the built site carries another version"
    assert f"## {v}" in (ROOT / "CHANGELOG.md").read_text(), "CHANGELOG.md has no entry for this version"


def test_citation_cff_is_valid():
    result = subprocess.run([str(TOOLS / "cffconvert"), "--validate", "-i", str(ROOT / "CITATION.cff")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# --- cite boxes and Binder buttons ---------------------------------------------

def test_there_are_chapters():
    assert len(numbered_chapters()) >= 6


@pytest.mark.parametrize("name", numbered_chapters())
def test_chapter_page_has_a_cite_box(html_dir, name):
    page = soup(html_dir / f"{name}.html")
    numbered = page.select_one("h1 > .section-number")
    assert numbered is not None, f"{name}: the title carries no chapter number"
    heading = numbered.parent
    number = numbered.get_text().strip().rstrip(".")
    # Chapters are numbered continuously in the order of _toc.yml.
    assert number == str(numbered_chapters().index(name) + 1)
    title = "".join(t for t in heading.find_all(string=True, recursive=False)).strip()
    box = page.select_one(".cite-this-page")
    assert box is not None, f"{name} has no 'Cite this page' box"
    bibtex = box.find("pre").get_text()
    assert f"chapter   = {{{number}}}" in bibtex
    assert f"title     = {{{title}}}" in bibtex.replace("\\&", "&"), f"{title!r} not in {bibtex}"
    assert f"Version {version()}" in bibtex
    assert CONFIG["title"] in bibtex
    url = re.search(r"url\s+= \{(.+)\}", bibtex).group(1)
    assert url.endswith(f"/{name}.html")
    assert urlsplit(url).scheme == "https"


@pytest.mark.parametrize("name", [n for n in toc_files() if (ROOT / f"{n}.ipynb").exists()])
def test_notebook_page_has_a_binder_button(html_dir, name):
    page = soup(html_dir / f"{name}.html")
    owner_repo = urlsplit(REPO_URL).path.strip("/")
    expected = f"https://mybinder.org/v2/gh/{owner_repo}/{CONFIG['repository']['branch']}?urlpath=lab/tree/{name}.ipynb"
    links = [a.get("href") for a in page.find_all("a")]
    assert expected in links, f"{name}: no Binder button opening JupyterLab on {name}.ipynb"


def test_numbered_section_headings_have_permalinks(html_dir):
    for name in numbered_chapters():
        path = html_dir / f"{name}.html"
        for heading in soup(path).select("section > h2, section > h3"):
            link = heading.find("a", class_="headerlink")
            assert link and link["href"].startswith("#"), f"{path.name}: heading without permalink"


# --- labels are a promise -----------------------------------------------------

def released_labels() -> list[str]:
    lines = (ROOT / "book" / "released-labels.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_released_labels_still_resolve(html_dir):
    with open(html_dir / "objects.inv", "rb") as f:
        inventory = InventoryFile.load(f, "", lambda base, uri: uri)
    labels = inventory.get("std:label", {})
    equations = equation_anchors(html_dir)
    missing = []
    for label in released_labels():
        if label in equations:
            uri = f"{equations[label]}#equation-{label}"
        elif label in labels:
            entry = labels[label]
            uri = entry[2] if isinstance(entry, tuple) else entry.uri
        else:
            missing.append(f"{label}: neither a label nor an equation of the built site")
            continue
        path, _, anchor = uri.partition("#")
        page = html_dir / path
        if not page.is_file() or (anchor and anchor not in element_ids(page)):
            missing.append(f"{label}: {uri} does not resolve")
    assert not missing, "released labels no longer resolve:\n" + "\n".join(missing)


def test_released_labels_cover_every_chapter_and_equation():
    labels = set(released_labels())
    for required in ("relu-chapter", "backward-chapter", "eq-relu", "eq-grad-w1", "eq-loss"):
        assert required in labels


# --- Binder --------------------------------------------------------------------

def test_binder_environment_is_the_pinned_requirements():
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    assert "-e ." in requirements, "requirements.txt must install tinynet itself"
    for line in requirements:
        line = line.strip()
        if line and not line.startswith(("#", "-e")):
            assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+\-]+", line), f"not pinned: {line}"
    assert (ROOT / "runtime.txt").read_text().strip() == "python-3.11"


def test_repo2docker_installs_the_environment():
    result = subprocess.run([str(TOOLS / "jupyter-repo2docker"), "--no-build", "--debug", str(ROOT)],
                            capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "python=3.11" in output, "Binder does not use the Python of runtime.txt"
    assert 'pip install --no-cache-dir -r "requirements.txt"' in output
    # The whole repository is copied before the install, so `-e .` finds it.
    copy_repo = output.index("COPY --chown=0:0 src/ ${REPO_DIR}/")
    assert copy_repo < output.index('pip install --no-cache-dir -r "requirements.txt"')


# --- README -------------------------------------------------------------------

def test_readme_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make book" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()


# --- licences, sitemap, OpenGraph -------------------------------------------------

def test_licences_in_readme_footer_and_files(html_dir):
    readme = (ROOT / "README.md").read_text()
    assert "CC BY 4.0" in readme and "MIT" in readme
    assert "MIT License" in (ROOT / "LICENSE").read_text()
    assert "Attribution 4.0 International" in (ROOT / "LICENSE-TEXT").read_text()
    for path in site_pages():
        footer = soup(path).select_one("footer.bd-footer-content").get_text(" ")
        assert "CC BY 4.0" in footer and "MIT" in footer, f"{path.name}: no licence in footer"
        assert "2026" in footer and "2023" not in footer


def test_sitemap_and_opengraph_share_the_base_url(html_dir):
    owner, repo = urlsplit(REPO_URL).path.strip("/").split("/")
    base = f"https://{owner.lower()}.github.io/{repo}/"
    sitemap = (html_dir / "sitemap.xml").read_text()
    for name in toc_files():
        assert f"<loc>{base}{name}.html</loc>" in sitemap, f"{name} missing from sitemap.xml"
    for path in site_pages():
        og = soup(path).find("meta", property="og:url")
        assert og and og["content"].startswith(base), f"{path.name}: og:url not under {base}"


def test_sitemap_keeps_the_pages_an_incremental_build_did_not_write():
    """sphinx-sitemap records only the pages written in this run; the book's
    extension adds the others before sitemap.xml is written."""
    from queue import Queue
    from types import SimpleNamespace

    from tinynet_book import _sitemap_every_page

    links = Queue()
    links.put(("book/01-relu.html", "2026-11-01T00:00:00Z"))
    app = SimpleNamespace(
        sitemap_links=links,
        builder=SimpleNamespace(name="html"),
        config=SimpleNamespace(html_file_suffix=None, sitemap_excludes=["search.html"]),
        env=SimpleNamespace(found_docs={"book/01-relu", "book/02-setup", "search"}),
    )
    _sitemap_every_page(app, None)
    got = []
    while not links.empty():
        got.append(links.get_nowait())
    assert sorted(got) == [("book/01-relu.html", "2026-11-01T00:00:00Z"), ("book/02-setup.html", None)]
