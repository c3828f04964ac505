"""The two-layer ReLU network: data, weights, forward pass and backward pass.

Shapes, in the batch row form used throughout the book::

    x            (N, D)   inputs, one sample per row
    w1           (D, H)   first-layer weights
    a = x @ w1   (N, H)   pre-activations
    h = relu(a)  (N, H)   hidden activations
    w2           (H, C)   second-layer weights
    yhat = h @ w2 (N, C)  predictions
    y            (N, C)   targets

Every gradient has the shape of the array it is the gradient of. Each
function checks its arguments, raising an error that names the argument and
the shapes, and then calls the kernel of the same name in
:mod:`tinynet.kernels`.

Book chapters: *The setup* (``book/02-setup.ipynb``), *The forward pass and
the loss* (``book/03-forward.ipynb``), *The backward pass*
(``book/04-backward.ipynb``).
"""

from __future__ import annotations

import math

import numpy as np

from . import kernels
from ._checks import check_chain, check_matrix, check_rows, check_sizes
from .kernels import ForwardResult


def init_weights(input_dim, hidden_dim, output_dim, rng):
    """Draw the two weight matrices from the unscaled standard normal.

    Exactly as the original post: every weight is an independent N(0, 1)
    draw, with no scaling by the layer's width.

    Parameters
    ----------
    input_dim : int
        D, inputs per sample.
    hidden_dim : int
        H, hidden units.
    output_dim : int
        C, outputs per sample.
    rng : numpy.random.Generator
        The source of randomness; ``w1`` is drawn first, then ``w2``.

    Returns
    -------
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)

    Examples
    --------
    >>> w1, w2 = init_weights(1000, 100, 1, np.random.default_rng(0))
    >>> w1.shape, w2.shape
    ((1000, 100), (100, 1))
    """
    input_dim, hidden_dim, output_dim = check_sizes(
        rng, input_dim=input_dim, hidden_dim=hidden_dim, output_dim=output_dim
    )
    w1 = rng.standard_normal((input_dim, hidden_dim))
    w2 = rng.standard_normal((hidden_dim, output_dim))
    return w1, w2


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
        as in :func:`init_weights`, so the same generator state gives the
        same weights up to the two scale factors.

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
    w1, w2 = init_weights(input_dim, hidden_dim, output_dim, rng)
    w1 *= math.sqrt(2.0 / w1.shape[0])  # fan-in D
    w2 *= math.sqrt(2.0 / w2.shape[0])  # fan-in H
    return w1, w2


def make_data(batch_size, input_dim, output_dim, rng):
    """Draw random inputs and random targets, as the original post does.

    Parameters
    ----------
    batch_size : int
        N, samples in the batch.
    input_dim : int
        D, inputs per sample.
    output_dim : int
        C, outputs per sample.
    rng : numpy.random.Generator
        The source of randomness; ``x`` is drawn first, then ``y``.

    Returns
    -------
    x : numpy.ndarray, shape (N, D)
        Standard normal inputs.
    y : numpy.ndarray, shape (N, C)
        Standard normal targets, independent of ``x``.

    Examples
    --------
    >>> x, y = make_data(128, 1000, 1, np.random.default_rng(0))
    >>> x.shape, y.shape
    ((128, 1000), (128, 1))
    """
    batch_size, input_dim, output_dim = check_sizes(
        rng, batch_size=batch_size, input_dim=input_dim, output_dim=output_dim
    )
    x = rng.standard_normal((batch_size, input_dim))
    y = rng.standard_normal((batch_size, output_dim))
    return x, y


def check_network(x, w1, w2=None, y=None) -> None:
    """Validate the network's arrays together; raise on the first problem.

    Checks that every argument given is a finite 2-D float array, that
    ``x @ w1`` (and ``x @ w1 @ w2``) chains, and that ``y`` has shape (N, C),
    or, without ``w2``, one row per sample.

    Raises
    ------
    TypeError, ValueError
        Naming the argument and the shapes involved.
    """
    check_matrix("x", x)
    check_matrix("w1", w1)
    check_chain("x", x, "w1", w1)
    if w2 is None:
        if y is not None:
            check_matrix("y", y)
            check_rows("x", x, "y", y)
        return
    check_matrix("w2", w2)
    check_chain("w1", w1, "w2", w2)
    if y is not None:
        expected = (x.shape[0], w2.shape[1])
        if isinstance(y, np.ndarray) and y.shape != expected:
            raise ValueError(
                f"y has shape {y.shape} but the predictions x @ w1 @ w2 have shape "
                f"{expected} (x {x.shape}, w1 {w1.shape}, w2 {w2.shape}); they must "
                f"match exactly"
                + (
                    f" (a 1-D y is y.reshape(-1, 1); NumPy would silently broadcast "
                    f"{expected} against {y.shape})"
                    if y.ndim == 1
                    else ""
                )
            )
        check_matrix("y", y)


def forward(x, w1, w2) -> ForwardResult:
    """Run the forward pass of the two-layer network.

    Implements equations ``eq-forward-a`` (``a = x @ w1``), ``eq-forward-h``
    (``h = relu(a)``) and ``eq-forward-yhat`` (``yhat = h @ w2``); checks its
    arguments, then calls :func:`tinynet.kernels.forward`.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)

    Returns
    -------
    ForwardResult
        Named tuple ``(a, h, predictions)`` with shapes (N, H), (N, H), (N, C).

    Raises
    ------
    TypeError, ValueError
        If an argument is not a finite 2-D float array or the shapes do not
        chain.
    """
    check_network(x, w1, w2)
    return kernels.forward(x, w1, w2)


def grad_w2(h, dpredictions):
    """Gradient of the loss with respect to the second-layer weights, dL/dw2.

    Implements equation ``eq-grad-w2``: ``dL/dw2 = h.T @ dL/dyhat``; checks
    its arguments, then calls :func:`tinynet.kernels.grad_w2`.

    Parameters
    ----------
    h : numpy.ndarray, shape (N, H)
        Hidden activations from the forward pass.
    dpredictions : numpy.ndarray, shape (N, C)
        Upstream gradient dL/dyhat.

    Returns
    -------
    numpy.ndarray, shape (H, C)
        dL/dw2, shaped like ``w2``. The sum over the batch is inside the
        matrix product: entry (j, c) is ``sum_n h[n, j] * dpredictions[n, c]``.
    """
    check_matrix("h", h)
    check_matrix("dpredictions", dpredictions)
    check_rows("h", h, "dpredictions", dpredictions)
    return kernels.grad_w2(h, dpredictions)


def grad_h(dpredictions, w2):
    """Gradient of the loss with respect to the hidden activations, dL/dh.

    Implements equation ``eq-grad-h``: ``dL/dh = dL/dyhat @ w2.T``; checks its
    arguments, then calls :func:`tinynet.kernels.grad_h`.

    Parameters
    ----------
    dpredictions : numpy.ndarray, shape (N, C)
        Upstream gradient dL/dyhat.
    w2 : numpy.ndarray, shape (H, C)
        Second-layer weights.

    Returns
    -------
    numpy.ndarray, shape (N, H)
        dL/dh, shaped like ``h``.
    """
    check_matrix("dpredictions", dpredictions)
    check_matrix("w2", w2)
    if dpredictions.shape[1] != w2.shape[1]:
        raise ValueError(
            f"dpredictions has shape {dpredictions.shape} and w2 has shape "
            f"{w2.shape}: dpredictions @ w2.T needs the same number of columns "
            f"({dpredictions.shape[1]} != {w2.shape[1]})"
        )
    return kernels.grad_h(dpredictions, w2)


def grad_w1(x, da):
    """Gradient of the loss with respect to the first-layer weights, dL/dw1.

    Implements equation ``eq-grad-w1``: ``dL/dw1 = x.T @ dL/da``; checks its
    arguments, then calls :func:`tinynet.kernels.grad_w1`.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
        Inputs.
    da : numpy.ndarray, shape (N, H)
        Upstream gradient dL/da, from :func:`tinynet.relu_backward`.

    Returns
    -------
    numpy.ndarray, shape (D, H)
        dL/dw1, shaped like ``w1``.
    """
    check_matrix("x", x)
    check_matrix("da", da)
    check_rows("x", x, "da", da)
    return kernels.grad_w1(x, da)


def loss_and_gradients(x, y, w1, w2):
    """Loss and both weight gradients for one batch: forward, then backward.

    Chains equations ``eq-forward-a`` to ``eq-loss`` forward and
    ``eq-grad-yhat`` to ``eq-grad-w1`` backward; checks its arguments, then
    calls :func:`tinynet.kernels.loss_and_gradients`.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)

    Returns
    -------
    loss : float
        Sum of squared errors.
    dw1 : numpy.ndarray, shape (D, H)
        dL/dw1.
    dw2 : numpy.ndarray, shape (H, C)
        dL/dw2.

    Raises
    ------
    TypeError, ValueError
        If an argument is not a finite 2-D float array or the shapes do not
        fit together.
    """
    check_network(x, w1, w2, y)
    return kernels.loss_and_gradients(x, y, w1, w2)


def mean_loss_and_gradients(x, y, w1, w2):
    """Mean squared error and its gradients: the sum loss divided by N * C.

    The mean loss is ``L_mean = L / (N * C)`` with ``L`` the sum of squared
    errors of equation ``eq-loss``. Every derivative is linear in the loss,
    so both gradients are those of :func:`loss_and_gradients` divided by the
    same constant ``N * C``.

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
    loss, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    count = y.size
    return loss / count, dw1 / count, dw2 / count


__all__ = [
    "ForwardResult",
    "check_network",
    "forward",
    "grad_h",
    "grad_w1",
    "grad_w2",
    "init_weights",
    "init_weights_he",
    "loss_and_gradients",
    "make_data",
    "mean_loss_and_gradients",
]
