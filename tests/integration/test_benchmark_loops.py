"""The benchmark suite's pieces: the hand-written loops train exactly ganframe's presets
(``benchmarks/equivalence.py``), and ``benchmarks/suite.py``'s clocks, bars and tables work.

``benchmarks/suite.py --quick`` itself takes minutes; these take seconds. The MNIST loops run on
the real data set when this machine has it (``GANFRAME_MNIST_DIR`` or ``../shared/data/mnist``),
else on a small synthetic copy written as IDX files.
"""

from __future__ import annotations

import gzip
import math
import struct
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from ganframe import Experiment

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import equivalence
import suite

# Cases that may agree within equivalence.TOLERANCE only (a layer ganframe computes with other
# operations than the loop's plain PyTorch); none today: every case must be bit-identical.
WITHIN_ROUNDING: set[tuple[str, str]] = set()


def _idx(path: Path, array: np.ndarray) -> None:
    header = struct.pack(">I", 0x0800 + array.ndim) + b"".join(struct.pack(">I", n) for n in array.shape)
    path.write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


@pytest.fixture(scope="module")
def mnist_options(tmp_path_factory) -> dict[str, str]:
    """``data.data_dir`` (and a private ``data.cache_dir`` for a synthetic copy) for the MNIST cases."""
    real = equivalence.mnist_dir()
    if real is not None:
        return {"data_dir": real}
    folder = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    for split, n in (("train", 512), ("t10k", 64)):
        _idx(folder / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28)))
        _idx(folder / f"{split}-labels-idx1-ubyte.gz", np.arange(n) % 10)
    return {"data_dir": str(folder), "cache_dir": str(folder / "cache")}


@pytest.mark.parametrize("case", equivalence.CASES, ids=[f"{s}-{p}" for s, p in equivalence.CASES])
def test_handwritten_loop_trains_exactly_the_preset(case, mnist_options):
    setup, preset = case
    rounds = 3 if setup == "mnist" else 6
    data_dir = mnist_options["data_dir"] if setup == "mnist" else None
    overrides = (
        {"data.cache_dir": mnist_options["cache_dir"]} if setup == "mnist" and "cache_dir" in mnist_options else None
    )
    result = equivalence.check(setup, preset, rounds, seed=1, data_dir=data_dir, overrides=overrides)
    assert result.compared and "d_loss" in result.compared and "g_loss" in result.compared
    assert result.initial == 0.0, f"{setup} {preset}: the hand-written networks start from other weights"
    assert result.close, result.row()
    if case not in WITHIN_ROUNDING:
        assert result.identical, f"no longer bit-identical (see benchmarks/equivalence.py): {result.row()}"


@pytest.mark.parametrize("case", equivalence.CASES, ids=[f"{s}-{p}" for s, p in equivalence.CASES])
def test_handwritten_loop_has_the_presets_schedule(case, mnist_options):
    """What a few rounds cannot show: the length of the run, and one thread as the preset says."""
    import importlib

    setup, preset = case
    config = Experiment.from_setup(
        setup,
        preset,
        device="cpu",
        overrides={"data.data_dir": mnist_options["data_dir"]} if setup == "mnist" else None,
    ).config
    module = importlib.import_module(f"handwritten.{setup}")
    if setup == "mnist":
        loop = module.Loop(preset, images=torch.zeros(60_000, 28, 28, dtype=torch.uint8))
    else:
        loop = module.Loop(preset)
    assert (loop.total, loop.batch) == (config.train.steps, config.train.batch_size)
    assert config.train.threads == 1  # the loops train in one thread (handwritten._common.one_thread)


def test_equivalence_sees_a_different_model():
    """The check is not blind: a hand-written loop with another learning rate is called DIFFERENT."""
    from handwritten import gaussian

    before = gaussian.PRESETS["default"]["d_lr"]
    gaussian.PRESETS["default"]["d_lr"] = before * 1.5
    try:
        result = equivalence.check("gaussian", "default", 3)
    finally:
        gaussian.PRESETS["default"]["d_lr"] = before
    assert not result.identical and not result.close and "DIFFERENT" in result.row()


def tiny(**overrides) -> dict:
    return {"train.batch_size": 16, "evaluation.samples": 200, "logging.snapshots": 2, **overrides}


def test_round_clock_times_the_rounds_only(tmp_path):
    clock = suite.RoundClock()
    started = time.perf_counter()
    Experiment.from_setup("gaussian", seed=0, steps=7, device="cpu", callbacks=[clock], overrides=tiny()).fit(
        tmp_path / "run"
    )
    wall = time.perf_counter() - started
    assert clock.rounds == 7
    assert 0 < clock.seconds < wall
    assert 0 < clock.cpu_seconds


def test_bar_watcher_stops_at_the_bar_and_leaves_evaluations_out():
    calls = []

    def met(metrics):
        calls.append(metrics)
        return len(calls) >= 2  # the second evaluation meets the bar

    bar = suite.Bar(
        "test",
        ("wasserstein",),
        met=met,
        distance=lambda m: m["wasserstein"],
        show=lambda m: f"W1 {m['wasserstein']:.3f}",
    )
    watcher = suite.BarWatcher(bar, every=3, cap=math.inf)
    options = tiny(**{"train.eval_every": 3, "evaluation.metrics": ["wasserstein"]})
    experiment = Experiment.from_setup(
        "gaussian", seed=0, steps=30, device="cpu", callbacks=[watcher], overrides=options
    )
    experiment.fit()
    assert watcher.met is not None and watcher.met[0] == 6
    assert experiment.step == 6  # stopped after the round that met the bar
    assert [step for step, _, _ in watcher.evaluations] == [3, 6]  # the fit's final evaluation is not new
    first, second = watcher.evaluations[0][1], watcher.evaluations[1][1]
    assert 0 < first < second
    assert watcher.evaluating > 0
    run = suite.BarRun("gaussian", "default", 30, 3, math.inf, watcher)
    assert run.cell().startswith(f"{second:.2f} s (6 rounds): W1 ")


def test_bar_watcher_stops_at_the_cap_and_reports_the_best_value():
    values = iter([0.5, 0.2, 0.3])
    bar = suite.Bar(
        "never", ("wasserstein",), met=lambda m: False, distance=lambda m: next(values), show=lambda m: "shown"
    )
    watcher = suite.BarWatcher(bar, every=2, cap=0.0)
    options = tiny(**{"train.eval_every": 2, "evaluation.metrics": ["wasserstein"]})
    experiment = Experiment.from_setup(
        "gaussian", seed=0, steps=20, device="cpu", callbacks=[watcher], overrides=options
    )
    experiment.fit()
    assert watcher.capped and watcher.met is None and experiment.step == 2
    cell = suite.BarRun("gaussian", "tutorial", 20, 2, 0.0, watcher).cell()
    assert cell.startswith("never reaches it within its time cap (0 s: 2 of 20 rounds)")


def _watcher(met_seconds: float | None, last_seconds: float, capped: bool) -> suite.BarWatcher:
    watcher = suite.BarWatcher(suite.BARS["gaussian"], every=10, cap=math.inf)
    watcher.evaluations = [(10, last_seconds, {"wasserstein": 0.01 if met_seconds else 0.3})]
    watcher.met = (10, met_seconds, {"wasserstein": 0.01}) if met_seconds else None
    watcher.capped = capped
    return watcher


@pytest.mark.parametrize(
    "tutorial, ratio, goal",
    [
        ((None, 9.0, False), "∞ (tutorial never reaches it)", "met"),
        ((None, 9.0, True), "> 90× (tutorial capped)", "met"),
        ((None, 3.0, True), "> 30× (tutorial capped)", "at least 30× shown (cap)"),
        ((2.0, 2.0, False), "20.0×", "not met"),
    ],
)
def test_bars_table_ratio(tutorial, ratio, goal):
    default = suite.BarRun("gaussian", "default", 10, 10, math.inf, _watcher(0.1, 0.1, False))
    results = {
        ("gaussian", "default"): default,
        ("gaussian", "tutorial"): suite.BarRun("gaussian", "tutorial", 10, 10, 1.0, _watcher(*tutorial)),
    }
    row = suite.bars_table(results)[2]
    assert row.startswith("| gaussian | W1 ≤ 0.05")
    assert row.endswith(f"| {ratio} | {goal} |")


def test_rounds_table_takes_the_median_of_paired_ratios():
    result = suite.RoundsResult(
        "even",
        100,
        {
            "hand-written": [suite.Timing(100, s, 1.0, 2.0) for s in (1.0, 2.0, 1.0)],
            "ganframe": [suite.Timing(100, s, c, 3.0) for s, c in ((1.1, 1.2), (1.8, 1.1), (1.5, 1.3))],
            "ganframe, plots off": [suite.Timing(100, 0.9, 0.9, 3.0)] * 3,
        },
    )
    assert result.ratios("ganframe") == pytest.approx([1.1, 0.9, 1.5])
    row = suite.rounds_table([result])[2]
    assert row.startswith(
        "| even | 100 | 10.000 | 15.000 | 1.10 (0.90–1.50) | 1.20 (1.10–1.30) | 9.000 | 0.90 (0.45–0.90) |"
    )
    assert "| not met |" in row


def test_gaussian2d_bar_is_the_sample_estimators_standard_error():
    """The gaussian2d bar: the estimator's root-mean-square relative errors on 1,000 points, simulated."""
    a, b = np.array([[1.0, 2.0], [-0.1, 0.5]]), np.array([1.0, 2.0])
    rng = np.random.default_rng(0)
    points = rng.standard_normal((400, 1000, 2)) @ a + b
    means = points.mean(axis=1)
    covs = np.einsum("rni,rnj->rij", points - means[:, None], points - means[:, None]) / 999
    mean_rms = np.sqrt(((np.linalg.norm(means - b, axis=1) / np.linalg.norm(b)) ** 2).mean())
    cov_rms = np.sqrt(((np.linalg.norm(covs - a.T @ a, axis=(1, 2)) / np.linalg.norm(a.T @ a)) ** 2).mean())
    assert suite.MEAN_SE == pytest.approx(mean_rms, rel=0.1)
    assert suite.COV_SE == pytest.approx(cov_rms, rel=0.1)
    assert (round(100 * suite.MEAN_SE, 1), round(100 * suite.COV_SE, 1)) == (3.2, 4.5)


def test_external_benchmark_is_included_or_named(tmp_path, monkeypatch):
    monkeypatch.setattr(suite, "BENCHMARKS", tmp_path)
    missing = suite.external("extras", quick=True, log=lambda message: None)
    assert "Hook point" in missing[0] and "benchmarks/extras.py" in missing[0]
    (tmp_path / "startup.py").write_text(
        "import argparse\np = argparse.ArgumentParser()\np.add_argument('--repeats')\np.add_argument('--out')\n"
        "a = p.parse_args()\nopen(a.out, 'w').write(f'| repeats | {a.repeats} |')\n"
    )
    lines = suite.external("startup", quick=True, log=lambda message: None)
    assert lines[-1] == "| repeats | 1 |"


def test_suite_command_writes_its_report(tmp_path, capsys):
    out = tmp_path / "report.md"
    assert suite.main(["--quick", "--only", "equivalence", "--setups", "gaussian", "--out", str(out)]) == 0
    text = out.read_text()
    assert text == capsys.readouterr().out
    assert "| CPU |" in text and f"| PyTorch | {torch.__version__}" in text
    assert "| gaussian | default |" in text and "| gaussian | tutorial |" in text and "bit-identical" in text
