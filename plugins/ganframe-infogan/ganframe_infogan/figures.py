"""The InfoGAN figures: what each latent code does to the generated digits.

One figure per continuous code, ``infogan-cont1.png``, ``infogan-cont2.png``, ...: row r holds
the categorical code fixed at r (10 rows for MNIST), column j the continuous code at one of
``COLUMNS`` values from -2 to 2 (beyond the training range of [-1, 1], as in the paper's Figure 2,
to show how far the code generalises); within a row z is fixed and the other continuous codes are 0.
Without continuous codes, one figure ``infogan-categories.png`` of rows of categories and columns
of fresh z.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from ganframe.data import stream_seed
from ganframe.plots import data_kind, save_figure

from .noise import InfoGanNoise

COLUMNS = 10
RANGE = 2.0
FIGURE_STREAM = 1_766  # a random stream of its own: the figure disturbs no other draw


@torch.no_grad()
def code_grid(noise: InfoGanNoise, generate, code: int | None, seed: int) -> torch.Tensor:
    """Images (rows, COLUMNS, *shape) in data space: categories by rows, continuous code ``code`` by columns.

    ``generate`` maps noise (N, dim) to data-space samples (N, ...). ``code`` None: columns vary z instead.
    """
    rows = max(noise.categories, 1)
    generator = torch.Generator().manual_seed(stream_seed(seed, FIGURE_STREAM))
    z = torch.randn(rows, 1, noise.z_dim, generator=generator)  # (rows, 1, z_dim): one z per row
    if code is None:
        z = torch.randn(rows, COLUMNS, noise.z_dim, generator=generator)  # (rows, COLUMNS, z_dim)
    z = z.expand(rows, COLUMNS, noise.z_dim).reshape(-1, noise.z_dim)  # (rows · COLUMNS, z_dim)
    category = (
        torch.arange(rows).repeat_interleave(COLUMNS)
        if noise.categories
        else torch.zeros(rows * COLUMNS, dtype=torch.long)
    )  # (rows · COLUMNS,)
    continuous = torch.zeros(rows * COLUMNS, noise.continuous)  # (rows · COLUMNS, continuous)
    if code is not None:
        continuous[:, code] = torch.linspace(-RANGE, RANGE, COLUMNS).repeat(rows)
    images = generate(noise.with_codes(z, category, continuous))  # (rows · COLUMNS, C, H, W)
    return images.reshape(rows, COLUMNS, *images.shape[1:])


def grid_figure(images: torch.Tensor, xlabel: str, ylabel: str) -> Figure:
    """A matplotlib Figure of images (rows, columns, C, H, W) in [0, 1], grey or RGB."""
    rows, columns = images.shape[:2]
    figure = Figure(figsize=(columns * 0.6 + 0.6, rows * 0.6 + 0.4))
    axes = figure.subplots(rows, columns, squeeze=False)
    for r in range(rows):
        for c in range(columns):
            image = images[r, c].clamp(0, 1)
            axis = axes[r][c]
            if image.shape[0] == 1:
                axis.imshow(image[0].numpy(), cmap="gray", vmin=0, vmax=1)
            else:
                axis.imshow(image.permute(1, 2, 0).numpy())
            axis.set_xticks([])
            axis.set_yticks([])
            if c == 0:
                axis.set_ylabel(str(r), rotation=0, labelpad=8, fontsize=8)
    figure.supxlabel(xlabel, fontsize=9)
    figure.supylabel(ylabel, fontsize=9)
    return figure


def draw(experiment, run_dir, samples) -> None:
    """The code figures of an experiment with ``infogan`` noise and image samples; nothing otherwise."""
    # ExperimentView documents no ``noise``; ganframe.Experiment has it (see the plugin's report).
    noise = getattr(experiment, "noise", None)
    if not isinstance(noise, InfoGanNoise) or data_kind(samples.generated) != "images":
        return
    generator, data = experiment.generator, experiment.data

    def generate(z: torch.Tensor) -> torch.Tensor:
        was_training = generator.training
        generator.eval()
        try:
            return data.to_data_space(generator(z.to(experiment.device))).cpu()
        finally:
            generator.train(was_training)

    seed = experiment.config.seed
    if noise.continuous == 0:
        figure = grid_figure(code_grid(noise, generate, None, seed), "z (random)", "categorical code")
        save_figure(
            run_dir,
            "infogan-categories.png",
            figure,
            "InfoGAN: each row one value of the categorical code, each column another z.",
        )
        return
    for code in range(noise.continuous):
        figure = grid_figure(
            code_grid(noise, generate, code, seed),
            f"continuous code {code + 1} from -{RANGE:g} to {RANGE:g}",
            "categorical code",
        )
        save_figure(
            run_dir,
            f"infogan-cont{code + 1}.png",
            figure,
            f"InfoGAN: each row one value of the categorical code (z fixed within a row); columns vary "
            f"continuous code {code + 1} from -{RANGE:g} to {RANGE:g} (trained on [-1, 1]), the other codes 0.",
        )
