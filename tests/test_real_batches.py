"""RealBatches streams a data set's batches through ``Dataset.load_batches``: one stream while draws
follow each other, a new one at any other draw, and the same indices as drawing each batch alone."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import pytest
import torch

from ganframe.data import Dataset, RealBatches, _close_streams, stream_seed


def reference_indices(size: int, batch_size: int, seed: int, rank: int, world_size: int, draw: int) -> torch.Tensor:
    """The indices of a draw as RealBatches chose them before it streamed (one permutation per epoch,
    each process its slice of the global batch, the last incomplete batch of an epoch dropped)."""
    epoch, position = divmod(draw, size // (batch_size * world_size))
    order = torch.randperm(size, generator=torch.Generator().manual_seed(stream_seed(seed, 100, epoch)))
    start = (position * world_size + rank) * batch_size
    return order[start : start + batch_size]


class Numbers(Dataset):
    """Example ``i`` is ``[i]``; records each stream it opens, the index batches it reads, and closes."""

    sample_shape = (1,)

    def __init__(self, size: int) -> None:
        self.size = size
        self.streams: list[list[torch.Tensor]] = []  # per stream: the index batches read so far
        self.closed = 0

    def __len__(self) -> int:
        return self.size

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        return indices.float().unsqueeze(1)  # (B, 1)

    def load_batches(self, index_batches: Iterator[torch.Tensor]) -> Iterator[torch.Tensor]:
        read: list[torch.Tensor] = []
        self.streams.append(read)
        try:
            for indices in index_batches:
                read.append(indices)
                yield self.get(indices)
        finally:
            self.closed += 1


def batches_of(data: Dataset, *, batch_size: int = 3, seed: int = 5, rank: int = 0, world_size: int = 1) -> RealBatches:
    return RealBatches(
        data,
        batch_size=batch_size,
        seed=seed,
        rank=rank,
        world_size=world_size,
        generator=torch.Generator(),
        device=torch.device("cpu"),
    )


def test_consecutive_draws_come_from_one_stream_in_order_across_epochs():
    data = Numbers(10)  # batches of 3: 3 per epoch, example 10 - 9 = 1 left out of each epoch
    batches = batches_of(data)
    for draw in range(8):
        expected = reference_indices(10, 3, 5, 0, 1, draw)
        assert torch.equal(batches.batch(draw), expected.float().unsqueeze(1)), draw
    assert len(data.streams) == 1 and data.closed == 0
    assert [len(set(torch.cat(data.streams[0][e * 3 : e * 3 + 3]).tolist())) for e in (0, 1)] == [9, 9]


@pytest.mark.parametrize("draws", [[0, 1, 2, 7, 8, 9], [4, 5, 1, 2], [3, 3, 4], [6, 0, 1]])
def test_a_draw_out_of_order_starts_a_new_stream_there_with_the_same_batches(draws):
    data = Numbers(10)
    batches = batches_of(data)
    for draw in draws:
        assert torch.equal(batches.batch(draw).squeeze(1).long(), reference_indices(10, 3, 5, 0, 1, draw)), draw
    restarts = 1 + sum(1 for before, after in pairwise(draws) if after != before + 1)
    assert len(data.streams) == restarts and data.closed == restarts - 1  # each earlier stream was closed


def test_a_resumed_run_opens_its_stream_at_its_draw():
    data = Numbers(12)
    batches_of(data).batch(5)
    assert len(data.streams) == 1
    assert torch.equal(data.streams[0][0], reference_indices(12, 3, 5, 0, 1, 5))


@pytest.mark.parametrize("world_size", [1, 2, 3])
def test_each_process_gets_the_indices_it_got_before_streaming(world_size):
    size, batch_size = 40, 4
    for rank in range(world_size):
        batches = batches_of(Numbers(size), batch_size=batch_size, rank=rank, world_size=world_size)
        for draw in range(9):
            got = batches.batch(draw).squeeze(1).long()
            assert torch.equal(got, reference_indices(size, batch_size, 5, rank, world_size, draw)), (rank, draw)


def test_the_default_load_batches_is_get_for_each_batch():
    class Plain(Dataset):
        def __len__(self) -> int:
            return 7

        def get(self, indices: torch.Tensor) -> torch.Tensor:
            return indices.float() * 10

    batches = batches_of(Plain(), batch_size=2)
    assert [batches.batch(d).tolist() for d in range(4)] == [
        (reference_indices(7, 2, 5, 0, 1, d).float() * 10).tolist() for d in range(4)
    ]


def test_close_ends_the_stream_and_the_next_draw_opens_another():
    data = Numbers(10)
    batches = batches_of(data)
    batches.batch(0)
    batches.close()
    assert data.closed == 1
    batches.close()  # nothing open: nothing happens
    assert torch.equal(batches.batch(1).squeeze(1).long(), reference_indices(10, 3, 5, 0, 1, 1))
    assert (len(data.streams), data.closed) == (2, 1)


def test_streams_still_open_are_closed_when_the_program_ends():
    data = Numbers(10)
    batches_of(data).batch(0)
    _close_streams()  # what atexit runs (ganframe.cli.exit_promptly too)
    assert data.closed == 1


def test_a_stream_that_raised_is_replaced_by_a_new_one():
    class Failing(Numbers):
        def get(self, indices: torch.Tensor) -> torch.Tensor:
            if len(self.streams) == 1 and len(self.streams[0]) == 2:
                raise OSError("disk gone")
            return super().get(indices)

    data = Failing(10)
    batches = batches_of(data)
    batches.batch(0)
    with pytest.raises(OSError, match="disk gone"):
        batches.batch(1)
    assert torch.equal(batches.batch(1).squeeze(1).long(), reference_indices(10, 3, 5, 0, 1, 1))
    assert len(data.streams) == 2
