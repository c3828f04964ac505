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
    """Integer-valued arrays (exact in float64) with some pre-activations exactly 0."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(n, d)).astype(float)
    x[0] = 0.0  # the first sample's pre-activations are all exactly 0
    w1 = rng.integers(-2, 3, size=(d, h)).astype(float)
    w2 = rng.integers(-2, 3, size=(h, c)).astype(float)
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


#: Sizes (N, D, H, C): every size different within a problem; C = 1 and C = 3.
_SIZES = [(7, 5, 4, 1), (6, 5, 4, 3), (9, 2, 6, 3)]
_PROBLEMS = [_integer_problem(*s, seed=i) for i, s in enumerate(_SIZES)] + [
    _smooth_problem(5, 4, 3, 2, seed=11)
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


def _close(got, expected, rtol=RTOL) -> bool:
    got = np.asarray(got, dtype=float)
    if got.shape != np.shape(expected):
        return False
    scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
    return bool(np.all(np.abs(got - expected) <= rtol * scale))


def _fmt(shape) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


#: Scalar factors a wrong result may carry, with what each means.
def _factor_names(n, c):
    names = {
        0.5: ("missing-2", "it is half the right value: the factor 2 from differentiating "
              "the square, 2 (yhat - y), is missing"),
        2.0: ("extra-2", "it is twice the right value: a factor 2 too many"),
        -1.0: ("sign", "it has the wrong sign: the error is yhat - y, not y - yhat"),
        -2.0: ("sign", "it has the wrong sign and a factor 2 too many"),
        -0.5: ("sign", "it has the wrong sign and lacks the factor 2"),
    }
    for divisor, what in ((n * c, "N * C, the mean over all entries"), (n, "N, the mean over the batch"),
                          (2 * n * c, "2 N C, the mean of half the squares")):
        names.setdefault(1.0 / divisor, ("mean", f"it is the right value divided by {divisor} = {what}: "
                                         "the book's loss is the sum of squared errors, not a mean"))
    return names


def _diagnose_array(what, got, expected, p, *, shape_names, hint="", section="backward-transposes",
                    value_section="backward-loss-constants"):
    """Raise _Mistake unless ``got`` equals ``expected``; name the difference."""
    n, d, h, c = p.sizes
    if not isinstance(got, np.ndarray):
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise _Mistake("type", f"{what} should be a NumPy array of shape {shape_names}, "
                           f"got {type(got).__name__}", section) from None
    expected = np.asarray(expected)
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
                           f"table of {n} x {n}. Keep both arrays 2-D, shape ({n}, {c}).",
                           "forward-broadcast")
        if got.ndim == 1 and got.size == expected.size:
            raise _Mistake("flattened",
                           f"{what} is 1-D, shape {_fmt(got.shape)}; keep it 2-D, shape "
                           f"{_fmt(expected.shape)}, like the array it is the gradient of.",
                           "backward-broadcast")
        raise _Mistake("shape", f"{what} has shape {_fmt(got.shape)}, but it must have shape "
                       f"{shape_names} = {_fmt(expected.shape)}. {hint}", section)
    if not np.all(np.isfinite(got)):
        raise _Mistake("not-finite", f"{what} holds NaN or infinite values", section)
    if _close(got, expected):
        return
    norm = float(np.sum(expected * expected))
    if norm > 0:
        k = float(np.sum(got * expected)) / norm
        for factor, (mistake, words) in _factor_names(n, c).items():
            if math.isclose(k, factor, rel_tol=1e-6) and _close(got, factor * expected):
                raise _Mistake(mistake, f"{what}: {words}.", value_section)
    raise _Mistake("values", f"{what} has the right shape but wrong values "
                   f"(largest difference {float(np.max(np.abs(got - expected))):.3g}, "
                   f"largest right entry {float(np.max(np.abs(expected))):.3g}). {hint}", section)


def _call(fn, args, names, what):
    """Call fn on copies of args; raise _Mistake if it raises or edits its inputs."""
    copies = [np.array(a, copy=True) for a in args]
    try:
        result = fn(*copies)
    except Exception as error:  # the reader's code may raise anything
        shapes = ", ".join(f"{name} {_fmt(a.shape)}" for name, a in zip(names, args))
        message = str(error).splitlines()[0] if str(error) else ""
        chain = any(word in message for word in ("matmul", "aligned", "broadcast", "shapes"))
        raise _Mistake("raised" if not chain else "shapes",
                       f"your {what} raised {type(error).__name__}: {message}. It was called with "
                       f"{shapes}." + (" The shapes do not chain: in a product P @ Q the columns of P "
                                       "must match the rows of Q; decide the transposes from the shapes."
                                       if chain else ""),
                       "backward-transposes" if chain else "forward-shapes") from None
    for name, before, after in zip(names, args, copies):
        if not np.array_equal(before, after):
            raise _Mistake("in-place",
                           f"your {what} changed its argument {name} in place (for example "
                           f"{name}[...] = 0 or {name} *= ...), so the caller's array is no longer "
                           f"what it was. Work on a copy, or use np.where, which builds a new array.",
                           "backward-mask")
    return result


def _run(name, check, section):
    """Run check(problem) on every problem; turn the first mistake into a result."""
    passed_single_output = False
    for p in _PROBLEMS:
        try:
            check(p)
        except _Mistake as m:
            n, d, h, c = p.sizes
            diagnosis = m.diagnosis.strip()
            if c > 1 and passed_single_output and m.mistake != "in-place":
                diagnosis = (f"your {name} is right with one output (C = 1) but wrong with C = {c} "
                             f"(N, D, H, C = {n}, {d}, {h}, {c}): {diagnosis}")
                mistake = f"one-output/{m.mistake}"
            else:
                diagnosis = f"on a problem with N, D, H, C = {n}, {d}, {h}, {c}: {diagnosis}"
                mistake = m.mistake
            return CheckResult(name, False, diagnosis, m.section, mistake)
        if p.sizes[3] == 1:
            passed_single_output = True
    return CheckResult(name, True, "", section)


def _check_callable(name, fn):
    if not callable(fn):
        return CheckResult(name, False, f"check_{name} needs your function, got "
                           f"{type(fn).__name__}", "backward-six-lines", "not-callable")
    return None


def _three(result, names, section):
    """The three parts of a result that must be a tuple (a, b, c), or a _Mistake."""
    if isinstance(result, np.ndarray) or not hasattr(result, "__len__") or len(result) != 3:
        got = type(result).__name__ + (f" of length {len(result)}" if hasattr(result, "__len__") else "")
        raise _Mistake("return", f"it must return three things, ({names}); it returned {got}.", section)
    return tuple(result)


def _agrees_with_fd(what, got, f, w, section):
    if _close(got, numerical_gradient(f, w, FD_EPS), rtol=FD_RTOL):
        return
    raise _Mistake("finite-differences", f"{what} disagrees with centred differences of the loss",
                   section)


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------


def check_sse_loss_backward(fn) -> CheckResult:
    """Check ``fn(predictions, targets)``, your dL/dyhat (equation ``eq-grad-yhat``)."""
    if (bad := _check_callable("sse_loss_backward", fn)) is not None:
        return bad

    def check(p):
        predictions = kernels.forward(p.x, p.w1, p.w2).predictions
        got = _call(fn, (predictions, p.y), ("predictions", "targets"), "sse_loss_backward")
        squares = (predictions - p.y) ** 2
        if np.shape(got) == squares.shape and _close(got, squares):
            raise _Mistake("squared", "you returned the squared errors, the terms of the loss; its "
                           "derivative is 2 (yhat - y).", "backward-grad-yhat")
        _diagnose_array("dL/dyhat", got, kernels.sse_loss_backward(predictions, p.y), p,
                        shape_names="(N, C)", section="backward-grad-yhat")
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
        got = _call(fn, (s["h"], s["dpredictions"]), ("h", "dpredictions"), "grad_w2")
        _diagnose_array("dL/dW2", got, s["dw2"], p, shape_names="(H, C), like W2",
                        hint="Use h.T @ dpredictions: (H, N) times (N, C).")
        if not p.exact:
            _agrees_with_fd("dL/dW2", got, lambda w: _loss_of(p, w2=w), p.w2, "backward-grad-w2")

    return _run("grad_w2", check, "backward-grad-w2")


def check_grad_h(fn) -> CheckResult:
    """Check ``fn(dpredictions, w2)``, your dL/dh (equation ``eq-grad-h``)."""
    if (bad := _check_callable("grad_h", fn)) is not None:
        return bad

    def check(p):
        s = _steps(p)
        got = _call(fn, (s["dpredictions"], p.w2), ("dpredictions", "w2"), "grad_h")
        _diagnose_array("dL/dh", got, s["dh"], p, shape_names="(N, H), like h",
                        hint="Use dpredictions @ w2.T: (N, C) times (C, H).")
        if not p.exact:
            h = s["h"]
            _agrees_with_fd("dL/dh", got, lambda hh: kernels.sse_loss(hh @ p.w2, p.y), h,
                            "backward-grad-h")

    return _run("grad_h", check, "backward-grad-h")


def check_relu_backward(fn) -> CheckResult:
    """Check ``fn(dh, a)``, your dL/da (equation ``eq-grad-a``)."""
    if (bad := _check_callable("relu_backward", fn)) is not None:
        return bad

    def check(p):
        s = _steps(p)
        dh, a = s["dh"], s["a"]
        got = _call(fn, (dh, a), ("dh", "a"), "relu_backward")
        expected = s["da"]
        if _close(got, expected):
            return
        candidates = [
            (np.where(a >= 0, dh, 0.0), "mask-at-zero",
             "dL/da differs from the right one only where a pre-activation is exactly 0: your mask "
             "lets the gradient through at a = 0. ReLU has no derivative there; the book (and PyTorch) "
             "uses 0, so the mask is a > 0, not a >= 0.", "relu-derivative"),
            (dh, "no-mask", "dL/da equals dL/dh: the ReLU mask is missing. Zero the gradient where the "
             "unit was off, a <= 0.", "backward-mask"),
            (np.where(dh > 0, dh, 0.0), "mask-from-dh",
             "your mask comes from dh, the upstream gradient. It must come from the pre-activation a: "
             "the gradient passes where the unit was on, a > 0, whatever its sign.", "backward-mask"),
            (kernels.relu(a), "returned-relu",
             "you returned relu(a), the forward value, instead of the masked upstream gradient "
             "dh * 1[a > 0].", "relu-backward"),
            (dh * a, "times-a", "you multiplied dh by a. The derivative of ReLU is 0 or 1, not a: "
             "multiply by the mask 1[a > 0].", "relu-derivative"),
            (dh * kernels.relu(a), "times-a", "you multiplied dh by relu(a). The derivative of ReLU "
             "is 0 or 1: multiply by the mask 1[a > 0].", "relu-derivative"),
        ]
        for candidate, mistake, words, section in candidates:
            if _close(got, candidate) and not _close(candidate, expected):
                raise _Mistake(mistake, words, section)
        _diagnose_array("dL/da", got, expected, p, shape_names="(N, H), like a",
                        section="backward-mask")

    return _run("relu_backward", check, "backward-grad-a")


def check_grad_w1(fn) -> CheckResult:
    """Check ``fn(x, da)``, your dL/dW1 (equation ``eq-grad-w1``)."""
    if (bad := _check_callable("grad_w1", fn)) is not None:
        return bad

    def check(p):
        s = _steps(p)
        got = _call(fn, (p.x, s["da"]), ("x", "da"), "grad_w1")
        _diagnose_array("dL/dW1", got, s["dw1"], p, shape_names="(D, H), like W1",
                        hint="Use x.T @ da: (D, N) times (N, H).")
        if not p.exact:
            _agrees_with_fd("dL/dW1", got, lambda w: _loss_of(p, w1=w), p.w1, "backward-grad-w1")

    return _run("grad_w1", check, "backward-grad-w1")


def check_forward(fn) -> CheckResult:
    """Check ``fn(x, w1, w2)``, your forward pass returning ``(a, h, predictions)``."""
    if (bad := _check_callable("forward", fn)) is not None:
        return bad

    def check(p):
        s = _steps(p)
        result = _call(fn, (p.x, p.w1, p.w2), ("x", "w1", "w2"), "forward")
        a, h, predictions = _three(result, "a, h, predictions: the backward pass needs a and h "
                                   "again, not only the predictions", "forward-equations")
        _diagnose_array("a", a, s["a"], p, shape_names="(N, H)",
                        hint="a = x @ w1: (N, D) times (D, H).", section="forward-shapes",
                        value_section="forward-equations")
        a = np.asarray(a)
        h = np.asarray(h)
        if h.shape == (p.sizes[2],) or h.shape == (p.sizes[0],):
            raise _Mistake("max-reduces", f"h has shape {_fmt(h.shape)}: np.max(a, 0) reduces along "
                           "an axis. ReLU compares every entry with 0: np.maximum(a, 0).",
                           "forward-equations")
        if h.shape == a.shape and _close(h, a) and not _close(a, s["h"]):
            raise _Mistake("no-relu", "h equals a: the ReLU is missing. h = np.maximum(a, 0).",
                           "forward-equations")
        _diagnose_array("h", h, s["h"], p, shape_names="(N, H)", section="forward-equations",
                        value_section="forward-equations")
        predictions = np.asarray(predictions)
        if predictions.shape == s["predictions"].shape and _close(predictions, a @ p.w2) \
                and not _close(a @ p.w2, s["predictions"]):
            raise _Mistake("from-a", "the predictions are a @ w2: they must come from the hidden "
                           "activations, h @ w2, after the ReLU.", "forward-equations")
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
        result = _call(fn, (p.x, p.y, p.w1, p.w2), ("x", "y", "w1", "w2"), "loss_and_gradients")
        loss, dw1, dw2 = _three(result, "loss, dw1, dw2", "backward-six-lines")
        expected = _loss_of(p)
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            raise _Mistake("loss-type", f"the loss must be a number, got {type(loss).__name__} "
                           f"of shape {_fmt(np.shape(loss))}.", "forward-loss") from None
        if not math.isclose(loss, expected, rel_tol=RTOL):
            n, _, _, c = p.sizes
            for factor, (mistake, words) in _factor_names(n, c).items():
                if factor > 0 and math.isclose(loss, factor * expected, rel_tol=1e-6):
                    raise _Mistake(f"loss-{mistake}", f"the loss is {factor:.4g} times the sum of "
                                   "squared errors: the book's loss is the sum, with no factor 1/2 "
                                   "and no division by N or N C.", "forward-sum-mean")
            raise _Mistake("loss", f"the loss is {loss:.6g}, the sum of squared errors is "
                           f"{expected:.6g}.", "forward-loss")
        _diagnose_array("dw2", dw2, s["dw2"], p, shape_names="(H, C), like W2",
                        hint="dw2 = h.T @ dpredictions.")
        unmasked = p.x.T @ s["dh"]
        if np.shape(dw1) == unmasked.shape and _close(dw1, unmasked) and not _close(unmasked, s["dw1"]):
            raise _Mistake("no-mask", "dw1 is x.T @ dh: the ReLU mask is missing. Zero dh where the "
                           "unit was off (a <= 0) before the product.", "backward-mask")
        _diagnose_array("dw1", dw1, s["dw1"], p, shape_names="(D, H), like W1",
                        hint="dw1 = x.T @ da, with da the masked dh.", section="backward-six-lines")

    return _run("loss_and_gradients", check, "backward-six-lines")


def _reference_runs(p, num_loops, lr):
    """Gradient descent, and the runs of three classic mistakes, from problem p."""
    right = gradient_descent(p.x, p.y, p.w1, p.w2, num_loops, lr)
    variants = {}
    for kind in ("ascent", "w2-first"):
        w1, w2 = p.w1.copy(), p.w2.copy()
        for _ in range(num_loops):
            _, dw1, dw2 = kernels.loss_and_gradients(p.x, p.y, w1, w2)
            if kind == "ascent":
                w1, w2 = w1 + lr * dw1, w2 + lr * dw2
            else:  # w2 updated first, then dL/dw1 computed with the new w2
                w2 = w2 - lr * dw2
                _, dw1, _ = kernels.loss_and_gradients(p.x, p.y, w1, w2)
                w1 = w1 - lr * dw1
        variants[kind] = (w1, w2)
    return right, variants


def check_train(fn) -> CheckResult:
    """Check ``fn(x, y, w1, w2, num_loops, learning_rate)``, returning ``(w1, w2, losses)``.

    ``losses[i]`` must be the loss before update ``i``, and the caller's
    ``w1`` and ``w2`` must not change.
    """
    if (bad := _check_callable("train", fn)) is not None:
        return bad
    num_loops = 4

    def check(p):
        lr = 1e-3 if not p.exact else 2e-3
        w1_in, w2_in = p.w1.copy(), p.w2.copy()
        try:
            result = fn(p.x.copy(), p.y.copy(), w1_in, w2_in, num_loops, lr)
        except Exception as error:  # the reader's code may raise anything
            raise _Mistake("raised", f"your train raised {type(error).__name__}: {error}",
                           "training-train") from None
        if not (np.array_equal(w1_in, p.w1) and np.array_equal(w2_in, p.w2)):
            raise _Mistake("caller-weights", "your train changed the caller's w1 or w2: it updated "
                           "them in place. Start from copies, w1 = w1.copy().", "training-train")
        w1, w2, losses = (np.asarray(r, dtype=float)
                          for r in _three(result, "w1, w2, losses", "training-train"))
        right, variants = _reference_runs(p, num_loops, lr)
        if losses.shape != (num_loops,):
            raise _Mistake("losses-length", f"losses has shape {_fmt(losses.shape)}; it needs one "
                           f"loss per update, {num_loops} for num_loops={num_loops}.", "training-train")
        after = gradient_descent(p.x, p.y, p.w1, p.w2, num_loops + 1, lr).losses[1:]
        if _close(losses, after) and not _close(after, right.losses):
            raise _Mistake("loss-after", "losses[i] is the loss after update i; it must be the "
                           "loss before it, so that losses[0] is the loss of the untrained network.",
                           "training-train")
        for name, got, start in (("w1", w1, p.w1), ("w2", w2, p.w2)):
            if np.array_equal(got, start):
                raise _Mistake("never-changes", f"{name} never changes: its update is missing "
                               f"({name} -= learning_rate * d{name}).", "training-update")
        if _close(w1, variants["ascent"][0]) and _close(w2, variants["ascent"][1]):
            raise _Mistake("sign", "the weights move up the gradient: the update subtracts it, "
                           "w <- w - learning_rate * dL/dw.", "training-update")
        if _close(w1, variants["w2-first"][0]) and _close(w2, variants["w2-first"][1]):
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
