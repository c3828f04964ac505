"""The corrected claims of chapter 7, *Why it trains, and where it stalls*.

Each test recomputes one claim of ``book/07-dynamics.ipynb`` with ``tinynet``
on seeded draws of the original post's problem (``original_problem(seed)``),
and the equation tests first assert that the label exists in the notebook.
The runs use the reduced problem of ``eq-reduced``
(:func:`tinynet.diagnostics.reduce_inputs`), which trains like the full one;
one test checks that on seed 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bookcheck import assert_equation_label, reduced_problem
from tinynet import LEARNING_RATE, gradient_descent, original_problem
from tinynet.diagnostics import (
    hessian_vector_product,
    reduce_inputs,
    top_hessian_eigenvalue,
    w2_block_curvature,
)

NOTEBOOK = Path(__file__).resolve().parents[2] / "book" / "07-dynamics.ipynb"


_reduced = reduced_problem


@pytest.fixture(scope="module")
def seed0():
    return _reduced(0)


def _final(problem, rate, num_loops=1000, **kwargs):
    x, y, w1, w2 = problem
    return gradient_descent(x, y, w1, w2, num_loops, rate, record_dead=True, **kwargs)


def test_eq_reduced_trains_like_the_full_problem(seed0):
    """eq-reduced: the same losses and dead units as the full 1000-input run."""
    assert_equation_label(NOTEBOOK, "eq-reduced")
    x, y, w1, w2 = original_problem(0)
    full = gradient_descent(x, y, w1, w2, 300, LEARNING_RATE, record_dead=True)
    small = _final(seed0, LEARNING_RATE, 300)
    np.testing.assert_allclose(small.losses, full.losses, rtol=1e-6)
    np.testing.assert_array_equal(small.dead, full.dead)


def test_eq_hvp_exact_on_the_original_problem():
    """eq-hvp: H v agrees with a difference of gradients on the real problem."""
    assert_equation_label(NOTEBOOK, "eq-hvp")
    from tinynet import loss_and_gradients

    x, y, w1, w2 = original_problem(0)
    rng = np.random.default_rng(0)
    v1, v2 = rng.standard_normal(w1.shape), rng.standard_normal(w2.shape)
    hv1, hv2 = hessian_vector_product(x, y, w1, w2, v1, v2)
    s = 1e-7
    _, p1, p2 = loss_and_gradients(x, y, w1 + s * v1, w2 + s * v2)
    _, m1, m2 = loss_and_gradients(x, y, w1 - s * v1, w2 - s * v2)
    for ours, fd in ((hv1, (p1 - m1) / (2 * s)), (hv2, (p2 - m2) / (2 * s))):
        assert np.linalg.norm(ours - fd) <= 1e-5 * np.linalg.norm(fd)


def test_whole_network_sharpness_rises_as_w1_takes_over(seed0):
    """Item 11: at rate 1e-6, eta lambda_max of the whole network goes 4.45, 5.31,
    6.88, 2.68, 0.89 at iterations 0, 2, 3, 4, 5; the W1 block takes over."""
    x, y, w1, w2 = seed0
    hist = gradient_descent(x, y, w1, w2, 6, 1e-6, snapshot_at=range(6))

    def sharp(i, block):
        a, b = hist.snapshots[i]
        return 1e-6 * top_hessian_eigenvalue(x, y, a, b, 50, np.random.default_rng(1), block=block)

    whole = [sharp(i, "all") for i in range(6)]
    np.testing.assert_allclose([whole[i] for i in (0, 2, 3, 4, 5)],
                               [4.45, 5.31, 6.88, 2.68, 0.89], atol=0.01)
    assert whole[3] > whole[0] > 2 > whole[5]
    # At iteration 3 the W2 block alone is already at the threshold, the W1 block is sharp.
    assert 1e-6 * w2_block_curvature(x, hist.snapshots[3][0]) < 2.01
    assert sharp(3, "w1") > 3.5 and sharp(4, "w1") == pytest.approx(whole[4], rel=3e-2)


def test_just_above_the_limit_no_unit_dies(seed0):
    """Item 12: at 5e-7 (above the limit 4.5e-7) the loss rises, but no unit
    dies and the loss reaches about 3.4e-6 by iteration 1000."""
    x, y, w1, w2 = seed0
    lam = top_hessian_eigenvalue(x, y, w1, w2, 50, np.random.default_rng(1))
    assert 5e-7 > 2 / lam
    run = _final(seed0, 5e-7)
    assert run.losses.max() > run.losses[0]
    assert run.dead.max() == 0
    assert run.losses[-1] < 1e-5


def test_sweep_at_1000_iterations_favours_sub_limit_rates(seed0):
    """Item 13: at 1000 iterations 4e-7 (below the limit) beats 1e-6 by far."""
    finals = {rate: _final(seed0, rate) for rate in (2e-7, 4e-7, 6e-7, 1e-6, 1.2e-6)}
    assert finals[4e-7].losses[-1] < 1e-5 and finals[4e-7].dead[-1] == 0
    assert 0.1 < finals[2e-7].losses[-1] < 1
    assert finals[6e-7].losses[-1] < 1
    assert finals[1e-6].losses[-1] > 60 and finals[1.2e-6].losses[-1] > 40
    # ... while after 200 iterations 1e-6 is ahead of 4e-7.
    assert finals[1e-6].losses[199] < finals[4e-7].losses[199]


def test_peak_iteration_over_draws():
    """Item 14: over draws the loss peaks at iterations 3-5, and is rarely above
    its start at iteration 10 (the post's printout is atypical). 60 draws here."""
    peaks, above = [], 0
    for seed in range(60):
        x, y, w1, w2 = _reduced(seed)
        assert 1e-6 * w2_block_curvature(x, w1) > 2
        losses = gradient_descent(x, y, w1, w2, 16, 1e-6).losses
        peaks.append(int(np.argmax(losses)))
        above += losses[10] > losses[0]
    peaks = np.array(peaks)
    assert np.mean((peaks >= 3) & (peaks <= 5)) > 0.9
    assert above <= 3


def test_some_draws_end_with_no_dead_unit_still_falling():
    """Item 14: of 16 draws, some (3) end with no dead unit and still falling."""
    alive_falling = 0
    for seed in range(16):
        run = _final(_reduced(seed), 1e-6)
        if run.dead[-1] == 0:
            assert run.losses[-1] < run.losses[-101] * (1 - 1e-3)
            alive_falling += 1
    assert alive_falling == 3


def test_momentum_between_the_limits(seed0):
    """eq-momentum: between 2/lambda and 2(1+beta)/lambda momentum trains
    without dead units; above both it overshoots and units die."""
    assert_equation_label(NOTEBOOK, "eq-momentum")
    x, y, w1, w2 = seed0
    lam = top_hessian_eigenvalue(x, y, w1, w2, 50, np.random.default_rng(1))
    assert 2 / lam < 8e-7 < 2 * 1.9 / lam < 1e-6
    between = _final(seed0, 8e-7, method="momentum")
    assert between.dead[-1] == 0 and between.losses[-1] < 1e-6
    above = _final(seed0, 1e-6, method="momentum")
    assert above.dead[-1] > 10


def test_adam_sum_and_mean_take_the_same_steps():
    """eq-adam: from the N(0,1) start, Adam at 1e-2 on the sum and on the mean
    loss take the same steps (full problem: eq-reduced does not hold for Adam)."""
    assert_equation_label(NOTEBOOK, "eq-adam")
    x, y, w1, w2 = original_problem(0)
    total = gradient_descent(x, y, w1, w2, 200, 1e-2, method="adam")
    mean = gradient_descent(x, y, w1, w2, 200, 1e-2, method="adam", loss="mean")
    assert np.max(np.abs(total.w1 - mean.w1)) < 1e-5
    np.testing.assert_allclose(mean.losses * 128, total.losses, rtol=1e-6, atol=1e-6)
    assert total.losses[-1] == pytest.approx(0.00354, rel=2e-2)
