"""The original post's problem in one place: its sizes, its settings, its draw.

Book chapter: *The setup* (``book/02-setup.ipynb``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .network import init_weights, make_data

#: The original post's problem sizes: batch, inputs, hidden units, outputs.
BATCH_SIZE, INPUT_DIM, HIDDEN_DIM, OUTPUT_DIM = 128, 1000, 100, 1
#: The original post's training settings: updates and learning rate.
NUM_LOOPS, LEARNING_RATE = 1000, 1e-6


class Problem(NamedTuple):
    """Data and initial weights of one problem.

    Attributes
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)
    """

    x: np.ndarray
    y: np.ndarray
    w1: np.ndarray
    w2: np.ndarray


def original_problem(seed=0) -> Problem:
    """The original post's data and initial weights, drawn as the book draws them.

    One generator, ``np.random.default_rng(seed)``, draws ``x`` then ``y``
    (:func:`tinynet.make_data`), then ``w1`` then ``w2``
    (:func:`tinynet.init_weights`), with the sizes :data:`BATCH_SIZE`,
    :data:`INPUT_DIM`, :data:`HIDDEN_DIM` and :data:`OUTPUT_DIM`.

    Parameters
    ----------
    seed : int, sequence of int or numpy.random.Generator, default 0
        Anything ``numpy.random.default_rng`` accepts. A Generator is used as
        it is, so the caller can go on drawing from it after the problem
        (fresh samples, say).

    Returns
    -------
    Problem
        Named tuple ``(x, y, w1, w2)`` with shapes (128, 1000), (128, 1),
        (1000, 100), (100, 1).

    Examples
    --------
    >>> x, y, w1, w2 = original_problem(0)
    >>> x.shape, y.shape, w1.shape, w2.shape
    ((128, 1000), (128, 1), (1000, 100), (100, 1))
    """
    rng = np.random.default_rng(seed)
    x, y = make_data(BATCH_SIZE, INPUT_DIM, OUTPUT_DIM, rng)
    w1, w2 = init_weights(INPUT_DIM, HIDDEN_DIM, OUTPUT_DIM, rng)
    return Problem(x, y, w1, w2)


__all__ = [
    "BATCH_SIZE",
    "HIDDEN_DIM",
    "INPUT_DIM",
    "LEARNING_RATE",
    "NUM_LOOPS",
    "OUTPUT_DIM",
    "Problem",
    "original_problem",
]
