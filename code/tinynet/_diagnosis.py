"""The machinery of :mod:`tinynet.selfcheck`: its test problems, and how a wrong result is named.

Private to the package: the checks in :mod:`tinynet.selfcheck` are built from
these pieces. A check raises :class:`Mistake` with a diagnosis; the check's
runner turns it into a ``CheckResult``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from . import kernels
from .gradcheck import numerical_gradient

#: Relative tolerance of every comparison with a kernel (of the largest entry).
RTOL = 1e-9
#: Relative tolerance of the comparison with centred differences.
FD_RTOL = 1e-6
#: Step of the centred differences.
FD_EPS = 1e-6


# --------------------------------------------------------------------------
# The test problems
# --------------------------------------------------------------------------


class Problem(NamedTuple):
    x: np.ndarray
    y: np.ndarray
    w1: np.ndarray
    w2: np.ndarray
    exact: bool  # integer-valued, so any correct order of operations is exact

    @property
    def sizes(self):
        (n, d), (h, c) = self.x.shape, self.w2.shape
        return n, d, h, c


def integer_problem(n, d, h, c, seed) -> Problem:
    """Integer-valued arrays (exact in float64) with pre-activations exactly 0.

    Every hidden unit j gets one sample whose pre-activation a[n, j] is
    exactly 0, made by choosing the first entry of column j of w1; every
    sample's first input is +-1, so that entry stays an integer, and no row of
    x is zero, so the convention at 0 shows in dL/dW1 = x.T @ dL/da too.
    """
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(n, d)).astype(float)
    x[:, 0] = rng.choice([-1.0, 1.0], size=n)
    w1 = rng.integers(-2, 3, size=(d, h)).astype(float)
    for j in range(h):
        row = j % n
        w1[0, j] = -(x[row, 1:] @ w1[1:, j]) / x[row, 0]
    w2 = rng.integers(-2, 3, size=(h, c)).astype(float)
    w2[w2 == 0] = 1.0  # every unit reaches the output, so a mask error always shows
    y = rng.integers(-3, 4, size=(n, c)).astype(float)
    return Problem(x, y, w1, w2, True)


def smooth_problem(n, d, h, c, seed) -> Problem:
    """Normal arrays whose pre-activations stay at least 0.01 from the kink."""
    for attempt in range(1000):
        rng = np.random.default_rng([seed, attempt])
        x, y = rng.standard_normal((n, d)), rng.standard_normal((n, c))
        w1, w2 = rng.standard_normal((d, h)), rng.standard_normal((h, c))
        a = x @ w1
        if np.abs(a).min() > 0.01 and (a > 0).any() and (a < 0).any():
            return Problem(x, y, w1, w2, False)
    raise RuntimeError("no smooth problem found")  # pragma: no cover


#: The problems, one-output ones first: every size differs within a problem.
PROBLEMS = [
    integer_problem(7, 5, 4, 1, seed=0),
    smooth_problem(5, 4, 3, 1, seed=10),
    integer_problem(6, 5, 4, 3, seed=1),
    integer_problem(9, 2, 6, 3, seed=2),
    smooth_problem(5, 4, 3, 2, seed=11),
]


def steps(p: Problem):
    """Every array of the forward and backward pass of problem ``p``."""
    a, h, predictions = kernels.forward(p.x, p.w1, p.w2)
    dpred = kernels.sse_loss_backward(predictions, p.y)
    dh = kernels.grad_h(dpred, p.w2)
    da = kernels.relu_backward(dh, a)
    return dict(a=a, h=h, predictions=predictions, dpredictions=dpred, dh=dh, da=da,
                dw2=kernels.grad_w2(h, dpred), dw1=kernels.grad_w1(p.x, da))


def loss_of(p, w1=None, w2=None):
    w1 = p.w1 if w1 is None else w1
    w2 = p.w2 if w2 is None else w2
    return kernels.sse_loss(kernels.forward(p.x, w1, w2).predictions, p.y)


# --------------------------------------------------------------------------
# Comparing a result with the right one, and naming the difference
# --------------------------------------------------------------------------


class Mistake(Exception):
    """A diagnosis: raised inside a check, turned into a CheckResult."""

    def __init__(self, mistake, diagnosis, section):
        super().__init__(diagnosis)
        self.mistake, self.diagnosis, self.section = mistake, diagnosis, section


def fmt(shape) -> str:
    return str(tuple(int(s) for s in shape))


def as_array(what, got, section):
    """``got`` as a float64 NumPy array, or a Mistake that says what it is instead."""
    if got is None:
        raise Mistake("returned-none", f"{what} is None: is the function's return statement "
                       "missing?", section)
    if isinstance(got, dict):
        raise Mistake("type", f"{what} is a dict; return the arrays themselves, in a tuple.",
                       section)
    try:
        array = np.array(got, dtype=float)  # a copy: matrix, object or list become plain arrays
    except (TypeError, ValueError):
        raise Mistake("type", f"{what} should be an array of numbers, got "
                       f"{type(got).__name__}.", section) from None
    return array


def close(got, expected, rtol=RTOL) -> bool:
    """Equal shapes, and every entry within rtol of the largest expected entry."""
    if got.shape != np.shape(expected):
        return False
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    return bool(np.all(np.abs(got - expected) <= rtol * scale))


def factor_names(n, c, dyhat):
    """Scalar factors a wrong result may carry -> (mistake, what it means)."""
    sign = ("the error is yhat - y, not y - yhat" if dyhat else
            "a sign flipped somewhere on the way from 2 (yhat - y)")
    names = {
        0.5: ("missing-2", "it is half the right value: the factor 2 from differentiating the "
              "square, 2 (yhat - y), is missing"),
        2.0: ("extra-2", "it is twice the right value: a factor 2 too many"),
        -1.0: ("sign", f"it has the wrong sign: {sign}"),
        -2.0: ("sign", f"it has the wrong sign ({sign}) and a factor 2 too many"),
        -0.5: ("sign", f"it has the wrong sign ({sign}) and lacks the factor 2"),
    }
    means = [(n * c, f"N C = {n * c}, the mean over all entries" if c > 1 else
              f"N = {n} (= N C, since C = 1), the mean over the batch"),
             (n, f"N = {n}, the mean over the batch"),
             (2 * n * c, f"2 N C = {2 * n * c}, the mean of half the squares")]
    for divisor, what in means:
        names.setdefault(1.0 / divisor, ("mean", f"it is the right value divided by {what}: "
                                         "the book's loss is the sum of squared errors, not a mean"))
    return names


def diagnose_array(what, got, expected, p, *, shape_names, hint="", section="backward-transposes",
                    value_section="backward-loss-constants", dyhat=False, broadcast="backward-broadcast"):
    """Raise Mistake unless ``got`` equals ``expected``; name the difference."""
    n, d, h, c = p.sizes
    got = as_array(what, got, section)
    if got.shape != expected.shape:
        if got.shape == expected.T.shape and close(got.T, expected):
            raise Mistake("transposed",
                           f"{what} has shape {fmt(got.shape)}, but it must have the shape {shape_names} "
                           f"= {fmt(expected.shape)}: your result is the transpose of the right one. "
                           f"{hint}", "backward-transposes")
        if got.ndim == 2 and got.shape[0] == got.shape[1] == n and expected.shape != (n, n):
            raise Mistake("broadcast",
                           f"{what} has shape {fmt(got.shape)} instead of {fmt(expected.shape)}: "
                           f"NumPy broadcast a column of {n} against a 1-D array of {n} and made a "
                           f"table of {n} x {n}. Keep both arrays 2-D, shape ({n}, {c}).", broadcast)
        if got.ndim == 1 and got.size == expected.size:
            raise Mistake("flattened",
                           f"{what} is 1-D, shape {fmt(got.shape)}; keep it 2-D, shape "
                           f"{fmt(expected.shape)}.", "backward-broadcast")
        raise Mistake("shape", f"{what} has shape {fmt(got.shape)}, but it must have shape "
                       f"{shape_names} = {fmt(expected.shape)}. {hint}", section)
    if not np.all(np.isfinite(got)):
        raise Mistake("not-finite", f"{what} holds NaN or infinite values.", value_section)
    if close(got, expected):
        return
    norm = float(np.sum(expected * expected))
    if norm > 0:
        k = float(np.sum(got * expected)) / norm
        for factor, (mistake, words) in factor_names(n, c, dyhat).items():
            if math.isclose(k, factor, rel_tol=1e-6) and close(got, factor * expected):
                raise Mistake(mistake, f"{what}: {words}.", value_section)
    if close(got, expected, rtol=1e-5):
        raise Mistake("precision", f"{what} differs from the right values by about "
                       f"{float(np.max(np.abs(got - expected)) / np.max(np.abs(expected))):.0e} of the "
                       "largest entry: float32 (or integer) arithmetic somewhere? Compute in float64.",
                       value_section)
    raise Mistake("values", f"{what} has the right shape but wrong values "
                   f"(largest difference {float(np.max(np.abs(got - expected))):.3g}, "
                   f"largest right entry {float(np.max(np.abs(expected))):.3g}). {hint}", value_section)


def candidates(what, got, expected, wrong):
    """Raise the Mistake of the first wrong version (array, mistake, words, section) got equals."""
    for candidate, mistake, words, section in wrong:
        if close(got, candidate) and not close(candidate, expected):
            raise Mistake(mistake, f"{what}: {words}", section)


def raised(what, error, shapes, section):
    message = str(error).splitlines()[0] if str(error) else "(no message)"
    chain = any(word in message for word in ("matmul", "aligned", "broadcast", "shapes"))
    return Mistake("raised" if not chain else "shapes",
                    f"your {what} raised {type(error).__name__}: {message}. It was called with "
                    f"{shapes}." + (" The shapes do not chain: in a product P @ Q the columns of P "
                                    "must match the rows of Q; decide the transposes from the shapes."
                                    if chain else ""),
                    "backward-transposes" if chain else section)


def call(fn, args, names, what, section):
    """Call fn on copies of args; raise Mistake if it raises or edits its inputs."""
    copies = [np.array(a, copy=True) for a in args]
    shapes = ", ".join(f"{name} {fmt(a.shape)}" for name, a in zip(names, args))
    try:
        result = fn(*copies)
    except (Exception, SystemExit) as error:  # the reader's code may raise anything
        raise raised(what, error, shapes, section) from None
    for name, before, after in zip(names, args, copies):
        if np.array_equal(before, after):
            continue
        if what == "train" and name in ("w1", "w2"):
            raise Mistake("caller-weights", f"your train changed the caller's {name}: it updated "
                           f"it in place ({name} -= ...), so after training the caller's initial "
                           f"weights are the trained ones. Start from a copy, {name} = "
                           f"{name}.copy().", "training-train")
        raise Mistake("in-place",
                       f"your {what} changed its argument {name} in place (for example "
                       f"{name}[...] = 0 or {name} -= ...), so the caller's array is no longer "
                       f"what it was. Work on a copy, or build a new array (np.where does).",
                       {"relu_backward": "relu-backward", "train": "training-train"}.get(what, "backward-mask"))
    return result


def agrees_with_fd(what, got, f, w, section):
    if close(got, numerical_gradient(f, w, FD_EPS), rtol=FD_RTOL):
        return
    raise Mistake("finite-differences", f"{what} disagrees with centred differences of the loss.",
                   section)


def three(result, names, section, why=""):
    """The three parts of a result that must be a tuple (a, b, c), or a Mistake."""
    if result is None:
        raise Mistake("returned-none", "it returned None: is the return statement missing?", section)
    if isinstance(result, dict):
        raise Mistake("type", f"it returned a dict; return a tuple, ({names}).", section)
    if isinstance(result, np.ndarray) or not hasattr(result, "__len__") or len(result) != 3:
        got = type(result).__name__ + (f" of length {len(result)}" if hasattr(result, "__len__") else "")
        raise Mistake("return", f"it must return three things, ({names}), and returned {got}."
                       + (f" {why}" if why else ""), section)
    return tuple(result)


def mask_candidates(dh, a, expected_da):
    """Wrong versions of dL/da that learners write, with what each is."""
    at_zero = np.where(a == 0, dh, expected_da)  # differs only where a == 0 (if dh != 0 there)
    return [
        (at_zero, "mask-at-zero",
         "it differs from the right one only where a pre-activation is exactly 0: your mask lets "
         "(some of) the gradient through at a = 0. ReLU has no derivative there; the book (and "
         "PyTorch) uses 0, so the mask is a > 0, not a >= 0.", "relu-derivative"),
        (dh, "no-mask", "it equals dL/dh: the ReLU mask is missing. Zero the gradient where the "
         "unit was off, a <= 0.", "backward-mask"),
        (np.where(dh > 0, dh, 0.0), "mask-from-dh",
         "the mask comes from dh, the upstream gradient. It must come from the pre-activation a: "
         "the gradient passes where the unit was on, a > 0, whatever its sign.", "backward-mask"),
        (kernels.relu(a), "returned-relu",
         "it is relu(a), the forward value, not the masked upstream gradient dh * 1[a > 0].",
         "relu-backward"),
        ((a > 0).astype(float), "returned-mask",
         "it is the mask 1[a > 0] itself; multiply the upstream gradient dh by it.", "relu-backward"),
        (dh * a, "times-a", "it is dh times a. The derivative of ReLU is 0 or 1, not a: multiply "
         "by the mask 1[a > 0].", "relu-derivative"),
        (dh * kernels.relu(a), "times-a", "it is dh times relu(a). The derivative of ReLU is 0 or "
         "1: multiply by the mask 1[a > 0].", "relu-derivative"),
    ]


def mask_at_zero_only(got, expected, a) -> bool:
    """got equals expected wherever a != 0 and differs somewhere a == 0."""
    off_zero = a != 0
    return (got.shape == expected.shape and np.allclose(got[off_zero], expected[off_zero], rtol=RTOL, atol=0)
            and not close(got, expected))
