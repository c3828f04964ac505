"""Benchmarks of the training loop and of the book build: ``make bench``.

Prints, in one run:

- the time per iteration of ``tinynet.train`` on the original post's problem
  (N, D, H, C) = (128, 1000, 100, 1), learning rate 1e-6, float64;
- the *floor*: the time of its two big matrix products alone, ``x @ w1``
  (128x1000 @ 1000x100) and ``x.T @ da`` (1000x128 @ 128x100), once per
  iteration; no implementation of the algorithm can take less time with this
  BLAS, since every iteration needs both products;
- the time of the original post's straightforward loop, written out with its
  missing right-hand sides filled in;
- the ratios train/floor and original/floor, and the largest relative
  difference between train and the original loop (they compute the same
  numbers);
- the BLAS NumPy uses and its number of threads (threadpoolctl);
- unless ``--skip-build``: the time of a clean ``make book`` (after
  ``rm -rf _build``) and of a second ``make book`` with nothing changed.

Every time is the minimum over several repeats, measured with
``time.perf_counter``; the three training timings are interleaved, so that a
burst of load from other processes hits all of them alike. The minimum is the
best estimate of what the code itself costs: noise only ever adds time.

This is a measurement, not a test: it asserts nothing about time.

Usage (from the repository root)::

    .venv/bin/python tests/bench/run_bench.py [--skip-build] [--loops N] [--repeats R]

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
from tinynet import init_weights, make_data, train

ROOT = Path(__file__).resolve().parents[2]


def original_problem(seed=0):
    """x, y, w1, w2 of the original post's problem, drawn as the book draws them."""
    rng = np.random.default_rng(seed)
    x, y = make_data(tinynet.BATCH_SIZE, tinynet.INPUT_DIM, tinynet.OUTPUT_DIM, rng)
    w1, w2 = init_weights(tinynet.INPUT_DIM, tinynet.HIDDEN_DIM, tinynet.OUTPUT_DIM, rng)
    return x, y, w1, w2


def original_loop(x, y, w1, w2, num_loops, learning_rate):
    """The original post's training loop, its blank right-hand sides filled in."""
    weights1, weights2 = w1.copy(), w2.copy()
    input_values, output_values = x, y
    losses = np.empty(num_loops)
    for i in range(num_loops):
        activations = input_values @ weights1
        relu_activations = np.maximum(activations, 0)
        predictions = relu_activations @ weights2
        loss = np.sum((predictions - output_values) ** 2)
        losses[i] = loss
        # Gradients
        dloss_predictions = 2.0 * (predictions - output_values)
        dloss_weights2 = relu_activations.T @ dloss_predictions
        dloss_relu_activations = dloss_predictions @ weights2.T
        dloss_activations = dloss_relu_activations.copy()
        dloss_activations[activations < 0] = 0
        dloss_weights1 = input_values.T @ dloss_activations
        # Gradient descent
        weights1 -= learning_rate * dloss_weights1
        weights2 -= learning_rate * dloss_weights2
    return weights1, weights2, losses


def floor_loop(x, w1, da, num_loops):
    """Only the two big products of each iteration: x @ w1 and x.T @ da."""
    for _ in range(num_loops):
        x @ w1
        x.T @ da


def time_interleaved(tasks, repeats):
    """Run every task once per round, ``repeats`` rounds; return the minimum time of each."""
    best = {name: float("inf") for name in tasks}
    for _ in range(repeats):
        for name, task in tasks.items():
            start = time.perf_counter()
            task()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


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


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-build", action="store_true", help="skip the two `make book` timings")
    parser.add_argument(
        "--loops", type=int, default=tinynet.NUM_LOOPS,
        help=f"iterations per timing (default {tinynet.NUM_LOOPS}, as in the original post)",
    )
    parser.add_argument("--repeats", type=int, default=5, help="repeats; the minimum counts (default 5)")
    args = parser.parse_args(argv)
    if args.loops < 1 or args.repeats < 1:
        parser.error("--loops and --repeats must be positive")

    x, y, w1, w2 = original_problem(seed=0)
    lr = tinynet.LEARNING_RATE
    # A realistic da for the floor: the masked upstream gradient of the first iteration.
    a = x @ w1
    da = np.where(a > 0, 2.0 * (np.maximum(a, 0) @ w2 - y) @ w2.T, 0.0)

    # Same numbers: train against the original loop over the full 1000 iterations.
    ours = train(x, y, w1, w2, num_loops=tinynet.NUM_LOOPS, learning_rate=lr)
    theirs = original_loop(x, y, w1, w2, tinynet.NUM_LOOPS, lr)
    max_rel = max(
        float(np.max(np.abs(p - q) / np.abs(q))) for p, q in zip(ours, theirs)
    )

    tasks = {
        "floor": lambda: floor_loop(x, w1, da, args.loops),
        "train": lambda: train(x, y, w1, w2, num_loops=args.loops, learning_rate=lr),
        "original": lambda: original_loop(x, y, w1, w2, args.loops, lr),
    }
    for task in tasks.values():  # warm up: BLAS threads, caches, page faults
        task()
    best = time_interleaved(tasks, args.repeats)
    per_iter = {name: seconds / args.loops for name, seconds in best.items()}

    print("Training benchmark: the original post's problem, (N, D, H, C) = "
          f"({tinynet.BATCH_SIZE}, {tinynet.INPUT_DIM}, {tinynet.HIDDEN_DIM}, "
          f"{tinynet.OUTPUT_DIM}), learning rate {lr:g}, float64")
    print(f"NumPy {np.__version__}, Python {sys.version.split()[0]}; BLAS:")
    for line in blas_description():
        print(f"  {line}")
    print(f"Each time: minimum of {args.repeats} interleaved runs of {args.loops} iterations.")
    print()
    rows = [
        ("floor: x @ w1 and x.T @ da only", "floor"),
        ("tinynet.train", "train"),
        ("original post's loop", "original"),
    ]
    width = max(len(label) for label, _ in rows)
    print(f"  {'what':<{width}}  {'ms/iteration':>12}  {'total s':>8}  {'x floor':>7}")
    for label, key in rows:
        print(
            f"  {label:<{width}}  {per_iter[key] * 1e3:12.4f}  {best[key]:8.3f}  "
            f"{per_iter[key] / per_iter['floor']:7.3f}"
        )
    print()
    print(f"  ratio train/floor:    {per_iter['train'] / per_iter['floor']:.3f}")
    print(f"  ratio original/floor: {per_iter['original'] / per_iter['floor']:.3f}")
    print(f"  largest relative difference, train vs original loop "
          f"({tinynet.NUM_LOOPS} iterations, losses and weights): {max_rel:.2e}")

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
