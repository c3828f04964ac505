"""The ReLU-mask stumbling block of ``book/04-backward.ipynb``: ``dh[h < 0] = 0``
masks nothing, and the gradient check catches it."""

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
