"""Sphinx extension of the book: one version string, and "Cite this page" boxes.

- The book's version is read from pyproject.toml, the single place it is
  written: it becomes Sphinx's ``version`` and ``release`` and goes into every
  citation.
- The site's base URL is derived from the repository URL in _config.yml
  (``https://github.com/OWNER/REPO`` gives ``https://OWNER.github.io/REPO/``)
  unless ``html.baseurl`` is set, and feeds the sitemap, the OpenGraph tags
  and the permanent URLs in the citations.
- Every numbered chapter page ends with a "Cite this page" box holding a
  BibTeX entry built from the page's own title and number.
- The directive ``book-citation`` renders the BibTeX entry of the whole book
  (used on the "How to cite" page).
- The PDF edition of the same version (``tools/build_pdf.py`` publishes it
  into the site as ``pdf_filename(version)``) is linked from every page: from
  the header's download menu and from the footer. The "Cite this page" boxes
  and the directive ``book-pdf`` (on the "How to cite" page) give its address
  and say to cite page numbers from the PDF of this version.
- The sitemap lists every page after an incremental build too:
  sphinx-sitemap only records the pages written in the current run, so a
  build that rewrites three pages would publish a sitemap of three pages.
- ``literalinclude`` gains a flag, ``:no-docstring:``: with ``:pyobject:``,
  it shows the function or class without its docstring, found by parsing the
  source, so a listing never depends on line numbers.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import tomllib
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.directives.code import LiteralInclude
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

ROOT = Path(__file__).resolve().parents[2]


def book_version() -> str:
    """The version string from pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


def base_url(config) -> str:
    """The site's base URL, ending in '/'."""
    if config.html_baseurl:
        return config.html_baseurl.rstrip("/") + "/"
    repo = config.html_theme_options.get("repository_url", "")
    match = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)/?", repo)
    if not match:
        return ""
    owner, name = match.groups()
    return f"https://{owner.lower()}.github.io/{name}/"


def pdf_filename(version: str) -> str:
    """The PDF's file name in the site root: it names the version, so a
    citation's page numbers always point at the PDF they were taken from."""
    return f"tinynet-book-{version}.pdf"


def pdf_url(config) -> str:
    """The PDF's permanent address on the published site."""
    return base_url(config) + pdf_filename(config.release)


def _relative_to_root(docname: str) -> str:
    """The path from a page's HTML file to the site root ('' or '../...')."""
    return "../" * docname.count("/")


def _pdf_paragraph(config, docname: str, relative: bool = True) -> nodes.paragraph:
    """'The PDF of version X: <address>. Cite page numbers from it.'

    On the site the link is relative, so it works offline and in a local copy
    of the site; its text is the permanent address, ready to paste. In the
    PDF itself the link is that address.
    """
    para = nodes.paragraph()
    para += nodes.Text(f"PDF of version {config.release}: ")
    url = pdf_url(config) or pdf_filename(config.release)
    href = _relative_to_root(docname) + pdf_filename(config.release) if relative else url
    para += nodes.reference(url, url, refuri=href)
    para += nodes.Text(
        f". Cite page numbers from the PDF of version {config.release}: "
        "the web pages have none, and the PDF of another version may paginate differently."
    )
    return para


def _config_inited(app: Sphinx, config) -> None:
    config.version = config.release = book_version()
    url = base_url(config)
    config.html_baseurl = url
    config.ogp_site_url = url
    if config.html_title:  # Jupyter Book puts the book's title there
        config.project = config.html_title


def _bibtex_escape(text: str) -> str:
    return text.replace("&", r"\&").replace("%", r"\%").replace("_", r"\_")


def book_entry(config) -> str:
    """BibTeX for the whole book."""
    return "\n".join([
        "@book{tinynet-book,",
        f"  title     = {{{_bibtex_escape(config.project)}}},",
        f"  author    = {{{{{config.author}}}}},",
        f"  year      = {{{config.copyright.split(',')[0].strip()[:4]}}},",
        f"  edition   = {{Version {config.release}}},",
        f"  url       = {{{base_url(config)}}},",
        "}",
    ])


def chapter_entry(config, docname: str, number: str, title: str) -> str:
    """BibTeX for one chapter page."""
    key = "tinynet-book-" + re.sub(r"[^A-Za-z0-9]+", "-", docname.split("/")[-1]).strip("-")
    url = base_url(config) + docname + ".html"
    return "\n".join([
        f"@incollection{{{key},",
        f"  title     = {{{_bibtex_escape(title)}}},",
        f"  chapter   = {{{number}}},",
        f"  booktitle = {{{_bibtex_escape(config.project)}}},",
        f"  author    = {{{{{config.author}}}}},",
        f"  year      = {{{config.copyright.split(',')[0].strip()[:4]}}},",
        f"  edition   = {{Version {config.release}}},",
        f"  url       = {{{url}}},",
        "}",
    ])


def _add_cite_box(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html":
        return
    secnumbers = app.env.toc_secnumbers.get(docname, {})
    number = secnumbers.get("")
    if not number or len(number) != 1:
        return  # only numbered chapter pages
    title = app.env.titles[docname].astext()
    # The title node carries the chapter number as a prefix in some themes.
    title = re.sub(r"^\d+(\.\d+)*\.?\s+", "", title)
    chapter = str(number[0])
    entry = chapter_entry(app.config, docname, chapter, title)
    box = nodes.admonition(classes=["cite-this-page", "tip"])
    box += nodes.title(text="Cite this page")
    box += nodes.paragraph(
        text=f"Chapter {chapter}, \u201c{title}\u201d, in {app.config.project}, "
        f"version {app.config.release}. BibTeX:"
    )
    block = nodes.literal_block(entry, entry, language="bibtex")
    box += block
    box += _pdf_paragraph(app.config, docname)
    doctree += box


def _link_pdf(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """The book's PDF on every page: first entry of the header's download
    menu (in place of the theme's "print this page" entry, whose ".pdf" label
    would be mistaken for it), and a line of the footer."""
    name = pdf_filename(app.config.release)
    href = context["pathto"](name, 1)
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"] = [b for b in group["buttons"] if b.get("label") != "download-pdf-button"]
            group["buttons"].insert(0, {
                "type": "link",
                "url": href,
                "text": "Book (PDF)",
                "tooltip": f"Download the whole book as a PDF, version {app.config.release}",
                "icon": "fas fa-file-pdf",
                "label": "download-book-pdf-button",
            })
    footer = context.get("theme_extra_footer", "") or ""
    context["theme_extra_footer"] = footer + (
        f'<p class="book-pdf-link"><a href="{href}">Download the book as a PDF</a> '
        f"(version {app.config.release}; cite page numbers from it).</p>"
    )


#: Where the site serves JupyterLite (tools/build_lite.py builds it), and the
#: app a chapter opens in: the single-notebook interface.
LITE_APP = "lite/notebooks/index.html"


def _link_lite(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """"Run in your browser" beside Binder, on every notebook page: opens the
    chapter in JupyterLite, served from this site (no server, no install).
    The JupyterLite files load only when the reader clicks."""
    if context.get("page_source_suffix") != ".ipynb":
        return
    notebook = pagename.rsplit("/", 1)[-1] + ".ipynb"
    for group in context.get("header_buttons", []):
        if group.get("label") == "launch-buttons":
            group["buttons"].append({
                "type": "link",
                "text": "Run in your browser",
                "tooltip": "Run this chapter in your browser (JupyterLite): no server, nothing to install",
                "icon": "_static/images/logo_jupyterlite.svg",
                "url": f"{context['pathto'](LITE_APP, 1)}?path={notebook}",
                "label": "launch-lite",
            })


def _fix_citation_list_role(app: Sphinx, pagename, templatename, context, doctree) -> None:
    # docutils writes the bibliography as <div role="list"> whose children are
    # not list items, an ARIA error (axe-core: aria-required-children); the
    # plain <div> reads the same to everyone.
    body = context.get("body")
    if body and 'role="list" class="citation-list"' in body:
        context["body"] = body.replace('<div role="list" class="citation-list">', '<div class="citation-list">')


class BookPdf(SphinxDirective):
    """``.. book-pdf::``: the PDF's address, and to cite its page numbers."""

    def run(self):
        on_the_site = self.env.app.builder.format == "html"
        return [_pdf_paragraph(self.config, self.env.docname, relative=on_the_site)]


class BookCitation(SphinxDirective):
    """``.. book-citation::``: the BibTeX entry of the whole book."""

    def run(self):
        entry = book_entry(self.config)
        return [nodes.literal_block(entry, entry, language="bibtex")]


def docstring_lines(source: str, pyobject: str) -> tuple[int, int, int]:
    """Where ``pyobject`` and its docstring are, counted from its first line.

    Returns ``(first, last, length)``: the docstring's first and last line and
    the object's number of lines, all 1-based relative to the line that
    ``:pyobject:`` starts from (the ``def`` or ``class`` line, or its first
    decorator). ``pyobject`` is a name or ``Class.method``.
    """
    scope = ast.parse(source)
    node = None
    for part in pyobject.split("."):
        node = next(
            (n for n in ast.iter_child_nodes(scope)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part),
            None,
        )
        if node is None:
            raise ExtensionError(f"no function or class {pyobject!r} to show without its docstring")
        scope = node
    body = node.body
    if not (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        raise ExtensionError(f"{pyobject!r} has no docstring to leave out")
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    return body[0].lineno - start + 1, body[0].end_lineno - start + 1, node.end_lineno - start + 1


class BookLiteralInclude(LiteralInclude):
    """``literalinclude`` with ``:no-docstring:`` (see the module docstring)."""

    option_spec = dict(LiteralInclude.option_spec, **{"no-docstring": directives.flag})

    def run(self):
        if "no-docstring" in self.options:
            if "pyobject" not in self.options or "lines" in self.options:
                raise self.error(":no-docstring: needs :pyobject: and no :lines:")
            _, path = self.env.relfn2path(self.arguments[0])
            first, last, length = docstring_lines(
                Path(path).read_text(encoding="utf-8"), self.options["pyobject"]
            )
            kept = [f"1-{first - 1}"] + ([f"{last + 1}-{length}"] if last < length else [])
            self.options["lines"] = ",".join(kept)
            del self.options["no-docstring"]
        return super().run()


def _sitemap_every_page(app: Sphinx, exception) -> None:
    """Before sphinx-sitemap writes sitemap.xml, add the pages this run did not write."""
    links = getattr(app, "sitemap_links", None)
    if exception or links is None or links.empty() or app.builder.name != "html":
        return  # nothing written at all: sphinx-sitemap keeps the old file
    recorded = []
    while not links.empty():
        recorded.append(links.get_nowait())
    suffix = app.config.html_file_suffix or ".html"
    have = {link for link, _ in recorded}
    for docname in sorted(app.env.found_docs):
        link = docname + suffix
        if link not in have and not any(
            fnmatch.fnmatch(link, pattern) for pattern in app.config.sitemap_excludes
        ):
            recorded.append((link, None))
    for item in recorded:
        links.put(item)


def setup(app: Sphinx):
    app.connect("build-finished", _sitemap_every_page, priority=400)
    app.add_directive("literalinclude", BookLiteralInclude, override=True)
    app.connect("config-inited", _config_inited, priority=900)
    app.connect("doctree-resolved", _add_cite_box)
    app.connect("html-page-context", _fix_citation_list_role)
    app.connect("html-page-context", _link_pdf, priority=600)
    app.connect("html-page-context", _link_lite, priority=600)
    app.add_directive("book-citation", BookCitation)
    app.add_directive("book-pdf", BookPdf)
    return {"version": book_version(), "parallel_read_safe": True, "parallel_write_safe": True}
