"""The interfaces components implement, and what their factories receive.

Interfaces are ``typing.Protocol`` classes: a component needs the right methods, not a base class.
Data sources are the exception: :mod:`ganframe.data` gives them two small base classes because the
trainer treats a sampled distribution and a finite data set differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs
import torch

if TYPE_CHECKING:
    from .data import DataSource
    from .trainer import Trainer


@attrs.frozen(kw_only=True)
class BuildContext:
    """What a component factory may need to know besides its own config.

    ``data`` is None while the data source itself is being built; ``parameters`` is set only when
    an optimiser is being built.
    """

    seed: int
    device: torch.device
    batch_size: int  # per process: the global batch divided by the number of DDP processes
    data: DataSource | None = None
    noise_dim: int | None = None
    parameters: Iterable[torch.nn.Parameter] | None = None
    steps: int = 0
    role: str | None = None  # "generator" or "discriminator" while a network extra is built

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """The shape of one real example, as the networks see it (model space)."""
        if self.data is None:
            raise RuntimeError("sample_shape is not known before the data source is built")
        return self.data.sample_shape


@runtime_checkable
class Noise(Protocol):
    """Latent noise for the generator."""

    dim: int

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        """``(n, dim)`` noise drawn with ``generator`` on ``device``."""
        ...


@runtime_checkable
class Loss(Protocol):
    """An adversarial loss: what D minimises and what G minimises."""

    def discriminator_loss(
        self, discriminator: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor:
        """Scalar loss for D on a real batch and a (detached) fake batch."""
        ...

    def generator_loss(
        self, discriminator: torch.nn.Module, fake: torch.Tensor, real: torch.Tensor | None
    ) -> torch.Tensor:
        """Scalar loss for G; ``real`` is the latest real batch, or None before the first D step."""
        ...


@runtime_checkable
class Strategy(Protocol):
    """Decides what one training round does: which network updates, how often, in what order."""

    def train_round(self, trainer: Trainer) -> Mapping[str, torch.Tensor]:
        """Run one round through ``trainer`` and return detached scalar tensors to log."""
        ...


@attrs.frozen(kw_only=True)
class MetricContext:
    """What a metric may use besides the samples: the real data and a seeded random generator."""

    data: DataSource
    generator: torch.Generator
    device: torch.device


@runtime_checkable
class Metric(Protocol):
    """Scores generated samples (in data space): name → value."""

    def __call__(self, samples: torch.Tensor, context: MetricContext) -> Mapping[str, float]:
        ...


def discriminator_output(discriminator: torch.nn.Module) -> str:
    """``"logits"`` or ``"probabilities"``: what a discriminator's scores are."""
    module = getattr(discriminator, "module", discriminator)  # unwrap DDP
    return getattr(module, "output", "logits")


def says_real(discriminator: torch.nn.Module, scores: torch.Tensor) -> torch.Tensor:
    """``(B,)`` booleans: which examples a discriminator's ``scores`` ``(B, ...)`` call real.

    One score per example: a logit above 0, or a probability above 0.5. Two logits per example
    (the ``softmax-cross-entropy`` loss's class 1 is real): the real logit is the larger; a tie
    counts as fake, as argmax takes the first class.
    """
    from .errors import ConfigError

    output = discriminator_output(discriminator)
    flat = scores.reshape(scores.shape[0], -1)  # (B, scores per example)
    if flat.shape[1] == 1:
        return flat[:, 0] > (0.5 if output == "probabilities" else 0.0)
    if flat.shape[1] == 2 and output == "logits":
        return flat.argmax(dim=1) == 1
    raise ConfigError(
        f"cannot tell which examples the discriminator calls real from {flat.shape[1]} {output} per "
        "example; train.d_accuracy needs one score or two logits per example"
    )


def require_attrs(obj: Any, kind: str, name: str, *methods: str) -> Any:
    """Fail early, naming the component, when a factory returned something without ``methods``."""
    from .errors import PluginError

    missing = [m for m in methods if not hasattr(obj, m)]
    if missing:
        raise PluginError(f"{kind} {name!r} built a {type(obj).__name__} without {', '.join(missing)}")
    return obj
