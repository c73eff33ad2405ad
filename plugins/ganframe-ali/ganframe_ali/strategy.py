"""The ``ali`` strategy: ALI / BiGAN training of a generator G, an encoder E and a pair discriminator D.

D learns to tell encoder pairs (x, E(x)), x real, from generator pairs (G(z), z). G and E learn
together to make D take each kind for the other: the "inverted labels" objective of BiGAN
(Donahue et al. 2017, section 3.4), which is the experiment's own loss with the two batches
swapped, ``loss.discriminator_loss(D, generator_pairs, encoder_pairs)``. With the BCE losses that
is the non-saturating form of ALI's game for both networks; any registered loss works the same way.
At the game's optimum the two joint distributions match, so E inverts G: G(E(x)) ≈ x.

Each round: ``d_steps`` D updates, each on a fresh real batch and fresh noise, then ``g_steps``
joint G/E updates (``trainer.update(("generator", "encoder"), loss)``: one backward pass, both
optimisers step). The first joint update reuses the last D update's batches and forward passes
(G and E have not changed since), so a default round costs one pass of G and E.
"""

from __future__ import annotations

import torch

import ganframe
from ganframe.components import Trainer

from .configs import ALIConfig
from .discriminator import pair
from .modes import evaluating

ENCODER = "encoder"
PROBE_EXAMPLES = 4  # real examples the factory runs E and D on, to catch a wrong network before training


class ALI:
    """Each round: ``d_steps`` D updates on (x, E(x)) against (G(z), z), then ``g_steps`` joint G/E
    updates with the labels swapped. Logs ``d_loss`` and ``g_loss`` (the joint G/E loss)."""

    roles = (ENCODER,)  # the network role this strategy trains besides G and D

    def __init__(self, config: ALIConfig) -> None:
        self.config = config

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        encoder = trainer.network(ENCODER)
        for step in range(self.config.d_steps):
            last = step == self.config.d_steps - 1  # keep the graph of the batch the G/E update reuses
            with torch.enable_grad() if last else torch.no_grad():
                real_pairs, fake_pairs = self._pairs(trainer, encoder)  # (B, D + K) each
            d_loss = trainer.update(
                "discriminator",
                trainer.loss.discriminator_loss(trainer.discriminator, real_pairs.detach(), fake_pairs.detach()),
            )
        for step in range(self.config.g_steps):
            if step:
                real_pairs, fake_pairs = self._pairs(trainer, encoder)
            with trainer.frozen("discriminator"):
                # swapped: G/E are rewarded when D calls generator pairs "encoder" and vice versa
                loss = trainer.loss.discriminator_loss(trainer.discriminator, fake_pairs, real_pairs)
            g_loss = trainer.update(("generator", ENCODER), loss)
        return {"d_loss": d_loss, "g_loss": g_loss}

    @staticmethod
    def _pairs(trainer: Trainer, encoder: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """A batch of encoder pairs (x, E(x)) and one of generator pairs (G(z), z), each ``(B, D + K)``."""
        x = trainer.real_batch()  # (B, *sample_shape)
        z = trainer.noise_batch()  # (B, K)
        return pair(x, encoder(x)), pair(trainer.generator(z), z)


# -- the factory: ALI's networks checked before training ---------------------------------------
def make_ali(config: ALIConfig, context) -> ALI:
    """The strategy, once E and D were run on a few real examples: a wrong encoder or a
    discriminator that cannot take pairs is one line now, not a stack trace in round 1."""
    encoder = context.network(ENCODER)  # one line naming the missing [networks.encoder] section
    x = probe_examples(context)
    if x is not None:
        noise = context.noise.sample(len(x), generator=_probe_generator(context), device=context.device)  # (n, K)
        check_encoder(encoder, x, context.noise_dim, context.building)
        check_discriminator(context.network("discriminator"), x, noise, context.building)
    return ALI(config)


def probe_examples(context) -> torch.Tensor | None:
    """A few real examples ``(n, *sample_shape)`` in model space, drawn without touching any
    training stream; None for an empty data set."""
    data = context.data
    if isinstance(data, ganframe.Dataset):
        n = min(PROBE_EXAMPLES, len(data))
        return data.get(torch.arange(n)).to(context.device) if n else None
    return data.sample(PROBE_EXAMPLES, generator=_probe_generator(context), device=context.device)


def _probe_generator(context) -> torch.Generator:
    return torch.Generator(device=context.device).manual_seed(0)


def check_encoder(encoder: torch.nn.Module, x: torch.Tensor, noise_dim: int, who: str) -> None:
    """E maps real examples ``(n, *sample_shape)`` to latents ``(n, noise_dim)``; else a ConfigError."""
    n = len(x)
    try:
        with evaluating(encoder), torch.no_grad():
            z = encoder(x)
    except Exception as exc:
        raise ganframe.ConfigError(
            f"{who}: the encoder ([networks.encoder]) failed on real examples of shape {tuple(x.shape)}: "
            f'{type(exc).__name__}: {_first_line(exc)}; it must take data: set networks.encoder.input = "data"'
        ) from exc
    got = tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
    if got != (n, noise_dim):
        raise ganframe.ConfigError(
            f"{who}: the encoder ([networks.encoder]) maps real examples of shape {tuple(x.shape)} to {got}, "
            f"but ALI needs one latent of the noise's size per example, ({n}, {noise_dim}): "
            f'set networks.encoder.output = "noise"'
        )


def check_discriminator(discriminator: torch.nn.Module, x: torch.Tensor, z: torch.Tensor, who: str) -> None:
    """D scores the pairs of examples ``x`` (n, *sample_shape) and latents ``z`` (n, K), one row of
    scores per pair; else a ConfigError."""
    pairs = pair(x, z)  # (n, D + K)
    n, width = pairs.shape
    hint = (
        f"ALI's discriminator scores (x, z) pairs of {x[0].numel()} + {z.shape[1]} = {width} numbers: "
        f'set discriminator.name = "pair-mlp"'
    )
    try:
        with evaluating(discriminator), torch.no_grad():
            scores = discriminator(pairs)
    except Exception as exc:
        raise ganframe.ConfigError(
            f"{who}: the discriminator failed on a batch of pairs of shape {(n, width)} "
            f"({type(exc).__name__}: {_first_line(exc)}); {hint}"
        ) from exc
    if not isinstance(scores, torch.Tensor) or scores.dim() == 0 or scores.shape[0] != n:
        got = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
        raise ganframe.ConfigError(
            f"{who}: the discriminator gave {got} for a batch of {n} pairs, not one row of scores per pair; {hint}"
        )


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0]
