"""The tests' own reference implementations, written apart from tinynet.

The tests check tinynet against these instead of trusting it: a centred
finite difference, the loss and ReLU written out, the original post's
training loop, and the problem generators. Nothing here imports tinynet.
Import it from any test module as ``import reference`` (``tests/`` is on
pytest's ``pythonpath``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

#: Step of the centred differences. The loss is piecewise quadratic in every
#: argument, so a centred difference has no truncation error away from the
#: ReLU kink; only round-off is left, which a not-too-small step keeps low.
FD_EPS = 1e-5


class Problem(NamedTuple):
    x: np.ndarray
    y: np.ndarray
    w1: np.ndarray
    w2: np.ndarray


def fd_gradient(f, w, eps=FD_EPS) -> np.ndarray:
    """Centred-difference gradient of the scalar ``f`` at every entry of ``w``."""
    w = np.array(w, dtype=np.float64)
    grad = np.zeros_like(w)
    for index in np.ndindex(w.shape):
        old = w[index]
        w[index] = old + eps
        f_plus = float(f(w))
        w[index] = old - eps
        f_minus = float(f(w))
        w[index] = old
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def relu(a: np.ndarray) -> np.ndarray:
    return np.where(a > 0, a, 0.0)


def sse(predictions: np.ndarray, y: np.ndarray) -> float:
    """Sum of squared errors, refusing to broadcast."""
    assert predictions.shape == y.shape, (predictions.shape, y.shape)
    return float(np.sum((predictions - y) ** 2))


def network_loss(x, y, w1, w2) -> float:
    return sse(relu(x @ w1) @ w2, y)


def draw(n: int, d: int, h: int, c: int, rng: np.random.Generator) -> Problem:
    """Standard normal x, y, w1, w2, drawn in that order (as the book draws them)."""
    x = rng.standard_normal((n, d))
    y = rng.standard_normal((n, c))
    w1 = rng.standard_normal((d, h))
    w2 = rng.standard_normal((h, c))
    return Problem(x, y, w1, w2)


def kink_free_problem(n: int, d: int, h: int, c: int, *, margin=1e-3, key=()) -> Problem:
    """A seeded problem whose ReLU mask is mixed and far from the kink.

    Seeds ``[*key, n, d, h, c, s]`` for s = 0, 1, ... are tried until every
    pre-activation is at least ``margin`` away from 0 (so no difference step
    smaller than that crosses the kink) and some, but not all, of them are
    positive (a single one must be positive), so a check exercises both
    sides of the ReLU. Deterministic.
    """
    for s in range(1000):
        problem = draw(n, d, h, c, np.random.default_rng([*key, n, d, h, c, s]))
        a = problem.x @ problem.w1
        positive = a > 0
        mixed = positive.all() if a.size == 1 else positive.any() and not positive.all()
        if mixed and np.abs(a).min() > margin:
            return problem
    raise AssertionError(f"no suitable problem for shape {(n, d, h, c)}")


def original_loop(x, y, w1, w2, num_loops, learning_rate):
    """The original blog post's training loop, its blank right-hand sides filled in.

    Returns ``(w1, w2, losses)``; the arguments are not modified.
    """
    weights1, weights2 = w1.copy(), w2.copy()
    losses = np.empty(num_loops)
    for i in range(num_loops):
        activations = x @ weights1
        relu_activations = np.maximum(activations, 0)
        predictions = relu_activations @ weights2
        losses[i] = np.sum((predictions - y) ** 2)
        dloss_predictions = 2.0 * (predictions - y)
        dloss_weights2 = relu_activations.T @ dloss_predictions
        dloss_relu_activations = dloss_predictions @ weights2.T
        dloss_activations = dloss_relu_activations.copy()
        dloss_activations[activations < 0] = 0
        dloss_weights1 = x.T @ dloss_activations
        weights1 -= learning_rate * dloss_weights1
        weights2 -= learning_rate * dloss_weights2
    return weights1, weights2, losses


def largest_relative_difference(ours, theirs) -> float:
    """Largest entry-wise |a - b| / |b| over pairs of arrays (entries of b nonzero)."""
    return max(float(np.max(np.abs(a - b) / np.abs(b))) for a, b in zip(ours, theirs))
