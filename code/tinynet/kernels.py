"""The kernels: one function per equation of the book, without validation.

Each function computes one equation and nothing else. They are the code the
book derives and shows; everything else in :mod:`tinynet` is built from them:

- the checked functions of the package (:func:`tinynet.relu_backward`,
  :func:`tinynet.grad_w2`, :func:`tinynet.forward`, ...) validate their
  arguments, raising an error that names the argument and the shapes, and
  then call the kernel of the same name;
- :func:`tinynet.train` validates its arguments once and then runs
  :func:`forward`, :func:`sse_loss`, :func:`sse_loss_backward` and
  :func:`backward` in its loop, with no checks per iteration.

Call the kernels directly only with arrays you have checked: a wrong shape
here gives a silent broadcast or NumPy's own error, not a message naming the
argument. Shapes, in the batch row form used throughout the book::

    x            (N, D)   inputs, one sample per row
    w1           (D, H)   first-layer weights
    a = x @ w1   (N, H)   pre-activations
    h = relu(a)  (N, H)   hidden activations
    w2           (H, C)   second-layer weights
    yhat = h @ w2 (N, C)  predictions
    y            (N, C)   targets

Every gradient has the shape of the array it is the gradient of. No kernel
modifies its arguments, except the ``out`` array of :func:`grad_w1` and
:func:`backward`.

Book chapters: *The ReLU activation* (``book/01-relu.ipynb``), *The forward
pass and the loss* (``book/03-forward.ipynb``), *The backward pass*
(``book/04-backward.ipynb``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class ForwardResult(NamedTuple):
    """The arrays of one forward pass, kept for the backward pass.

    Attributes
    ----------
    a : numpy.ndarray, shape (N, H)
        Pre-activations ``x @ w1`` (equation ``eq-forward-a``).
    h : numpy.ndarray, shape (N, H)
        Hidden activations ``relu(a)`` (equation ``eq-forward-h``).
    predictions : numpy.ndarray, shape (N, C)
        Outputs ``h @ w2`` (equation ``eq-forward-yhat``).
    """

    a: np.ndarray
    h: np.ndarray
    predictions: np.ndarray


def relu(a):
    """Rectified linear unit, element by element: equation ``eq-relu``.

    Parameters
    ----------
    a : array_like of float, any shape
        Pre-activations; in the network, shape (N, H).

    Returns
    -------
    numpy.ndarray
        ``max(a, 0)``, a new array shaped like ``a``.

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return np.maximum(a, 0.0)


def relu_backward(dh, a):
    """dL/da from dL/dh: equation ``eq-grad-a``, ``dL/dh * 1[a > 0]``.

    The mask comes from the pre-activation ``a``, not from ``h = relu(a)``.
    At exactly ``a == 0``, where ReLU has no derivative, the mask is 0 (as
    in PyTorch); the original post used 1 there.

    Parameters
    ----------
    dh : numpy.ndarray, shape (N, H)
        Upstream gradient dL/dh.
    a : numpy.ndarray, shape (N, H)
        The pre-activations of the forward pass.

    Returns
    -------
    numpy.ndarray, shape (N, H)
        dL/da, a new array: ``dh`` is never masked in place.

    Examples
    --------
    >>> relu_backward(np.array([5.0, 5.0, 5.0]), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 5.])
    """
    return np.where(a > 0, dh, 0.0)


def sse_loss(predictions, targets) -> float:
    """Sum of squared errors: equation ``eq-loss``, ``sum (yhat - y)**2``.

    A sum over all N * C entries, not a mean, and no factor 1/2.

    Parameters
    ----------
    predictions, targets : numpy.ndarray, shape (N, C)

    Returns
    -------
    float
    """
    diff = predictions - targets
    return float(np.sum(diff**2))


def sse_loss_backward(predictions, targets):
    """dL/dyhat: equation ``eq-grad-yhat``, ``2 (yhat - y)``.

    Parameters
    ----------
    predictions, targets : numpy.ndarray, shape (N, C)

    Returns
    -------
    numpy.ndarray, shape (N, C)
        A new array.
    """
    return 2.0 * (predictions - targets)


def forward(x, w1, w2) -> ForwardResult:
    """The forward pass: equations ``eq-forward-a`` to ``eq-forward-yhat``.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)

    Returns
    -------
    ForwardResult
        ``(a, h, predictions)``, shapes (N, H), (N, H), (N, C).
    """
    a = x @ w1
    h = relu(a)
    return ForwardResult(a, h, h @ w2)


def grad_w2(h, dpredictions):
    """dL/dw2: equation ``eq-grad-w2``, ``h.T @ dL/dyhat``.

    Parameters
    ----------
    h : numpy.ndarray, shape (N, H)
    dpredictions : numpy.ndarray, shape (N, C)

    Returns
    -------
    numpy.ndarray, shape (H, C)
        Shaped like ``w2``; the sum over the batch is inside the product.
    """
    return h.T @ dpredictions


def grad_h(dpredictions, w2):
    """dL/dh: equation ``eq-grad-h``, ``dL/dyhat @ w2.T``.

    Parameters
    ----------
    dpredictions : numpy.ndarray, shape (N, C)
    w2 : numpy.ndarray, shape (H, C)

    Returns
    -------
    numpy.ndarray, shape (N, H)
        Shaped like ``h``.
    """
    return dpredictions @ w2.T


def grad_w1(x, da, out=None):
    """dL/dw1: equation ``eq-grad-w1``, ``x.T @ dL/da``.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    da : numpy.ndarray, shape (N, H)
    out : numpy.ndarray, shape (D, H), optional
        Where to write the result, instead of a new array.

    Returns
    -------
    numpy.ndarray, shape (D, H)
        Shaped like ``w1`` (``out`` itself if given).
    """
    return np.matmul(x.T, da, out=out)


def backward(x, w2, a, h, dpredictions, out=None):
    """The backward pass from dL/dyhat: equations ``eq-grad-w2`` to ``eq-grad-w1``.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    w2 : numpy.ndarray, shape (H, C)
    a, h : numpy.ndarray, shape (N, H)
        Pre-activations and hidden activations of the forward pass.
    dpredictions : numpy.ndarray, shape (N, C)
        dL/dyhat.
    out : numpy.ndarray, shape (D, H), optional
        Where to write dL/dw1, instead of a new array.

    Returns
    -------
    dw1 : numpy.ndarray, shape (D, H)
    dw2 : numpy.ndarray, shape (H, C)
    """
    dw2 = grad_w2(h, dpredictions)
    dh = grad_h(dpredictions, w2)
    da = relu_backward(dh, a)
    dw1 = grad_w1(x, da, out=out)
    return dw1, dw2


def loss_and_gradients(x, y, w1, w2):
    """Loss and both weight gradients: the forward pass, then the backward pass.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)

    Returns
    -------
    loss : float
    dw1 : numpy.ndarray, shape (D, H)
    dw2 : numpy.ndarray, shape (H, C)
    """
    a, h, predictions = forward(x, w1, w2)
    loss = sse_loss(predictions, y)
    dpredictions = sse_loss_backward(predictions, y)
    dw1, dw2 = backward(x, w2, a, h, dpredictions)
    return loss, dw1, dw2


def dead_units(a):
    """Which hidden units are dead: ``a[:, j] <= 0`` for every sample.

    A dead unit outputs 0 on the whole batch, and the ReLU mask blocks its
    gradient everywhere, so full-batch gradient descent never revives it.

    Parameters
    ----------
    a : numpy.ndarray, shape (N, H)
        Pre-activations.

    Returns
    -------
    numpy.ndarray of bool, shape (H,)
    """
    return np.all(a <= 0.0, axis=0)


def hessian_vector_product(x, y, w1, w2, v1, v2):
    """The Hessian of the loss times a direction: equation ``eq-hvp``.

    Pearlmutter's R-operator, ``R{f} = d/dt f(w + t v)`` at ``t = 0``,
    applied to each line of the forward and backward passes; the ReLU mask
    ``A > 0`` does not move (its derivative is zero away from ``A = 0``), so
    the product is exact there.

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
    """
    a, h, predictions = forward(x, w1, w2)
    g = sse_loss_backward(predictions, y)    # dL/dyhat, (N, C)
    r_h = relu_backward(x @ v1, a)           # R{H~} = mask * R{A}, (N, H)
    r_g = 2.0 * (r_h @ w2 + h @ v2)          # R{dL/dyhat}, (N, C)
    hv2 = r_h.T @ g + h.T @ r_g              # R{dL/dW2}, (H, C)
    r_dh = r_g @ w2.T + g @ v2.T             # R{dL/dH~}, (N, H)
    hv1 = x.T @ relu_backward(r_dh, a)       # R{dL/dW1}, (D, H)
    return hv1, hv2


__all__ = [
    "ForwardResult",
    "backward",
    "dead_units",
    "forward",
    "grad_h",
    "grad_w1",
    "grad_w2",
    "hessian_vector_product",
    "loss_and_gradients",
    "relu",
    "relu_backward",
    "sse_loss",
    "sse_loss_backward",
]
