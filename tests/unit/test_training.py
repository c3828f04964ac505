"""Tests of tinynet.training: gradient_descent, train, learning_rate_sweep."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import reference
import tinynet
from tinynet import (
    SweepPoint,
    TrainHistory,
    TrainingDivergedError,
    TrainResult,
    forward,
    gradient_descent,
    init_weights,
    learning_rate_sweep,
    loss_and_gradients,
    make_data,
    original_problem,
    sse_loss,
    train,
)

#: How closely train follows the original post's loop. train multiplies the
#: small dL/dyhat by the learning rate, so the backward pass returns the steps
#: themselves; the post multiplies the two gradients. Same operations, rounded
#: in another order: over the 1000 iterations of the post's run, including its
#: overshoot to a loss 300 times the start, the two agree to about 2e-11.
AGREEMENT_WITH_POST = 1e-9


def test_train_equals_original_loop_on_original_problem():
    """train reproduces the original post's loop: sizes (128, 1000, 100, 1), 1000 loops, lr 1e-6."""
    x, y, w1, w2 = original_problem(0)
    assert x.shape == (128, 1000) and y.shape == (128, 1)
    assert w1.shape == (1000, 100) and w2.shape == (100, 1)
    num_loops, lr = tinynet.NUM_LOOPS, tinynet.LEARNING_RATE
    assert (num_loops, lr) == (1000, 1e-6)

    result = train(x, y, w1, w2, num_loops=num_loops, learning_rate=lr)
    ref_w1, ref_w2, ref_losses = reference.original_loop(x, y, w1, w2, num_loops, lr)

    assert isinstance(result, TrainResult)
    assert result.losses.shape == (num_loops,)
    assert result.losses.dtype == np.float64
    np.testing.assert_allclose(result.losses, ref_losses, rtol=AGREEMENT_WITH_POST, atol=0)
    np.testing.assert_allclose(result.w1, ref_w1, rtol=AGREEMENT_WITH_POST, atol=0)
    np.testing.assert_allclose(result.w2, ref_w2, rtol=AGREEMENT_WITH_POST, atol=0)
    # losses[0] is the loss before the first update.
    assert result.losses[0] == sse_loss(forward(x, w1, w2).predictions, y)
    # The comparison is not vacuous: training really moved the weights and the loss.
    assert result.losses[-1] < 1e-3 * result.losses[0]
    assert not np.allclose(result.w1, w1)
    assert not np.allclose(result.w2, w2)


def test_losses_are_before_each_update(tiny):
    """losses[i] is the loss of the weights after i updates, i.e. before update i."""
    x, y, w1, w2 = tiny
    lr = 1e-3
    result = train(x, y, w1, w2, num_loops=4, learning_rate=lr)
    assert len(result.losses) == 4
    for i in range(4):
        partial = train(x, y, w1, w2, num_loops=i, learning_rate=lr)
        assert result.losses[i] == loss_and_gradients(x, y, partial.w1, partial.w2)[0]
        if i:
            np.testing.assert_array_equal(partial.losses, result.losses[:i])
    assert result.losses[3] < result.losses[0]


def test_one_step_is_the_gradient_descent_update(tiny):
    """One loop gives w - learning_rate * dL/dw for both weights (to round-off)."""
    x, y, w1, w2 = tiny
    lr = 1e-3
    _, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    result = train(x, y, w1, w2, num_loops=1, learning_rate=lr)
    np.testing.assert_allclose(result.w1, w1 - lr * dw1, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(result.w2, w2 - lr * dw2, rtol=1e-13, atol=1e-15)
    assert not np.allclose(result.w1, w1, rtol=1e-6, atol=0)


@pytest.mark.parametrize("num_loops", [0, 1, 7])
def test_len_losses_equals_num_loops(tiny, num_loops):
    """len(losses) == num_loops."""
    x, y, w1, w2 = tiny
    assert len(train(x, y, w1, w2, num_loops=num_loops, learning_rate=1e-3).losses) == num_loops


def test_zero_loops_returns_empty_losses_and_weight_copies(tiny):
    """num_loops=0 is allowed: empty float losses and copies of the initial weights."""
    x, y, w1, w2 = tiny
    result = train(x, y, w1, w2, num_loops=0)
    assert result.losses.shape == (0,)
    assert result.losses.dtype == np.float64
    np.testing.assert_array_equal(result.w1, w1)
    np.testing.assert_array_equal(result.w2, w2)
    assert result.w1 is not w1 and result.w2 is not w2
    assert not np.shares_memory(result.w1, w1)
    assert not np.shares_memory(result.w2, w2)


def test_train_does_not_modify_inputs_and_returns_new_arrays(tiny):
    """train leaves x, y, w1, w2 untouched and returns new weight arrays."""
    x, y, w1, w2 = tiny
    saved = [arr.copy() for arr in tiny]
    result = train(x, y, w1, w2, num_loops=5, learning_rate=1e-3)
    for arr, before in zip(tiny, saved):
        np.testing.assert_array_equal(arr, before)
    for new, old in [(result.w1, w1), (result.w2, w2)]:
        assert new is not old
        assert not np.shares_memory(new, old)
        assert not np.array_equal(new, old)


def test_train_accepts_numpy_scalars(tiny):
    """NumPy integer loops and NumPy float learning rates are accepted."""
    x, y, w1, w2 = tiny
    ref = train(x, y, w1, w2, num_loops=3, learning_rate=1e-3)
    got = train(x, y, w1, w2, num_loops=np.int64(3), learning_rate=np.float64(1e-3))
    np.testing.assert_array_equal(got.losses, ref.losses)


# ---------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("learning_rate", "error"),
    [
        (0, ValueError),
        (0.0, ValueError),
        (-1e-6, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        (-math.inf, ValueError),
        ("1e-6", TypeError),
        (True, TypeError),
        (None, TypeError),
        (np.array([1e-6]), TypeError),
    ],
    ids=repr,
)
def test_bad_learning_rate(tiny, learning_rate, error):
    """A learning rate that is not a positive finite real number is refused, naming it."""
    with pytest.raises(error, match=r"^learning_rate must be"):
        train(*tiny, num_loops=1, learning_rate=learning_rate)


@pytest.mark.parametrize(
    ("num_loops", "error"),
    [(-1, ValueError), (2.5, TypeError), (10.0, TypeError), ("10", TypeError), (True, TypeError), (None, TypeError)],
    ids=repr,
)
def test_bad_num_loops(tiny, num_loops, error):
    """num_loops must be a non-negative integer; the error names num_loops."""
    with pytest.raises(error, match=r"^num_loops must be"):
        train(*tiny, num_loops=num_loops)


def test_1d_targets_names_both_shapes():
    """y of shape (128,) against predictions (128, 1) is refused, naming both shapes."""
    x, y, w1, w2 = original_problem()
    with pytest.raises(ValueError, match=r"^y has shape \(128,\)") as info:
        train(x, y.ravel(), w1, w2, num_loops=1)
    assert "(128, 1)" in str(info.value)


@pytest.mark.parametrize(
    ("arg", "bad", "error", "pattern"),
    [
        ("x", lambda a: a.tolist(), TypeError, r"^x must be a 2-D numpy array"),
        ("y", lambda a: a.astype(int), TypeError, r"^y must hold floating-point"),
        ("w1", lambda a: a[:, :, None], ValueError, r"^w1 must be 2-D"),
        ("w2", lambda a: a.ravel(), ValueError, r"^w2 must be 2-D"),
        ("x", lambda a: np.where(a > 1, np.nan, a), ValueError, r"^x \(shape \(10, 6\)\) holds \d+ NaN"),
        ("y", lambda a: np.full_like(a, np.inf), ValueError, r"^y \(shape \(10, 2\)\) holds 20 NaN"),
        ("w1", lambda a: np.vstack([a, a]), ValueError, r"x has shape \(10, 6\) and w1 has shape \(12, 5\)"),
        ("w2", lambda a: a[:3], ValueError, r"w1 has shape \(6, 5\) and w2 has shape \(3, 2\)"),
    ],
)
def test_bad_arrays(tiny, arg, bad, error, pattern):
    """train validates its arrays like loss_and_gradients, naming argument and shapes."""
    args = dict(zip(("x", "y", "w1", "w2"), tiny))
    args[arg] = bad(args[arg])
    with pytest.raises(error, match=pattern):
        train(**args, num_loops=1)


# --------------------------------------------------------- divergence


def test_divergence_on_original_problem_raises_clear_error():
    """lr 1e-2 on the original problem raises TrainingDivergedError, without RuntimeWarning."""
    x, y, w1, w2 = original_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrainingDivergedError) as info:
            train(x, y, w1, w2, num_loops=1000, learning_rate=1e-2)
    error = info.value
    assert isinstance(error, FloatingPointError)
    message = str(error)
    assert f"iteration {error.iteration}" in message
    assert "smaller learning rate" in message
    assert "learning_rate=0.01" in message
    assert 0 < error.iteration < 1000
    assert error.learning_rate == 1e-2
    assert len(error.losses) == error.iteration
    assert np.isfinite(error.losses).all()
    # The losses carried are the ones training produced before diverging.
    partial = train(x, y, w1, w2, num_loops=error.iteration, learning_rate=1e-2)
    np.testing.assert_array_equal(error.losses, partial.losses)


def test_divergence_on_small_problem(tiny):
    """A huge learning rate on a small problem diverges with the iteration named."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrainingDivergedError, match=r"at iteration \d+.*try a smaller learning rate") as info:
            train(*tiny, num_loops=10_000, learning_rate=10.0)
    assert info.value.iteration == len(info.value.losses) > 0


def test_overflow_in_last_update_is_reported():
    """Weights overflowing in the very last update raise instead of returning inf.

    The loss after that update is never computed inside the loop, so train
    must check the final weights.
    """
    x = np.array([[1e3, -2e3], [3e3, 1e3]])
    y = np.array([[1.0], [-1.0]])
    w1 = np.array([[1.0, -0.5], [0.5, 1.0]])
    w2 = np.array([[1.0], [1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TrainingDivergedError, match=re.escape("iteration 1")) as info:
            train(x, y, w1, w2, num_loops=1, learning_rate=1e305)
    assert info.value.iteration == 1
    assert len(info.value.losses) == 1 and np.isfinite(info.value.losses).all()


def test_no_divergence_leaves_warnings_untouched(tiny):
    """A healthy run emits no warning and returns finite weights."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = train(*tiny, num_loops=20, learning_rate=1e-3)
    assert np.isfinite(result.w1).all() and np.isfinite(result.w2).all()
    assert np.isfinite(result.losses).all()


# ---------------------------------------------------------- learning-rate sweep


def test_sweep_catches_divergence(tiny):
    x, y, w1, w2 = tiny
    saved = [a.copy() for a in tiny]
    points = learning_rate_sweep(x, y, w1, w2, [1e-3, 1e3], num_loops=50)
    assert [p.learning_rate for p in points] == [1e-3, 1e3]
    assert all(isinstance(p, SweepPoint) for p in points)
    good, bad = points
    assert good.diverged_at is None
    assert good.final_loss == train(x, y, w1, w2, 50, 1e-3).losses[-1]
    assert len(good.losses) == 50
    trained = train(x, y, w1, w2, 50, 1e-3)
    np.testing.assert_array_equal(good.w1, trained.w1)
    np.testing.assert_array_equal(good.w2, trained.w2)
    assert bad.w1 is None and bad.w2 is None
    assert bad.diverged_at is not None and 0 < bad.diverged_at <= 50
    assert math.isnan(bad.final_loss)
    assert len(bad.losses) == min(bad.diverged_at, 50)
    assert np.all(np.isfinite(bad.losses))
    with pytest.raises(TrainingDivergedError) as info:
        train(x, y, w1, w2, 50, 1e3)
    assert info.value.iteration == bad.diverged_at
    for a, b in zip(tiny, saved):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("rates", "error", "pattern"),
    [
        ([], ValueError, r"^learning_rates must hold at least one rate"),
        ("1e-3", TypeError, r"^learning_rates must be a sequence .* got '1e-3'"),
        (1e-3, TypeError, r"^learning_rates must be a sequence .* got 0.001"),
        ([1e-3, -1.0], ValueError, r"^each learning rate must be a positive finite number, got -1.0"),
        ([math.nan], ValueError, r"^each learning rate must be a positive finite number, got nan"),
        ([None], TypeError, r"^each learning rate must be a real number, got None"),
    ],
)
def test_sweep_bad_rates(tiny, rates, error, pattern):
    with pytest.raises(error, match=pattern):
        learning_rate_sweep(*tiny, rates, num_loops=3)


def test_sweep_bad_num_loops(tiny):
    with pytest.raises(ValueError, match=r"^num_loops must be a positive integer, got 0"):
        learning_rate_sweep(*tiny, [1e-3], num_loops=0)


# ---------------------------------------------------------- gradient_descent


def test_gradient_descent_reproduces_train_exactly(tiny):
    x, y, w1, w2 = tiny
    ref = train(x, y, w1, w2, 30, 1e-2)
    hist = gradient_descent(x, y, w1, w2, 30, 1e-2, snapshot_at=[0, 5, 30])
    assert isinstance(hist, TrainHistory)
    np.testing.assert_array_equal(hist.losses, ref.losses)
    np.testing.assert_array_equal(hist.w1, ref.w1)
    np.testing.assert_array_equal(hist.w2, ref.w2)
    assert sorted(hist.snapshots) == [0, 5, 30]
    np.testing.assert_array_equal(hist.snapshots[0][0], w1)
    np.testing.assert_array_equal(hist.snapshots[30][1], ref.w2)
    mid = train(x, y, w1, w2, 5, 1e-2)
    np.testing.assert_array_equal(hist.snapshots[5][0], mid.w1)
    assert hist.snapshots[0][0] is not w1


def test_history_dead_counts(tiny):
    x, y, w1, w2 = tiny
    hist = gradient_descent(x, y, w1, w2, 20, 1e-2, record_dead=True, snapshot_at=range(21))
    assert hist.dead.shape == (20,) and hist.dead.dtype.kind == "i"
    for i in range(20):
        assert hist.dead[i] == np.all(x @ hist.snapshots[i][0] <= 0, axis=0).sum()
    assert gradient_descent(x, y, w1, w2, 20, 1e-2).dead is None


def test_mean_loss_with_scaled_rate_gives_same_trajectory():
    """Mean loss with learning rate lr * N * C follows the sum loss with lr.

    With N * C = 16 a power of two, the scalings are exact in floating point and
    the two runs agree bit for bit.
    """
    rng = np.random.default_rng(4)
    x, y = make_data(8, 6, 2, rng)
    w1, w2 = init_weights(6, 5, 2, rng)
    lr = 1e-3
    total = gradient_descent(x, y, w1, w2, 25, lr)
    mean = gradient_descent(x, y, w1, w2, 25, lr * y.size, loss="mean")
    np.testing.assert_array_equal(mean.w1, total.w1)
    np.testing.assert_array_equal(mean.w2, total.w2)
    np.testing.assert_array_equal(mean.losses * y.size, total.losses)
    # The same learning rate on the mean loss takes N*C times smaller steps.
    slow = gradient_descent(x, y, w1, w2, 25, lr, loss="mean")
    assert slow.losses[-1] * y.size > total.losses[-1]


def test_mean_trajectory_with_non_power_of_two_count(tiny):
    x, y, w1, w2 = tiny  # N * C = 20
    total = gradient_descent(x, y, w1, w2, 25, 1e-3)
    mean = gradient_descent(x, y, w1, w2, 25, 1e-3 * y.size, loss="mean")
    np.testing.assert_allclose(mean.losses * y.size, total.losses, rtol=1e-10)
    np.testing.assert_allclose(mean.w1, total.w1, rtol=1e-10, atol=1e-12)


def test_history_divergence_raises(tiny):
    with pytest.raises(TrainingDivergedError) as info:
        gradient_descent(*tiny, 50, 1e3)
    assert info.value.iteration > 0
    assert np.all(np.isfinite(info.value.losses))


def test_history_does_not_modify_inputs(tiny):
    saved = [a.copy() for a in tiny]
    gradient_descent(*tiny, 5, 1e-2, loss="mean", snapshot_at=[0, 5])
    for a, b in zip(tiny, saved):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"loss": "median"}, ValueError, r"^loss must be 'sum' or 'mean', got 'median'"),
        ({"snapshot_at": [11]}, ValueError, r"^snapshot_at holds 11, but there are only num_loops=10"),
        ({"snapshot_at": [-1]}, ValueError, r"^snapshot_at\[\] must be a non-negative integer, got -1"),
        ({"snapshot_at": [1.5]}, TypeError, r"^snapshot_at\[\] must be an integer, got 1.5"),
        ({"learning_rate": 0.0}, ValueError, r"^learning_rate must be a positive finite number, got 0.0"),
        ({"num_loops": -1}, ValueError, r"^num_loops must be a non-negative integer, got -1"),
    ],
)
def test_history_bad_inputs(tiny, kwargs, error, pattern):
    args = {"num_loops": 10, "learning_rate": 1e-3} | kwargs
    with pytest.raises(error, match=pattern):
        gradient_descent(*tiny, **args)


# ---------------------------------------------------------- momentum and Adam


def _reference_gradients(x, y, w1, w2):
    """Loss and gradients from the original post's formulas (tests/reference.py style)."""
    a = x @ w1
    h = reference.relu(a)
    g = 2.0 * (h @ w2 - y)
    return float(np.sum((h @ w2 - y) ** 2)), x.T @ ((g @ w2.T) * (a > 0)), h.T @ g


def _tiny_problem():
    rng = np.random.default_rng(21)
    x, y = make_data(9, 7, 2, rng)
    w1, w2 = init_weights(7, 5, 2, rng)
    return x, y, w1 * 0.3, w2 * 0.3


def test_momentum_follows_the_heavy_ball_recurrence():
    """v <- beta v + g, w <- w - lr v (eq-momentum), against a direct loop."""
    x, y, w1, w2 = _tiny_problem()
    lr, beta = 2e-3, 0.8
    hist = gradient_descent(x, y, w1, w2, 30, lr, method="momentum", beta=beta)
    r1, r2 = w1.copy(), w2.copy()
    v1, v2 = np.zeros_like(w1), np.zeros_like(w2)
    losses = []
    for _ in range(30):
        loss, g1, g2 = _reference_gradients(x, y, r1, r2)
        losses.append(loss)
        v1, v2 = beta * v1 + g1, beta * v2 + g2
        r1, r2 = r1 - lr * v1, r2 - lr * v2
    np.testing.assert_allclose(hist.losses, losses, rtol=1e-10)
    np.testing.assert_allclose(hist.w1, r1, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hist.w2, r2, rtol=1e-10, atol=1e-12)


def test_momentum_with_beta_zero_is_plain_descent():
    x, y, w1, w2 = _tiny_problem()
    plain = gradient_descent(x, y, w1, w2, 20, 1e-3)
    heavy = gradient_descent(x, y, w1, w2, 20, 1e-3, method="momentum", beta=0.0)
    np.testing.assert_array_equal(plain.losses, heavy.losses)
    np.testing.assert_array_equal(plain.w1, heavy.w1)


def test_adam_follows_its_equations():
    """eq-adam with bias correction, against a direct loop."""
    x, y, w1, w2 = _tiny_problem()
    lr, b1, b2, eps = 1e-2, 0.9, 0.99, 1e-8
    hist = gradient_descent(x, y, w1, w2, 25, lr, method="adam", beta=b1, beta2=b2, epsilon=eps)
    r = [w1.copy(), w2.copy()]
    m = [np.zeros_like(w1), np.zeros_like(w2)]
    s = [np.zeros_like(w1), np.zeros_like(w2)]
    for t in range(1, 26):
        _, g1, g2 = _reference_gradients(x, y, *r)
        for k, g in enumerate((g1, g2)):
            m[k] = b1 * m[k] + (1 - b1) * g
            s[k] = b2 * s[k] + (1 - b2) * g * g
            r[k] = r[k] - lr * (m[k] / (1 - b1**t)) / (np.sqrt(s[k] / (1 - b2**t)) + eps)
    np.testing.assert_allclose(hist.w1, r[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(hist.w2, r[1], rtol=1e-9, atol=1e-12)


def test_adam_same_steps_for_sum_and_mean_loss():
    """Adam is scale-invariant: the mean loss (sum / (N C)) takes the same steps."""
    x, y, w1, w2 = _tiny_problem()
    total = gradient_descent(x, y, w1, w2, 40, 1e-2, method="adam", epsilon=1e-12)
    mean = gradient_descent(x, y, w1, w2, 40, 1e-2, method="adam", loss="mean", epsilon=1e-12)
    np.testing.assert_allclose(mean.w1, total.w1, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mean.losses * y.size, total.losses, rtol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"method": "sgd"}, ValueError, r"^method must be 'plain', 'momentum' or 'adam', got 'sgd'"),
        ({"beta": 1.0}, ValueError, r"^beta must be a number in \[0, 1\), got 1.0"),
        ({"beta2": -0.1}, ValueError, r"^beta2 must be a number in \[0, 1\), got -0.1"),
        ({"epsilon": 0.0}, ValueError, r"^epsilon must be a positive finite number, got 0.0"),
    ],
)
def test_step_rule_bad_inputs(kwargs, error, pattern):
    x, y, w1, w2 = _tiny_problem()
    with pytest.raises(error, match=pattern):
        gradient_descent(x, y, w1, w2, 2, 1e-3, **kwargs)


def test_step_rule_plain_returns_the_gradients_and_checks_arguments():
    g1, g2 = np.ones((3, 2)), np.ones((2, 1))
    update = tinynet.step_rule("plain", 1e-3)
    s1, s2 = update(0, g1, g2)
    assert s1 is g1 and s2 is g2
    with pytest.raises(ValueError, match=r"^learning_rate must be a positive finite number"):
        tinynet.step_rule("adam", -1.0)
    with pytest.raises(ValueError, match=r"^method must be 'plain', 'momentum' or 'adam'"):
        tinynet.step_rule("nesterov")
