"""Measure the `mnist` setup the way the acceptance bar says, and print a Markdown table.

For each seed: `ganframe train mnist --preset P --seed S --out R --quiet` (wall time of the whole
command; the report's training seconds give seconds per epoch) for `--epochs` passes over the
data, or with `--minutes M` for the preset's whole schedule but stopped by SIGTERM after M minutes,
as `timeout` would stop it (the run ends after the round, with its checkpoint and report); then
`ganframe sample R -n 10000 -o s.npy`, `ganframe sample R -n 100 -o s.png` (a 10x10 grid to look
at) and `ganframe evaluate R --json`. The data comes from `GANFRAME_MNIST_DIR` or the cache
(see ganframe_mnist.data). Usage:

    GANFRAME_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/mnist_bar.py \
        [--preset default] [--seeds 0-2] [--epochs 5 | --minutes 5] [--keep DIR] [--set KEY=VALUE ...]

The table gives the digits' shares too: the rarest and the commonest digit among the samples (all
ten equally common: 10 % each; MNIST's test set: 8.9 % and 11.4 %).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import ganframe_mnist
import numpy as np
from _cli import ganframe, seeds, set_options


def batch_size(preset: str, overrides: list[str]) -> int:
    """The batch size a run of ``preset`` with these ``--set`` overrides trains with."""
    size = ganframe_mnist.PRESETS[preset]["train"]["batch_size"]
    for override in overrides:
        key, _, value = override.partition("=")
        if key.strip() == "train.batch_size":
            size = int(value)
    return size


def train_for(minutes: float, args: list[str]) -> float:
    """``ganframe ARGS``, stopped with SIGTERM after ``minutes`` unless it ends first; its wall seconds.
    (SIGTERM rather than Ctrl-C's SIGINT, which a shell's background job ignores.)"""
    started = time.perf_counter()
    command = subprocess.Popen([sys.executable, "-m", "ganframe", *args], stdout=subprocess.DEVNULL)
    try:
        command.wait(timeout=minutes * 60)
    except subprocess.TimeoutExpired:
        command.send_signal(signal.SIGTERM)  # stops after the round, with a checkpoint and the report
        command.wait()
    if command.returncode not in (0, 128 + signal.SIGTERM):
        raise SystemExit(f"ganframe {' '.join(args)} failed with exit status {command.returncode}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--seeds", type=seeds, default=seeds("0-2"))
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=float, default=5, help="training length in passes over the 60,000 images")
    length.add_argument(
        "--minutes", type=float, help="train the preset's whole schedule, stopped with SIGTERM after this long"
    )
    parser.add_argument("--keep", type=Path, help="keep run directories and sample grids here")
    parser.add_argument("--set", action="append", default=[], help="extra config override (repeatable)")
    args = parser.parse_args()
    rounds_per_epoch = ganframe_mnist.rounds_per_epoch(batch_size(args.preset, args.set))
    if args.minutes is None:
        steps = round(args.epochs * rounds_per_epoch)
        print(f"preset {args.preset}, {steps} rounds ({args.epochs:g} epochs)")
        length = ["--steps", str(steps)]
    else:
        print(f"preset {args.preset}, its whole schedule stopped after {args.minutes:g} minutes")
        length = []
    print(
        "| seed | FD | digit entropy (bits) | digits seen | rarest / commonest digit | epochs | s / epoch "
        "| train wall s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        for seed in args.seeds:
            run = where / f"mnist-{args.preset}-s{seed}"
            train = [
                "train",
                "mnist",
                "--preset",
                args.preset,
                "--seed",
                str(seed),
                "--out",
                str(run),
                "--quiet",
                "--device",
                "cpu",
                *length,
                *set_options(args.set),
            ]
            wall = ganframe(*train)[0] if args.minutes is None else train_for(args.minutes, train)
            report = json.loads((run / "report.json").read_text())
            ganframe("sample", str(run), "-n", "10000", "-o", str(where / f"{run.name}.npy"))
            ganframe("sample", str(run), "-n", "100", "-o", str(where / f"{run.name}.png"))
            samples = np.load(where / f"{run.name}.npy")
            assert samples.shape == (10_000, 1, 28, 28) and 0 <= samples.min() <= samples.max() <= 1
            _, output = ganframe("evaluate", str(run), "--json")
            m = json.loads(output)
            epochs = report["steps"] / rounds_per_epoch
            print(
                f"| {seed} | {m['fd']:.1f} | {m['digit_entropy']:.3f} | {m['digits_seen']:.0f} | "
                f"{m['digit_share_min']:.1%} / {m['digit_share_max']:.1%} | {epochs:.1f} | "
                f"{report['seconds'] / epochs:.1f} | {wall:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
