"""The ReLU activation and its backward pass.

Book chapter: *The ReLU activation* (``book/01-relu.ipynb``).
"""

from __future__ import annotations

import numpy as np

from ._checks import check_same_shape


def relu(a):
    """Rectified linear unit, applied element by element.

    Implements equation ``eq-relu``: ``relu(a) = max(a, 0)``.

    Parameters
    ----------
    a : array_like of float, any shape
        Pre-activations. In the network, ``a`` has shape (N, H).

    Returns
    -------
    numpy.ndarray
        ``max(a, 0)``, a new array of the same shape as ``a``; ``a`` is not
        modified.

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return np.maximum(a, 0.0)


def relu_backward(dh, a):
    """Gradient of the loss with respect to the pre-activation, dL/da.

    Implements equation ``eq-grad-a``: ``dL/da = dL/dh * 1[a > 0]``, the
    upstream gradient with every entry where ``a <= 0`` set to zero.

    Convention at exactly 0: ReLU has no derivative at ``a == 0``; ``tinynet``
    uses 0 there (the mask is ``a > 0``), as PyTorch does. The original post
    zeroed only ``a < 0``, which uses 1 at zero. The two differ only where a
    pre-activation is exactly 0.0, which with continuous random data happens
    with probability zero.

    Parameters
    ----------
    dh : numpy.ndarray, shape (N, H)
        Upstream gradient dL/dh.
    a : numpy.ndarray, shape (N, H)
        The pre-activation that was passed to :func:`relu` in the forward
        pass. The mask comes from ``a``, not from ``h = relu(a)``.

    Returns
    -------
    numpy.ndarray, shape (N, H)
        dL/da, a new array; neither ``dh`` nor ``a`` is modified.

    Raises
    ------
    TypeError
        If ``dh`` or ``a`` is not a numpy array.
    ValueError
        If the shapes of ``dh`` and ``a`` differ (no broadcasting).

    Examples
    --------
    >>> relu_backward(np.array([5.0, 5.0, 5.0]), np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 5.])
    """
    for name, value in (("dh", dh), ("a", a)):
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    check_same_shape("dh", dh, "a", a)
    return _relu_backward(dh, a)


def _relu_backward(dh: np.ndarray, a: np.ndarray) -> np.ndarray:
    # np.where builds a new array, so dh is never masked in place.
    return np.where(a > 0, dh, 0.0)
