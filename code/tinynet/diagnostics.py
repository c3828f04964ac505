"""Diagnostics of a trained (or training) network: dead units, floors, curvature.

Tools for asking *why* plain gradient descent trains the two-layer network
at one learning rate and not another, and why it stalls above zero:

- :func:`dead_units`: the hidden units that output zero on the whole batch;
- :func:`least_squares_floor`: the lowest loss ``w2`` alone can reach;
- :func:`w2_block_curvature`: the exact largest curvature along ``w2``;
- :func:`hessian_vector_product`: the exact product of the Hessian with a
  direction (Pearlmutter's R-operator);
- :func:`top_hessian_eigenvalue`: the largest curvature of the loss, by power
  iteration on those products, and :func:`top_hessian_eigenpair`, which also
  returns the direction and can skip known ones (deflation);
- :func:`reduce_inputs`: the same problem with N inputs per sample instead of
  D, which trains identically and about eight times faster per iteration.

Shapes as everywhere in :mod:`tinynet`: ``x`` (N, D), ``w1`` (D, H),
``w2`` (H, C), ``y`` (N, C). No function modifies its inputs, and randomness
comes only from a ``numpy.random.Generator`` argument.

Book chapter: *Why it trains, and where it stalls* (``book/07-dynamics.ipynb``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import kernels
from ._checks import (
    check_generator,
    check_matrix,
    check_positive_int,
    check_same_shape,
)
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


def hessian_vector_product(x, y, w1, w2, v1, v2):
    """The exact product of the loss's Hessian with a direction ``(v1, v2)``.

    Pearlmutter's R-operator, equation ``eq-hvp``: the directional derivative
    ``R{f} = d/dt f(w1 + t v1, w2 + t v2)`` at ``t = 0`` of every line of
    the forward and backward pass::

        R{A}       = x @ v1
        R{H~}      = R{A} * (A > 0)
        R{dL/dyhat} = 2 (R{H~} @ w2 + H~ @ v2)
        R{dL/dW2}  = R{H~}.T @ dL/dyhat + H~.T @ R{dL/dyhat}
        R{dL/dH~}  = R{dL/dyhat} @ w2.T + dL/dyhat @ v2.T
        R{dL/dW1}  = x.T @ (R{dL/dH~} * (A > 0))

    The ReLU mask ``A > 0`` has derivative zero wherever it is defined (away
    from ``A = 0``, a set of probability zero), so the result is the exact
    Hessian-vector product there, for the cost of about two backward passes.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)
        The point at which the Hessian is taken.
    v1 : numpy.ndarray, shape (D, H)
    v2 : numpy.ndarray, shape (H, C)
        The direction, shaped like the weights.

    Returns
    -------
    hv1 : numpy.ndarray, shape (D, H)
    hv2 : numpy.ndarray, shape (H, C)
        The two blocks of ``Hessian @ (v1, v2)`` for the sum-of-squares loss.

    Raises
    ------
    TypeError, ValueError
        If an argument is not a finite 2-D float array, the shapes do not fit
        together, or ``v1`` or ``v2`` is not shaped like ``w1`` or ``w2``.

    Examples
    --------
    The ``w2`` block of the Hessian is ``2 H~.T @ H~`` (eq-hessian-w2):

    >>> x = np.array([[1.0, 2.0]]); y = np.array([[0.5]])
    >>> w1 = np.array([[1.0], [1.0]]); w2 = np.array([[2.0]])
    >>> hessian_vector_product(x, y, w1, w2, np.zeros((2, 1)), np.ones((1, 1)))[1]
    array([[18.]])
    """
    check_network(x, w1, w2, y)
    check_matrix("v1", v1)
    check_matrix("v2", v2)
    check_same_shape("v1", v1, "w1", w1)
    check_same_shape("v2", v2, "w2", w2)
    return kernels.hessian_vector_product(x, y, w1, w2, v1, v2)


#: The weights that move in :func:`top_hessian_eigenpair`, for each value of ``block``.
BLOCKS = {"all": ("w1", "w2"), "w1": ("w1",), "w2": ("w2",)}


class HessianEigenpair(NamedTuple):
    """What :func:`top_hessian_eigenpair` returns.

    Attributes
    ----------
    eigenvalue : float
        The Rayleigh quotient ``v . H v`` of the last iterate.
    v1 : numpy.ndarray, shape (D, H)
    v2 : numpy.ndarray, shape (H, C)
        The eigenvector estimate, shaped like ``(w1, w2)``, of unit length
        over both blocks together; the block that does not move is zero.
    """

    eigenvalue: float
    v1: np.ndarray
    v2: np.ndarray


def top_hessian_eigenpair(x, y, w1, w2, iters, rng, *, block="all",
                          orthogonal_to=()):
    """The Hessian eigenvalue of largest magnitude and its eigenvector.

    Power iteration on exact Hessian-vector products (equation ``eq-hvp``):
    repeat ``v <- H v / ||H v||``; ``v`` turns towards the eigenvector whose
    eigenvalue is largest in absolute value, and the Rayleigh quotient
    ``v . H v`` estimates that eigenvalue. Directions given in
    ``orthogonal_to`` are projected out of ``v`` before every product
    (deflation), so that passing the top eigenvector gives the next one.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)
    iters : int
        Number of power-iteration steps (each one Hessian-vector product).
        The error shrinks like ``(lambda_2 / lambda_1) ** iters``: 50 are
        plenty when the top eigenvalue stands well apart from the rest, a few
        hundred are needed when the next one is close.
    rng : numpy.random.Generator
        Draws the random starting vector.
    block : {"all", "w1", "w2"}, default "all"
        Which parameters move: all of them (the full Hessian), or only ``w1``
        or only ``w2`` (the diagonal block of the Hessian).
    orthogonal_to : sequence of (v1, v2) pairs, default ()
        Mutually orthogonal unit directions, ``v1`` shaped like ``w1`` and
        ``v2`` like ``w2`` (for example earlier results of this function),
        that the iteration stays orthogonal to.

    Returns
    -------
    HessianEigenpair
        ``(eigenvalue, v1, v2)`` for the sum-of-squares loss; ``(0.0, ...)``
        if the loss is flat along the iterate.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type, shape or value.
    """
    check_network(x, w1, w2, y)
    iters = check_positive_int("iters", iters)
    check_generator("rng", rng)
    if block not in BLOCKS:
        raise ValueError(f"block must be 'all', 'w1' or 'w2', got {block!r}")
    known = []
    for k, pair in enumerate(orthogonal_to):
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise TypeError(f"orthogonal_to[{k}] must be a pair (v1, v2)")
        check_matrix(f"orthogonal_to[{k}][0]", pair[0])
        check_matrix(f"orthogonal_to[{k}][1]", pair[1])
        check_same_shape(f"orthogonal_to[{k}][0]", pair[0], "w1", w1)
        check_same_shape(f"orthogonal_to[{k}][1]", pair[1], "w2", w2)
        known.append(pair)
    moves = [name in BLOCKS[block] for name in ("w1", "w2")]
    v1 = rng.standard_normal(w1.shape) * moves[0]
    v2 = rng.standard_normal(w2.shape) * moves[1]
    eigenvalue = 0.0
    for _ in range(iters):
        for u1, u2 in known:                 # deflation: stay orthogonal
            c = np.sum(u1 * v1) + np.sum(u2 * v2)
            v1, v2 = v1 - c * u1 * moves[0], v2 - c * u2 * moves[1]
        norm = np.sqrt(np.sum(v1 * v1) + np.sum(v2 * v2))
        v1, v2 = v1 / norm, v2 / norm
        # The arguments were checked above: the kernel, with no checks per step.
        hv1, hv2 = kernels.hessian_vector_product(x, y, w1, w2, v1, v2)
        hv1, hv2 = hv1 * moves[0], hv2 * moves[1]   # keep the block's rows only
        eigenvalue = float(np.sum(v1 * hv1) + np.sum(v2 * hv2))
        if not (hv1.any() or hv2.any()):   # the loss is flat along v: H v = 0
            return HessianEigenpair(0.0, v1, v2)
        last1, last2 = v1, v2
        v1, v2 = hv1, hv2
    return HessianEigenpair(eigenvalue, last1, last2)


def top_hessian_eigenvalue(x, y, w1, w2, iters, rng, *, block="all"):
    """The largest Hessian eigenvalue of the loss, by power iteration.

    The Hessian of the sum-of-squares loss has 100,100 rows for the book's
    network, too many to form, but its product with a direction is exact and
    cheap (:func:`hessian_vector_product`, equation ``eq-hvp``). Power
    iteration repeats ``v <- H v / ||H v||``; ``v`` turns towards the
    eigenvector whose eigenvalue is largest in absolute value, and the
    Rayleigh quotient ``v . H v`` estimates that eigenvalue. This is
    :func:`top_hessian_eigenpair` without the eigenvector.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)
    iters : int
        Number of power-iteration steps (each one Hessian-vector product);
        50 is plenty when the top eigenvalue stands well apart from the rest,
        a few hundred are needed when the next one is close.
    rng : numpy.random.Generator
        Draws the random starting vector.
    block : {"all", "w1", "w2"}, default "all"
        Which parameters move: all of them (the full Hessian), or only ``w1``
        or only ``w2`` (the diagonal block of the Hessian).

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
    eigenvector with eigenvalue ``lam > 0`` only if ``lr < 2 / lam``
    (``eq-gd-stability``). Setting the rate from ``lambda_max`` found by power
    iteration is the method of LeCun, Simard and Pearlmutter (1993).
    """
    return top_hessian_eigenpair(x, y, w1, w2, iters, rng, block=block).eigenvalue


class ReducedProblem(NamedTuple):
    """What :func:`reduce_inputs` returns.

    Attributes
    ----------
    x : numpy.ndarray, shape (N, N)
        ``L``, the lower-triangular Cholesky factor of ``x @ x.T``.
    w1 : numpy.ndarray, shape (N, H)
        ``L^-1 @ x @ w1``, so that ``L @ w1`` is the original ``A``.
    """

    x: np.ndarray
    w1: np.ndarray


def reduce_inputs(x, w1):
    """The same problem with N inputs per sample instead of D, for D >= N.

    Equation ``eq-reduced``: with ``L`` the Cholesky factor of the N x N Gram
    matrix, ``x @ x.T = L @ L.T``, replace ``x`` by ``L`` and ``w1`` by
    ``L^-1 @ x @ w1``. The pre-activations are unchanged, ``L @ (L^-1 x w1) =
    x @ w1``; and a gradient step moves them by ``-lr * x @ x.T @ dL/dA`` in
    the original problem and by ``-lr * L @ L.T @ dL/dA`` in the reduced one,
    the same matrix. So training ``(L, L^-1 x w1)`` takes the same steps in
    ``A``, ``w2`` and the loss as training ``(x, w1)``, up to rounding, has
    the same dead units, and its Hessian has the same non-zero eigenvalues
    (``L^-1 x`` has orthonormal rows). With D = 1000 and N = 128 each
    iteration is about eight times cheaper.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
        Inputs whose N rows are linearly independent (so D >= N).
    w1 : numpy.ndarray, shape (D, H)

    Returns
    -------
    ReducedProblem
        Named tuple ``(x, w1)`` of shapes (N, N) and (N, H).

    Raises
    ------
    TypeError, ValueError
        If an argument is not a finite 2-D float array, ``x @ w1`` does not
        chain, or the rows of ``x`` are not linearly independent.
    """
    check_network(x, w1)
    try:
        lower = np.linalg.cholesky(x @ x.T)
    except np.linalg.LinAlgError:
        raise ValueError(
            f"x has shape {x.shape}: reduce_inputs needs linearly independent "
            f"rows (at least as many columns as rows)"
        ) from None
    return ReducedProblem(lower, np.linalg.solve(lower, x @ w1))


__all__ = [
    "BLOCKS",
    "HessianEigenpair",
    "LeastSquaresFloor",
    "ReducedProblem",
    "dead_units",
    "hessian_vector_product",
    "least_squares_floor",
    "reduce_inputs",
    "top_hessian_eigenpair",
    "top_hessian_eigenvalue",
    "w2_block_curvature",
]
