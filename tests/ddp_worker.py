"""Run by test_distributed.py under ``torchrun --nproc_per_node=2``: checks data-parallel training.

Each process writes ``rank-N.json`` into the directory given as the first argument, with what it saw.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from ganframe import Experiment, distributed, hookimpl, stopping
from ganframe.cli import exit_promptly
from ganframe.cli import main as cli_main


def gradient_check(context: distributed.DistributedContext) -> float:
    """Averaged gradients of each process's half batch equal the gradient of the whole batch."""
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    x = torch.randn(8, 3, generator=torch.Generator().manual_seed(1))
    half = x.shape[0] // context.world_size
    net(x[context.rank * half : (context.rank + 1) * half]).pow(2).mean().backward()
    distributed.average_gradients(list(net.parameters()), context)
    averaged = torch.cat([p.grad.reshape(-1) for p in net.parameters()])
    whole = torch.nn.Linear(3, 1)
    whole.load_state_dict(net.state_dict())
    whole(x).pow(2).mean().backward()
    expected = torch.cat([p.grad.reshape(-1) for p in whole.parameters()])
    return float((averaged - expected).abs().max())


def parameters_spread(experiment: Experiment) -> float:
    """Largest difference between this process's networks (every role) and rank 0's."""
    flat = torch.cat([p.detach().reshape(-1) for net in experiment.networks.values() for p in net.parameters()])
    reference = flat.clone()
    dist.broadcast(reference, src=0)
    return float((flat - reference).abs().max())


class SignalOnRank:
    """Sends this process SIGTERM after round ``step``, on rank ``rank`` only."""

    def __init__(self, rank: int, step: int) -> None:
        self.rank, self.step = rank, step

    @hookimpl
    def on_step_end(self, experiment, step):
        if step == self.step and experiment.distributed.rank == self.rank:
            os.kill(os.getpid(), signal.SIGTERM)


def stop_one_process(run: Path, context: distributed.DistributedContext) -> tuple[int, int | None]:
    experiment = Experiment.from_setup(
        "toy", seed=3, steps=30, batch_size=64, device="cpu", callbacks=[SignalOnRank(1, 7)]
    )
    handler = stopping.StopAfterRound(experiment.request_stop)
    with stopping.handling(handler):
        experiment.fit(run)
    return experiment.step, handler.signum


def main() -> None:
    out = Path(sys.argv[1])
    context = distributed.initialise("cpu")
    result: dict = {"rank": context.rank, "world_size": context.world_size}
    result["gradient_error"] = gradient_check(context)

    experiment = Experiment.from_setup("toy", seed=3, steps=60, batch_size=64, device="cpu")
    result["per_process_batch"] = experiment.trainer.batch_size
    experiment.fit(out / "api-run")
    result["parameter_spread"] = parameters_spread(experiment)
    result["steps"] = experiment.step

    # A third network role, trained by a plugin's strategy: averaged like the others.
    import family_plugin
    import ganframe_toy

    from ganframe.testing import fresh_plugins

    plugins = fresh_plugins(ganframe_toy, family_plugin, entry_points=False)
    encoder = {"name": "mlp", "input": "data", "output": "noise", "hidden": [8]}
    three = Experiment.from_setup(
        "toy",
        seed=3,
        steps=20,
        batch_size=64,
        device="cpu",
        plugins=plugins,
        overrides={"networks": {"encoder": encoder}, "strategy": "reconstruct"},
    )
    start = [p.detach().clone() for p in three.networks["encoder"].parameters()]
    three.fit()
    result["encoder_spread"] = parameters_spread(three)
    result["encoder_trained"] = any(
        not torch.equal(a, b) for a, b in zip(start, three.networks["encoder"].parameters())
    )

    # SIGTERM reaches one process only (rank 1, after round 7): every process stops after that same
    # round, none waits forever for the others in the next round's gradient averaging.
    result["stopped_at"], result["stopped_by_signal"] = stop_one_process(out / "stopped-run", context)

    # The command line, as a user runs it under torchrun (it leaves the process group at the end).
    result["cli_exit"] = cli_main(
        [
            "train",
            "toy",
            "--steps",
            "40",
            "--seed",
            "1",
            "--device",
            "cpu",
            "--out",
            str(out / "cli-run"),
            "--quiet",
            "--set",
            "train.checkpoint_every=20",
        ]
    )
    (out / f"rank-{context.rank}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main()
    # End as the ganframe program does: the interpreter's teardown of PyTorch's distributed state
    # can abort a process that finished cleanly ("terminate called without an active exception").
    exit_promptly(0)
