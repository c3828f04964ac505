"""One test per labelled gradient equation of the chapter *The backward pass*.

Each test is named after an equation label of ``book/04-backward.ipynb``. It
first asserts that the label really is an equation label in the notebook's
markdown (``$$ (eq-...)``), so that renaming or dropping an equation fails a
test, and then checks what the equation says against centered finite
differences of the loss, on small random problems that include C > 1.

The vectorised equations (``eq-grad-*``) are checked through the ``tinynet``
function that implements them; the entry-wise ones (``eq-grad-*-entry``) are
checked by evaluating the index formula literally, with Python loops. The
finite differences, the loss and the forward pass are written out here, so
that the reference does not share code with what it checks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinynet
from bookcheck import assert_equation_label
from reference import fd_gradient, kink_free_problem, relu, sse

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "04-backward.ipynb"

#: (N, D, H, C): batch, inputs, hidden units, outputs; C > 1 in most.
SHAPES = [(1, 1, 1, 1), (4, 3, 5, 1), (5, 4, 3, 2), (6, 5, 4, 3)]

#: Every pre-activation of a drawn problem is at least this far from 0, far
#: more than any step of the centred differences (reference.FD_EPS) can move
#: it. The loss is a polynomial of degree 2 in every argument checked here
#: (piecewise, for a and w1), so the centred difference is then exact up to
#: round-off.
KINK_MARGIN = 1e-2

RTOL = 1e-6


# --- helpers, independent of tinynet ---------------------------------------


def _assert_label(label: str) -> None:
    assert_equation_label(NOTEBOOK, label)


def _problem(n: int, d: int, h: int, c: int):
    """A seeded kink-free problem. Returns x, y, w1, w2, a, hidden, predictions."""
    x, y, w1, w2 = kink_free_problem(n, d, h, c, margin=KINK_MARGIN)
    a = x @ w1
    hidden = relu(a)
    return x, y, w1, w2, a, hidden, hidden @ w2


def _upstream(n, d, h, c):
    """The problem and the exact upstream gradients, computed here by hand."""
    x, y, w1, w2, a, hidden, predictions = _problem(n, d, h, c)
    dpred = 2.0 * (predictions - y)
    dhidden = dpred @ w2.T
    da = dhidden * (a > 0)
    return x, y, w1, w2, a, hidden, predictions, dpred, dhidden, da


def _close(analytic: np.ndarray, numerical: np.ndarray) -> None:
    assert analytic.shape == numerical.shape
    scale = max(1.0, float(np.max(np.abs(numerical))))
    np.testing.assert_allclose(analytic, numerical, rtol=RTOL, atol=RTOL * scale)


# --- dL/dYhat ------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_grad_yhat(shape):
    _assert_label("eq-grad-yhat")
    _, y, _, _, _, _, predictions = _problem(*shape)
    analytic = tinynet.sse_loss_backward(predictions, y)
    numerical = fd_gradient(lambda p: sse(p, y), predictions)
    _close(analytic, numerical)


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_grad_yhat_entry(shape):
    _assert_label("eq-grad-yhat-entry")
    _, y, _, _, _, _, predictions = _problem(*shape)
    n, _, _, c = shape
    entry = np.zeros((n, c))
    for m in range(n):
        for k in range(c):
            entry[m, k] = 2.0 * (predictions[m, k] - y[m, k])
    _close(entry, fd_gradient(lambda p: sse(p, y), predictions))


# --- dL/dW2 ----------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_grad_w2(shape):
    _assert_label("eq-grad-w2")
    x, y, w1, w2, _, hidden, predictions = _problem(*shape)
    dpred = tinynet.sse_loss_backward(predictions, y)
    analytic = tinynet.grad_w2(hidden, dpred)
    assert analytic.shape == w2.shape
    numerical = fd_gradient(lambda w: sse(relu(x @ w1) @ w, y), w2)
    _close(analytic, numerical)


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_grad_w2_entry(shape):
    _assert_label("eq-grad-w2-entry")
    x, y, w1, w2, _, hidden, _, dpred, _, _ = _upstream(*shape)
    n, _, h, c = shape
    entry = np.zeros((h, c))
    for j in range(h):
        for d in range(c):
            entry[j, d] = sum(hidden[b, j] * dpred[b, d] for b in range(n))
    _close(entry, fd_gradient(lambda w: sse(relu(x @ w1) @ w, y), w2))


# --- dL/dH~ ----------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_grad_h(shape):
    _assert_label("eq-grad-h")
    _, y, _, w2, _, hidden, predictions = _problem(*shape)
    dpred = tinynet.sse_loss_backward(predictions, y)
    analytic = tinynet.grad_h(dpred, w2)
    assert analytic.shape == hidden.shape
    _close(analytic, fd_gradient(lambda hh: sse(hh @ w2, y), hidden))


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_grad_h_entry(shape):
    _assert_label("eq-grad-h-entry")
    _, y, _, w2, _, hidden, _, dpred, _, _ = _upstream(*shape)
    n, _, h, c = shape
    entry = np.zeros((n, h))
    for m in range(n):
        for j in range(h):
            entry[m, j] = sum(dpred[m, k] * w2[j, k] for k in range(c))
    _close(entry, fd_gradient(lambda hh: sse(hh @ w2, y), hidden))


# --- dL/dA -----------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_grad_a(shape):
    _assert_label("eq-grad-a")
    _, y, _, w2, a, _, _, _, dhidden, _ = _upstream(*shape)
    dhidden_before = dhidden.copy()
    analytic = tinynet.relu_backward(dhidden, a)
    assert analytic.shape == a.shape
    np.testing.assert_array_equal(dhidden, dhidden_before)  # input not masked
    _close(analytic, fd_gradient(lambda aa: sse(relu(aa) @ w2, y), a))


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_grad_a_entry(shape):
    _assert_label("eq-grad-a-entry")
    _, y, _, w2, a, _, _, _, dhidden, _ = _upstream(*shape)
    n, _, h, _ = shape
    entry = np.zeros((n, h))
    for m in range(n):
        for j in range(h):
            relu_prime = 1.0 if a[m, j] > 0 else 0.0
            entry[m, j] = dhidden[m, j] * relu_prime
    _close(entry, fd_gradient(lambda aa: sse(relu(aa) @ w2, y), a))


# --- dL/dW1 ----------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_grad_w1(shape):
    _assert_label("eq-grad-w1")
    x, y, w1, w2, *_, da = _upstream(*shape)
    analytic = tinynet.grad_w1(x, da)
    assert analytic.shape == w1.shape
    _close(analytic, fd_gradient(lambda w: sse(relu(x @ w) @ w2, y), w1))


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_grad_w1_entry(shape):
    _assert_label("eq-grad-w1-entry")
    x, y, w1, w2, *_, da = _upstream(*shape)
    n, d, h, _ = shape
    entry = np.zeros((d, h))
    for i in range(d):
        for j in range(h):
            entry[i, j] = sum(x[b, i] * da[b, j] for b in range(n))
    _close(entry, fd_gradient(lambda w: sse(relu(x @ w) @ w2, y), w1))


def test_loss_and_gradients_chains_the_equations():
    """The six-lines section: the kernel equals the chained step functions."""
    x, y, w1, w2, a, hidden, predictions = _problem(6, 5, 4, 3)
    loss, dw1, dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
    dpred = tinynet.sse_loss_backward(predictions, y)
    da = tinynet.relu_backward(tinynet.grad_h(dpred, w2), a)
    assert loss == pytest.approx(sse(predictions, y), rel=1e-12)
    np.testing.assert_allclose(dw2, tinynet.grad_w2(hidden, dpred), rtol=1e-12)
    np.testing.assert_allclose(dw1, tinynet.grad_w1(x, da), rtol=1e-12)
