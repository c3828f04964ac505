"""Tests of tinynet.training: train and TrainingDivergedError."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

import tinynet
from tinynet import (
    TrainingDivergedError,
    TrainResult,
    forward,
    init_weights,
    loss_and_gradients,
    make_data,
    sse_loss,
    train,
)


def original_problem(seed=0):
    """The original post's problem: (N, D, H, C) = (128, 1000, 100, 1), data then weights."""
    rng = np.random.default_rng(seed)
    x, y = make_data(tinynet.BATCH_SIZE, tinynet.INPUT_DIM, tinynet.OUTPUT_DIM, rng)
    w1, w2 = init_weights(tinynet.INPUT_DIM, tinynet.HIDDEN_DIM, tinynet.OUTPUT_DIM, rng)
    return x, y, w1, w2


def original_loop(x, y, w1, w2, num_loops, lr):
    """The original blog post's training loop, written out by hand."""
    w1 = w1.copy()
    w2 = w2.copy()
    losses = []
    for _ in range(num_loops):
        a = x @ w1
        h = np.maximum(a, 0)
        p = h @ w2
        loss = np.sum((p - y) ** 2)
        losses.append(loss)
        dp = 2.0 * (p - y)
        dw2 = h.T @ dp
        dh = dp @ w2.T
        da = dh.copy()
        da[a < 0] = 0
        dw1 = x.T @ da
        w1 -= lr * dw1
        w2 -= lr * dw2
    return w1, w2, np.array(losses)


@pytest.fixture
def tiny():
    """A small problem, (N, D, H, C) = (10, 6, 5, 2), seeded."""
    rng = np.random.default_rng(2)
    x, y = make_data(10, 6, 2, rng)
    w1, w2 = init_weights(6, 5, 2, rng)
    return x, y, w1, w2


def test_train_equals_original_loop_on_original_problem():
    """train reproduces the original post's loop: sizes (128, 1000, 100, 1), 1000 loops, lr 1e-6."""
    x, y, w1, w2 = original_problem(seed=0)
    assert x.shape == (128, 1000) and y.shape == (128, 1)
    assert w1.shape == (1000, 100) and w2.shape == (100, 1)
    num_loops, lr = tinynet.NUM_LOOPS, tinynet.LEARNING_RATE
    assert (num_loops, lr) == (1000, 1e-6)

    result = train(x, y, w1, w2, num_loops=num_loops, learning_rate=lr)
    ref_w1, ref_w2, ref_losses = original_loop(x, y, w1, w2, num_loops, lr)

    assert isinstance(result, TrainResult)
    assert result.losses.shape == (num_loops,)
    assert result.losses.dtype == np.float64
    np.testing.assert_allclose(result.losses, ref_losses, rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.w1, ref_w1, rtol=1e-12, atol=0)
    np.testing.assert_allclose(result.w2, ref_w2, rtol=1e-12, atol=0)
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
    """One loop gives exactly w - learning_rate * dL/dw for both weights."""
    x, y, w1, w2 = tiny
    lr = 1e-3
    _, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    result = train(x, y, w1, w2, num_loops=1, learning_rate=lr)
    np.testing.assert_array_equal(result.w1, w1 - lr * dw1)
    np.testing.assert_array_equal(result.w2, w2 - lr * dw2)


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
