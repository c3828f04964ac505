"""Diagnostics of a trained (or training) network: dead units, floors, curvature.

Tools for asking *why* plain gradient descent trains the two-layer network
at one learning rate and not another, and why it stalls above zero:

- :func:`dead_units`: the hidden units that output zero on the whole batch;
- :func:`least_squares_floor`: the lowest loss ``w2`` alone can reach;
- :func:`w2_block_curvature`: the exact largest curvature along ``w2``;
- :func:`top_hessian_eigenvalue`: the largest curvature of the loss, by power
  iteration on finite-difference Hessian-vector products.

Shapes as everywhere in :mod:`tinynet`: ``x`` (N, D), ``w1`` (D, H),
``w2`` (H, C), ``y`` (N, C). No function modifies its inputs, and randomness
comes only from a ``numpy.random.Generator`` argument.

Book chapter: *Why it trains, and where it stalls* (``book/07-dynamics.ipynb``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import kernels
from ._checks import check_generator, check_positive_float, check_positive_int
from .network import check_network


def dead_units(x, w1):
    """Which hidden units are dead: their pre-activation is <= 0 for every sample.

    A dead unit outputs zero on the whole batch, so its column of ``h`` is
    zero, its row of dL/dw2 is zero, and (because the ReLU mask blocks the
    upstream gradient everywhere) its column of dL/dw1 is zero too. Full-batch
    gradient descent can therefore never bring it back. Checks its arguments,
    then applies :func:`tinynet.kernels.dead_units` to ``x @ w1``.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
        Inputs.
    w1 : numpy.ndarray, shape (D, H)
        First-layer weights.

    Returns
    -------
    numpy.ndarray of bool, shape (H,)
        ``True`` for unit ``j`` if ``all(a[:, j] <= 0)`` with ``a = x @ w1``.

    Raises
    ------
    TypeError, ValueError
        If an argument is not a finite 2-D float array or ``x @ w1`` does not
        chain.

    Examples
    --------
    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> w1 = np.array([[1.0, -1.0], [-2.0, -3.0]])
    >>> dead_units(x, w1)
    array([False,  True])
    """
    check_network(x, w1)
    return kernels.dead_units(x @ w1)


class LeastSquaresFloor(NamedTuple):
    """What :func:`least_squares_floor` returns.

    Attributes
    ----------
    loss : float
        ``min over w2 of sum((h @ w2 - y)**2)`` for the fixed ``h = relu(x @ w1)``.
    rank : int
        The rank of ``h``, at most the number of live hidden units.
    w2 : numpy.ndarray, shape (H, C)
        The minimiser of smallest norm (zero rows for dead units).
    """

    loss: float
    rank: int
    w2: np.ndarray


def least_squares_floor(x, y, w1):
    """The lowest sum-of-squares loss that ``w2`` alone can reach for fixed ``w1``.

    With ``w1`` fixed the predictions ``h @ w2`` are linear in ``w2``, so the
    best ``w2`` solves a linear least-squares problem (``numpy.linalg.lstsq``).
    If only ``k`` hidden units are alive, ``h`` has rank at most ``k``, and
    at most ``k`` of the N directions of the residual can be fitted.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)

    Returns
    -------
    LeastSquaresFloor
        Named tuple ``(loss, rank, w2)``.

    Raises
    ------
    TypeError, ValueError
        If an argument is not a finite 2-D float array or the shapes do not
        fit together.
    """
    check_network(x, w1, y=y)
    h = kernels.relu(x @ w1)
    w2, _, rank, _ = np.linalg.lstsq(h, y, rcond=None)
    loss = kernels.sse_loss(h @ w2, y)
    return LeastSquaresFloor(loss, int(rank), w2)


def w2_block_curvature(x, w1):
    """Largest eigenvalue of the Hessian of the loss with respect to ``w2``.

    For fixed ``w1`` the loss ``sum((h @ w2 - y)**2)`` is quadratic in ``w2``
    with Hessian ``2 h.T @ h`` (for each of the C output columns), so its
    largest eigenvalue is exact and cheap: one symmetric eigendecomposition
    of an H x H matrix. Gradient descent on ``w2`` alone is stable exactly
    when ``learning_rate < 2 / curvature``.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    w1 : numpy.ndarray, shape (D, H)

    Returns
    -------
    float
        ``lambda_max(2 h.T @ h)`` with ``h = relu(x @ w1)``; 0 if every unit
        is dead.

    Raises
    ------
    TypeError, ValueError
        As :func:`dead_units`.
    """
    check_network(x, w1)
    h = kernels.relu(x @ w1)
    return float(np.linalg.eigvalsh(2.0 * (h.T @ h))[-1])


#: The weights that move in :func:`top_hessian_eigenvalue`, for each value of ``block``.
BLOCKS = {"all": ("w1", "w2"), "w1": ("w1",), "w2": ("w2",)}


def top_hessian_eigenvalue(x, y, w1, w2, iters, rng, *, block="all", eps=1e-6):
    """Estimate the largest Hessian eigenvalue of the loss by power iteration.

    The Hessian of the sum-of-squares loss has 100,100 rows for the book's
    network, too many to form, but its product with a vector ``v`` is the
    directional derivative of the gradient, which a centered difference of
    :func:`tinynet.loss_and_gradients` gives for two gradient evaluations::

        H v ~ (g(theta + s v) - g(theta - s v)) / (2 s)

    Power iteration repeats ``v <- H v / ||H v||``; ``v`` turns towards the
    eigenvector whose eigenvalue is largest in absolute value, and the
    Rayleigh quotient ``v . H v`` estimates that eigenvalue. The loss is
    piecewise quadratic (ReLU is piecewise linear), so the difference is
    exact up to round-off unless the step crosses a ReLU kink.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)
    iters : int
        Number of power-iteration steps (each costs two gradient evaluations);
        50 is plenty when the top eigenvalue stands well apart from the rest.
    rng : numpy.random.Generator
        Draws the random starting vector.
    block : {"all", "w1", "w2"}, default "all"
        Which parameters move: all of them (the full Hessian), or only ``w1``
        or only ``w2`` (the diagonal block of the Hessian).
    eps : float, default 1e-6
        Relative step of the difference: the step along the unit vector ``v``
        is ``s = eps * max(1, ||theta||)`` with ``theta`` the moving parameters.

    Returns
    -------
    float
        The estimated eigenvalue of largest magnitude (the curvature along the
        sharpest direction), for the sum-of-squares loss.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type, shape or value.

    Notes
    -----
    Plain gradient descent with learning rate ``lr`` is stable along an
    eigenvector with eigenvalue ``lam > 0`` only if ``lr < 2 / lam``.
    """
    check_network(x, w1, w2, y)
    iters = check_positive_int("iters", iters)
    check_generator("rng", rng)
    eps = check_positive_float("eps", eps)
    if block not in BLOCKS:
        raise ValueError(f"block must be 'all', 'w1' or 'w2', got {block!r}")
    moving = BLOCKS[block]
    weights = {"w1": w1, "w2": w2}

    def gradient(theta):
        # theta holds the moving weights, flattened one after the other.
        current = dict(weights)
        start = 0
        for name in moving:
            size = weights[name].size
            current[name] = theta[start:start + size].reshape(weights[name].shape)
            start += size
        _, dw1, dw2 = kernels.loss_and_gradients(x, y, current["w1"], current["w2"])
        grads = {"w1": dw1, "w2": dw2}
        return np.concatenate([grads[name].ravel() for name in moving])

    theta = np.concatenate([weights[name].ravel() for name in moving])
    step = eps * max(1.0, float(np.linalg.norm(theta)))

    v = rng.standard_normal(theta.size)
    v /= np.linalg.norm(v)
    eigenvalue = 0.0
    for _ in range(iters):
        hv = (gradient(theta + step * v) - gradient(theta - step * v)) / (2.0 * step)
        eigenvalue = float(v @ hv)
        norm = float(np.linalg.norm(hv))
        if norm == 0.0:  # the loss is flat along v: H v = 0
            return 0.0
        v = hv / norm
    return eigenvalue


__all__ = [
    "BLOCKS",
    "LeastSquaresFloor",
    "dead_units",
    "least_squares_floor",
    "top_hessian_eigenvalue",
    "w2_block_curvature",
]
