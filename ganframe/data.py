"""Sources of real data: sampled distributions and finite data sets.

The trainer draws real batches from either kind through :class:`RealBatches`, which keeps data
order a pure function of the seed and the step: a resumed run sees the same batches as an
uninterrupted one, and each DDP process takes its own slice of every global batch. A data set
that reads files can load batches ahead (in worker processes) through :meth:`Dataset.load_batches`.
"""

from __future__ import annotations

import atexit
import weakref
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch


class DataSource(ABC):
    """Common ground of :class:`Distribution` and :class:`Dataset`.

    ``sample_shape`` is the shape of one example in model space (what the networks see).
    ``discrete`` says that data-space samples are integers (``to_data_space`` returns int64).
    """

    sample_shape: tuple[int, ...] = ()
    discrete: bool = False

    def to_data_space(self, x: torch.Tensor) -> torch.Tensor:
        """Map model-space samples to data space (decode, rescale); identity by default."""
        return x

    @property
    def reference_distribution(self) -> Any | None:
        """A frozen ``scipy.stats`` distribution of the real data in data space, when known."""
        return None

    @abstractmethod
    def reference_samples(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` real examples in data space, for metrics that compare against real data."""


class Distribution(DataSource):
    """Real data you can sample afresh for every batch (an analytic distribution)."""

    @abstractmethod
    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        """``(n, *sample_shape)`` real examples in model space."""

    def reference_samples(self, n: int, generator: torch.Generator) -> torch.Tensor:
        return self.to_data_space(self.sample(n, generator=generator, device=torch.device("cpu")))


class Dataset(DataSource):
    """A finite set of real examples, reshuffled every epoch.

    A labelled data set also has ``labels`` (an int64 tensor with one class number per example)
    and ``num_classes``; conditional experiments (``conditional = true``) need both.
    """

    @abstractmethod
    def __len__(self) -> int:
        """Number of examples."""

    @abstractmethod
    def get(self, indices: torch.Tensor) -> torch.Tensor:
        """The examples at ``indices`` (a 1-D int64 CPU tensor) in model space."""

    def load_batches(self, index_batches: Iterator[torch.Tensor]) -> Iterator[torch.Tensor]:
        """The examples of each batch of indices, in order (model space). By default get() for each; a
        data set that decodes files overrides it to decode ahead in worker processes.

        ``index_batches`` may be endless: yield one batch per index batch, as it is asked for.
        :class:`RealBatches` closes the iterator (``close()``, when it has one) when it starts another,
        when it is closed, and at exit, so a generator can stop its workers in a ``finally`` block.
        """
        return (self.get(indices) for indices in index_batches)

    def reference_samples(self, n: int, generator: torch.Generator) -> torch.Tensor:
        size = len(self)
        indices = torch.randperm(size, generator=generator)[: min(n, size)]
        return self.to_data_space(self.get(indices))


def stream_seed(seed: int, *keys: int) -> int:
    """A well-mixed 63-bit seed for one random stream, derived from the experiment's seed."""
    state = np.random.SeedSequence([seed, *keys]).generate_state(2, dtype=np.uint32)
    return int(state[0]) << 31 | int(state[1]) >> 1


class RealBatches:
    """Real batches for one process, as a function of the step.

    For a :class:`Distribution` every batch is drawn from ``generator`` (whose state the trainer
    saves in checkpoints). For a :class:`Dataset` the order is a permutation per epoch, seeded by
    (seed, epoch), and the global batch at a step is split across processes; the last incomplete
    batch of an epoch is dropped so every step sees a full batch.

    A data set's batches come from one stream, ``data.load_batches(index batches of draw, draw + 1,
    ...)``, kept from call to call so the data set can load ahead. A draw other than the next one
    (the first, a resumed run's, any out of order) starts a new stream there; as the indices of a
    draw depend on nothing else, the batches are the same either way. :meth:`close` ends the stream.
    """

    def __init__(
        self,
        data: DataSource,
        *,
        batch_size: int,
        seed: int,
        rank: int,
        world_size: int,
        generator: torch.Generator,
        device: torch.device,
    ) -> None:
        self.data = data
        self.batch_size = batch_size  # per process
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.generator, self.device = generator, device
        self._stream: Iterator[torch.Tensor] | None = None
        self._next_draw = 0  # the draw the stream yields next
        if isinstance(data, Dataset):
            global_batch = batch_size * world_size
            if len(data) < global_batch:
                from .errors import ConfigError

                raise ConfigError(
                    f"the data set has {len(data)} examples, fewer than one batch of {global_batch}; "
                    "lower train.batch_size"
                )

    @property
    def steps_per_epoch(self) -> int | None:
        """Full global batches per epoch, or None for a distribution."""
        if isinstance(self.data, Dataset):
            return len(self.data) // (self.batch_size * self.world_size)
        return None

    def batch(self, draw: int) -> torch.Tensor:
        """The ``draw``-th real batch of this process (draws are counted from the start of training)."""
        if isinstance(self.data, Distribution):
            return self.data.sample(self.batch_size, generator=self.generator, device=self.device)
        assert isinstance(self.data, Dataset)
        if self._stream is None or draw != self._next_draw:
            self.close()
            self._stream = self.data.load_batches(self.index_batches(draw))
            _open.add(self)
        try:
            batch = next(self._stream)
        except BaseException:
            self.close()  # a stream that raised is finished: the next call starts afresh
            raise
        self._next_draw = draw + 1
        return batch.to(self.device, non_blocking=True)

    def index_batches(self, draw: int) -> Iterator[torch.Tensor]:
        """The indices of draws ``draw``, ``draw + 1``, ... without end, one ``(batch_size,)`` tensor each."""
        per_epoch, data = self.steps_per_epoch, self.data
        assert per_epoch is not None and isinstance(data, Dataset)  # only a finite data set has epochs
        epoch, order = None, torch.empty(0, dtype=torch.int64)
        while True:
            if draw // per_epoch != epoch:
                epoch = draw // per_epoch
                permutation = torch.Generator().manual_seed(stream_seed(self.seed, 100, epoch))
                order = torch.randperm(len(data), generator=permutation)  # (N,)
            start = ((draw % per_epoch) * self.world_size + self.rank) * self.batch_size
            yield order[start : start + self.batch_size]
            draw += 1

    def close(self) -> None:
        """End the data set's stream (its worker processes, if any); the next batch starts a new one."""
        stream, self._stream = self._stream, None
        _open.discard(self)
        close = getattr(stream, "close", None)
        if close is not None:
            close()


_open: weakref.WeakSet[RealBatches] = weakref.WeakSet()  # with a stream open: closed at exit


@atexit.register
def _close_streams() -> None:
    """Close the streams still open when the program ends, so that worker processes stop cleanly.

    Registered after PyTorch's and multiprocessing's own exit functions, so it runs before them
    (``ganframe.cli.exit_promptly`` runs these functions too).
    """
    for batches in list(_open):
        batches.close()
