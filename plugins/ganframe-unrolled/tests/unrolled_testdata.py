"""A small 2-D data source for the tests, so that they need no other plugin: four clusters."""

from __future__ import annotations

import torch

import ganframe

CENTRES = torch.tensor([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])


class FourClusters(ganframe.Distribution):
    sample_shape = (2,)

    def sample(self, n, *, generator, device):
        which = torch.randint(len(CENTRES), (n,), generator=generator, device=device)  # (n,)
        return CENTRES.to(device)[which] + 0.05 * torch.randn(n, 2, generator=generator, device=device)  # (n, 2)


class Points:
    """The plugin object registering ``four-clusters``."""

    @ganframe.hookimpl
    def register_data_sources(self, register):
        register("four-clusters", lambda config, context: FourClusters(), description="four 2-D clusters")


def config(
    strategy: dict, *, steps: int = 3, seed: int = 0, d_optimizer: dict | None = None, batch_size: int = 32
) -> dict:
    """A tiny unrolled experiment on the four clusters."""
    return {
        "seed": seed,
        "device": "cpu",
        "data": {"name": "four-clusters"},
        "noise": {"name": "normal", "dim": 4},
        "generator": {"name": "mlp", "hidden": [16], "activation": "tanh", "optimizer": {"name": "adam", "lr": 1e-3}},
        "discriminator": {
            "name": "mlp",
            "hidden": [16],
            "activation": "tanh",
            "optimizer": d_optimizer or {"name": "adam", "lr": 1e-2},
        },
        "loss": {"name": "minimax"},
        "strategy": strategy,
        "train": {"steps": steps, "batch_size": batch_size, "log_every": 1},
        "evaluation": {"metrics": [], "samples": 100},
    }
