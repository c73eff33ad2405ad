"""Class-conditional GANs (``conditional = true``) for labelled data sets, with any networks.

A labelled :class:`~ganframe.data.Dataset` has ``labels`` (int64, one per example) and
``num_classes``. In a conditional experiment the label travels with every example, so losses,
strategies and the trainer work unchanged:

* a real example becomes ``[x flattened, one-hot label]`` (:class:`JoinedLabels`);
* the noise becomes ``[z, one-hot label]`` with a uniformly drawn label (:class:`LabelledNoise`):
  the generator is built for noise of ``dim + num_classes`` — the label is joined to its noise;
* :class:`ConditionalGenerator` returns the generated example joined with the label it was asked for;
* :class:`ProjectionDiscriminator` (Miyato & Koyama 2018) scores ``D(x) + ⟨embed(y), φ(x)⟩``, where
  ``φ(x)`` is what D's last linear layer reads: the label is embedded and joined to D's features.
  With ``conditional_input = true`` D also reads the label at its input: it judges the joined
  ``[x, y]`` (built for flat examples, as fully connected discriminators are).

Samples in data space are the examples alone; :meth:`ganframe.Experiment.sample` takes ``labels``.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .components import discriminator_output
from .data import Dataset, DataSource
from .errors import ConfigError
from .nn import last_linear, numel, with_last_linear_input


def require_labels(data: DataSource, name: str) -> int:
    """The number of classes of a labelled data set; a ConfigError for any other data source."""
    labels, classes = getattr(data, "labels", None), getattr(data, "num_classes", None)
    if not isinstance(data, Dataset) or labels is None or not isinstance(classes, int) or classes < 2:
        raise ConfigError(
            f"conditional = true needs a labelled data set (with labels and num_classes); "
            f"data source {name!r} has no labels"
        )
    if not isinstance(labels, torch.Tensor) or labels.shape != (len(data),):
        raise ConfigError(f"data source {name!r}: labels must be a tensor of {len(data)} class numbers")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ConfigError(f"data source {name!r}: labels must lie in 0..{classes - 1}")
    return classes


def label_tensor(labels: int | Sequence[int] | torch.Tensor, n: int, classes: int) -> torch.Tensor:
    """``labels`` as an int64 CPU tensor of ``n`` classes: one label for all, or one per sample."""
    tensor = torch.as_tensor(labels)
    if tensor.dtype == torch.bool or tensor.is_floating_point() or tensor.is_complex():
        raise ConfigError(f"labels must be class numbers 0..{classes - 1}, got {labels!r}")
    tensor = tensor.to(torch.int64).reshape(-1)
    if tensor.numel() == 1:
        tensor = tensor.expand(n)
    if tensor.numel() != n:
        raise ConfigError(f"give one label or one per sample: {tensor.numel()} labels for {n} samples")
    if int(tensor.min()) < 0 or int(tensor.max()) >= classes:
        raise ConfigError(f"labels must lie in 0..{classes - 1}, got {sorted(set(tensor.tolist()))[:10]}")
    return tensor


class JoinedLabels(Dataset):
    """A labelled data set whose examples are ``[x flattened, one-hot label]`` in model space."""

    def __init__(self, inner: Dataset, classes: int) -> None:
        self.inner, self.classes = inner, classes
        labels = getattr(inner, "labels", None)  # checked by require_labels
        if not isinstance(labels, torch.Tensor):
            raise ConfigError("conditional = true needs a labelled data set (with labels and num_classes)")
        self.inner_labels = labels  # (N,) class numbers
        self.example_shape = tuple(inner.sample_shape)
        self.sample_shape = (numel(self.example_shape) + classes,)
        self.discrete = inner.discrete

    def __len__(self) -> int:
        return len(self.inner)

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        x = self.inner.get(indices)
        y = F.one_hot(self.inner_labels[indices], self.classes).to(x.dtype)
        return torch.cat([x.reshape(len(x), -1), y], dim=1)

    def load_batches(self, index_batches: Iterator[torch.Tensor]) -> Iterator[torch.Tensor]:
        """The inner data set's stream (its decoding workers, if any), each batch joined with its labels."""
        pending: collections.deque[torch.Tensor] = collections.deque()  # indices read, batch not returned yet

        def recorded() -> Iterator[torch.Tensor]:
            for indices in index_batches:
                pending.append(indices)
                yield indices

        batches = self.inner.load_batches(recorded())
        try:
            for x in batches:  # (B, *example_shape)
                y = F.one_hot(self.inner_labels[pending.popleft()], self.classes).to(x.dtype)  # (B, classes)
                yield torch.cat([x.reshape(len(x), -1), y], dim=1)  # (B, features + classes)
        finally:
            getattr(batches, "close", lambda: None)()

    def split(self, joined: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(examples (B, *example_shape), one-hot labels (B, classes))``."""
        return joined[:, : -self.classes].reshape(len(joined), *self.example_shape), joined[:, -self.classes :]

    def to_data_space(self, joined: torch.Tensor) -> torch.Tensor:
        return self.inner.to_data_space(self.split(joined)[0])

    def reference_samples(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.inner.reference_samples(n, generator)


class LabelledNoise:
    """``[z, one-hot label]``: the inner noise joined with a label, uniform unless given."""

    def __init__(self, inner, classes: int) -> None:
        self.inner, self.classes = inner, classes
        self.dim = inner.dim + classes

    def sample(
        self, n: int, *, generator: torch.Generator, device: torch.device, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        z = self.inner.sample(n, generator=generator, device=device)
        if labels is None:
            labels = torch.randint(self.classes, (n,), generator=generator, device=device)
        return torch.cat([z, F.one_hot(labels.to(device), self.classes).to(z.dtype)], dim=1)


class ConditionalGenerator(nn.Module):
    """Wraps a generator of ``noise + label`` inputs; returns ``[example flattened, the label]``."""

    def __init__(self, inner: nn.Module, classes: int) -> None:
        super().__init__()
        self.inner, self.classes = inner, classes

    def forward(self, noise: torch.Tensor) -> torch.Tensor:
        x = self.inner(noise)  # (B, *example_shape)
        return torch.cat([x.reshape(len(x), -1), noise[:, -self.classes :]], dim=1)


class ProjectionDiscriminator(nn.Module):
    """``D(x) + ⟨embed(y), φ(x)⟩`` for a discriminator with one logit per example and a last linear layer."""

    def __init__(self, inner: nn.Module, data: JoinedLabels, name: str, joined_input: bool = False) -> None:
        super().__init__()
        self.joined_input = joined_input  # inner judges [x, one-hot y] (conditional_input), else x
        if discriminator_output(inner) != "logits":
            raise ConfigError(
                f"conditional = true needs a discriminator that outputs logits; "
                f'set the output of discriminator {name!r} to "logits"'
            )
        try:
            _, _, head = last_linear(inner)
        except ValueError as exc:
            raise ConfigError(
                f"conditional = true: discriminator {name!r} {exc}, which the label is joined to"
            ) from None
        if head.out_features != 1:
            raise ConfigError(
                f"conditional = true needs one score per example; discriminator {name!r} gives {head.out_features}"
            )
        self.inner, self.data = inner, data
        self.output = "logits"
        self.embed = nn.Linear(data.classes, head.in_features, bias=False)  # one embedding per class
        nn.init.zeros_(self.embed.weight)  # no say at first: D starts as the unconditional one

    def forward(self, joined: torch.Tensor) -> torch.Tensor:
        x, y = self.data.split(joined)
        # score (B, 1); features (B, F): what the last linear layer read
        score, features = with_last_linear_input(self.inner, joined if self.joined_input else x)
        return score + (self.embed(y) * features).sum(dim=1, keepdim=True)
