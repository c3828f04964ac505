"""tinynet: a two-layer ReLU network in NumPy, every gradient derived by hand.

The companion package of the book *Training a Simple Neural Network in
NumPy*. One module per concept:

- :mod:`tinynet.activations`: ``relu``, ``relu_backward``
- :mod:`tinynet.losses`: ``sse_loss``, ``sse_loss_backward``
- :mod:`tinynet.network`: data, weights, ``forward``, the backward steps
  ``grad_w2``, ``grad_h``, ``grad_w1`` and ``loss_and_gradients``
- :mod:`tinynet.training`: ``train``
- :mod:`tinynet.gradcheck`: ``numerical_gradient``, ``relative_error``
- :mod:`tinynet.autodiff`: a small reverse-mode automatic differentiation
  (``Node``, ``matmul``, ``relu``, ``sub``, ``square``, ``sum_all``,
  ``trace``) and its own ``loss_and_gradients``; import it as
  ``from tinynet.autodiff import ...``
- :mod:`tinynet.experiments`: the experiments of the chapter on why the
  network trains and where it stalls (curvature, learning-rate sweeps, dead
  units, He initialisation, mean loss)

Arrays are in batch row form: ``x`` is (N, D), ``w1`` (D, H), ``w2`` (H, C),
predictions and targets (N, C).
"""

from importlib.metadata import PackageNotFoundError, version

from .activations import relu, relu_backward
from .gradcheck import (
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
    loss_and_gradients,
    make_data,
)
from .training import TrainingDivergedError, TrainResult, train

try:
    __version__ = version("tinynet")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

#: The original post's problem sizes: batch, inputs, hidden units, outputs.
BATCH_SIZE, INPUT_DIM, HIDDEN_DIM, OUTPUT_DIM = 128, 1000, 100, 1
#: The original post's training settings.
NUM_LOOPS, LEARNING_RATE = 1000, 1e-6

__all__ = [
    "BATCH_SIZE",
    "HIDDEN_DIM",
    "INPUT_DIM",
    "LEARNING_RATE",
    "NUM_LOOPS",
    "OUTPUT_DIM",
    "ForwardResult",
    "TrainResult",
    "TrainingDivergedError",
    "check_network",
    "forward",
    "grad_h",
    "grad_w1",
    "grad_w2",
    "init_weights",
    "loss_and_gradients",
    "make_data",
    "numerical_gradient",
    "numerical_gradient_at",
    "random_indices",
    "relative_error",
    "relu",
    "relu_backward",
    "sse_loss",
    "sse_loss_backward",
    "train",
]
