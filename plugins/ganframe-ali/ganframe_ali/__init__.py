"""ganframe ALI / BiGAN: a GAN that also learns an encoder, the inverse of its generator.

Dumoulin et al., "Adversarially Learned Inference" (ICLR 2017), and Donahue, Krähenbühl and
Darrell, "Adversarial Feature Learning" (ICLR 2017), found the same idea: an encoder E maps data
to latents, and the discriminator judges pairs, (x, E(x)) with x real against (G(z), z) with z from
the noise. G and E are trained together to fool it; when the pairs' joint distributions match,
E inverts G.

Components:

* strategy ``ali`` (:mod:`.strategy`): each round ``d_steps`` D updates (default 1), then
  ``g_steps`` joint G/E updates (default 1) on the experiment's loss with the batches swapped (the
  "inverted labels" objective of BiGAN); logs ``d_loss`` and ``g_loss``. It needs a
  ``[networks.encoder]`` section: the built-in ``mlp`` network with ``input = "data"`` and
  ``output = "noise"`` is an encoder. Before training it runs E and D on a few real examples, so an
  encoder with the wrong output or a discriminator that cannot take pairs is one line.
* discriminator ``pair-mlp`` (:mod:`.discriminator`): an MLP on the pair (x flattened, then z),
  ``numel(sample_shape) + noise_dim`` inputs, one logit out. Options ``hidden`` ([128, 128]),
  ``activation`` ("leaky-relu"), ``negative_slope`` (0.2), ``dropout`` (0), ``output`` ("logits"
  or "probabilities"), ``init_std``.
* figure ``reconstruction.png`` (:mod:`.figures`): real examples and their reconstructions
  G(E(x)), for 2-D data and images, in every ALI run that writes figures.

From Python (:mod:`.inference`; x in model space, which is data space for ``ring`` and ``grid``)::

    import ganframe, ganframe_ali

    experiment = ganframe.Experiment.load("runs/ali-ring")      # or one you just trained
    x = ganframe_ali.real_examples(experiment, 1000)            # (1000, 2), model space
    z = ganframe_ali.encode(experiment, x)                      # (1000, noise_dim)
    x_hat = ganframe_ali.reconstruct(experiment, x)             # (1000, 2): G(E(x))

A config on the 8-Gaussian ring (needs ``ganframe-mixtures``), ``ganframe train --config
ali-ring.toml``. On one CPU thread it takes about a minute; seeds 0-2 gave 8, 7 and 8 modes of 8,
63 %, 31 % and 61 % high-quality samples and reverse KL 0.04, 0.22 and 0.02 (PacGAN's Table 1
reports 6.6 modes, 97.6 % and 0.36 for ALI). ALI spreads G over every mode quickly but keeps some
samples on the arcs between them; the same config on ``grid`` gave 16 of 25 modes (seed 0)::

    seed = 0

    [data]
    name = "ring"

    [noise]
    name = "normal"
    dim = 2          # a latent as large as the data: a larger one (8) made ALI fail here

    [generator]
    name = "mlp"
    hidden = [128, 128]
    activation = "relu"
    optimizer = { name = "adam", lr = 1e-3, betas = [0.5, 0.999] }

    [discriminator]
    name = "pair-mlp"
    hidden = [128, 128]
    optimizer = { name = "adam", lr = 1e-3, betas = [0.5, 0.999] }

    [networks.encoder]
    name = "mlp"
    input = "data"
    output = "noise"
    hidden = [128, 128]
    activation = "relu"
    optimizer = { name = "adam", lr = 1e-3, betas = [0.5, 0.999] }

    [loss]
    name = "non-saturating"

    [strategy]
    name = "ali"

    [train]
    steps = 10000
    batch_size = 256
    lr_decay = "linear"   # sharpens the modes at the end: 8 modes, 43 % vs 5 modes, 31 % at 5,000 rounds
    threads = 1

    [evaluation]
    metrics = ["mixture-modes"]
    samples = 2500

Without ``[networks.encoder]`` the run stops before training with ``strategy 'ali' (plugin
'ali') needs the network role 'encoder' ...; add a [networks.encoder] section``; with the plain
``mlp`` discriminator, with a line saying to set ``discriminator.name = "pair-mlp"``.

This module registers the components; their options are in :mod:`.configs`. The strategy, the
discriminator and the figure are imported when they are built or drawn, so that ``ganframe list`` and
``ganframe show`` do not import PyTorch or matplotlib.
"""

from __future__ import annotations

import importlib

import ganframe

from .configs import ALIConfig, PairMLPConfig

__all__ = ["ALI", "ALIConfig", "PairMLP", "PairMLPConfig", "encode", "pair", "real_examples", "reconstruct"]


def _load(module: str):
    """One of this package's implementation modules, imported when a component is built, not when listed."""
    return importlib.import_module(f".{module}", __name__)


@ganframe.hookimpl
def register_strategies(register):
    register(
        "ali",
        lambda c, ctx: _load("strategy").make_ali(c, ctx),
        config=ALIConfig,
        description="ALI / BiGAN: G and an encoder E against D on (x, E(x)) vs (G(z), z) pairs "
        "(Dumoulin et al. 2017; Donahue et al. 2017)",
    )


@ganframe.hookimpl
def register_discriminators(register):
    register(
        "pair-mlp",
        lambda c, ctx: _load("discriminator").make_pair_mlp(c, ctx),
        config=PairMLPConfig,
        description="MLP on (x, z) pairs, numel(sample) + noise_dim inputs: the discriminator of ALI / BiGAN",
    )


@ganframe.hookimpl
def draw_figures(experiment, run_dir, samples):
    if "encoder" in experiment.networks and isinstance(getattr(experiment, "strategy", None), _load("strategy").ALI):
        _load("figures").draw_reconstruction(experiment, run_dir, samples)  # an ALI run


#: Names of the implementation modules, importable from here as before (imported on first use).
_ELSEWHERE = {
    "ALI": "strategy",
    "make_ali": "strategy",
    "PairMLP": "discriminator",
    "make_pair_mlp": "discriminator",
    "pair": "discriminator",
    "draw_reconstruction": "figures",
    "encode": "inference",
    "real_examples": "inference",
    "reconstruct": "inference",
}


def __getattr__(name: str):
    if name in _ELSEWHERE:
        return getattr(_load(_ELSEWHERE[name]), name)
    if name in ("discriminator", "figures", "inference", "modes", "strategy"):  # without importing it first
        return _load(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
