"""Measure the `gaussian` setup the way the acceptance bar says, and print a Markdown table.

For each seed: `ganframe train gaussian --preset P --seed S --out R` (wall time of the whole
command), then `ganframe sample R -n 10000 -o s.npy`, then the 1-Wasserstein distance of those
samples to N(4, 1.25). Usage:

    .venv/bin/python benchmarks/gaussian_bar.py [--preset default] [--seeds 0-4] [--twice]

``--twice`` trains each seed a second time and checks that the samples are identical bit for bit.
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from pathlib import Path

import numpy as np
import scipy.stats
from _cli import ganframe, seeds

TARGET = scipy.stats.norm(4.0, 1.25)


def train_and_sample(preset: str, seed: int, workdir: Path, tag: str) -> tuple[float, np.ndarray, str]:
    run, out = workdir / f"{preset}-{seed}-{tag}", workdir / f"{preset}-{seed}-{tag}.npy"
    seconds, _ = ganframe(
        "train", "gaussian", "--preset", preset, "--seed", str(seed), "--out", str(run), "--quiet", "--device", "cpu"
    )
    ganframe("sample", str(run), "-n", "10000", "-o", str(out))
    return seconds, np.load(out), hashlib.sha256(out.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--seeds", type=seeds, default=seeds("0-4"))
    parser.add_argument("--twice", action="store_true")
    args = parser.parse_args()
    quantiles = TARGET.ppf((np.arange(100_000) + 0.5) / 100_000)
    print(f"| seed | W1 | mean | std | train wall s |{' identical twice |' if args.twice else ''}")
    print(f"|---|---|---|---|---|{'---|' if args.twice else ''}")
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            seconds, samples, digest = train_and_sample(args.preset, seed, Path(tmp), "a")
            w1 = scipy.stats.wasserstein_distance(samples.ravel(), quantiles)
            row = f"| {seed} | {w1:.4f} | {samples.mean():.3f} | {samples.std():.3f} | {seconds:.1f} |"
            if args.twice:
                _, _, again = train_and_sample(args.preset, seed, Path(tmp), "b")
                row += f" {'yes' if again == digest else 'NO'} |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
