"""Every hook ganframe calls: the only place hooks are defined.

Plugins implement these with ``@ganframe.hookimpl``. Hooks are always called with keyword
arguments, so an implementation may accept only the arguments it needs, and a specification can
grow new arguments later without breaking plugins. ``docs/hooks.md`` documents each of them; a test
fails when one is missing there.

Two families:

* **Registration hooks** (``register_*``) receive a ``register`` callback from ganframe. Call it once
  per component: ``register(name, factory, config=ConfigClass, description="...")``. ganframe owns
  naming, validation and collision errors. ``factory(config, context)`` builds the component from
  its validated config and a :class:`ganframe.components.BuildContext`.
* **Lifecycle hooks** (``on_*``) are called during an experiment, so progress bars, loggers and
  run writers are plugins too. Their return values are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import torch

    from .experiment import Experiment

hookspec = pluggy.HookspecMarker("ganframe")

#: The ``register`` callback a registration hook receives:
#: ``register(name, factory, *, config=None, description="")``.
Register = Callable[..., None]


@hookspec
def register_data_sources(register: Register) -> None:
    """Register sources of real data.

    ``factory(config, context)`` returns a :class:`ganframe.data.Distribution` (sampled afresh every
    batch) or a :class:`ganframe.data.Dataset` (a finite set of examples, shuffled every epoch).
    ``context.data`` is None here: the data source is built first.
    """


@hookspec
def register_noise(register: Register) -> None:
    """Register latent noise distributions fed to generators.

    ``factory(config, context)`` returns a :class:`ganframe.components.Noise`: an object with a
    ``dim`` attribute and ``sample(n, *, generator, device) -> Tensor`` of shape ``(n, dim)``.
    """


@hookspec
def register_generators(register: Register) -> None:
    """Register generator networks.

    ``factory(config, context)`` returns a ``torch.nn.Module`` mapping noise of shape
    ``(B, context.noise_dim)`` to samples of shape ``(B, *context.sample_shape)`` in model space.
    """


@hookspec
def register_network_extras(register: Register) -> None:
    """Register extras: changes applied to a generator or discriminator after it is built.

    A network lists them in order, ``discriminator.extras = ["spectral-norm", {name =
    "minibatch-discrimination", kernels = 50}]``, so a trick written once works with every network.
    ``factory(config, context)`` returns a callable ``apply(network) -> network`` that changes or
    wraps the built ``torch.nn.Module``; ``context.role`` is ``"generator"`` or ``"discriminator"``
    (raise ``ValueError`` for a role the extra does not support). New parameters are drawn from
    the experiment's seeded initialisation stream. :func:`ganframe.nn.insert_before_last_linear`
    adds a layer of batch features just before a network's last linear layer.
    """


@hookspec
def register_discriminators(register: Register) -> None:
    """Register discriminator networks.

    ``factory(config, context)`` returns a ``torch.nn.Module`` mapping a batch ``(B, *sample_shape)``
    to scores. The module's ``output`` attribute says what the scores are: ``"logits"`` (the
    default when absent) or ``"probabilities"``; losses check that they can use it.
    """


@hookspec
def register_losses(register: Register) -> None:
    """Register adversarial losses.

    ``factory(config, context)`` returns a :class:`ganframe.components.Loss`, with
    ``discriminator_loss(discriminator, real, fake)`` and
    ``generator_loss(discriminator, fake, real)``, each returning a scalar tensor.
    """


@hookspec
def register_strategies(register: Register) -> None:
    """Register training strategies: what one round of training does.

    ``factory(config, context)`` returns a :class:`ganframe.components.Strategy` whose
    ``train_round(trainer)`` performs any number of D and G updates through a
    :class:`ganframe.trainer.Trainer` and returns the values to log.
    """


@hookspec
def register_optimizers(register: Register) -> None:
    """Register optimisers for the generator and the discriminator.

    ``factory(config, context)`` receives ``context.parameters`` (the network's parameters) and
    returns a ``torch.optim.Optimizer``.
    """


@hookspec
def register_metrics(register: Register) -> None:
    """Register metrics computed on generated samples.

    ``factory(config, context)`` returns a :class:`ganframe.components.Metric`: a callable
    ``metric(samples, context) -> dict[str, float]`` where ``samples`` are in data space and
    ``context`` is a :class:`ganframe.components.MetricContext`.
    """


@hookspec
def register_setups(register: Register) -> None:
    """Register setups: named, ready-to-run experiment recipes with named presets.

    Call ``register(name, presets, *, default_preset="default", description="")`` where
    ``presets`` maps each preset name to an experiment configuration dict (the same layout as a
    TOML config file).
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
    after the first) and ``step`` completed rounds. ``logs`` maps each logged name (``d_loss``,
    ``d_accuracy`` with ``train.d_accuracy``, ...) to its mean over the epoch's rounds, averaged
    across processes.
    """


@hookspec
def on_evaluation(experiment: Experiment, step: int, metrics: Mapping[str, float]) -> None:
    """Called after the experiment's metrics were computed during or at the end of training."""


@hookspec
def on_experiment_end(experiment: Experiment, step: int, report: Mapping[str, Any]) -> None:
    """Called once when training finished normally; ``report`` is what ``report.json`` holds."""


@hookspec
def on_exception(experiment: Experiment, step: int, exception: BaseException) -> None:
    """Called when training stops with an exception (including ``KeyboardInterrupt``).

    The exception is re-raised afterwards; use this hook to flush or close what you opened.
    """
