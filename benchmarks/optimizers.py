"""Adam's three PyTorch implementations on each setup's own networks: which is fastest on this machine.

ganframe's ``adam`` optimiser has ``implementation = "auto"`` (the default: ``fused`` where the
parameters' device supports it), ``"fused"``, ``"foreach"`` or ``"for-loop"``. This measures one
optimiser step (gradients already there) of each implementation on the generator and the
discriminator of each setup's default preset, interleaved, one thread, and prints the median
microseconds per step and the speed-up of ``fused`` over PyTorch's default on this device. Usage::

    .venv/bin/python benchmarks/optimizers.py [--setups gaussian,even,gaussian2d,ring,mnist] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

import ganframe

IMPLEMENTATIONS = {"for-loop": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}
SETUPS = ["gaussian", "even", "gaussian2d", "ring", "mnist"]


def step_microseconds(parameters: list[torch.nn.Parameter], options: dict, steps: int) -> float:
    copies = [torch.nn.Parameter(p.detach().clone()) for p in parameters]
    for p in copies:
        p.grad = torch.randn_like(p)
    optimizer = torch.optim.Adam(copies, lr=1e-4, betas=(0.5, 0.999), **options)
    for _ in range(5):  # warm up: allocate the state
        optimizer.step()
    started = time.perf_counter()
    for _ in range(steps):
        optimizer.step()
    return (time.perf_counter() - started) / steps * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setups", default=",".join(SETUPS))
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(
        "| setup | network | parameters | for-loop µs | foreach µs | fused µs | fused speed-up over PyTorch's default |"
    )
    print("|---|---|---|---|---|---|---|")
    for setup in [s for s in args.setups.split(",") if s]:
        try:
            experiment = ganframe.Experiment.from_setup(setup, steps=1, device="cpu")
        except ganframe.GanframeError as exc:  # e.g. MNIST without its data here
            print(f"| {setup} | skipped: {exc} | | | | | |")
            continue
        for role, network in experiment.networks.items():
            parameters = [p for p in network.parameters() if p.requires_grad]
            count = sum(p.numel() for p in parameters)
            steps = max(20, min(2000, 2_000_000 // max(count, 1)))
            times: dict[str, list[float]] = {name: [] for name in IMPLEMENTATIONS}
            for _ in range(args.repeats):
                for name, options in IMPLEMENTATIONS.items():
                    times[name].append(step_microseconds(parameters, options, steps))
            median = {name: statistics.median(values) for name, values in times.items()}
            # PyTorch's default on the CPU is the for-loop; on CUDA, foreach
            default = median["for-loop"]
            print(
                f"| {setup} | {role} | {count:,} | {median['for-loop']:.0f} | {median['foreach']:.0f} | "
                f"{median['fused']:.0f} | {default / median['fused']:.1f}× |"
            )


if __name__ == "__main__":
    main()
