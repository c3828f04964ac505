"""The ReLU-mask stumbling block of ``book/04-backward.ipynb``: ``dh[h < 0] = 0``
masks nothing, and the gradient check catches it; ``dh[h <= 0] = 0`` is correct."""

from __future__ import annotations

import numpy as np

import tinynet


def test_mask_from_h_masks_nothing_and_fails_the_check():
    x, y, w1, w2 = tinynet.original_problem(0)
    a, h, predictions = tinynet.forward(x, w1, w2)
    dh = tinynet.grad_h(tinynet.sse_loss_backward(predictions, y), w2)
    buggy = dh.copy()
    buggy[h < 0] = 0
    assert np.count_nonzero(h < 0) == 0
    np.testing.assert_array_equal(buggy, dh)
    correct = tinynet.relu_backward(dh, a)
    indices = tinynet.random_indices(a.shape, 50, np.random.default_rng(5))
    numeric = tinynet.numerical_gradient_at(
        lambda aa: tinynet.sse_loss(tinynet.relu(aa) @ w2, y), a, indices, 1e-3)
    assert tinynet.relative_error(np.array([correct[i] for i in indices]), numeric) < 1e-6
    assert tinynet.relative_error(np.array([buggy[i] for i in indices]), numeric) > 0.5


def test_non_strict_mask_from_h_is_correct():
    """Only the strict ``h < 0`` is the bug: ``dh[h <= 0] = 0`` equals the mask
    from A, because relu(A) <= 0 exactly where A <= 0."""
    x, y, w1, w2 = tinynet.original_problem(0)
    a, h, predictions = tinynet.forward(x, w1, w2)
    dh = tinynet.grad_h(tinynet.sse_loss_backward(predictions, y), w2)
    masked = dh.copy()
    masked[h <= 0] = 0
    np.testing.assert_array_equal(h <= 0, a <= 0)
    np.testing.assert_array_equal(masked, tinynet.relu_backward(dh, a))
    # also at exact zeros of A, where relu_backward uses 0
    a0 = np.array([[-1.0, 0.0, 2.0]])
    h0 = tinynet.relu(a0)
    up = np.ones_like(a0)
    m0 = up.copy()
    m0[h0 <= 0] = 0
    np.testing.assert_array_equal(m0, tinynet.relu_backward(up, a0))
