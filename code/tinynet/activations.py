"""The ReLU activation and its backward pass, with checked arguments.

The computations are the kernels :func:`tinynet.kernels.relu` and
:func:`tinynet.kernels.relu_backward`; :func:`relu_backward` here checks its
arguments first.

Book chapter: *The ReLU activation* (``book/01-relu.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import kernels
from ._checks import check_same_shape
from .kernels import relu


def relu_backward(dh, a):
    """Gradient of the loss with respect to the pre-activation, dL/da.

    Implements equation ``eq-grad-a``: ``dL/da = dL/dh * 1[a > 0]``, the
    upstream gradient with every entry where ``a <= 0`` set to zero; checks
    its arguments, then calls :func:`tinynet.kernels.relu_backward`.

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
    return kernels.relu_backward(dh, a)


__all__ = ["relu", "relu_backward"]
