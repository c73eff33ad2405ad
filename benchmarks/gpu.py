"""Training rounds per second on a GPU: eager, compiled (train.compile), captured in a CUDA graph
(train.cuda_graph), bf16 (train.precision), and bf16 with a graph, for the default presets of the
`gaussian`, `ring` and `mnist` setups. Prints a Markdown table with the GPU's name and the date.

Each setup's variants are built once and trained in turns (interleaved, the order rotated every
turn) so that clock changes and other load spread over all of them; each turn trains `--rounds`
rounds after `--skip` rounds that are not timed (a graph's warm-up and capture, compilation), and
the table shows the median over `--repeats` turns, after one untimed turn. MNIST is read from
`GANFRAME_MNIST_DIR`, else `../shared/data/mnist` beside the repository (it is left out without it).
About two minutes on an H200. Usage:

    .venv/bin/python benchmarks/gpu.py [--setups gaussian,ring,mnist] [--rounds 300] [--repeats 3]

Without CUDA it says so in one line and exits 0.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time

import torch
from _cli import SHARED_MNIST, mnist_dir

import ganframe
from ganframe import Experiment

VARIANTS = {
    "eager": {},
    "compiled": {"train.compile": True},
    "graph": {"train.cuda_graph": True},
    "bf16": {"train.precision": "bf16"},
    "bf16 + graph": {"train.precision": "bf16", "train.cuda_graph": True},
}
QUIET = {
    "logging.plots": False,
    "logging.report": False,
    "evaluation.metrics": [],
    "train.eval_every": 0,
    "train.checkpoint_every": 0,
}


class Turn:
    """Times rounds ``first`` (exclusive) to ``last`` of one fit, then stops it."""

    def __init__(self) -> None:
        self.first = self.last = 0
        self.started = self.seconds = 0.0

    @ganframe.hookimpl
    def on_step_end(self, experiment, step):
        if step == self.first:
            torch.cuda.synchronize()
            self.started = time.perf_counter()
        elif step == self.last:
            torch.cuda.synchronize()
            self.seconds = time.perf_counter() - self.started
            experiment.request_stop()


class Warnings(logging.Handler):
    """ganframe's warnings (a graph that fell back, compile left off), kept to print under the table."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def setup_overrides(setup: str) -> dict | None:
    """Options a setup needs here (MNIST's folder); None when it cannot run."""
    if setup != "mnist":
        return {}
    folder = mnist_dir()
    return {"data.data_dir": str(folder), "data.download": False} if folder.is_dir() else None


def one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {(str(exc).strip().splitlines() or [''])[0]}"[:160]


def bench_setup(setup: str, extra: dict, variants: list[str], args, notes: list[str]) -> dict[str, str]:
    total = (args.repeats + 1) * (args.skip + args.rounds) + 1
    built: dict[str, tuple[Experiment, Turn]] = {}
    cells: dict[str, str] = {}
    rates: dict[str, list[float]] = {name: [] for name in variants}
    handler = Warnings()
    logging.getLogger("ganframe").addHandler(handler)
    try:
        for name in variants:
            turn = Turn()
            try:
                built[name] = (
                    Experiment.from_setup(
                        setup,
                        seed=0,
                        steps=total,
                        device="cuda",
                        callbacks=[turn],
                        overrides={**QUIET, **extra, **VARIANTS[name]},
                    ),
                    turn,
                )
            except Exception as exc:  # a variant that cannot be built (bf16 on an old GPU): say so, go on
                cells[name] = "failed"
                notes.append(f"{setup}, {name}: {one_line(exc)}")
        for repeat in range(args.repeats + 1):  # the first turn is not counted
            order = list(built)
            order = order[repeat % len(order) :] + order[: repeat % len(order)] if order else order
            for name in order:
                experiment, turn = built[name]
                turn.first, turn.last = experiment.step + args.skip, experiment.step + args.skip + args.rounds
                handler.messages.clear()
                try:
                    experiment.fit()
                except Exception as exc:
                    notes.append(f"{setup}, {name}: {one_line(exc)}")
                    cells[name] = "failed"
                    del built[name]
                    continue
                for message in handler.messages:
                    note = f"{setup}, {name}: {message}"
                    if note not in notes:
                        notes.append(note)
                if repeat:
                    rates[name].append(args.rounds / turn.seconds)
                print(
                    f"  {setup:8} {name:13} turn {repeat}: {args.rounds / turn.seconds:9.1f} rounds/s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        logging.getLogger("ganframe").removeHandler(handler)
        built.clear()
        torch.cuda.empty_cache()
    eager = statistics.median(rates["eager"]) if rates.get("eager") else None
    for name in variants:
        if name in cells or not rates[name]:
            cells.setdefault(name, "failed")
            continue
        rate = statistics.median(rates[name])
        cells[name] = f"{rate:,.0f}" + (f" ({rate / eager:.2f}×)" if eager and name != "eager" else "")
    return cells


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", default="gaussian,ring,mnist", help="comma-separated setups (default presets)")
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--rounds", type=int, default=300, help="timed rounds per turn")
    parser.add_argument("--skip", type=int, default=10, help="untimed rounds at the start of every turn")
    parser.add_argument("--repeats", type=int, default=3, help="timed turns per variant (median shown)")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("benchmarks/gpu.py: no CUDA device here; nothing to measure")
        return 0
    variants = [name.strip() for name in args.variants.split(",") if name.strip()]
    unknown = [name for name in variants if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variants {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    if "eager" not in variants:
        variants.insert(0, "eager")
    logging.basicConfig(level=logging.ERROR)  # ganframe's info lines off; its warnings go under the table

    rows, notes = [], []
    started = time.perf_counter()
    for setup in [name.strip() for name in args.setups.split(",") if name.strip()]:
        extra = setup_overrides(setup)
        if extra is None:
            notes.append(f"{setup}: left out, no MNIST copy (set GANFRAME_MNIST_DIR or put it in {SHARED_MNIST})")
            continue
        try:
            cells = bench_setup(setup, extra, variants, args, notes)
        except Exception as exc:  # a setup that fails as a whole still leaves the others' rows
            notes.append(f"{setup}: {one_line(exc)}")
            continue
        rows.append(f"| {setup} | " + " | ".join(cells[name] for name in variants) + " |")

    device = torch.cuda.get_device_name()
    print(
        f"Training rounds per second, default presets; {device}, PyTorch {torch.__version__}, "
        f"{time.strftime('%Y-%m-%d')}; median of {args.repeats} turns of {args.rounds} rounds, interleaved "
        f"({time.perf_counter() - started:.0f} s in all). In brackets: times eager.\n"
    )
    print("| setup | " + " | ".join(variants) + " |")
    print("|---|" + "---|" * len(variants))
    for row in rows:
        print(row)
    if notes:
        print()
        for note in notes:
            print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
