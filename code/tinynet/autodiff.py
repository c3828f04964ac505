"""A small reverse-mode automatic differentiation on NumPy arrays.

Every value of a computation is a :class:`Node` that remembers the nodes it
was computed from (its *parents*) and a function that turns the gradient of
the final scalar with respect to the node into gradients with respect to its
parents. Each operation (:func:`matmul`, :func:`relu`, :func:`sub`,
:func:`square`, :func:`sum_all`) defines that backward function right beside
its forward computation. :meth:`Node.backward` sorts the graph topologically
and calls the backward functions in reverse order: the chain rule, applied
one node at a time. A leaf created with ``requires_grad=False`` (the data
``x`` and ``y``) gets no gradient, and the operations skip the work of
computing one for it.

Values keep their floating-point type: ``float32`` leaves give ``float32``
values and gradients, and mixed types follow NumPy's promotion in every
operation, backward as well as forward: a node's gradient has the dtype
NumPy's promotion gives its value and the gradients that reach it. So
:func:`loss_and_gradients` returns gradients of the dtype the hand-derived
functions return, ``numpy.result_type(x, y, w1, w2)``.

The network of the book, written with nodes (:func:`network_loss`)::

    a    = matmul(x, w1)      (N, H)   eq-forward-a
    h    = relu(a)            (N, H)   eq-forward-h
    yhat = matmul(h, w2)      (N, C)   eq-forward-yhat
    diff = sub(yhat, y)       (N, C)
    sq   = square(diff)       (N, C)
    loss = sum_all(sq)        ()       eq-loss

:func:`loss_and_gradients` returns the same ``(loss, dw1, dw2)`` as the
hand-derived :func:`tinynet.loss_and_gradients`. :func:`deep_network_loss`
builds the same graph for any number of hidden layers, and
:func:`graph_nbytes` counts the bytes a graph keeps alive. There is no
global state: a graph is just the nodes that refer to each other.

Book chapter: *What frameworks do for you* (``book/08-autodiff.ipynb``).
"""

from __future__ import annotations

import numpy as np

from . import kernels
from .network import check_network


class Node:
    """One array in a computation graph, with its gradient.

    Parameters
    ----------
    value : array_like of real numbers, any shape
        The node's value. A floating-point array keeps its dtype (``float32``
        stays ``float32``) and is not copied; integers, which cannot hold a
        gradient, become ``float64``. Nothing in this module ever writes to
        it.
    parents : tuple of Node, default ()
        The nodes this one was computed from; empty for a leaf (an input or
        a weight matrix).
    backward : callable, optional
        Required when ``parents`` is not empty. ``backward(grad)`` receives
        dL/d(this node), shaped like ``value``, and returns one gradient per
        parent, each shaped like that parent's value.
    op : str, default ""
        The operation's name, for display (``"matmul"``, ``"relu"``, ...).
    name : str, default ""
        A label for display, such as ``"w1"``.
    requires_grad : bool, optional
        For a leaf only: whether :meth:`backward` computes its gradient
        (default True). Data such as ``x`` and ``y`` need none. A node with
        parents requires a gradient exactly when one of its parents does, and
        refuses this argument.

    Attributes
    ----------
    value : numpy.ndarray of floats
    grad : numpy.ndarray or None
        dL/d(this node), shaped and typed like ``value``, set by the last
        call of :meth:`backward` on a node that depends on this one; ``None``
        before, and always for a node that does not require a gradient.
    parents : tuple of Node
    requires_grad : bool
    op, name : str

    Raises
    ------
    TypeError
        If ``value`` does not hold real numbers, a parent is not a Node, or
        a node with parents has no callable ``backward``.
    ValueError
        If ``requires_grad`` is given for a node with parents.

    Examples
    --------
    >>> x = Node(np.array([[1.0, -2.0]]), name="x")
    >>> loss = sum_all(square(x))
    >>> loss.backward()
    >>> x.grad
    array([[ 2., -4.]])
    """

    def __init__(self, value, parents=(), backward=None, *, op="", name="",
                 requires_grad=None):
        array = np.asarray(value)
        if array.dtype.kind not in "iuf":
            raise TypeError(
                f"a Node holds real numbers, got dtype {array.dtype}"
            )
        parents = tuple(parents)
        for parent in parents:
            _check_node("parent", parent)
        if parents and not callable(backward):
            raise TypeError(
                "a Node with parents needs a callable backward(grad)"
            )
        if parents and requires_grad is not None:
            raise ValueError(
                "requires_grad is for leaves; a node with parents requires a "
                "gradient when one of its parents does"
            )
        if parents:
            requires_grad = any(parent.requires_grad for parent in parents)
        elif requires_grad is None:
            requires_grad = True
        if array.dtype.kind != "f":  # integers cannot hold a gradient
            array = array.astype(np.float64)
        self.value = array
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.parents = parents
        self.op = op
        self.name = name
        self._backward = backward

    def backward(self):
        """Set ``grad`` of every node this scalar depends on, by reverse mode.

        Sets the ``grad`` of each node that requires one to zero (the others
        to ``None``), this node's to 1 (dL/dL), then visits the nodes in
        reverse topological order, so that a node's gradient is complete,
        summed over all the nodes that use it, before it is passed on to its
        parents. Calling it twice gives the same gradients (they are reset,
        not accumulated across calls). A gradient follows NumPy's promotion:
        when a ``float64`` gradient reaches a ``float32`` node, the node's
        gradient becomes ``float64``.

        Raises
        ------
        ValueError
            If this node does not hold exactly one number, or no leaf it
            depends on requires a gradient.
        """
        if self.value.size != 1:
            raise ValueError(
                f"backward() starts from a scalar, but this node has shape "
                f"{self.value.shape}; reduce it first, e.g. with sum_all"
            )
        if not self.requires_grad:
            raise ValueError(
                "backward() needs a leaf with requires_grad=True to "
                "differentiate with respect to"
            )
        order = topological_order(self)
        for node in order:
            node.grad = np.zeros_like(node.value) if node.requires_grad else None
        self.grad = np.ones_like(self.value)
        for node in reversed(order):
            if not node.parents or not node.requires_grad:
                continue
            parent_grads = node._backward(node.grad)
            for parent, grad in zip(node.parents, parent_grads, strict=True):
                if not parent.requires_grad:  # None, or a gradient not kept
                    continue
                grad = np.asarray(grad)
                if grad.shape != parent.value.shape:  # shaped like its node
                    raise RuntimeError(
                        f"the backward function of {node.op or 'an operation'}"
                        f" returned a gradient of shape {grad.shape} for a "
                        f"parent of shape {parent.value.shape}"
                    )
                wider = np.result_type(parent.grad, grad)
                if parent.grad.dtype != wider:  # promote, as NumPy would
                    parent.grad = parent.grad.astype(wider)
                parent.grad += grad  # += : a node used twice sums both terms

    @property
    def shape(self):
        """tuple of int: the shape of ``value``."""
        return self.value.shape

    def __repr__(self):
        label = self.name or "?"
        kind = self.op or "leaf"
        return f"Node({label}, {kind}, shape={self.value.shape})"


def matmul(a, b, *, name=""):
    """Matrix product ``a @ b`` of two 2-D nodes.

    Backward, for ``out = a @ b`` with upstream gradient ``g = dL/dout``:
    ``dL/da = g @ b.T`` and ``dL/db = a.T @ g`` (equations ``eq-grad-h``,
    ``eq-grad-w2`` and ``eq-grad-w1`` are instances of these two rules),
    each computed only if that input requires a gradient.

    Parameters
    ----------
    a : Node, shape (N, K)
    b : Node, shape (K, M)
    name : str, optional

    Returns
    -------
    Node, shape (N, M)

    Examples
    --------
    >>> a, b = Node(np.ones((2, 3))), Node(np.ones((3, 4)))
    >>> matmul(a, b).shape
    (2, 4)
    """
    _check_node("a", a)
    _check_node("b", b)
    if a.value.ndim != 2 or b.value.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(
            f"matmul needs shapes (N, K) and (K, M), got {a.shape} and "
            f"{b.shape}"
        )

    def backward(grad):  # grad: (N, M); skip what nobody needs
        grad_a = grad @ b.value.T if a.requires_grad else None  # (N, K)
        grad_b = a.value.T @ grad if b.requires_grad else None  # (K, M)
        return grad_a, grad_b

    return Node(a.value @ b.value, (a, b), backward, op="matmul", name=name)


def relu(a, *, name=""):
    """ReLU, ``max(a, 0)`` entry by entry (equation ``eq-relu``).

    Backward: the upstream gradient where ``a > 0``, zero elsewhere
    (equation ``eq-grad-a``), with the same convention at exactly 0 as
    :func:`tinynet.relu_backward`.

    Parameters
    ----------
    a : Node, any shape
    name : str, optional

    Returns
    -------
    Node, shape of ``a``
    """
    _check_node("a", a)

    def backward(grad):
        return (kernels.relu_backward(grad, a.value),)

    return Node(kernels.relu(a.value), (a,), backward, op="relu", name=name)


def sub(a, b, *, name=""):
    """Difference ``a - b`` of two nodes of exactly the same shape.

    Backward: ``dL/da = g`` and ``dL/db = -g``. Different shapes are
    refused instead of broadcast.

    Parameters
    ----------
    a, b : Node, same shape
    name : str, optional

    Returns
    -------
    Node, shape of ``a``
    """
    _check_node("a", a)
    _check_node("b", b)
    if a.shape != b.shape:
        raise ValueError(
            f"sub needs two nodes of the same shape, got {a.shape} and "
            f"{b.shape} (NumPy would broadcast them)"
        )

    def backward(grad):
        return grad, (-grad if b.requires_grad else None)

    return Node(a.value - b.value, (a, b), backward, op="sub", name=name)


def square(a, *, name=""):
    """Entry-wise square ``a**2``.

    Backward: ``dL/da = 2 a g``; for ``a = yhat - y`` this is the factor
    ``2 (yhat - y)`` of equation ``eq-grad-yhat``.

    Parameters
    ----------
    a : Node, any shape
    name : str, optional

    Returns
    -------
    Node, shape of ``a``
    """
    _check_node("a", a)

    def backward(grad):
        return (2.0 * a.value * grad,)

    return Node(a.value**2, (a,), backward, op="square", name=name)


def sum_all(a, *, name=""):
    """Sum of all entries of ``a``, a scalar node.

    Backward: every entry of ``a`` receives the upstream scalar gradient,
    since each entry enters the sum with coefficient 1.

    Parameters
    ----------
    a : Node, any shape
    name : str, optional

    Returns
    -------
    Node, shape ()
    """
    _check_node("a", a)

    def backward(grad):  # grad: shape ()
        return (np.full_like(a.value, grad),)

    return Node(np.sum(a.value), (a,), backward, op="sum", name=name)


def topological_order(root):
    """Every node ``root`` depends on, each after all of its parents.

    A depth-first search with an explicit stack (no recursion, so deep
    graphs are fine). A node used several times appears once.

    Parameters
    ----------
    root : Node

    Returns
    -------
    list of Node
        Starts with leaves and ends with ``root``.
    """
    _check_node("root", root)
    order, visited = [], set()
    stack = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)  # all of its parents are already in order
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            for parent in reversed(node.parents):  # first parent first out
                if parent not in visited:
                    stack.append((parent, False))
    return order


def trace(root):
    """The nodes and edges of the graph that computes ``root``, for drawing.

    Parameters
    ----------
    root : Node

    Returns
    -------
    nodes : list of Node
        In topological order, as :func:`topological_order`.
    edges : list of tuple (Node, Node)
        One ``(parent, child)`` pair per use of a parent, in the order of
        ``nodes``; a node used twice by the same child gives two equal pairs.

    Examples
    --------
    >>> x = Node(np.ones((1, 1)), name="x")
    >>> nodes, edges = trace(sub(x, x, name="d"))
    >>> [n.name for n in nodes], [(p.name, c.name) for p, c in edges]
    (['x', 'd'], [('x', 'd'), ('x', 'd')])
    """
    nodes = topological_order(root)
    edges = [(parent, node) for node in nodes for parent in node.parents]
    return nodes, edges


def network_loss(x, y, w1, w2):
    """Build the graph of the network's loss from four leaf nodes.

    The forward pass of equations ``eq-forward-a`` to ``eq-loss``, written
    once; the backward pass comes from the operations.

    Parameters
    ----------
    x : Node, shape (N, D)
    y : Node, shape (N, C)
    w1 : Node, shape (D, H)
    w2 : Node, shape (H, C)

    Returns
    -------
    Node, shape ()
        The sum of squared errors, named ``"loss"``; call its
        :meth:`~Node.backward` to fill ``w1.grad`` and ``w2.grad``.
    """
    a = matmul(x, w1, name="a")
    h = relu(a, name="h")
    yhat = matmul(h, w2, name="yhat")
    diff = sub(yhat, y, name="diff")
    return sum_all(square(diff, name="sq"), name="loss")


def deep_network_loss(x, y, weights):
    """The graph of the loss of a ReLU network with any number of layers.

    ``len(weights) - 1`` hidden layers: ``a1 = x @ w1``, ``h1 = relu(a1)``,
    ``a2 = h1 @ w2``, ..., and ``yhat = h @ w_last`` with no ReLU, followed
    by the loss of equation ``eq-loss``. With two weight matrices it builds
    the same operations as :func:`network_loss` (with the nodes named
    ``a1``, ``h1`` instead of ``a``, ``h``).

    Parameters
    ----------
    x : Node, shape (N, D)
    y : Node, shape (N, C)
    weights : sequence of Node, at least one
        Shapes (D, H1), (H1, H2), ..., (H_last, C).

    Returns
    -------
    Node, shape ()
        The sum of squared errors, named ``"loss"``.

    Raises
    ------
    ValueError
        If ``weights`` is empty (shapes are checked by :func:`matmul`).

    Examples
    --------
    >>> x, y = Node(np.ones((2, 3))), Node(np.zeros((2, 1)))
    >>> ws = [Node(np.ones((3, 4))), Node(np.ones((4, 4))), Node(np.ones((4, 1)))]
    >>> float(deep_network_loss(x, y, ws).value)  # each prediction is 48
    4608.0
    """
    weights = list(weights)
    if not weights:
        raise ValueError("weights must hold at least one weight matrix")
    h = x
    for layer, w in enumerate(weights[:-1], start=1):
        a = matmul(h, w, name=f"a{layer}")
        h = relu(a, name=f"h{layer}")
    yhat = matmul(h, weights[-1], name="yhat")
    diff = sub(yhat, y, name="diff")
    return sum_all(square(diff, name="sq"), name="loss")


def graph_nbytes(root):
    """Bytes of the arrays that the graph of ``root`` keeps alive, by kind.

    Every node holds its value for as long as the graph exists, and, after
    :meth:`Node.backward`, every node that requires a gradient also holds
    its ``grad``.

    Parameters
    ----------
    root : Node

    Returns
    -------
    dict of str to int
        ``"data"``: values of the leaves that require no gradient (``x``,
        ``y``); ``"weights"``: values of the leaves that do;
        ``"activations"``: values of the nodes computed by operations, the
        forward pass's intermediate results; ``"gradients"``: the ``grad``
        arrays currently set (0 before ``backward``).

    Examples
    --------
    >>> x = Node(np.ones((2, 3)), requires_grad=False)
    >>> w = Node(np.ones((3, 1)))
    >>> loss = sum_all(matmul(x, w))
    >>> graph_nbytes(loss)  # float64: 8 bytes a number; loss is 1 number
    {'data': 48, 'weights': 24, 'activations': 24, 'gradients': 0}
    >>> loss.backward()
    >>> graph_nbytes(loss)["gradients"]  # w, the product and the loss
    48
    """
    count = {"data": 0, "weights": 0, "activations": 0, "gradients": 0}
    for node in topological_order(root):
        if node.parents:
            count["activations"] += node.value.nbytes
        elif node.requires_grad:
            count["weights"] += node.value.nbytes
        else:
            count["data"] += node.value.nbytes
        if node.grad is not None:
            count["gradients"] += node.grad.nbytes
    return count


def loss_and_gradients(x, y, w1, w2):
    """Loss and both weight gradients, by automatic differentiation.

    The same contract as the hand-derived :func:`tinynet.loss_and_gradients`,
    including the types: both gradients have the dtype
    ``numpy.result_type(x, y, w1, w2)``, so ``float32`` arrays give
    ``float32`` gradients and any ``float64`` argument gives ``float64``
    gradients, because every operation, forward and backward, follows
    NumPy's promotion. ``x`` and ``y`` are leaves that require no gradient,
    so no work is spent on dL/dx or dL/dy.

    Parameters
    ----------
    x : numpy.ndarray, shape (N, D)
    y : numpy.ndarray, shape (N, C)
    w1 : numpy.ndarray, shape (D, H)
    w2 : numpy.ndarray, shape (H, C)

    Returns
    -------
    loss : float
        Sum of squared errors.
    dw1 : numpy.ndarray, shape (D, H)
        dL/dw1, of dtype ``numpy.result_type(x, y, w1, w2)``.
    dw2 : numpy.ndarray, shape (H, C)
        dL/dw2, of the same dtype.

    Raises
    ------
    TypeError, ValueError
        If an argument is not a finite 2-D float array or the shapes do not
        fit together (checked by :func:`tinynet.check_network`).

    Examples
    --------
    >>> x, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    >>> w1, w2 = np.array([[1.0], [-0.5]]), np.array([[3.0]])
    >>> loss_and_gradients(x, y, w1, w2)  # a = 0: the ReLU blocks everything
    (1.0, array([[0.],
           [0.]]), array([[0.]]))
    """
    check_network(x, w1, w2, y)
    w1_node, w2_node = Node(w1, name="w1"), Node(w2, name="w2")
    x_node = Node(x, name="x", requires_grad=False)
    y_node = Node(y, name="y", requires_grad=False)
    loss = network_loss(x_node, y_node, w1_node, w2_node)
    loss.backward()
    return float(loss.value), w1_node.grad, w2_node.grad


def _check_node(name, value):
    if not isinstance(value, Node):
        raise TypeError(
            f"{name} must be a Node, got {type(value).__name__}; wrap an "
            f"array as Node(array)"
        )


__all__ = [
    "Node",
    "deep_network_loss",
    "graph_nbytes",
    "loss_and_gradients",
    "matmul",
    "network_loss",
    "relu",
    "square",
    "sub",
    "sum_all",
    "topological_order",
    "trace",
]
