"""Run a chapter in JupyterLite, in headless Chromium, as a reader does.

Shared by the browser tests (tests/site/test_lite.py) and the benchmark
(tests/bench/run_bench.py): open the chapter's "Run in your browser" link,
wait for an idle Pyodide kernel, run every cell, and report what happened.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: What the launch button of a chapter's page is found by.
LAUNCH_SELECTOR = "a.btn-launch-lite"

KERNEL_IDLE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const kernel = panel && panel.sessionContext && panel.sessionContext.session
      && panel.sessionContext.session.kernel;
  return !!kernel && kernel.status === 'idle' && panel.sessionContext.kernelDisplayName;
}"""

# Run all resolves when every cell has run, or when one fails (the rest are
# then not run: their execution count stays null).
RUN_ALL = """async () => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  await app.commands.execute('notebook:run-all-cells');
  return panel.content.model.sharedModel.cells
      .filter(c => c.cell_type === 'code')
      .map(c => ({source: c.source.split('\\n').find(l => l && !l.startsWith('#')) || '',
                  executed: c.execution_count !== null,
                  outputs: c.toJSON().outputs}));
}"""

# Run the first code cell alone, as a reader pressing Shift+Enter on it.
RUN_FIRST = """async () => {
  const app = window.jupyterapp;
  const notebook = app.shell.currentWidget.content;
  notebook.activeCellIndex = notebook.widgets.findIndex(w => w.model.type === 'code');
  await app.commands.execute('notebook:run-cell');
}"""

FIRST_OUTPUT = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const first = panel.content.model.sharedModel.cells.find(c => c.cell_type === 'code');
  return first.toJSON().outputs.length > 0;
}"""

#: jupyterlab-myst renders one notebook at a time, so it cannot resolve a
#: reference to a label of another chapter (the book's pages can); it reports
#: each such reference on the console as an error, and shows the reference as
#: text. Console errors that consist only of these reports are not failures.
MYST_UNRESOLVED = re.compile(
    r'^(Cross reference target was not found: \S+'
    r'|Reference for "[^"]+" uses "%s" in the template, but node is not numbered\.)$'
)


def is_myst_unresolved_reference(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return bool(lines) and all(MYST_UNRESOLVED.match(line) for line in lines)


@dataclass
class LiteRun:
    """What one chapter's run in the browser produced."""

    chapter: str
    kernel: str = ""
    seconds_to_idle_kernel: float = float("nan")
    seconds_to_first_output: float = float("nan")
    seconds_to_run_all: float = float("nan")
    problems: list[str] = field(default_factory=list)
    cells: list[dict] = field(default_factory=list)
    bytes_downloaded: int = 0
    requests: int = 0

    def output_text(self) -> str:
        """Every stream and text output of the run, in order."""
        parts = []
        for cell in self.cells:
            for out in cell["outputs"]:
                if out["output_type"] == "stream":
                    parts.append(out["text"] if isinstance(out["text"], str) else "".join(out["text"]))
                elif "text/plain" in out.get("data", {}):
                    text = out["data"]["text/plain"]
                    parts.append(text if isinstance(text, str) else "".join(text))
        return "".join(parts)


def error_outputs(cells: list[dict]) -> list[str]:
    """Every error output and every line written to stderr, with its cell."""
    found = []
    for cell in cells:
        for out in cell["outputs"]:
            if out["output_type"] == "error":
                found.append(f"{cell['source']!r}: {out['ename']}: {out['evalue']}")
            elif out["output_type"] == "stream" and out["name"] == "stderr":
                text = out["text"] if isinstance(out["text"], str) else "".join(out["text"])
                found.append(f"{cell['source']!r}: stderr: {text.strip()[:500]}")
    return found


def is_browser_favicon_guess(server: str, url: str) -> bool:
    """Chromium's own request for /favicon.ico at the root of the origin,
    which it makes while JupyterLab swaps its busy and idle icons. The site
    is published below that root (on GitHub Pages, /<repository>/), so that
    address is not the site's; its 404 is not one of the site's."""
    return url == f"{server}/favicon.ico"


def reader_context(browser, server: str):
    """A browser context (a reader's browser, empty cache) in which every
    request that would leave the site is aborted (run_chapter reports it)."""
    context = browser.new_context()
    site = urlsplit(server).netloc
    context.route(lambda url: urlsplit(url).netloc != site, lambda route: route.abort())
    return context


def run_chapter(context, server: str, chapter: str, *, run_cells: bool = True,
                timeout: float = 300.0) -> LiteRun:
    """Open ``chapter``'s page in the browser ``context``, follow its launch
    link, and run every cell (or, without ``run_cells``, the first code cell).

    ``context`` comes from :func:`reader_context`. A fresh context is a first visit (nothing cached); one context reused
    for several chapters is a reader going through the book. Every request
    that leaves the site is blocked and reported, as are console errors, page
    errors, failed requests and HTTP errors.
    """
    run = LiteRun(chapter)
    page = context.new_page()
    handlers = []
    site = urlsplit(server).netloc

    def on_request(request):
        if urlsplit(request.url).netloc not in (site, "") and not request.url.startswith(("data:", "blob:")):
            run.problems.append(f"request leaving the site: {request.url}")

    def on_response(response):
        if is_browser_favicon_guess(server, response.url):
            return
        if response.status >= 400:
            run.problems.append(f"HTTP {response.status}: {response.url}")
        if response.from_service_worker:
            return  # JupyterLite's service worker fetched it: counted there
        run.requests += 1
        try:
            length = int(response.headers.get("content-length", "0"))
        except ValueError:
            length = 0
        run.bytes_downloaded += length

    def on_console(message):
        if is_browser_favicon_guess(server, message.location.get("url", "")):
            return
        if message.type == "error" and not is_myst_unresolved_reference(message.text):
            run.problems.append(f"console error: {message.text}")

    try:
        page.goto(f"{server}/book/{chapter}.html", wait_until="load")
        href = page.get_attribute(LAUNCH_SELECTOR, "href")
        if href is None:
            run.problems.append(f"no launch link ({LAUNCH_SELECTOR}) on book/{chapter}.html")
            return run
        # Only what the reader downloads after the click counts. The context
        # sees the requests of the page, of its workers (the kernel runs in
        # one) and of JupyterLite's service worker.
        on_failed = lambda r: run.problems.append(f"failed request: {r.url} ({r.failure})")  # noqa: E731
        handlers[:] = [("request", on_request), ("response", on_response), ("requestfailed", on_failed)]
        for event, handler in handlers:
            context.on(event, handler)
        start = time.perf_counter()
        # The launch link opens a new tab, as Binder's does: the chapter's
        # page stays open beside it.
        with context.expect_page() as new_tab:
            page.evaluate(f"() => document.querySelector('{LAUNCH_SELECTOR}').click()")
        page = new_tab.value
        page.on("console", on_console)
        page.on("pageerror", lambda e: run.problems.append(f"page error: {e}"))
        page.wait_for_function(KERNEL_IDLE, timeout=timeout * 1000, polling=100)
        run.seconds_to_idle_kernel = time.perf_counter() - start
        run.kernel = page.evaluate(KERNEL_IDLE)
        if not run_cells:
            page.evaluate(RUN_FIRST)
            page.wait_for_function(FIRST_OUTPUT, timeout=timeout * 1000, polling=100)
            run.seconds_to_first_output = time.perf_counter() - start
            return run
        page.set_default_timeout(timeout * 1000)
        run.cells = page.evaluate(RUN_ALL)
        run.seconds_to_run_all = time.perf_counter() - start
        run.problems += error_outputs(run.cells)
        not_run = [c["source"] for c in run.cells if not c["executed"]]
        if not_run:
            run.problems.append(f"{len(not_run)} cells not run, from {not_run[0]!r}")
        return run
    finally:
        for event, handler in handlers:
            context.remove_listener(event, handler)
        for open_page in context.pages:
            open_page.close()

