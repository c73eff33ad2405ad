"""Proof that each hand-written loop (``benchmarks/handwritten/``) trains exactly ganframe's preset.

For a setup, a preset, a seed and N rounds: ganframe's ``Experiment.from_setup(SETUP, PRESET,
seed=S, steps=N)`` is trained with ``fit()`` (no run directory, no metrics) while a callback keeps
every round's logged values; the hand-written ``Loop(PRESET, seed=S, total_steps=N)`` trains N
rounds from its own plain-PyTorch initialisation and random streams. The check compares

* the initial weights (the hand-written networks are built from the same seeded stream, in
  ganframe's order, so they must come out identical),
* every round's logged values (losses; D's accuracy for ``gaussian2d``),
* every parameter and buffer (BatchNorm's running statistics) after the N rounds,

bit for bit (``torch.equal``), and reports the largest absolute difference where they differ. Both
run in this process with one thread, so the same float operations in the same order give the same
bits. Where ganframe computes a layer with other operations than the plain PyTorch a user writes
(minibatch discrimination at batches over 48: ganframe's blocked ``minibatch_closeness`` with
``exp2``, a loop's ``torch.cdist`` and ``exp``; no preset here today), the numbers agree up to
float rounding only: the verdict is then "within TOLERANCE" when every difference is at most :data:`TOLERANCE` after a
few rounds (a GAN amplifies rounding differences round after round, Adam most of all where
gradients are near zero: ~1e-7 after 10 rounds of ``even``, ~1e-3 after 50). Usage::

    .venv/bin/python benchmarks/equivalence.py [--rounds 20] [--seed 0] [SETUP[:PRESET] ...]
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import _cli
import torch

from ganframe import hookimpl

sys.path.insert(0, str(Path(__file__).resolve().parent))

TOLERANCE = 1e-5  # largest absolute difference of a value or weight still called float rounding
CASES = [
    ("gaussian", "default"),
    ("gaussian", "tutorial"),
    ("even", "default"),
    ("even", "tutorial"),
    ("gaussian2d", "default"),
    ("gaussian2d", "tutorial"),
    ("mnist", "default"),
    ("mnist", "tutorial"),
]


def mnist_dir() -> str | None:
    """Where the real MNIST is: ``GANFRAME_MNIST_DIR``, else ``../shared/data/mnist`` when present."""
    folder = _cli.mnist_dir()
    return str(folder) if os.environ.get("GANFRAME_MNIST_DIR") or folder.is_dir() else None


@dataclass
class Result:
    setup: str
    preset: str
    rounds: int
    initial: float  # largest |difference| of the initial weights (0.0: identical)
    logs: float  # of every round's logged values
    weights: float  # of the parameters and buffers after the rounds
    identical: bool  # all three bit for bit
    compared: list[str] = field(default_factory=list)  # the logged names compared

    @property
    def close(self) -> bool:
        """Bit-identical, or every difference within :data:`TOLERANCE` (float rounding)."""
        return max(self.initial, self.logs, self.weights) <= TOLERANCE

    @property
    def verdict(self) -> str:
        if self.identical:
            return "bit-identical"
        return f"within {TOLERANCE:g} (float rounding)" if self.close else "DIFFERENT"

    def row(self) -> str:
        verdict = self.verdict
        return (
            f"| {self.setup} | {self.preset} | {self.rounds} | {', '.join(self.compared)} | "
            f"{_diff(self.initial)} | {_diff(self.logs)} | {_diff(self.weights)} | {verdict} |"
        )


HEADER = [
    "| setup | preset | rounds | logged values compared | initial weights: max abs diff | "
    "per-round values: max abs diff | final weights and buffers: max abs diff | verdict |",
    "|---|---|---|---|---|---|---|---|",
]


def _diff(value: float) -> str:
    return "0 (equal)" if value == 0 else f"{value:.3g}"


def _states(networks: Mapping[str, torch.nn.Module]) -> list[tuple[str, torch.Tensor]]:
    return [
        (f"{role}.{name}", tensor.detach().clone())
        for role in ("generator", "discriminator")
        for name, tensor in networks[role].state_dict().items()
    ]


def _largest_difference(a: list[tuple[str, torch.Tensor]], b: list[tuple[str, torch.Tensor]], what: str) -> float:
    if [t.shape for _, t in a] != [t.shape for _, t in b]:
        raise AssertionError(
            f"{what}: the networks differ in shape: {[(n, tuple(t.shape)) for n, t in a]} "
            f"against {[(n, tuple(t.shape)) for n, t in b]}"
        )
    worst = 0.0
    for (_, x), (_, y) in zip(a, b):
        if not torch.equal(x, y):
            worst = max(worst, float((x.double() - y.double()).abs().max()) or float("inf"))
    return worst


class _Recorder:
    """Keeps every round's logged values (a lifecycle callback)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, torch.Tensor]] = []

    @hookimpl
    def on_step_end(self, logs: Mapping[str, torch.Tensor]) -> None:
        self.rows.append({key: value.detach().clone() for key, value in logs.items()})


def ganframe_run(
    setup: str,
    preset: str,
    seed: int,
    rounds: int,
    data_dir: str | None = None,
    overrides: Mapping[str, object] | None = None,
):
    """ganframe's preset trained ``rounds`` rounds: (initial states, final states, logs, experiment)."""
    from ganframe import Experiment

    overrides = {"evaluation.metrics": [], "device": "cpu", **(overrides or {})}
    if setup == "mnist" and data_dir:
        overrides["data.data_dir"] = data_dir
    recorder = _Recorder()
    experiment = Experiment.from_setup(
        setup, preset, seed=seed, steps=rounds, overrides=overrides, callbacks=[recorder]
    )
    initial = _states(experiment.networks)
    experiment.fit()
    logs = {key: torch.stack([row[key] for row in recorder.rows]) for key in recorder.rows[0]}
    return initial, _states(experiment.networks), logs, experiment


def handwritten_run(setup: str, preset: str, seed: int, rounds: int, images: torch.Tensor | None = None):
    """The hand-written loop of the same preset: (initial states, final states, logs)."""
    module = importlib.import_module(f"handwritten.{setup}")
    loop = module.Loop(preset, seed=seed, total_steps=rounds, **({"images": images} if setup == "mnist" else {}))
    initial = _states(loop.networks)
    loop.train(rounds)
    return initial, _states(loop.networks), loop.logs()


def check(
    setup: str,
    preset: str,
    rounds: int = 20,
    seed: int = 0,
    data_dir: str | None = None,
    overrides: Mapping[str, object] | None = None,
) -> Result:
    """Train both ``rounds`` rounds from ``seed`` and compare (see the module's docstring).
    ``overrides``: config changes for ganframe that do not change training (``data.cache_dir``)."""
    g_initial, g_final, g_logs, experiment = ganframe_run(setup, preset, seed, rounds, data_dir, overrides)
    images = experiment.data.images if setup == "mnist" else None
    h_initial, h_final, h_logs = handwritten_run(setup, preset, seed, rounds, images)
    names = sorted(g_logs)
    if sorted(h_logs) != names:
        raise AssertionError(f"{setup} {preset}: ganframe logs {names}, the hand-written loop {sorted(h_logs)}")
    logs = _largest_difference(
        [(k, g_logs[k].double()) for k in names], [(k, h_logs[k].double()) for k in names], "logs"
    )
    initial = _largest_difference(g_initial, h_initial, "initial weights")
    weights = _largest_difference(g_final, h_final, "final weights")
    return Result(setup, preset, rounds, initial, logs, weights, initial == logs == weights == 0.0, names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="SETUP or SETUP:PRESET (default: every setup, both presets)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    cases = [
        case
        for text in args.cases
        for case in ([tuple(text.split(":", 1))] if ":" in text else [(text, "default"), (text, "tutorial")])
    ] or CASES
    print("\n".join(HEADER))
    ok = True
    for setup, preset in cases:
        if setup == "mnist" and mnist_dir() is None:
            print(f"| mnist | {preset} | - | - | - | - | - | skipped: no MNIST copy |")
            continue
        result = check(setup, preset, args.rounds, args.seed, mnist_dir())
        ok &= result.close
        print(result.row(), flush=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
