"""What a training strategy works with: the networks, their optimisers, the loss, real data, noise,
and the one way to update a network.

A strategy's ``train_round(trainer)`` stays short and explicit because the mechanics live here:
drawing batches, freezing D while G learns, zeroing, backpropagating, averaging gradients across
processes and stepping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

from .components import Loss, Noise, says_real
from .data import RealBatches
from .distributed import DistributedContext, average_gradients


class Trainer:
    """Mutable training state shared by the loop and the strategy."""

    def __init__(
        self,
        *,
        generator: torch.nn.Module,
        discriminator: torch.nn.Module,
        g_optimizer: torch.optim.Optimizer,
        d_optimizer: torch.optim.Optimizer,
        loss: Loss,
        noise: Noise,
        real_batches: RealBatches,
        noise_generator: torch.Generator,
        device: torch.device,
        distributed: DistributedContext,
        d_accuracy: bool = False,
    ) -> None:
        self.generator, self.discriminator = generator, discriminator
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.loss, self.noise = loss, noise
        self.real_batches = real_batches
        self.noise_generator = noise_generator
        self.device = device
        self.distributed = distributed
        self.batch_size = real_batches.batch_size  # per process
        self.real_draws = 0  # real batches drawn so far: decides the data order, saved in checkpoints
        self.last_real: torch.Tensor | None = None
        self.d_accuracy = d_accuracy  # judge D's accuracy before each D update (train.d_accuracy)
        self._judged: dict[str, torch.Tensor | int] = {}  # right and judged counts since take_logs()
        self._g_params = [p for p in generator.parameters() if p.requires_grad]
        self._d_params = [p for p in discriminator.parameters() if p.requires_grad]

    # -- batches -----------------------------------------------------------------------------
    def real_batch(self) -> torch.Tensor:
        """The next real batch for this process: ``(batch_size, *sample_shape)``."""
        batch = self.real_batches.batch(self.real_draws)
        self.real_draws += 1
        self.last_real = batch
        return batch

    def noise_batch(self, n: int | None = None) -> torch.Tensor:
        """``(n, noise_dim)`` latent noise; ``n`` defaults to the batch size."""
        return self.noise.sample(n or self.batch_size, generator=self.noise_generator, device=self.device)

    def generate(self, n: int | None = None, *, grad: bool = True) -> torch.Tensor:
        """A fake batch from fresh noise; with ``grad=False`` no graph is kept (cheaper for D steps)."""
        z = self.noise_batch(n)
        if grad:
            return self.generator(z)
        with torch.no_grad():
            return self.generator(z)

    # -- updates -----------------------------------------------------------------------------
    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """One D update on a real batch and a fake batch (detached here); returns the loss."""
        if self.d_accuracy:
            self._judge(real, fake.detach())
        loss = self.loss.discriminator_loss(self.discriminator, real, fake.detach())
        self._update(loss, self.d_optimizer, self._d_params)
        return loss.detach()

    def generator_step(self, fake: torch.Tensor) -> torch.Tensor:
        """One G update on a fake batch that still carries G's graph; D is frozen meanwhile."""
        with self.frozen(self.discriminator):
            loss = self.loss.generator_loss(self.discriminator, fake, self.last_real)
            self._update(loss, self.g_optimizer, self._g_params)
        return loss.detach()

    def take_logs(self) -> dict[str, torch.Tensor]:
        """What the trainer itself logged since the last call; the training loop adds it to each
        round's logs. With ``d_accuracy``: D's accuracy over the round's D updates on real and fake
        examples together (``d_accuracy``), on the real ones and on the fake ones. Else empty."""
        judged, self._judged = self._judged, {}
        if not judged:
            return {}
        n_real, n_fake = judged["n_real"], judged["n_fake"]
        return {
            "d_accuracy": (judged["real"] + judged["fake"]) / (n_real + n_fake),
            "d_accuracy_real": judged["real"] / n_real,
            "d_accuracy_fake": judged["fake"] / n_fake,
        }

    @torch.no_grad()
    def _judge(self, real: torch.Tensor, fake: torch.Tensor) -> None:
        """Count the examples D classifies correctly as it stands, in evaluation mode so that no
        dropout draw or batch-norm statistic of training changes."""
        d = self.discriminator
        was_training = d.training
        d.eval()
        try:
            real_right, fake_right = says_real(d, d(real)), ~says_real(d, d(fake))  # one verdict per judgement
        finally:
            d.train(was_training)
        # Counted per verdict, not per example: a discriminator may judge several examples at once.
        counts = {"real": real_right.sum(), "fake": fake_right.sum(),
                  "n_real": real_right.numel(), "n_fake": fake_right.numel()}
        for key, count in counts.items():
            self._judged[key] = self._judged.get(key, 0) + count

    def _update(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, params: list) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        average_gradients(params, self.distributed)
        optimizer.step()

    @staticmethod
    @contextmanager
    def frozen(module: torch.nn.Module) -> Iterator[None]:
        """Stop gradients into ``module``'s parameters (D while G learns), then restore them."""
        params = [p for p in module.parameters() if p.requires_grad]
        for p in params:
            p.requires_grad_(False)
        try:
            yield
        finally:
            for p in params:
                p.requires_grad_(True)
