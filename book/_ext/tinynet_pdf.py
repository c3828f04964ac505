"""Sphinx extension of the book's PDF edition (the LaTeX builder only).

``tools/build_pdf.py`` runs the LaTeX builder; this extension makes its
output the same book as the site, and a citable one:

- **Numbers as on the site.** With the toc's parts, Jupyter Book's LaTeX
  extension numbers figures to depth 2 (part, chapter), which LaTeX handles,
  but sphinx-exercise then takes exercise numbers from Sphinx's depth-2
  numbering, chapter.section.n ("Exercise 1.8.1" for the site's "Exercise
  1.1"). The exercises are renumbered chapter.n, in document order, as the
  site numbers them.
- **Unnumbered pages stay unnumbered.** Pages the toc leaves unnumbered
  ("How to cite") would become chapter 14; they are set with LaTeX's section
  numbering off. The preface's page headers say "Preface", not "Contents".
- **The bibliography stays in the References appendix**, as on the site.
  Sphinx's LaTeX builder gathers every citation into one list at the end of
  the document (after "How to cite"); here the entries stay where the
  ``bibliography`` directive put them, set without a chapter heading of
  their own (``sphinxthebibliography`` in ``book/_latex/tinynet.sty``).
- **Solutions look different from exercises, and come after them**: a
  solution is set as a ``hint`` box, styled in ``book/_latex/tinynet.sty``
  (a grey panel with a rule on its left), an exercise as a ``note``; the
  solutions of a chapter are gathered at its end, after a heading of their
  own, so that its exercises can be printed and tried without them.
- **Tables fit the page**: set a size smaller than the text, and long ones
  break across pages (``longtable``, with wrapping columns) instead of
  running into the footer.
- **Citable**: a title page with the title, the authors, the version, the
  date, the licences and the addresses of the site and of this PDF; the PDF's
  metadata (title, author, subject, keywords) from CITATION.cff.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.builders.latex.nodes import thebibliography
from sphinx.builders.latex.transforms import BibliographyTransform
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.i18n import format_date
from sphinx.util.texescape import escape

from tinynet_book import base_url, book_version, pdf_url

ROOT = Path(__file__).resolve().parents[2]


def citation_metadata() -> dict:
    """CITATION.cff, the one place the book's abstract and keywords are written."""
    return yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))


def title_page(config) -> str:
    """The LaTeX of the title page (Sphinx's ``maketitle`` element)."""
    release = escape(config.release)
    date = escape(format_date("%d %B %Y", language="en").lstrip("0"))
    site, pdf = base_url(config), pdf_url(config)
    return rf"""
\begin{{titlepage}}
\centering
\vspace*{{0.18\textheight}}
{{\Huge\bfseries {escape(config.project)}\par}}
\vspace{{2.5em}}
{{\Large {escape(config.author)}\par}}
\vspace{{2em}}
{{\large Version {release}\par}}
\vspace{{0.5em}}
{{\large {date}\par}}
\vfill
\begin{{minipage}}{{0.8\linewidth}}\small\centering
Web edition: \url{{{site}}}\\[0.3em]
This PDF: \url{{{pdf}}}\\[1.2em]
Cite page numbers from the PDF of version {release}: the web pages have
none, and the PDF of another version may paginate differently. Chapter,
section, equation, figure and exercise numbers are the same as on the web
pages of version {release}.\\[1.2em]
Text licensed under CC BY 4.0 (\url{{https://creativecommons.org/licenses/by/4.0/}});
code under the MIT licence.
\end{{minipage}}
\end{{titlepage}}
"""


def _pdf_string(text: str) -> str:
    """Text for hyperref's metadata fields: TeX's special characters escaped,
    everything else (hyphens too) kept as it is."""
    return re.sub(r"([#%&{}_$])", r"\\\1", " ".join(text.split()))


def pdf_metadata(config) -> str:
    """hyperref's PDF metadata: title, author, subject and keywords."""
    meta = citation_metadata()
    return (
        r"\hypersetup{"
        f"pdftitle={{{_pdf_string(config.project)}}}, "
        f"pdfauthor={{{_pdf_string(config.author)}}}, "
        f"pdfsubject={{{_pdf_string(meta['abstract'])}}}, "
        f"pdfkeywords={{{_pdf_string(', '.join(meta.get('keywords', [])))}}}}}"
    )


def _latex_elements(app: Sphinx) -> None:
    """The title page, the style and the metadata, for the LaTeX builder only.

    Set on the builder's template context, which it filled from
    ``latex_elements`` just before this event: the HTML build reads nothing
    of this (nor CITATION.cff).
    """
    if app.builder.format != "latex":
        return
    context = app.builder.context
    context["maketitle"] = title_page(app.config)
    context["preamble"] += "\n\\usepackage{tinynet}\n" + pdf_metadata(app.config) + "\n"
    # No blank pages before chapters: the PDF is read on screens as much as printed.
    context["extraclassoptions"] = "openany,oneside"
    context["printindex"] = ""  # the book has no index entries


def _exercises_numbered_as_on_the_site(app: Sphinx, env) -> list[str]:
    """Renumber exercises chapter.n in document order (see the module docstring)."""
    if app.builder.format != "latex":
        return []
    for numbers in env.toc_fignumbers.values():
        exercises = numbers.get("exercise")
        if exercises:
            for n, key in enumerate(exercises, start=1):
                exercises[key] = (exercises[key][0], n)
    return []


def _unnumbered_pages(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Switch LaTeX's section numbering off for pages the toc leaves unnumbered,
    and back on for the others (commands of book/_latex/tinynet.sty); the
    preface's page headers name the preface."""
    if app.builder.format != "latex":
        return
    # The root page (the preface) comes before any chapter: its pages'
    # headers name it, not the table of contents before it.
    title = escape(app.env.titles[app.config.root_doc].astext())
    doctree.insert(0, nodes.raw("", rf"\markboth{{{title}}}{{}}", format="latex"))
    for start in doctree.findall(addnodes.start_of_file):
        numbered = app.env.toc_secnumbers.get(start["docname"], {}).get("")
        command = r"\tinynetnumbered" if numbered else r"\tinynetunnumbered"
        start.insert(0, nodes.raw("", command, format="latex"))


class CitationsInPlace(SphinxPostTransform):
    """Wrap each run of citations in a ``thebibliography`` where it stands
    (in place of Sphinx's BibliographyTransform, which moves them all to the
    end of the document)."""

    default_priority = BibliographyTransform.default_priority
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        parents = []
        for citation in self.document.findall(nodes.citation):
            if citation.parent not in parents:
                parents.append(citation.parent)
        for parent in parents:
            citations = [child for child in parent.children if isinstance(child, nodes.citation)]
            first = parent.index(citations[0])
            bibliography = thebibliography()
            for citation in citations:
                parent.remove(citation)
                bibliography += citation
            parent.insert(first, bibliography)


class SolutionsAtTheEnd(SphinxPostTransform):
    """Move each chapter's solutions to its end, after a heading."""

    default_priority = 990  # after sphinx-exercise has titled them
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        from sphinx_exercise.nodes import solution_node

        for start in self.document.findall(addnodes.start_of_file):
            chapter = self.env.toc_secnumbers.get(start["docname"], {}).get("")
            solutions = [node for node in start.findall(solution_node)]
            if not chapter or not solutions:
                continue
            sections = [child for child in start.children if isinstance(child, nodes.section)]
            home = sections[-1] if sections else start
            for node in solutions:
                node.parent.remove(node)
            home += nodes.rubric("", f"Solutions to the exercises of Chapter {chapter[0]}")
            home.extend(solutions)


class LongTables(SphinxPostTransform):
    """Tables of more than LONG rows break across pages (``longtable``)
    instead of running into the footer. A longtable's columns would not wrap
    (``l``) unless they have widths: each gets a width in proportion to its
    longest cell (capped), which makes them wrapping columns."""

    LONG = 12
    default_priority = 990
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for table in self.document.findall(nodes.table):
            rows = sum(len(body.children) for body in table.findall(nodes.tbody))
            if rows <= self.LONG or "longtable" in table["classes"]:
                continue
            table["classes"].append("longtable")
            if "colwidths-given" in table["classes"]:
                continue
            table["classes"].append("colwidths-given")
            for group in table.findall(nodes.tgroup):
                specs = [child for child in group.children if isinstance(child, nodes.colspec)]
                widths = [8] * len(specs)
                for row in group.findall(nodes.row):
                    for i, entry in enumerate(row.children[: len(specs)]):
                        widths[i] = max(widths[i], min(30, len(entry.astext())))
                for spec, width in zip(specs, widths):
                    spec["colwidth"] = width


def _visit_solution(self, node) -> None:
    from sphinx_exercise.nodes import visit_solution_node

    visit_solution_node(self, node)
    # sphinx-exercise opened \begin{sphinxadmonition}{note}: make it a hint.
    self.body[-1] = self.body[-1].replace("{sphinxadmonition}{note}", "{sphinxadmonition}{hint}")


def setup(app: Sphinx):
    from sphinx_exercise.nodes import depart_solution_node, solution_node

    app.connect("builder-inited", _latex_elements, priority=900)
    app.connect("env-get-updated", _exercises_numbered_as_on_the_site, priority=900)
    app.connect("doctree-resolved", _unnumbered_pages)
    app.add_node(solution_node, override=True, latex=(_visit_solution, depart_solution_node))
    if BibliographyTransform in app.registry.post_transforms:
        app.registry.post_transforms.remove(BibliographyTransform)
    app.add_post_transform(CitationsInPlace)
    app.add_post_transform(SolutionsAtTheEnd)
    app.add_post_transform(LongTables)
    return {"version": book_version(), "parallel_read_safe": True, "parallel_write_safe": True}
