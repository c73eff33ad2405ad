"""Data parallelism across processes started by ``torchrun``.

ganframe does not wrap networks in ``DistributedDataParallel``. A GAN backpropagates through only
part of itself in each phase, which DDP's wrapper handles badly; instead (as stylegan3 does) the
parameters are broadcast once from rank 0 and, before every optimiser step, the gradients of the
network being updated are averaged across processes with one flattened all-reduce. Every process
then takes the same step and the networks stay identical. Gradient penalties work unchanged,
because they only add to the gradients that get averaged.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TypeVar

import attrs
import torch
import torch.distributed as dist

from .errors import ConfigError

T = TypeVar("T")


@attrs.frozen
class DistributedContext:
    """This process's place among ``world_size`` data-parallel processes."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Only the main process (rank 0) writes files and evaluates."""
        return self.rank == 0


SINGLE_PROCESS = DistributedContext()


def launched_by_torchrun() -> bool:
    """True when ``torchrun`` (or another launcher) set up several processes."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def initialise(device: str) -> DistributedContext:
    """Join the process group ``torchrun`` describes (gloo on CPU, nccl on CUDA); a no-op alone."""
    if not launched_by_torchrun():
        return SINGLE_PROCESS
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", rank))
    uses_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    if not dist.is_initialized():
        if uses_cuda:
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend="nccl" if uses_cuda else "gloo")
    return DistributedContext(rank, world_size, local_rank)


def current() -> DistributedContext:
    """The context of an already initialised process group, or a single process."""
    if not (dist.is_available() and dist.is_initialized()):
        return SINGLE_PROCESS
    rank = dist.get_rank()
    return DistributedContext(rank, dist.get_world_size(), int(os.environ.get("LOCAL_RANK", rank)))


def per_process_batch(batch_size: int, context: DistributedContext) -> int:
    """The global batch split evenly across processes; an uneven split is a config error."""
    if batch_size % context.world_size:
        raise ConfigError(
            f"train.batch_size {batch_size} does not split evenly across {context.world_size} "
            "processes; choose a multiple of the process count"
        )
    return batch_size // context.world_size


def broadcast_parameters(modules: Iterable[torch.nn.Module], context: DistributedContext) -> None:
    """Make every process start from rank 0's parameters and buffers."""
    if not context.enabled:
        return
    for module in modules:
        for tensor in [*module.parameters(), *module.buffers()]:
            dist.broadcast(tensor.data, src=0)


def average_gradients(parameters: list[torch.nn.Parameter], context: DistributedContext) -> None:
    """Average the gradients of ``parameters`` across processes with one all-reduce.

    A parameter that received no gradient in any process keeps none (so the optimiser skips it, as
    it would in one process); one that received a gradient somewhere gets the average, counting the
    processes without one as zeros.
    """
    if not context.enabled or not parameters:
        return
    grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in parameters]
    present = torch.tensor(
        [float(p.grad is not None) for p in parameters], dtype=grads[0].dtype, device=grads[0].device
    )
    flat = torch.cat([g.reshape(-1) for g in grads] + [present])
    dist.all_reduce(flat)
    flat /= context.world_size
    offset = 0
    for index, (parameter, grad) in enumerate(zip(parameters, grads)):
        count = grad.numel()
        received = flat[flat.numel() - len(parameters) + index] > 0
        parameter.grad = flat[offset : offset + count].view_as(grad) if received else None
        offset += count


def average_differentiably(tensors: list[torch.Tensor], context: DistributedContext) -> list[torch.Tensor]:
    """The mean of each tensor across processes, as a differentiable operation.

    The backward pass sums the gradients across processes in turn, so gradients taken through a
    step that uses the average (an unrolled optimiser step, say) are those of the whole batch.
    """
    if not context.enabled or not tensors:
        return list(tensors)
    from torch.distributed.nn.functional import all_reduce

    flat = all_reduce(torch.cat([t.reshape(-1) for t in tensors])) / context.world_size
    return [part.view_as(t) for part, t in zip(flat.split([t.numel() for t in tensors]), tensors)]


def average_scalars(values: dict[str, torch.Tensor], context: DistributedContext) -> dict[str, torch.Tensor]:
    """The mean of each logged scalar across processes (for what rank 0 writes)."""
    if not context.enabled or not values:
        return values
    keys = sorted(values)
    stacked = torch.stack([values[k].detach().float().reshape(()) for k in keys])
    dist.all_reduce(stacked)
    stacked /= context.world_size
    return dict(zip(keys, stacked))


def any_process(flag: bool, context: DistributedContext) -> bool:
    """Whether ``flag`` is true in any process (every process must call this)."""
    if not context.enabled:
        return flag
    value = torch.tensor([1 if flag else 0], dtype=torch.int32, device=_collective_device(context))
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def _collective_device(context: DistributedContext) -> torch.device:
    """Where the backend wants tensors: the process's GPU under nccl, else the CPU."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", context.local_rank)
    return torch.device("cpu")


def gather_objects(obj: object, context: DistributedContext) -> list[object]:
    """``obj`` from every process, in rank order (used for per-process RNG states)."""
    if not context.enabled:
        return [obj]
    out: list[object] = [None] * context.world_size
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj: T, context: DistributedContext) -> T:
    """Rank 0's ``obj`` on every process."""
    if not context.enabled:
        return obj
    holder = [obj]
    dist.broadcast_object_list(holder, src=0)
    return holder[0]


def barrier(context: DistributedContext) -> None:
    if context.enabled:
        dist.barrier()
