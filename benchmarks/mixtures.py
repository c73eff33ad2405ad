"""The mode-collapse tables: every preset of the ``ring`` and ``grid`` setups over seeds 0–9,
beside the published figures; prints Markdown.

Each (setup, preset) is one ``ganframe train SETUP --preset P --seeds 0-9 --out OUT/SETUP-P``
command, whose ``summary.json`` the table is read from; ``--jobs`` commands run at a time (one CPU
thread each). A command whose summary already holds every seed is not run again, so an interrupted
benchmark continues where it stopped. Usage:

    .venv/bin/python benchmarks/mixtures.py [--setups ring grid] [--presets default tutorial ...]
        [--seeds 0-9] [--jobs 2] [--out runs/mixtures]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _cli import ganframe, seeds

PRESETS = ["default", "tutorial", "pacgan", "unrolled", "ali"]

# Published figures: mean over 10 trials ± standard error (PacGAN) or mean (VEEGAN), 2,500 samples.
# modes, high quality (%), reverse KL; None where the paper does not report it.
PUBLISHED = {
    "ring": [
        ("GAN", "PacGAN Table 1", "6.3 ± 0.5", "98.2 ± 0.2", "0.45 ± 0.09"),
        ("ALI", "PacGAN Table 1", "6.6 ± 0.3", "97.6 ± 0.4", "0.36 ± 0.04"),
        ("PacGAN2", "PacGAN Table 1", "7.9 ± 0.1", "95.6 ± 2.0", "0.07 ± 0.03"),
        ("PacGAN3", "PacGAN Table 1", "7.8 ± 0.1", "97.7 ± 0.3", "0.10 ± 0.02"),
        ("PacGAN4", "PacGAN Table 1", "7.8 ± 0.1", "95.9 ± 1.4", "0.07 ± 0.02"),
        ("GAN", "VEEGAN Table 1", "1", "99.3", "–"),
        ("ALI", "VEEGAN Table 1", "2.8", "0.13", "–"),
        ("Unrolled GAN", "VEEGAN Table 1", "7.6", "35.6", "–"),
        ("VEEGAN", "VEEGAN Table 1", "8", "52.9", "–"),
    ],
    "grid": [
        ("GAN", "PacGAN Table 1", "17.3 ± 0.8", "94.8 ± 0.7", "0.70 ± 0.07"),
        ("ALI", "PacGAN Table 1", "24.1 ± 0.4", "95.7 ± 0.6", "0.14 ± 0.03"),
        ("PacGAN2", "PacGAN Table 1", "23.8 ± 0.7", "91.3 ± 0.8", "0.13 ± 0.04"),
        ("PacGAN3", "PacGAN Table 1", "24.6 ± 0.4", "94.2 ± 0.4", "0.06 ± 0.02"),
        ("PacGAN4", "PacGAN Table 1", "24.8 ± 0.2", "93.6 ± 0.6", "0.04 ± 0.01"),
        ("GAN", "VEEGAN Table 1", "3.3", "0.5", "–"),
        ("ALI", "VEEGAN Table 1", "15.8", "1.6", "–"),
        ("Unrolled GAN", "VEEGAN Table 1", "23.6", "16", "–"),
        ("VEEGAN", "VEEGAN Table 1", "24.6", "40", "–"),
    ],
}


def summary_path(out: Path, setup: str, preset: str) -> Path:
    return out / f"{setup}-{preset}" / "summary.json"


def complete(path: Path, wanted: list[int]) -> bool:
    """Whether ``path`` is a summary holding every wanted seed, each run to the end."""
    try:
        summary = json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return sorted(summary.get("seeds", [])) == wanted and all(run.get("completed") for run in summary.get("runs", []))


def run(setup: str, preset: str, seeds_text: str, out: Path) -> None:
    path = summary_path(out, setup, preset)
    if complete(path, seeds(seeds_text)):
        return
    target = path.parent
    if target.exists():  # an interrupted earlier attempt: start that command again, cleanly
        shutil.rmtree(target)
    seconds, _ = ganframe(
        "train", setup, "--preset", preset, "--seeds", seeds_text, "--out", str(target), "--set", "train.threads=1"
    )
    print(f"{setup} {preset}: {seconds:.0f} s", flush=True)


def reports(out: Path, setup: str, preset: str) -> list[dict]:
    """Every finished run of ``setup``/``preset`` under ``out``: the seeds of ``SETUP-PRESET`` and of
    any ``SETUP-PRESET-*`` directory (seeds run by a second command), by seed."""
    found = {}
    for folder in [out / f"{setup}-{preset}", *sorted(out.glob(f"{setup}-{preset}-*"))]:
        for path in folder.glob("seed-*/report.json"):
            report = json.loads(path.read_text())
            if report.get("completed", True) and report.get("metrics"):
                found[int(path.parent.name.removeprefix("seed-"))] = report
    return [found[seed] for seed in sorted(found)]


def mean_se(values: list[float], scale: float = 1.0, digits: int = 1) -> str:
    """``mean ± standard error`` of ``values`` times ``scale``, as the PacGAN paper reports them."""
    values = [scale * v for v in values]
    se = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} ± {se:.{digits}f}"


def table(setup: str, presets: list[str], out: Path) -> list[str]:
    """The Markdown table of one data set: our presets, then the published rows."""
    modes_total = 8 if setup == "ring" else 25
    lines = [
        f"| {setup} | source | modes of {modes_total} (min–max) | every mode | high quality, % (min) "
        "| reverse KL (max) | seconds a run |",
        "|---|---|---|---|---|---|---|",
    ]
    for preset in presets:
        runs = reports(out, setup, preset)
        if not runs:
            continue
        modes = [run["metrics"]["modes"] for run in runs]
        quality = [run["metrics"]["high_quality"] for run in runs]
        kl = [
            run["metrics"]["reverse_kl"] for run in runs if run["metrics"]["reverse_kl"] == run["metrics"]["reverse_kl"]
        ]
        shown_kl = (
            f"{mean_se(kl, digits=3)} ({max(kl):.3f})"
            + ("" if len(kl) == len(runs) else f", {len(runs) - len(kl)} runs without any")
            if kl
            else "–"
        )
        lines.append(
            f"| `{preset}` | ours, seeds {runs[0]['seed']}–{runs[-1]['seed']} | {mean_se(modes)} "
            f"({min(modes):.0f}–{max(modes):.0f}) | {sum(m == modes_total for m in modes)} of {len(runs)} seeds "
            f"| {mean_se(quality, 100)} ({100 * min(quality):.1f}) | {shown_kl} "
            f"| {statistics.mean(run['seconds'] for run in runs):.0f} |"
        )
    for method, source, modes, quality, kl in PUBLISHED[setup]:
        lines.append(f"| {method} | {source} | {modes} | – | {quality} | {kl} | – |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", nargs="*", choices=["ring", "grid"], default=["ring", "grid"])
    parser.add_argument("--presets", nargs="*", choices=PRESETS, default=PRESETS)
    parser.add_argument("--seeds", default="0-9", help="a range, FIRST-LAST")
    parser.add_argument("--jobs", type=int, default=2, help="ganframe commands at a time, one CPU thread each")
    parser.add_argument("--out", type=Path, default=Path("runs/mixtures"))
    parser.add_argument("--table-only", action="store_true", help="print the tables from the summaries there are")
    args = parser.parse_args()
    if not args.table_only:
        with ThreadPoolExecutor(args.jobs) as pool:
            jobs = [
                pool.submit(run, setup, preset, args.seeds, args.out)
                for setup in args.setups
                for preset in args.presets
            ]
            for job in jobs:
                job.result()
    for setup in args.setups:
        print("\n".join(table(setup, args.presets, args.out)) + "\n")


if __name__ == "__main__":
    main()
