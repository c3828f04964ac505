"""Tests of tinynet.gradcheck: numerical gradients, random and per-column indices, relative error."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinynet import (
    column_indices,
    numerical_gradient,
    numerical_gradient_at,
    random_indices,
    relative_error,
)

# ------------------------------------------------------ numerical_gradient


def test_quadratic_gradient():
    """The gradient of sum(c * w**2) is 2 c w (centered differences are exact up to round-off)."""
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 4))
    c = rng.uniform(0.5, 2.0, size=(3, 4))
    grad = numerical_gradient(lambda v: float(np.sum(c * v**2)), w)
    assert grad.shape == w.shape and grad.dtype == np.float64
    np.testing.assert_allclose(grad, 2 * c * w, rtol=1e-8, atol=1e-10)


def test_sum_of_cubes_gradient():
    """The gradient of sum(w**3) is 3 w**2, up to the O(eps**2) error eps**2 (per entry)."""
    w = np.array([[-1.5, 0.0, 2.0], [0.25, 3.0, -0.75]])
    eps = 1e-4
    grad = numerical_gradient(lambda v: np.sum(v**3), w, eps=eps)
    # Centered difference of v**3 is 3 v**2 + eps**2 exactly.
    np.testing.assert_allclose(grad, 3 * w**2 + eps**2, rtol=1e-7, atol=1e-9)


def test_gradient_of_non_separable_function():
    """A cross term is differentiated correctly: d/dw of (w0 * w1) is (w1, w0)."""
    w = np.array([2.0, -3.0])
    np.testing.assert_allclose(numerical_gradient(lambda v: v[0] * v[1], w), [-3.0, 2.0], rtol=1e-9)


def test_numerical_gradient_does_not_modify_w_and_passes_float64_copy():
    """w is not modified, and f is called with a float64 array shaped like w, never w itself."""
    w = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    before = w.copy()
    seen = []

    def f(v):
        seen.append((v is w, v.dtype, v.shape))
        return float(np.sum(v))

    numerical_gradient(f, w)
    np.testing.assert_array_equal(w, before)
    assert len(seen) == 2 * w.size
    assert all(not same and dtype == np.float64 and shape == (2, 2) for same, dtype, shape in seen)


def test_numerical_gradient_restores_each_entry():
    """Each call shifts exactly one entry by +-eps; the others hold their original values."""
    w = np.arange(6, dtype=float).reshape(2, 3)
    eps = 1e-3
    calls = []
    numerical_gradient(lambda v: calls.append(v - w) or 0.0, w, eps=eps)
    for k, delta in enumerate(calls):
        assert np.count_nonzero(delta) == 1
        assert np.isclose(np.abs(delta).sum(), eps)
        assert delta.reshape(-1)[k // 2] == pytest.approx(eps if k % 2 == 0 else -eps)


@pytest.mark.parametrize("value", [np.array([1.0, 2.0]), "1.0", None, [1.0]], ids=repr)
def test_f_returning_non_scalar_raises(value):
    """f returning an array of several values, a string, None or a list raises TypeError."""
    with pytest.raises(TypeError, match=r"^f must return a real scalar"):
        numerical_gradient(lambda v: value, np.ones(3))


def test_f_returning_size_one_array_is_accepted():
    """A size-1 array or NumPy scalar is accepted as a scalar."""
    w = np.array([1.0, 2.0])
    a = numerical_gradient(lambda v: np.array([[np.sum(v**2)]]), w)
    b = numerical_gradient(lambda v: np.float32(np.sum(v**2)), w)
    np.testing.assert_allclose(a, [2.0, 4.0], rtol=1e-8)
    np.testing.assert_allclose(b, [2.0, 4.0], rtol=1e-2)


def test_bad_arguments():
    """Non-callable f, non-float w and bad eps raise with the argument's name."""
    w = np.ones(2)
    with pytest.raises(TypeError, match=r"^f must be a callable"):
        numerical_gradient(3.0, w)
    with pytest.raises(TypeError, match=r"^w must be a numpy array of floats"):
        numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(TypeError, match=r"^w must be a numpy array of floats"):
        numerical_gradient(np.sum, np.array([1, 2]))
    for eps, error in [(0.0, ValueError), (-1e-5, ValueError), (math.nan, ValueError), ("1e-5", TypeError)]:
        with pytest.raises(error, match=r"^eps must be"):
            numerical_gradient(np.sum, w, eps=eps)


def test_numerical_gradient_at_matches_full_gradient():
    """numerical_gradient_at returns the listed entries of the full numerical gradient, in order."""
    rng = np.random.default_rng(4)
    w = rng.standard_normal((5, 4))
    f = lambda v: float(np.sum(np.sin(v) * v))  # noqa: E731
    full = numerical_gradient(f, w)
    indices = [(4, 3), (0, 0), (2, 1), [1, 2]]
    partial = numerical_gradient_at(f, w, indices)
    assert partial.shape == (4,)
    np.testing.assert_array_equal(partial, [full[tuple(i)] for i in indices])
    np.testing.assert_allclose(partial, [np.sin(w[i]) + w[i] * np.cos(w[i]) for i in map(tuple, indices)], rtol=1e-8)
    assert numerical_gradient_at(f, w, []).shape == (0,)


def test_numerical_gradient_at_does_not_modify_w():
    """numerical_gradient_at leaves w as it was."""
    w = np.random.default_rng(1).standard_normal((3, 3))
    before = w.copy()
    numerical_gradient_at(lambda v: float(np.sum(v**2)), w, [(0, 0), (2, 2)])
    np.testing.assert_array_equal(w, before)


# --------------------------------------------------------- random_indices


def test_random_indices_distinct_and_in_range():
    """random_indices gives count distinct, in-range tuples of Python ints."""
    shape = (7, 5)
    indices = random_indices(shape, 20, np.random.default_rng(0))
    assert len(indices) == 20
    assert len(set(indices)) == 20
    for index in indices:
        assert isinstance(index, tuple) and len(index) == 2
        assert all(type(i) is int for i in index)
        assert 0 <= index[0] < 7 and 0 <= index[1] < 5


def test_random_indices_all_entries_and_deterministic():
    """count == size gives every entry once; the same seed gives the same indices."""
    indices = random_indices((3, 4), 12, np.random.default_rng(5))
    assert sorted(indices) == list(np.ndindex(3, 4))
    assert indices == random_indices((3, 4), 12, np.random.default_rng(5))


def test_random_indices_bad_arguments():
    """count above the size, non-positive count or a non-Generator rng is refused."""
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"count=13 exceeds the 12 entries of shape \(3, 4\)"):
        random_indices((3, 4), 13, rng)
    with pytest.raises(ValueError, match=r"^count must be a positive integer"):
        random_indices((3, 4), 0, rng)
    with pytest.raises(TypeError, match=r"^count must be an integer"):
        random_indices((3, 4), 2.0, rng)
    with pytest.raises(TypeError, match=r"^rng must be a numpy.random.Generator"):
        random_indices((3, 4), 2, np.random.RandomState(0))


# --------------------------------------------------------- relative_error


def test_relative_error_identical_is_zero():
    """Identical arrays have relative error exactly 0."""
    a = np.random.default_rng(0).standard_normal((4, 3))
    assert relative_error(a, a.copy()) == 0.0


def test_relative_error_both_zero_is_zero():
    """Entries that are 0 in both arrays count as 0, not NaN."""
    assert relative_error(np.zeros((2, 2)), np.zeros((2, 2))) == 0.0
    assert relative_error(np.array([0.0, 1.0]), np.array([0.0, 1.1])) == pytest.approx(0.1 / 1.1)


def test_relative_error_known_values():
    """max_i |a_i - b_i| / max(|a_i|, |b_i|): the largest entry wins; symmetric."""
    a = np.array([1.0, 2.0, -4.0])
    b = np.array([1.0, 2.2, -5.0])
    expected = max(0.2 / 2.2, 1.0 / 5.0)
    assert relative_error(a, b) == pytest.approx(expected, rel=1e-15)
    assert relative_error(b, a) == relative_error(a, b)
    assert relative_error(np.array([1.0]), np.array([-1.0])) == 2.0
    assert relative_error(np.array([0.0]), np.array([1e-30])) == 1.0
    assert type(relative_error(a, b)) is float


def test_relative_error_empty_is_zero():
    """Empty arrays have relative error 0."""
    assert relative_error(np.empty((0, 3)), np.empty((0, 3))) == 0.0


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["a", "b"])
def test_relative_error_non_finite_is_inf(bad, where):
    """A NaN or infinity in either array gives infinity, which fails every threshold."""
    a = np.array([1.0, 2.0])
    b = np.array([1.0, 2.0])
    (a if where == "a" else b)[1] = bad
    assert relative_error(a, b) == math.inf


@pytest.mark.parametrize(("shape_a", "shape_b"), [((3,), (3, 1)), ((2, 3), (3, 2)), ((128, 1), (128,))])
def test_relative_error_shape_mismatch(shape_a, shape_b):
    """Different shapes raise ValueError naming both shapes (no broadcasting)."""
    with pytest.raises(ValueError, match=r"^a has shape") as info:
        relative_error(np.ones(shape_a), np.ones(shape_b))
    assert str(shape_a) in str(info.value) and str(shape_b) in str(info.value)


def test_relative_error_rejects_lists():
    """A list raises TypeError naming the argument."""
    with pytest.raises(TypeError, match=r"^a must be a numpy array"):
        relative_error([1.0], np.ones(1))
    with pytest.raises(TypeError, match=r"^b must be a numpy array"):
        relative_error(np.ones(1), [1.0])


def test_relative_error_does_not_modify_inputs():
    """relative_error leaves both arrays unchanged."""
    a, b = np.array([1.0, -2.0]), np.array([1.5, -2.0])
    a0, b0 = a.copy(), b.copy()
    relative_error(a, b)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


# ------------------------------------------------- relative_error with a floor


def test_relative_error_floor_known_values():
    """max_i |a_i - b_i| / max(|a_i|, |b_i|, floor), checked entry by entry."""
    a = np.array([1e-3, 2.0, -4.0])
    b = np.array([2e-3, 2.2, -5.0])
    floor = 0.5
    expected = max(1e-3 / 0.5, 0.2 / 2.2, 1.0 / 5.0)
    assert relative_error(a, b, floor=floor) == pytest.approx(expected, rel=1e-15)
    assert relative_error(a, b, floor=floor) == relative_error(b, a, floor=floor)
    # a floor above every magnitude makes it the absolute error over the floor
    assert relative_error(a, b, floor=10.0) == pytest.approx(1.0 / 10.0, rel=1e-15)


def test_relative_error_floor_zero_is_the_plain_formula():
    """floor=0 (the default) gives exactly eq-relative-error."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    assert relative_error(a, b, floor=0.0) == relative_error(a, b)
    assert relative_error(a, b, floor=0) == relative_error(a, b)


def test_relative_error_floor_tames_round_off_on_small_entries():
    """An absolute error e on an entry of size s reports e/s without a floor, e/floor with one."""
    g = np.array([1e4, 1e-2])
    noisy = g + np.array([0.0, 1e-4])            # the same absolute round-off
    assert relative_error(g, noisy) == pytest.approx(1e-4 / (1e-2 + 1e-4), rel=1e-12)
    assert relative_error(g, noisy, floor=1e-3 * 1e4) == pytest.approx(1e-4 / 10.0, rel=1e-12)
    assert relative_error(g, -g, floor=1e-3 * 1e4) == 2.0   # a sign flip still fails


def test_relative_error_floor_bad_values():
    """A negative, infinite or NaN floor raises ValueError, a non-number TypeError."""
    a = np.ones(2)
    for floor in (-1.0, math.inf, math.nan):
        with pytest.raises(ValueError, match=r"^floor must be a finite number >= 0"):
            relative_error(a, a, floor=floor)
    for floor in ("1", None, True):
        with pytest.raises(TypeError, match=r"^floor must be a real number"):
            relative_error(a, a, floor=floor)


# --------------------------------------------------------- column_indices


def test_column_indices_cover_every_column():
    """column_indices gives per_column distinct in-range rows in every column, in column order."""
    indices = column_indices((7, 5), np.random.default_rng(0), per_column=3)
    assert len(indices) == 15
    assert [j for _, j in indices] == [j for j in range(5) for _ in range(3)]
    for j in range(5):
        rows = [i for i, jj in indices if jj == j]
        assert len(set(rows)) == 3 and all(0 <= i < 7 for i in rows)
    assert all(type(i) is int and type(j) is int for i, j in indices)
    assert indices == column_indices((7, 5), np.random.default_rng(0), per_column=3)


def test_column_indices_all_rows():
    """per_column equal to the rows gives every entry once."""
    indices = column_indices((3, 2), np.random.default_rng(1), per_column=3)
    assert sorted(indices) == list(np.ndindex(3, 2))


def test_column_indices_bad_arguments():
    """A shape not 2-D, too many per column or a non-Generator rng is refused."""
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"^shape must be 2-D"):
        column_indices((3, 4, 5), rng)
    with pytest.raises(ValueError, match=r"per_column=4 exceeds the 3 rows of shape \(3, 4\)"):
        column_indices((3, 4), rng, per_column=4)
    with pytest.raises(ValueError, match=r"^per_column must be a positive integer"):
        column_indices((3, 4), rng, per_column=0)
    with pytest.raises(TypeError, match=r"^rng must be a numpy.random.Generator"):
        column_indices((3, 4), np.random.RandomState(0))
