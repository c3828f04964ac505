"""Shared fixtures for the tinynet unit tests.

The helpers are fixtures (not importable functions) because pytest runs with
``--import-mode=importlib``, under which test modules cannot import
``conftest``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pytest

import tinynet

#: (N, D, H, C) shapes for the gradient checks, including C > 1 outputs.
GRADCHECK_SHAPES = [(1, 1, 1, 1), (4, 3, 5, 1), (7, 6, 4, 3), (16, 10, 8, 2)]

#: Step of the centered differences. The loss is piecewise quadratic in every
#: argument, so the centered difference has no truncation error away from the
#: ReLU kink; only round-off is left, which a not-too-small step keeps low.
FD_EPS = 1e-5

#: The fixture keeps every pre-activation at least this far from the ReLU kink,
#: so that no finite-difference step of size FD_EPS can cross it.
KINK_MARGIN = 1e-3


class Problem(NamedTuple):
    x: np.ndarray
    y: np.ndarray
    w1: np.ndarray
    w2: np.ndarray


def _draw_problem(n, d, h, c) -> Problem:
    """Draw a float64 problem whose ReLU mask is non-trivial and kink-free.

    Seeds are tried in order until every |a| exceeds KINK_MARGIN and some
    (for H*N > 1: some but not all) pre-activations are positive, so the
    gradient checks exercise both sides of the ReLU. Deterministic.
    """
    for seed in range(1000):
        rng = np.random.default_rng([n, d, h, c, seed])
        x, y = tinynet.make_data(n, d, c, rng)
        w1, w2 = tinynet.init_weights(d, h, c, rng)
        a = x @ w1
        if np.abs(a).min() <= KINK_MARGIN:
            continue
        positive = a > 0
        if a.size == 1 and not positive.all():
            continue
        if a.size > 1 and (positive.all() or not positive.any()):
            continue
        return Problem(x, y, w1, w2)
    raise RuntimeError(f"no suitable problem for shape {(n, d, h, c)}")  # pragma: no cover


@pytest.fixture(params=GRADCHECK_SHAPES, ids=lambda s: "N{}-D{}-H{}-C{}".format(*s))
def problem(request) -> Problem:
    """A small float64 problem (x, y, w1, w2) for each shape of GRADCHECK_SHAPES."""
    return _draw_problem(*request.param)


@pytest.fixture
def small_problem() -> Problem:
    """One fixed small problem, (N, D, H, C) = (6, 5, 4, 2)."""
    return _draw_problem(6, 5, 4, 2)


def _independent_fd(f, w, eps=FD_EPS):
    """Centered differences written here, independently of tinynet.gradcheck."""
    w = np.array(w, dtype=np.float64, copy=True)
    grad = np.zeros_like(w)
    flat_w = w.reshape(-1)  # a view: editing it shifts w itself
    flat_grad = grad.reshape(-1)
    for k in range(flat_w.size):
        old = flat_w[k]
        flat_w[k] = old + eps
        f_plus = float(f(w))
        flat_w[k] = old - eps
        f_minus = float(f(w))
        flat_w[k] = old
        flat_grad[k] = (f_plus - f_minus) / (2.0 * eps)
    return grad


@pytest.fixture
def independent_fd():
    """The test suite's own centered-difference gradient ``fd(f, w, eps)``."""
    return _independent_fd


@pytest.fixture
def fd_checks(independent_fd):
    """Return ``check(analytic, f, w, rtol)``: compare with both FD implementations.

    Asserts the analytic gradient has the shape of ``w`` and agrees, by
    ``tinynet.relative_error``, with tinynet.numerical_gradient and with the
    independent helper to within ``rtol``; also that the two finite
    differences agree with each other.
    """

    def check(analytic, f, w, rtol=1e-6):
        assert analytic.shape == w.shape
        assert analytic.dtype == np.float64
        package = tinynet.numerical_gradient(f, w, eps=FD_EPS)
        own = independent_fd(f, w, eps=FD_EPS)
        assert tinynet.relative_error(package, own) < rtol
        err_package = tinynet.relative_error(analytic, package)
        err_own = tinynet.relative_error(analytic, own)
        assert err_package < rtol, f"relative error {err_package:.3g} vs numerical_gradient"
        assert err_own < rtol, f"relative error {err_own:.3g} vs independent FD"
        # Guard against a vacuous check: the gradient must not be all zeros.
        assert np.any(analytic != 0)

    return check
