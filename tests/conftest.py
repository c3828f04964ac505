"""Fixtures for the tests of the built site in _build/html.

`make test` builds the site first. Run alone, these tests fail (they do not
skip) when the site is missing, so a green run always means a checked site.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from booksite import CHROMIUM, CHROMIUM_ARGS, HTML, serve


@pytest.fixture(scope="session")
def html_dir() -> Path:
    if not (HTML / "index.html").is_file():
        pytest.fail(f"no built site at {HTML}: run `make book` first (make test does)")
    return HTML


@pytest.fixture(scope="session")
def server(html_dir):
    """Serve _build/html on a free port of 127.0.0.1 for the browser tests."""
    with serve(html_dir) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium, driven by Playwright (never a browser download)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            "Chromium is not installed: `apt-get install chromium` (.ci/run does this)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        yield browser
        browser.close()
