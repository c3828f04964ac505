"""Check your own implementation of each step, and be told what is wrong.

One function per thing a reader writes: :func:`check_forward`,
:func:`check_sse_loss_backward`, :func:`check_grad_w2`, :func:`check_grad_h`,
:func:`check_relu_backward`, :func:`check_grad_w1`,
:func:`check_loss_and_gradients` and :func:`check_train`. Each takes your
function, which has the signature of the :mod:`tinynet` function of the same
name, and returns a :class:`CheckResult`: ``ok``, a ``diagnosis`` in plain
words (empty when ``ok``) and the label of the book ``section`` that
explains the mistake. In a notebook the result shows as a short report; it
never raises because your function does.

How a check works. Your function runs on small problems whose sizes N, D, H
and C all differ, so that a transposed result cannot have the right shape;
with one output (C = 1) and with three, since C = 1 hides the broadcasting
and transposition bugs that C = 3 exposes; with integer-valued inputs, so
that every correct order of summation gives exactly the same numbers, and
with pre-activations that are exactly 0, where the convention of the ReLU
derivative matters. Each result is compared with the :mod:`tinynet` kernel
of the same name and, for the gradients, with centred differences of the
loss. A result that is wrong is then compared with the results of the
classic mistakes (a transpose, a factor 2, a mean instead of a sum, a flipped
sign, a missing mask or one taken from the wrong array, ...), and the one it
matches is named.

Tolerances. Results must agree with the kernels to a relative 1e-9 of the
largest entry. The integer problems are computed exactly in float64 by any
correct order of operations, and the others carry round-off of about 1e-15,
so a correct function written any other way (einsum, loops, ``np.where``,
``np.heaviside``, ...) passes with a wide margin, while every mistake above
changes the result at the level of the result itself. Centred differences
(step 1e-6, on problems whose pre-activations stay at least 0.01 from 0)
agree with a correct gradient to about 1e-8, and must to 1e-6.
"""

from __future__ import annotations

import html
import math
from typing import NamedTuple

import numpy as np

from . import kernels
from .gradcheck import numerical_gradient
from .training import gradient_descent

#: The published book; the report links each diagnosis to its section there.
BOOK_URL = "https://tinynet-book.github.io/tinynet-book/"

#: The sections a diagnosis refers to: label -> (number, title, page).
#: tests/site checks that each number and title is the built book's.
SECTIONS = {
    "relu-derivative": ("1.3", "The derivative, and the point where it does not exist", "book/01-relu.html"),
    "relu-backward": ("1.4", "The backward pass of ReLU: a mask", "book/01-relu.html"),
    "forward-equations": ("3.1", "Three lines of forward pass", "book/03-forward.html"),
    "forward-shapes": ("3.1.1", "Checking the shapes", "book/03-forward.html"),
    "forward-loss": ("3.2", "The loss", "book/03-forward.html"),
    "forward-sum-mean": ("3.2.1", "Sum, not mean", "book/03-forward.html"),
    "forward-broadcast": ("3.5", "A silent broadcast", "book/03-forward.html"),
    "backward-grad-yhat": ("4.3", "The gradient with respect to the predictions", "book/04-backward.html"),
    "backward-loss-constants": ("4.3.1", "Stumbling block: the factor 2, and sum versus mean", "book/04-backward.html"),
    "backward-grad-w2": ("4.4", "The gradient with respect to W2", "book/04-backward.html"),
    "backward-grad-h": ("4.5", "The gradient with respect to the hidden activations", "book/04-backward.html"),
    "backward-grad-a": ("4.6", "The gradient with respect to the pre-activations: the ReLU mask", "book/04-backward.html"),
    "backward-mask": ("4.6.1", "Stumbling block: the ReLU mask", "book/04-backward.html"),
    "backward-grad-w1": ("4.7", "The gradient with respect to W1", "book/04-backward.html"),
    "backward-transposes": ("4.8", "Stumbling block: transposes and the order of products", "book/04-backward.html"),
    "backward-broadcast": ("4.9", "Stumbling block: the silent broadcast of (N, 1) against (N,)", "book/04-backward.html"),
    "backward-six-lines": ("4.10", "The whole backward pass in six lines", "book/04-backward.html"),
    "training-update": ("6.1", "The gradient-descent update", "book/06-training.html"),
    "training-train": ("6.2", "The training loop in tinynet", "book/06-training.html"),
}

#: Relative tolerance of every comparison with a kernel (of the largest entry).
RTOL = 1e-9
#: Relative tolerance of the comparison with centred differences.
FD_RTOL = 1e-6
#: Step of the centred differences.
FD_EPS = 1e-6


class CheckResult:
    """The verdict on one function: ``ok``, ``diagnosis``, ``section``.

    Attributes
    ----------
    name : str
        The function that was checked, such as ``"grad_w2"``.
    ok : bool
        True if the function passed every problem.
    diagnosis : str
        What is wrong, in plain words; empty when ``ok``.
    section : str
        The label of the book section that explains the mistake (or, when
        ``ok``, the one that derives the function).
    mistake : str
        A short name of the mistake found (``"transposed"``, ``"factor"``,
        ``"mask-at-zero"``, ...); empty when ``ok``.
    """

    def __init__(self, name, ok, diagnosis="", section="", mistake=""):
        self.name = name
        self.ok = bool(ok)
        self.diagnosis = diagnosis
        self.section = section
        self.mistake = mistake

    @property
    def url(self) -> str:
        """The address of ``section`` on the published book."""
        page = SECTIONS[self.section][2] if self.section in SECTIONS else ""
        return f"{BOOK_URL}{page}#{self.section}" if page else BOOK_URL

    def _where(self) -> str:
        if self.section not in SECTIONS:
            return ""
        number, title, _ = SECTIONS[self.section]
        return f"Section {number}, {title}"

    def __repr__(self) -> str:
        if self.ok:
            return f"PASS {self.name}: correct on every test problem."
        where = self._where()
        return f"FAIL {self.name}: {self.diagnosis}" + (f"\nSee {where}: {self.url}" if where else "")

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#b3261e"
        if self.ok:
            body = "correct on every test problem."
        else:
            body = html.escape(self.diagnosis)
            where = self._where()
            if where:
                body += (f'<br>See <a href="{html.escape(self.url)}">{html.escape(where)}</a>.')
        verdict = "PASS" if self.ok else "FAIL"
        return (f'<div class="tinynet-selfcheck" style="border-left: 4px solid {colour}; '
                f'padding: 0.3em 0.8em; margin: 0.3em 0"><strong style="color: {colour}">'
                f"{verdict}</strong> <code>{html.escape(self.name)}</code>: {body}</div>")


# --------------------------------------------------------------------------
# The test problems
# --------------------------------------------------------------------------


class _Problem(NamedTuple):
    x: np.ndarray
    y: np.ndarray
    w1: np.ndarray
    w2: np.ndarray
    exact: bool  # integer-valued, so any correct order of operations is exact

    @property
    def sizes(self):
        (n, d), (h, c) = self.x.shape, self.w2.shape
        return n, d, h, c


def _integer_problem(n, d, h, c, seed) -> _Problem:
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
    return _Problem(x, y, w1, w2, True)


def _smooth_problem(n, d, h, c, seed) -> _Problem:
    """Normal arrays whose pre-activations stay at least 0.01 from the kink."""
    for attempt in range(1000):
        rng = np.random.default_rng([seed, attempt])
        x, y = rng.standard_normal((n, d)), rng.standard_normal((n, c))
        w1, w2 = rng.standard_normal((d, h)), rng.standard_normal((h, c))
        a = x @ w1
        if np.abs(a).min() > 0.01 and (a > 0).any() and (a < 0).any():
            return _Problem(x, y, w1, w2, False)
    raise RuntimeError("no smooth problem found")  # pragma: no cover


#: The problems, one-output ones first: every size differs within a problem.
_PROBLEMS = [
    _integer_problem(7, 5, 4, 1, seed=0),
    _smooth_problem(5, 4, 3, 1, seed=10),
    _integer_problem(6, 5, 4, 3, seed=1),
    _integer_problem(9, 2, 6, 3, seed=2),
    _smooth_problem(5, 4, 3, 2, seed=11),
]


def _steps(p: _Problem):
    """Every array of the forward and backward pass of problem ``p``."""
    a, h, predictions = kernels.forward(p.x, p.w1, p.w2)
    dpred = kernels.sse_loss_backward(predictions, p.y)
    dh = kernels.grad_h(dpred, p.w2)
    da = kernels.relu_backward(dh, a)
    return dict(a=a, h=h, predictions=predictions, dpredictions=dpred, dh=dh, da=da,
                dw2=kernels.grad_w2(h, dpred), dw1=kernels.grad_w1(p.x, da))


def _loss_of(p, w1=None, w2=None):
    w1 = p.w1 if w1 is None else w1
    w2 = p.w2 if w2 is None else w2
    return kernels.sse_loss(kernels.forward(p.x, w1, w2).predictions, p.y)


# --------------------------------------------------------------------------
# Comparing a result with the right one, and naming the difference
# --------------------------------------------------------------------------


class _Mistake(Exception):
    """A diagnosis: raised inside a check, turned into a CheckResult."""

    def __init__(self, mistake, diagnosis, section):
        super().__init__(diagnosis)
        self.mistake, self.diagnosis, self.section = mistake, diagnosis, section


def _fmt(shape) -> str:
    return str(tuple(int(s) for s in shape))


def _as_array(what, got, section):
    """``got`` as a float64 NumPy array, or a _Mistake that says what it is instead."""
    if got is None:
        raise _Mistake("returned-none", f"{what} is None: is the function's return statement "
                       "missing?", section)
    if isinstance(got, dict):
        raise _Mistake("type", f"{what} is a dict; return the arrays themselves, in a tuple.",
                       section)
    try:
        array = np.array(got, dtype=float)  # a copy: matrix, object or list become plain arrays
    except (TypeError, ValueError):
        raise _Mistake("type", f"{what} should be an array of numbers, got "
                       f"{type(got).__name__}.", section) from None
    return array


def _close(got, expected, rtol=RTOL) -> bool:
    """Equal shapes, and every entry within rtol of the largest expected entry."""
    if got.shape != np.shape(expected):
        return False
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    return bool(np.all(np.abs(got - expected) <= rtol * scale))


def _factor_names(n, c, dyhat):
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


def _diagnose_array(what, got, expected, p, *, shape_names, hint="", section="backward-transposes",
                    value_section="backward-loss-constants", dyhat=False, broadcast="backward-broadcast"):
    """Raise _Mistake unless ``got`` equals ``expected``; name the difference."""
    n, d, h, c = p.sizes
    got = _as_array(what, got, section)
    if got.shape != expected.shape:
        if got.shape == expected.T.shape and _close(got.T, expected):
            raise _Mistake("transposed",
                           f"{what} has shape {_fmt(got.shape)}, but it must have the shape {shape_names} "
                           f"= {_fmt(expected.shape)}: your result is the transpose of the right one. "
                           f"{hint}", "backward-transposes")
        if got.ndim == 2 and got.shape[0] == got.shape[1] == n and expected.shape != (n, n):
            raise _Mistake("broadcast",
                           f"{what} has shape {_fmt(got.shape)} instead of {_fmt(expected.shape)}: "
                           f"NumPy broadcast a column of {n} against a 1-D array of {n} and made a "
                           f"table of {n} x {n}. Keep both arrays 2-D, shape ({n}, {c}).", broadcast)
        if got.ndim == 1 and got.size == expected.size:
            raise _Mistake("flattened",
                           f"{what} is 1-D, shape {_fmt(got.shape)}; keep it 2-D, shape "
                           f"{_fmt(expected.shape)}.", "backward-broadcast")
        raise _Mistake("shape", f"{what} has shape {_fmt(got.shape)}, but it must have shape "
                       f"{shape_names} = {_fmt(expected.shape)}. {hint}", section)
    if not np.all(np.isfinite(got)):
        raise _Mistake("not-finite", f"{what} holds NaN or infinite values.", value_section)
    if _close(got, expected):
        return
    norm = float(np.sum(expected * expected))
    if norm > 0:
        k = float(np.sum(got * expected)) / norm
        for factor, (mistake, words) in _factor_names(n, c, dyhat).items():
            if math.isclose(k, factor, rel_tol=1e-6) and _close(got, factor * expected):
                raise _Mistake(mistake, f"{what}: {words}.", value_section)
    if _close(got, expected, rtol=1e-5):
        raise _Mistake("precision", f"{what} differs from the right values by about "
                       f"{float(np.max(np.abs(got - expected)) / np.max(np.abs(expected))):.0e} of the "
                       "largest entry: float32 (or integer) arithmetic somewhere? Compute in float64.",
                       value_section)
    raise _Mistake("values", f"{what} has the right shape but wrong values "
                   f"(largest difference {float(np.max(np.abs(got - expected))):.3g}, "
                   f"largest right entry {float(np.max(np.abs(expected))):.3g}). {hint}", value_section)


def _candidates(what, got, expected, candidates):
    """Raise the _Mistake of the first candidate (array, mistake, words, section) got equals."""
    for candidate, mistake, words, section in candidates:
        if _close(got, candidate) and not _close(candidate, expected):
            raise _Mistake(mistake, f"{what}: {words}", section)


def _raised(what, error, shapes, section):
    message = str(error).splitlines()[0] if str(error) else "(no message)"
    chain = any(word in message for word in ("matmul", "aligned", "broadcast", "shapes"))
    return _Mistake("raised" if not chain else "shapes",
                    f"your {what} raised {type(error).__name__}: {message}. It was called with "
                    f"{shapes}." + (" The shapes do not chain: in a product P @ Q the columns of P "
                                    "must match the rows of Q; decide the transposes from the shapes."
                                    if chain else ""),
                    "backward-transposes" if chain else section)


def _call(fn, args, names, what, section):
    """Call fn on copies of args; raise _Mistake if it raises or edits its inputs."""
    copies = [np.array(a, copy=True) for a in args]
    shapes = ", ".join(f"{name} {_fmt(a.shape)}" for name, a in zip(names, args))
    try:
        result = fn(*copies)
    except (Exception, SystemExit) as error:  # the reader's code may raise anything
        raise _raised(what, error, shapes, section) from None
    for name, before, after in zip(names, args, copies):
        if np.array_equal(before, after):
            continue
        if what == "train" and name in ("w1", "w2"):
            raise _Mistake("caller-weights", f"your train changed the caller's {name}: it updated "
                           f"it in place ({name} -= ...), so after training the caller's initial "
                           f"weights are the trained ones. Start from a copy, {name} = "
                           f"{name}.copy().", "training-train")
        raise _Mistake("in-place",
                       f"your {what} changed its argument {name} in place (for example "
                       f"{name}[...] = 0 or {name} -= ...), so the caller's array is no longer "
                       f"what it was. Work on a copy, or build a new array (np.where does).",
                       {"relu_backward": "relu-backward", "train": "training-train"}.get(what, "backward-mask"))
    return result


def _run(name, check, section):
    """Run check(problem) on every problem; turn the first mistake into a result."""
    single_output_passed = True
    for p in _PROBLEMS:
        n, d, h, c = p.sizes
        try:
            check(p)
        except _Mistake as m:
            diagnosis = m.diagnosis.strip()
            if c > 1 and single_output_passed and m.mistake not in ("in-place", "precision"):
                diagnosis = (f"your {name} is right with one output (C = 1) but wrong with C = {c} "
                             f"(N, D, H, C = {n}, {d}, {h}, {c}): {diagnosis}")
                return CheckResult(name, False, diagnosis, m.section, f"one-output/{m.mistake}")
            diagnosis = f"on a problem with N, D, H, C = {n}, {d}, {h}, {c}: {diagnosis}"
            return CheckResult(name, False, diagnosis, m.section, m.mistake)
        except Exception as error:  # a result the checks did not foresee: still no traceback
            return CheckResult(name, False, f"your {name} returned something the check cannot "
                               f"compare ({type(error).__name__}: {error}); return float64 NumPy "
                               "arrays of the shapes the book gives.", section, "unexpected")
        if c > 1:
            single_output_passed = False  # only the one-output problems come first
    return CheckResult(name, True, "", section)


def _check_callable(name, fn):
    if callable(fn):
        return None
    hint = (" Pass the function itself, without calling it: "
            f"check_{name}(my_{name}), not check_{name}(my_{name}(...))."
            if isinstance(fn, (np.ndarray, tuple, list, float)) else "")
    return CheckResult(name, False, f"check_{name} needs your function, got "
                       f"{type(fn).__name__}.{hint}", "", "not-callable")


def _agrees_with_fd(what, got, f, w, section):
    if _close(got, numerical_gradient(f, w, FD_EPS), rtol=FD_RTOL):
        return
    raise _Mistake("finite-differences", f"{what} disagrees with centred differences of the loss.",
                   section)


def _three(result, names, section, why=""):
    """The three parts of a result that must be a tuple (a, b, c), or a _Mistake."""
    if result is None:
        raise _Mistake("returned-none", "it returned None: is the return statement missing?", section)
    if isinstance(result, dict):
        raise _Mistake("type", f"it returned a dict; return a tuple, ({names}).", section)
    if isinstance(result, np.ndarray) or not hasattr(result, "__len__") or len(result) != 3:
        got = type(result).__name__ + (f" of length {len(result)}" if hasattr(result, "__len__") else "")
        raise _Mistake("return", f"it must return three things, ({names}), and returned {got}."
                       + (f" {why}" if why else ""), section)
    return tuple(result)


def _mask_candidates(dh, a, expected_da):
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


def _mask_at_zero_only(got, expected, a) -> bool:
    """got equals expected wherever a != 0 and differs somewhere a == 0."""
    off_zero = a != 0
    return (got.shape == expected.shape and np.allclose(got[off_zero], expected[off_zero], rtol=RTOL, atol=0)
            and not _close(got, expected))


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------


def check_sse_loss_backward(fn) -> CheckResult:
    """Check ``fn(predictions, targets)``, your dL/dyhat (equation ``eq-grad-yhat``)."""
    if (bad := _check_callable("sse_loss_backward", fn)) is not None:
        return bad

    def check(p):
        predictions = kernels.forward(p.x, p.w1, p.w2).predictions
        got = _call(fn, (predictions, p.y), ("predictions", "targets"), "sse_loss_backward",
                    "backward-grad-yhat")
        got = _as_array("dL/dyhat", got, "backward-grad-yhat")
        _candidates("dL/dyhat", got, kernels.sse_loss_backward(predictions, p.y), [
            ((predictions - p.y) ** 2, "squared", "it is the squared errors, the terms of the loss; "
             "their derivative is 2 (yhat - y).", "backward-grad-yhat")])
        _diagnose_array("dL/dyhat", got, kernels.sse_loss_backward(predictions, p.y), p,
                        shape_names="(N, C)", section="backward-grad-yhat", dyhat=True,
                        broadcast="forward-broadcast")
        if not p.exact:
            _agrees_with_fd("dL/dyhat", got, lambda q: kernels.sse_loss(q, p.y), predictions,
                            "backward-grad-yhat")

    return _run("sse_loss_backward", check, "backward-grad-yhat")


def check_grad_w2(fn) -> CheckResult:
    """Check ``fn(h, dpredictions)``, your dL/dW2 (equation ``eq-grad-w2``)."""
    if (bad := _check_callable("grad_w2", fn)) is not None:
        return bad

    def check(p):
        s = _steps(p)
        got = _call(fn, (s["h"], s["dpredictions"]), ("h", "dpredictions"), "grad_w2",
                    "backward-grad-w2")
        _diagnose_array("dL/dW2", got, s["dw2"], p, shape_names="(H, C), like W2",
                        hint="Use h.T @ dpredictions: (H, N) times (N, C).")
        if not p.exact:
            _agrees_with_fd("dL/dW2", _as_array("dL/dW2", got, "backward-grad-w2"),
                            lambda w: _loss_of(p, w2=w), p.w2, "backward-grad-w2")

    return _run("grad_w2", check, "backward-grad-w2")


def check_grad_h(fn) -> CheckResult:
    """Check ``fn(dpredictions, w2)``, your dL/dh (equation ``eq-grad-h``)."""
    if (bad := _check_callable("grad_h", fn)) is not None:
        return bad

    def check(p):
        s = _steps(p)
        got = _call(fn, (s["dpredictions"], p.w2), ("dpredictions", "w2"), "grad_h",
                    "backward-grad-h")
        _diagnose_array("dL/dh", got, s["dh"], p, shape_names="(N, H), like h",
                        hint="Use dpredictions @ w2.T: (N, C) times (C, H).")
        if not p.exact:
            _agrees_with_fd("dL/dh", _as_array("dL/dh", got, "backward-grad-h"),
                            lambda hh: kernels.sse_loss(hh @ p.w2, p.y), s["h"], "backward-grad-h")

    return _run("grad_h", check, "backward-grad-h")


def check_relu_backward(fn) -> CheckResult:
    """Check ``fn(dh, a)``, your dL/da (equation ``eq-grad-a``)."""
    if (bad := _check_callable("relu_backward", fn)) is not None:
        return bad

    def check(p):
        s = _steps(p)
        dh, a, expected = s["dh"], s["a"], s["da"]
        got = _call(fn, (dh, a), ("dh", "a"), "relu_backward", "backward-grad-a")
        if isinstance(got, np.ma.MaskedArray):
            raise _Mistake("masked-array", "dL/da is a NumPy masked array: its masked entries are "
                           "hidden, not zero. Call .filled(0), or use np.where.", "backward-mask")
        got = _as_array("dL/da", got, "backward-grad-a")
        if _close(got, expected):
            return
        if _mask_at_zero_only(got, expected, a):
            raise _Mistake("mask-at-zero", _mask_candidates(dh, a, expected)[0][2], "relu-derivative")
        _candidates("dL/da", got, expected, _mask_candidates(dh, a, expected)[1:])
        _diagnose_array("dL/da", got, expected, p, shape_names="(N, H), like a",
                        section="backward-mask")

    return _run("relu_backward", check, "backward-grad-a")


def check_grad_w1(fn) -> CheckResult:
    """Check ``fn(x, da)``, your dL/dW1 (equation ``eq-grad-w1``)."""
    if (bad := _check_callable("grad_w1", fn)) is not None:
        return bad

    def check(p):
        s = _steps(p)
        got = _call(fn, (p.x, s["da"]), ("x", "da"), "grad_w1", "backward-grad-w1")
        _diagnose_array("dL/dW1", got, s["dw1"], p, shape_names="(D, H), like W1",
                        hint="Use x.T @ da: (D, N) times (N, H).")
        if not p.exact:
            _agrees_with_fd("dL/dW1", _as_array("dL/dW1", got, "backward-grad-w1"),
                            lambda w: _loss_of(p, w1=w), p.w1, "backward-grad-w1")

    return _run("grad_w1", check, "backward-grad-w1")


def check_forward(fn) -> CheckResult:
    """Check ``fn(x, w1, w2)``, your forward pass returning ``(a, h, predictions)``."""
    if (bad := _check_callable("forward", fn)) is not None:
        return bad

    def check(p):
        s = _steps(p)
        result = _call(fn, (p.x, p.w1, p.w2), ("x", "w1", "w2"), "forward", "forward-equations")
        a, h, predictions = (_as_array(name, value, "forward-equations") for name, value in zip(
            ("a", "h", "predictions"),
            _three(result, "a, h, predictions", "forward-equations",
                   "The backward pass needs a and h again, not only the predictions.")))
        if _close(a, s["h"]) and _close(h, s["a"]):
            raise _Mistake("swapped", "a and h are swapped: return (a, h, predictions).",
                           "forward-equations")
        if _close(a, s["h"]) and not _close(s["h"], s["a"]):
            raise _Mistake("relu-in-place", "a equals relu(x @ w1): the ReLU was applied to a in "
                           "place (h = a; h[h < 0] = 0, or np.maximum(a, 0, out=a)), so a lost its "
                           "negative entries, which the backward pass needs. Use "
                           "h = np.maximum(a, 0), a new array.", "forward-equations")
        _diagnose_array("a", a, s["a"], p, shape_names="(N, H)",
                        hint="a = x @ w1: (N, D) times (D, H).", section="forward-shapes",
                        value_section="forward-equations")
        if h.shape in ((p.sizes[2],), (p.sizes[0],)):
            raise _Mistake("max-reduces", f"h has shape {_fmt(h.shape)}: np.max(a, 0) reduces along "
                           "an axis. ReLU compares every entry with 0: np.maximum(a, 0).",
                           "forward-equations")
        if _close(h, a) and not _close(a, s["h"]):
            raise _Mistake("no-relu", "h equals a: the ReLU is missing. h = np.maximum(a, 0).",
                           "forward-equations")
        _diagnose_array("h", h, s["h"], p, shape_names="(N, H)", section="forward-equations",
                        value_section="forward-equations")
        _candidates("predictions", predictions, s["predictions"], [
            (a @ p.w2, "from-a", "they are a @ w2: they must come from the hidden activations, "
             "h @ w2, after the ReLU.", "forward-equations")])
        _diagnose_array("predictions", predictions, s["predictions"], p, shape_names="(N, C)",
                        hint="predictions = h @ w2: (N, H) times (H, C).", section="forward-shapes",
                        value_section="forward-equations")

    return _run("forward", check, "forward-equations")


def check_loss_and_gradients(fn) -> CheckResult:
    """Check ``fn(x, y, w1, w2)``, returning ``(loss, dw1, dw2)`` for the sum of squares."""
    if (bad := _check_callable("loss_and_gradients", fn)) is not None:
        return bad

    def check(p):
        s = _steps(p)
        result = _call(fn, (p.x, p.y, p.w1, p.w2), ("x", "y", "w1", "w2"), "loss_and_gradients",
                       "backward-six-lines")
        loss, dw1, dw2 = _three(result, "loss, dw1, dw2", "backward-six-lines")
        expected = _loss_of(p)
        if isinstance(loss, (str, bytes)) or np.size(loss) != 1:
            raise _Mistake("loss-type", f"the loss must be one number, got {type(loss).__name__} "
                           f"of shape {_fmt(np.shape(loss))}; np.sum((predictions - y) ** 2) is one.",
                           "forward-loss")
        loss = float(np.asarray(loss, dtype=float).reshape(()))
        if not math.isclose(loss, expected, rel_tol=RTOL):
            n, _, _, c = p.sizes
            for factor, (mistake, words) in _factor_names(n, c, True).items():
                if factor > 0 and math.isclose(loss, factor * expected, rel_tol=1e-6):
                    raise _Mistake(f"loss-{mistake}", f"the loss is {factor:.4g} times the sum of "
                                   "squared errors: the book's loss is the sum, with no factor 1/2 "
                                   "and no division by N or N C.", "forward-sum-mean")
            raise _Mistake("loss", f"the loss is {loss:.6g}, the sum of squared errors is "
                           f"{expected:.6g}.", "forward-loss")
        dw1 = _as_array("dw1", dw1, "backward-six-lines")
        dw2 = _as_array("dw2", dw2, "backward-six-lines")
        if _close(dw1, s["dw2"]) and _close(dw2, s["dw1"]):
            raise _Mistake("swapped", "dw1 and dw2 are swapped: return (loss, dw1, dw2).",
                           "backward-six-lines")
        _diagnose_array("dw2", dw2, s["dw2"], p, shape_names="(H, C), like W2",
                        hint="dw2 = h.T @ dpredictions.", dyhat=True)
        _candidates("dw1", dw1, s["dw1"], [
            (p.x.T @ candidate, mistake, f"it is x.T @ da with a wrong da: {words}", section)
            for candidate, mistake, words, section in _mask_candidates(s["dh"], s["a"], s["da"])])
        _diagnose_array("dw1", dw1, s["dw1"], p, shape_names="(D, H), like W1",
                        hint="dw1 = x.T @ da, with da the masked dh.", section="backward-six-lines",
                        dyhat=True)

    return _run("loss_and_gradients", check, "backward-six-lines")


def _one_step_factor(step, right_step):
    """k if step == k * right_step for one scalar k, else None."""
    norm = float(np.sum(right_step * right_step))
    if norm == 0:
        return None
    k = float(np.sum(step * right_step)) / norm
    return k if _close(step, k * right_step, rtol=1e-6) else None


def check_train(fn) -> CheckResult:
    """Check ``fn(x, y, w1, w2, num_loops, learning_rate)``, returning ``(w1, w2, losses)``.

    ``losses[i]`` must be the loss before update ``i``, and none of the
    caller's arrays may change.
    """
    if (bad := _check_callable("train", fn)) is not None:
        return bad
    num_loops = 4

    def run(p, loops, lr):
        result = _call(lambda *args: fn(*args, loops, lr), (p.x, p.y, p.w1, p.w2),
                       ("x", "y", "w1", "w2"), "train", "training-train")
        return (_as_array(name, value, "training-train") for name, value in zip(
            ("w1", "w2", "losses"), _three(result, "w1, w2, losses", "training-train")))

    def check(p):
        lr = 1e-3
        w1, w2, losses = run(p, num_loops, lr)
        right = gradient_descent(p.x, p.y, p.w1, p.w2, num_loops, lr)
        if losses.shape != (num_loops,):
            raise _Mistake("losses-length", f"losses has shape {_fmt(losses.shape)}; it needs one "
                           f"loss per update, {num_loops} for num_loops={num_loops}.", "training-train")
        after = gradient_descent(p.x, p.y, p.w1, p.w2, num_loops + 1, lr).losses[1:]
        if _close(losses, after) and not _close(after, right.losses):
            raise _Mistake("loss-after", "losses[i] is the loss after update i; it must be the "
                           "loss before it, so that losses[0] is the loss of the untrained network.",
                           "training-train")
        if w1.shape == p.w2.shape and w2.shape == p.w1.shape:
            raise _Mistake("swapped", "w1 and w2 are swapped: return (w1, w2, losses).", "training-train")
        # One update, weight by weight: is the step -lr * dL/dw times a known factor?
        one1, one2, _ = run(p, 1, lr)
        _, dw1, dw2 = kernels.loss_and_gradients(p.x, p.y, p.w1, p.w2)
        n, _, _, c = p.sizes
        for name, got, start, grad in (("w1", one1, p.w1, dw1), ("w2", one2, p.w2, dw2)):
            if got.shape != start.shape:
                raise _Mistake("shape", f"{name} has shape {_fmt(got.shape)}, not {_fmt(start.shape)}.",
                               "training-update")
            if np.array_equal(got, start):
                raise _Mistake("never-changes", f"{name} never changes: its update is missing "
                               f"({name} -= learning_rate * d{name}).", "training-update")
            k = _one_step_factor(got - start, -lr * grad)
            if k is None or math.isclose(k, 1.0, rel_tol=1e-6):
                continue
            named = {-1.0: ("sign", f"{name} moves up the gradient: the update subtracts it, "
                            f"{name} <- {name} - learning_rate * dL/d{name}."),
                     lr: ("lr-twice", f"the step of {name} is multiplied by the learning rate twice.")}
            for factor, (mistake, words) in _factor_names(n, c, True).items():
                named.setdefault(factor, (mistake, f"the step of {name}: {words}."))
            for factor, (mistake, words) in named.items():
                if math.isclose(k, factor, rel_tol=1e-6):
                    raise _Mistake(mistake, words, "training-update")
            raise _Mistake("step", f"the first step of {name} is {k:.4g} times "
                           f"-learning_rate * dL/d{name}.", "training-update")
        # The order of the updates shows only from the second step on.
        late1, late2 = p.w1.copy(), p.w2.copy()
        for _ in range(num_loops):
            _, g1, g2 = kernels.loss_and_gradients(p.x, p.y, late1, late2)
            late2 = late2 - lr * g2
            _, g1, _ = kernels.loss_and_gradients(p.x, p.y, late1, late2)
            late1 = late1 - lr * g1
        if _close(w1, late1) and _close(w2, late2) and not _close(late1, right.w1):
            raise _Mistake("order", "you update w2 before computing dL/dw1, which then uses the new "
                           "w2; compute both gradients first, then update both weights.",
                           "training-update")
        if not _close(losses, right.losses):
            raise _Mistake("losses", "the losses differ from those of gradient descent on the sum "
                           "of squared errors.", "training-train")
        if not (_close(w1, right.w1) and _close(w2, right.w2)):
            raise _Mistake("weights", "the trained weights differ from those of gradient "
                           "descent.", "training-update")

    return _run("train", check, "training-train")


__all__ = [
    "BOOK_URL",
    "CheckResult",
    "SECTIONS",
    "check_forward",
    "check_grad_h",
    "check_grad_w1",
    "check_grad_w2",
    "check_loss_and_gradients",
    "check_relu_backward",
    "check_sse_loss_backward",
    "check_train",
]
