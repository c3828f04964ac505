"""Chapter 7 claims corrected after the second expert review (items 1-17).

Each test recomputes a claim of ``book/07-dynamics.ipynb`` with ``tinynet``
on seeded draws of ``original_problem``; plain descent and momentum run on
the reduced problem of ``eq-reduced``, which is exact for them, Adam on the
full problem, for which the reduction does not hold.
"""

from __future__ import annotations

import numpy as np
import pytest

from bookcheck import reduced_problem

from tinynet import (
    BATCH_SIZE, HIDDEN_DIM, INPUT_DIM, LEARNING_RATE, OUTPUT_DIM, forward,
    gradient_descent, init_weights_he, make_data, original_problem,
)
from tinynet.diagnostics import (
    dead_units, reduce_inputs, top_hessian_eigenpair, top_hessian_eigenvalue,
    w2_block_curvature,
)


_reduced = reduced_problem


@pytest.fixture(scope="module")
def early():
    """Seed 0, reduced, rate 1e-6: the weights of iterations 0 to 6."""
    x, y, w1, w2 = _reduced(0)
    hist = gradient_descent(x, y, w1, w2, 7, 1e-6, snapshot_at=range(7))
    return x, y, hist


def test_adam_needs_the_full_problem():
    """Item 1: Adam on the reduced problem takes other steps; on the full one
    the loss is 0.00354 after 200 iterations."""
    x, y, w1, w2 = original_problem(0)
    r = reduce_inputs(x, w1)
    full = gradient_descent(x, y, w1, w2, 200, 1e-2, method="adam")
    small = gradient_descent(r.x, y, r.w1, w2, 50, 1e-2, method="adam")
    ratio = small.losses / full.losses[:50]
    assert max(ratio.max(), 1 / ratio.min()) > 1.5
    assert full.losses[-1] == pytest.approx(0.00354, rel=2e-2)
    # Momentum is linear in the gradient: the reduction is exact for it.
    fm = gradient_descent(x, y, w1, w2, 100, 8e-7, method="momentum")
    sm = gradient_descent(r.x, y, r.w1, w2, 100, 8e-7, method="momentum")
    np.testing.assert_allclose(sm.losses, fm.losses, rtol=1e-8)


def test_loss_falls_while_whole_network_is_unstable(early):
    """Item 2: eta lambda_max > 2 at iterations 3 and 4, yet the loss falls
    38-fold and 16-fold."""
    x, y, hist = early
    sharp = [1e-6 * top_hessian_eigenvalue(x, y, *hist.snapshots[i], 400,
                                           np.random.default_rng(1)) for i in (3, 4)]
    assert sharp[0] > 6 and sharp[1] > 2
    assert hist.losses[3] / hist.losses[4] > 30
    assert hist.losses[4] / hist.losses[5] > 10


def test_top_direction_is_mixed_at_the_peak(early):
    """Items 3 and 10: at iteration 3 the top direction is about half W1, the
    whole exceeds the two blocks' sum, the Gauss-Newton part is 4.64, the
    second eigenvalue 4.03; at iteration 4 it lies in W1."""
    x, y, hist = early
    w1_3, w2_3 = hist.snapshots[3]
    top = top_hessian_eigenpair(x, y, w1_3, w2_3, 400, np.random.default_rng(1))
    assert 0.45 < np.sum(top.v1 ** 2) < 0.6
    w1_block = top_hessian_eigenvalue(x, y, w1_3, w2_3, 400, np.random.default_rng(1),
                                      block="w1")
    assert 1e-6 * w1_block == pytest.approx(3.728, abs=0.01)
    assert top.eigenvalue > w1_block + w2_block_curvature(x, w1_3)
    gauss_newton = top_hessian_eigenvalue(x, forward(x, w1_3, w2_3).predictions,
                                          w1_3, w2_3, 300, np.random.default_rng(1))
    assert 1e-6 * gauss_newton == pytest.approx(4.64, abs=0.02)
    second = top_hessian_eigenpair(x, y, w1_3, w2_3, 400, np.random.default_rng(2),
                                   orthogonal_to=[(top.v1, top.v2)])
    assert 1e-6 * second.eigenvalue == pytest.approx(4.03, abs=0.02)
    top4 = top_hessian_eigenpair(x, y, *hist.snapshots[4], 400, np.random.default_rng(1))
    assert np.sum(top4.v1 ** 2) > 0.95


def test_no_edge_of_stability_later():
    """Item 4: after the catapult the whole network's eta lambda is about 0.18."""
    x, y, w1, w2 = original_problem(0)
    run = gradient_descent(x, y, w1, w2, 1000, LEARNING_RATE, snapshot_at=[300, 999])
    r = reduce_inputs(x, w1)
    for k in (300, 999):
        a, b = run.snapshots[k]
        lam = top_hessian_eigenvalue(r.x, y, reduce_inputs(x, a).w1, b, 100,
                                     np.random.default_rng(1))
        assert 0.15 < 1e-6 * lam < 0.22


def test_he_whole_network_limit_below_w2_block():
    """Item 6: with He weights the whole network is 1.26 times sharper than the
    W2 block; 0.9 x the whole limit trains without a rise or a dead unit."""
    rng = np.random.default_rng(0)
    x, y = make_data(BATCH_SIZE, INPUT_DIM, OUTPUT_DIM, rng)
    w1, w2 = init_weights_he(INPUT_DIM, HIDDEN_DIM, OUTPUT_DIM, rng)
    r = reduce_inputs(x, w1)
    lam = top_hessian_eigenvalue(r.x, y, r.w1, w2, 100, np.random.default_rng(1))
    assert lam / w2_block_curvature(r.x, r.w1) == pytest.approx(1.26, abs=0.02)
    hist = gradient_descent(r.x, y, r.w1, w2, 100, 0.9 * 2 / lam)
    assert hist.losses.max() == hist.losses[0]
    assert not dead_units(r.x, hist.w1).any()


def test_lower_rates_keep_every_unit_over_draws():
    """Items 7 and 8: draws 1-7, 1000 iterations: plain 4e-7 never rises and
    loses no unit; plain 8e-7 ends at 30-195 with no dead unit; momentum
    at 8e-7 loses no unit."""
    for seed in range(1, 8):
        x, y, w1, w2 = _reduced(seed)
        plain4 = gradient_descent(x, y, w1, w2, 1000, 4e-7, record_dead=True)
        assert plain4.dead[-1] == 0 and plain4.losses.max() == plain4.losses[0]
        assert plain4.losses[-1] < 1e-4
        plain8 = gradient_descent(x, y, w1, w2, 1000, 8e-7, record_dead=True)
        assert plain8.dead[-1] == 0 and 25 < plain8.losses[-1] < 200
        mom = gradient_descent(x, y, w1, w2, 1000, 8e-7, method="momentum",
                               record_dead=True)
        assert mom.dead[-1] == 0 and mom.losses[-1] < 0.05


def test_8e7_is_slow_not_crippled():
    """Item 8: seed 0 at 8e-7: no dead unit, no orphan, still falling."""
    x, y, w1, w2 = _reduced(0)
    run = gradient_descent(x, y, w1, w2, 1000, 8e-7, record_dead=True)
    assert run.dead[-1] == 0
    assert not np.all(forward(x, run.w1, run.w2).h == 0, axis=1).any()
    assert run.losses[-1] < 0.9 * run.losses[-101]


def test_reduced_trajectory_matches_the_full_one():
    """Item 9: at 1e-6 the reduced losses match the full ones to 1e-12 along the
    whole run, and the dead-unit counts are identical."""
    x, y, w1, w2 = original_problem(0)
    r = reduce_inputs(x, w1)
    full = gradient_descent(x, y, w1, w2, 1000, LEARNING_RATE, record_dead=True)
    small = gradient_descent(r.x, y, r.w1, w2, 1000, LEARNING_RATE, record_dead=True)
    assert np.max(np.abs(small.losses / full.losses - 1)) < 1e-12
    np.testing.assert_array_equal(small.dead, full.dead)


def test_w2_block_reaches_two_at_iteration_3(early):
    """Item 11: the W2 block's eta lambda is 1.997 at iteration 3, 0.063 at 4."""
    x, _, hist = early
    assert 1e-6 * w2_block_curvature(x, hist.snapshots[3][0]) == pytest.approx(1.997, abs=1e-3)
    assert 1e-6 * w2_block_curvature(x, hist.snapshots[4][0]) == pytest.approx(0.063, abs=1e-3)


def test_units_keep_dying_long_after_the_overshoot():
    """Item 12: at 1e-6 units still die after iteration 100."""
    x, y, w1, w2 = _reduced(0)
    run = gradient_descent(x, y, w1, w2, 1000, LEARNING_RATE, record_dead=True)
    assert run.dead[299] > run.dead[99]


def test_momentum_first_step_is_a_plain_step():
    """Item 15: momentum's first step equals plain descent's."""
    x, y, w1, w2 = _reduced(0)
    mom = gradient_descent(x, y, w1, w2, 2, 8e-7, method="momentum")
    plain = gradient_descent(x, y, w1, w2, 2, 8e-7)
    assert mom.losses[1] == plain.losses[1]
