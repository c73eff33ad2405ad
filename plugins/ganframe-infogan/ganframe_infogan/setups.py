"""The presets of the ``infogan-mnist`` setup (documented in the package docstring)."""

from __future__ import annotations

METRICS = ["infogan-codes", "mnist-fd", "mnist-digits"]
PAPER_NOISE = {"name": "infogan", "z_dim": 62, "categories": 10, "continuous": 2}

# Chen et al. (2016), Appendix C.1 and Table 1, with the authors' code where the paper is silent
# (Adam beta1 = 0.5, leaky ReLU slope 0.01, λ = 1 for both codes, Q's variance fixed at 1). Q is the
# paper's head (FC 128, BN, lReLU, FC) on D's 1024 features, a role of its own with D's learning
# rate; the strategy trains D's body on the information loss in D's updates, as the shared body is
# in the paper (and Q's head also in G's updates, where the authors' code updates G alone).
# 5,000 rounds of batch 100 (the authors' code trains 50 "epochs" of 100 updates at batch 128).
TUTORIAL = {
    "data": {"name": "mnist"},
    "noise": PAPER_NOISE,
    "generator": {"name": "infogan-paper", "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]}},
    "discriminator": {"name": "infogan-paper", "optimizer": {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]}},
    "networks": {
        "q": {
            "name": "infogan-q",
            "reads": "discriminator",
            "features": 1024,
            "hidden": 128,
            "negative_slope": 0.01,
            "optimizer": {"name": "adam", "lr": 2e-4, "betas": [0.5, 0.999]},
        }
    },
    "loss": {"name": "non-saturating"},
    "strategy": {"name": "infogan", "lambda_cat": 1.0, "lambda_cont": 1.0, "d_steps": 1},
    "train": {"steps": 5_000, "batch_size": 100, "log_every": 100, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 10_000},
}

# Ours, from measured runs on seed 0 (infogan-codes purity, 3,000 rounds unless said):
# * z_dim 62 → 16 → 2: purity 0.45 → 0.60 (λ_cat 2) → 0.74. A small z leaves G little room to
#   make a digit out of z rather than out of the categorical code; z_dim 0 was worse (0.62, fd 53).
# * λ_cont 0.1 (the paper's "smaller λ" for continuous codes): with 1 the continuous codes also
#   switched digits (see infogan-cont*.png).
# * D at G's learning rate (1e-3, not the paper's 2e-4): with 2e-4 D's loss stayed near log 4
#   and the digits were poor (fd 67 against 34).
# * Q on its own small network: a Q head on D's features (reads = "discriminator") did not help
#   here (0.47 against 0.44 at z_dim 16) and is slower.
# * 6,000 rounds of batch 64 (6.4 epochs; about 5 CPU-minutes): purity 0.76 and fd 25 against
#   0.74 and 31 after 3,000.
DEFAULT = {
    "data": {"name": "mnist"},
    "noise": {"name": "infogan", "z_dim": 2, "categories": 10, "continuous": 2},
    "generator": {"name": "mnist-conv", "width": 64, "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]}},
    "discriminator": {
        "name": "mnist-conv",
        "width": 64,
        "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]},
    },
    "networks": {
        "q": {
            "name": "infogan-q",
            "width": 32,
            "hidden": 64,
            "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]},
        }
    },
    "loss": {"name": "non-saturating"},
    "strategy": {"name": "infogan", "lambda_cat": 1.0, "lambda_cont": 0.1, "d_steps": 1},
    "train": {"steps": 6_000, "batch_size": 64, "log_every": 200, "threads": 1},
    "evaluation": {"metrics": METRICS, "samples": 10_000},
}

PRESETS = {"default": DEFAULT, "tutorial": TUTORIAL}
