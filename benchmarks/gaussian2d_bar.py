"""Measure the `gaussian2d` setup the way the acceptance bar says, and print a Markdown table.

For each seed: `ganframe train gaussian2d --preset P --seed S --out R` (wall time of the whole
command), `ganframe evaluate R --json` (the preset's `evaluation.samples` generated samples) and
`ganframe sample R -n 10000 -o s.npy`. The table gives the relative errors of the learned mean
and covariance against b and AᵀA, the same for the sample estimator on the training points (the
baseline), the gaps between the generated and the training points' moments, the errors recomputed
from the 10,000 samples file, and D's accuracy per epoch when the run logged it. Usage:

    .venv/bin/python benchmarks/gaussian2d_bar.py [--preset default] [--seeds 0-4] [--set data.size=100000] [--twice]

``--twice`` trains each seed a second time and checks that the samples are identical bit for bit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from _cli import ganframe, seeds, set_options

from ganframe.config import read_toml

MEAN_BAR, COV_BAR = 0.02, 0.05


def relative(estimate: np.ndarray, truth: np.ndarray) -> float:
    return float(np.linalg.norm(estimate - truth) / np.linalg.norm(truth))


def file_errors(run: Path, samples: np.ndarray) -> tuple[float, float]:
    """Errors of the samples' mean and covariance against the truth in the run's config."""
    data = read_toml(run / "config.toml")["data"]
    A, b = np.array(data["A"]), np.array(data["b"])
    return relative(samples.mean(axis=0), b), relative(np.cov(samples, rowvar=False), A.T @ A)


def measure(preset: str, seed: int, sets: list[str], workdir: Path, tag: str) -> dict:
    run, out = workdir / f"{preset}-{seed}-{tag}", workdir / f"{preset}-{seed}-{tag}.npy"
    seconds, _ = ganframe(
        "train",
        "gaussian2d",
        "--preset",
        preset,
        "--seed",
        str(seed),
        "--out",
        str(run),
        "--quiet",
        "--device",
        "cpu",
        *set_options(sets),
    )
    _, printed = ganframe("evaluate", str(run), "--json")
    ganframe("sample", str(run), "-n", "10000", "-o", str(out))
    samples = np.load(out)
    report = json.loads((run / "report.json").read_text())
    return {
        "seconds": seconds,
        "metrics": json.loads(printed),
        "file": file_errors(run, samples),
        "digest": hashlib.sha256(out.read_bytes()).hexdigest(),
        "accuracy": [row["d_accuracy"] for row in report.get("epochs", []) if "d_accuracy" in row],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--seeds", type=seeds, default=seeds("0-4"))
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a config override for every run (e.g. data.size=100000)",
    )
    parser.add_argument("--twice", action="store_true")
    args = parser.parse_args()
    print(f"preset {args.preset} {' '.join(args.sets)}; load average before: {os.getloadavg()}")
    head = (
        "| seed | mean err | cov err | bar met | estimator mean err | estimator cov err | mean gap "
        "| cov gap | from 10k samples: mean err, cov err | train wall s |"
    )
    if args.twice:
        head += " identical twice |"
    if args.preset == "tutorial":
        head += " D accuracy per epoch |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            r = measure(args.preset, seed, args.sets, Path(tmp), "a")
            m = r["metrics"]
            met = "yes" if m["mean_error"] <= MEAN_BAR and m["cov_error"] <= COV_BAR else "no"
            row = (
                f"| {seed} | {m['mean_error']:.2%} | {m['cov_error']:.2%} | {met} | {m['estimator_mean_error']:.2%} "
                f"| {m['estimator_cov_error']:.2%} | {m['mean_gap']:.2%} | {m['cov_gap']:.2%} "
                f"| {r['file'][0]:.2%}, {r['file'][1]:.2%} | {r['seconds']:.1f} |"
            )
            if args.twice:
                again = measure(args.preset, seed, args.sets, Path(tmp), "b")
                row += f" {'yes' if again['digest'] == r['digest'] else 'NO'} |"
            if args.preset == "tutorial":
                row += " " + " ".join(f"{a:.4f}" for a in r["accuracy"]) + " |"
            print(row, flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
