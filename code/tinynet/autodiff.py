"""A small reverse-mode automatic differentiation on NumPy arrays.

Every value of a computation is a :class:`Node` that remembers the nodes it
was computed from (its *parents*) and a function that turns the gradient of
the final scalar with respect to the node into gradients with respect to its
parents. Each operation (:func:`matmul`, :func:`relu`, :func:`sub`,
:func:`square`, :func:`sum_all`) defines that backward function right beside
its forward computation. :meth:`Node.backward` sorts the graph topologically
and calls the backward functions in reverse order: the chain rule, applied
one node at a time.

The network of the book, written with nodes (:func:`network_loss`)::

    a    = matmul(x, w1)      (N, H)   eq-forward-a
    h    = relu(a)            (N, H)   eq-forward-h
    yhat = matmul(h, w2)      (N, C)   eq-forward-yhat
    diff = sub(yhat, y)       (N, C)
    sq   = square(diff)       (N, C)
    loss = sum_all(sq)        ()       eq-loss

:func:`loss_and_gradients` returns the same ``(loss, dw1, dw2)`` as the
hand-derived :func:`tinynet.loss_and_gradients`. There is no global state:
a graph is just the nodes that refer to each other.

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
        The node's value, stored as a float64 array (not copied if it already
        is one; nothing in this module ever writes to it).
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

    Attributes
    ----------
    value : numpy.ndarray, float64
    grad : numpy.ndarray or None
        dL/d(this node), shaped like ``value``, set by the last call of
        :meth:`backward` on a node that depends on this one; ``None`` before.
    parents : tuple of Node
    op, name : str

    Examples
    --------
    >>> x = Node(np.array([[1.0, -2.0]]), name="x")
    >>> loss = sum_all(square(x))
    >>> loss.backward()
    >>> x.grad
    array([[ 2., -4.]])
    """

    def __init__(self, value, parents=(), backward=None, *, op="", name=""):
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
        self.value = array.astype(np.float64, copy=False)
        self.grad = None
        self.parents = parents
        self.op = op
        self.name = name
        self._backward = backward

    def backward(self):
        """Set ``grad`` of every node this scalar depends on, by reverse mode.

        Sets each node's ``grad`` to zero, this node's to 1 (dL/dL), then
        visits the nodes in reverse topological order, so that a node's
        gradient is complete, summed over all the nodes that use it, before
        it is passed on to its parents. Calling it twice gives the same
        gradients (they are reset, not accumulated across calls).

        Raises
        ------
        ValueError
            If this node does not hold exactly one number.
        """
        if self.value.size != 1:
            raise ValueError(
                f"backward() starts from a scalar, but this node has shape "
                f"{self.value.shape}; reduce it first, e.g. with sum_all"
            )
        order = topological_order(self)
        for node in order:
            node.grad = np.zeros_like(node.value)
        self.grad = np.ones_like(self.value)
        for node in reversed(order):
            if not node.parents:
                continue
            parent_grads = node._backward(node.grad)
            for parent, grad in zip(node.parents, parent_grads, strict=True):
                grad = np.asarray(grad)
                if grad.shape != parent.value.shape:  # shaped like its node
                    raise RuntimeError(
                        f"the backward function of {node.op or 'an operation'}"
                        f" returned a gradient of shape {grad.shape} for a "
                        f"parent of shape {parent.value.shape}"
                    )
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
    ``eq-grad-w2`` and ``eq-grad-w1`` are instances of these two rules).

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

    def backward(grad):  # grad: (N, M)
        return grad @ b.value.T, a.value.T @ grad  # (N, K), (K, M)

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
        return grad, -grad

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


def loss_and_gradients(x, y, w1, w2):
    """Loss and both weight gradients, by automatic differentiation.

    The same contract as the hand-derived :func:`tinynet.loss_and_gradients`.

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
        dL/dw1.
    dw2 : numpy.ndarray, shape (H, C)
        dL/dw2.

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
    loss = network_loss(Node(x, name="x"), Node(y, name="y"), w1_node, w2_node)
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
