"""The figure for data with two real numbers per example (the 2-D Gaussian): real against
generated points, each with its covariance ellipses, as the 2-D notebook scatters them."""

from __future__ import annotations

from pathlib import Path

import torch

from .files import save_figure


def ellipse(points: torch.Tensor, scale: float):
    """The covariance ellipse of ``points`` (n, 2) at ``scale`` standard deviations, as a polygon (x, y)."""
    import numpy as np

    data = points.double().numpy()
    mean, covariance = data.mean(axis=0), np.cov(data, rowvar=False)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    angles = np.linspace(0, 2 * np.pi, 200)
    circle = np.stack([np.cos(angles), np.sin(angles)])  # (2, 200)
    shape = eigenvectors @ np.diag(np.sqrt(np.clip(eigenvalues, 0, None))) @ circle * scale
    return mean[0] + shape[0], mean[1] + shape[1]


def draw_scatter(run_dir: Path, generated: torch.Tensor, real: torch.Tensor) -> None:
    """``scatter.png``: up to 1,000 points of each, with 1- and 2-standard-deviation ellipses."""
    from matplotlib.figure import Figure

    fake = generated.reshape(len(generated), 2).double()
    fake = fake[torch.isfinite(fake).all(dim=1)]
    true = real.reshape(len(real), 2).double()
    figure = Figure(figsize=(6, 6))
    axes = figure.subplots()
    sets = ((true, "real", "tab:blue", "navy"), (fake, "generated", "tab:orange", "darkred"))
    for points, name, color, _ in sets:
        shown = points[:1000]
        axes.scatter(shown[:, 0], shown[:, 1], s=6, alpha=0.35, color=color, label=f"{name} ({len(shown):,})")
    for points, name, _, line_color in sets:  # on top of both clouds
        if len(points) > 2:
            for scale, style in ((1, "-"), (2, "--")):
                axes.plot(
                    *ellipse(points, scale),
                    style,
                    color=line_color,
                    linewidth=2,
                    zorder=3,
                    label=f"{name}, {scale} sd" if scale == 1 else None,
                )
    axes.set_aspect("equal", adjustable="datalim")
    axes.set_title("Real and generated points with covariance ellipses")
    axes.grid(alpha=0.3)
    axes.legend()
    save_figure(
        run_dir,
        "scatter.png",
        figure,
        f"Real (blue) and generated (orange) points; the ellipses are each set's covariance at 1 "
        f"(solid) and 2 (dashed) standard deviations (navy: real, dark red: generated), from {len(true):,} real and {len(fake):,} "
        "generated points.",
    )
