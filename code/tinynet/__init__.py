"""tinynet: a two-layer ReLU network in NumPy, every gradient derived by hand.

The companion package of the book *Training a Simple Neural Network in
NumPy*. One module per concept:

- :mod:`tinynet.kernels`: one unchecked function per equation (``forward``,
  ``grad_w2``, ``backward``, ``loss_and_gradients``, ...), the code the book
  derives; every other module is built from them
- :mod:`tinynet.activations`: ``relu``, ``relu_backward``
- :mod:`tinynet.losses`: ``sse_loss``, ``sse_loss_backward``
- :mod:`tinynet.network`: data, weights (``init_weights``,
  ``init_weights_he``), ``forward``, the backward steps ``grad_w2``,
  ``grad_h``, ``grad_w1``, ``loss_and_gradients`` and
  ``mean_loss_and_gradients``, each checking its arguments
- :mod:`tinynet.problem`: the original post's sizes, settings and
  ``original_problem(seed)``
- :mod:`tinynet.training`: ``gradient_descent`` (the one training loop, with
  plain, heavy-ball momentum or Adam steps), ``train`` and
  ``learning_rate_sweep``
- :mod:`tinynet.gradcheck`: ``numerical_gradient``, ``relative_error``
- :mod:`tinynet.diagnostics`: dead units, the least-squares floor, the
  curvature of the loss (``hessian_vector_product``,
  ``top_hessian_eigenvalue``) and ``reduce_inputs``; import it as
  ``from tinynet.diagnostics import ...``
- :mod:`tinynet.selfcheck`: checks of the reader's own functions
  (``check_forward``, ``check_grad_w2``, ..., ``check_train``) that name
  the mistake and the section that explains it
- :mod:`tinynet.autodiff`: a small reverse-mode automatic differentiation
  (``Node``, ``matmul``, ``relu``, ``sub``, ``square``, ``sum_all``,
  ``trace``) and its own ``loss_and_gradients``; import it as
  ``from tinynet.autodiff import ...``
- :mod:`tinynet.book`: the notebooks' plumbing (``glue``, and the smaller
  sizes of ``reduced`` in the reader's browser)

Arrays are in batch row form: ``x`` is (N, D), ``w1`` (D, H), ``w2`` (H, C),
predictions and targets (N, C).
"""

from importlib.metadata import PackageNotFoundError, version

from . import kernels
from .activations import relu, relu_backward
from .gradcheck import (
    column_indices,
    numerical_gradient,
    numerical_gradient_at,
    random_indices,
    relative_error,
)
from .losses import sse_loss, sse_loss_backward
from .network import (
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
)
from .problem import (
    BATCH_SIZE,
    HIDDEN_DIM,
    INPUT_DIM,
    LEARNING_RATE,
    NUM_LOOPS,
    OUTPUT_DIM,
    Problem,
    original_problem,
)
from .training import (
    SweepPoint,
    TrainHistory,
    TrainingDivergedError,
    TrainResult,
    gradient_descent,
    learning_rate_sweep,
    step_rule,
    train,
)

try:
    __version__ = version("tinynet")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "BATCH_SIZE",
    "HIDDEN_DIM",
    "INPUT_DIM",
    "LEARNING_RATE",
    "NUM_LOOPS",
    "OUTPUT_DIM",
    "ForwardResult",
    "Problem",
    "SweepPoint",
    "TrainHistory",
    "TrainResult",
    "TrainingDivergedError",
    "check_network",
    "column_indices",
    "forward",
    "grad_h",
    "grad_w1",
    "grad_w2",
    "gradient_descent",
    "init_weights",
    "init_weights_he",
    "kernels",
    "learning_rate_sweep",
    "loss_and_gradients",
    "make_data",
    "mean_loss_and_gradients",
    "numerical_gradient",
    "numerical_gradient_at",
    "original_problem",
    "random_indices",
    "relative_error",
    "relu",
    "relu_backward",
    "sse_loss",
    "sse_loss_backward",
    "step_rule",
    "train",
]
