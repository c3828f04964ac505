"""The in-browser runtime: every chapter runs in JupyterLite, from the site.

What the site serves under lite/ (tools/build_lite.py builds it) is checked
file by file: the Pyodide files are the official release's bytes, the
tinynet wheel is the tinynet of this commit, no source maps ship. Then every
chapter is opened from its "Run in your browser" link in headless Chromium
and run cell by cell (tests/litedriver.py): no error output, nothing on
stderr, no console error, no request leaving the site.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from booksite import HTML, ROOT
from litedriver import LAUNCH_SELECTOR, is_myst_unresolved_reference, reader_context, run_chapter

LITE = HTML / "lite"
PYODIDE = LITE / "static" / "pyodide"
NPM_PYODIDE = ROOT / "tools" / "node_modules" / "pyodide"
CHAPTERS = sorted(p.stem for p in (ROOT / "book").glob("[0-9][0-9]-*.ipynb"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def lock() -> dict:
    return json.loads((NPM_PYODIDE / "pyodide-lock.json").read_text())


def test_every_pyodide_file_is_the_official_one(html_dir, lock):
    """Each file under lite/static/pyodide is a file of the npm package
    pyodide (byte for byte) or a wheel whose sha256 is the one the official
    pyodide-lock.json gives it; nothing else is there."""
    by_file = {entry["file_name"]: entry["sha256"] for entry in lock["packages"].values()}
    served = sorted(p for p in PYODIDE.rglob("*") if p.is_file())
    assert served, f"nothing served under {PYODIDE}"
    unofficial = []
    for path in served:
        name = path.relative_to(PYODIDE).as_posix()
        if name in by_file:
            if _sha256(path) != by_file[name]:
                unofficial.append(f"{name}: sha256 differs from pyodide-lock.json")
        elif (NPM_PYODIDE / name).is_file():
            if path.read_bytes() != (NPM_PYODIDE / name).read_bytes():
                unofficial.append(f"{name}: differs from npm pyodide's")
        else:
            unofficial.append(f"{name}: not a file of the Pyodide release")
    assert not unofficial, unofficial
    assert (PYODIDE / "pyodide-lock.json").read_bytes() == (NPM_PYODIDE / "pyodide-lock.json").read_bytes()
    assert lock["info"]["version"] == json.loads((NPM_PYODIDE / "package.json").read_text())["version"]


def test_the_kernel_loads_pyodide_from_the_site(html_dir):
    settings = json.loads((LITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    kernel = settings["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]
    assert kernel["pyodideUrl"] == "./static/pyodide/pyodide.js"
    assert kernel["disablePyPIFallback"] is True


def test_the_browser_gets_this_commits_tinynet(html_dir):
    """The wheel the site serves holds code/tinynet as it is now."""
    (wheel,) = (LITE / "pypi").glob("tinynet-*.whl")
    with zipfile.ZipFile(wheel) as z:
        in_wheel = {n: z.read(n) for n in z.namelist() if n.startswith("tinynet/") and n.endswith(".py")}
    on_disk = {f"tinynet/{p.name}": p.read_bytes() for p in (ROOT / "code" / "tinynet").glob("*.py")}
    assert in_wheel == on_disk
    index = json.loads((LITE / "pypi" / "all.json").read_text())
    assert {"tinynet", "comm"} <= set(index)


def test_no_source_maps_and_no_font_from_elsewhere(html_dir):
    maps = [p.relative_to(HTML).as_posix() for p in LITE.rglob("*.map")]
    assert not maps, f"{len(maps)} source maps ship, e.g. {maps[:3]}"
    for page in [*LITE.rglob("*.html"), *HTML.glob("**/*.html")]:
        assert "fonts.googleapis" not in page.read_text(errors="replace"), page


def test_the_chapters_are_the_books_notebooks(html_dir):
    served = sorted(p.stem for p in (LITE / "files").glob("*.ipynb"))
    assert served == CHAPTERS
    for name in CHAPTERS:
        assert (LITE / "files" / f"{name}.ipynb").read_bytes() == (ROOT / "book" / f"{name}.ipynb").read_bytes()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_launch_button_beside_binder(html_dir, chapter):
    """Every chapter's launch menu has Binder and "Run in your browser", which
    opens that chapter in JupyterLite's notebook app on this site."""
    page = (HTML / "book" / f"{chapter}.html").read_text()
    menu = re.search(r'<div class="dropdown dropdown-launch-buttons">(.*?)</ul>', page, re.S)
    assert menu, f"{chapter}: no launch menu"
    assert "mybinder.org" in menu.group(1)
    link = re.search(r'<a href="([^"]+)"[^>]*\n?\s*class="[^"]*btn-launch-lite', menu.group(1))
    assert link, f"{chapter}: no Run in your browser link in the launch menu"
    target = urlsplit(urljoin(f"http://site/book/{chapter}.html", link.group(1).replace("&amp;", "&")))
    assert target.path == "/lite/notebooks/index.html"
    assert parse_qs(target.query) == {"path": [f"{chapter}.ipynb"]}
    assert "Run in your browser" in menu.group(1)


def test_pages_without_notebooks_have_no_launch_button(html_dir):
    for page in [HTML / "index.html", *(HTML / "book").glob("*.html")]:
        if page.stem not in CHAPTERS:
            assert "btn-launch-lite" not in page.read_text(), page


def test_reading_a_chapter_loads_none_of_the_runtime(browser, server):
    """The runtime is fetched only when the reader clicks."""
    context = browser.new_context()
    page = context.new_page()
    urls: list[str] = []
    context.on("request", lambda r: urls.append(r.url))
    try:
        page.goto(f"{server}/book/{CHAPTERS[0]}.html", wait_until="networkidle")
        assert page.locator(LAUNCH_SELECTOR).count() == 1
    finally:
        context.close()
    assert urls and not [u for u in urls if "/lite/" in u]


@pytest.fixture(scope="module")
def reader(browser, server):
    """One reader's browser for all chapters, as a reader going through the
    book: the runtime is downloaded once and then comes from the cache."""
    context = reader_context(browser, server)
    yield context
    context.close()


@pytest.mark.browser_run
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_in_the_browser(reader, server, chapter):
    """Open the chapter from its launch link and run every cell."""
    run = run_chapter(reader, server, chapter)
    assert not run.problems, "\n".join(run.problems)
    assert run.kernel == "Python (Pyodide)"
    assert run.cells and all(cell["outputs"] is not None for cell in run.cells)
    assert "Running in your browser: Python" in run.output_text()


def test_only_myst_reference_reports_are_let_through():
    """The console filter of the driver lets through jupyterlab-myst's reports
    of references to other chapters, and nothing else."""
    assert is_myst_unresolved_reference(
        "Cross reference target was not found: forward-chapter\n"
        'Reference for "relu-backward" uses "%s" in the template, but node is not numbered.')
    assert not is_myst_unresolved_reference("Uncaught TypeError: x is undefined")
    assert not is_myst_unresolved_reference(
        "Cross reference target was not found: forward-chapter\nFailed to load resource: 404")
    assert not is_myst_unresolved_reference("")
