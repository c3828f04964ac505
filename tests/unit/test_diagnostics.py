"""Tests of tinynet.diagnostics: dead units, the least-squares floor, curvature."""

from __future__ import annotations

import numpy as np
import pytest

import reference
from tinynet import init_weights, loss_and_gradients, make_data
from tinynet import gradient_descent
from tinynet.diagnostics import (
    LeastSquaresFloor,
    ReducedProblem,
    dead_units,
    hessian_vector_product,
    least_squares_floor,
    reduce_inputs,
    top_hessian_eigenpair,
    top_hessian_eigenvalue,
    w2_block_curvature,
)

#: The weights each ``block`` of top_hessian_eigenvalue moves, as index ranges
#: into the flattened (w1, w2).
def _block_indices(w1, w2, block):
    n1, n2 = w1.size, w2.size
    return {"all": np.arange(n1 + n2), "w1": np.arange(n1), "w2": np.arange(n1, n1 + n2)}[block]


def _fd_hessian(x, y, w1, w2, block, step=1e-4):
    """The Hessian of the loss, from second differences of the reference's loss.

    The loss is piecewise quadratic, so the mixed second difference is exact
    up to round-off while no step crosses a ReLU kink; independent of tinynet.
    """
    theta = np.concatenate([w1.ravel(), w2.ravel()])
    n1 = w1.size

    def loss(t):
        return reference.network_loss(x, y, t[:n1].reshape(w1.shape), t[n1:].reshape(w2.shape))

    index = _block_indices(w1, w2, block)
    hess = np.empty((index.size, index.size))
    for p, i in enumerate(index):
        for q, j in enumerate(index[: p + 1]):
            values = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                t = theta.copy()
                t[i] += si * step
                t[j] += sj * step
                values.append(loss(t))
            hess[p, q] = hess[q, p] = (values[0] - values[1] - values[2] + values[3]) / (4 * step**2)
    return hess


def _largest_magnitude(eigenvalues):
    return eigenvalues[np.argmax(np.abs(eigenvalues))]


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
    with pytest.raises(ValueError, match=r"^inner dimensions do not chain: x has shape \(10, 6\) and w1 has shape \(5, 6\)"):
        dead_units(x, w1.T)
    with pytest.raises(TypeError, match="^w1 must hold floating-point numbers, got dtype int"):
        dead_units(x, w1.astype(int))


# ---------------------------------------------------------- least-squares floor


def test_least_squares_floor_matches_lstsq_and_bounds(tiny):
    x, y, w1, w2 = tiny
    floor = least_squares_floor(x, y, w1)
    assert isinstance(floor, LeastSquaresFloor)
    h = reference.relu(x @ w1)
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
    with pytest.raises(ValueError, match=r"^x has shape \(10, 6\) and y has shape \(9, 2\): both need one row per sample"):
        least_squares_floor(x, y[:-1], w1)
    with pytest.raises(ValueError, match=r"^y must be 2-D .*got shape \(20,\)"):
        least_squares_floor(x, y.ravel(), w1)


# ---------------------------------------------------------- curvature


def test_w2_block_curvature_is_top_eigenvalue_of_fd_hessian(tiny):
    x, y, w1, w2 = tiny
    exact = np.linalg.eigvalsh(_fd_hessian(x, y, w1, w2, "w2"))[-1]
    assert w2_block_curvature(x, w1) == pytest.approx(exact, rel=1e-7)
    h = reference.relu(x @ w1)
    assert w2_block_curvature(x, w1) == pytest.approx(
        np.linalg.eigvalsh(2 * h.T @ h)[-1], rel=1e-12
    )


def test_w2_block_curvature_all_dead_is_zero():
    x = np.abs(np.random.default_rng(0).standard_normal((4, 3)))
    assert w2_block_curvature(x, -np.ones((3, 2))) == 0.0


@pytest.mark.parametrize("block", ["all", "w1", "w2"])
def test_top_hessian_eigenvalue_against_formed_hessian(small_problem, block):
    """Power iteration on exact Hessian-vector products finds the top eigenvalue."""
    x, y, w1, w2 = small_problem
    exact = _largest_magnitude(np.linalg.eigvalsh(_fd_hessian(x, y, w1, w2, block)))
    estimate = top_hessian_eigenvalue(x, y, w1, w2, 3000, np.random.default_rng(0), block=block)
    assert estimate == pytest.approx(exact, rel=1e-5)


@pytest.mark.parametrize("block", ["all", "w1"])
def test_top_hessian_eigenpair_against_formed_hessian(small_problem, block):
    """The eigenvector is the formed Hessian's; deflation gives the next pair."""
    x, y, w1, w2 = small_problem
    values, vectors = np.linalg.eigh(_fd_hessian(x, y, w1, w2, block))
    order = np.argsort(-np.abs(values))
    index = _block_indices(w1, w2, block)
    found = []
    for rank in range(2):
        pair = top_hessian_eigenpair(x, y, w1, w2, 3000, np.random.default_rng(rank),
                                     block=block, orthogonal_to=found)
        assert pair.eigenvalue == pytest.approx(values[order[rank]], rel=1e-5)
        v = np.concatenate([pair.v1.ravel(), pair.v2.ravel()])
        assert np.linalg.norm(v) == pytest.approx(1.0, rel=1e-12)
        assert not np.any(np.delete(v, index))          # the fixed block stays zero
        assert abs(v[index] @ vectors[:, order[rank]]) == pytest.approx(1.0, abs=1e-5)
        found.append((pair.v1, pair.v2))


def test_top_hessian_eigenvalue_is_the_pairs_value(tiny):
    x, y, w1, w2 = tiny
    assert top_hessian_eigenvalue(x, y, w1, w2, 40, np.random.default_rng(3)) == \
        top_hessian_eigenpair(x, y, w1, w2, 40, np.random.default_rng(3)).eigenvalue


def test_top_hessian_eigenpair_bad_orthogonal_to(tiny):
    x, y, w1, w2 = tiny
    rng = np.random.default_rng(0)
    with pytest.raises(TypeError, match=r"^orthogonal_to\[0\] must be a pair"):
        top_hessian_eigenpair(x, y, w1, w2, 5, rng, orthogonal_to=[w1])
    with pytest.raises(ValueError, match=r"orthogonal_to\[0\]\[1\]"):
        top_hessian_eigenpair(x, y, w1, w2, 5, rng, orthogonal_to=[(w1, w1)])


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
        ({"iters": 0}, ValueError, r"^iters must be a positive integer, got 0"),
        ({"iters": 2.0}, TypeError, r"^iters must be an integer, got 2.0"),
        ({"rng": None}, TypeError, r"^rng must be a numpy.random.Generator.*got NoneType"),
        ({"rng": 0}, TypeError, r"^rng must be a numpy.random.Generator.*got int"),
        ({"block": "w3"}, ValueError, r"^block must be 'all', 'w1' or 'w2', got 'w3'"),
        ({"y": "1-D"}, ValueError, r"^y has shape \(10,\) but the predictions .* \(10, 2\)"),
    ],
)
def test_top_hessian_eigenvalue_bad_inputs(tiny, kwargs, error, pattern):
    x, y, w1, w2 = tiny
    if kwargs.get("y") == "1-D":
        kwargs = {"y": y[:, 0]}
    args = {"x": x, "y": y, "w1": w1, "w2": w2, "iters": 5, "rng": np.random.default_rng(0)} | kwargs
    with pytest.raises(error, match=pattern):
        top_hessian_eigenvalue(**args)


# ---------------------------------------------------------- Hessian-vector products


def _reference_gradient(x, y, w1, w2):
    """The gradient of the reference's loss, from tests/reference.py (not tinynet)."""
    a = x @ w1
    h = reference.relu(a)
    g = 2.0 * (h @ w2 - y)
    return x.T @ ((g @ w2.T) * (a > 0)), h.T @ g


def test_hessian_vector_product_equals_fd_of_gradient(problem):
    """H v equals the centred difference of the (reference) gradient along v."""
    x, y, w1, w2 = problem
    rng = np.random.default_rng(5)
    v1, v2 = rng.standard_normal(w1.shape), rng.standard_normal(w2.shape)
    hv1, hv2 = hessian_vector_product(x, y, w1, w2, v1, v2)
    assert hv1.shape == w1.shape and hv2.shape == w2.shape
    s = 1e-6  # kink-free problem: no pre-activation within 1e-3 of 0
    plus = _reference_gradient(x, y, w1 + s * v1, w2 + s * v2)
    minus = _reference_gradient(x, y, w1 - s * v1, w2 - s * v2)
    for ours, p, m in zip((hv1, hv2), plus, minus):
        fd = (p - m) / (2 * s)
        scale = max(1.0, float(np.max(np.abs(fd))))
        np.testing.assert_allclose(ours, fd, rtol=1e-6, atol=1e-6 * scale)


@pytest.mark.parametrize("block", ["all", "w1", "w2"])
def test_hessian_vector_product_matches_formed_hessian(small_problem, block):
    x, y, w1, w2 = small_problem
    hess = _fd_hessian(x, y, w1, w2, "all")
    v = np.random.default_rng(3).standard_normal(w1.size + w2.size)
    if block == "w1":
        v[w1.size:] = 0
    elif block == "w2":
        v[: w1.size] = 0
    hv1, hv2 = hessian_vector_product(
        x, y, w1, w2, v[: w1.size].reshape(w1.shape), v[w1.size:].reshape(w2.shape)
    )
    np.testing.assert_allclose(np.concatenate([hv1.ravel(), hv2.ravel()]), hess @ v,
                               rtol=1e-5, atol=1e-5 * np.abs(hess).max())


def test_hessian_vector_product_is_symmetric(tiny):
    """u . H v = v . H u exactly up to rounding: the Hessian is symmetric."""
    x, y, w1, w2 = tiny
    rng = np.random.default_rng(11)
    u = rng.standard_normal(w1.shape), rng.standard_normal(w2.shape)
    v = rng.standard_normal(w1.shape), rng.standard_normal(w2.shape)
    hu = hessian_vector_product(x, y, w1, w2, *u)
    hv = hessian_vector_product(x, y, w1, w2, *v)
    u_hv = np.sum(u[0] * hv[0]) + np.sum(u[1] * hv[1])
    v_hu = np.sum(v[0] * hu[0]) + np.sum(v[1] * hu[1])
    assert u_hv == pytest.approx(v_hu, rel=1e-12)


def test_hessian_vector_product_w2_block_is_2_htop_h(tiny):
    """Along w2 only, H v = (cross term, 2 h.T h v2) (eq-hessian-w2)."""
    x, y, w1, w2 = tiny
    v2 = np.random.default_rng(4).standard_normal(w2.shape)
    _, hv2 = hessian_vector_product(x, y, w1, w2, np.zeros_like(w1), v2)
    h = reference.relu(x @ w1)
    np.testing.assert_allclose(hv2, 2 * h.T @ h @ v2, rtol=1e-12, atol=1e-12)


def test_hessian_vector_product_pure_and_bad_inputs(tiny):
    x, y, w1, w2 = tiny
    v1, v2 = np.ones_like(w1), np.ones_like(w2)
    saved = [a.copy() for a in (x, y, w1, w2, v1, v2)]
    hessian_vector_product(x, y, w1, w2, v1, v2)
    for a, b in zip((x, y, w1, w2, v1, v2), saved):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match=r"^v1 has shape \(5, 6\) but w1 has shape \(6, 5\)"):
        hessian_vector_product(x, y, w1, w2, v1.T, v2)
    with pytest.raises(ValueError, match=r"^v2 must be 2-D"):
        hessian_vector_product(x, y, w1, w2, v1, v2.ravel())
    with pytest.raises(TypeError, match=r"^v1 must hold floating-point numbers"):
        hessian_vector_product(x, y, w1, w2, v1.astype(int), v2)


# ---------------------------------------------------------- the reduced problem


def test_reduce_inputs_keeps_preactivations_and_gram():
    rng = np.random.default_rng(8)
    x, y = make_data(7, 12, 2, rng)
    w1, w2 = init_weights(12, 5, 2, rng)
    reduced = reduce_inputs(x, w1)
    assert isinstance(reduced, ReducedProblem)
    assert reduced.x.shape == (7, 7) and reduced.w1.shape == (7, 5)
    np.testing.assert_allclose(reduced.x @ reduced.w1, x @ w1, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(reduced.x @ reduced.x.T, x @ x.T, rtol=1e-12, atol=1e-10)


def test_reduce_inputs_trains_identically_and_keeps_curvature():
    """Same losses, dead units and top Hessian eigenvalue (eq-reduced)."""
    rng = np.random.default_rng(9)
    x, y = make_data(8, 30, 1, rng)
    w1, w2 = init_weights(30, 6, 1, rng)
    reduced = reduce_inputs(x, w1)
    full = gradient_descent(x, y, w1, w2, 50, 1e-3, record_dead=True)
    small = gradient_descent(reduced.x, y, reduced.w1, w2, 50, 1e-3, record_dead=True)
    np.testing.assert_allclose(small.losses, full.losses, rtol=1e-9)
    np.testing.assert_array_equal(small.dead, full.dead)
    np.testing.assert_allclose(small.w2, full.w2, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(reduced.x @ small.w1, x @ full.w1, rtol=1e-8, atol=1e-10)
    lam_full = top_hessian_eigenvalue(x, y, w1, w2, 500, np.random.default_rng(0))
    lam_small = top_hessian_eigenvalue(reduced.x, y, reduced.w1, w2, 500, np.random.default_rng(0))
    assert lam_small == pytest.approx(lam_full, rel=1e-8)


def test_reduce_inputs_bad_inputs(tiny):
    x, _, w1, _ = tiny
    with pytest.raises(ValueError, match=r"^x has shape \(10, 4\): reduce_inputs needs linearly independent rows"):
        reduce_inputs(x[:, :4], w1[:4])
    with pytest.raises(ValueError, match=r"^inner dimensions do not chain"):
        reduce_inputs(x, w1.T)
