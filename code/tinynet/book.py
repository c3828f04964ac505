"""Plumbing between the chapters' notebooks and where they run.

The same notebooks run in three places: when the book is built (Jupyter
Book), on Binder or a reader's own Jupyter, and in the reader's browser
(JupyterLite, on Pyodide). Each chapter's first, hidden cell imports
:func:`glue` from here; the chapters whose experiments are slow in
WebAssembly ask :data:`IN_BROWSER` for smaller sizes.
"""

from __future__ import annotations

import os
import platform
import sys

#: True in the reader's browser: Python compiled to WebAssembly (Pyodide).
IN_BROWSER = sys.platform == "emscripten"
#: Whether :func:`reduced` picks the browser's sizes: in the browser, or
#: wherever the environment variable ``TINYNET_BROWSER_SIZES`` is ``1`` (to
#: try the browser's sizes quickly in CPython).
BROWSER_SIZES = IN_BROWSER or os.environ.get("TINYNET_BROWSER_SIZES") == "1"


def glue(name: str, variable, display: bool = True) -> None:
    """Hand a computed value to the book's text (``myst_nb.glue``).

    When the book is built, this is ``myst_nb.glue``: the value appears in the
    text wherever ``{glue}`name``` refers to it. Where MyST-NB is not
    installed (in the browser, where there is no text to fill in), it only
    shows the value when ``display`` is true, as ``myst_nb.glue`` does.
    """
    try:
        from myst_nb import glue as myst_glue
    except ModuleNotFoundError:
        if display:
            from IPython.display import display as show

            show(variable)
        return
    myst_glue(name, variable, display=display)


def start_in_browser() -> None:
    """Get the browser's Python ready for a chapter, and say what runs it.

    Prints one line naming the Python and NumPy of the browser, which are
    Pyodide's, not the versions the book was built with. Also silences
    Matplotlib's font manager below errors: its first import in the browser
    builds a font cache and says so on stderr, which is not a problem.
    """
    import logging

    import numpy

    print(
        f"Running in your browser: Python {platform.python_version()} and NumPy "
        f"{numpy.__version__} (Pyodide), not the versions the book was built "
        "with (requirements.txt); a number may differ from the text in its last digits."
    )
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def reduced(full, browser, what: str):
    """``full`` where the book is built, ``browser`` in the reader's browser.

    In the browser it also prints which size is used, so a reader comparing
    with the text knows why the numbers differ.
    """
    if not BROWSER_SIZES:
        return full
    print(f"In your browser: {browser} for {what}, where the book uses {full} "
          "(to keep this chapter quick in WebAssembly).")
    return browser
