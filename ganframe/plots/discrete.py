"""The figure for data with one integer per example (even numbers): how often each value is
produced, over the range the real data spans, with values the real data never takes in red."""

from __future__ import annotations

from pathlib import Path

import torch

from .files import save_figure

MAX_BARS = 512  # wider ranges are drawn as histograms of bins, not one bar per value


def draw_values(run_dir: Path, generated: torch.Tensor, real: torch.Tensor) -> None:
    """``values.png``: the share of generated samples at each value, against the real shares."""
    import numpy as np
    from matplotlib.figure import Figure

    fake = generated.reshape(-1).long().numpy()
    true = real.reshape(-1).long().numpy()
    low, high = int(true.min()), int(true.max())
    outside = float(np.mean((fake < low) | (fake > high))) if fake.size else 0.0
    figure = Figure(figsize=(9, 4))
    axes = figure.subplots()
    if high - low + 1 <= MAX_BARS:
        values = np.arange(low, high + 1)
        fake_share = np.bincount(fake[(fake >= low) & (fake <= high)] - low, minlength=values.size) / max(fake.size, 1)
        true_share = np.bincount(true - low, minlength=values.size) / true.size
        valid = true_share > 0
        axes.bar(values[valid], fake_share[valid], width=0.9, color="tab:blue", label="generated, a real value")
        if fake_share[~valid].any():
            axes.bar(
                values[~valid],
                fake_share[~valid],
                width=0.9,
                color="tab:red",
                label="generated, a value the real data never takes",
            )
        axes.scatter(
            values[valid],
            true_share[valid],
            marker="_",
            s=40,
            color="black",
            zorder=3,
            label=f"real share ({true.size:,} real samples)",
        )
        produced = int(np.count_nonzero(fake_share[valid]))
        summary = f"{produced} of the {int(valid.sum())} real values produced"
    else:
        bins = np.linspace(low, high + 1, 101)
        axes.hist(np.clip(fake, low, high), bins=bins.tolist(), density=True, alpha=0.6, label="generated")
        axes.hist(true, bins=bins.tolist(), density=True, histtype="step", color="black", label=f"real ({true.size:,})")
        summary = "binned: the range is too wide for one bar per value"
    axes.set_xlabel("value")
    axes.set_ylabel("share of samples")
    axes.set_title(f"Values produced ({summary})")
    axes.grid(alpha=0.3, axis="y")
    axes.legend(fontsize="small")
    caption = (
        f"Share of {fake.size:,} generated samples at each value from {low} to {high}, the range of the "
        f"real data; red bars are values the real data never takes, black dashes the real shares."
    )
    if outside:
        caption += f" {outside:.1%} of the samples fall outside that range and are not shown."
    save_figure(run_dir, "values.png", figure, caption)
