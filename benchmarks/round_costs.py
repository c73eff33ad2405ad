"""What ganframe adds to a training round, piece by piece, in CPU microseconds (a diagnosis, not a goal).

For one setup's default preset, in this process's CPU time (which other work on a shared machine
disturbs less than the wall clock):

* ganframe's whole overhead per round, with the preset's batch replaced by 8 examples so that the
  arithmetic is negligible and what is left is the Python and dispatch work of a round: the
  hand-written loop, ganframe's strategy round alone, ``fit()``, ``fit(RUN_DIR)`` without and with
  figures, interleaved, medians of the repetitions;

and each piece of that work timed on its own, as the best of 5 repeats of many calls:

* the strategy's round alone (``strategy.train_round(trainer)``) against the hand-written loop's
  round, interleaved: what the trainer, the loss and the networks cost beyond plain PyTorch;
* the training loop's own work each round: the ``train_round`` hook call, ``step_schedules``, the
  ``on_step_end`` hook with every plugin a ``fit(RUN_DIR)`` with figures registers (and each
  plugin's implementation on its own), ``epoch_log.add``;
* pieces of the trainer: ``frozen(D)`` around every G step, ``update``'s bookkeeping, the real and
  noise batches against plain ``torch.randn``;
* work every k rounds, per round: a figure snapshot, a metrics row, the divergence guard's check of
  the weights;
* setup-specific: ``gaussian2d``'s D accuracy (``straight-dope`` judges both batches again in
  evaluation mode), ``even``'s minibatch discrimination (ganframe's kernel against ``torch.cdist``).

It reaches into ganframe's internals (``trainer.frozen``, ``experiment._call``...), which change;
a piece whose internals moved is reported as "n/a" with the reason. Usage::

    .venv/bin/python benchmarks/round_costs.py [SETUP ...]     # default: gaussian even gaussian2d
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import equivalence
from handwritten import even as hw_even
from handwritten import gaussian as hw_gaussian
from handwritten import gaussian2d as hw_gaussian2d

from ganframe import Experiment

HANDWRITTEN = {"gaussian": hw_gaussian, "even": hw_even, "gaussian2d": hw_gaussian2d}


def cpu_us(function: Callable[[], object], calls: int = 1000, repeats: int = 5) -> float:
    """CPU microseconds per call: the best of ``repeats`` runs of ``calls`` calls."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(calls):
            function()
        best = min(best, (time.process_time() - started) / calls)
    return 1e6 * best


def _experiment(setup: str, steps: int | None = 10**6) -> Experiment:
    overrides = {"data.data_dir": equivalence.mnist_dir()} if setup == "mnist" else {}
    experiment = Experiment.from_setup(setup, seed=0, steps=steps, device="cpu", overrides=overrides)
    for network in experiment.networks.values():
        network.train()
    return experiment


def rounds_against_handwritten(setup: str, rounds: int = 100, repeats: int = 7) -> tuple[float, float]:
    """CPU µs per round of ``strategy.train_round`` alone and of the hand-written round (medians, interleaved)."""
    experiment = _experiment(setup)
    loop = HANDWRITTEN[setup].Loop("default", seed=0, total_steps=10**6)
    trainer, strategy = experiment.trainer, experiment.strategy
    ours, theirs = [], []

    def strategy_rounds() -> None:
        for _ in range(rounds):
            strategy.train_round(trainer)

    strategy_rounds()
    loop.train(rounds)  # warm up both
    for _ in range(repeats):
        started = time.process_time()
        loop.train(rounds)
        theirs.append(time.process_time() - started)
        started = time.process_time()
        strategy_rounds()
        ours.append(time.process_time() - started)
    return 1e6 * statistics.median(ours) / rounds, 1e6 * statistics.median(theirs) / rounds


def overhead(setup: str, batch: int = 8, rounds: int = 1000, repeats: int = 3) -> list[tuple[str, float]]:
    """(what, CPU µs per round) at a batch of ``batch``: the hand-written loop, then ganframe's ways
    of training the same rounds (see the module's docstring)."""
    from round_clock import RoundClock  # the suite's round timer (a lifecycle callback)

    options = {"train.batch_size": batch, "evaluation.metrics": [], "evaluation.samples": 100}

    def handwritten() -> float:
        loop = HANDWRITTEN[setup].Loop("default", seed=0, total_steps=rounds, batch=batch)
        loop.train(rounds)
        return loop.clock.cpu_seconds / rounds

    def strategy() -> float:
        experiment = Experiment.from_setup(setup, seed=0, steps=rounds, device="cpu", overrides=options)
        for network in experiment.networks.values():
            network.train()
        trainer, strategy = experiment.trainer, experiment.strategy
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            started = time.process_time()
            for _ in range(rounds):
                strategy.train_round(trainer)
            return (time.process_time() - started) / rounds
        finally:
            torch.set_num_threads(threads)

    def fit(run_dir: bool, plots: bool) -> Callable[[], float]:
        def run() -> float:
            clock = RoundClock()
            experiment = Experiment.from_setup(
                setup,
                seed=0,
                steps=rounds,
                device="cpu",
                callbacks=[clock],
                overrides={**options, "logging.plots": plots},
            )
            with tempfile.TemporaryDirectory() as tmp:
                experiment.fit(Path(tmp) / "run" if run_dir else None)
            return clock.cpu_seconds / rounds

        return run

    variants = {
        "hand-written loop": handwritten,
        "ganframe: the strategy's rounds alone": strategy,
        "ganframe: `fit()`": fit(False, False),
        "ganframe: `fit(RUN_DIR)`, plots off": fit(True, False),
        "ganframe: `fit(RUN_DIR)` with figures": fit(True, True),
    }
    times: dict[str, list[float]] = {name: [] for name in variants}
    for run in variants.values():  # warm up
        run()
    for _ in range(repeats):
        for name, run in variants.items():
            times[name].append(run())
    return [(name, 1e6 * statistics.median(values)) for name, values in times.items()]


def pieces(setup: str) -> list[tuple[str, str, float | str]]:
    """(what, how often, CPU µs per call or "n/a: why") for each piece of ganframe's per-round work."""
    rows: list[tuple[str, str, float | str]] = []

    def measure(what: str, often: str, function: Callable[[], Callable[[], object]], calls: int = 1000) -> None:
        try:
            rows.append((what, often, cpu_us(function(), calls)))
        except Exception as exc:  # internals moved: say so, measure the rest
            rows.append((what, often, f"n/a: {type(exc).__name__}: {exc}"))

    experiment = _experiment(setup, steps=None)  # the preset's schedule: snapshots fall as in a real run
    trainer, train = experiment.trainer, experiment.config.train
    logs = {key: value.detach() for key, value in experiment.strategy.train_round(trainer).items()}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        # the training loop, each round
        def noop_round():
            plugin = experiment.hooks.get_plugin("ganframe.strategy")
            real, plugin.strategy = plugin.strategy, type("Noop", (), {"train_round": lambda self, t: logs})()
            runner = getattr(experiment, "_train_round", None) or (
                lambda: experiment._call(experiment.hooks.hook.train_round, trainer=trainer)
            )
            return lambda: runner(), lambda: setattr(plugin, "strategy", real)

        try:
            call, restore = noop_round()
            rows.append(
                ("`train_round` hook call (pluggy, precision context), the strategy aside", "1 a round", cpu_us(call))
            )
            restore()
        except Exception as exc:
            rows.append(("`train_round` hook call", "1 a round", f"n/a: {type(exc).__name__}: {exc}"))
        from ganframe.schedules import step_schedules

        schedules = _experiment(setup, steps=10**9).schedules.values()
        measure(
            "`step_schedules`: every role's `LambdaLR.step()` in `warnings.catch_warnings`",
            "1 a round",
            lambda: lambda: step_schedules(schedules),
        )

        def catch():
            with warnings.catch_warnings():
                warnings.filterwarnings(
                    "ignore", message=r"Detected call of `lr_scheduler\.step\(\)` before", category=UserWarning
                )

        measure("   of which `warnings.catch_warnings` + `filterwarnings` alone", "1 a round", lambda: catch)
        groups = [group for optimizer in experiment.optimizers.values() for group in optimizer.param_groups]

        def set_rates():
            for group in groups:
                group["lr"] = group["lr"]

        measure("   against: setting every learning rate directly", "1 a round", lambda: set_rates)

        run_dir = Path(tempfile.mkdtemp()) / "run"
        callbacks = experiment._register(experiment._call(experiment.hooks.hook.fit_callbacks, run_dir=run_dir))
        experiment._call(experiment.hooks.hook.on_experiment_start, step=0)
        quiet = 1 + max(train.log_every, 2) // 2  # a round that writes no row and takes no snapshot
        while any(quiet in getattr(c, "steps", ()) for c in callbacks) or quiet % train.log_every == 0:
            quiet += 1
        measure(
            "`on_step_end` hook, every plugin of `fit(RUN_DIR)` with figures (a round that writes nothing)",
            "1 a round",
            lambda: lambda: experiment._call(experiment.hooks.hook.on_step_end, step=quiet, logs=logs),
        )
        for impl in experiment.hooks.hook.on_step_end.get_hookimpls():
            arguments = {
                key: value
                for key, value in {"experiment": experiment, "step": quiet, "logs": logs}.items()
                if key in impl.argnames
            }
            measure(
                f"   `{impl.plugin_name}` `on_step_end`",
                "1 a round",
                lambda impl=impl, arguments=arguments: lambda: impl.function(**arguments),
            )
        measure("`epoch_log.add`", "1 a round", lambda: lambda: experiment.epoch_log.add(quiet, logs))

        # work every k rounds
        for callback in callbacks:
            if hasattr(callback, "snapshot") and getattr(callback, "steps", None):
                every = train.steps / max(len(callback.steps) - 1, 1)
                measure(
                    f"figure snapshot (`{type(callback).__name__}.snapshot`)",
                    f"every {every:,.0f} rounds of the full schedule",
                    lambda c=callback: lambda: c.snapshot(quiet),
                    calls=20,
                )
            if hasattr(callback, "flush_logs"):
                measure(
                    "metrics row (`RunWriter.flush_logs`, after a round's logs were added)",
                    f"every {train.log_every} rounds",
                    lambda c=callback: lambda: (c._means.add(logs), c.flush_logs(quiet)),
                    calls=200,
                )
            if hasattr(callback, "_check_weights"):
                measure(
                    "divergence guard's weight check (`_check_weights`)",
                    f"every {train.log_every} rounds",
                    lambda c=callback: lambda: c._check_weights(quiet),
                    calls=200,
                )
        experiment._call(experiment.hooks.hook.on_train_end, step=quiet)
        for callback in callbacks:
            experiment.hooks.unregister(callback)
            getattr(callback, "_close_metrics", lambda: None)()
            getattr(getattr(callback, "_lock", None), "release", lambda: None)()

        # the trainer
        discriminator = "discriminator"

        def frozen():
            with trainer.frozen(discriminator):
                pass

        measure(
            "`trainer.frozen(discriminator)` enter and exit (D's parameters listed, flags flipped)",
            "1 a G step",
            lambda: frozen,
        )
        names = ("discriminator",)

        def bookkeeping():
            optimizers = [trainer.optimizer(role) for role in names]
            parameters = [p for o in optimizers for group in o.param_groups for p in group["params"] if p.requires_grad]
            [
                r
                for r, o in zip(names, optimizers)
                if not any(p.requires_grad for g in o.param_groups for p in g["params"])
            ]
            all(p.grad is None for p in parameters)

        measure(
            "`trainer.update` bookkeeping (optimiser lookup, parameter list, frozen and no-gradient checks)",
            "1 an update",
            lambda: bookkeeping,
        )
        measure("`trainer.noise_batch()`", "1 a G or D step", lambda: trainer.noise_batch)
        shape = trainer.noise_batch().shape
        measure("   against: `torch.randn` of that shape", "", lambda: lambda: torch.randn(shape))
        measure("`trainer.real_batch()`", "1 a D step", lambda: trainer.real_batch, calls=300)
        scores = torch.zeros(trainer.batch_size, 1)
        measure(
            "`torch.full_like` targets of a BCE loss (instead of tensors made once)",
            "3 a round",
            lambda: lambda: torch.full_like(scores, 1.0),
        )

        # the setup's own
        judge = getattr(experiment.strategy, "judge", None)
        if judge is not None:
            real, fake = trainer.real_batch(), trainer.generate(grad=False)
            measure(
                "`straight-dope` judging D's accuracy: D twice more, in evaluation mode",
                "1 a round",
                lambda: lambda: judge(experiment.discriminator, real, fake),
                calls=300,
            )
        if setup == "even":
            from ganframe.nn import minibatch_closeness

            x = torch.randn(trainer.batch_size, 64, requires_grad=True)
            weight = torch.randn(64, 40, requires_grad=True)

            def ours():
                minibatch_closeness((x @ weight).view(len(x), 8, 5)).sum().backward()

            def plain():
                m = (x @ weight).view(len(x), 8, 5).transpose(0, 1)
                (torch.exp(-torch.cdist(m, m, p=1)).sum(2) - 1).sum().backward()

            measure(
                f"minibatch discrimination forward + backward, batch {trainer.batch_size}, 8 × 5: ganframe's "
                "`minibatch_closeness`",
                "2-3 a round",
                lambda: ours,
                calls=300,
            )
            measure("   against: `torch.cdist(p=1)` + `exp`, the hand-written loop's", "", lambda: plain, calls=300)
    finally:
        torch.set_num_threads(threads)
    return rows


def lines(setup: str) -> list[str]:
    """The Markdown of one setup's diagnosis."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ours, theirs = rounds_against_handwritten(setup)
    finally:
        torch.set_num_threads(threads)
    rows = pieces(setup)
    small = overhead(setup)
    base = small[0][1]
    return [
        f"### {setup}, default preset",
        "",
        "ganframe's overhead per round: the same rounds at a batch of 8, where the arithmetic is "
        "negligible (CPU µs per round, medians of 3 interleaved repetitions of 1,000 rounds):",
        "",
        "| how | CPU µs per round | more than the hand-written loop |",
        "|---|---|---|",
        *(f"| {name} | {us:.0f} | {us - base:+.0f} |" for name, us in small),
        "",
        f"The strategy's round alone, `strategy.train_round(trainer)`: {ours:.0f} CPU µs, against "
        f"{theirs:.0f} for the hand-written loop's round ({ours / theirs:.2f}×; medians of interleaved runs).",
        "",
        "| what | how often | CPU µs per call |",
        "|---|---|---|",
        *(
            f"| {what} | {often} | {value:.2f} |" if isinstance(value, float) else f"| {what} | {often} | {value} |"
            for what, often, value in rows
        ),
        "",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("setups", nargs="*", default=["gaussian", "even", "gaussian2d"], choices=list(HANDWRITTEN))
    args = parser.parse_args()
    for setup in args.setups:
        print("\n".join(lines(setup)), flush=True)


if __name__ == "__main__":
    main()
