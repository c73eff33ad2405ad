"""The ``infogan`` noise: incompressible noise z and the latent codes c that InfoGAN makes interpretable.

One noise vector is ``[z | one-hot category | continuous codes]``:

* ``z`` (``z_dim`` numbers) ~ N(0, I): what the generator may use freely (62 in the paper's MNIST
  experiment; the authors' code draws it from uniform(-1, 1), the paper does not say);
* a categorical code with ``categories`` values, drawn uniformly and given to G one-hot (10 for
  MNIST, hoping one value per digit);
* ``continuous`` codes ~ uniform(-1, 1) (2 for MNIST: width and slant, in the paper).

The strategy, the ``infogan-codes`` metric and the figures build codes on purpose through
:meth:`InfoGanNoise.with_codes` and read them back with :meth:`InfoGanNoise.codes`.
"""

from __future__ import annotations

import attrs
import torch
import torch.nn.functional as F

from .configs import InfoGanNoiseConfig


@attrs.frozen
class InfoGanNoise:
    """``[z ~ N(0, I) | one-hot category ~ uniform | continuous ~ uniform(-1, 1)]``, ``dim`` numbers."""

    z_dim: int
    categories: int
    continuous: int

    @classmethod
    def from_config(cls, config: InfoGanNoiseConfig) -> InfoGanNoise:
        return cls(config.z_dim, config.categories, config.continuous)

    @property
    def dim(self) -> int:
        return self.z_dim + self.categories + self.continuous

    # Where each part sits in a noise vector.
    @property
    def z_slice(self) -> slice:
        return slice(0, self.z_dim)

    @property
    def category_slice(self) -> slice:
        return slice(self.z_dim, self.z_dim + self.categories)

    @property
    def continuous_slice(self) -> slice:
        return slice(self.z_dim + self.categories, self.dim)

    def sample_parts(
        self, n: int, *, generator: torch.Generator, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(z (n, z_dim), category (n,) int64, continuous (n, continuous))``, drawn in that order.

        With no categorical code, ``category`` is all zeros (and not drawn).
        """
        z = torch.randn(n, self.z_dim, generator=generator, device=device)  # (n, z_dim)
        if self.categories:
            category = torch.randint(0, self.categories, (n,), generator=generator, device=device)  # (n,)
        else:
            category = torch.zeros(n, dtype=torch.long, device=device)
        continuous = 2 * torch.rand(n, self.continuous, generator=generator, device=device) - 1  # (n, continuous)
        return z, category, continuous

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        """``(n, dim)`` noise for the generator."""
        return self.with_codes(*self.sample_parts(n, generator=generator, device=device))

    def with_codes(self, z: torch.Tensor, category: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
        """Noise ``(n, dim)`` from its parts: z ``(n, z_dim)``, category ``(n,)`` ints, continuous ``(n, continuous)``."""
        n = z.shape[0]
        if z.shape != (n, self.z_dim) or category.shape != (n,) or continuous.shape != (n, self.continuous):
            raise ValueError(
                f"codes of shapes {tuple(z.shape)}, {tuple(category.shape)}, {tuple(continuous.shape)} "
                f"do not fit ({n}, {self.z_dim}), ({n},), ({n}, {self.continuous})"
            )
        one_hot = F.one_hot(category.long(), self.categories).to(z.dtype) if self.categories else z.new_zeros(n, 0)
        return torch.cat([z, one_hot, continuous.to(z.dtype)], dim=1)  # (n, dim)

    def codes(self, noise: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The codes in noise ``(n, dim)``: category ``(n,)`` int64 (zeros without one) and continuous ``(n, continuous)``."""
        one_hot = noise[:, self.category_slice]  # (n, categories)
        category = one_hot.argmax(1) if self.categories else noise.new_zeros(len(noise), dtype=torch.long)
        return category, noise[:, self.continuous_slice]
