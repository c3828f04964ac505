"""Every page of the book in a real headless Chromium (Debian's, via Playwright).

For each page: MathJax (served from the site) finishes typesetting with no
error; every formula is typeset; no console error, page error, failed or 4xx
request; no request leaves the site; every image loads; and axe-core finds
no serious or critical accessibility violation.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from booksite import HTML, site_pages

PAGES = [p.relative_to(HTML).as_posix() for p in site_pages()]


@pytest.fixture(scope="module")
def axe():
    return Axe()


def _open(browser, server, path, color_scheme="light"):
    """Open a page in a fresh context (a first visit) and record its problems."""
    context = browser.new_context(color_scheme=color_scheme)
    page = context.new_page()
    problems: list[str] = []
    site = urlsplit(server).netloc

    def on_request(request):
        if urlsplit(request.url).netloc not in (site, "") and not request.url.startswith("data:"):
            problems.append(f"request leaving the site: {request.url}")

    page.on("request", on_request)
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(
        f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and problems.append(
        f"HTTP {r.status}: {r.url}"))
    page.route(lambda url: urlsplit(url).netloc != site, lambda route: route.abort())
    page.goto(f"{server}/{path}", wait_until="load")
    return context, page, problems


MATHJAX_READY = """async () => {
  if (!window.MathJax) {
    // Sphinx loads MathJax only on pages that have math.
    return document.querySelector('.math') ? "no MathJax on a page with math" : "ok";
  }
  await MathJax.startup.promise;
  return "ok";
}"""

MATH_REPORT = """() => {
  const errors = [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
      .map(e => e.getAttribute('data-mjx-error') || e.textContent);
  // \\require or an undefined macro under `noundefined` renders in red.
  const red = [...document.querySelectorAll('mjx-container [style*="color: red"], mjx-container [mathcolor="red"]')]
      .map(e => e.textContent);
  const untypeset = [...document.querySelectorAll('.math')]
      .filter(e => !e.querySelector('mjx-container') && e.tagName !== 'MJX-CONTAINER')
      .map(e => e.textContent.slice(0, 80));
  const containers = document.querySelectorAll('mjx-container').length;
  return {errors, red, untypeset, containers};
}"""

IMAGES = """() => [...document.images]
  .filter(img => !(img.complete && img.naturalWidth > 0))
  .map(img => img.currentSrc || img.src)"""


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_cleanly_and_accessibly(browser, server, axe, path):
    """One first visit per page: rendering, network, console and axe-core, in
    the light theme; then the same page switched to the dark theme."""
    context, page, problems = _open(browser, server, path)
    try:
        assert page.evaluate(MATHJAX_READY) == "ok", f"{path}: MathJax did not load"
        math = page.evaluate(MATH_REPORT)
        broken_images = page.evaluate(IMAGES)
        page.wait_for_load_state("networkidle")
        load_problems = list(problems)
        # preload=False: axe-core would otherwise fetch the stylesheets itself
        # and resolve the theme's @import against the wrong base (a 404 that
        # is axe's, not the page's).
        results = axe.run(page, options={"resultTypes": ["violations"], "preload": False})
        # The dark theme, as a reader who prefers it gets it.
        page.emulate_media(color_scheme="dark")
        page.reload(wait_until="load")
        page.evaluate(MATHJAX_READY)
        dark_math = page.evaluate(MATH_REPORT)
        dark_theme = page.evaluate("() => document.documentElement.dataset.theme")
    finally:
        context.close()
    assert not math["errors"], f"{path}: MathJax errors {math['errors']}"
    assert not math["red"], f"{path}: MathJax rendered red (undefined macro?) {math['red']}"
    assert not math["untypeset"], f"{path}: formulas left untypeset {math['untypeset']}"
    assert not broken_images, f"{path}: broken images {broken_images}"
    assert not load_problems, f"{path}:\n" + "\n".join(load_problems)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} -- e.g. {v['nodes'][0]['html'][:200]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, f"{path}: axe-core violations:\n" + "\n".join(serious)
    assert dark_theme == "dark", f"{path}: the dark color scheme did not switch the theme"
    assert not dark_math["errors"] and not dark_math["untypeset"]
    later = problems[len(load_problems):]
    assert not later, f"{path} (dark theme):\n" + "\n".join(later)


def test_the_checks_can_fail(browser, server):
    """A page with an undefined macro and a missing image trips the checks above."""
    context, page, problems = _open(browser, server, PAGES[0])
    try:
        page.evaluate(MATHJAX_READY)
        page.evaluate("""async () => {
            const div = document.createElement('div');
            div.className = 'math';
            div.textContent = '\\\\(\\\\undefinedmacro{x}\\\\)';
            document.body.appendChild(div);
            const img = document.createElement('img');
            img.src = 'no-such-image.png';
            img.alt = 'missing';
            document.body.appendChild(img);
            await MathJax.typesetPromise([div]);
            await new Promise(r => img.complete ? r() : (img.onerror = r));
        }""")
        math = page.evaluate(MATH_REPORT)
        broken_images = page.evaluate(IMAGES)
    finally:
        context.close()
    assert math["errors"] or math["red"], "an undefined macro went unnoticed"
    assert broken_images, "a missing image went unnoticed"
    assert any("404" in p for p in problems), "a 404 went unnoticed"
