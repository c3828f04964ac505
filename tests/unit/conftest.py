"""Shared fixtures for the tinynet unit tests.

The independent implementations they use live in ``tests/reference.py``;
test modules import that module directly (``import reference``).
"""

from __future__ import annotations

import numpy as np
import pytest

import reference
import tinynet

#: (N, D, H, C) shapes for the gradient checks, including C > 1 outputs.
GRADCHECK_SHAPES = [(1, 1, 1, 1), (4, 3, 5, 1), (7, 6, 4, 3), (16, 10, 8, 2)]


@pytest.fixture(params=GRADCHECK_SHAPES, ids=lambda s: "N{}-D{}-H{}-C{}".format(*s))
def problem(request) -> reference.Problem:
    """A small kink-free float64 problem for each shape of GRADCHECK_SHAPES."""
    return reference.kink_free_problem(*request.param)


@pytest.fixture
def small_problem() -> reference.Problem:
    """One fixed kink-free problem, (N, D, H, C) = (6, 5, 4, 2)."""
    return reference.kink_free_problem(6, 5, 4, 2)


@pytest.fixture
def tiny() -> reference.Problem:
    """A small seeded problem, (N, D, H, C) = (10, 6, 5, 2), not kink-free."""
    return reference.draw(10, 6, 5, 2, np.random.default_rng(2))


@pytest.fixture
def fd_checks():
    """Return ``check(analytic, f, w, rtol)``: compare with both finite differences.

    Asserts the analytic gradient has the shape of ``w`` and agrees, by
    ``tinynet.relative_error``, with tinynet.numerical_gradient and with the
    reference's own finite difference to within ``rtol``; also that the two
    finite differences agree with each other.
    """

    def check(analytic, f, w, rtol=1e-6):
        assert analytic.shape == w.shape
        assert analytic.dtype == np.float64
        package = tinynet.numerical_gradient(f, w, eps=reference.FD_EPS)
        own = reference.fd_gradient(f, w)
        assert tinynet.relative_error(package, own) < rtol
        err_package = tinynet.relative_error(analytic, package)
        err_own = tinynet.relative_error(analytic, own)
        assert err_package < rtol, f"relative error {err_package:.3g} vs numerical_gradient"
        assert err_own < rtol, f"relative error {err_own:.3g} vs independent FD"
        # Guard against a vacuous check: the gradient must not be all zeros.
        assert np.any(analytic != 0)

    return check
