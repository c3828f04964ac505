"""Reproduce the original post's experiment: ``python -m tinynet --seed 0``.

Prints the loss at the iterations the original printed (0 to 100 every 10,
then every 100) and the first five prediction errors before and after
training.
"""

from __future__ import annotations

import argparse
import sys

from . import (
    LEARNING_RATE,
    NUM_LOOPS,
    TrainingDivergedError,
    forward,
    original_problem,
    train,
)


def reported_iterations(num_loops: int) -> list[int]:
    """The iterations at which the original post printed the loss."""
    return [i for i in range(num_loops) if (i <= 100 and i % 10 == 0) or i % 100 == 0]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tinynet",
        description="Train the original post's two-layer ReLU network on random data.",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--loops", type=int, default=NUM_LOOPS, help=f"iterations (default {NUM_LOOPS})"
    )
    parser.add_argument(
        "--lr", type=float, default=LEARNING_RATE, help=f"learning rate (default {LEARNING_RATE:g})"
    )
    args = parser.parse_args(argv)

    x, y, w1, w2 = original_problem(args.seed)

    print("Errors before training, predictions[:5] - y[:5]:")
    print(forward(x, w1, w2).predictions[:5] - y[:5])
    try:
        result = train(x, y, w1, w2, num_loops=args.loops, learning_rate=args.lr)
    except (TrainingDivergedError, TypeError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("iteration  loss")
    for i in reported_iterations(args.loops):
        print(f"{i:9d}  {result.losses[i]:.10g}")
    print("Errors after training, predictions[:5] - y[:5]:")
    print(forward(x, result.w1, result.w2).predictions[:5] - y[:5])
    return 0


if __name__ == "__main__":
    sys.exit(main())
