"""The unrolled GAN against the plain GAN on the 8-Gaussian ring, over several seeds; prints a Markdown table.

The configuration is ``configs/ring.toml``: the networks and optimisers of the unrolled GAN's
reference notebook (Poole, github.com/poolio/unrolled_gan): noise N(0, I) of 256 dimensions, G and
D with two tanh layers of 128, Adam with beta1 0.5 (D lr 1e-4, G lr 1e-3), batch 512, the minimax
loss; on the benchmark ring of the VEEGAN and PacGAN papers (8 modes on a circle of radius 2, std
0.02, from the ``ganframe-mixtures`` plugin), scored on 2,500 samples with its ``mixture-modes``
metric. Every method trains the same networks from the same seed; only the strategy differs. Usage:

    .venv/bin/python benchmarks/unrolled_ring.py [--steps 10000] [--seeds 0-4] [--jobs 2] [--json out.jsonl]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from _cli import seeds

CONFIG = Path(__file__).resolve().parent / "configs" / "ring.toml"

METHODS = {
    "plain GAN": {"name": "alternating"},
    "unrolled, 5 steps, exact": {"name": "unrolled", "unroll_steps": 5, "method": "exact"},
    "unrolled, 5 steps, first-order": {"name": "unrolled", "unroll_steps": 5, "method": "first-order"},
}


def config(strategy: dict, seed: int, steps: int) -> dict:
    """configs/ring.toml with this strategy, seed and length."""
    from ganframe.config import apply_overrides, read_toml

    return apply_overrides(
        read_toml(CONFIG), {"strategy": strategy, "seed": seed, "train.steps": steps, "device": "cpu"}
    )


def run(method: str, seed: int, steps: int) -> dict:
    from ganframe import Experiment

    experiment = Experiment.from_dict(config(METHODS[method], seed, steps))
    started = time.perf_counter()
    report = experiment.fit()
    return {
        "method": method,
        "seed": seed,
        "steps": steps,
        "seconds": time.perf_counter() - started,
        **{key: report["metrics"][key] for key in ("modes", "high_quality", "reverse_kl")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--seeds", type=seeds, default=seeds("0-4"))
    parser.add_argument("--jobs", type=int, default=2, help="runs at a time, one CPU thread each")
    parser.add_argument("--methods", nargs="*", choices=list(METHODS), default=list(METHODS))
    parser.add_argument("--json", help="also append every run's result to this JSON-lines file")
    args = parser.parse_args()
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(run, method, seed, args.steps) for method in args.methods for seed in args.seeds]
        results = [future.result() for future in futures]
    if args.json:
        with open(args.json, "a") as handle:
            handle.writelines(json.dumps(result) + "\n" for result in results)
    print(f"| method ({args.steps:,} rounds) | modes of 8, per seed | mean | high quality | reverse KL | ms/round |")
    print("|---|---|---|---|---|---|")
    for method in args.methods:
        print(row(method, [r for r in results if r["method"] == method]))


def row(method: str, runs: list[dict]) -> str:
    """One line of the table: modes per seed and the means over seeds."""
    modes = [int(r["modes"]) for r in runs]
    kl = [r["reverse_kl"] for r in runs if r["reverse_kl"] == r["reverse_kl"]]  # NaN: no sample near a mode
    shown_kl = f"{statistics.mean(kl):.3f}" + ("" if len(kl) == len(runs) else f" ({len(kl)} seeds)") if kl else "-"
    quality = statistics.mean(r["high_quality"] for r in runs)
    ms = 1000 * statistics.mean(r["seconds"] / r["steps"] for r in runs)
    return (
        f"| {method} | {' '.join(map(str, modes))} | {statistics.mean(modes):.1f} | {quality:.3f} | "
        f"{shown_kl} | {ms:.1f} |"
    )


if __name__ == "__main__":
    main()
