"""Tests of tinynet.autodiff, the small reverse-mode automatic differentiation.

The network's gradients are compared with the hand-derived
tinynet.loss_and_gradients (to 1e-12 relative, on several shapes including
C > 1, and in float32 and mixed precision with the same dtypes); every
operation's backward function is compared with centered finite differences;
leaves with requires_grad=False get no gradient and cost no work; the deep
network's gradients match finite differences; graph_nbytes counts exactly;
and, only when PyTorch is installed, the gradients match torch.autograd.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tinynet
from tinynet.autodiff import (
    Node,
    deep_network_loss,
    graph_nbytes,
    loss_and_gradients,
    matmul,
    network_loss,
    relu,
    square,
    sub,
    sum_all,
    topological_order,
    trace,
)

RTOL = 1e-12


def _weighted_sum(a, weights):
    """A test-only operation L = sum(weights * a), built with the public Node API.

    Its backward passes ``weights * g`` to ``a``, so the gradient that reaches
    an operation's output is an arbitrary array ``weights``, not just ones.
    """

    def backward(grad):
        return (weights * grad,)

    return Node(np.sum(weights * a.value), (a,), backward, op="weighted_sum")


def _away_from_zero(rng, shape, margin=1e-2):
    """Standard normal entries pushed at least ``margin`` away from 0 (ReLU's kink)."""
    v = rng.standard_normal(shape)
    return np.where(v >= 0, v + margin, v - margin)


# ------------------------------------------------------ the network


def test_agrees_with_hand_derived_gradients(problem):
    """loss, dw1 and dw2 equal tinynet.loss_and_gradients to 1e-12 relative."""
    x, y, w1, w2 = problem
    loss, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    ref_loss, ref_dw1, ref_dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
    assert type(loss) is float
    assert abs(loss - ref_loss) <= RTOL * abs(ref_loss)
    assert dw1.shape == w1.shape and dw2.shape == w2.shape
    assert dw1.dtype == np.float64 and dw2.dtype == np.float64
    assert tinynet.relative_error(dw1, ref_dw1) < RTOL
    assert tinynet.relative_error(dw2, ref_dw2) < RTOL
    assert np.any(dw1 != 0) and np.any(dw2 != 0)


def test_agrees_on_the_books_problem():
    """The book's experiment: seed 0, N=128, D=1000, H=100, C=1."""
    rng = np.random.default_rng(0)
    x, y = tinynet.make_data(128, 1000, 1, rng)
    w1, w2 = tinynet.init_weights(1000, 100, 1, rng)
    loss, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    ref_loss, ref_dw1, ref_dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
    assert abs(loss - ref_loss) <= RTOL * abs(ref_loss)
    assert tinynet.relative_error(dw1, ref_dw1) < RTOL
    assert tinynet.relative_error(dw2, ref_dw2) < RTOL


def test_network_gradients_match_fd(problem, fd_checks):
    """The autodiff gradients also pass the finite-difference check on their own."""
    x, y, w1, w2 = problem
    _, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    fd_checks(dw1, lambda w: tinynet.sse_loss(np.maximum(x @ w, 0) @ w2, y), w1)
    fd_checks(dw2, lambda w: tinynet.sse_loss(np.maximum(x @ w1, 0) @ w, y), w2)


def test_network_loss_graph_nodes_and_gradients_of_every_node(small_problem):
    """The graph has the book's nodes, and the inner gradients match the hand steps."""
    x, y, w1, w2 = small_problem
    leaves = {n: Node(v, name=n) for n, v in (("x", x), ("y", y), ("w1", w1), ("w2", w2))}
    loss = network_loss(leaves["x"], leaves["y"], leaves["w1"], leaves["w2"])
    nodes, edges = trace(loss)
    by_name = {node.name: node for node in nodes}
    assert set(by_name) == {"x", "w1", "a", "h", "w2", "yhat", "y", "diff", "sq", "loss"}
    assert {(p.name, c.name) for p, c in edges} == {
        ("x", "a"), ("w1", "a"), ("a", "h"), ("h", "yhat"), ("w2", "yhat"),
        ("yhat", "diff"), ("y", "diff"), ("diff", "sq"), ("sq", "loss"),
    }  # fmt: skip
    assert len(edges) == 9
    assert by_name["loss"].shape == ()
    loss.backward()
    fwd = tinynet.forward(x, w1, w2)
    dyhat = tinynet.sse_loss_backward(fwd.predictions, y)
    dh = tinynet.grad_h(dyhat, w2)
    np.testing.assert_array_equal(by_name["yhat"].grad, dyhat)
    np.testing.assert_array_equal(by_name["h"].grad, dh)
    np.testing.assert_array_equal(by_name["a"].grad, tinynet.relu_backward(dh, fwd.a))
    np.testing.assert_array_equal(by_name["y"].grad, -dyhat)


# ------------------------------------------------------ each operation


def test_matmul_gradients_match_fd(fd_checks):
    rng = np.random.default_rng(1)
    a, b, g = rng.standard_normal((4, 3)), rng.standard_normal((3, 5)), rng.standard_normal((4, 5))
    na, nb = Node(a), Node(b)
    _weighted_sum(matmul(na, nb), g).backward()
    fd_checks(na.grad, lambda v: np.sum(g * (v @ b)), a)
    fd_checks(nb.grad, lambda v: np.sum(g * (a @ v)), b)


def test_relu_gradient_matches_fd(fd_checks):
    rng = np.random.default_rng(2)
    a, g = _away_from_zero(rng, (5, 4)), rng.standard_normal((5, 4))
    na = Node(a)
    out = relu(na)
    np.testing.assert_array_equal(out.value, tinynet.relu(a))
    _weighted_sum(out, g).backward()
    fd_checks(na.grad, lambda v: np.sum(g * np.maximum(v, 0)), a)


def test_relu_convention_at_zero_matches_tinynet():
    """At exactly a == 0 the gradient is blocked (mask a > 0), as tinynet.relu_backward."""
    a = np.array([[-1.0, 0.0, 2.0]])
    na = Node(a)
    sum_all(relu(na)).backward()
    np.testing.assert_array_equal(na.grad, [[0.0, 0.0, 1.0]])
    np.testing.assert_array_equal(na.grad, tinynet.relu_backward(np.ones_like(a), a))


def test_sub_gradients_match_fd(fd_checks):
    rng = np.random.default_rng(3)
    a, b, g = (rng.standard_normal((3, 2)) for _ in range(3))
    na, nb = Node(a), Node(b)
    _weighted_sum(sub(na, nb), g).backward()
    fd_checks(na.grad, lambda v: np.sum(g * (v - b)), a)
    fd_checks(nb.grad, lambda v: np.sum(g * (a - v)), b)


def test_square_gradient_matches_fd(fd_checks):
    rng = np.random.default_rng(4)
    a, g = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    na = Node(a)
    _weighted_sum(square(na), g).backward()
    fd_checks(na.grad, lambda v: np.sum(g * v**2), a)


@pytest.mark.parametrize("shape", [(3, 4), (5,), (1, 1)])
def test_sum_all_gradient_matches_fd(shape, fd_checks):
    rng = np.random.default_rng(5)
    a = rng.standard_normal(shape)
    na = Node(a)
    out = sum_all(na)
    assert out.shape == () and out.value == np.sum(a)
    _weighted_sum(out, 3.0).backward()
    fd_checks(na.grad, lambda v: 3.0 * np.sum(v), a)


# ------------------------------------------------------ graph structure


def test_node_used_twice_by_one_operation():
    """x - x is zero everywhere: the two gradient terms +g and -g must add up."""
    x = Node(np.array([[1.0, -2.0], [3.0, 0.5]]))
    sum_all(sub(x, x)).backward()
    np.testing.assert_array_equal(x.grad, np.zeros((2, 2)))


def test_node_used_by_two_operations():
    """L = sum(x**2 - x): dL/dx = 2x - 1 collects one term from each use of x."""
    v = np.array([[1.0, -2.0, 0.25]])
    x = Node(v)
    sum_all(sub(square(x), x)).backward()
    np.testing.assert_array_equal(x.grad, 2 * v - 1)


def test_matmul_of_a_node_with_itself_matches_fd(fd_checks):
    """L = sum(weights * (x @ x)): x enters both sides of one product."""
    rng = np.random.default_rng(6)
    v, g = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    x = Node(v)
    _weighted_sum(matmul(x, x), g).backward()
    fd_checks(x.grad, lambda w: np.sum(g * (w @ w)), v)
    np.testing.assert_allclose(x.grad, g @ v.T + v.T @ g, rtol=1e-14)


def test_backward_twice_gives_the_same_gradients(small_problem):
    """Gradients are reset at each backward(), not accumulated across calls."""
    x, y, w1, w2 = small_problem
    nw1 = Node(w1)
    loss = network_loss(Node(x), Node(y), nw1, Node(w2))
    loss.backward()
    first = nw1.grad.copy()
    loss.backward()
    np.testing.assert_array_equal(nw1.grad, first)


def test_topological_order_puts_parents_first_and_each_node_once(small_problem):
    x, y, w1, w2 = small_problem
    loss = network_loss(Node(x), Node(y), Node(w1), Node(w2))
    order = topological_order(loss)
    assert order[-1] is loss
    assert len(order) == len({id(n) for n in order}) == 10
    position = {id(n): k for k, n in enumerate(order)}
    for node in order:
        for parent in node.parents:
            assert position[id(parent)] < position[id(node)]


def test_deep_graph_needs_no_recursion():
    """A chain of 5000 operations (deeper than Python's recursion limit)."""
    x = Node(np.array([[2.0]]))
    node = x
    for _ in range(5000):
        node = relu(node)
    sum_all(node).backward()
    assert x.grad[0, 0] == 1.0


def test_trace_lists_a_repeated_edge_twice():
    x = Node(np.ones((1, 1)), name="x")
    nodes, edges = trace(sub(x, x, name="d"))
    assert [n.name for n in nodes] == ["x", "d"]
    assert [(p.name, c.name) for p, c in edges] == [("x", "d"), ("x", "d")]


def test_repr_names_the_node():
    assert repr(matmul(Node(np.ones((2, 3)), name="p"), Node(np.ones((3, 1))), name="q")) == (
        "Node(q, matmul, shape=(2, 1))"
    )
    assert repr(Node(np.ones(2), name="w")) == "Node(w, leaf, shape=(2,))"


# ------------------------------------------------------ inputs untouched


def test_inputs_are_not_modified(small_problem):
    x, y, w1, w2 = small_problem
    copies = [v.copy() for v in (x, y, w1, w2)]
    loss_and_gradients(x, y, w1, w2)
    for original, copy in zip((x, y, w1, w2), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


def test_operations_do_not_modify_their_operands():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    a0, b0 = a.copy(), b.copy()
    na, nb = Node(a), Node(b)
    loss = sum_all(square(sub(relu(matmul(na, nb)), nb)))
    loss.backward()
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
    np.testing.assert_array_equal(na.value, a0)


def test_returned_gradients_are_new_arrays(small_problem):
    x, y, w1, w2 = small_problem
    _, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    for grad in (dw1, dw2):
        for array in (x, y, w1, w2):
            assert not np.shares_memory(grad, array)


# ------------------------------------------------------ dtypes


def test_float32_keeps_its_dtype_like_the_hand_derived_functions(small_problem):
    """float32 in, float32 out, as tinynet.loss_and_gradients (no silent float64)."""
    x, y, w1, w2 = (v.astype(np.float32) for v in small_problem)
    loss, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    ref_loss, ref_dw1, ref_dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
    assert type(loss) is float
    assert dw1.dtype == ref_dw1.dtype == np.float32
    assert dw2.dtype == ref_dw2.dtype == np.float32
    assert abs(loss - ref_loss) <= 1e-5 * abs(ref_loss)
    np.testing.assert_allclose(dw1, ref_dw1, rtol=1e-5, atol=1e-5 * np.abs(ref_dw1).max())
    np.testing.assert_allclose(dw2, ref_dw2, rtol=1e-5, atol=1e-5 * np.abs(ref_dw2).max())


def test_mixed_dtypes_follow_numpy_promotion_like_the_hand_derived_functions(small_problem):
    """float32 data with float64 weights: the same dtypes as the hand-derived code."""
    x, y, w1, w2 = small_problem
    x32, y32 = x.astype(np.float32), y.astype(np.float32)
    _, dw1, dw2 = loss_and_gradients(x32, y32, w1, w2)
    _, ref_dw1, ref_dw2 = tinynet.loss_and_gradients(x32, y32, w1, w2)
    assert dw1.dtype == ref_dw1.dtype == np.float64
    assert dw2.dtype == ref_dw2.dtype == np.float64
    assert tinynet.relative_error(dw1, ref_dw1) < RTOL
    assert tinynet.relative_error(dw2, ref_dw2) < RTOL


@pytest.mark.parametrize("dtypes", list(itertools.product(
    (np.float32, np.float64), repeat=4)), ids=lambda d: "-".join(
    np.dtype(t).name[5:] for t in d))
def test_every_mix_of_dtypes_gives_the_dtype_of_the_hand_derived_functions(
        small_problem, dtypes):
    """All 16 mixes of float32 and float64 for (x, y, w1, w2), including
    float64 data with float32 weights: one contract, numpy.result_type."""
    x, y, w1, w2 = (v.astype(t) for v, t in zip(small_problem, dtypes))
    loss, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    ref_loss, ref_dw1, ref_dw2 = tinynet.loss_and_gradients(x, y, w1, w2)
    expected = np.result_type(*dtypes)
    assert dw1.dtype == ref_dw1.dtype == expected
    assert dw2.dtype == ref_dw2.dtype == expected
    assert w1.dtype == dtypes[2] and w2.dtype == dtypes[3]  # inputs untouched
    tol = 1e-5 if expected == np.float32 else RTOL
    assert abs(loss - ref_loss) <= tol * abs(ref_loss)
    assert tinynet.relative_error(dw1, ref_dw1) < tol
    assert tinynet.relative_error(dw2, ref_dw2) < tol


def test_node_keeps_floats_and_converts_integers():
    v32 = np.ones((2, 2), dtype=np.float32)
    node = Node(v32)
    assert node.value.dtype == np.float32 and node.value is v32  # not copied
    assert Node(np.arange(3)).value.dtype == np.float64
    out = square(node)
    sum_all(out).backward()
    assert out.value.dtype == node.grad.dtype == np.float32


# ------------------------------------------------------ requires_grad


def test_leaves_without_requires_grad_get_no_gradient(small_problem):
    """Same weight gradients with or without dL/dx, and x.grad stays None."""
    x, y, w1, w2 = small_problem
    grads = {}
    for needs in (True, False):
        nx, ny = Node(x, requires_grad=needs), Node(y, requires_grad=needs)
        nw1, nw2 = Node(w1), Node(w2)
        network_loss(nx, ny, nw1, nw2).backward()
        grads[needs] = (nw1.grad, nw2.grad)
        assert (nx.grad is not None) is needs and (ny.grad is not None) is needs
    for with_x, without_x in zip(grads[True], grads[False], strict=True):
        np.testing.assert_array_equal(with_x, without_x)


def test_operations_inherit_requires_grad_and_skip_unneeded_products():
    a = Node(np.ones((2, 3)), requires_grad=False)
    b = Node(np.ones((3, 4)))
    c = Node(np.ones((2, 3)), requires_grad=False)
    assert matmul(a, b).requires_grad and not relu(a).requires_grad
    assert not sub(a, c).requires_grad
    # matmul's backward function does not compute dL/da when a needs none
    grad_a, grad_b = matmul(a, b)._backward(np.ones((2, 4)))
    assert grad_a is None and grad_b.shape == (3, 4)
    p, q = Node(np.ones((4, 2))), Node(np.ones((2, 3)), requires_grad=False)
    grad_a, grad_b = matmul(p, q)._backward(np.ones((4, 3)))
    assert grad_a.shape == (4, 2) and grad_b is None


def test_loss_and_gradients_computes_no_data_gradient(monkeypatch, small_problem):
    """loss_and_gradients builds x and y as leaves that require no gradient."""
    import tinynet.autodiff as ad

    leaves = []
    build = ad.network_loss

    def recording(*nodes):
        leaves.extend(nodes)
        return build(*nodes)

    monkeypatch.setattr(ad, "network_loss", recording)
    loss_and_gradients(*small_problem)
    x, y, w1, w2 = leaves
    assert not x.requires_grad and x.grad is None
    assert not y.requires_grad and y.grad is None
    assert w1.grad is not None and w2.grad is not None


def test_requires_grad_is_for_leaves_and_backward_needs_one():
    a = Node(np.ones((1, 1)))
    with pytest.raises(ValueError, match="requires_grad is for leaves"):
        Node(np.ones((1, 1)), (a,), lambda g: (g,), requires_grad=False)
    with pytest.raises(ValueError, match="requires_grad=True"):
        sum_all(Node(np.ones((1, 1)), requires_grad=False)).backward()


# ------------------------------------------------------ deep networks, memory


def test_deep_network_loss_with_two_weights_is_network_loss(small_problem):
    x, y, w1, w2 = small_problem
    nw = [Node(w1), Node(w2)]
    deep = deep_network_loss(Node(x), Node(y), nw)
    deep.backward()
    loss, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    assert float(deep.value) == loss
    np.testing.assert_array_equal(nw[0].grad, dw1)
    np.testing.assert_array_equal(nw[1].grad, dw2)
    names = [n.name for n in topological_order(deep) if n.parents]
    assert names == ["a1", "h1", "yhat", "diff", "sq", "loss"]


@pytest.mark.parametrize("layers", [1, 3])
def test_deep_network_gradients_match_fd(layers, fd_checks):
    rng = np.random.default_rng(10 + layers)
    sizes = [5] + [4] * (layers - 1) + [2]
    x, y = rng.standard_normal((6, 5)), rng.standard_normal((6, 2))
    ws = [rng.standard_normal((m, n)) for m, n in zip(sizes[:-1], sizes[1:], strict=True)]
    nodes = [Node(w) for w in ws]
    deep_network_loss(Node(x, requires_grad=False), Node(y, requires_grad=False), nodes).backward()

    def loss_of(k):
        def f(w):
            h = x
            for j, wj in enumerate(ws):
                h = h @ (w if j == k else wj)
                if j < len(ws) - 1:
                    h = np.maximum(h, 0)
            return float(np.sum((h - y) ** 2))

        return f

    for k, (w, node) in enumerate(zip(ws, nodes, strict=True)):
        fd_checks(node.grad, loss_of(k), w)


def test_deep_network_loss_needs_weights():
    with pytest.raises(ValueError, match="at least one"):
        deep_network_loss(Node(np.ones((1, 1))), Node(np.ones((1, 1))), [])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("layers", [1, 2, 5])
def test_graph_nbytes_counts_exactly(layers, dtype):
    """data N(D+C), weights DH + (L-1)H^2 + HC, activations 2LNH + 3NC + 1 numbers."""
    n, d, h, c = 7, 6, 5, 3
    item = np.dtype(dtype).itemsize
    rng = np.random.default_rng(0)
    x = Node(rng.standard_normal((n, d)).astype(dtype), requires_grad=False)
    y = Node(rng.standard_normal((n, c)).astype(dtype), requires_grad=False)
    sizes = [d] + [h] * layers + [c]
    ws = [Node(rng.standard_normal((p, q)).astype(dtype)) for p, q in zip(sizes[:-1], sizes[1:], strict=True)]
    loss = deep_network_loss(x, y, ws)
    weights = d * h + (layers - 1) * h * h + h * c
    activations = 2 * (layers) * n * h + 3 * n * c + 1
    before = graph_nbytes(loss)
    assert before == {"data": item * n * (d + c), "weights": item * weights,
                      "activations": item * activations, "gradients": 0}
    loss.backward()
    assert graph_nbytes(loss)["gradients"] == item * (weights + activations)


# ------------------------------------------------------ bad inputs


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda x, y, w1, w2: (x, y.ravel(), w1, w2), ValueError, "reshape"),
        (lambda x, y, w1, w2: (x, y, w1.T, w2), ValueError, "chain"),
        (lambda x, y, w1, w2: (x.astype(int), y, w1, w2), TypeError, "float"),
        (lambda x, y, w1, w2: (x.tolist(), y, w1, w2), TypeError, "numpy array"),
        (lambda x, y, w1, w2: (x, y, w1, np.full_like(w2, np.nan)), ValueError, "NaN"),
        (lambda x, y, w1, w2: (x, y[:-1], w1, w2), ValueError, "shape"),
    ],
    ids=["1-D y", "w1 transposed", "int x", "list x", "NaN w2", "short y"],
)
def test_loss_and_gradients_rejects_bad_inputs(small_problem, change, error, match):
    with pytest.raises(error, match=match):
        loss_and_gradients(*change(*small_problem))


def test_operations_reject_arrays_and_mismatched_shapes():
    a = Node(np.ones((3, 1)))
    with pytest.raises(TypeError, match="Node"):
        relu(np.ones((3, 1)))
    with pytest.raises(TypeError, match="Node"):
        matmul(a, np.ones((1, 2)))
    with pytest.raises(ValueError, match="same shape"):
        sub(a, Node(np.ones(3)))  # (3, 1) - (3,) would broadcast to (3, 3)
    with pytest.raises(ValueError, match="matmul"):
        matmul(a, a)
    with pytest.raises(ValueError, match="matmul"):
        matmul(Node(np.ones(3)), Node(np.ones(3)))


def test_node_rejects_bad_construction():
    with pytest.raises(TypeError, match="real numbers"):
        Node(np.array(["a"]))
    with pytest.raises(TypeError, match="real numbers"):
        Node(np.array([1j]))
    with pytest.raises(TypeError, match="backward"):
        Node(np.ones(1), (Node(np.ones(1)),))
    with pytest.raises(TypeError, match="Node"):
        Node(np.ones(1), (np.ones(1),), lambda g: (g,))


def test_backward_needs_a_scalar():
    with pytest.raises(ValueError, match="scalar"):
        square(Node(np.ones((2, 2)))).backward()


def test_backward_refuses_a_gradient_of_the_wrong_shape():
    """The shape rule catches a wrong custom backward where it happens."""
    x = Node(np.ones((2, 3)))
    bad = Node(np.sum(x.value), (x,), lambda g: (np.ones((3, 2)),), op="bad")
    with pytest.raises(RuntimeError, match=r"bad.*\(3, 2\).*\(2, 3\)"):
        bad.backward()


# ------------------------------------------------------ PyTorch, if installed


def test_agrees_with_pytorch(problem):
    """Same loss and gradients as torch.autograd in float64 (skipped without torch)."""
    torch = pytest.importorskip("torch")
    x, y, w1, w2 = problem
    loss, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    tw1 = torch.tensor(w1, dtype=torch.float64, requires_grad=True)
    tw2 = torch.tensor(w2, dtype=torch.float64, requires_grad=True)
    tx, ty = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    tloss = ((torch.relu(tx @ tw1) @ tw2 - ty) ** 2).sum()
    tloss.backward()
    assert abs(loss - tloss.item()) <= RTOL * abs(loss)
    assert tinynet.relative_error(dw1, tw1.grad.numpy()) < RTOL
    assert tinynet.relative_error(dw2, tw2.grad.numpy()) < RTOL
