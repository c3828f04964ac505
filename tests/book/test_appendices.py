"""One test per labelled equation and per checkable claim of the appendices.

The appendices (``book/appendix-*.md``) have no code cells, so their
equations and claims are checked here. Each equation test first asserts that
its label really is an equation label of the appendix (``$$ ... $$ (label)``),
so that renaming or dropping an equation fails a test, and then checks what
the equation says numerically: against centered finite differences, against
``tinynet``, or exactly, on small seeded float64 problems.

The errata tests check the claims about the original post's code: that the
corrected training loop printed in the errata runs under Python 3 and
reproduces ``tinynet.train`` exactly, and what Python makes of the stray
commas.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import numpy as np
import pytest

import tinynet
from bookcheck import assert_equation_label
from reference import fd_gradient, kink_free_problem

BOOK = Path(__file__).resolve().parents[2] / "book"
NOTATION = BOOK / "appendix-notation.md"
IDENTITIES = BOOK / "appendix-identities.md"
ERRATA = BOOK / "appendix-errata.md"

EPS = 1e-6
RTOL = 1e-6


# --- helpers -------------------------------------------------------------------


_assert_label = assert_equation_label


def _close(analytic: np.ndarray, numerical: np.ndarray, rtol: float = RTOL) -> None:
    assert np.shape(analytic) == np.shape(numerical)
    scale = max(1.0, float(np.max(np.abs(numerical))))
    np.testing.assert_allclose(analytic, numerical, rtol=rtol, atol=rtol * scale)


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([20260, *key])


def _smooth_loss(k: np.ndarray):
    """A scalar function of Z, L(Z) = sum(K * sin(Z)), and its gradient."""
    return (lambda z: float(np.sum(k * np.sin(z)))), (lambda z: k * np.cos(z))


def _problem(n: int, d: int, h: int, c: int, seed: int = 0):
    """A network problem with no pre-activation near the ReLU kink."""
    return kink_free_problem(n, d, h, c, margin=1e-2, key=(20260, seed))


SHAPES = [(1, 1, 1, 1), (4, 3, 5, 1), (5, 4, 3, 2), (6, 5, 4, 3)]


# --- appendix-identities ---------------------------------------------------------


def test_eq_app_sum_squares():
    _assert_label(IDENTITIES, "eq-app-sum-squares")
    e = _rng(1).standard_normal((5, 3))
    _close(2 * e, fd_gradient(lambda m: float(np.sum(m**2)), e))


@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 4, 2), (5, 2, 6)])
def test_eq_app_matmul_a_and_b(shape):
    _assert_label(IDENTITIES, "eq-app-matmul-a")
    _assert_label(IDENTITIES, "eq-app-matmul-b")
    m, s, r = shape
    rng = _rng(2, *shape)
    p = rng.standard_normal((m, s))
    q = rng.standard_normal((s, r))
    loss, grad = _smooth_loss(rng.standard_normal((m, r)))
    g = grad(p @ q)
    _close(g @ q.T, fd_gradient(lambda pp: loss(pp @ q), p))
    _close(p.T @ g, fd_gradient(lambda qq: loss(p @ qq), q))


def test_eq_app_elementwise():
    _assert_label(IDENTITIES, "eq-app-elementwise")
    rng = _rng(3)
    u = rng.standard_normal((4, 3))
    loss, grad = _smooth_loss(rng.standard_normal((4, 3)))
    g = grad(np.tanh(u))
    _close(g * (1 - np.tanh(u) ** 2), fd_gradient(lambda uu: loss(np.tanh(uu)), u))


def test_eq_app_elementwise_is_the_relu_mask():
    # With f = relu, away from the kink, the identity is tinynet's relu_backward.
    rng = _rng(4)
    u = rng.standard_normal((6, 5))
    u[np.abs(u) < 1e-2] = 0.5
    loss, grad = _smooth_loss(rng.standard_normal((6, 5)))
    g = grad(tinynet.relu(u))
    _close(tinynet.relu_backward(g, u), fd_gradient(lambda uu: loss(tinynet.relu(uu)), u))


def test_eq_app_frobenius():
    _assert_label(IDENTITIES, "eq-app-frobenius")
    rng = _rng(5)
    g, m = rng.standard_normal((2, 4, 3))
    assert np.isclose(np.sum(g * m), np.trace(g.T @ m), rtol=1e-12)


def test_eq_app_differential():
    _assert_label(IDENTITIES, "eq-app-differential")
    rng = _rng(6)
    w = rng.standard_normal((4, 3))
    dw = rng.standard_normal((4, 3))
    loss, grad = _smooth_loss(rng.standard_normal((4, 3)))
    directional = (loss(w + EPS * dw) - loss(w - EPS * dw)) / (2 * EPS)
    assert np.isclose(directional, np.sum(grad(w) * dw), rtol=1e-6, atol=1e-8)


def test_eq_app_matmul_differential():
    _assert_label(IDENTITIES, "eq-app-matmul-differential")
    rng = _rng(7)
    g = rng.standard_normal((4, 2))
    dp = rng.standard_normal((4, 3))
    q = rng.standard_normal((3, 2))
    chain = [
        np.sum(g * (dp @ q)),
        np.trace(g.T @ dp @ q),
        np.trace(q @ g.T @ dp),
        np.sum((g @ q.T) * dp),
    ]
    np.testing.assert_allclose(chain, chain[0], rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_app_batch_sum(shape):
    # The batch gradient is the sum of the gradients of one-sample batches.
    _assert_label(IDENTITIES, "eq-app-batch-sum")
    x, y, w1, w2 = _problem(*shape)
    loss, dw1, dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
    parts = [tinynet.loss_and_gradients(x[n : n + 1], y[n : n + 1], w1, w2) for n in range(len(x))]
    assert np.isclose(loss, sum(p[0] for p in parts), rtol=1e-12)
    _close(dw1, sum(p[1] for p in parts), rtol=1e-12)
    _close(dw2, sum(p[2] for p in parts), rtol=1e-12)


def test_eq_app_outer_sum():
    _assert_label(IDENTITIES, "eq-app-outer-sum")
    rng = _rng(8)
    p = rng.standard_normal((6, 4))
    r = rng.standard_normal((6, 3))
    outer = sum(np.outer(p[n], r[n]) for n in range(6))
    np.testing.assert_allclose(p.T @ r, outer, rtol=1e-12, atol=1e-12)


def test_eq_app_transpose_product():
    _assert_label(IDENTITIES, "eq-app-transpose-product")
    rng = _rng(9)
    p = rng.standard_normal((3, 5))
    q = rng.standard_normal((5, 2))
    np.testing.assert_allclose((p @ q).T, q.T @ p.T, rtol=1e-12, atol=1e-12)


def test_eq_app_taylor_and_descent():
    # L(W - eta G) = L(W) - eta |G|^2 + o(eta): the relative size of the
    # remainder shrinks with eta, and a small enough step lowers the loss.
    _assert_label(IDENTITIES, "eq-app-taylor")
    _assert_label(IDENTITIES, "eq-app-descent")
    x, y, w1, w2 = _problem(5, 4, 3, 2)
    loss, dw1, dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
    squared_norm = float(np.sum(dw1**2) + np.sum(dw2**2))
    remainders = []
    for eta in (1e-3, 1e-4, 1e-5, 1e-6):
        step = tinynet.forward(x, w1 - eta * dw1, w2 - eta * dw2)
        new_loss = tinynet.sse_loss(step.predictions, y)
        assert new_loss < loss
        remainders.append(abs(new_loss - (loss - eta * squared_norm)) / (eta * squared_norm))
    assert all(b < a for a, b in zip(remainders, remainders[1:]))
    assert remainders[-1] < 1e-3


# --- appendix-notation -----------------------------------------------------------


def _column_form(x, y, w1, w2):
    """Forward and backward pass one sample at a time, in column form, with
    V1 = W1^T and V2 = W2^T (equations eq-app-column-forward, eq-app-row-column)."""
    v1, v2 = w1.T, w2.T
    rows_a, rows_yhat, grad_v1, grad_v2 = [], [], np.zeros_like(v1), np.zeros_like(v2)
    for n in range(x.shape[0]):
        xn = x[n].reshape(-1, 1)  # D x 1
        yn = y[n].reshape(-1, 1)  # C x 1
        an = v1 @ xn  # H x 1
        hn = np.maximum(an, 0.0)
        yhat_n = v2 @ hn  # C x 1
        delta_n = 2.0 * (yhat_n - yn)
        g_n = (v2.T @ delta_n) * (an > 0)
        grad_v2 += delta_n @ hn.T
        grad_v1 += g_n @ xn.T
        rows_a.append(an.T)
        rows_yhat.append(yhat_n.T)
    return np.vstack(rows_a), np.vstack(rows_yhat), grad_v1, grad_v2


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_app_column_forward_and_row_column(shape):
    _assert_label(NOTATION, "eq-app-column-forward")
    _assert_label(NOTATION, "eq-app-row-column")
    x, y, w1, w2 = _problem(*shape)
    a, yhat, _, _ = _column_form(x, y, w1, w2)
    result = tinynet.forward(x, w1, w2)
    _close(result.a, a, rtol=1e-12)
    _close(result.predictions, yhat, rtol=1e-12)


@pytest.mark.parametrize("shape", SHAPES)
def test_eq_app_grad_w1_column(shape):
    # Row-form gradients are the transposes of the summed column-form ones.
    _assert_label(NOTATION, "eq-app-grad-w1-column")
    x, y, w1, w2 = _problem(*shape)
    _, _, grad_v1, grad_v2 = _column_form(x, y, w1, w2)
    _, dw1, dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
    _close(dw1, grad_v1.T, rtol=1e-12)
    _close(dw2, grad_v2.T, rtol=1e-12)


def test_eq_app_jacobian_and_gradient_shape():
    _assert_label(NOTATION, "eq-app-jacobian")
    _assert_label(NOTATION, "eq-app-gradient-shape")
    # Numerator layout: an m x n matrix of dy_i/dx_j for f(x) = M x.
    rng = _rng(10)
    m = rng.standard_normal((3, 5))
    x = rng.standard_normal(5)
    jacobian = np.column_stack(
        [(m @ (x + EPS * e) - m @ (x - EPS * e)) / (2 * EPS) for e in np.eye(5)]
    )
    assert jacobian.shape == (3, 5)
    _close(jacobian, m)
    # Denominator layout for the loss: every gradient is shaped like its parameter.
    x, y, w1, w2 = _problem(4, 3, 5, 2)
    _, dw1, dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
    assert dw1.shape == w1.shape and dw2.shape == w2.shape


@pytest.mark.parametrize("k", [1.0, 0.5, 1 / 6, 1 / 12])
def test_eq_app_loss_scaling(k):
    # A step on k*L with rate eta/k is the step on L with rate eta.
    _assert_label(NOTATION, "eq-app-loss-scaling")
    x, y, w1, w2 = _problem(6, 5, 4, 2)
    eta = 1e-3
    _, _, dw2 = tinynet.loss_and_gradients(x, y, w1, w2)

    def scaled_loss(w):
        return k * tinynet.sse_loss(tinynet.forward(x, w1, w).predictions, y)

    scaled_grad = fd_gradient(scaled_loss, w2)
    _close(scaled_grad, k * dw2)
    _close(w2 - (eta / k) * scaled_grad, w2 - eta * dw2)


# --- appendix-errata -------------------------------------------------------------


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)


def test_errata_corrected_loop_reproduces_tinynet_train():
    loops = [b for b in _python_blocks(ERRATA) if b.startswith("num_loops = 1000")]
    assert len(loops) == 1, "the corrected training loop is not in the errata"
    x, y, w1, w2 = _problem(16, 8, 6, 1)
    namespace = {
        "np": np,
        "relu": lambda v: np.maximum(v, 0),
        "input_values": x,
        "output_values": y,
        "weights1": w1.copy(),
        "weights2": w2.copy(),
    }
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(loops[0], str(ERRATA), "exec"), namespace)
    reference = tinynet.train(x, y, w1, w2, num_loops=1000, learning_rate=1e-6)
    # train scales dL/dyhat by the learning rate, the post scales the
    # gradients: the same arithmetic rounded in another order, so agreement
    # to 1e-9 relative, not bit for bit (tinynet.gradient_descent says why).
    np.testing.assert_allclose(namespace["weights1"], reference.w1, rtol=1e-9, atol=0)
    np.testing.assert_allclose(namespace["weights2"], reference.w2, rtol=1e-9, atol=0)
    # Python 3 prints "0 <loss>", not the tuple "(0, <loss>)" of the post.
    lines = printed.getvalue().splitlines()
    assert lines[0] == f"0 {reference.losses[0]}"
    assert [int(line.split()[0]) for line in lines] == (
        list(range(0, 101, 10)) + list(range(200, 1000, 100))
    )


def test_errata_stray_commas():
    with pytest.raises(SyntaxError):
        compile("if ((i <= 100) & (i % 10, == 0) | (i % 100, == 0)):\n    pass\n", "post", "exec")
    # As an assignment, the post's line is valid Python 3: a tuple of 2.0 and
    # the rows of the error matrix, not an array.
    namespace = {"predictions": np.array([[1.0], [-2.0], [3.0]]), "output_values": np.zeros((3, 1))}
    exec("dloss_predictions = 2.0, * (predictions - output_values)", namespace)
    value = namespace["dloss_predictions"]
    assert isinstance(value, tuple) and len(value) == 4 and value[0] == 2.0


def test_errata_arithmetic_and_plateau_bounds():
    assert 8.1e-05 == pytest.approx(0.000081) and 8.1e-05 / 1e-06 == pytest.approx(81)
    final_loss = 58.49744252846752  # the post's loss at iteration 900
    assert np.sqrt(final_loss / 128) == pytest.approx(0.676, abs=1e-3)
    assert 128 * 0.277850692**2 < 9.9 < final_loss
    assert 6477731.174215912 / 3107119.8819272295 > 2
    assert 6477731.174215912 / 59.34055206962512 > 1e5


def test_eq_app_test_error():
    # For a fixed network f and a fresh sample with y independent of x,
    # E[(f(x) - y)^2] = E[f(x)^2] + 1: checked by Monte Carlo, within 5 sigma.
    _assert_label(ERRATA, "eq-app-test-error")
    rng = _rng(11)
    x, y = tinynet.make_data(32, 20, 1, rng)
    w1, w2 = tinynet.init_weights(20, 10, 1, rng)
    trained = tinynet.train(x, y, w1 / 20, w2 / 10, num_loops=200, learning_rate=1e-3)
    fresh_x, fresh_y = tinynet.make_data(20000, 20, 1, rng)
    f = tinynet.forward(fresh_x, trained.w1, trained.w2).predictions
    d = (f - fresh_y) ** 2 - f**2 - 1
    assert abs(d.mean()) < 5 * d.std() / np.sqrt(d.size)
    assert np.mean((f - fresh_y) ** 2) > 0.9
