"""Claims of the chapter *Checking gradients* (``book/05-gradcheck.ipynb``), recomputed.

Each test recomputes one corrected claim on the book's seeded problem
(``original_problem(0)``) with ``tinynet``: round-off on the smallest entries
and the floored relative error, float32 against the step, one entry per column,
and the check after a burn-in.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinynet
from bookcheck import assert_equation_label

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "05-gradcheck.ipynb"


@pytest.fixture(scope="module")
def problem():
    x, y, w1, w2 = tinynet.original_problem(0)
    loss, dw1, dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
    return x, y, w1, w2, dw1, dw2


def loss_w1(x, y, w2):
    return lambda w: tinynet.sse_loss(tinynet.relu(x @ w) @ w2, y)


def crosses_kink(x, a, index, eps):
    i, j = index
    return bool(np.any(np.sign(a[:, j] + eps * x[:, i]) != np.sign(a[:, j] - eps * x[:, i])))


def test_floored_relative_error_is_an_equation_label():
    assert_equation_label(NOTEBOOK, "eq-relative-error-floored")


def test_round_off_makes_the_smallest_entries_suspicious_and_the_floor_fixes_it(problem):
    """At eps = 1e-5 the 10 smallest |dL/dW1| give a plain relative error in the
    suspicious band (no kink crossed); their absolute error is the round-off
    u|L|/eps; the floored error (tau = 1e-3 max|g|) is far below 1e-4."""
    x, y, w1, w2, dw1, _ = problem
    a = x @ w1
    order = np.argsort(np.abs(dw1), axis=None)[:10]
    smallest = [tuple(int(i) for i in np.unravel_index(k, w1.shape)) for k in order]
    assert not any(crosses_kink(x, a, ix, 1e-5) for ix in smallest)
    analytic = np.array([dw1[ix] for ix in smallest])
    numeric = tinynet.numerical_gradient_at(loss_w1(x, y, w2), w1, smallest, eps=1e-5)
    plain = tinynet.relative_error(analytic, numeric)
    floored = tinynet.relative_error(analytic, numeric, floor=1e-3 * np.abs(dw1).max())
    assert 1e-4 < plain < 1e-1
    assert floored < 1e-4
    loss = tinynet.sse_loss(tinynet.relu(a) @ w2, y)
    roundoff = np.finfo(float).eps / 2 * loss / 1e-5
    assert np.max(np.abs(analytic - numeric)) < 10 * roundoff


def test_float32_check_depends_on_the_step(problem):
    """The float32 check of dL/dW2 fails at eps = 1e-5 but is near 1e-4 at
    eps = 1e-2, far below the 0.5 of the smallest planted bug (a factor 2)."""
    x, y, w1, w2, _, dw2 = problem
    h = tinynet.relu(x @ w1)

    def f32(w):
        h32, w32, y32 = (arr.astype(np.float32) for arr in (h, w, y))
        return float(np.sum((h32 @ w32 - y32) ** 2))

    err = {eps: tinynet.relative_error(dw2, tinynet.numerical_gradient(f32, w2, eps=eps))
           for eps in (1e-5, 1e-2)}
    assert err[1e-5] > 1e-2
    assert err[1e-2] < 1e-3
    assert tinynet.relative_error(dw2 / 2, dw2) == pytest.approx(0.5)
    f64 = lambda w: tinynet.sse_loss(h @ w, y)  # noqa: E731
    assert tinynet.relative_error(dw2, tinynet.numerical_gradient(f64, w2, eps=1e-5)) < 1e-7


def test_one_entry_per_column_catches_a_one_column_bug(problem):
    """A mask forgotten in one column: the max over one entry per column fails,
    the mean would pass 1e-2, and 20 random entries hit the column about 18% of the time."""
    x, y, w1, w2, dw1, _ = problem
    a = x @ w1
    entries = tinynet.column_indices(w1.shape, np.random.default_rng(1))
    assert sorted({j for _, j in entries}) == list(range(w1.shape[1]))
    predictions = tinynet.relu(a) @ w2
    dh = 2.0 * (predictions - y) @ w2.T
    da = np.where(a > 0, dh, 0.0)
    da[:, 7] = dh[:, 7]
    bug = np.array([(x.T @ da)[ix] for ix in entries])
    numeric = tinynet.numerical_gradient_at(loss_w1(x, y, w2), w1, entries, eps=1e-3)
    floor = 1e-3 * np.abs(dw1).max()
    per_entry = [tinynet.relative_error(bug[k:k + 1], numeric[k:k + 1], floor=floor)
                 for k in range(len(entries))]
    assert max(per_entry) > 1e-1
    assert max(per_entry) < 0.5   # subtler than every toy bug of Section 5.7
    assert np.mean(per_entry) < 1e-2
    assert 1 - (1 - 1 / 100) ** 20 == pytest.approx(0.18, abs=0.01)


def test_floor_hides_a_bug_in_a_small_entry(problem):
    """Doubling the smallest entry of dL/dW1 leaves the floored error only
    'suspicious' (about |g| / tau), while its plain relative error is 0.5."""
    x, y, w1, w2, dw1, _ = problem
    order = np.argsort(np.abs(dw1), axis=None)[:10]
    smallest = [tuple(int(i) for i in np.unravel_index(k, w1.shape)) for k in order]
    analytic = np.array([dw1[ix] for ix in smallest])
    numeric = tinynet.numerical_gradient_at(loss_w1(x, y, w2), w1, smallest, eps=1e-3)
    tau = 1e-3 * np.abs(dw1).max()
    bug = analytic.copy()
    bug[0] *= 2
    floored = tinynet.relative_error(bug, numeric, floor=tau)
    assert 1e-4 < floored < 1e-2
    assert floored == pytest.approx(abs(analytic[0]) / tau, rel=1e-3)
    assert tinynet.relative_error(bug, numeric) == pytest.approx(0.5, abs=1e-3)
    assert tinynet.relative_error(analytic, numeric, floor=tau) < 1e-6


def test_check_after_burn_in(problem):
    """After 100 iterations the gradient still passes, floored, at both steps
    once kinks and dead units are set aside, and the step 1e-3 crosses more
    kinks than 1e-5. 45 units are dead: their columns are exactly 0 and test
    nothing, and the floored error of 1 with kinks comes from them."""
    x, y, w1, w2, _, _ = problem
    run = tinynet.train(x, y, w1, w2, num_loops=100, learning_rate=1e-6)
    loss, dw1, dw2 = tinynet.loss_and_gradients(x, y, run.w1, run.w2)
    a = x @ run.w1
    entries = tinynet.column_indices(w1.shape, np.random.default_rng(1))
    analytic = np.array([dw1[ix] for ix in entries])
    crossed = {}
    for eps in (1e-5, 1e-3):
        numeric = tinynet.numerical_gradient_at(loss_w1(x, y, run.w2), run.w1, entries, eps=eps)
        kinks = np.array([crosses_kink(x, a, ix, eps) for ix in entries])
        crossed[eps] = int(kinks.sum())
        dead_units = np.all(a <= 0, axis=0)
        dead = np.array([dead_units[j] for _, j in entries])
        assert dead_units.sum() == dead.sum() == 45
        assert np.all(dw1[:, dead_units] == 0)
        floor = 1e-3 * np.abs(dw1).max()
        keep = ~kinks & ~dead
        assert tinynet.relative_error(analytic[keep], numeric[keep], floor=floor) < 1e-6
        assert np.all(numeric[dead & ~kinks] == 0)
        if eps == 1e-3:
            assert int(np.sum(kinks & dead)) == 5
            assert tinynet.relative_error(analytic, numeric, floor=floor) == 1.0
            assert tinynet.relative_error(analytic[~dead], numeric[~dead], floor=floor) < 0.5
    assert np.all(np.all(a <= 0, axis=1).sum() == 30)
    assert np.mean(a > 0) < 0.01
    near = 1e-3 * np.abs(x).max()
    assert np.mean(np.abs(a) < near) > 50 * np.mean(np.abs(x @ w1) < near)
    assert crossed[1e-3] > crossed[1e-5]
    assert loss < 1e-3 * tinynet.sse_loss(tinynet.relu(x @ w1) @ w2, y)
