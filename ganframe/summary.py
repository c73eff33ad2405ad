"""Several seeds of one experiment, summed up: each metric's mean and 95 % confidence interval.

``ganframe train SETUP --seeds 0-4`` trains one run per seed into ``OUT/seed-N`` and writes
``OUT/summary.json`` (and ``OUT/report.html``). The interval is Student's t interval for the mean
over seeds, mean ± t(0.975, n - 1) · s / √n: it says how well n seeds pin down the mean over
seeds, not how far one run may fall from it.
"""

from __future__ import annotations

import math
import re
import statistics
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .config import MAX_INT
from .errors import ConfigError
from .rundir import read_number, write_json

SUMMARY = "summary.json"
MAX_SEEDS = 1000
_RANGE = re.compile(r"^(\d{1,19})(?:-(\d{1,19}))?$")  # seeds are below 2**63: at most 19 digits


def parse_seeds(text: str) -> list[int]:
    """``"0-4"`` → [0, 1, 2, 3, 4]; also ``"0,3,7"`` and ``"0-2,10"``. Duplicates are errors."""
    seeds: list[int] = []
    for part in str(text).split(","):
        match = _RANGE.match(part.strip())
        if not match:
            raise ConfigError(f"--seeds {str(text)[:80]!r}: expected numbers and ranges like 0-4 or 0,3,7")
        first, last = int(match.group(1)), int(match.group(2) or match.group(1))
        if last < first:
            raise ConfigError(f"--seeds {text!r}: the range {part.strip()} runs backwards")
        if last > MAX_INT:  # a seed is any config's whole number
            raise ConfigError(f"--seeds {text!r}: a seed is at most 2**63 - 1, got {last}")
        if len(seeds) + (last - first + 1) > MAX_SEEDS:  # before expanding the range
            raise ConfigError(f"--seeds {text!r}: more than {MAX_SEEDS} seeds")
        seeds.extend(range(first, last + 1))
    repeated = sorted({seed for seed in seeds if seeds.count(seed) > 1})
    if repeated:
        raise ConfigError(f"--seeds {text!r}: seed {repeated[0]} is given twice")
    return seeds


def mean_interval(values: Sequence[float]) -> dict[str, Any]:
    """Mean, sample standard deviation and 95 % t interval of ``values`` (NaN and infinities left out)."""
    from scipy import stats

    finite = [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]
    n = len(finite)
    result: dict[str, Any] = {"mean": None, "std": None, "ci95": None, "n": n, "left_out": len(values) - n}
    if n == 0:
        return result
    # statistics' exact arithmetic: no OverflowError where values or their squares pass 1.8e308
    mean = statistics.mean(finite)
    result["mean"] = mean
    if n > 1:
        std = statistics.stdev(finite)
        # t.ppf, not t.interval: t.interval gives NaN where every seed agrees (scale 0)
        half = float(stats.t.ppf(0.975, n - 1)) * std / math.sqrt(n)
        result["std"], result["ci95"] = std, [mean - half, mean + half]
    return result


def summarize(
    runs: Sequence[Mapping[str, Any]],
    *,
    setup: str | None = None,
    preset: str | None = None,
    metric_descriptions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The summary of ``runs``, each ``{"seed", "run_dir", "metrics", "seconds", "completed"}``;
    ``metric_descriptions`` (metric → what it computes, as in report.json) is kept alongside."""
    names: list[str] = []
    for run in runs:
        names += [name for name in run.get("metrics", {}) if name not in names]
    metrics = {name: mean_interval([read_number(run.get("metrics", {}).get(name)) for run in runs]) for name in names}
    return {
        "setup": setup,
        "preset": preset,
        "seeds": [run.get("seed") for run in runs],
        "interval": "95 % Student t interval for the mean over seeds",
        "metrics": metrics,
        "metric_descriptions": dict(metric_descriptions or {}),
        "runs": [dict(run) for run in runs],
    }


def format_summary(summary: Mapping[str, Any]) -> str:
    """The summary as a plain-text table for the terminal."""
    lines = [f"{'metric':<28} {'mean':>12}  95 % interval"]
    for name, stats in summary["metrics"].items():
        interval = stats["ci95"]
        shown = f"[{interval[0]:.6g}, {interval[1]:.6g}]" if interval else "-"
        mean = f"{stats['mean']:.6g}" if stats["mean"] is not None else "-"
        lines.append(f"{name:<28} {mean:>12}  {shown}  (n={stats['n']})")
    for name, text in summary.get("metric_descriptions", {}).items():
        lines.append(f"  {name}: {text}")
    return "\n".join(lines)


def write_summary(directory: str | Path, summary: Mapping[str, Any]) -> Path:
    target = Path(directory) / SUMMARY
    write_json(target, dict(summary))
    return target
