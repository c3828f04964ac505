"""Tests of tinynet.experiments: curvature, sweeps, dead units, He init, mean loss."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinynet
from tinynet import (
    TrainingDivergedError,
    init_weights,
    loss_and_gradients,
    make_data,
    train,
)
from tinynet.experiments import (
    LeastSquaresFloor,
    SweepPoint,
    TrainHistory,
    dead_units,
    init_weights_he,
    learning_rate_sweep,
    least_squares_floor,
    mean_loss_and_gradients,
    top_hessian_eigenvalue,
    train_with_history,
    w2_block_curvature,
)


@pytest.fixture
def tiny():
    """A small problem, (N, D, H, C) = (10, 6, 5, 2), seeded."""
    rng = np.random.default_rng(2)
    x, y = make_data(10, 6, 2, rng)
    w1, w2 = init_weights(6, 5, 2, rng)
    return x, y, w1, w2


def _fd_hessian(x, y, w1, w2, block, step=1e-5):
    """The Hessian of the loss, formed column by column from gradient differences."""
    n1 = w1.size

    def grad(theta):
        if block == "all":
            a, b = theta[:n1].reshape(w1.shape), theta[n1:].reshape(w2.shape)
        elif block == "w1":
            a, b = theta.reshape(w1.shape), w2
        else:
            a, b = w1, theta.reshape(w2.shape)
        _, g1, g2 = loss_and_gradients(x, y, a, b)
        if block == "all":
            return np.concatenate([g1.ravel(), g2.ravel()])
        return (g1 if block == "w1" else g2).ravel()

    if block == "all":
        theta = np.concatenate([w1.ravel(), w2.ravel()])
    else:
        theta = (w1 if block == "w1" else w2).ravel().copy()
    hess = np.empty((theta.size, theta.size))
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = step
        hess[:, k] = (grad(theta + e) - grad(theta - e)) / (2 * step)
    return 0.5 * (hess + hess.T)


def _largest_magnitude(eigenvalues):
    return eigenvalues[np.argmax(np.abs(eigenvalues))]


# ---------------------------------------------------------- init_weights_he


def test_he_init_statistics():
    """Entries are N(0, 2/fan_in): mean near 0, variance near 2/D and 2/H."""
    d, h, c = 2000, 400, 3
    w1, w2 = init_weights_he(d, h, c, np.random.default_rng(0))
    assert w1.shape == (d, h) and w2.shape == (h, c)
    assert w1.dtype == np.float64 and w2.dtype == np.float64
    # 800,000 and 1,200 draws: the sample variance is within a few percent.
    assert abs(w1.var() / (2 / d) - 1) < 0.01
    assert abs(w2.var() / (2 / h) - 1) < 0.1
    assert abs(w1.mean()) < 5 * math.sqrt(2 / d) / math.sqrt(w1.size)
    # A ReLU layer with He weights keeps the mean square of the signal: E[relu(a)^2] = E[x^2].
    x = np.random.default_rng(1).standard_normal((500, d))
    hidden = np.maximum(x @ w1, 0)
    assert abs(np.mean(hidden**2) - 1) < 0.05


def test_he_init_is_scaled_standard_init():
    """Same generator state: He weights are the unscaled draws times sqrt(2/fan_in)."""
    w1, w2 = init_weights(30, 7, 2, np.random.default_rng(5))
    h1, h2 = init_weights_he(30, 7, 2, np.random.default_rng(5))
    np.testing.assert_allclose(h1, w1 * math.sqrt(2 / 30), rtol=1e-15)
    np.testing.assert_allclose(h2, w2 * math.sqrt(2 / 7), rtol=1e-15)


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ((0, 5, 1, np.random.default_rng(0)), ValueError),
        ((3, -1, 1, np.random.default_rng(0)), ValueError),
        ((3, 5, 1.0, np.random.default_rng(0)), TypeError),
        ((3, 5, 1, 0), TypeError),
        ((3, 5, 1, np.random.RandomState(0)), TypeError),
    ],
)
def test_he_init_bad_inputs(args, error):
    with pytest.raises(error):
        init_weights_he(*args)


# ---------------------------------------------------------- mean loss


def test_mean_loss_is_sum_loss_over_n_c(problem):
    """Loss and both gradients of the mean loss are those of the sum loss divided by N*C."""
    x, y, w1, w2 = problem
    loss, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    mean, mdw1, mdw2 = mean_loss_and_gradients(x, y, w1, w2)
    count = y.size
    assert mean == pytest.approx(loss / count, rel=1e-15)
    np.testing.assert_allclose(mdw1, dw1 / count, rtol=1e-15, atol=0)
    np.testing.assert_allclose(mdw2, dw2 / count, rtol=1e-15, atol=0)
    assert mdw1.shape == w1.shape and mdw2.shape == w2.shape


def test_mean_loss_gradient_matches_finite_differences(small_problem, fd_checks):
    x, y, w1, w2 = small_problem
    _, dw1, dw2 = mean_loss_and_gradients(x, y, w1, w2)
    fd_checks(dw1, lambda w: mean_loss_and_gradients(x, y, w, w2)[0], w1)
    fd_checks(dw2, lambda w: mean_loss_and_gradients(x, y, w1, w)[0], w2)


def test_mean_loss_bad_inputs(tiny):
    x, y, w1, w2 = tiny
    with pytest.raises(ValueError, match="y has shape"):
        mean_loss_and_gradients(x, y.ravel(), w1, w2)
    with pytest.raises(TypeError, match="x must"):
        mean_loss_and_gradients(x.tolist(), y, w1, w2)


# ---------------------------------------------------------- dead units


def test_dead_units_by_definition(tiny):
    x, _, w1, _ = tiny
    w1 = w1.copy()
    # Unit 0 dead (a = 0 on every sample counts as dead: relu'(0) = 0)...
    w1[:, 0] = 0.0
    # ...and unit 1 alive on every sample (positive inputs, positive weights).
    x_pos = np.abs(x)
    w1_pos = w1.copy()
    w1_pos[:, 1] = 1.0
    mask = dead_units(x_pos, w1_pos)
    assert mask.dtype == bool and mask.shape == (w1.shape[1],)
    assert mask[0] and not mask[1]
    np.testing.assert_array_equal(mask, np.all(x_pos @ w1_pos <= 0, axis=0))


def test_dead_units_get_zero_gradient(tiny):
    """A dead unit's column of dL/dw1 and row of dL/dw2 are exactly zero."""
    x, y, w1, w2 = tiny
    w1 = w1.copy()
    x = np.abs(x)
    w1[:, 2] = -1.0  # negative weights on positive inputs: dead on every sample
    assert dead_units(x, w1)[2]
    _, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    assert np.all(dw1[:, 2] == 0) and np.all(dw2[2] == 0)


def test_dead_units_does_not_modify_and_bad_inputs(tiny):
    x, _, w1, _ = tiny
    saved = x.copy(), w1.copy()
    dead_units(x, w1)
    np.testing.assert_array_equal(x, saved[0])
    np.testing.assert_array_equal(w1, saved[1])
    with pytest.raises(ValueError, match="inner dimensions"):
        dead_units(x, w1.T)
    with pytest.raises(TypeError, match="w1 must"):
        dead_units(x, w1.astype(int))


# ---------------------------------------------------------- least-squares floor


def test_least_squares_floor_matches_lstsq_and_bounds(tiny):
    x, y, w1, w2 = tiny
    floor = least_squares_floor(x, y, w1)
    assert isinstance(floor, LeastSquaresFloor)
    h = np.maximum(x @ w1, 0)
    ref, *_ = np.linalg.lstsq(h, y, rcond=None)
    np.testing.assert_allclose(floor.w2, ref, rtol=1e-12, atol=1e-14)
    assert floor.loss == pytest.approx(np.sum((h @ ref - y) ** 2), rel=1e-12)
    assert floor.rank <= int(np.sum(~dead_units(x, w1)))
    # No w2 does better than the floor.
    assert floor.loss <= loss_and_gradients(x, y, w1, w2)[0]
    # The gradient with respect to w2 vanishes at the floor.
    assert np.allclose(loss_and_gradients(x, y, w1, floor.w2)[2], 0, atol=1e-10)


def test_least_squares_floor_zero_when_units_outnumber_samples():
    rng = np.random.default_rng(3)
    x, y = make_data(5, 8, 1, rng)
    w1, _ = init_weights(8, 40, 1, rng)
    floor = least_squares_floor(x, y, w1)
    assert floor.rank == 5
    assert floor.loss < 1e-20


def test_least_squares_floor_bad_inputs(tiny):
    x, y, w1, _ = tiny
    with pytest.raises(ValueError, match="one row per sample"):
        least_squares_floor(x, y[:-1], w1)
    with pytest.raises(ValueError, match="2-D"):
        least_squares_floor(x, y.ravel(), w1)


# ---------------------------------------------------------- curvature


def test_w2_block_curvature_is_top_eigenvalue_of_fd_hessian(tiny):
    x, y, w1, w2 = tiny
    exact = np.linalg.eigvalsh(_fd_hessian(x, y, w1, w2, "w2"))[-1]
    assert w2_block_curvature(x, w1) == pytest.approx(exact, rel=1e-7)
    h = np.maximum(x @ w1, 0)
    assert w2_block_curvature(x, w1) == pytest.approx(
        np.linalg.eigvalsh(2 * h.T @ h)[-1], rel=1e-12
    )


def test_w2_block_curvature_all_dead_is_zero():
    x = np.abs(np.random.default_rng(0).standard_normal((4, 3)))
    assert w2_block_curvature(x, -np.ones((3, 2))) == 0.0


@pytest.mark.parametrize("block", ["all", "w1", "w2"])
def test_top_hessian_eigenvalue_against_formed_hessian(small_problem, block):
    """Power iteration on FD Hessian-vector products finds the exact top eigenvalue."""
    x, y, w1, w2 = small_problem
    exact = _largest_magnitude(np.linalg.eigvalsh(_fd_hessian(x, y, w1, w2, block)))
    estimate = top_hessian_eigenvalue(x, y, w1, w2, 3000, np.random.default_rng(0), block=block)
    assert estimate == pytest.approx(exact, rel=1e-5)


def test_top_hessian_eigenvalue_w2_block_equals_exact(tiny):
    x, y, w1, w2 = tiny
    estimate = top_hessian_eigenvalue(x, y, w1, w2, 500, np.random.default_rng(1), block="w2")
    assert estimate == pytest.approx(w2_block_curvature(x, w1), rel=1e-6)


def test_top_hessian_eigenvalue_deterministic_and_pure(tiny):
    x, y, w1, w2 = tiny
    saved = [a.copy() for a in tiny]
    first = top_hessian_eigenvalue(x, y, w1, w2, 20, np.random.default_rng(7))
    second = top_hessian_eigenvalue(x, y, w1, w2, 20, np.random.default_rng(7))
    assert first == second
    for a, b in zip(tiny, saved):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"iters": 0}, ValueError, "iters"),
        ({"iters": 2.0}, TypeError, "iters"),
        ({"rng": None}, TypeError, "rng"),
        ({"rng": 0}, TypeError, "rng"),
        ({"block": "w3"}, ValueError, "block"),
        ({"eps": 0.0}, ValueError, "eps"),
    ],
)
def test_top_hessian_eigenvalue_bad_inputs(tiny, kwargs, error, pattern):
    x, y, w1, w2 = tiny
    args = {"iters": 5, "rng": np.random.default_rng(0)} | kwargs
    with pytest.raises(error, match=pattern):
        top_hessian_eigenvalue(x, y, w1, w2, **args)


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
    ("rates", "error"),
    [([], ValueError), ("1e-3", TypeError), (1e-3, TypeError), ([1e-3, -1.0], ValueError),
     ([math.nan], ValueError), ([None], TypeError)],
)
def test_sweep_bad_rates(tiny, rates, error):
    with pytest.raises(error):
        learning_rate_sweep(*tiny, rates, num_loops=3)


def test_sweep_bad_num_loops(tiny):
    with pytest.raises(ValueError, match="num_loops"):
        learning_rate_sweep(*tiny, [1e-3], num_loops=0)


# ---------------------------------------------------------- train_with_history


def test_history_reproduces_train_exactly(tiny):
    x, y, w1, w2 = tiny
    ref = train(x, y, w1, w2, 30, 1e-2)
    hist = train_with_history(x, y, w1, w2, 30, 1e-2, snapshot_at=[0, 5, 30])
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
    hist = train_with_history(x, y, w1, w2, 20, 1e-2, snapshot_at=range(21))
    assert hist.dead.shape == (20,) and hist.dead.dtype.kind == "i"
    for i in range(20):
        assert hist.dead[i] == dead_units(x, hist.snapshots[i][0]).sum()


def test_mean_loss_with_scaled_rate_gives_same_trajectory():
    """Mean loss with learning rate lr * N * C follows the sum loss with lr.

    With N * C = 16 a power of two, the scalings are exact in floating point and
    the two runs agree bit for bit.
    """
    rng = np.random.default_rng(4)
    x, y = make_data(8, 6, 2, rng)
    w1, w2 = init_weights(6, 5, 2, rng)
    lr = 1e-3
    total = train_with_history(x, y, w1, w2, 25, lr)
    mean = train_with_history(x, y, w1, w2, 25, lr * y.size, loss="mean")
    np.testing.assert_array_equal(mean.w1, total.w1)
    np.testing.assert_array_equal(mean.w2, total.w2)
    np.testing.assert_array_equal(mean.losses * y.size, total.losses)
    # The same learning rate on the mean loss takes N*C times smaller steps.
    slow = train_with_history(x, y, w1, w2, 25, lr, loss="mean")
    assert slow.losses[-1] * y.size > total.losses[-1]


def test_mean_trajectory_with_non_power_of_two_count(tiny):
    x, y, w1, w2 = tiny  # N * C = 20
    total = train_with_history(x, y, w1, w2, 25, 1e-3)
    mean = train_with_history(x, y, w1, w2, 25, 1e-3 * y.size, loss="mean")
    np.testing.assert_allclose(mean.losses * y.size, total.losses, rtol=1e-10)
    np.testing.assert_allclose(mean.w1, total.w1, rtol=1e-10, atol=1e-12)


def test_history_divergence_raises(tiny):
    with pytest.raises(TrainingDivergedError) as info:
        train_with_history(*tiny, 50, 1e3)
    assert info.value.iteration > 0
    assert np.all(np.isfinite(info.value.losses))


def test_history_does_not_modify_inputs(tiny):
    saved = [a.copy() for a in tiny]
    train_with_history(*tiny, 5, 1e-2, loss="mean", snapshot_at=[0, 5])
    for a, b in zip(tiny, saved):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"loss": "median"}, ValueError, "loss must be"),
        ({"snapshot_at": [11]}, ValueError, "snapshot_at"),
        ({"snapshot_at": [-1]}, ValueError, "snapshot_at"),
        ({"snapshot_at": [1.5]}, TypeError, "snapshot_at"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"num_loops": -1}, ValueError, "num_loops"),
    ],
)
def test_history_bad_inputs(tiny, kwargs, error, pattern):
    args = {"num_loops": 10, "learning_rate": 1e-3} | kwargs
    with pytest.raises(error, match=pattern):
        train_with_history(*tiny, **args)


def test_module_is_not_exported_from_package_namespace():
    """The experiments are imported from tinynet.experiments, not tinynet itself."""
    assert "top_hessian_eigenvalue" not in tinynet.__all__
