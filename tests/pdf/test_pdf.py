"""The PDF edition (`make pdf`, published into the site by `make site`).

The PDF must be the same book as the site, with the same numbers, and a
citable one. Its text is read with poppler's ``pdftotext``, its fonts with
``pdffonts``, its images with ``pdfimages``; the numbers LaTeX gave every
label are read from the ``.aux`` file LaTeX wrote, and checked against the
pages of the PDF and the built HTML.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from booksite import ROOT, all_html_pages, site_pages, toc_files
from tinynet_book import book_version, pdf_filename

PDF = ROOT / "_build" / "pdf" / "book.pdf"
LATEX = ROOT / "_build" / "latex"


def poppler(*args: str) -> str:
    tool = args[0]
    if not shutil.which(tool):
        pytest.fail(f"{tool} is missing: apt-get install poppler-utils (.ci/run does this)")
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def pdf() -> Path:
    if not PDF.is_file():
        pytest.fail(f"no PDF at {PDF}: run `make pdf` (make test does)")
    return PDF


@cache
def pages(path: Path = PDF) -> list[str]:
    """The text of each page (pdftotext, reading order)."""
    return poppler("pdftotext", "-enc", "UTF-8", str(path), "-").split("\f")


def normalised(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").split())


@cache
def aux_labels() -> dict[str, tuple[str, int]]:
    """label -> (number, page) for every label LaTeX resolved."""
    aux = next(LATEX.glob("*.aux"), None)
    assert aux is not None, f"no .aux file in {LATEX}"
    found = {}
    for name, number, page in re.findall(
        r"\\newlabel\{([^}]*)\}\{\{([^}]*)\}\{(\d+)\}", aux.read_text(encoding="utf-8")
    ):
        found[name] = (number, int(page))
    return found


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def page_of(pdf: Path, number: int) -> str:
    """The text of the page that LaTeX numbered `number` (its printed number).

    The front matter is numbered in roman numerals, so printed and physical
    page numbers differ by an offset: the one most pages agree on, reading
    the page number from the last line of each page's text.
    """
    offsets = Counter(
        i - int(lines[-1])
        for i, text in enumerate(pages(pdf), start=1)
        if (lines := text.split()) and lines[-1].isdigit()
    )
    offset = offsets.most_common(1)[0][0]
    return pages(pdf)[number + offset - 1]


# --- the file ------------------------------------------------------------------

def test_pdf_exists_and_is_published_in_the_site(pdf, html_dir):
    info = poppler("pdfinfo", str(pdf))
    count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    size = re.search(r"^Page size:\s+(.*)$", info, re.M).group(1)
    print(f"\nPDF: {count} pages, {pdf.stat().st_size / 1e6:.2f} MB, {size}")
    assert count > 50
    published = html_dir / pdf_filename(book_version())
    assert published.is_file(), f"{published.name} is missing from the site: run `make site`"
    assert published.read_bytes() == pdf.read_bytes(), "the site serves another PDF than _build/pdf"


def test_title_page(pdf):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    first = normalised(pages(pdf)[0])
    for expected in (config["title"], config["author"], f"Version {book_version()}",
                     "CC BY 4.0", "MIT", pdf_filename(book_version()),
                     f"Cite page numbers from the PDF of version {book_version()}"):
        assert normalised(expected) in first, f"{expected!r} is not on the title page"
    assert re.search(r"\b\d{1,2} [A-Z][a-z]+ 20\d\d\b", first), "the title page has no date"


def test_metadata(pdf):
    info = poppler("pdfinfo", str(pdf))
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert re.search(rf"^Title:\s+{re.escape(config['title'])}$", info, re.M)
    assert re.search(rf"^Author:\s+{re.escape(config['author'])}$", info, re.M)
    subject = re.search(r"^Subject:\s+(.*)$", info, re.M)
    assert subject and normalised(subject.group(1)) == normalised(cff["abstract"])


def test_every_font_is_embedded(pdf):
    rows = poppler("pdffonts", str(pdf)).splitlines()[2:]
    assert rows, "pdffonts lists no fonts"
    missing = [row for row in rows if row.split()[-5] != "yes"]
    assert not missing, "fonts not embedded:\n" + "\n".join(missing)


# --- the text ------------------------------------------------------------------

@pytest.mark.parametrize("bad, meaning", [
    ("??", "an unresolved reference"),
    ("undefined", "an undefined reference or control sequence"),
    ("\\(", "raw LaTeX math"),
    ("\\)", "raw LaTeX math"),
    ("{eq}", "a raw MyST role"),
    ("{ref}", "a raw MyST role"),
    ("{glue", "an unresolved glue role"),
    (":::", "a raw MyST directive"),
    ("```", "a raw MyST fence"),
    ("\ufffd", "a replacement character (a glyph the font lacks)"),
])
def test_no_unresolved_or_raw_markup(pdf, bad, meaning):
    hits = [
        f"page {i + 1}: ...{text[max(0, at - 60):at + 60]!r}..."
        for i, text in enumerate(pages(pdf))
        for at in [m.start() for m in re.finditer(re.escape(bad), text)]
    ]
    assert not hits, f"{meaning} ({bad!r}) in the PDF:\n" + "\n".join(hits[:10])


# --- the same numbers as the site ---------------------------------------------------

def html_equations(html_dir: Path) -> dict[str, tuple[str, str]]:
    """(docname, label) -> number, for every numbered equation of the site."""
    found = {}
    for name in toc_files():
        for math in soup(html_dir / f"{name}.html").select('[id^="equation-"]'):
            eqno = math.select_one(".eqno")
            if eqno is not None:
                number = eqno.find(string=True)  # the text before the ¶ link
                found[(name, math["id"].removeprefix("equation-"))] = number.strip()
    return found


def test_every_equation_has_the_sites_number_on_its_page(pdf, html_dir):
    equations = html_equations(html_dir)
    assert len(equations) > 30
    labels = aux_labels()
    wrong = []
    for (doc, label), html_number in equations.items():
        entry = labels.get(f"equation:{doc}:{label}")
        if entry is None:
            wrong.append(f"{label}: not in the PDF")
            continue
        number, page = entry
        if f"({number})" != html_number:
            wrong.append(f"{label}: ({number}) in the PDF, {html_number} on the site")
        elif html_number not in page_of(pdf, page):
            wrong.append(f"{label}: {html_number} is not printed on page {page}")
    assert not wrong, "\n".join(wrong)


def test_released_equation_labels_are_in_the_pdf():
    released = [
        line.strip()
        for line in (ROOT / "book" / "released-labels.txt").read_text().splitlines()
        if line.strip().startswith("eq-")
    ]
    present = {name.rsplit(":", 1)[-1] for name in aux_labels() if name.startswith("equation:")}
    assert released and not set(released) - present


def test_chapters_and_sections_have_the_sites_numbers(html_dir):
    labels = aux_labels()
    wrong, checked = [], 0
    for name in toc_files():
        for section in soup(html_dir / f"{name}.html").select("section[id]"):
            heading = section.find(["h1", "h2", "h3", "h4"], recursive=False)
            number = heading and heading.select_one(".section-number")
            if number is None:
                continue
            html_number = number.get_text().strip().rstrip(".")
            key = f"{name}::doc" if heading.name == "h1" else f"{name}:{section['id']}"
            pdf_number = labels.get(key, ("missing",))[0]
            checked += 1
            if pdf_number != html_number:
                wrong.append(f"{name}#{section['id']}: {pdf_number} in the PDF, {html_number} on the site")
    assert checked > 80 and not wrong, "\n".join(wrong)


def html_captions(html_dir: Path, kind: str) -> list[str]:
    """'Fig. 1.1', 'Table 2.1', 'Exercise 1.1 (Leaky ReLU)', ... in reading order."""
    found = []
    for name in toc_files():
        for number in soup(html_dir / f"{name}.html").select(".caption-number"):
            text = normalised(number.get_text())
            if text.startswith(kind):
                if kind == "Exercise":
                    title = normalised(number.parent.get_text()).removeprefix(text).strip()
                    text += f" {title}" if title else ""
                found.append(text)
    return found


@pytest.mark.parametrize("kind, pattern", [
    ("Fig.", r"^\s*(Fig\. \d+\.\d+):"),
    ("Table", r"^\s*(Table \d+\.\d+):"),
])
def test_figures_and_tables_have_the_sites_numbers(pdf, html_dir, kind, pattern):
    in_pdf = [m.group(1) for text in pages(pdf) for m in re.finditer(pattern, text, re.M)]
    assert html_captions(html_dir, kind) == in_pdf


def test_exercises_have_the_sites_numbers_and_titles(pdf, html_dir):
    exercises = html_captions(html_dir, "Exercise")
    assert len(exercises) > 20
    text = normalised(" ".join(pages(pdf)))
    missing = [title for title in exercises if title not in text]
    assert not missing, "not in the PDF as on the site:\n" + "\n".join(missing)


def test_solutions_follow_their_exercises(pdf, html_dir):
    text = normalised(" ".join(pages(pdf)))
    for exercise in html_captions(html_dir, "Exercise"):
        at = text.find(exercise)
        assert text.find(f"Solution to {exercise}", at) > at, f"no solution after {exercise}"


def test_every_figure_of_the_site_is_an_image_of_at_least_200_dpi(pdf, html_dir):
    figures = sum(len(soup(page).select("article img")) for page in site_pages())
    rows = [row.split() for row in poppler("pdfimages", "-list", str(pdf)).splitlines()[2:]]
    images = [row for row in rows if row[2] == "image"]
    assert len(images) == figures, f"{len(images)} images in the PDF, {figures} figures on the site"
    low = [row for row in images if min(int(row[12]), int(row[13])) < 200]
    assert not low, "images under 200 dpi (page, ppi): " + str([(r[0], r[12]) for r in low])


def test_no_line_runs_past_the_margin():
    log = next(LATEX.glob("*.log")).read_text(encoding="utf-8", errors="replace")
    widths = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]
    assert not [w for w in widths if w > 5], f"overfull lines wider than 5 pt: {widths}"


def test_links_in_the_pdf_are_absolute(pdf):
    """A relative link in a PDF points nowhere once the file is downloaded."""
    tex = next(LATEX.glob("*.tex")).read_text(encoding="utf-8")
    targets = re.findall(r"\\(?:sphinxhref|href|url)\{([^}]*)\}", tex)
    assert targets
    relative = [t for t in targets if not re.match(r"(https?|mailto):", t)]
    assert not relative, f"relative links in the PDF: {relative}"


def test_the_book_ends_with_the_bibliography_and_has_the_errata(pdf):
    text = normalised(" ".join(pages(pdf)))
    assert "Errata of the original post" in text
    assert "Rumelhart" in text and "Glorot" in text  # entries of references.bib


# --- linked and citable from the site ----------------------------------------------

def test_every_page_links_the_pdf_of_its_version(html_dir):
    name = pdf_filename(book_version())
    pages_ = [
        p for p in all_html_pages()
        if "http-equiv=\"refresh\"" not in p.read_text(encoding="utf-8").lower()
    ]
    assert len(pages_) > 10
    for page in pages_:
        links = [a for a in soup(page).find_all("a", href=True) if a["href"].endswith(name)]
        assert links, f"{page.relative_to(html_dir)} has no link to {name}"
        for a in links:
            assert (page.parent / a["href"]).resolve() == (html_dir / name).resolve()


def test_cite_boxes_and_how_to_cite_give_the_pdf_and_its_page_numbers(html_dir):
    sentence = f"Cite page numbers from the PDF of version {book_version()}"
    for name in [n for n in toc_files() if "how-to-cite" in n]:
        assert sentence in normalised(soup(html_dir / f"{name}.html").get_text())
    boxes = 0
    for page in site_pages():
        box = soup(page).select_one(".cite-this-page")
        if box is not None:
            boxes += 1
            text = normalised(box.get_text())
            assert sentence in text and pdf_filename(book_version()) in text, page.name
    assert boxes >= 9


def test_page_headers_name_the_chapter_and_the_section(pdf):
    """Every chapter with sections has pages headed "Chapter N. Title" over "N.M. Section"."""
    headed = {}
    for text in pages(pdf):
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        match = lines and re.match(r"Chapter (\d+)\. \S", lines[0])
        if match and len(lines) > 1 and re.match(rf"{match.group(1)}\.\d+\. \S", lines[1]):
            headed[int(match.group(1))] = headed.get(int(match.group(1)), 0) + 1
    with_sections = {
        int(number.split(".")[0])
        for name, (number, _) in aux_labels().items()
        if not name.startswith("equation:") and re.fullmatch(r"\d+\.\d+", number)
    }
    assert len(with_sections) >= 12 and sorted(headed) == sorted(with_sections), headed
