"""Figures for data with one real number per example (the 1-D Gaussian): the generated mean and
standard deviation over training against the target's, and the final histogram against the
target density, as the 1-D article shows them."""

from __future__ import annotations

from pathlib import Path

import torch

from .files import save_figure


def target_moments(data, real: torch.Tensor) -> tuple[float, float, str]:
    """The target's mean and standard deviation: exact when the data source knows its distribution,
    else estimated from ``real`` samples; and which of the two it is."""
    reference = data.reference_distribution
    if reference is not None and hasattr(reference, "mean") and hasattr(reference, "std"):
        return float(reference.mean()), float(reference.std()), "target"
    values = real.double().reshape(-1)
    return float(values.mean()), float(values.std()), f"real data ({len(values):,} samples)"


def draw_moments(run_dir: Path, rows: list[dict], data, real: torch.Tensor) -> bool:
    """``moments.png``: snapshot rows ``{"step", "mean", "std"}`` against the target's."""
    from matplotlib.figure import Figure

    if not rows:
        return False
    mean, std, source = target_moments(data, real)
    steps = [row["step"] for row in rows]
    figure = Figure(figsize=(8, 3.6))
    left, right = figure.subplots(1, 2)
    for axes, key, target, title in ((left, "mean", mean, "Mean"), (right, "std", std, "Standard deviation")):
        axes.plot(steps, [row[key] for row in rows], marker="o" if len(rows) < 30 else None, label="generated")
        axes.axhline(target, color="black", linestyle="--", linewidth=1, label=source)
        axes.set_xlabel("step")
        axes.set_title(title)
        axes.grid(alpha=0.3)
    left.legend()
    n = rows[-1].get("n", "")
    save_figure(
        run_dir,
        "moments.png",
        figure,
        f"Mean and standard deviation of {n} samples from the same fixed noise at each snapshot, "
        f"against those of the {source} (dashed).",
    )
    return True


def draw_histogram(run_dir: Path, generated: torch.Tensor, data, real: torch.Tensor) -> None:
    """``histogram.png``: generated samples against the target density (or the real data's histogram)."""
    import numpy as np
    from matplotlib.figure import Figure

    fake = generated.double().reshape(-1).numpy()
    true = real.double().reshape(-1).numpy()
    finite = fake[np.isfinite(fake)]
    low = min(np.percentile(true, 0.1), np.percentile(finite, 0.5) if finite.size else np.inf)
    high = max(np.percentile(true, 99.9), np.percentile(finite, 99.5) if finite.size else -np.inf)
    bins = np.linspace(low, high, 81)
    figure = Figure(figsize=(7, 4))
    axes = figure.subplots()
    inside = finite[(finite >= low) & (finite <= high)]
    outside = 1 - inside.size / max(fake.size, 1)
    # Heights are densities of all samples: the few beyond the axes are left out, not piled at the edges.
    axes.hist(
        inside,
        bins=bins.tolist(),
        weights=np.full(inside.size, 1 / (max(fake.size, 1) * (bins[1] - bins[0]))),
        alpha=0.6,
        label=f"generated ({fake.size:,})",
    )
    reference = data.reference_distribution
    if reference is not None and hasattr(reference, "pdf"):
        xs = np.linspace(low, high, 400)
        axes.plot(xs, reference.pdf(xs), color="black", linewidth=1.5, label="target density")
        against = "the target density"
    else:
        axes.hist(
            true,
            bins=bins.tolist(),
            density=True,
            histtype="step",
            color="black",
            linewidth=1.5,
            label=f"real ({true.size:,})",
        )
        against = "the real data's histogram"
    axes.set_xlabel("value")
    axes.set_ylabel("density")
    axes.set_title("Generated distribution at the end of training")
    axes.grid(alpha=0.3)
    axes.legend()
    save_figure(
        run_dir,
        "histogram.png",
        figure,
        f"Histogram of {fake.size:,} generated samples (the run's sampling seed, as ganframe sample "
        f"draws them) against {against}; {outside:.2%} of the generated samples fall beyond the axes.",
    )
