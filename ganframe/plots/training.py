"""Figures every run gets, drawn from ``metrics.jsonl``: the losses over training and, when
``train.d_accuracy`` is on, the discriminator's accuracy (per epoch where there are epochs)."""

from __future__ import annotations

from pathlib import Path

from ..runs import read_number
from .files import metrics_rows, save_figure

ACCURACY_LABELS = {"d_accuracy": "real and fake", "d_accuracy_real": "real", "d_accuracy_fake": "fake"}
ACCURACY_KEYS = tuple(ACCURACY_LABELS)


def draw_losses(run_dir: Path) -> bool:
    """``losses.png``: every logged value except D's accuracy, against the step. False: nothing logged."""
    from matplotlib.figure import Figure

    series: dict[str, tuple[list[int], list[float]]] = {}
    for row in metrics_rows(run_dir):
        if "metrics" in row or "logs" in row:
            continue
        for key, value in row.items():
            if key != "step" and key not in ACCURACY_KEYS:
                steps, values = series.setdefault(key, ([], []))
                steps.append(row["step"])
                values.append(read_number(value))
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
    save_figure(run_dir, "losses.png", figure, "Generator and discriminator losses over training "
                "(each point the mean over train.log_every rounds).")
    return True


def draw_d_accuracy(run_dir: Path, rounds_per_epoch: int | None = None) -> bool:
    """``d_accuracy.png``: D's accuracy on real, fake and both, per epoch (``train.epoch_logs``), else
    per logging interval, placed in epochs when the data has them (``rounds_per_epoch``)."""
    from matplotlib.figure import Figure

    rows = list(metrics_rows(run_dir))
    per_epoch = [(row["epoch"], row["logs"]) for row in rows
                 if "epoch" in row and isinstance(row.get("logs"), dict) and "d_accuracy" in row["logs"]]
    logged = [row for row in rows if "d_accuracy" in row and "metrics" not in row and "logs" not in row]
    if per_epoch:
        x_label, points, each = "epoch", per_epoch, "per epoch"
    elif rounds_per_epoch:
        x_label, points = "epoch", [(row["step"] / rounds_per_epoch, row) for row in logged]
        each = "over each logging interval (train.log_every rounds)"
    else:
        x_label, points, each = "step", [(row["step"], row) for row in logged], "over each logging interval"
    if not points:
        return False
    figure = Figure(figsize=(7, 4))
    axes = figure.subplots()
    for key, style in zip(ACCURACY_KEYS, ("-", "--", ":")):
        xs = [x for x, values in points if key in values]
        if xs:
            axes.plot(xs, [read_number(values[key]) for _, values in points if key in values], style,
                      label=ACCURACY_LABELS[key],
                      marker="o" if len(xs) < 30 else None)
    axes.axhline(0.5, color="grey", linewidth=0.8, label="chance (0.5)")
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlabel(x_label)
    axes.set_ylabel("discriminator accuracy")
    axes.set_title("Discriminator accuracy over training")
    axes.grid(alpha=0.3)
    axes.legend()
    save_figure(run_dir, "d_accuracy.png", figure,
                f"Share of real and fake examples the discriminator classified correctly, {each}, "
                "judged before each of its updates; 0.5 is a discriminator that cannot tell them apart.")
    return True


MAX_METRIC_PANELS = 9


def draw_metrics(run_dir: Path) -> bool:
    """``metrics.png``: each metric over training, one panel each, when there were at least two
    evaluations (``train.eval_every``). Values that never change (sample sizes) are left out."""
    from matplotlib.figure import Figure

    evaluations = [(row["step"], row["metrics"]) for row in metrics_rows(run_dir) if isinstance(row.get("metrics"), dict)]
    if len({step for step, _ in evaluations}) < 2:
        return False
    names: list[str] = []
    for _, values in evaluations:
        names += [name for name in values if name not in names]
    varying = [name for name in names if len({read_number(values.get(name)) for _, values in evaluations}) > 1]
    shown = varying[:MAX_METRIC_PANELS]
    if not shown:
        return False
    columns = min(3, len(shown))
    rows = -(-len(shown) // columns)
    figure = Figure(figsize=(3.6 * columns, 2.8 * rows), layout="constrained")
    panels = figure.subplots(rows, columns, squeeze=False).reshape(-1)
    for axes, name in zip(panels, shown):
        points = [(step, read_number(values[name])) for step, values in evaluations if name in values]
        axes.plot([p[0] for p in points], [p[1] for p in points], marker="o" if len(points) < 30 else None)
        axes.set_title(name)
        axes.set_xlabel("step")
        axes.grid(alpha=0.3)
    for axes in panels[len(shown):]:
        axes.set_visible(False)
    left_out = f" ({len(varying) - len(shown)} more not shown)" if len(varying) > len(shown) else ""
    save_figure(run_dir, "metrics.png", figure, f"Each metric at every evaluation (train.eval_every), "
                f"from the same evaluation samples each time{left_out}.")
    return True
