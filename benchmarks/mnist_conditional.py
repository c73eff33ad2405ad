"""Measure the conditional `mnist` preset: how often the metric's classifier sees the requested digit.

For each seed: `ganframe train mnist --preset conditional --seed S --out R --quiet --steps N`, then
for each digit K, 1,000 samples with `Experiment.load(R).sample(1000, labels=K)` (what
`ganframe sample R -n 1000 --label K` writes) classified by the LeNet of the `mnist-fd` metric, and
a 10x10 grid with one row per digit. Usage:

    GANFRAME_MNIST_DIR=../shared/data/mnist .venv/bin/python benchmarks/mnist_conditional.py \\
        [--seeds 0] [--epochs 20] [--keep DIR] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import ganframe_mnist
import torch
from _cli import ganframe, seeds, set_options
from ganframe_mnist.metrics import classifier_for
from torchvision.utils import save_image

from ganframe import Experiment

PER_DIGIT = 1_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=seeds, default=seeds("0"))
    parser.add_argument("--epochs", type=float, default=20, help="training length in passes over the 60,000 images")
    parser.add_argument("--keep", type=Path, help="keep run directories and grids here")
    parser.add_argument("--set", action="append", default=[], help="extra config override (repeatable)")
    args = parser.parse_args()
    batch = ganframe_mnist.CONDITIONAL["train"]["batch_size"]
    steps = round(args.epochs * ganframe_mnist.rounds_per_epoch(batch))
    print(f"preset conditional, {steps} rounds ({args.epochs:g} epochs), {PER_DIGIT} samples per digit")
    print("| seed | " + " | ".join(f"digit {k}" for k in range(10)) + " | worst | FD | s / epoch |")
    print("|---|" + "---|" * 13)
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        for seed in args.seeds:
            run = where / f"mnist-conditional-s{seed}"
            ganframe(
                "train",
                "mnist",
                "--preset",
                "conditional",
                "--seed",
                str(seed),
                "--out",
                str(run),
                "--quiet",
                "--device",
                "cpu",
                "--steps",
                str(steps),
                *set_options(args.set),
            )
            report = json.loads((run / "report.json").read_text())
            experiment = Experiment.load(run, device="cpu")
            classifier = classifier_for(experiment.data)
            accuracy, rows = [], []
            for digit in range(10):
                samples = experiment.sample(PER_DIGIT, labels=digit)
                _, predicted = classifier.features_and_classes(samples)
                accuracy.append((predicted == digit).double().mean().item())
                rows.append(samples[:10])
            save_image(torch.cat(rows), where / f"{run.name}.png", nrow=10, padding=1)
            per_epoch = report["seconds"] / (report["steps"] / ganframe_mnist.rounds_per_epoch(batch))
            print(
                f"| {seed} | "
                + " | ".join(f"{a:.1%}" for a in accuracy)
                + f" | {min(accuracy):.1%} | {report['metrics']['fd']:.1f} | {per_epoch:.1f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
