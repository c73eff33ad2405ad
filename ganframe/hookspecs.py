"""Every hook ganframe calls: the only place hooks are defined.

Plugins implement these with ``@ganframe.hookimpl``. Hooks are always called with keyword
arguments, so an implementation may accept only the arguments it needs, and a specification can
grow new arguments later without breaking plugins. ``docs/hooks.md`` documents each of them with
its signature; a test fails when one is missing there or its signature differs.

Three families:

* **Registration hooks** (``register_*``) receive a ``register`` callback from ganframe. Call it once
  per component: ``register(name, factory, config=ConfigClass, description="...")``. ganframe owns
  naming, validation and collision errors. ``factory(config, context)`` builds the component from
  its validated config and a :class:`ganframe.components.BuildContext`. Each hook's ``register`` is
  typed with what its factories return (``RegisterNoise`` is ``Register[Noise]``; see
  :mod:`ganframe.components`). They are called once per plugin, so they cannot be wrappers.
* **Lifecycle hooks** (``on_*``) are called through pluggy during ``Experiment.fit``, so progress
  bars, loggers and run writers are plugins too, and ``@hookimpl(wrapper=True)`` implementations
  wrap the others. Their return values are ignored.
* **Hooks with results**: ``train_round`` (one round of training, which wrappers can time,
  profile or run under autocast), ``fit_callbacks`` (the objects that write one fit's outputs) and
  ``draw_figures`` (figures of a run).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

from .components import (
    RegisterDataSource,
    RegisterLoss,
    RegisterMetric,
    RegisterNetwork,
    RegisterNetworkExtra,
    RegisterNoise,
    RegisterOptimizer,
    RegisterSetup,
    RegisterStrategy,
)

if TYPE_CHECKING:
    import torch

    from .components import ExperimentView as Experiment
    from .components import FigureSamples, Trainer

hookspec = pluggy.HookspecMarker("ganframe")


# -- registration ---------------------------------------------------------------------------------
@hookspec
def register_data_sources(register: RegisterDataSource) -> None:
    """Register sources of real data.

    ``factory(config, context)`` returns a :class:`ganframe.data.Distribution` (sampled afresh every
    batch) or a :class:`ganframe.data.Dataset` (a finite set of examples, shuffled every epoch).
    ``context.data`` is None here: the data source is built first.
    """


@hookspec
def register_noise(register: RegisterNoise) -> None:
    """Register latent noise distributions fed to generators.

    ``factory(config, context)`` returns a :class:`ganframe.components.Noise`: an object with a
    ``dim`` attribute and ``sample(n, *, generator, device) -> Tensor`` of shape ``(n, dim)``.
    """


@hookspec
def register_generators(register: RegisterNetwork) -> None:
    """Register generator networks.

    ``factory(config, context)`` returns a ``torch.nn.Module`` mapping noise of shape
    ``(B, context.noise_dim)`` to samples of shape ``(B, *context.sample_shape)`` in model space.
    """


@hookspec
def register_discriminators(register: RegisterNetwork) -> None:
    """Register discriminator networks.

    ``factory(config, context)`` returns a ``torch.nn.Module`` mapping a batch ``(B, *sample_shape)``
    to scores. The module's ``output`` attribute says what the scores are: ``"logits"`` (the
    default when absent) or ``"probabilities"``; losses check that they can use it.
    """


@hookspec
def register_networks(register: RegisterNetwork) -> None:
    """Register networks for the further roles a GAN family needs (``[networks.ROLE]``).

    An encoder (ALI, BiGAN), a Q head (InfoGAN), a reconstructor (VEEGAN): ``factory(config,
    context)`` returns a ``torch.nn.Module``; ``context.role`` is the role's name, ``context.data``
    and ``context.noise_dim`` are known. Each role gets its own optimizer, schedule, extras and a
    place in checkpoints; strategies reach it with ``trainer.network(role)``.
    """


@hookspec
def register_network_extras(register: RegisterNetworkExtra) -> None:
    """Register extras: changes applied to a network of any role after it is built.

    A network lists them in order, ``discriminator.extras = ["spectral-norm", {name =
    "minibatch-discrimination", kernels = 50}]``, so a trick written once works with every network.
    ``factory(config, context)`` returns a callable ``apply(network) -> network`` that changes or
    wraps the built ``torch.nn.Module``; ``context.role`` is the network's role (``"generator"``,
    ``"discriminator"`` or a ``[networks.ROLE]`` name; raise ``ValueError`` for a role the extra
    does not support). New parameters are drawn from the experiment's seeded initialisation stream.
    An ``apply`` with a ``network_shape(sample_shape) -> sample_shape`` method has the network built
    for examples of that shape (PacGAN's ``pack``: m examples side by side) and wraps it so that it
    takes the data's examples again (see :class:`ganframe.components.NetworkExtra`).
    """


@hookspec
def register_losses(register: RegisterLoss) -> None:
    """Register adversarial losses.

    ``factory(config, context)`` returns a :class:`ganframe.components.Loss`, with
    ``discriminator_loss(discriminator, real, fake)`` and
    ``generator_loss(discriminator, fake, real)``, each returning a scalar tensor. A loss that keeps
    state implements ``state_dict()``/``load_state_dict(state)``; it is saved in checkpoints.
    """


@hookspec
def register_strategies(register: RegisterStrategy) -> None:
    """Register training strategies: what one round of training does.

    ``factory(config, context)`` returns a :class:`ganframe.components.Strategy` whose
    ``train_round(trainer)`` performs any number of updates of any network role through a
    :class:`ganframe.components.Trainer` and returns the values to log. A strategy that keeps
    state implements ``state_dict()``/``load_state_dict(state)``; it is saved in checkpoints.
    """


@hookspec
def register_optimizers(register: RegisterOptimizer) -> None:
    """Register optimisers for networks of any role.

    ``factory(config, context)`` receives ``context.parameters`` (the network's parameters) and
    ``context.role``, and returns a ``torch.optim.Optimizer``.
    """


@hookspec
def register_metrics(register: RegisterMetric) -> None:
    """Register metrics computed on generated samples.

    ``factory(config, context)`` returns a :class:`ganframe.components.Metric`: a callable
    ``metric(samples, context) -> dict[str, float]`` where ``samples`` are in data space and
    ``context`` is a :class:`ganframe.components.MetricContext`.
    """


@hookspec
def register_setups(register: RegisterSetup) -> None:
    """Register setups: named, ready-to-run experiment recipes with named presets.

    Call ``register(name, presets, *, default_preset="default", description="")`` where
    ``presets`` maps each preset name to an experiment configuration dict (the same layout as a
    TOML config file).
    """


# -- one fit ------------------------------------------------------------------------------------
@hookspec
def fit_callbacks(experiment: Experiment, run_dir: Path | None) -> object | list[object] | None:
    """Called when ``Experiment.fit`` starts, before ``on_experiment_start``.

    Return an object (or a list of them) whose lifecycle hook implementations take part in this one
    fit only, or None. ganframe's run files, figures, ``report.html`` and TensorBoard writers are
    made here; ``run_dir`` is where the fit writes (None: nowhere). Make objects here without
    writing anything: an exception raised here stops the fit before any file is touched.
    """


@hookspec(firstresult=True)
def train_round(experiment: Experiment, trainer: Trainer) -> Mapping[str, torch.Tensor] | None:
    """One round of training; returns the values to log. Stops at the first non-None result.

    ganframe's own implementation (which runs last) calls ``experiment.strategy.train_round``.
    Implement it with ``@hookimpl(wrapper=True)`` to wrap every round (timing, profiling, autocast)
    whatever the strategy; return a result from a plain implementation only to replace the strategy.
    """


@hookspec
def on_experiment_start(experiment: Experiment, step: int) -> None:
    """Called once when ``Experiment.fit`` starts, before the first round.

    ``step`` is the number of rounds already done: 0, or the checkpoint's step when resuming.
    """


@hookspec
def on_step_end(experiment: Experiment, step: int, logs: Mapping[str, torch.Tensor]) -> None:
    """Called after every training round.

    ``step`` counts completed rounds (1 after the first). ``logs`` maps names such as ``d_loss`` to
    detached 0-dim tensors; call ``float()`` only when you need a number, as doing so on every step
    waits for the GPU.
    """


@hookspec
def on_epoch_end(experiment: Experiment, step: int, epoch: int, logs: Mapping[str, float]) -> None:
    """Called after the last round of every epoch when ``train.epoch_logs`` is on (finite data sets).

    An epoch is ``len(data) // train.batch_size`` rounds; ``epoch`` counts completed epochs (1
    after the first) and ``step`` completed rounds. ``logs`` maps each logged name to its mean over
    the epoch's rounds, averaged across processes.
    """


@hookspec
def on_evaluation(experiment: Experiment, step: int, metrics: Mapping[str, float]) -> None:
    """Called after the experiment's metrics were computed during or at the end of training."""


@hookspec
def on_train_end(experiment: Experiment, step: int) -> None:
    """Called once when the rounds are over (all done, or stopped early), before the final evaluation.

    The run writer writes the final checkpoint here, so a metric that fails afterwards loses nothing.
    """


@hookspec
def on_experiment_end(experiment: Experiment, step: int, report: Mapping[str, Any]) -> None:
    """Called once when training finished normally; ``report`` is what ``report.json`` holds."""


@hookspec
def on_exception(experiment: Experiment, step: int, exception: BaseException) -> None:
    """Called when training stops with an exception (including ``KeyboardInterrupt``).

    Each plugin's implementation is called on its own: one that raises is logged as a warning and
    the others still run. The exception is re-raised afterwards; use this hook to flush or close
    what you opened.
    """


@hookspec
def draw_figures(experiment: Experiment, run_dir: Path, samples: FigureSamples) -> None:
    """Called at the end of a fit that writes figures (``logging.plots``, main process, a run directory).

    Draw figures with :func:`ganframe.plots.save_figure`; ``report.html`` shows them with their
    captions. ``samples.generated`` and ``samples.real`` are 10,000 generated and real examples in
    data space, drawn on first use and shared by every implementation. Each plugin's
    implementation is called on its own: one that raises is a warning, never a failed run.
    """
