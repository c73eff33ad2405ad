"""A cheap 2-D data source for the ``infogan`` plugin's tests (a module of its own: every test
folder has a ``conftest.py``, so a test cannot import from one by name)."""

from __future__ import annotations

import torch

import ganframe

CENTRES = torch.tensor([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])


class FourClusters(ganframe.Distribution):
    """Four 2-D clusters: a cheap data source to train InfoGAN on vectors."""

    sample_shape = (2,)

    def sample(self, n, *, generator, device):
        which = torch.randint(len(CENTRES), (n,), generator=generator, device=device)  # (n,)
        return CENTRES.to(device)[which] + 0.05 * torch.randn(n, 2, generator=generator, device=device)  # (n, 2)


class Points:
    """The plugin object registering ``four-clusters``."""

    @ganframe.hookimpl
    def register_data_sources(self, register):
        register("four-clusters", lambda config, context: FourClusters(), description="four 2-D clusters")
