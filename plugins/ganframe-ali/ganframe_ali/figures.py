"""``reconstruction.png``: real examples next to their reconstructions G(E(x)), drawn at the end of
an ALI run (through the ``draw_figures`` hook).

An encoder that inverts the generator maps each example to a latent G turns back into something
close to it; a collapsed or unfaithful pair sends examples of one mode to another. For 2-D data the
figure joins each real point to its reconstruction with a thin line (long lines: far-off
reconstructions), with the modes' means when the data source knows them; for images it shows rows
of real images, each followed by the row of their reconstructions.
"""

from __future__ import annotations

from typing import TypeGuard

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from ganframe.plots import data_kind, save_figure

from .inference import real_examples, reconstruct

FIGURE = "reconstruction.png"
POINTS = 200  # real points in the 2-D figure
IMAGE_COLUMNS, IMAGE_PAIRS = 8, 4  # images per row; pairs of rows (real, reconstructed)


def draw_reconstruction(experiment, run_dir, samples) -> None:
    """Draws the figure for 2-D or image data; other data gets none."""
    kind = data_kind(samples.real)
    if kind not in ("2-d", "images"):
        return
    count = POINTS if kind == "2-d" else IMAGE_COLUMNS * IMAGE_PAIRS
    x = real_examples(experiment, count, seed=experiment.config.seed)  # (n, *sample_shape), model space
    rebuilt = reconstruct(experiment, x)  # (n, *sample_shape), model space
    error = float((rebuilt - x).flatten(1).norm(dim=1).mean())  # mean ‖G(E(x)) − x‖ in model space
    real, rebuilt = experiment.data.to_data_space(x), experiment.data.to_data_space(rebuilt)
    if kind == "2-d":
        figure = _points(real, rebuilt, getattr(experiment.data, "means", None))
        caption = (
            f"{len(real)} real points (blue) joined to their reconstructions G(E(x)) (orange)"
            f"{'; ×: the modes’ means' if _is_means(getattr(experiment.data, 'means', None)) else ''}. "
            f"Mean ‖G(E(x)) − x‖ = {error:.3g}."
        )
    else:
        figure = _images(real, rebuilt)
        caption = (
            f"Rows of real images, each followed by their reconstructions G(E(x)). "
            f"Mean ‖G(E(x)) − x‖ = {error:.3g} (model space)."
        )
    save_figure(run_dir, FIGURE, figure, caption)


def _is_means(means: object) -> TypeGuard[torch.Tensor]:
    return isinstance(means, torch.Tensor) and means.dim() == 2 and means.shape[1] == 2


def _points(real: torch.Tensor, rebuilt: torch.Tensor, means: object) -> Figure:
    """Real points ``(n, 2)``, their reconstructions ``(n, 2)`` and a line between each pair."""
    real_np, rebuilt_np = real.double().numpy(), rebuilt.double().numpy()  # (n, 2) each
    figure = Figure(figsize=(6, 6))
    axes = figure.subplots()
    segments = np.stack([real_np, rebuilt_np], axis=1)  # (n, 2 ends, 2 coordinates)
    axes.add_collection(LineCollection(list(segments), colors="grey", linewidths=0.5, alpha=0.6))
    axes.scatter(real_np[:, 0], real_np[:, 1], s=8, color="tab:blue", label="real x")
    axes.scatter(rebuilt_np[:, 0], rebuilt_np[:, 1], s=8, color="tab:orange", label="G(E(x))")
    if _is_means(means):
        centres = means.double().cpu().numpy()  # (modes, 2)
        axes.scatter(centres[:, 0], centres[:, 1], marker="x", s=60, color="black", label="mode means")
    axes.set_aspect("equal", adjustable="datalim")
    axes.legend(loc="upper right", fontsize="small")
    axes.set_title("ALI reconstructions")
    return figure


def _images(real: torch.Tensor, rebuilt: torch.Tensor) -> Figure:
    """A grid: ``IMAGE_PAIRS`` rows of real images ``(n, C, H, W)``, each followed by a row of their
    reconstructions."""
    rows = []
    for start in range(0, len(real), IMAGE_COLUMNS):
        rows += [real[start : start + IMAGE_COLUMNS], rebuilt[start : start + IMAGE_COLUMNS]]
    grid = _tile(rows)  # (rows·(H+1), columns·(W+1), C)
    figure = Figure(figsize=(IMAGE_COLUMNS, IMAGE_COLUMNS * grid.shape[0] / grid.shape[1]))
    axes = figure.subplots()
    if grid.shape[2] == 1:
        axes.imshow(grid[:, :, 0], cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    else:
        axes.imshow(grid, interpolation="nearest")
    axes.set_axis_off()
    return figure


def _tile(rows: list[torch.Tensor]) -> np.ndarray:
    """Rows of images ``(c, C, H, W)`` as one array ``(rows·(H+1), columns·(W+1), C)`` in [0, 1],
    one pixel of white between images; values outside [0, 1] are rescaled to it."""
    images = torch.cat(rows).float()  # (N, C, H, W)
    low, high = float(images.min()), float(images.max())
    if low < 0.0 or high > 1.0:
        images = (images - low) / max(high - low, 1e-12)
    _, channels, height, width = images.shape
    columns = max(len(row) for row in rows)
    grid = torch.ones(len(rows) * (height + 1), columns * (width + 1), channels)
    for r, row in enumerate(rows):
        for c, image in enumerate(row):
            top, left = r * (height + 1), c * (width + 1)
            grid[top : top + height, left : left + width] = image.permute(1, 2, 0)  # (H, W, C)
    return grid.clamp(0.0, 1.0).numpy()
