"""Checks of the built HTML that need no browser.

Every page of _toc.yml exists; no page shows an error output, a traceback or
stderr; every internal link and anchor resolves; nothing is loaded from
outside the site.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
from bs4 import BeautifulSoup

from booksite import HTML, all_html_pages, site_pages, toc_files


@lru_cache(maxsize=None)
def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def page_id(path: Path) -> str:
    return path.relative_to(HTML).as_posix()


@pytest.mark.parametrize("name", toc_files())
def test_every_toc_entry_has_a_page(html_dir, name):
    page = html_dir / f"{name}.html"
    assert page.is_file(), f"_toc.yml names {name!r} but {page} was not built"
    assert soup_of(page).find("h1"), f"{page} has no title"


@pytest.mark.parametrize("page", site_pages(), ids=page_id)
def test_no_error_output_traceback_or_stderr(html_dir, page):
    soup = soup_of(page)
    bad = soup.select(".output.error, .output.traceback, .output.stderr, .stderr")
    assert not bad, f"{page_id(page)} shows error or stderr output: {bad[0].get_text()[:300]}"
    outputs = " ".join(o.get_text() for o in soup.select(".cell_output, .output"))
    assert "Traceback (most recent call last)" not in outputs, f"{page_id(page)} shows a traceback"
    warning = re.search(r"\.py:\d+: \w*Warning: .*", outputs)  # the warnings module's format
    assert not warning, f"{page_id(page)} shows a warning: {warning and warning.group(0)}"
    text = soup.get_text()
    # A glue key that failed to resolve, or a role left unparsed, shows up raw.
    for marker in ("{glue:", "{eq}`", "{numref}`", "{ref}`", "{cite}`"):
        assert marker not in text, f"{page_id(page)} shows unrendered markup {marker!r}"


def _internal_targets(page: Path):
    """(attribute value, resolved file, fragment) for every same-site reference."""
    soup = soup_of(page)
    for tag in soup.find_all(href=True):
        yield tag["href"]
    for tag in soup.find_all(src=True):
        yield tag["src"]


@pytest.mark.parametrize("page", all_html_pages(), ids=page_id)
def test_internal_links_and_anchors_resolve(html_dir, page):
    broken = []
    for ref in _internal_targets(page):
        parts = urlsplit(ref)
        if parts.scheme or parts.netloc or ref.startswith(("mailto:", "javascript:", "data:")):
            continue
        path, fragment = urldefrag(ref)
        target = page if not path else (page.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{ref} (no file {target})")
            continue
        if fragment and target.suffix == ".html":
            ids = {t.get("id") for t in soup_of(target).find_all(id=True)}
            ids |= {t.get("name") for t in soup_of(target).find_all(attrs={"name": True})}
            if unquote(fragment) not in ids:
                broken.append(f"{ref} (no anchor #{fragment} in {page_id(target)})")
    assert not broken, f"{page_id(page)} has broken links:\n" + "\n".join(broken)


# Tags and attributes that make a browser fetch something when the page loads.
LOADING = [("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src"),
           ("source", "src"), ("video", "src"), ("audio", "src"), ("embed", "src"),
           ("object", "data")]


@pytest.mark.parametrize("page", all_html_pages(), ids=page_id)
def test_nothing_is_loaded_from_outside_the_site(html_dir, page):
    soup = soup_of(page)
    outside = []
    for name, attr in LOADING:
        for tag in soup.find_all(name):
            value = tag.get(attr)
            if name == "link" and not ({"stylesheet", "icon", "preload", "modulepreload",
                                        "prefetch", "manifest"} & set(tag.get("rel", []))):
                continue  # canonical, alternate: not fetched
            if value and (urlsplit(value).scheme in ("http", "https") or value.startswith("//")):
                outside.append(f"<{name} {attr}={value}>")
    # Inline scripts that would load a URL (a CDN MathJax, thebe, analytics).
    for script in soup.find_all("script", src=False):
        for url in re.findall(r"https?://[^\s\"'<>]+", script.get_text()):
            outside.append(f"inline script mentions {url}")
    assert not outside, f"{page_id(page)} loads from outside the site:\n" + "\n".join(outside)


def test_mathjax_is_served_locally(html_dir):
    page = html_dir / "book" / "01-relu.html"
    scripts = [s.get("src", "") for s in soup_of(page).find_all("script")]
    local = [s for s in scripts if "mathjax" in s.lower()]
    assert local, "no MathJax script on the ReLU chapter"
    for src in local:
        target = (page.parent / urlsplit(src).path).resolve()
        assert target.is_file(), f"MathJax script {src} is not in the site"


@pytest.mark.parametrize("page", site_pages(), ids=page_id)
def test_every_figure_has_alt_text(html_dir, page):
    missing = [img.get("src") for img in soup_of(page).select("main img, article img")
               if not (img.get("alt") or "").strip()]
    assert not missing, f"{page_id(page)}: images without alt text: {missing}"


def _heading_title(target: Path, fragment: str) -> str | None:
    """The title of the heading a link lands on (without its number), or None."""
    anchor = soup_of(target).find(id=unquote(fragment)) if fragment else soup_of(target).find("h1")
    if anchor is None:
        return None
    heading = anchor if anchor.name in ("h1", "h2", "h3", "h4", "h5") else None
    if heading is None and anchor.name in ("span", "section"):
        heading = anchor.find_next(["h1", "h2", "h3", "h4", "h5"])
    if heading is None:
        return None
    parts = [t for t in heading.find_all(string=True)
             if not t.find_parent(class_=["section-number", "headerlink"])]
    return " ".join("".join(parts).split())


@pytest.mark.parametrize("page", site_pages(), ids=page_id)
def test_cross_references_read_as_numbers(html_dir, page):
    """A link in the text that lands on a heading shows its number, not its title."""
    article = soup_of(page).select_one("article") or soup_of(page)
    offenders = []
    for link in article.select("a.reference.internal[href]"):
        if "headerlink" in link.get("class", []) or link.find_parent(class_="toctree-wrapper"):
            continue
        path, fragment = urldefrag(link["href"])
        target = page if not path else (page.parent / unquote(path)).resolve()
        if not target.is_file():
            continue
        title = _heading_title(target, fragment)
        text = " ".join(link.get_text(" ", strip=True).split())
        if title and text == title:
            offenders.append(f"{text!r} -> {link['href']}")
    assert not offenders, (f"{page_id(page)} refers to headings by title; use "
                           "{numref}`Section %s <label>`:\n" + "\n".join(offenders))


@pytest.mark.parametrize("page", site_pages(), ids=page_id)
def test_no_visible_code_calls_glue(html_dir, page):
    """Build plumbing stays out of view: glue() calls live in removed cells."""
    visible = [" ".join(cell.get_text().split())[:120]
               for cell in soup_of(page).select("div.cell_input")
               if re.search(r"\bglue\(", cell.get_text())]
    assert not visible, f"{page_id(page)} shows glue() in code cells:\n" + "\n".join(visible)


@pytest.mark.parametrize("page", site_pages(), ids=page_id)
def test_no_visible_code_imports_glue(html_dir, page):
    """The glue import is plumbing too: it lives in a removed cell."""
    visible = [" ".join(cell.get_text().split())[:120]
               for cell in soup_of(page).select("div.cell_input")
               if re.search(r"\bimport glue\b", cell.get_text())]
    assert not visible, f"{page_id(page)} imports glue in visible code:\n" + "\n".join(visible)


@pytest.mark.parametrize("page", site_pages(), ids=page_id)
def test_equation_references_have_one_pair_of_parentheses(html_dir, page):
    """An equation reference prints its own parentheses: "({eq}`x`)" shows "((4.10))"."""
    text = " ".join((soup_of(page).select_one("article") or soup_of(page)).get_text(" ").split())
    doubled = re.findall(r".{0,40}\(\s*\(\d+\.\d+\)[^)]{0,20}\).{0,20}", text)
    assert not doubled, f"{page_id(page)}: doubled parentheses:\n" + "\n".join(doubled)


@pytest.mark.parametrize("page", site_pages(), ids=page_id)
def test_no_equation_label_in_visible_code(html_dir, page):
    """A reader sees "(7.4)", never the label behind it: no eq-... in the
    comments and docstrings of shown code (listings leave docstrings out)."""
    label = r"\beq-[a-z0-9]+(-[a-z0-9]+)*\b"
    shown = [" ".join(block.get_text().split())[:120]
             for block in soup_of(page).select("div.cell_input, div.highlight")
             if re.search(rf"#[^\n]*{label}|\"\"\"[^\"]*{label}", block.get_text())]
    assert not shown, f"{page_id(page)} shows equation labels in code:\n" + "\n".join(shown)
