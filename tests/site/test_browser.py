"""Every page of the book in a real headless Chromium (Debian's, via Playwright).

For each page: MathJax (served from the site) finishes typesetting with no
error; every formula is typeset; no console error, page error, failed or 4xx
request; no request leaves the site; every image loads; and axe-core finds
no serious or critical accessibility violation.
"""

from __future__ import annotations

from pathlib import Path
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

# In the dark theme: every image of the article whose own pixels are partly
# transparent must sit on a light backing, or its dark lines vanish.
DARK_FIGURES = """() => [...document.querySelectorAll('main article img')].map(img => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  let transparent = 0;
  for (let i = 3; i < data.length; i += 4 * 97) if (data[i] < 250) transparent++;
  const backing = getComputedStyle(img).backgroundColor.match(/[\\d.]+/g).map(Number);
  const [r, g, b, a = 1] = backing;
  const light = a > 0.9 && (0.2126 * r + 0.7152 * g + 0.0722 * b) > 200;
  return {src: img.currentSrc.split('/').pop(), transparent: transparent > 0, light};
}).filter(f => f.transparent && !f.light).map(f => f.src)"""

#: Finds what sticks out of a phone's screen (see the file).
OVERFLOW = (Path(__file__).parent / "overflow.js").read_text()

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
        # The dark theme, as a reader who prefers it gets it: the theme
        # follows the system's preference as it changes, no reload needed.
        page.emulate_media(color_scheme="dark")
        page.wait_for_function("() => document.documentElement.dataset.theme === 'dark'",
                               timeout=5000)
        dark_math = page.evaluate(MATH_REPORT)
        dark_theme = page.evaluate("() => document.documentElement.dataset.theme")
        dark_unreadable = page.evaluate(DARK_FIGURES)
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
    assert not dark_unreadable, f"{path}: figures with no light backing in the dark theme: {dark_unreadable}"
    later = problems[len(load_problems):]
    assert not later, f"{path} (dark theme):\n" + "\n".join(later)


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone(browser, server, path):
    """At 390 x 844 CSS pixels nothing sticks out of the screen: a wide formula,
    table or code block scrolls inside its own box."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.route(lambda url: urlsplit(url).netloc != urlsplit(server).netloc,
                   lambda route: route.abort())
        page.goto(f"{server}/{path}", wait_until="load")
        page.evaluate(MATHJAX_READY)
        offenders = page.evaluate(OVERFLOW)
    finally:
        context.close()
    assert not offenders, f"{path} at 390 px:\n" + "\n".join(offenders)


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


def test_the_phone_and_dark_checks_can_fail(browser, server):
    """A too-wide element and a transparent figure without backing are caught."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(f"{server}/{PAGES[1]}", wait_until="load")
        page.evaluate("""async () => {
            const wide = document.createElement('p');
            wide.style.width = '900px';
            wide.textContent = 'too wide';
            document.querySelector('main article').appendChild(wide);
            const canvas = document.createElement('canvas');
            canvas.width = 20; canvas.height = 20;  // all transparent
            const img = document.createElement('img');
            img.alt = 'transparent';
            img.style.background = 'transparent';
            img.src = canvas.toDataURL();
            document.querySelector('main article').appendChild(img);
            await new Promise(r => img.complete ? r() : (img.onload = r));
        }""")
        offenders = page.evaluate(OVERFLOW)
        unreadable = page.evaluate(DARK_FIGURES)
    finally:
        context.close()
    assert any("too wide" in o for o in offenders), offenders
    assert unreadable, "a transparent figure on the dark theme went unnoticed"
