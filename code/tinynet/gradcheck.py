"""Numerical gradients by centered differences, and the relative error.

Book chapter: *Checking gradients* (``book/05-gradcheck.ipynb``).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._checks import check_generator, check_positive_float, check_positive_int


def numerical_gradient(f, w, eps=1e-5):
    """Gradient of a scalar function by centered differences, entry by entry.

    Implements equation ``eq-centered-difference``::

        df/dw[i] ~ (f(w + eps e_i) - f(w - eps e_i)) / (2 eps)

    Parameters
    ----------
    f : callable
        ``f(w) -> float``, a scalar function of an array shaped like ``w``.
    w : numpy.ndarray, any shape, float
        The point at which to differentiate; not modified. ``f`` is called
        with a float64 copy of ``w`` in which one entry at a time is shifted.
    eps : float, default 1e-5
        The step, a positive finite number.

    Returns
    -------
    numpy.ndarray, shape of ``w``, float64
        The numerical gradient. Costs ``2 * w.size`` calls of ``f``.

    Examples
    --------
    >>> numerical_gradient(lambda v: float(np.sum(v**2)), np.array([1.0, -2.0]))
    array([ 2., -4.])
    """
    return numerical_gradient_at(f, w, list(np.ndindex(np.shape(w))), eps).reshape(
        np.shape(w)
    )


def numerical_gradient_at(f, w, indices, eps=1e-5):
    """Centered-difference gradient of ``f`` at the listed entries of ``w`` only.

    Checking every entry of a (1000, 100) matrix costs 200,000 calls of
    ``f``; checking a random sample of entries (see :func:`random_indices`)
    catches the same bugs for a fraction of the cost.

    Parameters
    ----------
    f : callable
        ``f(w) -> float``.
    w : numpy.ndarray, float
        The point; not modified.
    indices : sequence of tuple of int
        The entries of ``w`` to differentiate, as index tuples.
    eps : float, default 1e-5
        The step.

    Returns
    -------
    numpy.ndarray, shape (len(indices),), float64
        The numerical partial derivatives, in the order of ``indices``.
    """
    if not callable(f):
        raise TypeError(f"f must be a callable f(w) -> float, got {type(f).__name__}")
    if not isinstance(w, np.ndarray) or w.dtype.kind != "f":
        raise TypeError(f"w must be a numpy array of floats, got {type(w).__name__}")
    eps = check_positive_float("eps", eps)
    point = w.astype(np.float64, copy=True)
    grad = np.empty(len(indices))
    for k, index in enumerate(indices):
        index = tuple(index)
        old = point[index]
        point[index] = old + eps
        f_plus = _scalar(f(point))
        point[index] = old - eps
        f_minus = _scalar(f(point))
        point[index] = old
        grad[k] = (f_plus - f_minus) / (2 * eps)
    return grad


def random_indices(shape, count, rng):
    """Draw ``count`` distinct index tuples into an array of ``shape``.

    Parameters
    ----------
    shape : tuple of int
    count : int
        How many entries; at most the number of entries in ``shape``.
    rng : numpy.random.Generator

    Returns
    -------
    list of tuple of int
    """
    count = check_positive_int("count", count)
    check_generator("rng", rng)
    size = int(np.prod(shape))
    if count > size:
        raise ValueError(f"count={count} exceeds the {size} entries of shape {tuple(shape)}")
    flat = rng.choice(size, size=count, replace=False)
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


def relative_error(a, b) -> float:
    """Largest element-wise relative error between two arrays.

    Implements equation ``eq-relative-error``::

        max_i |a_i - b_i| / max(|a_i|, |b_i|)

    with 0 where both entries are 0, and infinity if either array holds NaN
    or infinity. Below about 1e-7 two float64 gradients
    agree; above 1e-2 one of them is almost surely wrong (see the chapter
    *Checking gradients* for the thresholds).

    Parameters
    ----------
    a, b : numpy.ndarray, same shape

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If an argument is not a numpy array.
    ValueError
        If the shapes differ (no broadcasting).

    Examples
    --------
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.2]))
    0.09090909090909098
    """
    for name, value in (("a", a), ("b", b)):
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    if a.shape != b.shape:
        raise ValueError(
            f"a has shape {a.shape} but b has shape {b.shape}; they must match exactly"
        )
    if a.size == 0:
        return 0.0
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return math.inf  # a NaN or inf gradient fails every threshold
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    scale = np.maximum(np.abs(a), np.abs(b))
    diff = np.abs(a - b)
    ratio = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
    return float(ratio.max())


def _scalar(value) -> float:
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise TypeError(f"f must return a real scalar, got {type(value).__name__}")
    return float(value)
