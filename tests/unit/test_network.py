"""Tests of tinynet.network: data, weights, forward pass and backward steps.

Every gradient is compared with centered finite differences of the full
loss, computed both by tinynet.numerical_gradient and by the test suite's own
``reference.fd_gradient``, on several shapes including C > 1. Also the He
initialisation and the mean loss.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

import reference
import tinynet
from tinynet import (
    ForwardResult,
    check_network,
    forward,
    grad_h,
    grad_w1,
    grad_w2,
    init_weights,
    init_weights_he,
    loss_and_gradients,
    make_data,
    mean_loss_and_gradients,
    relu,
    relu_backward,
    sse_loss,
    sse_loss_backward,
)

# ---------------------------------------------------------------- forward


def test_forward_returns_named_fields_with_shapes_and_values(small_problem):
    """forward returns ForwardResult(a, h, predictions) equal to explicit NumPy."""
    x, _, w1, w2 = small_problem
    result = forward(x, w1, w2)
    assert isinstance(result, ForwardResult)
    assert ForwardResult._fields == ("a", "h", "predictions")
    n, h_dim, c = x.shape[0], w1.shape[1], w2.shape[1]
    assert result.a.shape == (n, h_dim)
    assert result.h.shape == (n, h_dim)
    assert result.predictions.shape == (n, c)
    a = x @ w1
    h = np.maximum(a, 0.0)
    np.testing.assert_array_equal(result.a, a)
    np.testing.assert_array_equal(result.h, h)
    np.testing.assert_array_equal(result.predictions, h @ w2)
    # The fixture guarantees both signs, so h really differs from a.
    assert not np.array_equal(result.h, result.a)


def test_loss_and_gradients_loss_value(problem):
    """The loss returned equals sse_loss of the forward predictions."""
    x, y, w1, w2 = problem
    loss, _, _ = loss_and_gradients(x, y, w1, w2)
    assert type(loss) is float
    assert loss == sse_loss(forward(x, w1, w2).predictions, y)
    assert loss == float(np.sum((np.maximum(x @ w1, 0) @ w2 - y) ** 2))


# ------------------------------------------------------- gradient checks


#: The loss as the reference writes it, independently of tinynet.
_full_loss = reference.network_loss


def test_loss_and_gradients_dw1_matches_fd(problem, fd_checks):
    """dL/dw1 from loss_and_gradients matches finite differences of the loss."""
    x, y, w1, w2 = problem
    _, dw1, _ = loss_and_gradients(x, y, w1, w2)
    fd_checks(dw1, lambda w: _full_loss(x, y, w, w2), w1)


def test_loss_and_gradients_dw2_matches_fd(problem, fd_checks):
    """dL/dw2 from loss_and_gradients matches finite differences of the loss."""
    x, y, w1, w2 = problem
    _, _, dw2 = loss_and_gradients(x, y, w1, w2)
    fd_checks(dw2, lambda w: _full_loss(x, y, w1, w), w2)


def _steps(x, y, w1, w2):
    """Run the backward pass step by step with the public step functions."""
    a, h, predictions = forward(x, w1, w2)
    dpredictions = sse_loss_backward(predictions, y)
    dw2 = grad_w2(h, dpredictions)
    dh = grad_h(dpredictions, w2)
    da = relu_backward(dh, a)
    dw1 = grad_w1(x, da)
    return a, h, predictions, dpredictions, dw2, dh, da, dw1


def test_step_dpredictions_matches_fd(problem, fd_checks):
    """sse_loss_backward gives dL/dpredictions of the full loss."""
    x, y, w1, w2 = problem
    _, _, predictions, dpredictions, *_ = _steps(x, y, w1, w2)
    fd_checks(dpredictions, lambda p: sse_loss(p, y), predictions)


def test_step_grad_w2_matches_fd(problem, fd_checks):
    """grad_w2(h, dL/dpredictions) gives dL/dw2 of the full loss."""
    x, y, w1, w2 = problem
    _, _, _, _, dw2, *_ = _steps(x, y, w1, w2)
    fd_checks(dw2, lambda w: _full_loss(x, y, w1, w), w2)


def test_step_grad_h_matches_fd(problem, fd_checks):
    """grad_h(dL/dpredictions, w2) gives dL/dh of the loss as a function of h."""
    x, y, w1, w2 = problem
    _, h, _, _, _, dh, *_ = _steps(x, y, w1, w2)
    fd_checks(dh, lambda hh: sse_loss(hh @ w2, y), h)


def test_step_relu_backward_matches_fd(problem, fd_checks):
    """relu_backward(dL/dh, a) gives dL/da of the loss as a function of a."""
    x, y, w1, w2 = problem
    a, *_, da, _ = _steps(x, y, w1, w2)
    fd_checks(da, lambda aa: sse_loss(relu(aa) @ w2, y), a)


def test_step_grad_w1_matches_fd(problem, fd_checks):
    """grad_w1(x, dL/da) gives dL/dw1 of the full loss."""
    x, y, w1, w2 = problem
    *_, dw1 = _steps(x, y, w1, w2)
    fd_checks(dw1, lambda w: _full_loss(x, y, w, w2), w1)


def test_step_functions_compose_to_loss_and_gradients(problem):
    """The public step functions chained by hand give exactly loss_and_gradients."""
    x, y, w1, w2 = problem
    *_, dpredictions, dw2, dh, da, dw1 = _steps(x, y, w1, w2)
    _, dw1_ref, dw2_ref = loss_and_gradients(x, y, w1, w2)
    np.testing.assert_array_equal(dw1, dw1_ref)
    np.testing.assert_array_equal(dw2, dw2_ref)
    assert dpredictions.shape == (x.shape[0], w2.shape[1])
    assert dh.shape == da.shape == (x.shape[0], w1.shape[1])


def test_gradient_check_detects_wrong_gradients(small_problem):
    """The finite-difference comparison fails for plausible wrong gradients.

    Without this the checks above could be vacuous: a missing factor 2, a
    mask taken as a < 0 instead of a > 0, or dropping the mask must all be
    caught by the 1e-6 threshold.
    """
    x, y, w1, w2 = small_problem
    numeric = reference.fd_gradient(lambda w: _full_loss(x, y, w, w2), w1)
    a, h, predictions = forward(x, w1, w2)
    dh = grad_h(2.0 * (predictions - y), w2)
    wrong = {
        "no factor 2": x.T @ relu_backward(grad_h(predictions - y, w2), a),
        "inverted mask": x.T @ np.where(a < 0, dh, 0.0),
        "no mask": x.T @ dh,
    }
    for name, gradient in wrong.items():
        assert tinynet.relative_error(gradient, numeric) > 1e-2, name
    right = x.T @ relu_backward(dh, a)
    assert tinynet.relative_error(right, numeric) < 1e-6


# --------------------------------------------------------- step shapes


def test_step_functions_shapes():
    """Each gradient has the shape of the array it is the gradient of."""
    rng = np.random.default_rng(5)
    n, d, h_dim, c = 7, 6, 4, 3
    x = rng.standard_normal((n, d))
    h = rng.standard_normal((n, h_dim))
    dp = rng.standard_normal((n, c))
    w2 = rng.standard_normal((h_dim, c))
    da = rng.standard_normal((n, h_dim))
    assert grad_w2(h, dp).shape == (h_dim, c)
    assert grad_h(dp, w2).shape == (n, h_dim)
    assert grad_w1(x, da).shape == (d, h_dim)
    np.testing.assert_array_equal(grad_w2(h, dp), h.T @ dp)
    np.testing.assert_array_equal(grad_h(dp, w2), dp @ w2.T)
    np.testing.assert_array_equal(grad_w1(x, da), x.T @ da)


# ---------------------------------------------------------- bad input

NETWORK_FUNCTIONS = {
    "forward": lambda x, y, w1, w2: forward(x, w1, w2),
    "check_network": lambda x, y, w1, w2: check_network(x, w1, w2, y),
    "loss_and_gradients": loss_and_gradients,
}


def _arrays(n=4, d=3, h=5, c=2):
    rng = np.random.default_rng(11)
    return {
        "x": rng.standard_normal((n, d)),
        "y": rng.standard_normal((n, c)),
        "w1": rng.standard_normal((d, h)),
        "w2": rng.standard_normal((h, c)),
    }


#: (function name, argument) pairs: every argument of every network function.
FUNCTION_ARGS = [
    (name, arg)
    for name in NETWORK_FUNCTIONS
    for arg in ("x", "y", "w1", "w2")
    if not (name == "forward" and arg == "y")  # forward takes no y
]


def _call(name, args):
    return NETWORK_FUNCTIONS[name](args["x"], args["y"], args["w1"], args["w2"])


@pytest.mark.parametrize("name", ["check_network", "loss_and_gradients"])
def test_1d_targets_names_both_shapes(name):
    """y of shape (128,) against predictions (128, 1) is refused naming both shapes."""
    args = _arrays(n=128, d=10, h=5, c=1)
    args["y"] = np.zeros(128)
    with pytest.raises(ValueError, match=r"^y has shape \(128,\)") as info:
        _call(name, args)
    message = str(info.value)
    assert "(128, 1)" in message
    assert "reshape(-1, 1)" in message


@pytest.mark.parametrize("name", ["check_network", "loss_and_gradients"])
def test_2d_targets_wrong_shape(name):
    """y with the wrong number of columns or rows names y and both shapes."""
    for shape in [(4, 3), (5, 2), (2, 4)]:
        args = _arrays()
        args["y"] = np.zeros(shape)
        with pytest.raises(ValueError, match=r"^y has shape") as info:
            _call(name, args)
        assert str(shape) in str(info.value)
        assert "(4, 2)" in str(info.value)


@pytest.mark.parametrize("name", NETWORK_FUNCTIONS)
def test_x_w1_do_not_chain(name):
    """x (4, 3) with w1 (5, 2) raises ValueError naming x, w1 and their shapes."""
    args = {
        "x": np.ones((4, 3)),
        "w1": np.ones((5, 2)),
        "w2": np.ones((2, 1)),
        "y": np.ones((4, 1)),
    }
    pattern = re.escape("x has shape (4, 3) and w1 has shape (5, 2)")
    with pytest.raises(ValueError, match=r"inner dimensions do not chain: " + pattern):
        _call(name, args)


@pytest.mark.parametrize("name", NETWORK_FUNCTIONS)
def test_w1_w2_do_not_chain(name):
    """w1 (3, 5) with w2 (4, 2) raises ValueError naming w1, w2 and their shapes."""
    args = _arrays()
    args["w2"] = np.ones((4, 2))
    pattern = re.escape("w1 has shape (3, 5) and w2 has shape (4, 2)")
    with pytest.raises(ValueError, match=r"inner dimensions do not chain: " + pattern):
        _call(name, args)


@pytest.mark.parametrize("name", NETWORK_FUNCTIONS)
@pytest.mark.parametrize("arg", ["x", "w1", "w2"])
@pytest.mark.parametrize("ndim", [1, 3])
def test_non_2d_rejected(name, arg, ndim):
    """1-D and 3-D x, w1 or w2 raise ValueError naming the argument and shape."""
    args = _arrays()
    shape = (3,) if ndim == 1 else (2, 3, 4)
    args[arg] = np.ones(shape)
    with pytest.raises(ValueError, match=rf"^{arg} must be 2-D") as info:
        _call(name, args)
    assert str(shape) in str(info.value)


@pytest.mark.parametrize("name", ["check_network", "loss_and_gradients"])
def test_3d_y_rejected(name):
    """A 3-D y raises ValueError naming y and its shape."""
    args = _arrays()
    args["y"] = np.ones((4, 2, 1))
    with pytest.raises(ValueError, match=re.escape("y has shape (4, 2, 1)")):
        _call(name, args)


@pytest.mark.parametrize(("name", "arg"), FUNCTION_ARGS)
def test_lists_rejected(name, arg):
    """A list instead of an array raises TypeError naming the argument."""
    args = _arrays()
    args[arg] = args[arg].tolist()
    with pytest.raises(TypeError, match=rf"^{arg} must be a 2-D numpy array of floats, got list"):
        _call(name, args)


@pytest.mark.parametrize(("name", "arg"), FUNCTION_ARGS)
def test_integer_arrays_rejected(name, arg):
    """An integer array raises TypeError naming the argument and the dtype."""
    args = _arrays()
    args[arg] = np.ones(args[arg].shape, dtype=np.int64)
    with pytest.raises(TypeError, match=rf"^{arg} must hold floating-point numbers, got dtype int64"):
        _call(name, args)


@pytest.mark.parametrize(("name", "arg"), FUNCTION_ARGS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_rejected(name, arg, value):
    """NaN or infinity in x, y, w1 or w2 raises ValueError naming the argument and shape."""
    args = _arrays()
    args[arg][0, 1] = value
    shape = args[arg].shape
    with pytest.raises(ValueError, match=re.escape(f"{arg} (shape {shape}) holds 1 NaN or infinite")):
        _call(name, args)


def test_grad_w2_rows_must_match():
    """grad_w2 with h and dpredictions of different row counts names both shapes."""
    with pytest.raises(ValueError, match=re.escape("h has shape (4, 3) and dpredictions has shape (5, 1)")):
        grad_w2(np.ones((4, 3)), np.ones((5, 1)))


def test_grad_h_columns_must_match():
    """grad_h with dpredictions and w2 of different column counts names both shapes."""
    with pytest.raises(ValueError, match=re.escape("dpredictions has shape (4, 2) and w2 has shape (3, 1)")):
        grad_h(np.ones((4, 2)), np.ones((3, 1)))


def test_grad_w1_rows_must_match():
    """grad_w1 with x and da of different row counts names both shapes."""
    with pytest.raises(ValueError, match=re.escape("x has shape (4, 3) and da has shape (6, 5)")):
        grad_w1(np.ones((4, 3)), np.ones((6, 5)))


@pytest.mark.parametrize(
    ("func", "names"),
    [(grad_w2, ("h", "dpredictions")), (grad_h, ("dpredictions", "w2")), (grad_w1, ("x", "da"))],
    ids=["grad_w2", "grad_h", "grad_w1"],
)
def test_step_functions_reject_bad_types(func, names):
    """The step functions refuse lists, integer and 1-D arrays, naming the argument."""
    good = np.ones((3, 3))
    for position, name in enumerate(names):
        for bad, error, pattern in [
            ([[1.0]], TypeError, "must be a 2-D numpy array"),
            (np.ones((3, 3), dtype=int), TypeError, "must hold floating-point"),
            (np.ones(3), ValueError, "must be 2-D"),
            (np.full((3, 3), np.nan), ValueError, "holds 9 NaN or infinite"),
        ]:
            args = [good, good]
            args[position] = bad
            with pytest.raises(error, match=rf"^{name} (\(shape .*\) )?{pattern}"):
                func(*args)


# ------------------------------------------------- inputs not modified


def test_network_functions_do_not_modify_inputs(small_problem):
    """forward, check_network, loss_and_gradients and the steps leave inputs intact."""
    x, y, w1, w2 = (arr.copy() for arr in small_problem)
    saved = [arr.copy() for arr in (x, y, w1, w2)]
    result = forward(x, w1, w2)
    check_network(x, w1, w2, y)
    loss_and_gradients(x, y, w1, w2)
    dp = sse_loss_backward(result.predictions, y)
    dp_saved, a_saved, h_saved = dp.copy(), result.a.copy(), result.h.copy()
    grad_w2(result.h, dp)
    dh = grad_h(dp, w2)
    dh_saved = dh.copy()
    da = relu_backward(dh, result.a)
    da_saved = da.copy()
    grad_w1(x, da)
    for arr, before in zip((x, y, w1, w2), saved):
        np.testing.assert_array_equal(arr, before)
    for arr, before in [(dp, dp_saved), (result.a, a_saved), (result.h, h_saved), (dh, dh_saved), (da, da_saved)]:
        np.testing.assert_array_equal(arr, before)
    # relu must not have been applied to a in place.
    assert (result.a < 0).any()


# --------------------------------------------- data, weights, determinism


def test_make_data_and_init_weights_shapes_and_dtype():
    """make_data gives x (N, D), y (N, C); init_weights gives w1 (D, H), w2 (H, C); float64."""
    rng = np.random.default_rng(0)
    x, y = make_data(9, 7, 3, rng)
    w1, w2 = init_weights(7, 5, 3, rng)
    assert (x.shape, y.shape, w1.shape, w2.shape) == ((9, 7), (9, 3), (7, 5), (5, 3))
    assert all(arr.dtype == np.float64 for arr in (x, y, w1, w2))


def test_same_seed_same_data_and_weights():
    """The same seed gives identical data and weights; another seed does not."""

    def draw(seed):
        rng = np.random.default_rng(seed)
        return (*make_data(8, 6, 2, rng), *init_weights(6, 4, 2, rng))

    first, second, other = draw(42), draw(42), draw(43)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(first, other):
        assert not np.array_equal(a, b)


def test_make_data_draws_x_then_y():
    """make_data draws x first, then y, from the same stream of standard normals."""
    x, y = make_data(5, 4, 2, np.random.default_rng(7))
    rng = np.random.default_rng(7)
    np.testing.assert_array_equal(x, rng.standard_normal((5, 4)))
    np.testing.assert_array_equal(y, rng.standard_normal((5, 2)))


def test_init_weights_draws_w1_then_w2():
    """init_weights draws w1 first, then w2, unscaled standard normal."""
    w1, w2 = init_weights(4, 3, 2, np.random.default_rng(8))
    rng = np.random.default_rng(8)
    np.testing.assert_array_equal(w1, rng.standard_normal((4, 3)))
    np.testing.assert_array_equal(w2, rng.standard_normal((3, 2)))


def test_draws_are_standard_normal():
    """Large draws have mean about 0 and standard deviation about 1 (no scaling)."""
    rng = np.random.default_rng(123)
    x, y = make_data(400, 250, 50, rng)
    w1, w2 = init_weights(250, 200, 100, rng)
    for arr in (x, y, w1, w2):
        assert arr.size >= 20_000
        assert abs(arr.mean()) < 0.05
        assert abs(arr.std() - 1.0) < 0.05


@pytest.mark.parametrize(
    "rng",
    [0, np.random.RandomState(0), None, "seed"],
    # ids without memory addresses, so that every xdist worker collects the same tests
    ids=["0", "RandomState", "None", "'seed'"],
)
@pytest.mark.parametrize("func", [make_data, init_weights], ids=lambda f: f.__name__)
def test_non_generator_rng_rejected(func, rng):
    """An rng that is not a numpy.random.Generator raises TypeError naming rng."""
    with pytest.raises(TypeError, match=r"^rng must be a numpy.random.Generator"):
        func(3, 2, 1, rng)


@pytest.mark.parametrize(
    ("func", "names"),
    [
        (make_data, ("batch_size", "input_dim", "output_dim")),
        (init_weights, ("input_dim", "hidden_dim", "output_dim")),
    ],
    ids=["make_data", "init_weights"],
)
def test_non_positive_or_non_integer_dims_rejected(func, names):
    """Dimensions 0 or negative raise ValueError, non-integers TypeError, naming the argument."""
    for position, name in enumerate(names):
        for bad, error in [(0, ValueError), (-2, ValueError), (2.0, TypeError), (True, TypeError), ("3", TypeError)]:
            dims = [3, 2, 1]
            dims[position] = bad
            with pytest.raises(error, match=rf"^{name} must be"):
                func(*dims, np.random.default_rng(0))


# ---------------------------------------------------------- He initialisation


def test_he_init_statistics():
    """Entries are N(0, 2/fan_in): mean near 0, variance near 2/D and 2/H."""
    d, h, c = 2000, 400, 3
    w1, w2 = init_weights_he(d, h, c, np.random.default_rng(0))
    assert w1.shape == (d, h) and w2.shape == (h, c)
    assert w1.dtype == np.float64 and w2.dtype == np.float64
    # 800,000 and 1,200 draws: the sample variance is within a few percent.
    assert abs(w1.var() / (2 / d) - 1) < 0.01
    assert abs(w2.var() / (2 / h) - 1) < 0.1
    assert abs(w1.mean()) < 5 * math.sqrt(2 / d) / math.sqrt(w1.size)
    # A ReLU layer with He weights keeps the mean square of the signal: E[relu(a)^2] = E[x^2].
    x = np.random.default_rng(1).standard_normal((500, d))
    hidden = np.maximum(x @ w1, 0)
    assert abs(np.mean(hidden**2) - 1) < 0.05


def test_he_init_is_scaled_standard_init():
    """Same generator state: He weights are the unscaled draws times sqrt(2/fan_in)."""
    w1, w2 = init_weights(30, 7, 2, np.random.default_rng(5))
    h1, h2 = init_weights_he(30, 7, 2, np.random.default_rng(5))
    np.testing.assert_allclose(h1, w1 * math.sqrt(2 / 30), rtol=1e-15)
    np.testing.assert_allclose(h2, w2 * math.sqrt(2 / 7), rtol=1e-15)


@pytest.mark.parametrize(
    ("args", "error", "pattern"),
    [
        ((0, 5, 1, np.random.default_rng(0)), ValueError, r"^input_dim must be a positive integer, got 0"),
        ((3, -1, 1, np.random.default_rng(0)), ValueError, r"^hidden_dim must be a positive integer, got -1"),
        ((3, 5, 1.0, np.random.default_rng(0)), TypeError, r"^output_dim must be an integer, got 1.0"),
        ((3, 5, 1, 0), TypeError, r"^rng must be a numpy.random.Generator.*got int"),
        ((3, 5, 1, np.random.RandomState(0)), TypeError, r"^rng must be a numpy.random.Generator.*got RandomState"),
    ],
)
def test_he_init_bad_inputs(args, error, pattern):
    with pytest.raises(error, match=pattern):
        init_weights_he(*args)


# ---------------------------------------------------------- mean loss


def test_mean_loss_is_sum_loss_over_n_c(problem):
    """Loss and both gradients of the mean loss are those of the sum loss divided by N*C."""
    x, y, w1, w2 = problem
    loss, dw1, dw2 = loss_and_gradients(x, y, w1, w2)
    mean, mdw1, mdw2 = mean_loss_and_gradients(x, y, w1, w2)
    count = y.size
    assert mean == pytest.approx(loss / count, rel=1e-15)
    np.testing.assert_allclose(mdw1, dw1 / count, rtol=1e-15, atol=0)
    np.testing.assert_allclose(mdw2, dw2 / count, rtol=1e-15, atol=0)
    assert mdw1.shape == w1.shape and mdw2.shape == w2.shape


def test_mean_loss_gradient_matches_finite_differences(small_problem, fd_checks):
    x, y, w1, w2 = small_problem
    _, dw1, dw2 = mean_loss_and_gradients(x, y, w1, w2)
    fd_checks(dw1, lambda w: mean_loss_and_gradients(x, y, w, w2)[0], w1)
    fd_checks(dw2, lambda w: mean_loss_and_gradients(x, y, w1, w)[0], w2)


def test_mean_loss_bad_inputs(tiny):
    x, y, w1, w2 = tiny
    with pytest.raises(ValueError, match=r"^y has shape \(10,\) but the predictions .* have shape \(10, 2\)"):
        mean_loss_and_gradients(x, y[:, 0], w1, w2)
    with pytest.raises(TypeError, match="^x must be a 2-D numpy array of floats, got list"):
        mean_loss_and_gradients(x.tolist(), y, w1, w2)
