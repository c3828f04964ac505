"""Tests of tinynet.losses: sse_loss and sse_loss_backward."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinynet import sse_loss, sse_loss_backward

LOSS_FUNCTIONS = [sse_loss, sse_loss_backward]


def test_sse_loss_known_value():
    """The loss is a plain sum of squared errors: no mean, no factor 1/2."""
    p = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    y = np.array([[0.0, 2.0], [5.0, 4.0], [5.0, 3.0]])
    assert sse_loss(p, y) == 1.0 + 0.0 + 4.0 + 0.0 + 0.0 + 9.0
    assert type(sse_loss(p, y)) is float


def test_sse_loss_zero_when_equal():
    """The loss of perfect predictions is exactly 0."""
    p = np.random.default_rng(0).standard_normal((5, 3))
    assert sse_loss(p, p.copy()) == 0.0


def test_sse_loss_backward_known_value():
    """dL/dpredictions is 2 (predictions - targets), with the shape of predictions."""
    p = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[0.0, 4.0], [3.0, 5.5]])
    out = sse_loss_backward(p, y)
    np.testing.assert_array_equal(out, [[2.0, -4.0], [0.0, -3.0]])
    assert out.shape == p.shape


def test_sse_loss_backward_matches_fd(problem, fd_checks):
    """sse_loss_backward equals the finite difference of the loss w.r.t. the predictions."""
    x, y, w1, w2 = problem
    predictions = np.maximum(x @ w1, 0.0) @ w2
    fd_checks(
        sse_loss_backward(predictions, y),
        lambda p: sse_loss(p, y),
        predictions,
    )


@pytest.mark.parametrize("func", LOSS_FUNCTIONS, ids=lambda f: f.__name__)
def test_inputs_not_modified(func):
    """Neither predictions nor targets is modified."""
    rng = np.random.default_rng(3)
    p, y = rng.standard_normal((4, 2)), rng.standard_normal((4, 2))
    p0, y0 = p.copy(), y.copy()
    out = func(p, y)
    np.testing.assert_array_equal(p, p0)
    np.testing.assert_array_equal(y, y0)
    if isinstance(out, np.ndarray):
        assert not np.shares_memory(out, p) and not np.shares_memory(out, y)


@pytest.mark.parametrize("func", LOSS_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    ("p_shape", "y_shape"), [((128, 1), (128,)), ((128, 1), (1, 128)), ((5, 2), (5, 3))]
)
def test_target_shape_mismatch_names_both_shapes(func, p_shape, y_shape):
    """targets not shaped like predictions raises ValueError naming both and both shapes.

    In particular targets of shape (128,) against predictions (128, 1), which
    NumPy would broadcast to (128, 128).
    """
    with pytest.raises(ValueError, match=r"targets has shape") as info:
        func(np.zeros(p_shape), np.zeros(y_shape))
    message = str(info.value)
    assert "predictions" in message
    assert str(p_shape) in message
    assert str(y_shape) in message


@pytest.mark.parametrize("func", LOSS_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(4,), (2, 2, 1)])
def test_predictions_not_2d(func, shape):
    """1-D or 3-D predictions raise ValueError naming predictions and its shape."""
    with pytest.raises(ValueError, match=r"^predictions must be 2-D") as info:
        func(np.zeros(shape), np.zeros(shape))
    assert str(shape) in str(info.value)


@pytest.mark.parametrize("func", LOSS_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", ["predictions", "targets"])
def test_lists_rejected(func, bad):
    """A list instead of an array raises TypeError naming the argument."""
    args = {"predictions": np.zeros((2, 1)), "targets": np.zeros((2, 1))}
    args[bad] = [[0.0], [1.0]]
    with pytest.raises(TypeError, match=rf"^{bad} must be a 2-D numpy array"):
        func(args["predictions"], args["targets"])


@pytest.mark.parametrize("func", LOSS_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", ["predictions", "targets"])
def test_integer_arrays_rejected(func, bad):
    """An integer array raises TypeError naming the argument and its dtype."""
    args = {"predictions": np.zeros((2, 1)), "targets": np.zeros((2, 1))}
    args[bad] = np.array([[0], [1]])
    with pytest.raises(TypeError, match=rf"^{bad} must hold floating-point numbers, got dtype int"):
        func(args["predictions"], args["targets"])


@pytest.mark.parametrize("func", LOSS_FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("bad", ["predictions", "targets"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_rejected(func, bad, value):
    """NaN or infinity raises ValueError naming the argument and its shape."""
    args = {"predictions": np.zeros((3, 1)), "targets": np.zeros((3, 1))}
    args[bad][1, 0] = value
    with pytest.raises(ValueError, match=re.escape(f"{bad} (shape (3, 1)) holds 1 NaN or infinite")):
        func(args["predictions"], args["targets"])
