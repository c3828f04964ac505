"""Gradient descent on the sum (or mean) of squared errors.

One loop, :func:`gradient_descent`, with optional records of what happens
inside it (dead units, weight snapshots) and a choice of step rule (plain,
heavy-ball momentum, Adam); :func:`train` is that loop with plain steps and
nothing recorded, and :func:`learning_rate_sweep` runs it at several rates.

Book chapters: *Training* (``book/06-training.ipynb``) and *Why it trains,
and where it stalls* (``book/07-dynamics.ipynb``).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import kernels
from ._checks import check_positive_float, check_positive_int
from .network import check_network
from .problem import LEARNING_RATE, NUM_LOOPS

#: The losses :func:`gradient_descent` can descend, and the factor by which
#: each multiplies the sum of squared errors (a mean divides by N * C).
LOSS_KINDS = ("sum", "mean")

#: The step rules :func:`gradient_descent` can apply to the gradients.
METHODS = ("plain", "momentum", "adam")


def step_rule(method="plain", learning_rate=LEARNING_RATE, *, beta=0.9,
              beta2=0.999, epsilon=1e-8):
    """The step of one iteration from the gradients, for :func:`gradient_descent`.

    ``"plain"``: the step is ``learning_rate * g`` (equation ``eq-gd-update``).
    ``"momentum"`` (heavy ball, Polyak 1964; equation ``eq-momentum``):
    ``v <- beta v + g``, step ``learning_rate * v``. ``"adam"`` (Kingma and
    Ba 2015; equation ``eq-adam``): running means ``m`` of ``g`` and ``s``
    of ``g**2``, corrected for their start at zero, step
    ``learning_rate * m_hat / (sqrt(s_hat) + epsilon)``.

    Parameters
    ----------
    method : {"plain", "momentum", "adam"}, default "plain"
    learning_rate : float, default 1e-6
        Positive and finite.
    beta : float, default 0.9
        Momentum's factor, or Adam's decay of the mean of the gradients; in
        [0, 1).
    beta2 : float, default 0.999
        Adam's decay of the mean of the squared gradients; in [0, 1).
    epsilon : float, default 1e-8
        Adam's guard against division by zero; positive.

    Returns
    -------
    callable
        ``update(i, g1, g2) -> (step1, step2)`` for iteration ``i = 0, 1,
        ...``, with ``g1`` of shape (D, H) and ``g2`` of shape (H, C) and
        steps of the same shapes, to be subtracted from ``w1`` and ``w2``.
        For ``"plain"`` and ``"momentum"`` it expects the gradients already
        multiplied by ``learning_rate`` (cheaper, see
        :func:`gradient_descent`); Adam divides by their size, so it expects
        the gradients themselves. It keeps its state (``v``, or ``m`` and
        ``s``) between calls and may modify ``g1`` and ``g2``.

    Raises
    ------
    ValueError
        If ``method`` is unknown or a number is out of range.
    """
    if method not in METHODS:
        raise ValueError(f"method must be 'plain', 'momentum' or 'adam', got {method!r}")
    learning_rate = check_positive_float("learning_rate", learning_rate)
    for name, value in (("beta", beta), ("beta2", beta2)):
        if not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be a number in [0, 1), got {value!r}")
    epsilon = check_positive_float("epsilon", epsilon)
    if method == "plain":
        return lambda i, g1, g2: (g1, g2)
    state = {}
    if method == "momentum":
        def update(i, g1, g2):
            if not state:
                state["v"] = [np.zeros_like(g1), np.zeros_like(g2)]
            for v, g in zip(state["v"], (g1, g2)):
                v *= beta
                v += g
            return state["v"]
        return update

    def update(i, g1, g2):  # adam
        if not state:
            state["m"] = [np.zeros_like(g1), np.zeros_like(g2)]
            state["s"] = [np.zeros_like(g1), np.zeros_like(g2)]
        steps = []
        for m, s, g in zip(state["m"], state["s"], (g1, g2)):
            m *= beta
            m += (1.0 - beta) * g
            s *= beta2
            s += (1.0 - beta2) * g * g
            m_hat = m / (1.0 - beta ** (i + 1))
            s_hat = s / (1.0 - beta2 ** (i + 1))
            steps.append(learning_rate * m_hat / (np.sqrt(s_hat) + epsilon))
        return steps
    return update


class TrainResult(NamedTuple):
    """What :func:`train` returns.

    Attributes
    ----------
    w1 : numpy.ndarray, shape (D, H)
        First-layer weights after training.
    w2 : numpy.ndarray, shape (H, C)
        Second-layer weights after training.
    losses : numpy.ndarray of float64, shape (num_loops,)
        ``losses[i]`` is the loss before update ``i``.
    """

    w1: np.ndarray
    w2: np.ndarray
    losses: np.ndarray


class TrainHistory(NamedTuple):
    """What :func:`gradient_descent` returns.

    Attributes
    ----------
    w1 : numpy.ndarray, shape (D, H)
        First-layer weights after training.
    w2 : numpy.ndarray, shape (H, C)
        Second-layer weights after training.
    losses : numpy.ndarray, shape (num_loops,)
        ``losses[i]`` is the loss (sum or mean) before update ``i``.
    dead : numpy.ndarray of int, shape (num_loops,), or None
        With ``record_dead``, ``dead[i]`` is the number of dead hidden units
        before update ``i``; else ``None``.
    snapshots : dict of int to (numpy.ndarray, numpy.ndarray)
        For each requested iteration ``i``, copies of ``(w1, w2)`` before
        update ``i``.
    """

    w1: np.ndarray
    w2: np.ndarray
    losses: np.ndarray
    dead: np.ndarray | None
    snapshots: dict


class TrainingDivergedError(FloatingPointError):
    """Raised when the loss becomes infinite or NaN during training.

    Attributes
    ----------
    iteration : int
        The iteration whose loss was not finite.
    learning_rate : float
        The learning rate that was used.
    losses : numpy.ndarray
        The finite losses before that iteration.
    """

    def __init__(self, iteration: int, learning_rate: float, losses: np.ndarray):
        self.iteration = iteration
        self.learning_rate = learning_rate
        self.losses = losses
        last = f" (it was {losses[-1]:.4g} at iteration {iteration - 1})" if len(losses) else ""
        super().__init__(
            f"training diverged: the loss became infinite or NaN at iteration "
            f"{iteration}{last} with learning_rate={learning_rate:g}; "
            f"try a smaller learning rate, such as {learning_rate / 10:g}"
        )


def gradient_descent(
    x,
    y,
    w1,
    w2,
    num_loops=NUM_LOOPS,
    learning_rate=LEARNING_RATE,
    *,
    loss="sum",
    method="plain",
    beta=0.9,
    beta2=0.999,
    epsilon=1e-8,
    record_dead=False,
    snapshot_at=(),
) -> TrainHistory:
    """Train the two-layer network by gradient descent, recording on request.

    Each iteration runs the forward pass, the loss, the backward pass and the
    update of equation ``eq-gd-update``::

        w1 <- w1 - learning_rate * dL/dw1
        w2 <- w2 - learning_rate * dL/dw2

    the algorithm of the original post: full batch, constant learning rate,
    no momentum. The loss is the sum of squared errors (``loss="sum"``, as in
    the post) or their mean (``loss="mean"``, the sum divided by N * C).
    Two other step rules replace the plain step: heavy-ball momentum
    (``method="momentum"``, equation ``eq-momentum``) and Adam
    (``method="adam"``, equation ``eq-adam``); the rest of the loop is the same.

    Every gradient is linear in dL/dyhat, so the loop multiplies that small
    (N, C) array by ``learning_rate`` (and by 1 / (N * C) for the mean) and
    the backward pass then returns the two steps themselves: no pass over the
    (D, H) gradient just to scale it. ``w1`` is updated in place from one
    reused (D, H) buffer. The results agree with the post's loop, which
    scales the gradients instead, to about 1e-11 relative over its 1000
    iterations: the same operations, rounded in another order.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
        Inputs.
    y : numpy.ndarray, shape (N, C)
        Targets.
    w1 : numpy.ndarray, shape (D, H)
        Initial first-layer weights; not modified.
    w2 : numpy.ndarray, shape (H, C)
        Initial second-layer weights; not modified.
    num_loops : int, default 1000
        Number of updates, a non-negative integer.
    learning_rate : float, default 1e-6
        Step size, a positive finite number.
    loss : {"sum", "mean"}, default "sum"
        Which loss to descend.
    method : {"plain", "momentum", "adam"}, default "plain"
        The step rule: plain gradient descent, heavy-ball momentum, or Adam.
    beta : float, default 0.9
        Momentum's factor, or Adam's decay of the mean of the gradients; in
        [0, 1).
    beta2 : float, default 0.999
        Adam's decay of the mean of the squared gradients; in [0, 1).
    epsilon : float, default 1e-8
        Adam's guard against division by zero; positive.
    record_dead : bool, default False
        Count the dead hidden units (:func:`tinynet.kernels.dead_units`)
        before every update.
    snapshot_at : iterable of int, default ()
        Iterations (``0 <= i <= num_loops``) at which to keep copies of the
        weights; the weights "at" iteration ``i`` are those before update
        ``i``, so ``num_loops`` gives the final weights.

    Returns
    -------
    TrainHistory
        Named tuple ``(w1, w2, losses, dead, snapshots)``: the trained
        weights (new arrays), the loss before each update and the records.

    Raises
    ------
    TypeError, ValueError
        If an argument is of the wrong type, shape or value.
    TrainingDivergedError
        If the loss becomes infinite or NaN; the message names the iteration
        and suggests a smaller learning rate.
    """
    check_network(x, w1, w2, y)
    num_loops = check_positive_int("num_loops", num_loops, allow_zero=True)
    learning_rate = check_positive_float("learning_rate", learning_rate)
    if loss not in LOSS_KINDS:
        raise ValueError(f"loss must be 'sum' or 'mean', got {loss!r}")
    update = step_rule(method, learning_rate, beta=beta, beta2=beta2, epsilon=epsilon)
    wanted = set()
    for i in snapshot_at:
        i = check_positive_int("snapshot_at[]", i, allow_zero=True)
        if i > num_loops:
            raise ValueError(
                f"snapshot_at holds {i}, but there are only num_loops={num_loops} updates"
            )
        wanted.add(i)
    scale = 1.0 if loss == "sum" else 1.0 / y.size
    # Adam divides by the size of the gradient, so it gets the gradient itself.
    step_scale = scale if method == "adam" else learning_rate * scale

    w1 = w1.copy()
    w2 = w2.copy()
    losses = np.empty(num_loops)
    dead = np.empty(num_loops, dtype=int) if record_dead else None
    snapshots = {}
    w1_step = np.empty(w1.shape, dtype=np.result_type(x, y, w1, w2))
    # Overflow on the way to divergence is reported once, by the exception
    # below, instead of as a stream of RuntimeWarnings.
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(num_loops):
            if i in wanted:
                snapshots[i] = (w1.copy(), w2.copy())
            a, h, predictions = kernels.forward(x, w1, w2)
            value = kernels.sse_loss(predictions, y) * scale
            if not math.isfinite(value):
                raise TrainingDivergedError(i, learning_rate, losses[:i].copy())
            losses[i] = value
            if record_dead:
                dead[i] = np.count_nonzero(kernels.dead_units(a))
            dpredictions = kernels.sse_loss_backward(predictions, y)
            dpredictions *= step_scale  # now learning_rate * dL/dyhat (but Adam)
            g1, g2 = kernels.backward(x, w2, a, h, dpredictions, out=w1_step)
            step1, step2 = update(i, g1, g2)
            w1 -= step1
            w2 -= step2
    # The last update can overflow too; the loss it leads to is never computed.
    if not (np.isfinite(w1).all() and np.isfinite(w2).all()):
        raise TrainingDivergedError(num_loops, learning_rate, losses.copy())
    if num_loops in wanted:
        snapshots[num_loops] = (w1.copy(), w2.copy())
    return TrainHistory(w1, w2, losses, dead, snapshots)


def train(x, y, w1, w2, num_loops=NUM_LOOPS, learning_rate=LEARNING_RATE) -> TrainResult:
    """Train the two-layer network by plain gradient descent on the sum of squares.

    :func:`gradient_descent` with nothing recorded: the original post's
    algorithm and settings.

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

    Returns
    -------
    TrainResult
        Named tuple ``(w1, w2, losses)``: the trained weights (new arrays)
        and the loss before each update.

    Raises
    ------
    TypeError, ValueError, TrainingDivergedError
        As :func:`gradient_descent`.
    """
    w1, w2, losses, _, _ = gradient_descent(x, y, w1, w2, num_loops, learning_rate)
    return TrainResult(w1, w2, losses)


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
    w1 : numpy.ndarray, shape (D, H), or None
    w2 : numpy.ndarray, shape (H, C), or None
        The weights after the last update, or ``None`` if training diverged.
    """

    learning_rate: float
    final_loss: float
    diverged_at: int | None
    losses: np.ndarray
    w1: np.ndarray | None = None
    w2: np.ndarray | None = None


def learning_rate_sweep(x, y, w1, w2, learning_rates, num_loops=200):
    """Train from the same start at each learning rate; record, never crash.

    Runs :func:`train` once per rate. A run that diverges raises
    :class:`TrainingDivergedError` inside ``train``; the sweep catches it and
    records the iteration instead.

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
        One ``(learning_rate, final_loss, diverged_at, losses, w1, w2)`` per
        rate, in the order given.

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
            points.append(SweepPoint(rate, math.nan, error.iteration, error.losses))
        else:
            points.append(SweepPoint(rate, float(result.losses[-1]), None,
                                     result.losses, result.w1, result.w2))
    return points


__all__ = [
    "LOSS_KINDS",
    "METHODS",
    "SweepPoint",
    "TrainHistory",
    "TrainResult",
    "TrainingDivergedError",
    "gradient_descent",
    "learning_rate_sweep",
    "step_rule",
    "train",
]
