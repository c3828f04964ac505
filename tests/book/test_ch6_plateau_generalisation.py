"""Claims of the chapter *Training* (``book/06-training.ipynb``), recomputed.

On the seeded run (seed 0): the plateau is the samples with every hidden unit
off, the other samples are fitted, and the blow-up on fresh data is more than
the growth of the norm of W2, because all its entries end with one sign. Over
a few draws: the trained network is far worse on fresh data than predicting 0.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinynet


def run(seed):
    rng = np.random.default_rng(seed)
    x, y, w1, w2 = tinynet.original_problem(rng)
    x_new, y_new = tinynet.make_data(tinynet.BATCH_SIZE, tinynet.INPUT_DIM, tinynet.OUTPUT_DIM, rng)
    result = tinynet.train(x, y, w1, w2, num_loops=1000, learning_rate=1e-6)
    return x, y, w1, w2, x_new, y_new, result


@pytest.fixture(scope="module")
def seed0():
    return run(0)


def test_plateau_is_the_samples_with_every_unit_off(seed0):
    x, y, _, _, _, _, result = seed0
    predictions = tinynet.forward(x, result.w1, result.w2).predictions
    loss = tinynet.sse_loss(predictions, y)
    off = np.all(x @ result.w1 <= 0, axis=1)
    assert off.sum() == 71
    assert np.all(predictions[off] == 0)
    assert np.sum(y[off] ** 2) == pytest.approx(loss, rel=1e-6)
    assert round(float(np.sum(y[off] ** 2)), 5) == 67.35690
    assert np.max((predictions - y)[~off] ** 2) < 5e-6


def test_fresh_blow_up_is_more_than_the_norm_of_w2(seed0):
    x, y, w1, w2, x_new, _, result = seed0
    rms = lambda p: np.sqrt(np.mean(p**2))  # noqa: E731
    growth = rms(tinynet.forward(x_new, result.w1, result.w2).predictions) / rms(
        tinynet.forward(x_new, w1, w2).predictions)
    norm_growth = np.linalg.norm(result.w2) / np.linalg.norm(w2)
    assert 20 < growth < 40
    assert 4 < norm_growth < 7
    assert growth > 4 * norm_growth
    assert np.all(result.w2 < 0)
    h_growth = rms(tinynet.relu(x_new @ result.w1)) / rms(tinynet.relu(x_new @ w1))
    assert 0.9 < h_growth < 1.1


@pytest.mark.parametrize("seed", [1, 2])
def test_generalisation_is_worse_than_predicting_zero(seed):
    x, y, _, _, x_new, y_new, result = run(seed)
    train_loss = tinynet.sse_loss(tinynet.forward(x, result.w1, result.w2).predictions, y)
    test_loss = tinynet.sse_loss(tinynet.forward(x_new, result.w1, result.w2).predictions, y_new)
    zero = tinynet.sse_loss(np.zeros_like(y_new), y_new)
    assert train_loss < zero
    assert test_loss > 1e4 * zero
