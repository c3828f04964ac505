"""The sum-of-squared-errors loss and its gradient, with checked arguments.

The computations are the kernels :func:`tinynet.kernels.sse_loss` and
:func:`tinynet.kernels.sse_loss_backward`; the functions here check their
arguments first.

Book chapters: *The forward pass and the loss* (``book/03-forward.ipynb``)
and *The backward pass* (``book/04-backward.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import kernels
from ._checks import check_matrix, check_same_shape


def sse_loss(predictions, targets) -> float:
    """Sum of squared errors between predictions and targets.

    Implements equation ``eq-loss``: ``L = sum_{n,c} (yhat[n, c] - y[n, c])**2``.
    It is a sum, not a mean, and has no factor 1/2, exactly as in the
    original post.

    Parameters
    ----------
    predictions : numpy.ndarray, shape (N, C)
        Network outputs.
    targets : numpy.ndarray, shape (N, C)
        Targets. Must have exactly the shape of ``predictions``: a target
        vector of shape (N,) is refused, since NumPy would silently broadcast
        ``(N, 1) - (N,)`` to an (N, N) array.

    Returns
    -------
    float
        The loss, a Python float.

    Raises
    ------
    TypeError, ValueError
        If either argument is not a finite 2-D float array, or the shapes
        differ.

    Examples
    --------
    >>> sse_loss(np.array([[1.0], [2.0]]), np.array([[0.0], [4.0]]))
    5.0
    """
    _check_pair(predictions, targets)
    return kernels.sse_loss(predictions, targets)


def sse_loss_backward(predictions, targets) -> np.ndarray:
    """Gradient of the sum-of-squared-errors loss with respect to the predictions.

    Implements equation ``eq-grad-yhat``: ``dL/dyhat = 2 (yhat - y)``. The
    factor 2 comes from differentiating the square; a mean loss would divide
    it by ``N * C`` as well.

    Parameters
    ----------
    predictions : numpy.ndarray, shape (N, C)
    targets : numpy.ndarray, shape (N, C)

    Returns
    -------
    numpy.ndarray, shape (N, C)
        dL/dyhat, shaped like ``predictions``.

    Raises
    ------
    TypeError, ValueError
        As :func:`sse_loss`.

    Examples
    --------
    >>> sse_loss_backward(np.array([[1.0], [2.0]]), np.array([[0.0], [4.0]]))
    array([[ 2.],
           [-4.]])
    """
    _check_pair(predictions, targets)
    return kernels.sse_loss_backward(predictions, targets)


def _check_pair(predictions, targets) -> None:
    check_matrix("predictions", predictions)
    if isinstance(targets, np.ndarray):  # name both shapes, even for a 1-D targets
        check_same_shape("targets", targets, "predictions", predictions)
    check_matrix("targets", targets)


__all__ = ["sse_loss", "sse_loss_backward"]
