"""tinynet.selfcheck: a catalogue of learners' mistakes, each named, and correct variants, each passing.

The catalogue documents the mistakes the book teaches against. Every entry is
a function a learner could write, drawn from the errors learners report most
(transposes, loss constants, the ReLU mask, in-place edits, silent
broadcasting, and the order of the training loop); the test asserts that the
checker names the mistake, not only that it fails. The correct variants are
written in every other way we could think of, and must pass.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import tinynet
from tinynet import autodiff, selfcheck
from tinynet.selfcheck import (
    CheckResult,
    check_forward,
    check_grad_h,
    check_grad_w1,
    check_grad_w2,
    check_loss_and_gradients,
    check_relu_backward,
    check_sse_loss_backward,
    check_train,
)

# Two entries use np.matrix, which NumPy discourages with a warning.
pytestmark = pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")


# --------------------------------------------------------------------------
# Mistakes, each with the check that must catch it and the mistake it names
# --------------------------------------------------------------------------


def _masked_in_place(dh, a):
    dh[a <= 0] = 0  # edits the caller's array
    return dh


def _posts_mask_applied_to_h(dh, a):
    da = dh.copy()
    h = np.maximum(a, 0)
    da[h < 0] = 0  # h is never negative: this masks nothing
    return da


def _forward(x, w1, w2):
    a = x @ w1
    h = np.maximum(a, 0)
    return a, h, h @ w2


def _gradients(x, y, w1, w2):
    a, h, p = _forward(x, w1, w2)
    dp = 2 * (p - y)
    dh = dp @ w2.T
    return float(np.sum((p - y) ** 2)), x.T @ np.where(a > 0, dh, 0.0), h.T @ dp


def _mean_loss_and_gradients(x, y, w1, w2):
    loss, dw1, dw2 = _gradients(x, y, w1, w2)
    return loss / y.size, dw1 / y.size, dw2 / y.size


def _half_loss(x, y, w1, w2):
    loss, dw1, dw2 = _gradients(x, y, w1, w2)
    return loss / 2, dw1, dw2


def _no_mask_in_dw1(x, y, w1, w2):
    a, h, p = _forward(x, w1, w2)
    dp = 2 * (p - y)
    return float(np.sum((p - y) ** 2)), x.T @ (dp @ w2.T), h.T @ dp


def _dw2_transposed(x, y, w1, w2):
    loss, dw1, dw2 = _gradients(x, y, w1, w2)
    return loss, dw1, dw2.T


def _train(update, record_after=False, copy=True, w2_first=False):
    """A training loop with one of the classic mistakes switched on."""

    def train(x, y, w1, w2, num_loops, learning_rate):
        if copy:
            w1, w2 = w1.copy(), w2.copy()
        losses = []
        for _ in range(num_loops):
            loss, dw1, dw2 = _gradients(x, y, w1, w2)
            if not record_after:
                losses.append(loss)
            if w2_first:
                w2 = w2 - learning_rate * dw2
                _, dw1, _ = _gradients(x, y, w1, w2)
                w1 = w1 - learning_rate * dw1
            else:
                w1, w2 = update(w1, w2, dw1, dw2, learning_rate)
            if record_after:
                losses.append(_gradients(x, y, w1, w2)[0])
        return w1, w2, np.array(losses)

    return train


def _descend(w1, w2, dw1, dw2, lr):
    return w1 - lr * dw1, w2 - lr * dw2


def _descend_in_place(w1, w2, dw1, dw2, lr):
    w1 -= lr * dw1
    w2 -= lr * dw2
    return w1, w2


def _forward_relu_in_place(x, w1, w2):
    a = x @ w1
    h = a               # not a copy: the next line changes a too
    h[h < 0] = 0
    return a, h, h @ w2


def _forward_swapped(x, w1, w2):
    a, h, p = _forward(x, w1, w2)
    return h, a, p


def _dw_swapped(x, y, w1, w2):
    loss, dw1, dw2 = _gradients(x, y, w1, w2)
    return loss, dw2, dw1


def _no_return(h, dp):
    h.T @ dp


def _exits(h, dp):
    raise SystemExit("bye")


def _loss_as_matrix(x, y, w1, w2):
    a, h, p = _forward(x, w1, w2)
    d = p - y
    loss, dw1, dw2 = _gradients(x, y, w1, w2)
    return np.sum(d**2, keepdims=True), dw1, dw2


MISTAKES = [
    # dL/dyhat: loss constants and broadcasting
    (check_sse_loss_backward, "no factor 2", lambda p, y: p - y, "missing-2"),
    (check_sse_loss_backward, "y - yhat", lambda p, y: 2 * (y - p), "sign"),
    (check_sse_loss_backward, "mean over every entry", lambda p, y: 2 * (p - y) / p.size, "mean"),
    (check_sse_loss_backward, "mean over the batch", lambda p, y: 2 * (p - y) / len(p), "mean"),
    (check_sse_loss_backward, "targets flattened", lambda p, y: 2 * (p - y.ravel()), "broadcast"),
    (check_sse_loss_backward, "the squared errors", lambda p, y: (p - y) ** 2, "squared"),
    # dL/dW2: transposes and the sum over the batch
    (check_grad_w2, "transposed", lambda h, dp: dp.T @ h, "transposed"),
    (check_grad_w2, "no transpose", lambda h, dp: h @ dp, "shapes"),
    (check_grad_w2, "divided by N", lambda h, dp: h.T @ dp / len(h), "mean"),
    (check_grad_w2, "no sum over the batch", lambda h, dp: h * dp, "shape"),
    # dL/dh
    (check_grad_h, "transposed", lambda dp, w2: w2 @ dp.T, "transposed"),
    (check_grad_h, "element-wise product", lambda dp, w2: dp * w2.T, "one-output/shapes"),
    (check_grad_h, "w2 not transposed", lambda dp, w2: dp @ w2, "shapes"),
    # dL/da: the ReLU mask
    (check_relu_backward, "masked in place", _masked_in_place, "in-place"),
    (check_relu_backward, "mask a >= 0", lambda dh, a: np.where(a >= 0, dh, 0.0), "mask-at-zero"),
    (check_relu_backward, "the post's rule a < 0", lambda dh, a: np.where(a < 0, 0.0, dh), "mask-at-zero"),
    (check_relu_backward, "no mask", lambda dh, a: dh.copy(), "no-mask"),
    (check_relu_backward, "mask taken from h", _posts_mask_applied_to_h, "no-mask"),
    (check_relu_backward, "mask taken from dh", lambda dh, a: np.where(dh > 0, dh, 0.0), "mask-from-dh"),
    (check_relu_backward, "returns relu(a)", lambda dh, a: np.maximum(a, 0), "returned-relu"),
    (check_relu_backward, "times a", lambda dh, a: dh * a, "times-a"),
    # dL/dW1
    (check_grad_w1, "transposed", lambda x, da: da.T @ x, "transposed"),
    (check_grad_w1, "no transpose", lambda x, da: x @ da, "shapes"),
    (check_grad_w1, "an extra factor 2", lambda x, da: 2 * (x.T @ da), "extra-2"),
    # forward
    (check_forward, "no ReLU", lambda x, w1, w2: (x @ w1, x @ w1, x @ w1 @ w2), "no-relu"),
    (check_forward, "np.max instead of np.maximum",
     lambda x, w1, w2: (x @ w1, np.max(x @ w1, 0), np.maximum(x @ w1, 0) @ w2), "max-reduces"),
    (check_forward, "predictions from a", lambda x, w1, w2: (x @ w1, np.maximum(x @ w1, 0), x @ w1 @ w2),
     "from-a"),
    (check_forward, "predictions only", lambda x, w1, w2: np.maximum(x @ w1, 0) @ w2, "return"),
    (check_forward, "w1 @ x", lambda x, w1, w2: (w1 @ x, w1 @ x, w1 @ x), "shapes"),
    # the whole backward pass
    (check_loss_and_gradients, "mean loss", _mean_loss_and_gradients, "loss-mean"),
    (check_loss_and_gradients, "half the sum", _half_loss, "loss-missing-2"),
    (check_loss_and_gradients, "no mask in dw1", _no_mask_in_dw1, "no-mask"),
    (check_loss_and_gradients, "dw2 transposed", _dw2_transposed, "transposed"),
    # training
    (check_train, "loss recorded after the update", _train(_descend, record_after=True), "loss-after"),
    (check_train, "caller's weights updated in place", _train(_descend_in_place, copy=False), "caller-weights"),
    (check_train, "gradient ascent", _train(lambda w1, w2, d1, d2, lr: (w1 + lr * d1, w2 + lr * d2)), "sign"),
    (check_train, "w2 never updated", _train(lambda w1, w2, d1, d2, lr: (w1 - lr * d1, w2)), "never-changes"),
    (check_train, "w2 updated before dw1", _train(_descend, w2_first=True), "order"),
    # found by an expert attacking the checker
    (check_relu_backward, "half a unit at exactly 0", lambda dh, a: dh * np.heaviside(a, 0.5), "mask-at-zero"),
    (check_relu_backward, "returns the mask", lambda dh, a: (a > 0).astype(float), "returned-mask"),
    (check_grad_w2, "a missing return", _no_return, "returned-none"),
    (check_grad_w2, "a wrong np.matrix", lambda h, dp: 2 * (np.asmatrix(h).T * np.asmatrix(dp)), "extra-2"),
    (check_grad_w2, "exits the interpreter", _exits, "raised"),
    (check_forward, "ReLU applied to a in place", _forward_relu_in_place, "relu-in-place"),
    (check_forward, "a and h swapped", _forward_swapped, "swapped"),
    (check_loss_and_gradients, "dw1 and dw2 swapped", _dw_swapped, "swapped"),
    (check_train, "w1 only moves up the gradient",
     _train(lambda w1, w2, d1, d2, lr: (w1 + lr * d1, w2 - lr * d2)), "sign"),
    (check_train, "learning rate applied twice",
     _train(lambda w1, w2, d1, d2, lr: (w1 - lr * lr * d1, w2 - lr * lr * d2)), "lr-twice"),
    (check_train, "mean gradients",
     _train(lambda w1, w2, d1, d2, lr: (w1 - lr * d1 / 7, w2 - lr * d2 / 7)), "mean"),
]


@pytest.mark.parametrize(("check", "what", "fn", "mistake"), MISTAKES,
                         ids=[f"{c.__name__[6:]}: {w}" for c, w, _, _ in MISTAKES])
def test_each_mistake_is_named(check, what, fn, mistake):
    result = check(fn)
    assert isinstance(result, CheckResult)
    assert not result.ok, f"{what} passed"
    assert result.mistake == mistake, f"{what}: named {result.mistake!r}: {result.diagnosis}"
    assert result.diagnosis and result.section in selfcheck.SECTIONS


def test_the_catalogue_is_large():
    assert len(MISTAKES) >= 25
    assert len(CORRECT) >= 10


# --------------------------------------------------------------------------
# Correct functions, written in other ways: none may be flagged
# --------------------------------------------------------------------------


def _grad_w1_loops(x, da):
    out = np.zeros((x.shape[1], da.shape[1]))
    for i in range(x.shape[1]):
        for j in range(da.shape[1]):
            for n in range(x.shape[0]):
                out[i, j] += x[n, i] * da[n, j]
    return out


def _relu_backward_copy_then_mask(dh, a):
    da = dh.copy()
    da[a <= 0] = 0
    return da


def _train_plain(x, y, w1, w2, num_loops, learning_rate):
    w1, w2 = w1.copy(), w2.copy()
    losses = np.empty(num_loops)
    for i in range(num_loops):
        losses[i], dw1, dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
        w1 -= learning_rate * dw1
        w2 -= learning_rate * dw2
    return w1, w2, losses


CORRECT = [
    (check_sse_loss_backward, "2 p - 2 y", lambda p, y: 2 * p - 2 * y),
    (check_sse_loss_backward, "ufuncs", lambda p, y: np.multiply(2.0, np.subtract(p, y))),
    (check_grad_w2, "einsum", lambda h, dp: np.einsum("nj,nc->jc", h, dp)),
    (check_grad_w2, "transposed product transposed back", lambda h, dp: (dp.T @ h).T),
    (check_grad_w2, "np.dot", lambda h, dp: np.dot(h.T, dp)),
    (check_grad_h, "einsum", lambda dp, w2: np.einsum("nc,jc->nj", dp, w2)),
    (check_grad_h, "transposed product transposed back", lambda dp, w2: (w2 @ dp.T).T),
    (check_relu_backward, "mask as a product", lambda dh, a: dh * (a > 0)),
    (check_relu_backward, "np.heaviside", lambda dh, a: dh * np.heaviside(a, 0.0)),
    (check_relu_backward, "copy, then mask", _relu_backward_copy_then_mask),
    (check_relu_backward, "tinynet's own", tinynet.relu_backward),
    (check_grad_w1, "explicit loops", _grad_w1_loops),
    (check_grad_w1, "np.dot", lambda x, da: np.dot(x.T, da)),
    (check_forward, "np.clip", lambda x, w1, w2: (x @ w1, np.clip(x @ w1, 0, None), np.clip(x @ w1, 0, None) @ w2)),
    (check_forward, "tinynet's own (a named result)", tinynet.forward),
    (check_loss_and_gradients, "by hand", _gradients),
    (check_loss_and_gradients, "tinynet.autodiff", autodiff.loss_and_gradients),
    (check_loss_and_gradients, "the loss as a 1 x 1 array", _loss_as_matrix),
    (check_grad_w2, "np.matrix", lambda h, dp: np.asmatrix(h).T * np.asmatrix(dp)),
    (check_train, "a plain loop", _train_plain),
    (check_train, "tinynet.train", tinynet.train),
]


@pytest.mark.parametrize(("check", "what", "fn"), CORRECT,
                         ids=[f"{c.__name__[6:]}: {w}" for c, w, _ in CORRECT])
def test_correct_variants_pass(check, what, fn):
    result = check(fn)
    assert result.ok, f"{what}: {result.diagnosis}"
    assert result.diagnosis == "" and result.mistake == ""


# --------------------------------------------------------------------------
# The result and its report
# --------------------------------------------------------------------------


def test_a_failure_reports_the_section_and_its_address():
    result = check_grad_w2(lambda h, dp: dp.T @ h)
    assert result.section == "backward-transposes"
    assert result.url == selfcheck.BOOK_URL + "book/04-backward.html#backward-transposes"
    text = repr(result)
    assert text.startswith("FAIL grad_w2:") and "Section 4.8" in text and result.url in text
    html = result._repr_html_()
    assert "FAIL" in html and f'href="{result.url}"' in html and "Section 4.8" in html


def test_a_pass_reports_briefly():
    result = check_grad_w2(lambda h, dp: h.T @ dp)
    assert result.ok and repr(result).startswith("PASS grad_w2")
    assert "PASS" in result._repr_html_()


def test_a_function_that_raises_is_explained_not_propagated():
    def broken(h, dp):
        raise RuntimeError("not written yet")

    result = check_grad_w2(broken)
    assert not result.ok and result.mistake == "raised"
    assert "RuntimeError: not written yet" in result.diagnosis
    assert re.search(r"h \(7, 4\), dpredictions \(7, 1\)", result.diagnosis)


def test_not_a_function():
    result = check_grad_w1(np.zeros((3, 3)))
    assert not result.ok and result.mistake == "not-callable"


def test_html_escapes_the_diagnosis():
    result = CheckResult("f", False, "a <b> & c", "backward-mask", "x")
    assert "a &lt;b&gt; &amp; c" in result._repr_html_()


def test_every_section_is_a_released_label():
    released = set((tinynet_root() / "book" / "released-labels.txt").read_text().split())
    assert set(selfcheck.SECTIONS) <= released


def test_book_url_is_the_site_the_book_config_names():
    from tinynet_book import base_url

    import yaml

    config = yaml.safe_load((tinynet_root() / "_config.yml").read_text())

    class Config:
        html_baseurl = ""
        html_theme_options = {"repository_url": config["repository"]["url"]}

    assert selfcheck.BOOK_URL == base_url(Config)


@pytest.mark.parametrize("name", ["sse_loss_backward", "grad_w2", "grad_h", "relu_backward",
                                  "grad_w1", "forward", "loss_and_gradients", "train"])
def test_the_package_passes_its_own_checks(name):
    assert getattr(selfcheck, f"check_{name}")(getattr(tinynet, name)).ok


def tinynet_root():
    from booksite import ROOT

    return ROOT
