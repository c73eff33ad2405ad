"""``modes.png``: where the generator's samples fall among the mixture's modes.

Each mode is drawn as its mean and the circle of 3 std around it (the high-quality region of the
``mixture-modes`` metric); 2,500 generated samples on top, high-quality ones in one colour and the
rest in another, and a title with the run's scores. Modes the generator missed stand out as empty
circles, and samples strung between modes as the other colour.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch

from ganframe.components import MetricContext
from ganframe.plots import save_figure

from .metrics import QUALITY_STDS, mixture_modes, nearest_modes

SHOWN = 2_500  # the papers' sample count


def draw_modes(run_dir: Path, data, generated: torch.Tensor) -> None:
    from matplotlib.figure import Figure

    means, std = data.means, data.std  # (K, 2) float64
    points = generated[:SHOWN].reshape(-1, 2).double()  # (n, 2)
    scores = mixture_modes(points, MetricContext(data=data, generator=torch.Generator(), device=torch.device("cpu")))
    _, good = nearest_modes(points, means, std)  # (n,)
    finite = torch.isfinite(points).all(dim=1)  # (n,): what can be drawn
    points, good = points[finite], good[finite]

    figure = Figure(figsize=(6, 6))
    axes = figure.subplots()
    angles = torch.linspace(0, 2 * math.pi, 100, dtype=torch.float64)
    for mean in means:
        axes.plot(
            mean[0] + QUALITY_STDS * std * torch.cos(angles),
            mean[1] + QUALITY_STDS * std * torch.sin(angles),
            color="black",
            linewidth=0.8,
            zorder=3,
        )
    axes.scatter(means[:, 0], means[:, 1], marker="+", s=40, color="black", zorder=3, label="mode means")
    axes.scatter(
        points[~good, 0], points[~good, 1], s=4, alpha=0.5, color="tab:red", label=f"other ({int((~good).sum()):,})"
    )
    axes.scatter(
        points[good, 0], points[good, 1], s=4, alpha=0.5, color="tab:green", label=f"high quality ({int(good.sum()):,})"
    )
    axes.set_aspect("equal", adjustable="datalim")
    axes.grid(alpha=0.3)
    axes.legend(loc="upper right", fontsize="small")
    # The scores of the samples drawn here (the run's report scores samples of its own).
    axes.set_title(
        f"These {len(points):,} samples: {scores['modes']:.0f} of {scores['modes_total']:.0f} modes, "
        f"high quality {scores['high_quality']:.3f}, reverse KL {scores['reverse_kl']:.3f}",
        fontsize="medium",
    )
    save_figure(
        run_dir,
        "modes.png",
        figure,
        f"{len(points):,} generated samples among the {len(means)} modes (circles: 3 std around each "
        "mean, the high-quality region): green samples are high quality, red ones are not.",
    )
