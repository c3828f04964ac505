"""Claims of the chapter *Training* (``book/06-training.ipynb``), recomputed.

On the seeded run (seed 0): the plateau is the samples with every hidden unit
off, the other samples are fitted, and the blow-up on fresh data is more than
the growth of the norm of W2, because all its entries end with one sign; the
swap of layers places the blow-up in W2. Over a few draws: the trained network
is far worse on fresh data than predicting 0, and when W2 ends with one sign
the samples switched off are those whose target has the other sign.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

import tinynet


@functools.lru_cache(maxsize=None)
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


def test_swapping_layers_places_the_growth_in_w2(seed0):
    x, _, w1, w2, x_new, _, result = seed0
    rms = lambda p: np.sqrt(np.mean(p**2))  # noqa: E731
    out = lambda v1, v2: rms(tinynet.forward(x_new, v1, v2).predictions)  # noqa: E731
    initial, trained = out(w1, w2), out(result.w1, result.w2)
    assert out(result.w1, w2) == pytest.approx(initial, rel=0.15)
    assert out(w1, result.w2) == pytest.approx(trained, rel=0.1)
    assert trained > 20 * initial
    assert np.mean(x @ result.w1 > 0) < 0.01
    assert 0.45 < np.mean(x_new @ result.w1 > 0) < 0.55
    assert abs(np.mean(x_new @ result.w1 > 0) - np.mean(x_new @ w1 > 0)) < 0.02


@pytest.mark.parametrize("seed, sign", [(0, -1), (2, -1), (4, 1), (1, 0)])
def test_one_sign_w2_switches_off_the_other_sign_targets(seed, sign):
    x, y, _, _, _, _, result = run(seed)
    predictions = tinynet.forward(x, result.w1, result.w2).predictions
    loss = tinynet.sse_loss(predictions, y)
    off = np.all(x @ result.w1 <= 0, axis=1)
    if sign == 0:   # mixed signs: few samples off, the plateau spread over many
        assert np.any(result.w2 < 0) and np.any(result.w2 > 0)
        assert off.sum() <= 6
        assert np.sum((predictions - y) ** 2 > 1e-6) > 100
        return
    assert np.all(np.sign(result.w2) == sign)
    assert np.all(sign * predictions >= 0)
    other = (sign * y < 0).ravel()        # targets W2 cannot produce
    assert np.all(off[other])             # every one of them is switched off
    assert np.sum(off & ~other) <= 2
    assert loss == pytest.approx(np.sum(y[other] ** 2), rel=0.05)
