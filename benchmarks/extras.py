"""What each network extra costs: milliseconds per training round with and without it, at batch 256;
prints Markdown.

Every extra the plugin registry knows (``ganframe list network-extras``) is timed, so a new one is
picked up; ``OPTIONS`` gives those that need them sensible options (``pack``: m = 2). An extra goes
into ``discriminator.extras``, or into ``generator.extras`` when the discriminator refuses it
(``ema``).

Models, at batch 256 (``--batch``): ``ring`` — the ``ring`` setup's default preset (G and D two
tanh layers of 128) without its G and D extras; ``mnist`` — the ``mnist`` setup's default networks
(``mnist-mlp``) without D's ``minibatch-std`` extra, on the real MNIST (``GANFRAME_MNIST_DIR``, else
``../shared/data/mnist``; the rows are skipped, with a message, when it is absent).

Each measurement builds the experiment afresh (same seed) and trains it with ``fit()`` and no run
directory, without metrics; the time of a round is the time from the end of one round's
``on_step_end`` hooks to the end of the next one's (the round, the learning-rate schedules and
every ``on_step_end``, which is where ``ema`` updates its average). Time is the CPU time of this
thread — PyTorch runs on one thread here, forward and backward — so that other work on a shared
machine does not count; ``--wall`` takes wall-clock time instead. The first rounds warm up and are
not counted; a measurement is the median of the rest. Without and with the extra alternate (A B,
B A, A B, ...) ``--repeats`` times in this one process; the ratio is the median of the per-repeat
ratios with / without, and the milliseconds are those of the repeat that gave it. Usage:

    .venv/bin/python benchmarks/extras.py [--quick] [--models ring mnist] [--only NAME ...]
        [--batch 256] [--repeats 5] [--rounds 30] [--warmup 5] [--wall]
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import time
from typing import Any

import torch
from _cli import cpu_model, mnist_dir

import ganframe
from ganframe import ConfigError, Experiment
from ganframe.plugins import load_plugins

BATCH = 256
GOAL = 1.5
# Options for the extras that need them to be timed as they are used; others take their defaults.
OPTIONS: dict[str, dict[str, Any]] = {
    "pack": {"m": 2},
    "minibatch-discrimination": {"kernels": 50, "kernel_dims": 5},
}


def models(batch: int) -> dict[str, dict[str, Any]]:
    """name → (setup, overrides of its default preset) of the baseline."""
    plain = {
        "generator.extras": [],
        "discriminator.extras": [],
        "evaluation.metrics": [],
        "train.batch_size": batch,
        "device": "cpu",
    }
    folder = mnist_dir()
    return {
        "ring": {
            "setup": "ring",
            "overrides": plain,
            "rounds": 1.0,
        },
        "mnist": {
            "setup": "mnist",
            "rounds": 0.5,
            "data_dir": folder,
            "overrides": {**plain, "data.data_dir": str(folder)},
        },
    }


class RoundClock:
    """The time at the end of every round's ``on_step_end`` hooks (a wrapper runs around all of them)."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self.stamps: list[float] = []

    @ganframe.hookimpl(wrapper=True)
    def on_step_end(self, step):
        result = yield
        self.stamps.append(self.clock())
        return result


def build(setup: str, overrides: dict[str, Any], plugins, callbacks=()) -> Experiment:
    return Experiment.from_setup(setup, overrides=overrides, plugins=plugins, callbacks=callbacks)


def seconds_per_round(setup: str, overrides: dict[str, Any], plugins, warmup: int, rounds: int, clock) -> float:
    """The median time of a round after ``warmup`` rounds, in a freshly built experiment."""
    clock = RoundClock(clock)
    experiment = build(setup, {**overrides, "train.steps": warmup + rounds}, plugins, [clock])
    experiment.fit()
    times = [later - earlier for earlier, later in zip(clock.stamps, clock.stamps[1:])]
    return statistics.median(times[warmup - 1 :])


def variants(model: dict[str, Any], plugins, only: list[str] | None) -> list[tuple[str, str, dict[str, Any] | str]]:
    """(name, options, overrides that add it, or why it cannot be timed) for every extra."""
    found = []
    for entry in plugins.registry.entries("network-extras"):
        options = OPTIONS.get(entry.name, {})
        extra = {"name": entry.name, **options} if options else entry.name
        shown = ", ".join(f"{key}={value}" for key, value in options.items())
        error = ""
        for role in ("discriminator", "generator"):
            overrides = {**model["overrides"], f"{role}.extras": [extra]}
            try:
                build(model["setup"], {**overrides, "train.steps": 1}, plugins)
            except ConfigError as exc:
                error = str(exc)
                continue
            found.append((entry.name, f"{role[0].upper()}; {shown}" if shown else role[0].upper(), overrides))
            break
        else:
            found.append((entry.name, shown, error))
    return [row for row in found if not only or row[0] in only]


def machine() -> str:
    return (
        f"{cpu_model()}, {os.cpu_count()} cores (1 thread used), torch {torch.__version__}, "
        f"{datetime.datetime.now().astimezone().isoformat(timespec='minutes')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", choices=["ring", "mnist"], default=["ring", "mnist"])
    parser.add_argument("--only", nargs="*", help="time only these extras")
    parser.add_argument("--batch", type=int, default=BATCH, help="examples per batch")
    parser.add_argument("--repeats", type=int, default=5, help="pairs of measurements, without and with")
    parser.add_argument("--rounds", type=int, default=30, help="rounds timed per measurement (MNIST: half)")
    parser.add_argument("--warmup", type=int, default=5, help="rounds run before timing starts")
    parser.add_argument("--wall", action="store_true", help="wall-clock time instead of this thread's CPU time")
    parser.add_argument("--quick", action="store_true", help="3 repeats of 10 rounds after 3 warm-up rounds")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.rounds, args.warmup = 3, 10, 3
    torch.set_num_threads(1)
    plugins = load_plugins()
    clock = time.perf_counter if args.wall else time.thread_time

    print(
        f"Machine: {machine()}. Batch {args.batch}, {args.repeats} repeats of {args.rounds} rounds "
        f"(MNIST: {max(args.rounds // 2, 2)}) after {args.warmup} warm-up rounds, "
        f"{'wall-clock' if args.wall else 'CPU'} time.\n",
        flush=True,
    )
    rows, notes = [], []
    for model_name in args.models:
        model = models(args.batch)[model_name]
        if "data_dir" in model and not model["data_dir"].is_dir():
            notes.append(f"{model_name}: skipped, no MNIST copy at {model['data_dir']} (set GANFRAME_MNIST_DIR)")
            continue
        rounds = max(int(args.rounds * model["rounds"]), 2)
        for name, shown, overrides in variants(model, plugins, args.only):
            if isinstance(overrides, str):
                notes.append(f"{model_name}: {name} not timed: {overrides}")
                continue
            without, with_, ratios = [], [], []
            for repeat in range(args.repeats):
                pair = [model["overrides"], overrides] if repeat % 2 == 0 else [overrides, model["overrides"]]
                times = [seconds_per_round(model["setup"], o, plugins, args.warmup, rounds, clock) for o in pair]
                a, b = times if repeat % 2 == 0 else times[::-1]
                without.append(a)
                with_.append(b)
                ratios.append(b / a)
            ratio = statistics.median_low(ratios)
            chosen = ratios.index(ratio)  # the repeat that gave the median ratio: its milliseconds
            row = (
                f"| {model_name} | {name} | {shown} | {1e3 * without[chosen]:.2f} | "
                f"{1e3 * with_[chosen]:.2f} | {ratio:.2f}× | {'yes' if ratio <= GOAL else 'no'} |"
            )
            rows.append(row)
            print(f"{model_name} {name}: {ratio:.2f}× (repeats {', '.join(f'{r:.2f}' for r in ratios)})", flush=True)

    print()
    print(f"| model | extra | options | ms/round without | ms/round with | ratio | goal ≤ {GOAL}× |")
    print("|---|---|---|--:|--:|--:|---|")
    print("\n".join(rows))
    for note in notes:
        print(f"\n{note}")


if __name__ == "__main__":
    main()
