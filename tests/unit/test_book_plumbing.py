"""tinynet.book: the notebooks' plumbing behaves the same wherever they run."""

from __future__ import annotations

import builtins
import sys

import pytest

from tinynet import book


def test_glue_is_myst_nbs_where_the_book_is_built(monkeypatch):
    calls = []
    import myst_nb

    monkeypatch.setattr(myst_nb, "glue", lambda *args, **kwargs: calls.append((args, kwargs)))
    book.glue("name", 3.0, display=False)
    assert calls == [(("name", 3.0), {"display": False})]


def test_glue_only_shows_the_value_where_myst_nb_is_missing(monkeypatch, capsys):
    real_import = builtins.__import__

    def no_myst_nb(name, *args, **kwargs):
        if name == "myst_nb":
            raise ModuleNotFoundError("No module named 'myst_nb'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_myst_nb)
    book.glue("hidden", 1.5, display=False)
    assert capsys.readouterr().out == ""
    book.glue("shown", 2.5)
    assert "2.5" in capsys.readouterr().out


@pytest.mark.parametrize("browser", [False, True])
def test_reduced_says_which_size_it_uses(monkeypatch, capsys, browser):
    monkeypatch.setattr(book, "BROWSER_SIZES", browser)
    assert book.reduced(200, 20, "the number of draws") == (20 if browser else 200)
    out = capsys.readouterr().out
    if browser:
        assert out == ("In your browser: 20 for the number of draws, where the book uses 200 "
                       "(to keep this chapter quick in WebAssembly).\n")
    else:
        assert out == ""


def test_in_browser_means_pyodide():
    assert book.IN_BROWSER is (sys.platform == "emscripten") is False


def test_start_in_browser_names_the_versions(capsys):
    import logging

    import numpy

    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    try:
        book.start_in_browser()
        assert font_log.level == logging.ERROR
    finally:
        font_log.setLevel(level)
    out = capsys.readouterr().out
    assert f"NumPy {numpy.__version__}" in out and "not the versions the book was built with" in out
