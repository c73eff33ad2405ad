"""Composition of an experiment from components, and its explicit training loop.

Build an :class:`Experiment` from a setup (``Experiment.from_setup``), piece by piece
(``Experiment.compose``) or from a TOML file or dict (``Experiment.from_toml``/``from_dict``); then
``fit()``, ``sample(n)``, ``evaluate()``, ``save(dir)`` and ``Experiment.load(dir)``.

The loop (:meth:`Experiment._fit`) only trains and calls lifecycle hooks through pluggy. What a run
leaves behind (run files, figures, report.html, TensorBoard, a progress bar) is made by plugins
that implement those hooks; the loop knows none of them.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

import attrs
import torch

from . import acceleration, checkpoint, conditional, distributed, graphs
from .build import Builder
from .components import DISCRIMINATOR, GENERATOR, BuildContext, Loss, Metric, MetricContext, Noise, Stateful, Strategy
from .config import (
    COMPONENT_SECTIONS,
    NETWORK_KIND,
    ComponentSpec,
    ExperimentConfig,
    apply_overrides,
    merge_configs,
    read_toml,
    resolve_config,
    unstructure,
)
from .data import Dataset, DataSource, RealBatches, stream_seed
from .epochs import EpochLog
from .errors import ConfigError, GanframeError, PluginError, RunDirectoryError
from .hookimpl import hookimpl
from .plugins import Plugins, add_callback, call_each, load_plugins
from .rundir import read_config, write_config
from .schedules import lr_schedule, step_schedules
from .trainer import RoundTrainer

log = logging.getLogger("ganframe")

# Random streams derived from the one seed: each purpose gets its own generator.
INIT_STREAM, NOISE_STREAM, DATA_STREAM, EVAL_STREAM, SAMPLE_STREAM, GLOBAL_STREAM = range(6)
STRATEGY_STREAM = 7  # the strategy's own draws (trainer.rng); 6 is the figures' (ganframe.snapshots)
ROUND_PLUGIN = "ganframe.strategy"  # the plugin that runs the strategy in train_round


class _StrategyRound:
    """ganframe's own ``train_round``: the strategy's round. Runs after every other implementation."""

    def __init__(self, strategy: Any) -> None:
        self.strategy = strategy

    @hookimpl(trylast=True)
    def train_round(self, trainer: RoundTrainer) -> Mapping[str, torch.Tensor]:
        return self.strategy.train_round(trainer)


class Experiment:
    """A GAN experiment: components built from a validated config, plus training state."""

    def __init__(
        self,
        config: ExperimentConfig | Mapping[str, Any],
        *,
        plugins: Plugins | None = None,
        callbacks: Iterable[object] = (),
    ) -> None:
        self.plugins = plugins if plugins is not None else load_plugins()
        if not isinstance(config, ExperimentConfig):
            config = resolve_config(config, self.plugins.registry)
        self.config = config
        self.hooks = self.plugins.lifecycle_manager(callbacks)  # this experiment's lifecycle plugins
        self.distributed = distributed.current()
        self.device = _resolve_device(config.device, self.distributed)
        self.run_dir: Path | None = None  # where the latest fit() writes (None: nowhere)
        self.loaded_from: Path | None = None  # the run directory Experiment.load read (None: a new experiment)
        self._seconds = 0.0  # training time of finished stretches, across resumes
        self._clock: float | None = None  # when the current stretch of training started
        self._stop_requested = False
        self._stoppable = False  # True while fit() trains and writes its final checkpoint
        self._builder = Builder(self.plugins.registry)
        self._build()
        self.hooks.register(_StrategyRound(self.strategy), name=ROUND_PLUGIN)

    # -- construction ----------------------------------------------------------------------------
    @classmethod
    def from_setup(
        cls,
        name: str,
        preset: str | None = None,
        *,
        seed: int | None = None,
        steps: int | None = None,
        batch_size: int | None = None,
        device: str | None = None,
        overrides: Mapping[str, Any] | None = None,
        plugins: Plugins | None = None,
        callbacks: Iterable[object] = (),
    ) -> Experiment:
        """A setup's preset (its default preset when None), with dotted-key ``overrides``.

        ``Experiment.from_setup("gaussian", preset="tutorial", seed=0, steps=2000)``
        """
        if overrides is not None and not isinstance(overrides, Mapping):
            raise ConfigError(f"overrides must be a dict of dotted keys, got {type(overrides).__name__}")
        shortcuts = {"seed": seed, "train.steps": steps, "train.batch_size": batch_size, "device": device}
        merged = {k: v for k, v in shortcuts.items() if v is not None} | dict(overrides or {})
        raw = {"setup": name} if preset is None else {"setup": name, "preset": preset}
        return cls.from_dict(raw, overrides=merged, plugins=plugins, callbacks=callbacks)

    @classmethod
    def compose(
        cls,
        *,
        data: Any,
        generator: Any = None,
        discriminator: Any = None,
        noise: Any = None,
        loss: Any = None,
        strategy: Any = None,
        generator_optimizer: Any = None,
        discriminator_optimizer: Any = None,
        networks: Mapping[str, Any] | None = None,
        metrics: Iterable[str] = (),
        seed: int = 0,
        steps: int = 1000,
        batch_size: int = 64,
        device: str = "auto",
        train: Mapping[str, Any] | None = None,
        plugins: Plugins | None = None,
        callbacks: Iterable[object] = (),
    ) -> Experiment:
        """An experiment assembled piece by piece.

        Each component is a name (``"mlp"``), a name with options (``("mlp", {"hidden": [64]})``,
        ``("mlp", MLPGeneratorConfig(...))`` or ``{"name": "mlp", "hidden": [64]}``), or an instance
        of the component's config class (when only one component uses that class); None takes the
        default component. ``networks`` adds network roles: ``{"encoder": {"name": "mlp", "input":
        "data", "output": "noise", "optimizer": {"name": "adam", "lr": 1e-3}}}``.
        """
        plugins = plugins if plugins is not None else load_plugins()
        registry = plugins.registry
        pieces = {
            "data": data,
            "generator": generator,
            "discriminator": discriminator,
            "noise": noise,
            "loss": loss,
            "strategy": strategy,
        }
        raw: dict[str, Any] = {"seed": seed, "device": device}
        for section, value in pieces.items():
            if value is not None:
                raw[section] = _component_dict(registry, COMPONENT_SECTIONS[section][0], section, value)
        for section, value in (("generator", generator_optimizer), ("discriminator", discriminator_optimizer)):
            if value is not None:
                raw.setdefault(section, {})["optimizer"] = _component_dict(
                    registry, "optimizers", f"{section}.optimizer", value
                )
        if networks:
            raw["networks"] = {
                role: _component_dict(registry, NETWORK_KIND, f"networks.{role}", value)
                for role, value in networks.items()
            }
        raw["train"] = {"steps": steps, "batch_size": batch_size, **dict(train or {})}
        raw["evaluation"] = {"metrics": list(metrics)}
        return cls(raw, plugins=plugins, callbacks=callbacks)

    @classmethod
    def from_dict(
        cls,
        raw: Mapping[str, Any],
        *,
        overrides: Mapping[str, Any] | None = None,
        plugins: Plugins | None = None,
        callbacks: Iterable[object] = (),
    ) -> Experiment:
        """An experiment from a config dict (the TOML layout). A ``setup`` key starts from that
        setup's preset (``preset``, else its default one) and the rest of the dict overrides it.

        ``setup`` and ``preset`` in ``overrides`` choose the setup and the preset, as if the dict
        had them: they are applied before the preset is looked up, not recorded over another one.
        """
        plugins = plugins if plugins is not None else load_plugins()
        return cls(expand_config(raw, overrides, plugins.registry), plugins=plugins, callbacks=callbacks)

    @classmethod
    def from_toml(cls, path: str | Path, **kwargs: Any) -> Experiment:
        """An experiment from a TOML config file (see ``from_dict``)."""
        return cls.from_dict(read_toml(path), **kwargs)

    def _build(self) -> None:
        cfg, build = self.config, self._builder
        batch_size = distributed.per_process_batch(cfg.train.batch_size, self.distributed)
        context = BuildContext(seed=cfg.seed, device=self.device, batch_size=batch_size, steps=cfg.train.steps)
        # train.precision: a device that cannot run it is an error now, before anything is built
        self.acceleration = acceleration.Acceleration(cfg.train.precision, self.device)

        self.data: DataSource = build.make("data-sources", cfg.data, context)
        if not isinstance(self.data, DataSource):
            raise PluginError(
                f"{build.describe('data-sources', cfg.data.name)} built a {type(self.data).__name__}, "
                "not a ganframe.data.Distribution or Dataset"
            )
        self.noise = build.make_checked("noise", cfg.noise, context, Noise)
        # What the networks exchange ("model data"): the data set's examples, or in a conditional
        # experiment each example joined with its label (see ganframe.conditional).
        self.classes = conditional.require_labels(self.data, cfg.data.name) if cfg.conditional else None
        self.model_data: DataSource = self.data
        if self.classes is not None:
            self.model_data = conditional.JoinedLabels(cast(Dataset, self.data), self.classes)
            self.noise = conditional.LabelledNoise(self.noise, self.classes)
        context = attrs.evolve(context, data=self.data, noise_dim=self.noise.dim, noise=self.noise)

        self.networks: dict[str, torch.nn.Module] = self._build_networks(context)
        self._check_shapes(batch_size)
        self.optimizers: dict[str, torch.optim.Optimizer] = {
            role: self._build_optimizer(role, spec, context) for role, spec in cfg.roles.items()
        }
        self.schedules = {
            role: lr_schedule(optimizer, cfg.train.lr_decay, cfg.train.steps)
            for role, optimizer in self.optimizers.items()
        }

        context = attrs.evolve(
            context, networks=MappingProxyType(self.networks), optimizers=MappingProxyType(self.optimizers)
        )
        self.loss = build.make_checked("losses", cfg.loss, context, Loss)
        self.strategy = build.make_checked("strategies", cfg.strategy, context, Strategy)
        for kind, name, component in (
            ("losses", cfg.loss.name, self.loss),
            ("strategies", cfg.strategy.name, self.strategy),
        ):
            build.check_roles(component, kind, name, self.networks)
        self._context = context
        self.metrics = self._make_metrics(cfg.evaluation.metrics, "evaluation.metrics")

        rank = self.distributed.rank
        self.noise_generator = _generator(self.device, stream_seed(cfg.seed, NOISE_STREAM, rank))
        self.data_generator = _generator(self.device, stream_seed(cfg.seed, DATA_STREAM, rank))
        self.strategy_generator = _generator(self.device, stream_seed(cfg.seed, STRATEGY_STREAM, rank))
        real_batches = RealBatches(
            self.model_data,
            batch_size=batch_size,
            seed=cfg.seed,
            rank=rank,
            world_size=self.distributed.world_size,
            generator=self.data_generator,
            device=self.device,
        )
        self.trainer = RoundTrainer(
            networks=self.networks,
            optimizers=self.optimizers,
            loss=self.loss,
            noise=self.noise,
            real_batches=real_batches,
            noise_generator=self.noise_generator,
            rng=self.strategy_generator,
            device=self.device,
            distributed=self.distributed,
            strategy=build.describe("strategies", cfg.strategy.name),
            scaler=self.acceleration.scaler,
        )
        # the loss and the strategy by name, for what train.compile and train.cuda_graph say about them
        self._components = {build.describe("losses", cfg.loss.name): self.loss, self.trainer.strategy: self.strategy}
        acceleration.compile_networks(self.networks, cfg.train.compile, self._components)
        if cfg.train.epoch_logs and real_batches.steps_per_epoch is None:
            raise ConfigError(
                f"train.epoch_logs needs a finite data set, but data source {cfg.data.name!r} "
                "is sampled afresh for every batch and has no epochs"
            )
        self.epoch_log = EpochLog(real_batches.steps_per_epoch if cfg.train.epoch_logs else None, self.distributed)
        self._global_rng_state = torch.Generator().manual_seed(stream_seed(cfg.seed, GLOBAL_STREAM, rank)).get_state()

    def _build_networks(self, context: BuildContext) -> dict[str, torch.nn.Module]:
        """Every network role, built in order from the seeded initialisation stream (on the CPU,
        whatever the device, without disturbing the caller's global random state), then moved to
        the device and made identical in every process."""
        cfg, networks = self.config, {}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(stream_seed(cfg.seed, INIT_STREAM))
            for role, spec in cfg.roles.items():
                kind = {GENERATOR: "generators", DISCRIMINATOR: "discriminators"}.get(role, NETWORK_KIND)
                where = role if role in (GENERATOR, DISCRIMINATOR) else f"networks.{role}"
                role_context = attrs.evolve(context, role=role)
                if role == DISCRIMINATOR and cfg.conditional_input:  # D is built for the joined examples
                    role_context = attrs.evolve(role_context, data=self.model_data)
                networks[role] = self._builder.network(kind, spec, role_context, where)
            if self.classes is not None:
                networks[GENERATOR] = conditional.ConditionalGenerator(networks[GENERATOR], self.classes)
                networks[DISCRIMINATOR] = conditional.ProjectionDiscriminator(
                    networks[DISCRIMINATOR],
                    cast(conditional.JoinedLabels, self.model_data),
                    cfg.discriminator.name,
                    joined_input=cfg.conditional_input,
                )
        for network in networks.values():
            network.to(self.device)
        distributed.broadcast_parameters(networks.values(), self.distributed)
        return networks

    def _build_optimizer(self, role: str, spec: Any, context: BuildContext) -> torch.optim.Optimizer:
        parameters = list(self.networks[role].parameters())
        if not any(p.requires_grad for p in parameters):
            raise ConfigError(
                f"the {role} network ({spec.name!r}) has no trainable parameters for its optimizer "
                f"{spec.optimizer.name!r} to train"
            )
        return self._builder.make_checked(
            "optimizers",
            spec.optimizer,
            attrs.evolve(context, parameters=parameters, role=role),
            torch.optim.Optimizer,
        )

    def _make_metrics(self, names: Iterable[str], where: str) -> dict[str, Any]:
        """The metrics called ``names``; an unknown name is a ConfigError listing the available ones."""
        from .config import _lookup

        metrics = {}
        for name in names:
            metric = _lookup(self.plugins.registry, "metrics", name, where)
            spec = ComponentSpec(name, metric.make_config({}, f"{where}.{name}"))
            metrics[name] = self._builder.make_checked("metrics", spec, self._context, Metric)
        return metrics

    def _check_shapes(self, batch_size: int) -> None:
        """Run G and D once on a batch so that a wrong shape fails here, with names, not mid-training."""
        probe = torch.Generator(device=self.device).manual_seed(0)
        was_training = self.generator.training, self.discriminator.training
        self.generator.eval()
        self.discriminator.eval()
        try:
            with torch.no_grad():
                z = self.noise.sample(batch_size, generator=probe, device=self.device)
                try:
                    fake = self.generator(z)
                except Exception as exc:
                    raise PluginError(
                        f"generator {self.config.generator.name!r} failed on noise of shape "
                        f"{tuple(z.shape)}: {type(exc).__name__}: {exc}"
                    ) from exc
                expected = (batch_size, *self.model_data.sample_shape)
                if tuple(fake.shape) != expected:
                    raise ConfigError(
                        f"generator {self.config.generator.name!r} produced shape {tuple(fake.shape)}, "
                        f"but the data source {self.config.data.name!r} has samples of shape {expected}"
                    )
                try:
                    self.discriminator(fake)
                except Exception as exc:
                    raise PluginError(
                        f"discriminator {self.config.discriminator.name!r} failed on a batch of "
                        f"shape {expected}: {type(exc).__name__}: {exc}"
                    ) from exc
        finally:
            self.generator.train(was_training[0])
            self.discriminator.train(was_training[1])

    # -- the parts, by role ------------------------------------------------------------------------
    @property
    def generator(self) -> torch.nn.Module:
        return self.networks[GENERATOR]

    @property
    def discriminator(self) -> torch.nn.Module:
        return self.networks[DISCRIMINATOR]

    @property
    def g_optimizer(self) -> torch.optim.Optimizer:
        return self.optimizers[GENERATOR]

    @property
    def d_optimizer(self) -> torch.optim.Optimizer:
        return self.optimizers[DISCRIMINATOR]

    @property
    def step(self) -> int:
        """Rounds done so far."""
        return self.trainer.step

    @step.setter
    def step(self, value: int) -> None:
        self.trainer.step = value

    @property
    def seconds(self) -> float:
        """Seconds spent training, across resumes (up to now while a fit runs)."""
        running = time.perf_counter() - self._clock if self._clock is not None else 0.0
        return self._seconds + running

    @property
    def rounds_per_epoch(self) -> int | None:
        """Rounds in one pass over a finite data set; None for a distribution sampled afresh."""
        return self.trainer.real_batches.steps_per_epoch

    # -- training ----------------------------------------------------------------------------------
    def fit(self, run_dir: str | Path | None = None) -> dict[str, Any]:
        """Train until ``config.train.steps`` rounds are done and return the final report.

        With ``run_dir``, the run's files are written there (config, metrics.jsonl, checkpoints,
        report.json, figures, report.html: see :mod:`ganframe.rundir`). To continue a run:
        ``Experiment.load(run_dir).fit(run_dir)``. ``train.threads``, when set, applies while this
        runs and is restored afterwards.
        """
        with _cpu_threads(self.config.train.threads):
            return self._fit(Path(run_dir) if run_dir is not None else None)

    def _fit(self, run_dir: Path | None) -> dict[str, Any]:
        """The training loop: rounds of the strategy, and lifecycle hooks for everything else."""
        hook, train = self.hooks.hook, self.config.train
        self.run_dir, self._stop_requested = run_dir, False
        callbacks = self._register(self._call(hook.fit_callbacks, run_dir=run_dir))  # run files, figures...
        try:
            self._seed_global_streams()
            self._call(hook.on_experiment_start, step=self.step)
            self._start_training()
            train_round = graphs.round_runner(self._train_round, self.trainer, train, self._components)
            first_step = self.step
            while self.step < train.steps and not self._stop_agreed():
                logs = train_round()  # the strategy's round, or its CUDA graph replayed (train.cuda_graph)
                step_schedules(self.schedules.values(), first=self.step == first_step)
                self.step += 1
                self._call(hook.on_step_end, step=self.step, logs=logs)
                epoch = self.epoch_log.add(self.step, logs)  # (epoch, means) after an epoch's last round
                if epoch is not None:
                    self._call(hook.on_epoch_end, step=self.step, epoch=epoch[0], logs=epoch[1])
                if train.eval_every and self.step % train.eval_every == 0 and self.step < train.steps:
                    self._call(hook.on_evaluation, step=self.step, metrics=self.evaluate())
            self._stop_clock()
            self._call(hook.on_train_end, step=self.step)  # the final checkpoint is written here
            self._stoppable = False  # from here on a stop signal aborts: the checkpoint is safe
            metrics = self.evaluate()
            self._call(hook.on_evaluation, step=self.step, metrics=metrics)
            report = self.report(metrics)
            self._call(hook.on_experiment_end, step=self.step, report=report)
            return report
        except BaseException as exc:
            self._stop_clock()
            self._stoppable = False
            call_each(self.hooks, "on_exception", experiment=self, step=self.step, exception=exc)
            raise
        finally:
            self.trainer.real_batches.close()  # a data set's decoding workers stop with the fit
            for callback in callbacks:
                self.hooks.unregister(callback)

    def _train_round(self) -> Mapping[str, torch.Tensor]:
        """One round: the ``train_round`` hook, its forward passes in ``train.precision``."""
        with self.acceleration.autocast():
            return self._call(self.hooks.hook.train_round, trainer=self.trainer)

    def _register(self, made: list[Any]) -> list[object]:
        """Register what ``fit_callbacks`` returned, for one fit (all of it, or none when one is refused)."""
        callbacks = [item for result in made for item in (result if isinstance(result, (list, tuple)) else [result])]
        registered: list[object] = []
        try:
            for index, callback in enumerate(callbacks):
                add_callback(self.hooks, callback, f"fit-{index}-{type(callback).__name__}")
                registered.append(callback)
        except GanframeError:
            for callback in registered:
                self.hooks.unregister(callback)
            raise
        return callbacks

    def _seed_global_streams(self) -> None:
        """A new run starts PyTorch's global generators from the seed (a resumed one restored them)."""
        if self.step != 0:
            return
        torch.set_rng_state(self._global_rng_state)
        if self.device.type == "cuda":  # random draws made on the GPU during training (dropout, ...)
            with torch.cuda.device(self.device):
                torch.cuda.manual_seed(stream_seed(self.config.seed, GLOBAL_STREAM, self.distributed.rank))

    def _start_training(self) -> None:
        """Every network in training mode, and the clock of training time running."""
        for network in self.networks.values():
            network.train()
        self._clock = time.perf_counter()
        self._stoppable = True

    def _stop_agreed(self) -> bool:
        """Whether to stop before the next round: asked for in this process or (under torchrun) in
        any other, so that every process stops after the same round."""
        return distributed.any_process(self._stop_requested, self.distributed)

    def _stop_clock(self) -> None:
        self._seconds, self._clock = self.seconds, None

    def request_stop(self) -> bool:
        """Ask ``fit`` to stop after the current round (it then checkpoints and reports as usual).

        True when the request will be honoured: ``fit`` is training or writing its final checkpoint.
        False before training starts and once the final checkpoint is written (evaluation and the
        report are all that is left; a caller that must stop now interrupts them instead).
        """
        if not self._stoppable:
            return False
        self._stop_requested = True
        return True

    @property
    def stopped_early(self) -> bool:
        return self.step < self.config.train.steps

    def report(self, metrics: Mapping[str, float]) -> dict[str, Any]:
        """What ``report.json`` holds: metrics and the facts needed to trust them."""
        from . import __version__

        report: dict[str, Any] = {
            "setup": self.config.setup,
            "preset": self.config.preset,
            "seed": self.config.seed,
            "steps": self.step,
            "steps_planned": self.config.train.steps,
            "completed": not self.stopped_early,
            "seconds": round(self.seconds, 3),
            "device": str(self.device),
            "processes": self.distributed.world_size,
            "metrics": dict(metrics),
            # which metric (test) computed the values above, in its plugin's words
            "metric_descriptions": {
                name: self.plugins.registry.component("metrics", name).description for name in self.metrics
            },
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "versions": {
                "ganframe": __version__,
                "torch": torch.__version__,
                "python": platform.python_version(),
                "plugins": {
                    info.name: info.version
                    for info in self.plugins.infos  # installed ones
                    if info.distribution and info.distribution != "ganframe" and not info.broken
                },
            },
        }
        if self.epoch_log.rounds_per_epoch is not None:  # train.epoch_logs: per-epoch means of the logs
            report["epochs"] = [dict(row) for row in self.epoch_log.rows]
        return report

    def _call(self, hook: Any, **kwargs: Any) -> Any:
        """Call a hook through pluggy; a plugin's failure becomes one line naming the plugin."""
        try:
            return hook(experiment=self, **kwargs)
        except GanframeError:
            raise
        except (Exception, SystemExit) as exc:  # SystemExit: a plugin's sys.exit() must not end the command
            culprit = _culprit(hook, exc)
            if culprit == ROUND_PLUGIN:
                who = f"{self.trainer.strategy} failed in round {self.step + 1}"
            else:
                who = f"plugin {culprit!r} failed in {hook.name}" if culprit else f"{hook.name} failed"
            raise PluginError(f"{who}: {type(exc).__name__}: {exc}") from exc

    # -- using a trained generator ----------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, *, seed: int | None = None, labels: Any = None, chunk: int = 65_536) -> torch.Tensor:
        """``n`` generated samples in data space, on the CPU; the same seed gives the same samples.

        ``labels`` (conditional experiments only): one class for all samples, or one per sample;
        left out, each sample's class is drawn uniformly.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ConfigError(f"the number of samples must be a positive integer, got {n!r}")
        if labels is not None and self.classes is None:
            raise ConfigError("labels need a conditional experiment (conditional = true on a labelled data set)")
        classes = None if labels is None or self.classes is None else conditional.label_tensor(labels, n, self.classes)
        self._check_generator_finite()
        base = self.config.seed if seed is None else seed
        generator = _generator(self.device, stream_seed(base, SAMPLE_STREAM))
        return self._generate(n, generator, chunk, classes)

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """G's output for the noise ``z`` (from ``self.noise``), in data space, on the CPU.

        G runs in evaluation mode and is put back as it was: a look during training changes nothing.
        """
        was_training = self.generator.training
        self.generator.eval()
        try:
            return self.model_data.to_data_space(self.generator(z.to(self.device))).cpu()
        finally:
            self.generator.train(was_training)

    def _generate(
        self, n: int, generator: torch.Generator, chunk: int, labels: torch.Tensor | None = None
    ) -> torch.Tensor:
        parts = []
        for start in range(0, n, chunk):
            size = min(chunk, n - start)
            if labels is None:
                z = self.noise.sample(size, generator=generator, device=self.device)
            else:
                z = self.noise.sample(
                    size, generator=generator, device=self.device, labels=labels[start : start + size]
                )
            parts.append(self.generate(z))
        return torch.cat(parts)

    @torch.no_grad()
    def evaluate(self, samples: int | None = None, *, metrics: Iterable[str] | None = None) -> dict[str, float]:
        """Every configured metric on fresh samples (``evaluation.samples`` of them by default), or
        the metrics named in ``metrics`` (for instance ``["two-sample"]``) instead.

        Deterministic for a given model: the samples come from a stream seeded by the config's seed.
        In a multi-process run only the main process evaluates; the others return ``{}``.
        """
        chosen = self.metrics if metrics is None else self._make_metrics(metrics, "metrics")
        if not chosen or not self.distributed.is_main:
            return {}
        n = samples or self.config.evaluation.samples
        self._check_generator_finite()
        generator = _generator(self.device, stream_seed(self.config.seed, EVAL_STREAM))
        generated = self._generate(n, generator, 65_536)
        context = MetricContext(
            data=self.data,
            generator=torch.Generator().manual_seed(stream_seed(self.config.seed, EVAL_STREAM, 1)),
            device=self.device,
            networks=MappingProxyType(self.networks),
        )
        results: dict[str, float] = {}
        for name, metric in chosen.items():
            try:
                values = metric(generated, context)
            except GanframeError:
                raise
            except (Exception, SystemExit) as exc:
                raise PluginError(
                    f"{self._builder.describe('metrics', name)} failed: {type(exc).__name__}: {exc}"
                ) from exc
            results.update(self._metric_values(name, values))
        return results

    def _metric_values(self, name: str, values: Any) -> dict[str, float]:
        """A metric's result as ``{key: float}``; anything else is one line naming the metric and its plugin."""
        who = self._builder.describe("metrics", name)
        if not isinstance(values, Mapping):
            raise PluginError(
                f"{who} returned a {type(values).__name__}, not a dict of named values such as {{'ks': 0.1}}"
            )
        results = {}
        for key, value in values.items():
            try:
                results[str(key)] = float(value)
            except (TypeError, ValueError, RuntimeError):
                raise PluginError(f"{who} returned {key!r}: {type(value).__name__}, not a number") from None
        return results

    def _check_generator_finite(self) -> None:
        """Samples of a generator with NaN or infinite weights are meaningless: say so instead."""
        checkpoint.check_finite({GENERATOR: self.generator.state_dict()}, f"cannot sample at step {self.step}")

    # -- persistence ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint holds: every role's network, optimiser and schedule, the training
        position, stateful strategies' and losses' state, and the random states of every process
        (gathered, so every process must call this)."""
        rng = {
            "noise": self.noise_generator.get_state(),
            "data": self.data_generator.get_state(),
            "strategy": self.strategy_generator.get_state(),
            "torch": torch.get_rng_state(),
        }
        if self.device.type == "cuda":  # dropout, instance noise... on the GPU draw from its generator
            rng["cuda"] = torch.cuda.get_rng_state(self.device)
        state: dict[str, Any] = {
            "format": checkpoint.FORMAT,
            "step": self.step,
            "seconds": self.seconds,
            "real_draws": self.trainer.real_draws,
            "networks": {role: network.state_dict() for role, network in self.networks.items()},
            "optimizers": {role: optimizer.state_dict() for role, optimizer in self.optimizers.items()},
            "schedules": {role: schedule.state_dict() for role, schedule in self.schedules.items()},
            "epoch_log": self.epoch_log.state_dict(),
            "rng": distributed.gather_objects(rng, self.distributed),
            "device_type": self.device.type,
        }
        for key, component in (("strategy", self.strategy), ("loss", self.loss)):
            if isinstance(component, Stateful):
                state[key] = component.state_dict()
        if self.acceleration.scaler is not None:  # train.precision "fp16": the loss scale reached so far
            state["scaler"] = self.acceleration.scaler.state_dict()
        return state

    def load_state_dict(self, state: Mapping[str, Any], source: str = "the checkpoint") -> None:
        """Restore what :meth:`state_dict` returned; a mismatch is one line naming what does not fit."""
        checkpoint.check_layout(state, source)
        saved, built = sorted(state["networks"]), sorted(self.networks)
        if saved != built:
            missing, extra = sorted(set(built) - set(saved)), sorted(set(saved) - set(built))
            raise RunDirectoryError(
                f"{source} holds the network roles {', '.join(saved)}, but the config builds {', '.join(built)}"
                + (f" (not in the checkpoint: {', '.join(missing)})" if missing else "")
                + (f" (not in the config: {', '.join(extra)})" if extra else "")
            )
        if len(state["rng"]) != self.distributed.world_size:
            raise RunDirectoryError(
                f"{source} was written by {len(state['rng'])} process(es); resume it with the same number"
            )
        for role in built:
            self._check_optimizer_fits(role, state["optimizers"][role], source)
        try:
            for role in built:
                self.networks[role].load_state_dict(state["networks"][role])
                options = graphs.optimizer_options(self.optimizers[role])  # what train.cuda_graph sets stays this run's
                self.optimizers[role].load_state_dict(state["optimizers"][role])
                graphs.restore_optimizer_options(self.optimizers[role], options)
                self.schedules[role].load_state_dict(state["schedules"][role])
            if self.acceleration.scaler is not None and "scaler" in state:  # absent: trained in another precision
                self.acceleration.scaler.load_state_dict(state["scaler"])
        except Exception as exc:  # whatever a damaged or foreign checkpoint makes torch raise
            # torch lists the missing, unexpected and mismatched keys on lines of their own: one line here
            what = " ".join(str(exc).split()) or type(exc).__name__
            what = what if len(what) <= 600 else what[:600] + "…"
            raise RunDirectoryError(f"{source} does not fit the networks its config builds: {what}") from None
        for key, kind, name, component in (
            ("strategy", "strategies", self.config.strategy.name, self.strategy),
            ("loss", "losses", self.config.loss.name, self.loss),
        ):
            self._load_component_state(state, key, component, self._builder.describe(kind, name), source)
        rng = state["rng"][self.distributed.rank]
        if state.get("device_type") == self.device.type:
            self.noise_generator.set_state(rng["noise"])
            self.data_generator.set_state(rng["data"])
            if "strategy" in rng:  # absent from checkpoints of ganframe 0.1: the stream starts afresh
                self.strategy_generator.set_state(rng["strategy"])
            if "cuda" in rng:
                torch.cuda.set_rng_state(rng["cuda"], self.device)
        # else: generator states of one device type do not fit another; training continues from the
        # checkpoint with freshly seeded noise and data streams (results cannot match across devices).
        torch.set_rng_state(rng["torch"])
        self.step = int(state["step"])
        self._seconds = float(state["seconds"])
        self.trainer.real_draws = int(state["real_draws"])
        if "epoch_log" in state:  # absent from checkpoints written before per-epoch logs existed
            self.epoch_log.load_state_dict(state["epoch_log"])

    def _check_optimizer_fits(self, role: str, saved: Any, source: str) -> None:
        """The saved optimiser state has the options of the optimiser the config builds (torch would load
        an Adam state into SGD and fail at the first step, 'KeyError: momentum')."""
        groups = saved.get("param_groups") if isinstance(saved, Mapping) else None
        if not isinstance(groups, list) or not all(isinstance(group, Mapping) for group in groups):
            raise RunDirectoryError(f"{source} holds no optimizer state for the {role}")
        expected = [set(group) - {"params"} for group in self.optimizers[role].state_dict()["param_groups"]]
        found = [set(group) - {"params"} for group in groups]
        if expected != found:
            name = self.config.roles[role].optimizer.name
            differ = sorted(set().union(*expected) ^ set().union(*found)) or ["the number of parameter groups"]
            raise RunDirectoryError(
                f"{source} was trained with another {role} optimizer than {name!r} (they differ in "
                f"{', '.join(differ)}); a run resumes with the optimizer it was trained with"
            )

    @staticmethod
    def _load_component_state(state: Mapping[str, Any], key: str, component: Any, who: str, source: str) -> None:
        stateful = isinstance(component, Stateful)
        if key not in state:
            if stateful:
                raise RunDirectoryError(
                    f"{source} holds no state for the {key}, but {who} keeps state; was the run made with another one?"
                )
            return
        if not stateful:
            raise RunDirectoryError(
                f"{source} holds state for the {key}, but {who} keeps none; was the run made with another one?"
            )
        try:
            component.load_state_dict(state[key])
        except GanframeError:
            raise
        except Exception as exc:
            raise RunDirectoryError(f"{who} cannot load its state from {source}: {type(exc).__name__}: {exc}") from None

    def save(self, directory: str | Path) -> Path:
        """Write ``config.toml`` and a checkpoint into ``directory``; ``Experiment.load`` reads it back."""
        directory = Path(directory)
        write_config(directory, self.config.to_toml())
        return checkpoint.save(directory, self.state_dict(), self.distributed)

    @classmethod
    def load(
        cls,
        directory: str | Path,
        *,
        device: str | None = None,
        steps: int | None = None,
        plugins: Plugins | None = None,
        callbacks: Iterable[object] = (),
        before_first_checkpoint: bool = False,
    ) -> Experiment:
        """An experiment saved with ``save`` or written by a run, at its last checkpoint.

        ``steps`` raises the planned number of rounds (to train a finished run further). With
        ``before_first_checkpoint``, a run that was stopped before it wrote its first checkpoint
        loads at step 0 (``fit(directory)`` then trains it from the start); otherwise it is an error.
        """
        directory = Path(directory)
        raw = read_config(directory)
        overrides = {k: v for k, v in {"device": device, "train.steps": steps}.items() if v is not None}
        experiment = cls(apply_overrides(raw, overrides), plugins=plugins, callbacks=callbacks)
        experiment.loaded_from = directory
        if before_first_checkpoint and not checkpoint.exists(directory):
            log.info("%s has no checkpoint yet: training starts from step 0", directory)
            return experiment
        experiment.load_state_dict(checkpoint.read(directory), f"the checkpoint in {str(directory)!r}")
        return experiment


def expand_config(raw: Mapping[str, Any], overrides: Mapping[str, Any] | None, registry: Any) -> dict[str, Any]:
    """The whole config dict that ``Experiment.from_dict(raw, overrides=...)`` builds from: the
    setup's preset (when ``raw`` names a setup) under ``raw``, with the dotted ``overrides`` set."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"a config must be a table of sections, got {type(raw).__name__}")
    if overrides is not None and not isinstance(overrides, Mapping):
        raise ConfigError(f"overrides must be a dict of dotted keys, got {type(overrides).__name__}")
    raw, overrides = dict(raw), dict(overrides or {})
    for key in ("setup", "preset"):
        if key in overrides:
            raw[key] = overrides.pop(key)
    for key in ("setup", "preset"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise ConfigError(f"'{key}' must be a string, the name of a {key}, got {raw[key]!r}")
    if raw.get("setup") is not None:
        setup = registry.setup(raw["setup"])
        preset = raw.get("preset")
        base = setup.preset(preset)
        base["setup"], base["preset"] = setup.name, setup.default_preset if preset is None else preset
        raw = merge_configs(base, raw)
    elif raw.get("preset") is not None:
        raise ConfigError(
            f"preset {raw['preset']!r} needs a setup: name one with setup = NAME (see 'ganframe list setups')"
        )
    return apply_overrides(raw, overrides)


def _resolve_device(name: str, context: distributed.DistributedContext) -> torch.device:
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(f"device {name!r} was asked for but CUDA is not available; use --device cpu")
        if name == "cuda":
            name = f"cuda:{context.local_rank}" if context.enabled else "cuda"
    return torch.device(name)


def _generator(device: torch.device, seed: int) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def _component_dict(registry: Any, kind: str, where: str, value: Any) -> dict[str, Any]:
    """Normalise a component given as name, (name, options), {"name": ...} or config instance."""
    if isinstance(value, str):
        return {"name": value}
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        options = unstructure(value[1]) if attrs.has(type(value[1])) else dict(value[1] or {})
        return {"name": value[0], **options}
    if isinstance(value, Mapping):
        return dict(value)
    if attrs.has(type(value)):
        return {"name": registry.name_for_config(kind, value), **unstructure(value)}
    raise ConfigError(f"{where} must be a name, (name, options), a dict with 'name', or a config object; got {value!r}")


def _culprit(hook: Any, exc: BaseException) -> str | None:
    """The plugin whose implementation of ``hook`` raised ``exc``: the innermost of them on its traceback."""
    owners = {}
    for impl in hook.get_hookimpls():
        function = getattr(impl.function, "__func__", impl.function)  # bound methods of callback objects
        code = getattr(function, "__code__", None)
        if code is not None:
            owners[code] = impl.plugin_name
    found, trace = None, exc.__traceback__
    while trace is not None:
        found = owners.get(trace.tb_frame.f_code, found)
        trace = trace.tb_next
    return found


@contextlib.contextmanager
def _cpu_threads(threads: int | None):
    """Let PyTorch use ``threads`` CPU threads inside the block (None: leave the setting alone)."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
