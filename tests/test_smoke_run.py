"""``ganframe.testing.smoke_run`` checks samples against the data-space shape of real examples."""

from __future__ import annotations

import torch

import ganframe
from ganframe.testing import fresh_plugins, smoke_run


class Bits(ganframe.Distribution):
    """Three random bits, read back in data space as one integer 0..7."""

    sample_shape = (3,)
    discrete = True

    def sample(self, n, *, generator, device):
        return torch.randint(0, 2, (n, 3), generator=generator, device=device).float()

    def to_data_space(self, x):
        return ((x >= 0.5).long() * torch.tensor([4, 2, 1])).sum(dim=1, keepdim=True)  # (n, 1)


class BitsPlugin:
    @ganframe.hookimpl
    def register_data_sources(self, register):
        register("smoke-bits", lambda config, context: Bits(), description="three bits as an integer")

    @ganframe.hookimpl
    def register_setups(self, register):
        register(
            "smoke-bits",
            {
                "default": {
                    "data": {"name": "smoke-bits"},
                    "noise": {"name": "normal", "dim": 2},
                    "generator": {"name": "mlp", "hidden": [4], "output_activation": "sigmoid"},
                    "discriminator": {"name": "mlp", "hidden": [4]},
                    "train": {"steps": 2, "batch_size": 8},
                }
            },
        )


def test_a_data_source_that_decodes_its_samples_passes():
    experiment = smoke_run("smoke-bits", steps=2, plugins=fresh_plugins(BitsPlugin(), entry_points=False))
    samples = experiment.sample(4)
    assert samples.shape == (4, 1) and samples.dtype == torch.int64
