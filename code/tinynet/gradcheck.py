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


def column_indices(shape, rng, per_column=1):
    """Draw ``per_column`` distinct rows in every column of a 2-D array.

    A bug in one hidden unit corrupts one column of ``dL/dW1``; a sample of
    random entries of the whole matrix misses a given column often (20
    entries of a 1000 x 100 matrix miss it with probability 0.99**20, about
    82%). This sample checks every column.

    Parameters
    ----------
    shape : tuple of int, length 2
        ``(rows, columns)`` of the array, for example ``w1.shape`` = (D, H).
    rng : numpy.random.Generator
    per_column : int, default 1
        Entries per column; at most ``rows``.

    Returns
    -------
    list of tuple of int, length ``columns * per_column``
        Index tuples ``(i, j)``, column by column, ``j`` from 0 to
        ``columns - 1``.

    Raises
    ------
    ValueError
        If ``shape`` is not 2-D or ``per_column`` exceeds the rows.

    Examples
    --------
    >>> sorted({j for i, j in column_indices((1000, 4), np.random.default_rng(0))})
    [0, 1, 2, 3]
    """
    if len(tuple(shape)) != 2:
        raise ValueError(f"shape must be 2-D (rows, columns), got {tuple(shape)}")
    rows, columns = (check_positive_int("shape", int(n)) for n in shape)
    per_column = check_positive_int("per_column", per_column)
    check_generator("rng", rng)
    if per_column > rows:
        raise ValueError(
            f"per_column={per_column} exceeds the {rows} rows of shape {tuple(shape)}"
        )
    return [
        (int(i), j)
        for j in range(columns)
        for i in rng.choice(rows, size=per_column, replace=False)
    ]


def relative_error(a, b, floor=0.0) -> float:
    """Largest element-wise relative error between two arrays, with a floor.

    Implements equation ``eq-relative-error-floored``::

        max_i |a_i - b_i| / max(|a_i|, |b_i|, floor)

    which with ``floor=0`` (the default) is equation ``eq-relative-error``,
    with 0 where both entries are 0. The result is infinity if either array
    holds NaN or infinity. Round-off in a numerical gradient is absolute,
    about ``u |L| / eps``, so without a floor the smallest entries report the
    largest errors; a floor of a small fraction of the largest entry, such as
    ``1e-3 * np.abs(a).max()``, judges them on the gradient's scale. Below
    about 1e-7 two float64 gradients agree; above 1e-2 one of them is almost
    surely wrong (see the chapter *Checking gradients* for the thresholds).

    Parameters
    ----------
    a, b : numpy.ndarray, same shape
    floor : float, default 0.0
        The least denominator, a finite number >= 0, in the units of ``a``.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``a`` or ``b`` is not a numpy array, or ``floor`` not a real number.
    ValueError
        If the shapes differ (no broadcasting), or ``floor`` is negative or
        not finite.

    Examples
    --------
    >>> relative_error(np.array([1.0, 2.0]), np.array([1.0, 2.2]))
    0.09090909090909098
    >>> relative_error(np.array([1e-3, 2.0]), np.array([2e-3, 2.0]), floor=0.1)
    0.01
    """
    for name, value in (("a", a), ("b", b)):
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(value).__name__}")
    if isinstance(floor, bool) or not isinstance(floor, numbers.Real):
        raise TypeError(f"floor must be a real number, got {floor!r}")
    floor = float(floor)
    if not (math.isfinite(floor) and floor >= 0):
        raise ValueError(f"floor must be a finite number >= 0, got {floor!r}")
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
    scale = np.maximum(np.maximum(np.abs(a), np.abs(b)), floor)
    diff = np.abs(a - b)
    ratio = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
    return float(ratio.max())


def _scalar(value) -> float:
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if not isinstance(value, numbers.Real):
        raise TypeError(f"f must return a real scalar, got {type(value).__name__}")
    return float(value)
