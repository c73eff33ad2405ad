"""What a sweep shows: a trial as a row, the table, the progress line, the best trial's config
and how it compares with the base-config trial.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .spec import SweepSpec

BEST = "best.toml"


def print_trial(trial) -> None:
    """The progress line of a finished trial."""
    print(f"trial {format_trial(trial_row(trial)).strip()}", flush=True)


def trial_rows(study) -> list[dict[str, Any]]:
    """Every trial but those started after the last one was taken (surplus): params, objective,
    per-seed values, state and seconds."""
    return [trial_row(trial) for trial in study.get_trials(deepcopy=False) if not trial.user_attrs.get("surplus")]


def trial_row(trial) -> dict[str, Any]:
    """One trial as the table shows it: params, objective, per-seed values, state and seconds."""
    return {
        "number": trial.number,
        "state": trial.state.name.lower(),
        "params": dict(trial.params),
        "value": trial.value,
        "ci95": trial.user_attrs.get("ci95"),
        "values": dict(trial.user_attrs.get("values") or {}),
        "seconds": trial.user_attrs.get("seconds"),
        "error": trial.user_attrs.get("error"),
        "baseline": bool(trial.user_attrs.get("baseline")),
    }


def format_trial(row: Mapping[str, Any]) -> str:
    params = ", ".join(f"{k}={_short(v)}" for k, v in row["params"].items())
    if row["value"] is not None:
        ci = row["ci95"]
        half = f" ± {(ci[1] - ci[0]) / 2:.4g}" if ci else ""
        objective = f"{row['value']:.6g}{half}"
    else:
        objective = "-"
    seconds = f"{row['seconds']:.1f} s" if row["seconds"] is not None else "-"
    seeds = " ".join(f"{k}:{v:.4g}" for k, v in row["values"].items())
    notes = f"  ({row['error']})" if row.get("error") else ""
    notes += "  (base config)" if row.get("baseline") else ""
    return f"{row['number']:>5}  {row['state']:<8}  {objective:>20}  {seconds:>8}  {params}  [{seeds}]{notes}"


def format_table(rows: Sequence[Mapping[str, Any]], objective: str) -> str:
    header = f"{'trial':>5}  {'state':<8}  {objective + ' (95 % CI)':>20}  {'time':>8}  params  [seed:value]"
    return "\n".join([header, *(format_trial(row) for row in rows)])


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def compare_to_baseline(rows: Sequence[Mapping[str, Any]], spec: SweepSpec, best_toml: str | Path = BEST) -> str | None:
    """One sentence: how the best complete trial compares with the base-config trial, on the
    sweep's own seeds (where the best was chosen, so the gain is optimistic); None without a
    complete base-config trial."""
    complete = [row for row in rows if row["state"] == "complete" and row["value"] is not None]
    base = next((row for row in complete if row["baseline"]), None)
    if base is None:
        return None
    sign = 1 if spec.direction == "minimize" else -1
    best = min(complete, key=lambda row: (sign * row["value"], not row["baseline"]))
    where = f"the base config (trial {base['number']}: {spec.objective} = {base['value']:.6g})"
    if best is base:
        return f"no trial beat {where}"
    change = abs(best["value"] - base["value"]) / abs(base["value"]) * 100 if base["value"] else math.inf
    fresh = max(spec.seeds) + 1
    return (
        f"the best trial is {change:.1f} % {'lower' if sign == 1 else 'higher'} than {where} on the sweep's "
        f"seeds, where it was chosen; check it on others: ganframe train --config {best_toml} --seeds "
        f"{fresh}-{fresh + 4}"
    )


def best_config(spec: SweepSpec, study, plugins: Any) -> tuple[Any, str]:
    """The best trial and its full config as TOML (seed: the sweep's first), ready for ``--config``;
    ``(None, "")`` while the study has no complete trial."""
    try:
        best = study.best_trial
    except ValueError:
        return None, ""
    return best, spec.config(best.params, spec.seeds[0], plugins.registry).to_toml()
