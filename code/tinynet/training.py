"""Plain gradient descent on the sum-of-squared-errors loss.

Book chapter: *Training* (``book/06-training.ipynb``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._checks import check_positive_float, check_positive_int
from .network import _loss_and_gradients, check_network


class TrainResult(NamedTuple):
    """What :func:`train` returns.

    Attributes
    ----------
    w1 : numpy.ndarray, shape (D, H)
        First-layer weights after training.
    w2 : numpy.ndarray, shape (H, C)
        Second-layer weights after training.
    losses : numpy.ndarray of float64, shape (num_loops,)
        ``losses[i]`` is the loss before update ``i``.
    """

    w1: np.ndarray
    w2: np.ndarray
    losses: np.ndarray


class TrainingDivergedError(FloatingPointError):
    """Raised when the loss becomes infinite or NaN during training.

    Attributes
    ----------
    iteration : int
        The iteration whose loss was not finite.
    learning_rate : float
        The learning rate that was used.
    losses : numpy.ndarray
        The finite losses before that iteration.
    """

    def __init__(self, iteration: int, learning_rate: float, losses: np.ndarray):
        self.iteration = iteration
        self.learning_rate = learning_rate
        self.losses = losses
        last = f" (it was {losses[-1]:.4g} at iteration {iteration - 1})" if len(losses) else ""
        super().__init__(
            f"training diverged: the loss became infinite or NaN at iteration "
            f"{iteration}{last} with learning_rate={learning_rate:g}; "
            f"try a smaller learning rate, such as {learning_rate / 10:g}"
        )


def train(x, y, w1, w2, num_loops=1000, learning_rate=1e-6) -> TrainResult:
    """Train the two-layer network by plain gradient descent.

    Each iteration runs the forward pass, the backward pass and the update of
    equation ``eq-gd-update``::

        w1 <- w1 - learning_rate * dL/dw1
        w2 <- w2 - learning_rate * dL/dw2

    exactly the algorithm of the original post: full batch, constant
    learning rate, no momentum, sum-of-squared-errors loss.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
        Inputs.
    y : numpy.ndarray, shape (N, C)
        Targets.
    w1 : numpy.ndarray, shape (D, H)
        Initial first-layer weights; not modified.
    w2 : numpy.ndarray, shape (H, C)
        Initial second-layer weights; not modified.
    num_loops : int, default 1000
        Number of updates, a non-negative integer.
    learning_rate : float, default 1e-6
        Step size, a positive finite number.

    Returns
    -------
    TrainResult
        Named tuple ``(w1, w2, losses)``: the trained weights (new arrays)
        and the loss before each update.

    Raises
    ------
    TypeError, ValueError
        If an argument is of the wrong type, shape or value.
    TrainingDivergedError
        If the loss becomes infinite or NaN; the message names the iteration
        and suggests a smaller learning rate.
    """
    check_network(x, w1, w2, y)
    num_loops = check_positive_int("num_loops", num_loops, allow_zero=True)
    learning_rate = check_positive_float("learning_rate", learning_rate)
    w1 = w1.copy()
    w2 = w2.copy()
    losses = np.empty(num_loops)
    # One (D, H) buffer for dL/dw1, reused by every iteration, and
    # an update in place: the same operations in the same order as
    # ``w1 -= learning_rate * dw1``, so the same numbers, but with
    # no temporary ``learning_rate * dw1`` as large as w1.
    dw1 = np.empty(w1.shape, dtype=np.result_type(x, y, w1, w2))
    # Overflow on the way to divergence is reported once, by the exception
    # below, instead of as a stream of RuntimeWarnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(num_loops):
            loss, dw1, dw2 = _loss_and_gradients(x, y, w1, w2, dw1)
            if not math.isfinite(loss):
                raise TrainingDivergedError(i, learning_rate, losses[:i].copy())
            losses[i] = loss
            dw1 *= learning_rate  # w1 <- w1 - learning_rate * dL/dw1
            w1 -= dw1
            dw2 *= learning_rate  # w2 <- w2 - learning_rate * dL/dw2
            w2 -= dw2
    # The last update can overflow too; the loss it leads to is never computed.
    if not (np.isfinite(w1).all() and np.isfinite(w2).all()):
        raise TrainingDivergedError(num_loops, learning_rate, losses.copy())
    return TrainResult(w1, w2, losses)
