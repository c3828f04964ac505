"""Input validation shared by the public entry points of :mod:`tinynet`.

Every public function validates its arguments once, on entry, and raises a
``TypeError`` or ``ValueError`` that names the argument and its shape. The
hot loop in :func:`tinynet.train` validates once before it starts and then
runs on the checked arrays, so validation costs nothing per iteration.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_matrix(name: str, value, *, finite: bool = True) -> np.ndarray:
    """Return ``value`` if it is a 2-D floating-point NumPy array, else raise.

    Parameters
    ----------
    name : str
        The argument's name, used in the error message.
    value : object
        The value to check.
    finite : bool, default True
        Also reject NaN and infinity.

    Raises
    ------
    TypeError
        If ``value`` is not a ``numpy.ndarray`` of a real floating dtype.
    ValueError
        If ``value`` is not 2-D, or (with ``finite``) holds NaN or infinity.
    """
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"{name} must be a 2-D numpy array of floats, got {type(value).__name__}; "
            f"convert it with np.asarray({name}, dtype=float)"
        )
    if value.dtype.kind != "f":
        raise TypeError(
            f"{name} must hold floating-point numbers, got dtype {value.dtype}; "
            f"convert it with {name}.astype(float)"
        )
    if value.ndim != 2:
        hint = ""
        if value.ndim == 1:
            hint = f"; a column of {value.shape[0]} values is {name}.reshape(-1, 1)"
        raise ValueError(
            f"{name} must be 2-D (rows are samples), got shape {value.shape}{hint}"
        )
    if finite and not np.isfinite(value).all():
        bad = int(np.size(value) - np.count_nonzero(np.isfinite(value)))
        raise ValueError(
            f"{name} (shape {value.shape}) holds {bad} NaN or infinite value(s)"
        )
    return value


def check_same_shape(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have exactly the same shape.

    NumPy would broadcast, for example, shapes (128, 1) and (128,) to a
    (128, 128) result without a word; this check refuses instead.
    """
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} has shape {a.shape} but {name_b} has shape {b.shape}; they "
            f"must match exactly (NumPy would silently broadcast them to "
            f"{_broadcast_shape(a, b)})"
        )


def check_chain(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``a @ b`` chains: ``a.shape[1] == b.shape[0]``."""
    if a.shape[1] != b.shape[0]:
        raise ValueError(
            f"inner dimensions do not chain: {name_a} has shape {a.shape} and "
            f"{name_b} has shape {b.shape}, so {name_a} @ {name_b} needs "
            f"{name_a}.shape[1] == {name_b}.shape[0] ({a.shape[1]} != {b.shape[0]})"
        )


def check_rows(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same number of rows."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} has shape {a.shape} and {name_b} has shape {b.shape}: "
            f"both need one row per sample ({a.shape[0]} != {b.shape[0]})"
        )


def check_positive_int(name: str, value, *, allow_zero: bool = False) -> int:
    """Return ``value`` as an ``int`` if it is a positive (or non-negative) integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {kind} integer, got {value}")
    return int(value)


def check_positive_float(name: str, value) -> float:
    """Return ``value`` as a ``float`` if it is a positive finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return value


def check_sizes(rng, **sizes) -> tuple[int, ...]:
    """Check the array sizes and the generator of a random draw.

    Returns the sizes as ``int``, in the order given, after checking that
    each is a positive integer (the error names it) and that ``rng`` is a
    ``numpy.random.Generator``.
    """
    checked = tuple(check_positive_int(name, value) for name, value in sizes.items())
    check_generator("rng", rng)
    return checked


def check_generator(name: str, value) -> np.random.Generator:
    """Return ``value`` if it is a ``numpy.random.Generator``."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, such as "
            f"np.random.default_rng(0), got {type(value).__name__}"
        )
    return value


def _broadcast_shape(a: np.ndarray, b: np.ndarray) -> str:
    try:
        return str(np.broadcast_shapes(a.shape, b.shape))
    except ValueError:
        return "nothing (they do not broadcast)"
