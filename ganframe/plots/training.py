"""Figures every run gets, drawn from ``metrics.jsonl``: the losses over training, any other logged
value (per epoch where there are epoch logs), and each metric over training."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from ..rundir import read_number
from .files import metrics_rows, save_figure

MAX_PANELS = 9


def _logged_series(run_dir: Path) -> dict[str, tuple[list[int], list[float]]]:
    """name → (steps, values) of every logged value (the rows that are neither metrics nor epochs)."""
    series: dict[str, tuple[list[int], list[float]]] = {}
    for row in metrics_rows(run_dir):
        if "metrics" in row or "logs" in row:
            continue
        for key, value in row.items():
            if key != "step":
                steps, values = series.setdefault(key, ([], []))
                steps.append(row["step"])
                values.append(read_number(value))
    return series


def is_loss(name: str) -> bool:
    return "loss" in name


def draw_losses(run_dir: Path) -> bool:
    """``losses.png``: every logged loss (a name with "loss" in it) against the step. False: none logged."""
    from matplotlib.figure import Figure

    series = {key: value for key, value in _logged_series(run_dir).items() if is_loss(key)}
    if not series:
        return False
    figure = Figure(figsize=(7, 4))
    axes = figure.subplots()
    for key, (steps, values) in series.items():
        axes.plot(steps, values, label=key, marker="o" if len(steps) < 20 else None, linewidth=1.2)
    axes.set_xlabel("step")
    axes.set_ylabel("mean over the logging interval")
    axes.set_title("Losses over training")
    axes.grid(alpha=0.3)
    axes.legend()
    save_figure(
        run_dir,
        "losses.png",
        figure,
        "The losses the strategy logged, over training (each point the mean over train.log_every rounds).",
    )
    return True


def draw_logged(run_dir: Path, rounds_per_epoch: int | None = None) -> bool:
    """``logged.png``: every other logged value (a discriminator's accuracy, say), one panel each:
    per epoch with ``train.epoch_logs``, else per logging interval, placed in epochs when the data
    has them. False: nothing but losses was logged."""
    per_interval = {key: value for key, value in _logged_series(run_dir).items() if not is_loss(key)}
    if not per_interval:
        return False
    epochs: dict[str, tuple[list[float], list[float]]] = {}
    points: Mapping[str, tuple[Sequence[float], Sequence[float]]]
    for row in metrics_rows(run_dir):
        if "epoch" in row and isinstance(row.get("logs"), dict):
            for key, value in row["logs"].items():
                if key in per_interval:
                    xs, ys = epochs.setdefault(key, ([], []))
                    xs.append(row["epoch"])
                    ys.append(read_number(value))
    if epochs:
        x_label, points, each = "epoch", epochs, "per epoch (train.epoch_logs)"
    elif rounds_per_epoch:
        x_label, each = "epoch", "over each logging interval (train.log_every rounds), placed in epochs"
        points = {key: ([s / rounds_per_epoch for s in steps], values) for key, (steps, values) in per_interval.items()}
    else:
        x_label, points, each = "step", per_interval, "over each logging interval (train.log_every rounds)"
    return _panels(run_dir, "logged.png", points, x_label, f"Values the strategy logged besides losses, {each}.")


def draw_metrics(run_dir: Path) -> bool:
    """``metrics.png``: each metric over training, one panel each, when there were at least two
    evaluations (``train.eval_every``). Values that never change (sample sizes) are left out."""
    evaluations = [
        (row["step"], row["metrics"]) for row in metrics_rows(run_dir) if isinstance(row.get("metrics"), dict)
    ]
    if len({step for step, _ in evaluations}) < 2:
        return False
    names: list[str] = []
    for _, values in evaluations:
        names += [name for name in values if name not in names]
    varying = [name for name in names if len({read_number(values.get(name)) for _, values in evaluations}) > 1]
    points = {
        name: (
            [step for step, values in evaluations if name in values],
            [read_number(values[name]) for _, values in evaluations if name in values],
        )
        for name in varying
    }
    return _panels(
        run_dir,
        "metrics.png",
        points,
        "step",
        "Each metric at every evaluation (train.eval_every), from the same evaluation samples each time.",
    )


def _panels(
    run_dir: Path, name: str, points: Mapping[str, tuple[Sequence[float], Sequence[float]]], x_label: str, caption: str
) -> bool:
    """One small panel per series, up to ``MAX_PANELS``; False when there is nothing to draw."""
    from matplotlib.figure import Figure

    shown = list(points)[:MAX_PANELS]
    if not shown:
        return False
    columns = min(3, len(shown))
    rows = -(-len(shown) // columns)
    figure = Figure(figsize=(3.6 * columns, 2.8 * rows), layout="constrained")
    panels = figure.subplots(rows, columns, squeeze=False).reshape(-1)
    for axes, key in zip(panels, shown):
        xs, ys = points[key]
        axes.plot(xs, ys, marker="o" if len(xs) < 30 else None)
        axes.set_title(key)
        axes.set_xlabel(x_label)
        axes.grid(alpha=0.3)
    for axes in panels[len(shown) :]:
        axes.set_visible(False)
    left_out = f" ({len(points) - len(shown)} more not shown)" if len(points) > len(shown) else ""
    save_figure(run_dir, name, figure, caption + left_out)
    return True
