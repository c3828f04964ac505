"""Build the PDF edition: ``_build/pdf/book.pdf``, and publish it into the site.

    python tools/build_pdf.py            # LaTeX from the executed notebooks, then XeLaTeX
    python tools/build_pdf.py --site DIR # also copy it into the site as DIR/<pdf name>

The LaTeX is written by Sphinx through Jupyter Book's own ``build_sphinx``
(what ``jupyter-book build --builder pdflatex`` calls), with two differences:

- the LaTeX build keeps its Sphinx environment in ``_build/.doctrees-latex``,
  not in the HTML build's ``_build/.doctrees``. The LaTeX extension of Jupyter
  Book changes configuration values that invalidate the environment, so a
  shared one would make every HTML build after a PDF build re-read every page;
- the notebooks' outputs come from the HTML build's execution cache,
  ``_build/.jupyter_cache`` (the ``make pdf`` target runs ``make book`` first),
  so nothing is executed twice.

XeLaTeX then runs through latexmk in ``_build/latex``; a LaTeX error stops
the build (``-halt-on-error``) with the log's last lines.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
LATEX = BUILD / "latex"
PDF = BUILD / "pdf" / "book.pdf"

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from tinynet_book import book_version, pdf_filename  # noqa: E402


def write_latex() -> None:
    """Sphinx's LaTeX builder, configured exactly as Jupyter Book's CLI does."""
    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(
        ROOT,
        LATEX,
        doctreedir=BUILD / ".doctrees-latex",
        use_external_toc=True,
        noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides={
            "external_toc_path": (ROOT / "_toc.yml").as_posix(),
            "latex_individualpages": False,
            "nitpicky": True,
        },
        builder="latex",
        warningiserror=True,
        keep_going=True,
        quiet=True,
    )
    if result:
        raise SystemExit(f"the LaTeX build failed: {result}")


def run_xelatex() -> Path:
    """latexmk in _build/latex; returns the PDF it wrote."""
    env = dict(os.environ, LATEXOPTS="-interaction=nonstopmode -halt-on-error")
    done = subprocess.run(
        ["make", "-C", str(LATEX), "all-pdf", "LATEXMKOPTS=-silent"],
        env=env, capture_output=True, text=True,
    )
    texs = sorted(LATEX.glob("*.tex"))
    if done.returncode != 0:
        logs = [p.with_suffix(".log") for p in texs if p.with_suffix(".log").exists()]
        tail = logs[0].read_text(errors="replace").splitlines()[-40:] if logs else []
        raise SystemExit(
            "XeLaTeX failed:\n" + done.stdout[-2000:] + done.stderr[-2000:] + "\n".join(tail)
        )
    if len(texs) != 1:
        raise SystemExit(f"expected one .tex file in {LATEX}, found {[p.name for p in texs]}")
    return texs[0].with_suffix(".pdf")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="copy the PDF into this site directory")
    args = parser.parse_args()
    if args.site:
        if not PDF.exists():
            raise SystemExit(f"{PDF} does not exist: run `make pdf` first")
        target = args.site / pdf_filename(book_version())
        for old in args.site.glob(pdf_filename("*")):
            old.unlink()  # the PDF of an earlier version
        shutil.copyfile(PDF, target)
        print(f"published {target}")
        return
    write_latex()
    pdf = run_xelatex()
    PDF.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, PDF)
    pages = subprocess.run(["pdfinfo", str(PDF)], capture_output=True, text=True).stdout
    count = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")), "?")
    print(f"wrote {PDF.relative_to(ROOT)}: {count} pages, {PDF.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
