"""Benchmarks of the training loop and of the book build: ``make bench``.

Prints, in one run:

- the time per iteration of ``tinynet.train`` on the original post's problem
  (N, D, H, C) = (128, 1000, 100, 1), learning rate 1e-6, float64;
- the *floor*: the time of its two big matrix products alone, ``x @ w1``
  (128x1000 @ 1000x100) and ``x.T @ da`` (1000x128 @ 128x100), once per
  iteration; no implementation of the algorithm with dense products can take
  less time with this BLAS, since every iteration needs both;
- the time of the original post's straightforward loop (``reference.py``),
  and of PyTorch's eager autograd on the same problem when torch is installed;
- the ratios to the floor, and the largest relative difference between train
  and the original loop over 1000 iterations (they compute the same numbers,
  rounded in another order);
- the BLAS NumPy uses and its number of threads (threadpoolctl);
- unless ``--skip-browser``: for the in-browser runtime (JupyterLite, served
  from ``_build/html``, which ``make bench`` builds first), in headless
  Chromium with an empty cache each time, the time from clicking a chapter's
  "Run in your browser" link to an idle kernel and to the first cell's
  output, and the bytes and requests a reader downloads for that first run;
- unless ``--skip-build``: the time of a clean ``make book`` (after
  ``rm -rf _build``) and of a second ``make book`` with nothing changed.

How it times: every task runs once per round, in the same order, for many
rounds; each round yields one ratio per task, task time over the floor's time
in that round, so that a burst of load from other processes, which slows
neighbouring runs alike, cancels out of the ratio. The median over rounds is
printed with the 10th and 90th percentiles. A short pause before each run
lets the BLAS worker threads of the previous task go to sleep. PyTorch has a
thread pool of its own, whose idle threads spin for a while after each
operation and would steal a core from the NumPy runs that follow, so it is
timed in a second phase, alternating with the floor after a longer pause;
its ratio to train is the ratio of the two medians over the floor. Results
are discarded, so no run pays for another's memory.

This is a measurement, not a test: it asserts nothing about time.

Usage (from the repository root; ``make bench`` does this)::

    PYTHONPATH=tests .venv/bin/python tests/bench/run_bench.py [--skip-build] [--loops N] [--rounds R]

The book builds delete ``_build``: do not run them while someone else is
building the book in the same checkout.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info

import tinynet
from reference import largest_relative_difference, original_loop
from tinynet import original_problem, train

ROOT = Path(__file__).resolve().parents[2]

#: Pause before each timed run, in seconds (see the module docstring).
PAUSE = 0.05
#: Pause before each run of the PyTorch phase.
TORCH_PAUSE = 0.3


def floor_loop(x, w1, da, num_loops):
    """Only the two big products of each iteration: x @ w1 and x.T @ da."""
    for _ in range(num_loops):
        x @ w1
        x.T @ da


def torch_eager_loop(x, y, w1, w2, num_loops, learning_rate):
    """The same training with PyTorch's eager autograd, or None without torch."""
    import torch

    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    w1t = torch.from_numpy(w1.copy()).requires_grad_()
    w2t = torch.from_numpy(w2.copy()).requires_grad_()
    for _ in range(num_loops):
        loss = ((torch.relu(xt @ w1t) @ w2t - yt) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            w1t -= learning_rate * w1t.grad
            w2t -= learning_rate * w2t.grad
        w1t.grad = None
        w2t.grad = None


def time_rounds(tasks, rounds, loops, pause=PAUSE):
    """Seconds per iteration of each task, one run per round: {name: array of rounds}."""
    for task in tasks.values():  # warm up: threads, caches, page faults
        task()
    times = {name: np.empty(rounds) for name in tasks}
    for r in range(rounds):
        for name, task in tasks.items():
            time.sleep(pause)
            start = time.perf_counter()
            task()
            times[name][r] = (time.perf_counter() - start) / loops
    return times


def summary(values):
    """Median, 10th and 90th percentile."""
    p10, median, p90 = np.percentile(values, [10, 50, 90])
    return median, p10, p90


def blas_description():
    """One line per BLAS library NumPy has loaded: name, version, threads."""
    lines = []
    for lib in threadpool_info():
        if lib.get("user_api") != "blas":
            continue
        lines.append(
            f"{lib.get('internal_api', '?')} {lib.get('version') or ''} "
            f"({lib.get('architecture') or 'unknown architecture'}, "
            f"{lib.get('threading_layer', '?')} threading), "
            f"{lib.get('num_threads')} thread(s)"
        )
    return lines or ["no BLAS found by threadpoolctl"]


def time_make_book():
    """Time a clean ``make book`` and a second one with nothing changed.

    Returns the folder of the two logs of make's output, and a list of
    (label, seconds, return code).
    """
    logs = Path(tempfile.mkdtemp(prefix="tinynet-bench-"))
    results = []
    shutil.rmtree(ROOT / "_build", ignore_errors=True)
    for label, log_name in (
        ("clean `make book` (after rm -rf _build)", "make-book-clean.log"),
        ("`make book` again, nothing changed", "make-book-noop.log"),
    ):
        with open(logs / log_name, "w") as out:
            start = time.perf_counter()
            proc = subprocess.run(["make", "book"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
            seconds = time.perf_counter() - start
        results.append((label, seconds, proc.returncode))
    return logs, results


def time_browser(chapter: str, runs: int):
    """First runs of ``chapter`` in JupyterLite, each in a fresh browser
    context (nothing cached): a list of litedriver.LiteRun."""
    from playwright.sync_api import sync_playwright

    from booksite import CHROMIUM, CHROMIUM_ARGS, HTML, serve
    from litedriver import reader_context, run_chapter

    with serve(HTML) as server:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                results = []
                for _ in range(runs):
                    context = reader_context(browser, server)
                    try:
                        results.append(run_chapter(context, server, chapter, run_cells=False))
                    finally:
                        context.close()
                return results
            finally:
                browser.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-build", action="store_true", help="skip the two `make book` timings")
    parser.add_argument("--skip-browser", action="store_true", help="skip the in-browser runtime's timings")
    parser.add_argument("--browser-runs", type=int, default=5,
                        help="first runs of a chapter in the browser (default 5)")
    parser.add_argument("--loops", type=int, default=100,
                        help="iterations per timed run (default 100)")
    parser.add_argument("--rounds", type=int, default=25,
                        help="rounds of runs; medians over rounds (default 25)")
    args = parser.parse_args(argv)
    if args.loops < 1 or args.rounds < 1:
        parser.error("--loops and --rounds must be positive")

    x, y, w1, w2 = original_problem(0)
    lr = tinynet.LEARNING_RATE
    # A realistic da for the floor: the masked upstream gradient of the first iteration.
    a, h, predictions = tinynet.forward(x, w1, w2)
    da = tinynet.relu_backward(tinynet.grad_h(tinynet.sse_loss_backward(predictions, y), w2), a)

    # Same numbers: train against the original loop over the full 1000 iterations.
    ours = train(x, y, w1, w2, num_loops=tinynet.NUM_LOOPS, learning_rate=lr)
    theirs = original_loop(x, y, w1, w2, tinynet.NUM_LOOPS, lr)
    max_rel = largest_relative_difference(ours, theirs)

    tasks = {
        "floor": lambda: floor_loop(x, w1, da, args.loops),
        "train": lambda: train(x, y, w1, w2, num_loops=args.loops, learning_rate=lr),
        "original": lambda: original_loop(x, y, w1, w2, args.loops, lr),
    }
    labels = {
        "floor": "floor: x @ w1 and x.T @ da only",
        "train": "tinynet.train",
        "original": "original post's loop",
    }
    times = time_rounds(tasks, args.rounds, args.loops)
    ratios = {name: times[name] / times["floor"] for name in tasks}
    try:
        import torch
    except ImportError:
        torch = None
    else:
        second = time_rounds(
            {"floor": tasks["floor"],
             "torch": lambda: torch_eager_loop(x, y, w1, w2, args.loops, lr)},
            args.rounds, args.loops, pause=TORCH_PAUSE,
        )
        times["torch"] = second["torch"]
        ratios["torch"] = second["torch"] / second["floor"]
        labels["torch"] = f"PyTorch {torch.__version__} eager autograd"

    print("Training benchmark: the original post's problem, (N, D, H, C) = "
          f"({tinynet.BATCH_SIZE}, {tinynet.INPUT_DIM}, {tinynet.HIDDEN_DIM}, "
          f"{tinynet.OUTPUT_DIM}), learning rate {lr:g}, float64")
    print(f"NumPy {np.__version__}, Python {sys.version.split()[0]}; BLAS:")
    for line in blas_description():
        print(f"  {line}")
    if torch is not None:
        print(f"  PyTorch: {torch.get_num_threads()} intra-op thread(s)")
    print(f"{args.rounds} rounds of one run of {args.loops} iterations per task; "
          "median [10th-90th percentile] over rounds.")
    print()
    width = max(len(label) for label in labels.values())
    print(f"  {'what':<{width}}  {'ms/iteration':>22}  {'x floor (same round)':>22}")
    for name, label in labels.items():
        t, r = summary(times[name]), summary(ratios[name])
        print(f"  {label:<{width}}  {t[0] * 1e3:7.3f} [{t[1] * 1e3:.3f}-{t[2] * 1e3:.3f}]"
              f"  {r[0]:7.3f} [{r[1]:.3f}-{r[2]:.3f}]")
    print()
    print(f"  ratio train/floor:    {summary(ratios['train'])[0]:.3f} (median over rounds)")
    print(f"  ratio original/floor: {summary(ratios['original'])[0]:.3f}")
    if torch is not None:
        speedup = summary(ratios["torch"])[0] / summary(ratios["train"])[0]
        print(f"  PyTorch eager / train: {speedup:.3f} (ratio of the medians over the floor; "
              "above 1: train is faster)")
    else:
        print("  PyTorch eager / train: not measured (torch is not installed)")
    print(f"  largest relative difference, train vs original loop "
          f"({tinynet.NUM_LOOPS} iterations, losses and weights): {max_rel:.2e}")

    if args.skip_browser:
        print("\nIn the browser: skipped (--skip-browser).")
    else:
        chapter = "01-relu"
        runs = time_browser(chapter, args.browser_runs)
        print(f"\nIn the browser: {len(runs)} first runs of {chapter} in JupyterLite, headless Chromium, "
              "empty cache each time; median [min-max]:")
        idle = [r.seconds_to_idle_kernel for r in runs]
        first = [r.seconds_to_first_output for r in runs]
        print(f"  click to an idle kernel:        {np.median(idle):6.1f} s [{min(idle):.1f}-{max(idle):.1f}]")
        print(f"  click to the first cell's output: {np.median(first):4.1f} s [{min(first):.1f}-{max(first):.1f}]")
        print(f"  downloaded for that first run:  {runs[0].bytes_downloaded / 1e6:6.1f} MB in {runs[0].requests} requests")
        for r in runs:
            for problem in r.problems:
                print(f"  problem: {problem}")

    if args.skip_build:
        print("\nBook build: skipped (--skip-build).")
        return 0
    print("\nBook build (this deletes _build first):")
    status = 0
    logs, results = time_make_book()
    for label, seconds, code in results:
        note = "" if code == 0 else f"  FAILED (exit code {code})"
        print(f"  {label:<42}  {seconds:8.1f} s{note}")
        status = status or code
    print(f"  make's output: {logs}")
    return status


if __name__ == "__main__":
    sys.exit(main())
