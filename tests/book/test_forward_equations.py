"""One test per labelled equation of the chapter *The forward pass and the loss*.

Each test is named after an equation label of ``book/03-forward.ipynb``. It
first asserts that the label really is an equation label in the notebook's
markdown (``$$ (eq-...)``), so that renaming or dropping an equation fails a
test, and then checks what the equation says.

The forward equations and the loss (``eq-forward-a``, ``eq-forward-h``,
``eq-forward-yhat``, ``eq-loss``) are checked by evaluating their index
formulas literally, with Python loops, against ``tinynet.forward`` and
``tinynet.sse_loss``, on small random problems that include C > 1. The
statistical claims (``eq-forward-variance``, ``eq-forward-expected-loss`` and
the split into a shared offset and a within-batch scatter made in the section
*One batch is one draw of the weights*) are checked by averaging over many
seeded draws, within a few standard errors: the seeds are fixed, so the tests
are deterministic.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinynet
from bookcheck import assert_equation_label
from reference import draw

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "03-forward.ipynb"

#: (N, D, H, C): batch, inputs, hidden units, outputs; C > 1 in some.
SHAPES = [(1, 1, 1, 1), (4, 3, 5, 1), (5, 4, 3, 2), (6, 5, 4, 3)]

#: (N, D, H, C) and number of seeded draws for the statistical checks.
STAT_SHAPE = (8, 20, 10, 2)
STAT_DRAWS = 4000

#: How many standard errors an average may be from its expectation.
MAX_STANDARD_ERRORS = 4.0


def _assert_label(label: str) -> None:
    assert_equation_label(NOTEBOOK, label)


def _problem(n: int, d: int, h: int, c: int, seed: int = 0):
    """A seeded problem drawn as in the book: x, y, then w1, w2."""
    return draw(n, d, h, c, np.random.default_rng([n, d, h, c, seed]))


def _within(average: float, standard_error: float, expected: float) -> None:
    assert abs(average - expected) <= MAX_STANDARD_ERRORS * standard_error, (
        f"average {average:.6g} is {abs(average - expected) / standard_error:.1f} "
        f"standard errors from the expected {expected:.6g}"
    )


def _draws():
    """Predictions and losses of STAT_DRAWS independent seeded problems."""
    n, d, h, c = STAT_SHAPE
    for seed in range(STAT_DRAWS):
        x, y, w1, w2 = _problem(n, d, h, c, seed)
        predictions = tinynet.forward(x, w1, w2).predictions
        yield predictions, tinynet.sse_loss(predictions, y)


# --- the forward pass, entry by entry ---------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_forward_a(shape):
    _assert_label("eq-forward-a")
    n, d, h, c = shape
    x, _, w1, w2 = _problem(*shape)
    a = tinynet.forward(x, w1, w2).a
    assert a.shape == (n, h)
    for m in range(n):
        for j in range(h):
            entry = sum(x[m, i] * w1[i, j] for i in range(d))
            assert a[m, j] == pytest.approx(entry, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_forward_h(shape):
    _assert_label("eq-forward-h")
    n, _, h, _ = shape
    x, _, w1, w2 = _problem(*shape)
    result = tinynet.forward(x, w1, w2)
    assert result.h.shape == result.a.shape == (n, h)
    for m in range(n):
        for j in range(h):
            assert result.h[m, j] == max(result.a[m, j], 0.0)


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_forward_yhat(shape):
    _assert_label("eq-forward-yhat")
    n, _, h, c = shape
    x, _, w1, w2 = _problem(*shape)
    result = tinynet.forward(x, w1, w2)
    assert result.predictions.shape == (n, c)
    for m in range(n):
        for k in range(c):
            entry = sum(result.h[m, j] * w2[j, k] for j in range(h))
            assert result.predictions[m, k] == pytest.approx(entry, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_loss(shape):
    _assert_label("eq-loss")
    n, _, _, c = shape
    x, y, w1, w2 = _problem(*shape)
    predictions = tinynet.forward(x, w1, w2).predictions
    total = 0.0
    for m in range(n):
        for k in range(c):
            total += (predictions[m, k] - y[m, k]) ** 2
    loss = tinynet.sse_loss(predictions, y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(total, rel=1e-12)


def test_eq_loss_refuses_the_silent_broadcast():
    """The chapter's claim: (N, 1) - (N,) would broadcast to (N, N), and
    sse_loss refuses it with a ValueError that names both shapes."""
    _assert_label("eq-loss")
    x, y, w1, w2 = _problem(128, 10, 5, 1)
    predictions = tinynet.forward(x, w1, w2).predictions
    assert (predictions - y[:, 0]).shape == (128, 128)
    with pytest.raises(ValueError, match=r"\(128,\).*\(128, 1\).*\(128, 128\)"):
        tinynet.sse_loss(predictions, y[:, 0])


# --- the untrained network, over many draws ---------------------------------------


def test_eq_forward_variance():
    """E[Yhat_nc] = 0 and E[Yhat_nc^2] = H D / 2 for standard normal x, w1, w2."""
    _assert_label("eq-forward-variance")
    _, d, h, _ = STAT_SHAPE
    predictions = np.array([p for p, _ in _draws()])  # (draws, N, C)
    mean_squares = np.mean(predictions**2, axis=(1, 2))
    means = np.mean(predictions, axis=(1, 2))
    se = lambda v: float(v.std(ddof=1) / np.sqrt(len(v)))  # noqa: E731
    _within(float(mean_squares.mean()), se(mean_squares), h * d / 2)
    _within(float(means.mean()), se(means), 0.0)


def test_forward_one_draw_offset_and_scatter():
    """Given the weights, the batch shares an offset of variance H D / (2 pi);
    the samples scatter around it with variance H D (1/2 - 1/(2 pi))."""
    _assert_label("eq-forward-variance")
    _, d, h, c = STAT_SHAPE
    predictions = np.array([p for p, _ in _draws()])  # (draws, N, C)
    # The within-batch sample variance (ddof=1) of each output column.
    within = predictions.var(axis=1, ddof=1).ravel()
    expected_within = h * d * (0.5 - 1 / (2 * np.pi))
    _within(float(within.mean()), float(within.std(ddof=1) / np.sqrt(within.size)),
            expected_within)
    # The offset itself, mu = sum_j s_j / sqrt(2 pi) w2_j, from the weights.
    n = STAT_SHAPE[0]
    offsets = []
    for seed in range(STAT_DRAWS):
        _, _, w1, w2 = _problem(n, d, h, c, seed)
        s = np.sqrt(np.sum(w1**2, axis=0))  # (H,)
        offsets.append(s @ w2 / np.sqrt(2 * np.pi))  # (C,)
    offset_squares = np.square(offsets).ravel()
    _within(float(offset_squares.mean()),
            float(offset_squares.std(ddof=1) / np.sqrt(offset_squares.size)),
            h * d / (2 * np.pi))


def test_eq_forward_expected_loss():
    """E[L] = N C (H D / 2 + 1): each of the N C errors has mean square H D / 2 + 1."""
    _assert_label("eq-forward-expected-loss")
    n, d, h, c = STAT_SHAPE
    losses = np.array([loss for _, loss in _draws()])
    _within(float(losses.mean()), float(losses.std(ddof=1) / np.sqrt(len(losses))),
            n * c * (h * d / 2 + 1))
