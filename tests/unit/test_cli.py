"""Tests of the command line interface, ``python -m tinynet``."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest

import tinynet
from tinynet.__main__ import main, reported_iterations

LINE = re.compile(r"^\s*(\d+)\s+(\S+)\s*$")


def run_cli(*args, cwd):
    """Run ``python -m tinynet ARGS`` in a fresh interpreter and return the result."""
    return subprocess.run(
        [sys.executable, "-m", "tinynet", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def loss_lines(stdout):
    """The (iteration, loss) pairs of the table after the 'iteration  loss' header."""
    lines = stdout.splitlines()
    start = lines.index("iteration  loss") + 1
    pairs = []
    for line in lines[start:]:
        match = LINE.match(line)
        if not match:
            break
        pairs.append((int(match.group(1)), float(match.group(2))))
    return pairs


def seed0_first_loss():
    """The loss before training of the seed 0 problem, computed in this process."""
    rng = np.random.default_rng(0)
    x, y = tinynet.make_data(tinynet.BATCH_SIZE, tinynet.INPUT_DIM, tinynet.OUTPUT_DIM, rng)
    w1, w2 = tinynet.init_weights(tinynet.INPUT_DIM, tinynet.HIDDEN_DIM, tinynet.OUTPUT_DIM, rng)
    return tinynet.loss_and_gradients(x, y, w1, w2)[0]


def test_reported_iterations():
    """The original post printed every 10 iterations up to 100, then every 100."""
    assert reported_iterations(1000) == list(range(0, 101, 10)) + list(range(200, 1000, 100))
    assert reported_iterations(120) == list(range(0, 101, 10))
    assert reported_iterations(1) == [0]
    assert reported_iterations(0) == []
    assert reported_iterations(100) == list(range(0, 100, 10))  # 100 is not < 100


def test_cli_prints_losses_at_reported_iterations(tmp_path):
    """--loops 120 prints the loss at 0, 10, ..., 100 (100 once), exit status 0."""
    result = run_cli("--seed", "0", "--loops", "120", "--lr", "1e-6", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    pairs = loss_lines(result.stdout)
    iterations = [i for i, _ in pairs]
    assert iterations == list(range(0, 101, 10))
    assert iterations.count(100) == 1
    losses = [loss for _, loss in pairs]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    assert "Errors before training" in result.stdout
    assert "Errors after training" in result.stdout


def test_cli_first_loss_equals_in_process_loss(tmp_path):
    """The printed loss at iteration 0 is the seed 0 loss computed in-process."""
    result = run_cli("--seed", "0", "--loops", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    expected = seed0_first_loss()
    assert f"        0  {expected:.10g}" in result.stdout.splitlines()
    (iteration, printed), = loss_lines(result.stdout)
    assert iteration == 0
    assert printed == pytest.approx(expected, rel=1e-9)


def test_cli_other_seed_gives_other_loss(tmp_path):
    """The seed matters: --seed 1 prints a different first loss than seed 0."""
    result = run_cli("--seed", "1", "--loops", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (_, printed), = loss_lines(result.stdout)
    assert printed != pytest.approx(seed0_first_loss(), rel=1e-6)


@pytest.mark.parametrize("lr", ["-1", "0", "nan", "inf"])
def test_cli_bad_learning_rate_fails_with_message(tmp_path, lr):
    """An invalid --lr exits non-zero with a message naming learning_rate on stderr."""
    result = run_cli("--loops", "3", "--lr", lr, cwd=tmp_path)
    assert result.returncode != 0
    assert "learning_rate must be a positive finite number" in result.stderr
    assert "Traceback" not in result.stderr
    assert "iteration  loss" not in result.stdout


def test_cli_bad_loops_fails_with_message(tmp_path):
    """A negative --loops exits non-zero with a message naming num_loops."""
    result = run_cli("--loops", "-1", cwd=tmp_path)
    assert result.returncode != 0
    assert "num_loops must be a non-negative integer" in result.stderr


def test_cli_divergence_fails_with_message(tmp_path):
    """--lr 1 diverges: non-zero exit, the divergence message on stderr, no warnings."""
    result = run_cli("--seed", "0", "--loops", "120", "--lr", "1", cwd=tmp_path)
    assert result.returncode != 0
    assert "training diverged" in result.stderr
    assert re.search(r"at iteration \d+", result.stderr)
    assert "try a smaller learning rate" in result.stderr
    assert "RuntimeWarning" not in result.stderr
    assert "Traceback" not in result.stderr


def test_main_in_process(capsys):
    """main() returns 0 and prints the same table as the subprocess would."""
    assert main(["--seed", "0", "--loops", "11"]) == 0
    out = capsys.readouterr().out
    assert [i for i, _ in loss_lines(out)] == [0, 10]
    assert f"        0  {seed0_first_loss():.10g}" in out.splitlines()


def test_main_in_process_error_returns_1(capsys):
    """main() returns 1 on bad input and writes 'error:' to stderr."""
    assert main(["--loops", "2", "--lr", "-1"]) == 1
    assert capsys.readouterr().err.startswith("error: learning_rate must be")
