"""Tests of tinynet.activations: relu and relu_backward."""

from __future__ import annotations

import re

import numpy as np
import pytest

from tinynet import relu, relu_backward


def test_relu_values():
    """relu is max(a, 0) element by element, with relu(0) == 0."""
    a = np.array([[-2.0, -1e-300, 0.0], [1e-300, 0.5, 3.0]])
    expected = np.array([[0.0, 0.0, 0.0], [1e-300, 0.5, 3.0]])
    out = relu(a)
    np.testing.assert_array_equal(out, expected)
    assert out.shape == a.shape


def test_relu_returns_new_array_and_keeps_input():
    """relu does not modify its input nor return it."""
    a = np.array([[-1.0, 2.0], [3.0, -4.0]])
    before = a.copy()
    out = relu(a)
    np.testing.assert_array_equal(a, before)
    assert out is not a
    assert not np.shares_memory(out, a)


def test_relu_backward_values():
    """relu_backward passes dh where a > 0 and zeroes it where a < 0."""
    dh = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    a = np.array([[-1.0, 0.5, -3.0], [2.0, -0.1, 7.0]])
    expected = np.array([[0.0, 2.0, 0.0], [4.0, 0.0, 6.0]])
    np.testing.assert_array_equal(relu_backward(dh, a), expected)


def test_relu_backward_is_zero_at_exactly_zero():
    """Convention at the kink: the mask is a > 0, so a == 0 gives gradient 0."""
    dh = np.array([[5.0, -5.0, 5.0]])
    a = np.array([[0.0, -0.0, 1e-300]])
    np.testing.assert_array_equal(relu_backward(dh, a), [[0.0, 0.0, 5.0]])


def test_relu_backward_mask_comes_from_a_not_from_dh():
    """The mask follows the sign of the pre-activation a, never the sign of dh.

    Negative upstream gradients where a > 0 pass through unchanged, positive
    ones where a < 0 are zeroed. Since relu(a) > 0 exactly where a > 0, the
    mask built from h = relu(a) is the same, which the last line checks.
    """
    dh = np.array([[-3.0, 4.0], [5.0, -6.0]])
    a = np.array([[1.0, -1.0], [-2.0, 2.0]])
    out = relu_backward(dh, a)
    np.testing.assert_array_equal(out, [[-3.0, 0.0], [0.0, -6.0]])
    np.testing.assert_array_equal(relu_backward(dh, relu(a)), out)


def test_relu_backward_keeps_inputs():
    """relu_backward modifies neither dh nor a and returns a new array."""
    rng = np.random.default_rng(1)
    dh = rng.standard_normal((5, 4))
    a = rng.standard_normal((5, 4))
    dh0, a0 = dh.copy(), a.copy()
    out = relu_backward(dh, a)
    np.testing.assert_array_equal(dh, dh0)
    np.testing.assert_array_equal(a, a0)
    assert not np.shares_memory(out, dh)
    assert not np.shares_memory(out, a)


@pytest.mark.parametrize(
    ("dh_shape", "a_shape"),
    [((3, 2), (2, 3)), ((128, 1), (128,)), ((128,), (128, 1)), ((4, 5), (4, 1))],
)
def test_relu_backward_shape_mismatch_names_both_shapes(dh_shape, a_shape):
    """Mismatched shapes raise ValueError naming dh, a and both shapes (no broadcasting)."""
    dh = np.ones(dh_shape)
    a = np.ones(a_shape)
    with pytest.raises(ValueError, match=r"dh has shape") as info:
        relu_backward(dh, a)
    message = str(info.value)
    assert re.search(r"\ba has shape", message)
    assert str(dh_shape) in message
    assert str(a_shape) in message


@pytest.mark.parametrize("bad", ["dh", "a"])
def test_relu_backward_rejects_lists(bad):
    """A list instead of an array raises TypeError naming the argument."""
    args = {"dh": np.ones((2, 2)), "a": np.ones((2, 2))}
    args[bad] = [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(TypeError, match=rf"^{bad} must be a numpy array"):
        relu_backward(args["dh"], args["a"])
