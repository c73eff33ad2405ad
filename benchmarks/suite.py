"""ganframe's benchmark suite in one command: speed against hand-written PyTorch, and time to quality.

    .venv/bin/python benchmarks/suite.py                    # everything, about 13 minutes on 2 cores
    .venv/bin/python benchmarks/suite.py --quick            # a short smoke version, about 3 minutes
    .venv/bin/python benchmarks/suite.py --only rounds      # one or more sections (comma-separated)
    .venv/bin/python benchmarks/suite.py --out FILE.md      # default benchmarks/results/latest.md

(``make bench`` runs the first line.) The report is Markdown, printed and written to ``--out``,
starting with the machine: CPU model (``/proc/cpuinfo``), cores, PyTorch version, date, load.

Sections (``--only``; all but ``profile`` by default):

``equivalence``
    Each hand-written loop (``benchmarks/handwritten/``) against ganframe's preset, both presets of
    every setup: the same seed, the same N rounds, then initial weights, every round's losses (and
    logged accuracies) and final weights and buffers compared bit for bit, or within float rounding
    where ganframe computes a layer with other operations (``benchmarks/equivalence.py``). MNIST
    needs ``GANFRAME_MNIST_DIR`` or ``../shared/data/mnist`` (else it is left out of every section).

``rounds``
    Seconds per training round of each setup's ``default`` preset, ganframe against its hand-written
    loop, in one process, interleaved (hand-written, ganframe, ganframe without figures, then again,
    the order rotating each repetition): these machines are shared and noisy, so the median over
    repetitions of each repetition's ratio is what counts, in wall-clock time and in the process's
    CPU time (which other people's work disturbs less); goal ≤ 1.00. ganframe trains through
    ``Experiment.from_setup(SETUP).fit(RUN_DIR)`` with every lifecycle plugin a user gets (run
    files, checkpoint, figures, report.html), and again with ``logging.plots = false``. Only the
    rounds are timed, by a lifecycle callback (``on_experiment_start`` ... ``on_train_end``); the
    whole call (building, training, final evaluation, checkpoint, figures, report) is timed
    separately. Rounds: each preset's full schedule (gaussian 5,000, even 500, gaussian2d 2,000),
    and for MNIST one epoch (937 of its 18,740 rounds); 3 repetitions (``--repeats``), after one
    short warm-up run of each.

``bars``
    Seconds of training until a preset first meets its setup's quality bar, ``default`` against
    ``tutorial`` (seed 0, ``fit()`` without a run directory), evaluated every k rounds
    (``train.eval_every``; evaluation time is not counted), and the ratio tutorial / default (goal
    ≥ 50). Bars: gaussian W1 ≤ 0.05 to N(4, 1.25); even all 64 even values produced and 100 % even;
    gaussian2d the generated mean and covariance within the plain sample estimator's standard
    error of the training points' own (``MEAN_SE``, ``COV_SE``: on 1,000 points no estimator can
    tell its data's moments more closely; ``gaussian2d_bar.py``'s 2 % / 5 % to the truth is out of
    reach on seeds 0-2, whose points lie 4-9 % from the true mean); MNIST FD ≤ 51.5 and digit entropy ≥
    3.25 bits (the worst of what the default reaches after 5 epochs on seeds 0-2, README). A preset
    that does not meet it by the end of its schedule or its time cap "never reaches it", with its
    best value. Caps (training seconds): a tutorial stops once it has trained 60 times as long as the
    default took to the bar (enough to show the goal), and at most gaussian tutorial 150 s (of
    30,000 rounds, ~330 s), MNIST tutorial 90 s (of 100 epochs, over an hour); MNIST default 300
    s; the rest run their full schedule (default gaussian 5,000 rounds, gaussian2d 2,000, even 500;
    tutorial gaussian2d 2,500, even 500) or stop at the bar. MNIST is evaluated every 468 rounds
    (half an epoch of the default, 10,000 samples, ~3 s each), the others every 10-500 rounds.

``extras``, ``startup``
    The tables of ``benchmarks/extras.py`` (each network extra's cost, batch 256) and
    ``benchmarks/startup.py`` (the command's start-up and finish times), run as they are; a missing
    script is named in the report instead.

``profile``
    Not run by default: where ganframe's time per round goes beyond the hand-written loop's, for
    the setups of ``--profile-setups`` (default gaussian, even, gaussian2d): each piece of
    ganframe's per-round work timed on its own (``benchmarks/round_costs.py``), and cProfile of
    the rounds of ``fit(RUN_DIR)`` and of the hand-written loop, in CPU time.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import math
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

BENCHMARKS = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCHMARKS))

import equivalence  # noqa: E402
import round_costs  # noqa: E402
from _cli import cpu_model  # noqa: E402
from handwritten import even as hw_even  # noqa: E402
from handwritten import gaussian as hw_gaussian  # noqa: E402
from handwritten import gaussian2d as hw_gaussian2d  # noqa: E402
from handwritten import mnist as hw_mnist  # noqa: E402
from round_clock import RoundClock  # noqa: E402

from ganframe import Experiment, hookimpl  # noqa: E402

SETUPS = ("gaussian", "even", "gaussian2d", "mnist")
GOAL = 50  # the tutorial should need at least this many times the default's training time to the bar
SHOWN = 60  # a tutorial that has not met the bar after SHOWN times the default's time is stopped there
SECTIONS = ("equivalence", "rounds", "bars", "extras", "startup", "profile")
DEFAULT_SECTIONS = SECTIONS[:-1]
DEFAULT_OUT = BENCHMARKS / "results" / "latest.md"
HANDWRITTEN = {"gaussian": hw_gaussian, "even": hw_even, "gaussian2d": hw_gaussian2d, "mnist": hw_mnist}


@dataclass(frozen=True)
class Plan:
    """How long each section runs: the full suite or ``--quick``."""

    equivalence_rounds: Mapping[str, int]
    rounds: Mapping[str, int]  # training rounds timed per repetition
    repeats: int
    # (setup, preset) → (eval_every, cap in training seconds). A tutorial's cap is also at most
    # SHOWN times the default's time to the bar: enough to show the goal, no longer.
    bars: Mapping[tuple[str, str], tuple[int, float]]


FULL = Plan(
    equivalence_rounds={"gaussian": 100, "even": 10, "gaussian2d": 300, "mnist": 10},
    rounds={"gaussian": 5000, "even": 500, "gaussian2d": 2000, "mnist": 937},
    repeats=3,
    bars={
        ("gaussian", "default"): (100, math.inf),
        ("gaussian", "tutorial"): (500, 150.0),
        ("even", "default"): (10, math.inf),
        ("even", "tutorial"): (10, math.inf),
        ("gaussian2d", "default"): (50, math.inf),
        ("gaussian2d", "tutorial"): (50, math.inf),
        ("mnist", "default"): (468, 300.0),
        ("mnist", "tutorial"): (468, 90.0),
    },
)
QUICK = Plan(
    equivalence_rounds={"gaussian": 10, "even": 10, "gaussian2d": 10, "mnist": 3},
    rounds={"gaussian": 400, "even": 100, "gaussian2d": 200, "mnist": 30},
    repeats=2,
    bars={
        ("gaussian", "default"): (100, 8.0),
        ("gaussian", "tutorial"): (500, 4.0),
        ("even", "default"): (10, math.inf),
        ("even", "tutorial"): (10, math.inf),
        ("gaussian2d", "default"): (50, 8.0),
        ("gaussian2d", "tutorial"): (250, 4.0),
        ("mnist", "default"): (100, 5.0),
        ("mnist", "tutorial"): (100, 5.0),
    },
)


# -- the machine --------------------------------------------------------------------------------------
def machine_lines() -> list[str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    return [
        "| machine | |",
        "|---|---|",
        f"| CPU | {cpu_model()} |",
        f"| cores | {os.cpu_count()} ({usable} usable by this process) |",
        f"| PyTorch | {torch.__version__} (benchmarks run with 1 thread, as the presets' train.threads = 1) |",
        f"| Python | {platform.python_version()} |",
        f"| date | {datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')} |",
        f"| load average at start (1, 5, 15 min) | {load} |",
    ]


# -- timing ganframe's rounds: round_clock.RoundClock


def mnist_overrides(setup: str) -> dict[str, Any]:
    folder = equivalence.mnist_dir()
    return {"data.data_dir": folder} if setup == "mnist" and folder else {}


@dataclass
class Timing:
    rounds: int
    seconds: float  # the rounds alone, wall clock
    cpu_seconds: float  # the rounds alone, this process's CPU time
    wall: float  # the whole call

    @property
    def per_round(self) -> float:
        return self.seconds / self.rounds

    @property
    def cpu_per_round(self) -> float:
        return self.cpu_seconds / self.rounds


def time_ganframe(setup: str, rounds: int, workdir: Path, *, plots: bool) -> Timing:
    """``Experiment.from_setup(SETUP, seed=0, steps=ROUNDS).fit(RUN_DIR)``, as a user runs it."""
    clock = RoundClock()
    run_dir = Path(tempfile.mkdtemp(dir=workdir)) / "run"
    started = time.perf_counter()
    experiment = Experiment.from_setup(
        setup,
        seed=0,
        steps=rounds,
        device="cpu",
        callbacks=[clock],
        overrides={"logging.plots": plots, **mnist_overrides(setup)},
    )
    experiment.fit(run_dir)
    wall = time.perf_counter() - started
    shutil.rmtree(run_dir.parent, ignore_errors=True)
    if clock.rounds != rounds:
        raise RuntimeError(f"{setup}: ganframe trained {clock.rounds} rounds, not {rounds}")
    return Timing(rounds, clock.seconds, clock.cpu_seconds, wall)


def time_handwritten(setup: str, rounds: int, images: torch.Tensor | None) -> Timing:
    """The hand-written loop: building it (networks, optimisers, data) and ``rounds`` rounds."""
    started = time.perf_counter()
    module = HANDWRITTEN[setup]
    loop = module.Loop("default", seed=0, total_steps=rounds, **({"images": images} if setup == "mnist" else {}))
    loop.train(rounds)
    return Timing(rounds, loop.clock.seconds, loop.clock.cpu_seconds, time.perf_counter() - started)


VARIANTS = ("hand-written", "ganframe", "ganframe, plots off")


@dataclass
class RoundsResult:
    setup: str
    rounds: int
    runs: dict[str, list[Timing]] = field(default_factory=dict)

    def ratios(self, variant: str, cpu: bool = False) -> list[float]:
        """Per repetition: the variant's time per round over the hand-written loop's in the same
        repetition (wall clock, or with ``cpu`` the process's CPU time)."""
        if cpu:
            return [t.cpu_per_round / h.cpu_per_round for t, h in zip(self.runs[variant], self.runs["hand-written"])]
        return [t.per_round / h.per_round for t, h in zip(self.runs[variant], self.runs["hand-written"])]


def median_ratio(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})"


def interleaved(
    setup: str, rounds: int, repeats: int, workdir: Path, images: torch.Tensor | None, log: Callable[[str], None]
) -> RoundsResult:
    """Every variant once per repetition, in an order that rotates, after one short warm-up of each."""
    run = {
        "hand-written": lambda n: time_handwritten(setup, n, images),
        "ganframe": lambda n: time_ganframe(setup, n, workdir, plots=True),
        "ganframe, plots off": lambda n: time_ganframe(setup, n, workdir, plots=False),
    }
    for variant in VARIANTS:  # imports, first allocations, matplotlib: not what a round costs
        run[variant](min(rounds, 20))
    result = RoundsResult(setup, rounds, {variant: [] for variant in VARIANTS})
    for repeat in range(repeats):
        order = VARIANTS[repeat % len(VARIANTS) :] + VARIANTS[: repeat % len(VARIANTS)]
        for variant in order:
            timing = run[variant](rounds)
            result.runs[variant].append(timing)
            log(
                f"  {setup} repetition {repeat + 1}/{repeats} {variant}: {1e3 * timing.per_round:.3f} ms/round "
                f"({1e3 * timing.cpu_per_round:.3f} CPU), whole {timing.wall:.1f} s"
            )
    return result


def rounds_table(results: list[RoundsResult]) -> list[str]:
    lines = [
        "| setup (default preset) | rounds timed | hand-written ms/round | ganframe ms/round | ratio | "
        "ratio, CPU time | ganframe, plots off, ms/round | ratio | ratio, CPU time | goal ≤ 1.00 | "
        "whole call s: hand-written / ganframe / plots off |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ms = {v: statistics.median(1e3 * t.per_round for t in r.runs[v]) for v in VARIANTS}
        wall = {v: statistics.median(t.wall for t in r.runs[v]) for v in VARIANTS}
        worst = max(statistics.median(r.ratios(v)) for v in VARIANTS[1:])
        cells = [
            f"{ms[v]:.3f} | {median_ratio(r.ratios(v))} | {median_ratio(r.ratios(v, cpu=True))}" for v in VARIANTS[1:]
        ]
        lines.append(
            f"| {r.setup} | {r.rounds:,} | {ms['hand-written']:.3f} | {' | '.join(cells)} | "
            f"{'met' if worst <= 1.0 else 'not met'} | "
            f"{wall['hand-written']:.1f} / {wall['ganframe']:.1f} / {wall['ganframe, plots off']:.1f} |"
        )
    return lines


# -- time to the quality bar --------------------------------------------------------------------------
def _estimator_errors(n: int = hw_gaussian2d.SIZE) -> tuple[float, float]:
    """The plain sample estimator's root-mean-square relative error on n points of N(b, AᵀA): mean, covariance.

    Mean: √(tr Σ / n) / ‖b‖. Covariance (Frobenius): √(Σᵢⱼ (ΣᵢᵢΣⱼⱼ + Σᵢⱼ²) / (n − 1)) / ‖Σ‖, the
    variance of a Gaussian sample covariance's entries.
    """
    a, b = np.array(hw_gaussian2d.A), np.array(hw_gaussian2d.B)
    cov = a.T @ a
    mean_se = math.sqrt(np.trace(cov) / n) / np.linalg.norm(b)
    entries = np.outer(np.diag(cov), np.diag(cov)) + cov**2
    return mean_se, math.sqrt(entries.sum() / (n - 1)) / np.linalg.norm(cov)


MEAN_SE, COV_SE = _estimator_errors()
MNIST_FD, MNIST_ENTROPY = 51.5, 3.25  # README, default after 5 epochs, seeds 0-2: FD 50.4-51.5, entropy 3.25-3.29


@dataclass(frozen=True)
class Bar:
    """A setup's quality bar: the metrics to compute, whether they meet it, and how far they are from it."""

    text: str
    metrics: tuple[str, ...]
    met: Callable[[Mapping[str, float]], bool]
    distance: Callable[[Mapping[str, float]], float]  # 0 when met; for "best value"
    show: Callable[[Mapping[str, float]], str]


BARS = {
    "gaussian": Bar(
        "W1 ≤ 0.05 to N(4, 1.25²)",
        ("wasserstein",),
        met=lambda m: m["wasserstein"] <= 0.05,
        distance=lambda m: max(m["wasserstein"] - 0.05, 0.0),
        show=lambda m: f"W1 {m['wasserstein']:.4f}",
    ),
    "even": Bar(
        "all 64 even values, 100 % even",
        ("even-fraction", "even-coverage", "even-kl"),
        met=lambda m: m["coverage"] >= 64 and m["even_fraction"] >= 1.0,
        distance=lambda m: (64 - m["coverage"]) + 64 * (1.0 - m["even_fraction"]),
        show=lambda m: f"{m['coverage']:.0f} values, {100 * m['even_fraction']:.2f} % even",
    ),
    "gaussian2d": Bar(
        f"mean and covariance within the sample estimator's standard error of the training points' "
        f"(gap ≤ {100 * MEAN_SE:.1f} % and ≤ {100 * COV_SE:.1f} %)",
        ("gaussian-error",),
        met=lambda m: m["mean_gap"] <= MEAN_SE and m["cov_gap"] <= COV_SE,
        distance=lambda m: max(m["mean_gap"] / MEAN_SE, m["cov_gap"] / COV_SE, 1.0) - 1.0,
        show=lambda m: (
            f"gap {100 * m['mean_gap']:.1f} % / {100 * m['cov_gap']:.1f} %; error to the "
            f"truth {100 * m['mean_error']:.1f} % / {100 * m['cov_error']:.1f} % "
            f"(estimator {100 * m['estimator_mean_error']:.1f} % / "
            f"{100 * m['estimator_cov_error']:.1f} %)"
        ),
    ),
    "mnist": Bar(
        f"FD ≤ {MNIST_FD} and digit entropy ≥ {MNIST_ENTROPY} bits",
        ("mnist-fd", "mnist-digits"),
        met=lambda m: m["fd"] <= MNIST_FD and m["digit_entropy"] >= MNIST_ENTROPY,
        distance=lambda m: max(m["fd"] / MNIST_FD, MNIST_ENTROPY / max(m["digit_entropy"], 1e-9), 1.0) - 1.0,
        show=lambda m: f"FD {m['fd']:.1f}, entropy {m['digit_entropy']:.2f} bits",
    ),
}


class BarWatcher:
    """Follows a fit's evaluations: training seconds (evaluation excluded) at each, the first one that
    meets the bar (then it stops the fit), and the time cap (it stops the fit past it)."""

    def __init__(self, bar: Bar, every: int, cap: float) -> None:
        self.bar, self.every, self.cap = bar, every, cap
        self.start = self.round_end = 0.0
        self.evaluating = 0.0  # seconds spent in evaluations so far
        self.evaluations: list[tuple[int, float, dict[str, float]]] = []  # (step, training seconds, metrics)
        self.met: tuple[int, float, dict[str, float]] | None = None
        self.capped = False

    @hookimpl(trylast=True)
    def on_experiment_start(self) -> None:
        self.start = time.perf_counter()

    @hookimpl
    def on_step_end(self, step: int) -> None:
        if step % self.every == 0:
            self.round_end = time.perf_counter()

    @hookimpl(wrapper=True)
    def on_train_end(self):
        self.round_end = time.perf_counter()
        return (yield)

    @hookimpl
    def on_evaluation(self, experiment, step: int, metrics: Mapping[str, float]) -> None:
        now = time.perf_counter()
        trained = self.round_end - self.start - self.evaluating
        self.evaluating += now - self.round_end
        if not metrics or (self.evaluations and self.evaluations[-1][0] == step):
            return  # the final evaluation of a fit stopped just after an evaluation: nothing new
        self.evaluations.append((step, trained, dict(metrics)))
        if self.met is None and self.bar.met(metrics):
            self.met = (step, trained, dict(metrics))
            experiment.request_stop()
        elif trained >= self.cap:
            self.capped = True
            experiment.request_stop()

    def best(self) -> tuple[int, float, dict[str, float]] | None:
        return min(self.evaluations, key=lambda e: self.bar.distance(e[2])) if self.evaluations else None


@dataclass
class BarRun:
    setup: str
    preset: str
    planned: int  # the preset's rounds
    every: int
    cap: float
    watcher: BarWatcher

    def cell(self) -> str:
        w = self.watcher
        if w.met is not None:
            step, seconds, metrics = w.met
            return f"{seconds:.2f} s ({step:,} rounds): {w.bar.show(metrics)}"
        last_step, last_seconds = (w.evaluations[-1][0], w.evaluations[-1][1]) if w.evaluations else (0, 0.0)
        where = (
            f"its time cap ({self.cap:.0f} s: {last_step:,} of {self.planned:,} rounds)"
            if w.capped
            else f"its {self.planned:,} rounds ({last_seconds:.1f} s)"
        )
        best = w.best()
        shown = f"; best {w.bar.show(best[2])} at round {best[0]:,}" if best else ""
        return f"never reaches it within {where}{shown}"


def run_bar(setup: str, preset: str, every: int, cap: float, log: Callable[[str], None]) -> BarRun:
    bar = BARS[setup]
    watcher = BarWatcher(bar, every, cap)
    experiment = Experiment.from_setup(
        setup,
        preset,
        seed=0,
        device="cpu",
        callbacks=[watcher],
        overrides={"train.eval_every": every, "evaluation.metrics": list(bar.metrics), **mnist_overrides(setup)},
    )
    planned = experiment.config.train.steps
    experiment.fit()
    result = BarRun(setup, preset, planned, every, cap, watcher)
    log(f"  {setup} {preset}: {result.cell()} (evaluations took {watcher.evaluating:.1f} s)")
    return result


def bars_table(results: dict[tuple[str, str], BarRun]) -> list[str]:
    lines = [
        "| setup | bar (evaluated every k rounds, k default / tutorial) | default: training s to the bar | "
        "tutorial: training s to the bar | tutorial / default | goal ≥ 50× |",
        "|---|---|---|---|---|---|",
    ]
    for setup in SETUPS:
        default, tutorial = results.get((setup, "default")), results.get((setup, "tutorial"))
        if default is None or tutorial is None:
            continue
        d, t = default.watcher, tutorial.watcher
        if d.met is None:
            ratio, goal = "– (default misses the bar)", "not met"
        elif t.met is None and not t.capped:
            ratio, goal = "∞ (tutorial never reaches it)", "met"
        elif t.met is None:
            factor = (t.evaluations[-1][1] if t.evaluations else 0.0) / d.met[1]
            ratio = f"> {factor:.0f}× (tutorial capped)"
            goal = "met" if factor >= GOAL else f"at least {factor:.0f}× shown (cap)"
        else:
            factor = t.met[1] / d.met[1]
            ratio, goal = f"{factor:.1f}×", "met" if factor >= GOAL else "not met"
        lines.append(
            f"| {setup} | {BARS[setup].text} (k {default.every} / {tutorial.every}) | {default.cell()} | "
            f"{tutorial.cell()} | {ratio} | {goal} |"
        )
    return lines


# -- other people's benchmarks --------------------------------------------------------------------------
EXTERNAL = {
    "extras": ("extras.py", "per network extra: time per round with / without it at batch 256"),
    "startup": ("startup.py", "the ganframe command's start-up and finish times"),
}


def external(section: str, quick: bool, log: Callable[[str], None]) -> list[str]:
    """Run ``benchmarks/SCRIPT`` and take its Markdown (its ``--out`` file, else its standard output)."""
    script, what = EXTERNAL[section]
    path = BENCHMARKS / script
    if not path.is_file():
        return [
            f"*Hook point: `benchmarks/{script}` ({what}) is not in this tree yet; once it is, this section "
            f"runs it and includes its tables.*"
        ]
    helptext = subprocess.run([sys.executable, str(path), "--help"], capture_output=True, text=True).stdout
    args: list[str] = []
    if quick and "--quick" in helptext:
        args.append("--quick")
    elif quick and "--repeats" in helptext:
        args += ["--repeats", "1"]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.md"
        if "--out" in helptext:
            args += ["--out", str(out)]
        log(f"  running benchmarks/{script} {' '.join(args)}")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(path), *args], capture_output=True, text=True)
        took = time.perf_counter() - started
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            return [
                f"*`benchmarks/{script}` failed (exit {done.returncode}) after {took:.0f} s:*",
                "",
                "```",
                *tail,
                "```",
            ]
        text = out.read_text() if out.is_file() else done.stdout
    return [f"`benchmarks/{script} {' '.join(args)}`, {took:.0f} s:", "", text.strip()]


# -- where ganframe's time per round goes -----------------------------------------------------------------
class ProfiledRounds(RoundClock):
    """A :class:`RoundClock` that also runs cProfile over the rounds, and over nothing else."""

    def __init__(self) -> None:
        super().__init__()
        self.profiler = cProfile.Profile(time.process_time)

    @hookimpl(trylast=True)
    def on_experiment_start(self, step: int) -> None:
        super().on_experiment_start(step)
        self.profiler.enable()

    @hookimpl(wrapper=True)
    def on_train_end(self, step: int):
        self.profiler.disable()
        return (yield from super().on_train_end(step))


def _where(function: tuple[str, int, str]) -> str:
    filename, line, name = function
    for marker in ("/ganframe/", "/site-packages/", "/benchmarks/"):
        if marker in filename:
            filename = filename[filename.rindex(marker) + len(marker) :]
            break
    return f"{filename}:{line}({name})" if line else name


def profile_stats(setup: str, rounds: int, workdir: Path) -> tuple[pstats.Stats, float, pstats.Stats, float]:
    """cProfile of ganframe's rounds in ``fit(RUN_DIR)`` (figures on) and of the hand-written loop's:
    (ganframe's stats, its seconds per round unprofiled, the loop's stats, its seconds per round unprofiled)."""
    time_ganframe(setup, min(rounds, 20), workdir, plots=True)  # warm up
    plain_ganframe = time_ganframe(setup, rounds, workdir, plots=True).cpu_per_round
    clock = ProfiledRounds()
    run_dir = Path(tempfile.mkdtemp(dir=workdir)) / "run"
    Experiment.from_setup(
        setup, seed=0, steps=rounds, device="cpu", callbacks=[clock], overrides=mnist_overrides(setup)
    ).fit(run_dir)
    loop = HANDWRITTEN[setup].Loop("default", seed=0, total_steps=rounds)
    plain_loop = time_handwritten(setup, rounds, None).cpu_per_round
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    loop.train(rounds)
    profiler.disable()
    return pstats.Stats(clock.profiler), plain_ganframe, pstats.Stats(profiler), plain_loop


def profile_lines(setup: str, rounds: int, workdir: Path, top: int = 25) -> list[str]:
    """Where ganframe's rounds spend their time beyond the hand-written loop's, in µs per round."""
    ganframe_stats, ganframe_round, loop_stats, loop_round = profile_stats(setup, rounds, workdir)

    def table(stats: pstats.Stats, key: int, only: Callable[[str], bool] = lambda where: True) -> list[str]:
        rows = sorted(
            (
                (values[key], values[1], _where(function))
                for function, values in stats.stats.items()
                if only(_where(function))
            ),
            reverse=True,
        )[:top]
        return [
            "| µs per round | calls per round | function |",
            "|---|---|---|",
            *(f"| {1e6 * seconds / rounds:.1f} | {calls / rounds:.2f} | `{where}` |" for seconds, calls, where in rows),
        ]

    def framework(where: str) -> bool:  # ganframe, pluggy, schedulers, reading a tensor's value
        return (
            not where.startswith(("torch/", "<", "python3", "/"))
            or "lr_scheduler" in where
            or where.startswith(("<method 'item'", "<built-in method builtins.float"))
        )

    profiled = {"ganframe": ganframe_stats.total_tt / rounds, "hand-written": loop_stats.total_tt / rounds}
    return [
        f"{rounds:,} rounds of the default preset; only the rounds are profiled (ganframe: between "
        "`on_experiment_start` and `on_train_end` of `fit(RUN_DIR)` with figures), in CPU time (less "
        "disturbed than the wall clock by other work on the machine). Unprofiled: ganframe "
        f"{1e3 * ganframe_round:.3f} CPU ms/round, hand-written {1e3 * loop_round:.3f} "
        f"(ratio {ganframe_round / loop_round:.2f}); under cProfile {1e3 * profiled['ganframe']:.3f} and "
        f"{1e3 * profiled['hand-written']:.3f}.",
        "",
        "ganframe's own functions, pluggy, learning-rate schedulers (cumulative time, so nested rows overlap):",
        "",
        *table(ganframe_stats, 3, framework),
        "",
        "ganframe, every function by its own time:",
        "",
        *table(ganframe_stats, 2),
        "",
        "hand-written loop, every function by its own time:",
        "",
        *table(loop_stats, 2),
        "",
    ]


# -- the command ------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke version (a few minutes)")
    parser.add_argument(
        "--only",
        default=",".join(DEFAULT_SECTIONS),
        help=f"comma-separated sections: {', '.join(SECTIONS)} (default: all but profile)",
    )
    parser.add_argument("--setups", default=",".join(SETUPS), help="comma-separated setups (default: all four)")
    parser.add_argument("--repeats", type=int, help="repetitions of the rounds section (default 3; --quick 2)")
    parser.add_argument(
        "--profile-setups",
        default="gaussian,even,gaussian2d",
        help="comma-separated setups the profile section looks at (not mnist)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the Markdown report (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    setups = [s.strip() for s in args.setups.split(",") if s.strip()]
    for name, known in (("section", SECTIONS), ("setup", SETUPS)):
        for value in sections if name == "section" else setups:
            if value not in known:
                parser.error(f"unknown {name} {value!r}; choose from {', '.join(known)}")
    plan = QUICK if args.quick else FULL
    repeats = args.repeats or plan.repeats
    if "mnist" in setups and equivalence.mnist_dir() is None:
        print("suite: no MNIST copy (GANFRAME_MNIST_DIR or ../shared/data/mnist): mnist left out", file=sys.stderr)
        setups.remove("mnist")

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    report = [f"# ganframe benchmarks{' (--quick)' if args.quick else ''}", "", *machine_lines(), ""]
    images = hw_mnist.load_images(equivalence.mnist_dir()) if "mnist" in setups and "rounds" in sections else None

    def write() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(report) + "\n")

    with tempfile.TemporaryDirectory(prefix="ganframe-bench-") as tmp:
        workdir = Path(tmp)
        if "equivalence" in sections:
            log("equivalence: hand-written loops against ganframe, bit for bit")
            section_started = time.perf_counter()
            rows = []
            for setup in setups:
                for preset in ("default", "tutorial"):
                    result = equivalence.check(
                        setup, preset, plan.equivalence_rounds[setup], 0, equivalence.mnist_dir()
                    )
                    rows.append(result.row())
                    log("  " + result.row())
            report += [
                "## Hand-written loops train exactly ganframe's presets",
                "",
                "Same seed (0), same rounds; ganframe's `fit()` against the hand-written loop "
                '(`benchmarks/equivalence.py`); `torch.equal` on every tensor. "Within '
                f'{equivalence.TOLERANCE:g}" would mean ganframe computes a layer with other operations '
                "than the loop's plain PyTorch (minibatch discrimination over 48 examples), equal up "
                "to float rounding, which training then amplifies round after round.",
                "",
                *equivalence.HEADER,
                *rows,
                "",
                f"({time.perf_counter() - section_started:.0f} s)",
                "",
            ]
            write()
        if "rounds" in sections:
            log("rounds: time per training round, interleaved")
            section_started = time.perf_counter()
            results = [interleaved(setup, plan.rounds[setup], repeats, workdir, images, log) for setup in setups]
            report += [
                "## Time per training round: ganframe against hand-written PyTorch",
                "",
                f"Default presets, seed 0, one thread; medians over {repeats} interleaved repetitions, "
                "ratio = ganframe / hand-written within a repetition (median, min–max). ganframe: "
                "`Experiment.from_setup(SETUP).fit(RUN_DIR)` with run files, checkpoint, figures and "
                "report; *plots off*: `logging.plots = false`. Whole call: building, rounds and (ganframe) "
                "final evaluation, checkpoint, figures, report; the hand-written MNIST loop gets its "
                "images in memory.",
                "",
                *rounds_table(results),
                "",
                f"({time.perf_counter() - section_started:.0f} s)",
                "",
            ]
            write()
        if "bars" in sections:
            log("bars: training time to the quality bar, default against tutorial")
            section_started = time.perf_counter()
            bar_results = {}
            for setup in setups:
                every, cap = plan.bars[(setup, "default")]
                default = bar_results[(setup, "default")] = run_bar(setup, "default", every, cap, log)
                every, cap = plan.bars[(setup, "tutorial")]
                if default.watcher.met is not None:
                    cap = min(cap, SHOWN * default.watcher.met[1])
                bar_results[(setup, "tutorial")] = run_bar(setup, "tutorial", every, cap, log)
            caps = ", ".join(f"{s} {p} {c:g} s" for (s, p), (_, c) in plan.bars.items() if c < math.inf and s in setups)
            caps += f"; a tutorial stops at {SHOWN}× the default's time to the bar when that is sooner"
            report += [
                "## Time to the quality bar: default against tutorial preset",
                "",
                "Seed 0, `fit()` without a run directory, one thread; seconds of training (evaluations "
                f"excluded) until the first evaluation that meets the bar. Time caps: {caps or 'none'}; "
                "other runs go to the end of their schedule or stop at the bar.",
                "",
                *bars_table(bar_results),
                "",
                f"({time.perf_counter() - section_started:.0f} s)",
                "",
            ]
            write()
        for section in ("extras", "startup"):
            if section in sections:
                log(f"{section}: benchmarks/{EXTERNAL[section][0]}")
                title = {"extras": "Network extras: cost per round", "startup": "Start-up and finish of the command"}
                report += [f"## {title[section]}", "", *external(section, args.quick, log), ""]
                write()
        if "profile" in sections:
            report += [
                "## Where ganframe's time per round goes",
                "",
                "Each piece on its own (`benchmarks/round_costs.py`), then cProfile of the rounds.",
                "",
            ]
            for setup in [s.strip() for s in args.profile_setups.split(",") if s.strip()]:
                if setup not in round_costs.HANDWRITTEN:
                    parser.error(f"the profile section looks at {', '.join(round_costs.HANDWRITTEN)}, not {setup!r}")
                log(f"profile: {setup}")
                report += [
                    *round_costs.lines(setup),
                    f"#### cProfile, {setup}",
                    "",
                    *profile_lines(setup, plan.rounds[setup], workdir),
                ]
                write()
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    report += [f"Suite wall time {time.perf_counter() - started:.0f} s; load average at the end {load}."]
    write()
    print("\n".join(report))
    log(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
