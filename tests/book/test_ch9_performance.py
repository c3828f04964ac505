"""Chapter 9 (*How fast is it?*): how the timings are taken, and that the page agrees with itself.

Timings are noisy on a shared machine, so nothing here tests a speed. The
tests check instead

- the harness of the chapter (``paired_rounds`` and ``spread``, taken from
  the notebook's own source and run on toy tasks): every result is discarded
  before the next call, each round times every candidate once per thread
  count with the order reversed every other round, the BLAS thread limit is
  applied, the time budget stops it, and the summary is a median with its
  10th and 90th percentile;
- the source: every time of ``tinynet.train`` the page shows comes from one
  measurement, and no minimum-of-repeats harness is left;
- the executed page (from the built book): every glued median lies inside its
  spread, the numbers shown in different sections are the same numbers (the
  floor of the table, the threads table and the profile; train's time in
  the table, the threads table and the float32 section), Amdahl's prediction
  is computed from the glued parts, and the profile's two products are
  compared with the floor timed in the same rounds.
"""

from __future__ import annotations

import gc
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from booksite import ROOT

NOTEBOOK = ROOT / "book" / "09-performance.ipynb"
EXECUTED = ROOT / "_build" / "jupyter_execute" / "book" / "09-performance.glue.json"


def _cells(path=NOTEBOOK):
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]


def _code_cells():
    return ["".join(c["source"]) for c in _cells() if c["cell_type"] == "code"]


def _markdown():
    return "\n".join("".join(c["source"]) for c in _cells() if c["cell_type"] == "markdown")


@pytest.fixture(scope="module")
def harness():
    """paired_rounds and spread, executed from the notebook's source."""
    (source,) = [s for s in _code_cells() if "def paired_rounds(" in s]
    namespace = {"np": np, "time": time, "threadpool_limits": threadpool_limits}
    exec(compile(source, str(NOTEBOOK), "exec"), namespace)  # noqa: S102 - our own notebook
    return namespace["paired_rounds"], namespace["spread"], namespace["check"]


# --- the harness -------------------------------------------------------------


class _Result:
    alive = 0

    def __init__(self):
        _Result.alive += 1

    def __del__(self):
        _Result.alive -= 1


def test_harness_discards_every_result_before_the_next_call(harness):
    paired_rounds, _, _ = harness
    seen = []

    def task():
        gc.collect()
        seen.append(_Result.alive)  # results of earlier calls still alive
        return _Result()

    paired_rounds({"a": task, "b": task}, rounds=4)
    gc.collect()
    assert max(seen) == 0 and _Result.alive == 0


def test_harness_times_each_task_once_per_round_in_alternating_order(harness):
    paired_rounds, _, _ = harness
    log = []
    tasks = {name: (lambda name=name: log.append(name)) for name in "abc"}
    times = paired_rounds(tasks, rounds=4, thread_counts=(1, 2))
    assert set(times) == {(n, name) for n in (1, 2) for name in "abc"}
    assert all(len(t) == 4 and np.all(t >= 0) for t in times.values())
    timed = log[6:]  # after one warm-up call per task and thread count
    rounds = [timed[k:k + 6] for k in range(0, 24, 6)]
    for r, calls in enumerate(rounds):
        order = list("abc") if r % 2 == 0 else list("cba")
        assert calls == order + order  # the same order for both thread counts


def test_harness_sets_the_blas_threads(harness):
    paired_rounds, _, _ = harness
    if not any(lib.get("user_api") == "blas" for lib in threadpool_info()):
        pytest.skip("no BLAS library loaded")
    seen = []

    def task():
        seen.append([lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"][0])

    paired_rounds({"a": task}, rounds=2, thread_counts=(1, 2))
    assert seen == [1, 2, 1, 2, 2, 1]  # warm-up, then the order alternates


def test_harness_stops_at_its_budget_after_three_rounds(harness):
    paired_rounds, _, _ = harness
    times = paired_rounds({"a": lambda: time.sleep(0.001)}, rounds=50, budget=0.0)
    assert len(times[1, "a"]) == 3


def test_spread_is_the_median_with_the_10th_and_90th_percentile(harness):
    _, spread, _ = harness
    values = np.arange(1.0, 12.0)  # 1 ... 11
    median, low, high = spread(values)
    assert (median, low, high) == (6.0, 2.0, 10.0)
    assert all(type(v) is float for v in (median, low, high))


def test_spread_of_fewer_than_10_rounds_is_their_range(harness):
    """Review C, ch. 9 item 7: no "percentiles" of 5 rounds."""
    _, spread, _ = harness
    assert spread(np.array([3.0, 1.0, 2.0, 5.0, 4.0])) == (3.0, 1.0, 5.0)


def test_check_passes_a_consistent_ratio(harness):
    *_, check = harness
    b = np.linspace(1.0, 1.2, 11)
    assert check(1.1 * b, b) == [] and check(1.1 * b, b, floor_is_b=True) == []


def test_check_flags_a_time_below_the_floor(harness):
    """Review C, ch. 9 items 1 and 3: a ratio below 1 against the floor is invalid."""
    *_, check = harness
    b = np.linspace(1.0, 1.2, 11)
    assert check(0.8 * b, b) == []  # below 1 is fine against anything but the floor
    (problem,) = check(0.8 * b, b, floor_is_b=True)
    assert "below 1" in problem


def test_check_flags_a_paired_ratio_that_disagrees_with_the_ratio_of_medians(harness):
    """Review C, ch. 9 item 6: paired median 1.0 but medians 2.4 apart."""
    *_, check = harness
    a = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 24, 24, 24, 24, 24.0])
    b = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 10, 10, 10, 10, 10, 10.0])
    problems = check(a, b)
    assert any("ratio of the medians" in p for p in problems)


def test_check_flags_a_spread_wider_than_a_factor_2(harness):
    *_, check = harness
    b = np.ones(11)
    a = np.linspace(0.5, 3.0, 11)
    assert any("more than a factor 2" in p for p in check(a, b))


# --- the source --------------------------------------------------------------


def _before_exercises(cells):
    index = next(i for i, c in enumerate(cells) if "(performance-exercises)=" in "".join(c["source"]))
    return cells[:index], cells[index:]


def test_every_time_of_train_comes_from_one_measurement():
    body, exercises = _before_exercises(_cells())
    measuring = [
        "".join(c["source"]) for c in body
        if c["cell_type"] == "code" and "paired_rounds(" in "".join(c["source"])
        and "train" in "".join(c["source"]) and "def paired_rounds" not in "".join(c["source"])
    ]
    assert len(measuring) == 1, "train must be timed in one measurement only"
    assert '"train": lambda: run_train(' in measuring[0]
    # no other cell of the chapter's body times anything with train in it
    for cell in body:
        text = "".join(cell["source"])
        if cell["cell_type"] == "code" and "perf_counter" in text:
            assert "def paired_rounds" in text
    # the exercise's solution reports ratios, never a time of train
    for cell in exercises:
        text = "".join(cell["source"])
        if cell["cell_type"] == "code" and "paired_rounds(" in text:
            assert "ms" not in text.split("paired_rounds(")[1]


def test_no_minimum_of_repeats_is_left():
    source = "\n".join(_code_cells())
    assert "best_times" not in source
    assert "best_times" not in _markdown()
    assert "keep the minimum" not in _markdown().lower()


def test_the_float32_section_shows_the_one_train_time():
    text = _markdown()
    section = text[text.index("(performance-float32)="):text.index("(performance-summary)=")]
    assert "{glue:text}`ms-train" in section
    assert "ms-f64" not in text


# --- the executed page -------------------------------------------------------


def _glued(path):
    """The values glued by the executed page, from the build's ``.glue.json``."""
    values = {}
    for name, output in json.loads(Path(path).read_text(encoding="utf-8")).items():
        text = output.get("data", {}).get("text/plain", "")
        number = re.fullmatch(r"(?:np\.float64\()?\s*(-?[0-9.eE+-]+|nan|inf)\)?", str(text).strip())
        values[name] = float(number.group(1)) if number else text
    return values


@pytest.fixture(scope="module")
def glued(html_dir):
    assert EXECUTED.is_file(), f"{EXECUTED} is missing: run `make book`"
    return _glued(EXECUTED)


@pytest.mark.parametrize("key", ["ms-floor", "ms-train", "ms-original", "ms-f32", "ratio-train",
                                 "ratio-original", "speedup-f32", "profile-floor-ratio",
                                 "fold-ratio", "thr-1-ratio", "thr-n-ratio"])
def test_every_median_lies_in_its_spread(glued, key):
    assert glued[f"{key}-lo"] <= glued[key] <= glued[f"{key}-hi"]


def test_the_sections_show_the_same_measurement(glued):
    assert glued["floor-us"] == pytest.approx(1e3 * glued["ms-floor"], rel=1e-12)
    assert glued["thr-n-floor"] == pytest.approx(glued["ms-floor"], rel=1e-12)
    assert glued["thr-n-ratio"] == glued["ratio-train"]
    assert glued["max-threads"] == glued["default-threads"] or glued["default-threads"] == 1
    assert glued["rounds"] >= 3


def test_amdahls_prediction_is_computed_from_the_glued_parts(glued):
    """The serial rest is the directly timed other steps (never negative), not
    train minus the floor (review C, ch. 9 item 1)."""
    assert glued["thr-1-other-steps"] > 0
    assert glued["thr-amdahl"] == pytest.approx(1 + glued["thr-1-other-steps"] / glued["thr-n-floor"],
                                                rel=1e-9)
    assert glued["thr-amdahl"] >= 1


def _md(name):
    return json.loads(EXECUTED.read_text(encoding="utf-8"))[name]["data"]["text/markdown"]


def test_the_table_verdict_follows_the_numbers(glued):
    """A paired ratio below the floor makes the page call the run unreliable."""
    verdict = _md("timing-verdict")
    if glued["ratio-train"] < 1 or glued["ratio-original"] < 1:
        assert "unreliable" in verdict and "below 1" in verdict
    if "unreliable" not in verdict:
        assert glued["ratio-train"] >= 1 and glued["ratio-original"] >= 1
        assert glued["ratio-train-hi"] <= 2 * glued["ratio-train-lo"]


def test_the_threads_verdict_follows_the_numbers(glued):
    """Review C, ch. 9 item 2: when the floor got slower with more threads, the
    page says Amdahl's premise fails and predicts nothing."""
    verdict = _md("threads-verdict")
    if glued["max-threads"] == 1:
        assert "one thread" in verdict
    elif glued["thr-floor-speedup-hi"] < 1:
        assert "premise fails" in verdict and "predicts" not in verdict
    elif glued["thr-floor-speedup-lo"] > 1:
        assert "premise holds" in verdict and f"{glued['thr-amdahl']:.2f}" in verdict
    else:
        assert "nothing to predict" in verdict
    for label in ("1", "n"):
        if glued[f"thr-{label}-rest"] <= 0 or glued[f"thr-{label}-ratio"] < 1:
            assert "unreliable" in verdict


def test_the_update_verdict_follows_the_numbers(glued):
    """Review C, ch. 9 item 4: no cache story for a negative or noisy cost."""
    verdict = _md("update-verdict")
    if glued["fold-update-ms-n"] <= 0:
        assert "lost in the noise" in verdict
    if "lost in the noise" in verdict:
        assert "cache" not in verdict
    if "cache" in verdict:
        assert "does not test why" in verdict and "spinning" in verdict


def test_the_fold_has_a_bandwidth_estimate_and_a_cross_check(glued):
    """Review C, ch. 9 item 5: the fold's ratio is compared with the cost of the
    extra pass and with train / original from the same rounds."""
    assert glued["fold-extra-mb"] == pytest.approx(1.6)
    assert 0 < glued["fold-estimate"] < 1
    verdict = _md("fold-verdict")
    inside = glued["fold-ratio-lo"] <= glued["fold-estimate"] <= glued["fold-ratio-hi"]
    if not inside:
        assert "unreliable" in verdict
    text = _markdown()
    assert "is small next to the products" not in text


def test_the_float32_verdict_follows_the_numbers(glued):
    """Review C, ch. 9 item 6: medians 2.4 times apart against a paired ratio
    of 1.02 must be called unreliable."""
    of_medians = glued["ms-train"] / glued["ms-f32"]
    if not glued["speedup-f32-lo"] <= of_medians <= glued["speedup-f32-hi"]:
        assert "unreliable" in _md("f32-verdict")


def test_no_unconditional_interpretation_of_a_timing_is_left():
    """Review C, ch. 9 items 2, 4 and 8: sentences that only hold for some numbers
    are gone from the fixed prose."""
    text = _markdown()
    for gone in ("More threads can therefore only shrink", "One explanation fits them",
                 "may no longer\nbe in the cache"):
        assert gone not in text
    assert "{glue:text}`thr-amdahl" not in text  # Amdahl's number only in the generated verdict
    (exercise,) = [s for s in _code_cells() if "floor_1 =" in s]
    assert 'by_threads[1]["other steps"]' in exercise


def test_the_profile_and_the_floor_come_from_the_same_rounds():
    """The profile's products and the floor are timed in one measurement, and the
    page compares them round by round (a paired ratio with its spread); how
    close the ratio is to 1 is a timing, which no test asserts."""
    source = "\n".join(_code_cells())
    assert '"step x @ w1"' in source and '"step x.T @ da"' in source
    # the profile times the two products exactly as the floor runs them
    (floor,) = [s for s in _code_cells() if "def floor(" in s]
    assert "x @ w1" in floor and "np.matmul(x.T, da, out=step)" in floor
    assert '"x.T @ da": lambda: np.matmul(x.T, da, out=step)' in source
    assert '"x @ w1": lambda: x @ w1,' in source
    assert re.search(r"profile_vs_floor = \(products / calls\) / \(times\[n, \"floor\"\] / loops\)", source)
    text = _markdown()
    section = text[text.index("(performance-profile)="):text.index("(performance-threads)=")]
    for key in ("profile-products-us", "floor-us", "profile-floor-ratio", "profile-floor-ratio-lo",
                "profile-floor-ratio-hi"):
        assert "{glue:text}`" + key + ":" in section
