"""Claims of chapter 8 (*What frameworks do for you*) that the corrections added.

- The engine keeps the arrays' float type, like the hand-derived functions
  (checked on the book's problem; tests/unit/test_autodiff.py checks shapes).
- Section ``ad-memory``: what the graph stores, counted exactly by
  ``graph_nbytes`` against the formulas of the text; the activations grow by
  2NH numbers per hidden layer and outweigh the weights from 6 hidden layers
  on at the book's sizes; ``tracemalloc`` sees (almost exactly) the counted
  arrays; dL/dX and dL/dY cost exactly their N(D + C) numbers.
- Section ``ad-frameworks``: transposing the JVP of a matrix product (the
  route of JAX) gives ``matmul``'s backward rules; the chapter cites the
  JAX papers.
"""

from __future__ import annotations

import json
import re
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import tinynet
from tinynet.autodiff import Node, deep_network_loss, graph_nbytes, matmul, network_loss

BOOK = Path(__file__).resolve().parents[2] / "book"
NOTEBOOK = BOOK / "08-autodiff.ipynb"
N, D, H, C = 128, 1000, 100, 1
ITEM = 8  # bytes of a float64


def _markdown() -> str:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


def _deep(layers, rng):
    x, y, w1, w2 = tinynet.original_problem(0)
    hidden = [rng.standard_normal((H, H)) * np.sqrt(2 / H) for _ in range(layers - 1)]
    weights = [Node(w) for w in [w1, *hidden, w2]]
    return Node(x, requires_grad=False), Node(y, requires_grad=False), weights


def test_the_memory_section_exists_and_is_referenced():
    text = _markdown()
    assert "(ad-memory)=" in text
    assert "<ad-memory>`" in text  # referenced by number from other sections


def test_float32_gives_float32_gradients_on_the_books_problem():
    x, y, w1, w2 = (v.astype(np.float32) for v in tinynet.original_problem(0))
    _, dw1, dw2 = tinynet.autodiff.loss_and_gradients(x, y, w1, w2)
    _, ref1, ref2 = tinynet.loss_and_gradients(x, y, w1, w2)
    assert dw1.dtype == ref1.dtype == np.float32 and dw2.dtype == ref2.dtype == np.float32
    assert tinynet.relative_error(dw1.astype(float), ref1.astype(float)) < 1e-4


def test_float64_data_with_float32_weights_gives_float64_like_the_hand_derived():
    """Review C, ch. 8 must-fix 1: the case where the two used to disagree."""
    x, y, w1, w2 = tinynet.original_problem(0)
    w1, w2 = w1.astype(np.float32), w2.astype(np.float32)
    loss, dw1, dw2 = tinynet.autodiff.loss_and_gradients(x, y, w1, w2)
    ref_loss, ref1, ref2 = tinynet.loss_and_gradients(x, y, w1, w2)
    assert dw1.dtype == ref1.dtype == np.float64 and dw2.dtype == ref2.dtype == np.float64
    assert tinynet.relative_error(dw1, ref1) < 1e-12
    assert tinynet.relative_error(dw2, ref2) < 1e-12
    assert "numpy.result_type(x, y, w1, w2)" in _markdown()
    assert "gradients, weights only" not in NOTEBOOK.read_text(encoding="utf-8")


def test_the_memory_claim_is_cited():
    assert "{cite}`chen2016`" in _markdown()
    bib = (BOOK / "references.bib").read_text(encoding="utf-8")
    assert re.search(r"@\w+\{chen2016,", bib)


def test_memory_table_counts_on_the_books_problem():
    """Data N(D+C), weights DH+HC, activations 2NH+3NC+1; dL/dX and dL/dY add N(D+C)."""
    x, y, w1, w2 = tinynet.original_problem(0)
    after = {}
    for data_grad in (False, True):
        graph = network_loss(Node(x, requires_grad=data_grad), Node(y, requires_grad=data_grad),
                             Node(w1), Node(w2))
        graph.backward()
        after[data_grad] = graph_nbytes(graph)
    weights, activations = D * H + H * C, 2 * N * H + 3 * N * C + 1
    assert after[False] == {"data": ITEM * N * (D + C), "weights": ITEM * weights,
                            "activations": ITEM * activations,
                            "gradients": ITEM * (weights + activations)}
    assert after[True]["gradients"] - after[False]["gradients"] == ITEM * N * (D + C)
    assert N * D > D * H + H * C  # dL/dX alone is larger than all weight gradients


def test_activations_grow_linearly_with_depth_and_overtake_the_weights_at_6():
    rng = np.random.default_rng(1)
    counts = []
    for layers in range(1, 9):
        x, y, weights = _deep(layers, rng)
        counts.append(graph_nbytes(deep_network_loss(x, y, weights)))
    act = [c["activations"] for c in counts]
    wts = [c["weights"] for c in counts]
    assert set(np.diff(act)) == {ITEM * 2 * N * H}
    assert set(np.diff(wts)) == {ITEM * H * H}
    crossover = next(k for k, c in enumerate(counts, start=1) if c["activations"] > c["weights"])
    assert crossover == 6
    # the same from the formula, independently of the engine
    assert min(k for k in range(1, 20) if 2 * k * N * H + 3 * N * C + 1 > D * H + (k - 1) * H * H + H * C) == 6


@pytest.mark.parametrize("layers", [1, 4])
def test_tracemalloc_sees_the_counted_activations(layers):
    """The forward pass allocates the counted activations plus a little (Python objects)."""
    x, y, weights = _deep(layers, np.random.default_rng(1))
    tracemalloc.start()
    try:
        loss = deep_network_loss(x, y, weights)
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    counted = graph_nbytes(loss)["activations"]
    assert counted <= held <= 1.05 * counted


def test_transposing_the_jvp_of_matmul_gives_its_backward_rules():
    """JAX's route: the JVP of P = A B is dP = dA B + A dB, linear in (dA, dB); its
    transpose, built here as an explicit matrix and transposed, maps G to
    (G B^T, A^T G), exactly what matmul's backward function returns."""
    rng = np.random.default_rng(0)
    a, b, g = rng.standard_normal((3, 4)), rng.standard_normal((4, 2)), rng.standard_normal((3, 2))

    def jvp(da, db):  # linear in the perturbations
        return da @ b + a @ db

    n_a, n_b = a.size, b.size
    columns = []
    for k in range(n_a + n_b):
        e = np.zeros(n_a + n_b)
        e[k] = 1.0
        columns.append(jvp(e[:n_a].reshape(a.shape), e[n_a:].reshape(b.shape)).ravel())
    jacobian = np.stack(columns, axis=1)  # (size of P, size of A + size of B)
    transposed = jacobian.T @ g.ravel()
    grad_a, grad_b = matmul(Node(a), Node(b))._backward(g)
    np.testing.assert_allclose(transposed[:n_a].reshape(a.shape), grad_a, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(transposed[n_a:].reshape(b.shape), grad_b, rtol=1e-13, atol=1e-13)


def test_the_chapter_cites_the_jax_and_pytorch_papers():
    text = _markdown()
    cited = set()
    for keys in re.findall(r"\{cite(?::t)?\}`([^`]+)`", text):
        cited.update(k.strip() for k in keys.split(","))
    bib = (BOOK / "references.bib").read_text(encoding="utf-8")
    for key in ("frostig2018", "radul2023", "paszke2019"):
        assert key in cited
        assert re.search(r"@\w+\{" + key + ",", bib)
    assert "linearis" in text and "transpos" in text
