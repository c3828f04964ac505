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

import numpy as np

from . import kernels
from ._diagnosis import (
    FD_EPS,
    FD_RTOL,
    PROBLEMS,
    RTOL,
    Mistake,
    agrees_with_fd,
    as_array,
    call,
    candidates,
    close,
    diagnose_array,
    factor_names,
    fmt,
    loss_of,
    mask_at_zero_only,
    mask_candidates,
    steps,
    three,
)
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


def _run(name, check, section):
    """Run check(problem) on every problem; turn the first mistake into a result."""
    single_output_passed = True
    for p in PROBLEMS:
        n, d, h, c = p.sizes
        try:
            check(p)
        except Mistake as m:
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


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------


def _gradient_check(name, fn, *, names, inputs, expected, what, shape_names, section,
                    fd, hint="", wrong=None, **diagnose):
    """A check of a function of two arrays that returns one gradient.

    ``inputs(p, s)`` and ``expected(p, s)`` give the arguments and the right
    result for problem ``p`` with its arrays ``s``; ``fd(p, s)`` gives the
    scalar function and the point whose centred differences the result must
    match; ``wrong(p, s)`` lists classic wrong results to name first.
    """
    if (bad := _check_callable(name, fn)) is not None:
        return bad

    def check(p):
        s = steps(p)
        got = as_array(what, call(fn, inputs(p, s), names, name, section), section)
        if wrong is not None:
            candidates(what, got, expected(p, s), wrong(p, s))
        diagnose_array(what, got, expected(p, s), p, shape_names=shape_names, hint=hint, **diagnose)
        if not p.exact:
            agrees_with_fd(what, got, *fd(p, s), section)

    return _run(name, check, section)


def check_sse_loss_backward(fn) -> CheckResult:
    """Check ``fn(predictions, targets)``, your dL/dyhat (equation ``eq-grad-yhat``)."""
    return _gradient_check(
        "sse_loss_backward", fn, names=("predictions", "targets"),
        inputs=lambda p, s: (s["predictions"], p.y), expected=lambda p, s: s["dpredictions"],
        what="dL/dyhat", shape_names="(N, C)", section="backward-grad-yhat",
        fd=lambda p, s: (lambda q: kernels.sse_loss(q, p.y), s["predictions"]),
        wrong=lambda p, s: [((s["predictions"] - p.y) ** 2, "squared", "it is the squared errors, "
                             "the terms of the loss; their derivative is 2 (yhat - y).",
                             "backward-grad-yhat")],
        dyhat=True, broadcast="forward-broadcast")


def check_grad_w2(fn) -> CheckResult:
    """Check ``fn(h, dpredictions)``, your dL/dW2 (equation ``eq-grad-w2``)."""
    return _gradient_check(
        "grad_w2", fn, names=("h", "dpredictions"),
        inputs=lambda p, s: (s["h"], s["dpredictions"]), expected=lambda p, s: s["dw2"],
        what="dL/dW2", shape_names="(H, C), like W2", section="backward-grad-w2",
        hint="Use h.T @ dpredictions: (H, N) times (N, C).",
        fd=lambda p, s: (lambda w: loss_of(p, w2=w), p.w2))


def check_grad_h(fn) -> CheckResult:
    """Check ``fn(dpredictions, w2)``, your dL/dh (equation ``eq-grad-h``)."""
    return _gradient_check(
        "grad_h", fn, names=("dpredictions", "w2"),
        inputs=lambda p, s: (s["dpredictions"], p.w2), expected=lambda p, s: s["dh"],
        what="dL/dh", shape_names="(N, H), like h", section="backward-grad-h",
        hint="Use dpredictions @ w2.T: (N, C) times (C, H).",
        fd=lambda p, s: (lambda hh: kernels.sse_loss(hh @ p.w2, p.y), s["h"]))


def check_relu_backward(fn) -> CheckResult:
    """Check ``fn(dh, a)``, your dL/da (equation ``eq-grad-a``)."""
    if (bad := _check_callable("relu_backward", fn)) is not None:
        return bad

    def check(p):
        s = steps(p)
        dh, a, expected = s["dh"], s["a"], s["da"]
        got = call(fn, (dh, a), ("dh", "a"), "relu_backward", "backward-grad-a")
        if isinstance(got, np.ma.MaskedArray):
            raise Mistake("masked-array", "dL/da is a NumPy masked array: its masked entries are "
                           "hidden, not zero. Call .filled(0), or use np.where.", "backward-mask")
        got = as_array("dL/da", got, "backward-grad-a")
        if close(got, expected):
            return
        if mask_at_zero_only(got, expected, a):
            raise Mistake("mask-at-zero", mask_candidates(dh, a, expected)[0][2], "relu-derivative")
        candidates("dL/da", got, expected, mask_candidates(dh, a, expected)[1:])
        diagnose_array("dL/da", got, expected, p, shape_names="(N, H), like a",
                        section="backward-mask")

    return _run("relu_backward", check, "backward-grad-a")


def check_grad_w1(fn) -> CheckResult:
    """Check ``fn(x, da)``, your dL/dW1 (equation ``eq-grad-w1``)."""
    return _gradient_check(
        "grad_w1", fn, names=("x", "da"),
        inputs=lambda p, s: (p.x, s["da"]), expected=lambda p, s: s["dw1"],
        what="dL/dW1", shape_names="(D, H), like W1", section="backward-grad-w1",
        hint="Use x.T @ da: (D, N) times (N, H).",
        fd=lambda p, s: (lambda w: loss_of(p, w1=w), p.w1))


def check_forward(fn) -> CheckResult:
    """Check ``fn(x, w1, w2)``, your forward pass returning ``(a, h, predictions)``."""
    if (bad := _check_callable("forward", fn)) is not None:
        return bad

    def check(p):
        s = steps(p)
        result = call(fn, (p.x, p.w1, p.w2), ("x", "w1", "w2"), "forward", "forward-equations")
        a, h, predictions = (as_array(name, value, "forward-equations") for name, value in zip(
            ("a", "h", "predictions"),
            three(result, "a, h, predictions", "forward-equations",
                   "The backward pass needs a and h again, not only the predictions.")))
        if close(a, s["h"]) and close(h, s["a"]):
            raise Mistake("swapped", "a and h are swapped: return (a, h, predictions).",
                           "forward-equations")
        if close(a, s["h"]) and not close(s["h"], s["a"]):
            raise Mistake("relu-in-place", "a equals relu(x @ w1): the ReLU was applied to a in "
                           "place (h = a; h[h < 0] = 0, or np.maximum(a, 0, out=a)), so a lost its "
                           "negative entries, which the backward pass needs. Use "
                           "h = np.maximum(a, 0), a new array.", "forward-equations")
        diagnose_array("a", a, s["a"], p, shape_names="(N, H)",
                        hint="a = x @ w1: (N, D) times (D, H).", section="forward-shapes",
                        value_section="forward-equations")
        if h.shape in ((p.sizes[2],), (p.sizes[0],)):
            raise Mistake("max-reduces", f"h has shape {fmt(h.shape)}: np.max(a, 0) reduces along "
                           "an axis. ReLU compares every entry with 0: np.maximum(a, 0).",
                           "forward-equations")
        if close(h, a) and not close(a, s["h"]):
            raise Mistake("no-relu", "h equals a: the ReLU is missing. h = np.maximum(a, 0).",
                           "forward-equations")
        diagnose_array("h", h, s["h"], p, shape_names="(N, H)", section="forward-equations",
                        value_section="forward-equations")
        candidates("predictions", predictions, s["predictions"], [
            (a @ p.w2, "from-a", "they are a @ w2: they must come from the hidden activations, "
             "h @ w2, after the ReLU.", "forward-equations")])
        diagnose_array("predictions", predictions, s["predictions"], p, shape_names="(N, C)",
                        hint="predictions = h @ w2: (N, H) times (H, C).", section="forward-shapes",
                        value_section="forward-equations")

    return _run("forward", check, "forward-equations")


def check_loss_and_gradients(fn) -> CheckResult:
    """Check ``fn(x, y, w1, w2)``, returning ``(loss, dw1, dw2)`` for the sum of squares."""
    if (bad := _check_callable("loss_and_gradients", fn)) is not None:
        return bad

    def check(p):
        s = steps(p)
        result = call(fn, (p.x, p.y, p.w1, p.w2), ("x", "y", "w1", "w2"), "loss_and_gradients",
                       "backward-six-lines")
        loss, dw1, dw2 = three(result, "loss, dw1, dw2", "backward-six-lines")
        expected = loss_of(p)
        if isinstance(loss, (str, bytes)) or np.size(loss) != 1:
            raise Mistake("loss-type", f"the loss must be one number, got {type(loss).__name__} "
                           f"of shape {fmt(np.shape(loss))}; np.sum((predictions - y) ** 2) is one.",
                           "forward-loss")
        loss = float(np.asarray(loss, dtype=float).reshape(()))
        if not math.isclose(loss, expected, rel_tol=RTOL):
            n, _, _, c = p.sizes
            for factor, (mistake, words) in factor_names(n, c, True).items():
                if factor > 0 and math.isclose(loss, factor * expected, rel_tol=1e-6):
                    raise Mistake(f"loss-{mistake}", f"the loss is {factor:.4g} times the sum of "
                                   "squared errors: the book's loss is the sum, with no factor 1/2 "
                                   "and no division by N or N C.", "forward-sum-mean")
            raise Mistake("loss", f"the loss is {loss:.6g}, the sum of squared errors is "
                           f"{expected:.6g}.", "forward-loss")
        dw1 = as_array("dw1", dw1, "backward-six-lines")
        dw2 = as_array("dw2", dw2, "backward-six-lines")
        if close(dw1, s["dw2"]) and close(dw2, s["dw1"]):
            raise Mistake("swapped", "dw1 and dw2 are swapped: return (loss, dw1, dw2).",
                           "backward-six-lines")
        diagnose_array("dw2", dw2, s["dw2"], p, shape_names="(H, C), like W2",
                        hint="dw2 = h.T @ dpredictions.", dyhat=True)
        candidates("dw1", dw1, s["dw1"], [
            (p.x.T @ candidate, mistake, f"it is x.T @ da with a wrong da: {words}", section)
            for candidate, mistake, words, section in mask_candidates(s["dh"], s["a"], s["da"])])
        diagnose_array("dw1", dw1, s["dw1"], p, shape_names="(D, H), like W1",
                        hint="dw1 = x.T @ da, with da the masked dh.", section="backward-six-lines",
                        dyhat=True)

    return _run("loss_and_gradients", check, "backward-six-lines")


def _one_step_factor(step, right_step):
    """k if step == k * right_step for one scalar k, else None."""
    norm = float(np.sum(right_step * right_step))
    if norm == 0:
        return None
    k = float(np.sum(step * right_step)) / norm
    return k if close(step, k * right_step, rtol=1e-6) else None


def check_train(fn) -> CheckResult:
    """Check ``fn(x, y, w1, w2, num_loops, learning_rate)``, returning ``(w1, w2, losses)``.

    ``losses[i]`` must be the loss before update ``i``, and none of the
    caller's arrays may change.
    """
    if (bad := _check_callable("train", fn)) is not None:
        return bad
    num_loops = 4

    def run(p, loops, lr):
        result = call(lambda *args: fn(*args, loops, lr), (p.x, p.y, p.w1, p.w2),
                       ("x", "y", "w1", "w2"), "train", "training-train")
        return (as_array(name, value, "training-train") for name, value in zip(
            ("w1", "w2", "losses"), three(result, "w1, w2, losses", "training-train")))

    def check(p):
        lr = 1e-3
        w1, w2, losses = run(p, num_loops, lr)
        right = gradient_descent(p.x, p.y, p.w1, p.w2, num_loops, lr)
        if losses.shape != (num_loops,):
            raise Mistake("losses-length", f"losses has shape {fmt(losses.shape)}; it needs one "
                           f"loss per update, {num_loops} for num_loops={num_loops}.", "training-train")
        after = gradient_descent(p.x, p.y, p.w1, p.w2, num_loops + 1, lr).losses[1:]
        if close(losses, after) and not close(after, right.losses):
            raise Mistake("loss-after", "losses[i] is the loss after update i; it must be the "
                           "loss before it, so that losses[0] is the loss of the untrained network.",
                           "training-train")
        if w1.shape == p.w2.shape and w2.shape == p.w1.shape:
            raise Mistake("swapped", "w1 and w2 are swapped: return (w1, w2, losses).", "training-train")
        # One update, weight by weight: is the step -lr * dL/dw times a known factor?
        one1, one2, _ = run(p, 1, lr)
        _, dw1, dw2 = kernels.loss_and_gradients(p.x, p.y, p.w1, p.w2)
        n, _, _, c = p.sizes
        for name, got, start, grad in (("w1", one1, p.w1, dw1), ("w2", one2, p.w2, dw2)):
            if got.shape != start.shape:
                raise Mistake("shape", f"{name} has shape {fmt(got.shape)}, not {fmt(start.shape)}.",
                               "training-update")
            if np.array_equal(got, start):
                raise Mistake("never-changes", f"{name} never changes: its update is missing "
                               f"({name} -= learning_rate * d{name}).", "training-update")
            k = _one_step_factor(got - start, -lr * grad)
            if k is None or math.isclose(k, 1.0, rel_tol=1e-6):
                continue
            named = {-1.0: ("sign", f"{name} moves up the gradient: the update subtracts it, "
                            f"{name} <- {name} - learning_rate * dL/d{name}."),
                     lr: ("lr-twice", f"the step of {name} is multiplied by the learning rate twice.")}
            for factor, (mistake, words) in factor_names(n, c, True).items():
                named.setdefault(factor, (mistake, f"the step of {name}: {words}."))
            for factor, (mistake, words) in named.items():
                if math.isclose(k, factor, rel_tol=1e-6):
                    raise Mistake(mistake, words, "training-update")
            raise Mistake("step", f"the first step of {name} is {k:.4g} times "
                           f"-learning_rate * dL/d{name}.", "training-update")
        # The order of the updates shows only from the second step on.
        late1, late2 = p.w1.copy(), p.w2.copy()
        for _ in range(num_loops):
            _, g1, g2 = kernels.loss_and_gradients(p.x, p.y, late1, late2)
            late2 = late2 - lr * g2
            _, g1, _ = kernels.loss_and_gradients(p.x, p.y, late1, late2)
            late1 = late1 - lr * g1
        if close(w1, late1) and close(w2, late2) and not close(late1, right.w1):
            raise Mistake("order", "you update w2 before computing dL/dw1, which then uses the new "
                           "w2; compute both gradients first, then update both weights.",
                           "training-update")
        if not close(losses, right.losses):
            raise Mistake("losses", "the losses differ from those of gradient descent on the sum "
                           "of squared errors.", "training-train")
        if not (close(w1, right.w1) and close(w2, right.w2)):
            raise Mistake("weights", "the trained weights differ from those of gradient "
                           "descent.", "training-update")

    return _run("train", check, "training-train")


__all__ = [
    "BOOK_URL",
    "FD_EPS",
    "FD_RTOL",
    "RTOL",
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
