"""Composition of an experiment from components, and its explicit training loop.

Build an :class:`Experiment` from a setup (``Experiment.from_setup``), piece by piece
(``Experiment.compose``) or from a TOML file or dict (``Experiment.from_toml``/``from_dict``); then
``fit()``, ``sample(n)``, ``evaluate()``, ``save(dir)`` and ``Experiment.load(dir)``.
"""

from __future__ import annotations

import contextlib
import logging
import platform
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import torch

from . import checkpoint, conditional, distributed
from .components import BuildContext, MetricContext, require_attrs, says_real
from .config import (
    COMPONENT_SECTIONS,
    ComponentSpec,
    ExperimentConfig,
    apply_overrides,
    read_toml,
    resolve_config,
    unstructure,
)
from .data import DataSource, RealBatches, stream_seed
from .epochs import EpochLog
from .errors import ConfigError, GanframeError, PluginError
from .plugins import Plugins, add_callback, load_plugins
from .schedules import lr_schedule
from .trainer import Trainer

log = logging.getLogger("ganframe")

# Random streams derived from the one seed: each purpose gets its own generator.
INIT_STREAM, NOISE_STREAM, DATA_STREAM, EVAL_STREAM, SAMPLE_STREAM, GLOBAL_STREAM = range(6)


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
        self.step = 0
        self.seconds = 0.0  # training time so far, across resumes
        self.run_dir: Path | None = None  # where the latest fit() writes (None: nowhere)
        self._stop_requested = False
        self._build()

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
        plugins = plugins if plugins is not None else load_plugins()
        setup = plugins.registry.setup(name)
        raw = setup.preset(preset)
        raw["setup"], raw["preset"] = name, preset or setup.default_preset
        shortcuts = {"seed": seed, "train.steps": steps, "train.batch_size": batch_size, "device": device}
        merged = {k: v for k, v in shortcuts.items() if v is not None} | dict(overrides or {})
        return cls(apply_overrides(raw, merged), plugins=plugins, callbacks=callbacks)

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
        default component.
        """
        plugins = plugins if plugins is not None else load_plugins()
        registry = plugins.registry
        pieces = {"data": data, "generator": generator, "discriminator": discriminator,
                  "noise": noise, "loss": loss, "strategy": strategy}
        raw: dict[str, Any] = {"seed": seed, "device": device}
        for section, value in pieces.items():
            if value is not None:
                raw[section] = _component_dict(registry, COMPONENT_SECTIONS[section][0], section, value)
        for section, value in (("generator", generator_optimizer), ("discriminator", discriminator_optimizer)):
            if value is not None:
                raw.setdefault(section, {})["optimizer"] = _component_dict(
                    registry, "optimizers", f"{section}.optimizer", value
                )
        raw["train"] = {"steps": steps, "batch_size": batch_size, **dict(train or {})}
        raw["evaluation"] = {"metrics": list(metrics)}
        return cls(raw, plugins=plugins, callbacks=callbacks)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, overrides: Mapping[str, Any] | None = None,
                  plugins: Plugins | None = None, callbacks: Iterable[object] = ()) -> Experiment:
        """An experiment from a config dict (the TOML layout). A ``setup`` key starts from that
        setup's preset and the rest of the dict overrides it."""
        plugins = plugins if plugins is not None else load_plugins()
        raw = dict(raw)
        if "setup" in raw:
            setup = plugins.registry.setup(raw["setup"])
            base = setup.preset(raw.get("preset"))
            base["setup"], base["preset"] = setup.name, raw.get("preset") or setup.default_preset
            raw = _deep_merge(base, raw)
        return cls(apply_overrides(raw, overrides or {}), plugins=plugins, callbacks=callbacks)

    @classmethod
    def from_toml(cls, path: str | Path, **kwargs: Any) -> Experiment:
        """An experiment from a TOML config file (see ``from_dict``)."""
        return cls.from_dict(read_toml(path), **kwargs)

    def _build(self) -> None:
        cfg, registry = self.config, self.plugins.registry
        batch_size = distributed.per_process_batch(cfg.train.batch_size, self.distributed)
        context = BuildContext(seed=cfg.seed, device=self.device, batch_size=batch_size, steps=cfg.train.steps)

        self.data: DataSource = self._make("data-sources", cfg.data, context)
        if not isinstance(self.data, DataSource):
            raise PluginError(
                f"data source {cfg.data.name!r} built a {type(self.data).__name__}, "
                "not a ganframe.data.Distribution or Dataset"
            )
        self.noise = require_attrs(self._make("noise", cfg.noise, context), "noise", cfg.noise.name, "dim", "sample")
        # What the networks exchange ("model data"): the data set's examples, or in a conditional
        # experiment each example joined with its label (see ganframe.conditional).
        self.classes = conditional.require_labels(self.data, cfg.data.name) if cfg.conditional else None
        self.model_data: DataSource = self.data
        if self.classes is not None:
            self.model_data = conditional.JoinedLabels(self.data, self.classes)
            self.noise = conditional.LabelledNoise(self.noise, self.classes)
        context = attrs.evolve(context, data=self.data, noise_dim=self.noise.dim)

        # Weight initialisation draws from its own seeded stream, on the CPU, whatever the device,
        # without disturbing the caller's global random state.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(stream_seed(cfg.seed, INIT_STREAM))
            self.generator = self._make_network("generators", cfg.generator, context)
            # With conditional_input, D is built for the joined examples: the class is part of its input.
            d_context = attrs.evolve(context, data=self.model_data) if cfg.conditional_input else context
            self.discriminator = self._make_network("discriminators", cfg.discriminator, d_context)
            if self.classes is not None:
                self.generator = conditional.ConditionalGenerator(self.generator, self.classes)
                self.discriminator = conditional.ProjectionDiscriminator(
                    self.discriminator, self.model_data, cfg.discriminator.name, joined_input=cfg.conditional_input)
        self.generator.to(self.device)
        self.discriminator.to(self.device)
        distributed.broadcast_parameters([self.generator, self.discriminator], self.distributed)
        self._check_shapes(batch_size)

        self.g_optimizer = self._make(
            "optimizers", cfg.generator.optimizer, attrs.evolve(context, parameters=list(self.generator.parameters()))
        )
        self.d_optimizer = self._make(
            "optimizers", cfg.discriminator.optimizer,
            attrs.evolve(context, parameters=list(self.discriminator.parameters())),
        )
        self.schedules = [
            lr_schedule(optimizer, cfg.train.lr_decay, cfg.train.steps)
            for optimizer in (self.g_optimizer, self.d_optimizer)
        ]
        self.loss = require_attrs(self._make("losses", cfg.loss, context), "loss", cfg.loss.name,
                                  "discriminator_loss", "generator_loss")
        self.strategy = require_attrs(self._make("strategies", cfg.strategy, context), "strategy",
                                      cfg.strategy.name, "train_round")
        self._context = context
        self.metrics = self._make_metrics(cfg.evaluation.metrics, "evaluation.metrics")

        rank = self.distributed.rank
        self.noise_generator = _generator(self.device, stream_seed(cfg.seed, NOISE_STREAM, rank))
        self.data_generator = _generator(self.device, stream_seed(cfg.seed, DATA_STREAM, rank))
        real_batches = RealBatches(
            self.model_data, batch_size=batch_size, seed=cfg.seed, rank=rank,
            world_size=self.distributed.world_size, generator=self.data_generator, device=self.device,
        )
        self.trainer = Trainer(
            generator=self.generator, discriminator=self.discriminator,
            g_optimizer=self.g_optimizer, d_optimizer=self.d_optimizer,
            loss=self.loss, noise=self.noise, real_batches=real_batches,
            noise_generator=self.noise_generator, device=self.device, distributed=self.distributed,
            d_accuracy=cfg.train.d_accuracy,
        )
        if cfg.train.epoch_logs and real_batches.steps_per_epoch is None:
            raise ConfigError(f"train.epoch_logs needs a finite data set, but data source {cfg.data.name!r} "
                              "is sampled afresh for every batch and has no epochs")
        self.epoch_log = EpochLog(real_batches.steps_per_epoch if cfg.train.epoch_logs else None, self.distributed)
        self._global_rng_state = torch.Generator().manual_seed(stream_seed(cfg.seed, GLOBAL_STREAM, rank)).get_state()

    def _make_metrics(self, names: Iterable[str], where: str) -> dict[str, Any]:
        """The metrics called ``names``; an unknown name is a ConfigError listing the available ones."""
        from .config import _lookup

        metrics = {}
        for name in names:
            metric = _lookup(self.plugins.registry, "metrics", name, where)
            spec = ComponentSpec(name, metric.make_config({}, f"{where}.{name}"))
            metrics[name] = self._make("metrics", spec, self._context)
        return metrics

    def _make(self, kind: str, spec: Any, context: BuildContext) -> Any:
        component = self.plugins.registry.component(kind, spec.name)
        try:
            return component.factory(spec.config, context)
        except GanframeError:
            raise
        except Exception as exc:
            raise PluginError(
                f"building {kind[:-1] if kind.endswith('s') else kind} {spec.name!r} "
                f"(plugin {component.plugin!r}) failed: {type(exc).__name__}: {exc}"
            ) from exc

    def _make_network(self, kind: str, spec: Any, context: BuildContext) -> torch.nn.Module:
        network = self._make(kind, spec, context)
        if not isinstance(network, torch.nn.Module):
            raise PluginError(f"{kind[:-1]} {spec.name!r} built a {type(network).__name__}, not a torch.nn.Module")
        role = kind[:-1]
        for extra_spec in spec.extras:
            network = self._apply_extra(extra_spec, network, attrs.evolve(context, role=role), f"{role}.extras")
        return network

    def _apply_extra(self, spec: ComponentSpec, network: torch.nn.Module, context: BuildContext,
                     where: str) -> torch.nn.Module:
        """``network`` changed by the network extra ``spec``; its errors name the extra and the network."""
        component = self.plugins.registry.component("network-extras", spec.name)
        try:
            changed = component.factory(spec.config, context)(network)
        except GanframeError:
            raise
        except ValueError as exc:  # the extra refuses this network or role: a configuration mistake
            raise ConfigError(f"{where}: {spec.name!r} cannot be applied to this {context.role}: {exc}") from exc
        except Exception as exc:
            raise PluginError(f"{where}: network extra {spec.name!r} (plugin {component.plugin!r}) failed: "
                              f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(changed, torch.nn.Module):
            raise PluginError(f"{where}: network extra {spec.name!r} returned a {type(changed).__name__}, "
                              "not a torch.nn.Module")
        return changed

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
                    raise PluginError(f"generator {self.config.generator.name!r} failed on noise of shape "
                                      f"{tuple(z.shape)}: {type(exc).__name__}: {exc}") from exc
                expected = (batch_size, *self.model_data.sample_shape)
                if tuple(fake.shape) != expected:
                    raise ConfigError(
                        f"generator {self.config.generator.name!r} produced shape {tuple(fake.shape)}, "
                        f"but the data source {self.config.data.name!r} has samples of shape {expected}"
                    )
                try:
                    scores = self.discriminator(fake)
                except Exception as exc:
                    raise PluginError(f"discriminator {self.config.discriminator.name!r} failed on a batch of "
                                      f"shape {expected}: {type(exc).__name__}: {exc}") from exc
                if self.config.train.d_accuracy:
                    says_real(self.discriminator, scores)  # scores it cannot classify fail here, not mid-run
        finally:
            self.generator.train(was_training[0])
            self.discriminator.train(was_training[1])

    # -- training ----------------------------------------------------------------------------------
    def fit(self, run_dir: str | Path | None = None) -> dict[str, Any]:
        """Train until ``config.train.steps`` rounds are done and return the final report.

        With ``run_dir``, the main process writes the run there (config, metrics.jsonl,
        checkpoints, report.json). To continue a run: ``Experiment.load(run_dir).fit(run_dir)``.
        ``train.threads``, when set, applies while this runs and is restored afterwards.
        """
        with _cpu_threads(self.config.train.threads):
            return self._fit(run_dir)

    def _fit(self, run_dir: str | Path | None) -> dict[str, Any]:
        from .runs import RunWriter

        writer = None
        self.run_dir = Path(run_dir) if run_dir is not None else None
        extra_writers = self._run_writers(run_dir)  # made first: a missing package fails before any write
        if run_dir is not None:
            writer = RunWriter(Path(run_dir), self)
            writer.prepare()
            add_callback(self.hooks, writer, "run-writer")
        for callback in extra_writers:
            add_callback(self.hooks, callback, f"ganframe-{type(callback).__name__}")
        if self.step == 0:
            torch.set_rng_state(self._global_rng_state)
            if self.device.type == "cuda":  # random draws made on the GPU during training (dropout, ...)
                with torch.cuda.device(self.device):
                    torch.cuda.manual_seed(stream_seed(self.config.seed, GLOBAL_STREAM, self.distributed.rank))
        train = self.config.train
        self._stop_requested = False
        hook = self.hooks.hook
        self._call(hook.on_experiment_start, step=self.step)
        log.info("training %s from step %d to %d on %s%s", self.config.setup or self.config.data.name, self.step,
                 train.steps, self.device, f", writing {run_dir}" if run_dir is not None else "")
        started = time.perf_counter()
        try:
            self.generator.train()
            self.discriminator.train()
            while self.step < train.steps and not self._stop_requested:
                logs = {**self.strategy.train_round(self.trainer), **self.trainer.take_logs()}
                for schedule in self.schedules:
                    schedule.step()
                self.step += 1
                self._call(hook.on_step_end, step=self.step, logs=logs)
                closed = self.epoch_log.add(self.step, logs)  # (epoch, means) at an epoch's last round
                if closed is not None:
                    self._call(hook.on_epoch_end, step=self.step, epoch=closed[0], logs=closed[1])
                if writer is not None and train.checkpoint_every and self.step % train.checkpoint_every == 0:
                    self.seconds += time.perf_counter() - started
                    started = time.perf_counter()
                    writer.checkpoint()
                if train.eval_every and self.step % train.eval_every == 0 and self.step < train.steps:
                    self._call(hook.on_evaluation, step=self.step, metrics=self.evaluate())
            self.seconds += time.perf_counter() - started
            metrics = self.evaluate()
            log.info("step %d, %.1f s of training: %s", self.step, self.seconds,
                     ", ".join(f"{k} {v:.4g}" for k, v in metrics.items()) or "no metrics")
            self._call(hook.on_evaluation, step=self.step, metrics=metrics)
            report = self.report(metrics)
            if writer is not None:
                writer.checkpoint()
            self._call(hook.on_experiment_end, step=self.step, report=report)
            if writer is not None:
                writer.write_html_report()
            return report
        except BaseException as exc:
            self._call(hook.on_exception, step=self.step, exception=exc, reraise=False)
            raise
        finally:
            for callback in [writer, *extra_writers]:
                if callback is not None:
                    self.hooks.unregister(callback)

    def _run_writers(self, run_dir: str | Path | None) -> list[object]:
        """The figure and TensorBoard writers ``config.logging`` asks for, for one ``fit``."""
        options = self.config.logging
        if not self.distributed.is_main:
            return []
        if run_dir is None:
            if options.tensorboard:
                log.warning("logging.tensorboard is on, but fit() has no run directory to write to")
            return []
        writers: list[object] = []
        if options.tensorboard:
            from .tensorboard import TensorBoardWriter

            writers.append(TensorBoardWriter(Path(run_dir), self))
        if options.plots:
            from .plots import PlotWriter

            writers.append(PlotWriter(Path(run_dir), self))
        return writers

    def request_stop(self) -> None:
        """Ask ``fit`` to stop after the current round (it then checkpoints and reports as usual)."""
        self._stop_requested = True

    @property
    def stopped_early(self) -> bool:
        return self.step < self.config.train.steps

    def report(self, metrics: Mapping[str, float]) -> dict[str, Any]:
        """What ``report.json`` holds: metrics and the facts needed to trust them."""
        from . import __version__

        report = {
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
            "metric_descriptions": {name: self.plugins.registry.component("metrics", name).description
                                    for name in self.metrics},
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "versions": {"ganframe": __version__, "torch": torch.__version__, "python": platform.python_version(),
                         "plugins": {info.name: info.version for info in self.plugins.infos  # installed ones
                                     if info.distribution and info.distribution != "ganframe" and not info.broken}},
        }
        if self.epoch_log.rounds_per_epoch is not None:  # train.epoch_logs: per-epoch means of the logs
            report["epochs"] = [dict(row) for row in self.epoch_log.rows]
        return report

    def _call(self, hook: Any, *, reraise: bool = True, **kwargs: Any) -> None:
        """Call a lifecycle hook one implementation at a time, naming the plugin that fails."""
        for impl in reversed(hook.get_hookimpls()):  # last registered first, as pluggy does
            arguments = {"experiment": self, **kwargs}
            try:
                impl.function(**{name: arguments[name] for name in impl.argnames})
            except Exception as exc:
                if not reraise:
                    log.warning("plugin %r failed in %s: %s", impl.plugin_name, hook.name, exc)
                    continue
                raise PluginError(
                    f"plugin {impl.plugin_name!r} failed in {hook.name}: {type(exc).__name__}: {exc}"
                ) from exc

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
        classes = None if labels is None else conditional.label_tensor(labels, n, self.classes)
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

    def _generate(self, n: int, generator: torch.Generator, chunk: int,
                  labels: torch.Tensor | None = None) -> torch.Tensor:
        parts = []
        for start in range(0, n, chunk):
            size = min(chunk, n - start)
            if labels is None:
                z = self.noise.sample(size, generator=generator, device=self.device)
            else:
                z = self.noise.sample(size, generator=generator, device=self.device,
                                      labels=labels[start : start + size])
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
        generator = _generator(self.device, stream_seed(self.config.seed, EVAL_STREAM))
        generated = self._generate(n, generator, 65_536)
        context = MetricContext(data=self.data, generator=torch.Generator().manual_seed(
            stream_seed(self.config.seed, EVAL_STREAM, 1)), device=self.device)
        results: dict[str, float] = {}
        for name, metric in chosen.items():
            try:
                values = metric(generated, context)
            except GanframeError:
                raise
            except Exception as exc:
                raise PluginError(f"metric {name!r} failed: {type(exc).__name__}: {exc}") from exc
            results.update({key: float(value) for key, value in values.items()})
        return results

    # -- persistence ------------------------------------------------------------------------------
    def save(self, directory: str | Path) -> Path:
        """Write ``config.toml`` and a checkpoint into ``directory``; ``Experiment.load`` reads it back."""
        from .runs import write_config

        directory = Path(directory)
        write_config(directory, self)
        return checkpoint.save(directory, self)

    @classmethod
    def load(
        cls, directory: str | Path, *, device: str | None = None, steps: int | None = None,
        plugins: Plugins | None = None, callbacks: Iterable[object] = (),
    ) -> Experiment:
        """An experiment saved with ``save`` or written by a run, at its last checkpoint.

        ``steps`` raises the planned number of rounds (to train a finished run further).
        """
        from .runs import read_config

        directory = Path(directory)
        raw = read_config(directory)
        overrides = {k: v for k, v in {"device": device, "train.steps": steps}.items() if v is not None}
        experiment = cls(apply_overrides(raw, overrides), plugins=plugins, callbacks=callbacks)
        checkpoint.load(directory, experiment)
        return experiment


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
    raise ConfigError(
        f"{where} must be a name, (name, options), a dict with 'name', or a config object; got {value!r}"
    )


def _deep_merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        renamed = (
            key in COMPONENT_SECTIONS and isinstance(value, Mapping) and isinstance(out.get(key), Mapping)
            and "name" in value and value["name"] != out[key].get("name")
        )
        if renamed:  # another component: the preset's options were for the old one
            out[key] = dict(value)
        elif isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _deep_merge(dict(out[key]), value)
        else:
            out[key] = value
    return out


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
