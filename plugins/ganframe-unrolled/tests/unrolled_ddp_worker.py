"""Run by test_unrolled.py under ``torchrun --nproc_per_node=2``; writes ``rank-N.json`` into the
directory given as the first argument: whether both processes kept identical networks, and whether
the exact unrolled gradient of G, each process on half the batch, is that of the whole batch."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import ganframe_unrolled
import torch
import torch.distributed as dist
import torch.nn.functional as F
from unrolled_testdata import Points, config

from ganframe import Experiment, NetworkCopy, distributed
from ganframe.cli import exit_promptly
from ganframe.testing import fresh_plugins


def spread(experiment: Experiment) -> float:
    """Largest difference between this process's parameters and rank 0's."""
    flat = torch.cat([p.detach().reshape(-1) for net in experiment.networks.values() for p in net.parameters()])
    reference = flat.clone()
    dist.broadcast(reference, src=0)
    return float((flat - reference).abs().max())


def train(method: str) -> dict:
    plugins = fresh_plugins(ganframe_unrolled, Points(), entry_points=False)
    experiment = Experiment.from_dict(
        config({"name": "unrolled", "unroll_steps": 3, "method": method}, steps=4), plugins=plugins
    )
    before = [p.detach().clone() for p in experiment.generator.parameters()]
    experiment.fit()
    changed = any(not torch.equal(b, p) for b, p in zip(before, experiment.generator.parameters()))
    return {
        "steps": experiment.step,
        "per_process_batch": experiment.trainer.batch_size,
        "spread": spread(experiment),
        "changed": changed,
    }


def unrolled_gradient(context: distributed.DistributedContext, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """G's gradient through two differentiable SGD steps of a copy of D, on the batch (x, z)."""
    torch.manual_seed(0)
    g, d = torch.nn.Linear(3, 2), torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    fake = g(z)
    copy = NetworkCopy.of(d, context)
    for _ in range(2):
        loss = F.softplus(-copy(x)).mean() + F.softplus(copy(fake)).mean()
        grads = copy.gradients(loss)
        copy = copy.with_parameters({name: p - 0.3 * grads[name] for name, p in copy.named_parameters()})
    F.softplus(-copy(fake)).mean().backward()
    distributed.average_gradients(list(g.parameters()), context)
    return torch.cat([p.grad.reshape(-1) for p in g.parameters()])


def main() -> None:
    out = Path(sys.argv[1])
    context = distributed.initialise("cpu")
    result = {method: train(method) for method in ("exact", "first-order")}
    data = torch.Generator().manual_seed(5)
    x, z = torch.randn(8, 2, generator=data), torch.randn(8, 3, generator=data)
    half = slice(context.rank * 4, context.rank * 4 + 4)
    split = unrolled_gradient(context, x[half], z[half])
    whole = unrolled_gradient(distributed.SINGLE_PROCESS, x, z)
    result["gradient_error"] = float((split - whole).abs().max())
    (out / f"rank-{context.rank}.json").write_text(json.dumps(result))
    dist.barrier()  # neither process tears the group down while the other still uses it
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
    # End as the ganframe program does: the interpreter's teardown of PyTorch's distributed state
    # can abort a process that finished cleanly ("terminate called without an active exception").
    exit_promptly(0)
