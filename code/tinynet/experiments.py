"""Experiments on the training dynamics: curvature, dead units, sweeps.

Tools for asking *why* plain gradient descent trains the two-layer network
at one learning rate and not another, why the loss can rise before it falls,
and why it stalls above zero:

- :func:`top_hessian_eigenvalue`: the largest curvature of the loss, by power
  iteration on finite-difference Hessian-vector products;
- :func:`w2_block_curvature`: the exact largest curvature along ``w2`` alone;
- :func:`learning_rate_sweep`: train at several rates, catching divergence;
- :func:`train_with_history`: gradient descent that also records dead units
  and weight snapshots, on the sum or the mean loss;
- :func:`dead_units`, :func:`least_squares_floor`: where the loss can stall;
- :func:`init_weights_he`, :func:`mean_loss_and_gradients`: the two usual
  fixes of the scale, a scaled initialisation and a mean loss.

Shapes as everywhere in :mod:`tinynet`: ``x`` (N, D), ``w1`` (D, H),
``w2`` (H, C), ``y`` (N, C). No function modifies its inputs, and randomness
comes only from a ``numpy.random.Generator`` argument.

Book chapter: *Why it trains, and where it stalls* (``book/07-dynamics.ipynb``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ._checks import (
    check_chain,
    check_generator,
    check_matrix,
    check_positive_float,
    check_positive_int,
    check_rows,
)
from .activations import _relu_backward
from .losses import _sse_loss, _sse_loss_backward
from .network import _forward, _loss_and_gradients, check_network
from .training import TrainingDivergedError, train

_LOSS_KINDS = ("sum", "mean")


# --------------------------------------------------------------------------
# Initialisation and the mean loss
# --------------------------------------------------------------------------


def init_weights_he(input_dim, hidden_dim, output_dim, rng):
    """Draw the weights with the scaled normal initialisation of He et al. (2015).

    Every weight of a layer with ``fan_in`` inputs is an independent draw
    from N(0, 2 / fan_in): ``w1`` has standard deviation ``sqrt(2 / D)`` and
    ``w2`` has ``sqrt(2 / H)``. The factor 2 compensates for ReLU zeroing
    about half of the pre-activations, so that the size of the signal stays
    about the same from layer to layer.

    Parameters
    ----------
    input_dim : int
        D, inputs per sample (the fan-in of ``w1``).
    hidden_dim : int
        H, hidden units (the fan-in of ``w2``).
    output_dim : int
        C, outputs per sample.
    rng : numpy.random.Generator
        The source of randomness; ``w1`` is drawn first, then ``w2``, exactly
        as in :func:`tinynet.init_weights`, so the same generator state gives
        the same weights up to the two scale factors.

    Returns
    -------
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)

    Raises
    ------
    TypeError, ValueError
        If a size is not a positive integer or ``rng`` is not a Generator.

    Examples
    --------
    >>> w1, w2 = init_weights_he(1000, 100, 1, np.random.default_rng(0))
    >>> w1.shape, w2.shape
    ((1000, 100), (100, 1))
    >>> bool(abs(w1.std() - np.sqrt(2 / 1000)) < 1e-3)
    True
    """
    input_dim = check_positive_int("input_dim", input_dim)
    hidden_dim = check_positive_int("hidden_dim", hidden_dim)
    output_dim = check_positive_int("output_dim", output_dim)
    check_generator("rng", rng)
    scale1 = math.sqrt(2.0 / input_dim)
    scale2 = math.sqrt(2.0 / hidden_dim)
    w1 = rng.standard_normal((input_dim, hidden_dim)) * scale1
    w2 = rng.standard_normal((hidden_dim, output_dim)) * scale2
    return w1, w2


def mean_loss_and_gradients(x, y, w1, w2):
    """Mean squared error and its gradients: the sum loss divided by N * C.

    The mean loss is ``L_mean = L / (N * C)`` with ``L`` the sum of squared
    errors of equation ``eq-loss``. Every derivative is linear in the loss,
    so both gradients are those of :func:`tinynet.loss_and_gradients`
    divided by the same constant ``N * C``.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)

    Returns
    -------
    loss : float
        Mean of the squared errors over all N * C entries.
    dw1 : numpy.ndarray, shape (D, H)
        dL_mean/dw1.
    dw2 : numpy.ndarray, shape (H, C)
        dL_mean/dw2.

    Raises
    ------
    TypeError, ValueError
        If an argument is not a finite 2-D float array or the shapes do not
        fit together.
    """
    check_network(x, w1, w2, y)
    return _mean_loss_and_gradients(x, y, w1, w2)


def _mean_loss_and_gradients(x, y, w1, w2):
    loss, dw1, dw2 = _loss_and_gradients(x, y, w1, w2)
    count = y.size
    return loss / count, dw1 / count, dw2 / count


# --------------------------------------------------------------------------
# Dead units and the least-squares floor
# --------------------------------------------------------------------------


def dead_units(x, w1):
    """Which hidden units are dead: their pre-activation is <= 0 for every sample.

    A dead unit outputs zero on the whole batch, so its column of ``h`` is
    zero, its row of dL/dw2 is zero, and (because the ReLU mask blocks the
    upstream gradient everywhere) its column of dL/dw1 is zero too. Full-batch
    gradient descent can therefore never bring it back.

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
    _check_x_w1(x, w1)
    return np.all(x @ w1 <= 0.0, axis=0)


def _check_x_w1(x, w1):
    check_matrix("x", x)
    check_matrix("w1", w1)
    check_chain("x", x, "w1", w1)


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
    _check_x_w1(x, w1)
    check_matrix("y", y)
    check_rows("x", x, "y", y)
    h = np.maximum(x @ w1, 0.0)
    w2, _, rank, _ = np.linalg.lstsq(h, y, rcond=None)
    loss = float(np.sum((h @ w2 - y) ** 2))
    return LeastSquaresFloor(loss, int(rank), w2)


# --------------------------------------------------------------------------
# Curvature
# --------------------------------------------------------------------------


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
    _check_x_w1(x, w1)
    h = np.maximum(x @ w1, 0.0)
    return float(np.linalg.eigvalsh(2.0 * (h.T @ h))[-1])


def _flatten(w1, w2):
    return np.concatenate([w1.ravel(), w2.ravel()])


def top_hessian_eigenvalue(
    x, y, w1, w2, iters, rng, *, block="all", eps=1e-6
):
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
    if block not in ("all", "w1", "w2"):
        raise ValueError(
            f"block must be 'all', 'w1' or 'w2', got {block!r}"
        )

    n1 = w1.size

    def gradient(theta):
        if block == "all":
            a = theta[:n1].reshape(w1.shape)
            b = theta[n1:].reshape(w2.shape)
        elif block == "w1":
            a, b = theta.reshape(w1.shape), w2
        else:
            a, b = w1, theta.reshape(w2.shape)
        _, g1, g2 = _loss_and_gradients(x, y, a, b)
        if block == "all":
            return _flatten(g1, g2)
        return (g1 if block == "w1" else g2).ravel()

    if block == "all":
        theta = _flatten(w1, w2)
    else:
        theta = (w1 if block == "w1" else w2).ravel().copy()
    step = eps * max(1.0, float(np.linalg.norm(theta)))

    v = rng.standard_normal(theta.size)
    v /= np.linalg.norm(v)
    eigenvalue = 0.0
    for _ in range(iters):
        g_plus = gradient(theta + step * v)
        g_minus = gradient(theta - step * v)
        hv = (g_plus - g_minus) / (2.0 * step)
        eigenvalue = float(v @ hv)
        norm = float(np.linalg.norm(hv))
        if norm == 0.0:  # the loss is flat along v: H v = 0
            return 0.0
        v = hv / norm
    return eigenvalue


# --------------------------------------------------------------------------
# Training runs
# --------------------------------------------------------------------------


class SweepPoint(NamedTuple):
    """One learning rate of :func:`learning_rate_sweep`.

    Attributes
    ----------
    learning_rate : float
    final_loss : float
        The loss before the last update, or ``nan`` if training diverged.
    diverged_at : int or None
        The iteration at which the loss stopped being finite, or ``None``.
    losses : numpy.ndarray, shape (num_loops,) or shorter
        The finite losses that were recorded.
    """

    learning_rate: float
    final_loss: float
    diverged_at: int | None
    losses: np.ndarray


def learning_rate_sweep(x, y, w1, w2, learning_rates, num_loops=200):
    """Train from the same start at each learning rate; record, never crash.

    Runs :func:`tinynet.train` once per rate. A run that diverges raises
    :class:`tinynet.TrainingDivergedError` inside ``train``; the sweep catches
    it and records the iteration instead.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
        Initial weights, shared by every run; not modified.
    w2 : numpy.ndarray, shape (H, C)
        Initial weights, shared by every run; not modified.
    learning_rates : sequence of float
        The rates to try, each positive and finite; at least one.
    num_loops : int, default 200
        Updates per run.

    Returns
    -------
    list of SweepPoint
        One ``(learning_rate, final_loss, diverged_at, losses)`` per rate, in
        the order given.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type, shape or value.
    """
    check_network(x, w1, w2, y)
    num_loops = check_positive_int("num_loops", num_loops)
    if isinstance(learning_rates, (str, bytes)) or not hasattr(
        learning_rates, "__iter__"
    ):
        raise TypeError(
            f"learning_rates must be a sequence of positive numbers, "
            f"got {learning_rates!r}"
        )
    rates = [
        check_positive_float("each learning rate", r) for r in learning_rates
    ]
    if not rates:
        raise ValueError("learning_rates must hold at least one rate")
    points = []
    for rate in rates:
        try:
            result = train(x, y, w1, w2, num_loops, rate)
        except TrainingDivergedError as error:
            where = int(error.iteration)
            point = SweepPoint(rate, math.nan, where, error.losses)
        else:
            final = float(result.losses[-1])
            point = SweepPoint(rate, final, None, result.losses)
        points.append(point)
    return points


class TrainHistory(NamedTuple):
    """What :func:`train_with_history` returns.

    Attributes
    ----------
    w1 : numpy.ndarray, shape (D, H)
        First-layer weights after training.
    w2 : numpy.ndarray, shape (H, C)
        Second-layer weights after training.
    losses : numpy.ndarray, shape (num_loops,)
        ``losses[i]`` is the loss (sum or mean) before update ``i``.
    dead : numpy.ndarray of int, shape (num_loops,)
        ``dead[i]`` is the number of dead hidden units before update ``i``.
    snapshots : dict of int to (numpy.ndarray, numpy.ndarray)
        For each requested iteration ``i``, copies of ``(w1, w2)`` before
        update ``i``.
    """

    w1: np.ndarray
    w2: np.ndarray
    losses: np.ndarray
    dead: np.ndarray
    snapshots: dict


def train_with_history(
    x, y, w1, w2, num_loops=1000, learning_rate=1e-6, *, loss="sum", snapshot_at=()
):
    """Gradient descent as :func:`tinynet.train`, recording what happens inside.

    The same update, equation ``eq-gd-update``, on either the sum of squared
    errors (``loss="sum"``, as :func:`tinynet.train`, which it reproduces
    exactly) or the mean squared error (``loss="mean"``, whose gradients are
    the sum's divided by N * C). Also counts the dead units at every
    iteration and keeps copies of the weights at chosen iterations.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
        Initial weights; not modified.
    w2 : numpy.ndarray, shape (H, C)
        Initial weights; not modified.
    num_loops : int, default 1000
        Number of updates, a non-negative integer.
    learning_rate : float, default 1e-6
        Step size, a positive finite number.
    loss : {"sum", "mean"}, default "sum"
        Which loss to descend.
    snapshot_at : iterable of int, default ()
        Iterations (``0 <= i <= num_loops``) at which to keep the weights; the
        weights "at" iteration ``i`` are those before update ``i``, so
        ``num_loops`` gives the final weights.

    Returns
    -------
    TrainHistory
        Named tuple ``(w1, w2, losses, dead, snapshots)``.

    Raises
    ------
    TypeError, ValueError
        If an argument has the wrong type, shape or value.
    tinynet.TrainingDivergedError
        If the loss becomes infinite or NaN.
    """
    check_network(x, w1, w2, y)
    num_loops = check_positive_int("num_loops", num_loops, allow_zero=True)
    learning_rate = check_positive_float("learning_rate", learning_rate)
    if loss not in _LOSS_KINDS:
        raise ValueError(f"loss must be 'sum' or 'mean', got {loss!r}")
    wanted = set()
    for i in snapshot_at:
        i = check_positive_int("snapshot_at[]", i, allow_zero=True)
        if i > num_loops:
            raise ValueError(
                f"snapshot_at holds {i}, but there are only num_loops={num_loops} updates"
            )
        wanted.add(i)
    # The mean loss divides the loss and both gradients by N * C.
    count = 1 if loss == "sum" else y.size

    w1 = w1.copy()
    w2 = w2.copy()
    losses = np.empty(num_loops)
    dead = np.empty(num_loops, dtype=int)
    snapshots = {}
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(num_loops):
            if i in wanted:
                snapshots[i] = (w1.copy(), w2.copy())
            # The forward and backward pass of tinynet.train, written out so
            # that the pre-activations can be reused to count dead units.
            a, h, predictions = _forward(x, w1, w2)
            value = _sse_loss(predictions, y)
            if not math.isfinite(value):
                raise TrainingDivergedError(i, learning_rate, losses[:i].copy())
            dpredictions = _sse_loss_backward(predictions, y)
            dw2 = h.T @ dpredictions
            dw1 = x.T @ _relu_backward(dpredictions @ w2.T, a)
            if count != 1:
                value, dw1, dw2 = value / count, dw1 / count, dw2 / count
            losses[i] = value
            dead[i] = int(np.count_nonzero(np.all(a <= 0.0, axis=0)))
            w1 -= learning_rate * dw1
            w2 -= learning_rate * dw2
    if not (np.isfinite(w1).all() and np.isfinite(w2).all()):
        raise TrainingDivergedError(num_loops, learning_rate, losses.copy())
    if num_loops in wanted:
        snapshots[num_loops] = (w1.copy(), w2.copy())
    return TrainHistory(w1, w2, losses, dead, snapshots)


__all__ = [
    "LeastSquaresFloor",
    "SweepPoint",
    "TrainHistory",
    "dead_units",
    "init_weights_he",
    "learning_rate_sweep",
    "least_squares_floor",
    "mean_loss_and_gradients",
    "top_hessian_eigenvalue",
    "train_with_history",
    "w2_block_curvature",
]
