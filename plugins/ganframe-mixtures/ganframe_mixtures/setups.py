"""The ``ring`` and ``grid`` setups and their presets: the papers' baselines and ours.

Every preset scores 2,500 samples with ``mixture-modes`` (``modes``, ``high_quality``,
``reverse_kl``), as the papers do. The papers' baselines train far longer than is practical here
(PacGAN: 400 epochs of 100,000 samples, 400,000 rounds of batch 100); ours run ``STEPS`` rounds and
say so. See the README's mode-collapse tables for the numbers.

* ``tutorial`` — the plain GAN of the PacGAN paper (Lin et al. 2018, appendix; the VEEGAN
  networks): 2-D noise N(0, I); G four layers of 400 ReLU units with batch normalisation; D three
  LinearMaxout layers of 200 units with 5 pieces; Adam lr 1e-4, beta1 0.8; batch 100; the
  non-saturating loss.
* ``pacgan`` — the same with D judging packs of 2 samples (PacGAN2).
* ``unrolled`` — the unrolled GAN of Metz et al. 2017 with the networks of their reference
  notebook: 256-D noise, G and D two tanh layers of 128, Adam beta1 0.5 (G 1e-3, D 1e-4), batch
  512, G trained against D unrolled 5 steps ahead, exactly (needs ``ganframe-unrolled``).
* ``ali`` — ALI / BiGAN (needs ``ganframe-ali``): an encoder and a discriminator on (x, z) pairs.
* ``default`` — ours (see DEFAULT below).
"""

from __future__ import annotations

import copy
from typing import Any

METRICS = {"metrics": ["mixture-modes"], "samples": 2500}
DATA = {"ring": {"name": "ring"}, "grid": {"name": "grid"}}

PAPER_GAN: dict[str, Any] = {
    "noise": {"name": "normal", "dim": 2},
    "generator": {
        "name": "bn-mlp",
        "hidden": [400, 400, 400, 400],
        "init_std": 0.02,
        "optimizer": {"name": "adam", "lr": 1e-4, "betas": [0.8, 0.999]},
    },
    "discriminator": {
        "name": "maxout-mlp",
        "hidden": [200, 200, 200],
        "pieces": 5,
        "init_std": 0.02,
        "optimizer": {"name": "adam", "lr": 1e-4, "betas": [0.8, 0.999]},
    },
    "loss": {"name": "non-saturating"},
    "strategy": {"name": "alternating"},
    "train": {"steps": 2_500, "batch_size": 100, "log_every": 500, "threads": 1},
}

PACGAN = copy.deepcopy(PAPER_GAN)
PACGAN["discriminator"]["extras"] = [{"name": "pack", "m": 2}]

UNROLLED = {
    "noise": {"name": "normal", "dim": 256},
    "generator": {
        "name": "mlp",
        "hidden": [128, 128],
        "activation": "tanh",
        "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]},
    },
    "discriminator": {
        "name": "mlp",
        "hidden": [128, 128],
        "activation": "tanh",
        "optimizer": {"name": "adam", "lr": 1e-4, "betas": [0.5, 0.999]},
    },
    "loss": {"name": "minimax"},
    "strategy": {"name": "unrolled", "unroll_steps": 5, "method": "exact"},
    "train": {"steps": 1_000, "batch_size": 512, "log_every": 250, "threads": 1},
}

# ALI / BiGAN on the pairs (x, z): 2-D noise, ReLU networks of two layers of 128 for G and the
# encoder, a pair discriminator of the same size, Adam 1e-3 (beta1 0.5) decaying linearly to 0.
ALI = {
    "noise": {"name": "normal", "dim": 2},
    "generator": {
        "name": "mlp",
        "hidden": [128, 128],
        "activation": "relu",
        "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]},
    },
    "discriminator": {
        "name": "pair-mlp",
        "hidden": [128, 128],
        "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]},
    },
    "networks": {
        "encoder": {
            "name": "mlp",
            "input": "data",
            "output": "noise",
            "hidden": [128, 128],
            "activation": "relu",
            "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]},
        }
    },
    "loss": {"name": "non-saturating"},
    "strategy": {"name": "ali"},
    "train": {"steps": 10_000, "batch_size": 256, "lr_decay": "linear", "log_every": 500, "threads": 1},
}

# Ours. The networks and optimisers of the unrolled GAN's notebook, with three changes that each
# helped in our runs: D's learning rate 3e-4 instead of 1e-4 (a stronger D found the grid's modes:
# 17 of 25 at 10,000 rounds where 1e-4 found 2; 25 at 20,000 rounds of batch 256), a minibatch
# standard deviation feature before D's last layer (D sees a batch that lacks variety), and an
# exponential moving average of G's weights for sampling (steadier, tighter modes). The
# non-saturating loss instead of minimax; 20,000 rounds of batch 256.
DEFAULT = {
    "noise": {"name": "normal", "dim": 256},
    "generator": {
        "name": "mlp",
        "hidden": [128, 128],
        "activation": "tanh",
        "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]},
        "extras": [{"name": "ema", "decay": 0.999}],
    },
    "discriminator": {
        "name": "mlp",
        "hidden": [128, 128],
        "activation": "tanh",
        "optimizer": {"name": "adam", "lr": 3e-4, "betas": [0.5, 0.999]},
        "extras": ["minibatch-std"],
    },
    "loss": {"name": "non-saturating"},
    "strategy": {"name": "alternating"},
    "train": {"steps": 20_000, "batch_size": 256, "log_every": 1000, "threads": 1},
}


def presets(data: str) -> dict[str, dict]:
    """Every preset of the ``data`` setup: the shared configuration with its data source and metric."""
    shared = {"data": DATA[data], "evaluation": METRICS}
    chosen = {"default": DEFAULT, "tutorial": PAPER_GAN, "pacgan": PACGAN, "unrolled": UNROLLED, "ali": ALI}
    return {name: {**copy.deepcopy(config), **copy.deepcopy(shared)} for name, config in chosen.items()}
