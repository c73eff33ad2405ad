"""The interfaces components implement, and what their factories receive.

Interfaces are ``typing.Protocol`` classes: a component needs the right methods, not a base class.
Data sources are the exception: :mod:`ganframe.data` gives them two small base classes because the
trainer treats a sampled distribution and a finite data set differently.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeAlias, TypeVar, runtime_checkable

import attrs

from .errors import ConfigError

if TYPE_CHECKING:  # annotations only: ganframe list, show and plugins import this without PyTorch
    from pathlib import Path

    import torch

    from .config import ExperimentConfig
    from .data import Dataset, DataSource, Distribution
    from .distributed import DistributedContext
    from .network_copy import NetworkCopy

#: The network roles every experiment has; ``[networks.ROLE]`` adds more.
GENERATOR, DISCRIMINATOR = "generator", "discriminator"

#: What the factories given to one ``register`` callback build (contravariant: a callback that
#: takes factories of anything may stand in for one that takes factories of noise).
Made = TypeVar("Made", contravariant=True)


class Register(Protocol[Made]):
    """The ``register`` callback of a registration hook (all but ``register_setups``).

    ``Register[Noise]`` takes factories that build a :class:`Noise`: ``factory(config, context)``
    with ``context`` a :class:`BuildContext`. Each hook's parameter is one of the aliases below
    (``RegisterNoise``, ``RegisterLoss``...), so a type checker sees what its factories must return.
    """

    def __call__(
        self,
        name: str,
        factory: Callable[[Any, BuildContext], Made],
        *,
        config: type | None = None,
        description: str = "",
    ) -> None: ...


class RegisterSetup(Protocol):
    """The ``register`` callback of ``register_setups``."""

    def __call__(
        self,
        name: str,
        presets: Mapping[str, Mapping[str, Any]],
        *,
        default_preset: str = "default",
        description: str = "",
    ) -> None: ...


@attrs.frozen(kw_only=True)
class BuildContext:
    """What a component factory may need to know besides its own config.

    ``data`` is None while the data source itself is being built; ``parameters`` is set only when
    an optimiser is being built; ``networks`` and ``optimizers`` (role → built network, role → its
    optimiser) once every network is built, that is for losses, strategies and metrics.
    """

    seed: int
    device: torch.device
    batch_size: int  # per process: the global batch divided by the number of DDP processes
    data: DataSource | None = None
    noise_dim: int | None = None
    parameters: Iterable[torch.nn.Parameter] | None = None
    steps: int = 0
    role: str | None = None  # the network's role while a network, its extras or its optimiser are built
    networks: Mapping[str, torch.nn.Module] = attrs.field(factory=dict)
    optimizers: Mapping[str, torch.optim.Optimizer] = attrs.field(factory=dict)
    building: str = "a component"  # who is being built, for messages: "loss 'hinge' (plugin 'extras')"
    noise: Noise | None = None  # the generator's noise, once built: for components that read its layout
    # The example shape the network being built works on, when a network extra changes it (packing
    # m examples into one for PacGAN's discriminator); None: the data's.
    network_shape: tuple[int, ...] | None = None

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """The shape of one example as the network being built sees it (model space): the data's,
        unless a network extra with ``network_shape`` changed it."""
        if self.network_shape is not None:
            return self.network_shape
        if self.data is None:
            raise RuntimeError("sample_shape is not known before the data source is built")
        return self.data.sample_shape

    def network(self, role: str) -> torch.nn.Module:
        """The built network of ``role``; a one-line ConfigError when the experiment has no such role."""
        return network_of(self.networks, role, self.building)


def network_of(networks: Mapping[str, torch.nn.Module], role: str, who: str) -> torch.nn.Module:
    """``networks[role]``, or a ConfigError naming ``who`` asked, the role and the roles there are."""
    if role not in networks:
        hint = f"; add a [networks.{role}] section" if role not in (GENERATOR, DISCRIMINATOR) else ""
        raise ConfigError(
            f"{who} needs the network role {role!r}, which this experiment does not have "
            f"(its roles: {', '.join(networks) or 'none yet'}){hint}"
        )
    return networks[role]


@runtime_checkable
class NetworkExtra(Protocol):
    """What a network extra's factory returns: ``apply(network) -> network``.

    It may also have ``network_shape(sample_shape) -> sample_shape``: the network is then built for
    examples of that shape instead of the data's (extras are asked in order, each given the shape
    the previous one returned), and ``apply`` wraps it so that it takes the data's examples again.
    """

    def __call__(self, network: torch.nn.Module) -> torch.nn.Module: ...


@runtime_checkable
class Noise(Protocol):
    """Latent noise for the generator."""

    dim: int

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        """``(n, dim)`` noise drawn with ``generator`` on ``device``."""
        ...


@runtime_checkable
class Loss(Protocol):
    """An adversarial loss: what D minimises and what G minimises.

    A loss may also have ``roles``, the network roles it uses besides G and D (checked when the
    experiment is built), ``state_dict``/``load_state_dict`` when it keeps state between rounds,
    ``needs_double_backward = True`` when it differentiates a gradient (a gradient penalty:
    ``train.compile`` then keeps the networks eager) and ``capturable = False`` when it cannot be
    captured in a CUDA graph (``train.cuda_graph``; see docs/gpu.md).
    """

    def discriminator_loss(
        self, discriminator: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor
    ) -> torch.Tensor:
        """Scalar loss for D on a real batch and a (detached) fake batch."""
        ...

    def generator_loss(
        self, discriminator: Callable[[torch.Tensor], torch.Tensor], fake: torch.Tensor, real: torch.Tensor | None
    ) -> torch.Tensor:
        """Scalar loss for G; ``real`` is the latest real batch, or None before the first D step."""
        ...


@runtime_checkable
class Stateful(Protocol):
    """A strategy or loss whose state between rounds goes into checkpoints."""

    def state_dict(self) -> dict[str, Any]:
        """The state to save: tensors, numbers, strings, lists and dicts of them."""
        ...

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; raise on anything that does not fit."""
        ...


@runtime_checkable
class Trainer(Protocol):
    """What a strategy trains with: every network by role, real and noise batches, and the one
    update path (zero_grad → backward → averaging across processes → step).

    Strategies use this interface and nothing else, so that freezing, distributed averaging,
    checkpointed data order and random streams are handled the same way for every GAN family.
    """

    step: int  # rounds completed before this one (0 in the first round)
    batch_size: int  # real examples per batch in this process
    device: torch.device
    loss: Loss
    noise: Noise
    rng: torch.Generator  # the strategy's own seeded random stream (on ``device``), saved in checkpoints

    @property
    def roles(self) -> tuple[str, ...]:
        """The experiment's network roles: ``("generator", "discriminator", ...)``."""
        ...

    @property
    def generator(self) -> torch.nn.Module: ...

    @property
    def discriminator(self) -> torch.nn.Module: ...

    def network(self, role: str) -> torch.nn.Module:
        """The network of ``role``."""
        ...

    def optimizer(self, role: str) -> torch.optim.Optimizer:
        """The optimiser of ``role`` (read its hyperparameters; update through :meth:`update`)."""
        ...

    def real_batch(self) -> torch.Tensor:
        """The next real batch for this process: ``(batch_size, *sample_shape)``."""
        ...

    def noise_batch(self, n: int | None = None) -> torch.Tensor:
        """``(n, noise_dim)`` latent noise; ``n`` defaults to the batch size."""
        ...

    def generate(self, n: int | None = None, *, grad: bool = True) -> torch.Tensor:
        """A fake batch from fresh noise; ``grad=False`` keeps no graph (enough for a D update)."""
        ...

    def update(self, role: str | tuple[str, ...], loss: torch.Tensor) -> torch.Tensor:
        """One step of ``role``'s optimiser on ``loss``; returns the loss, detached.

        Only ``role``'s parameters receive gradients, whatever else the loss depends on. A tuple of
        roles trains them together on one loss: one backward pass, then each role's optimiser steps.
        """
        ...

    def frozen(self, *roles: str) -> AbstractContextManager[None]:
        """No gradients into the parameters of ``roles`` inside the block (D while G learns)."""
        ...

    def rollback(self, *roles: str) -> AbstractContextManager[None]:
        """Undo, on leaving the block, every change to ``roles``: weights, buffers, optimiser state."""
        ...

    def differentiable_copy(self, role: str) -> NetworkCopy:
        """A copy of ``role``'s network whose parameters can be stepped differentiably."""
        ...

    def discriminator_step(self, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """One D update with the experiment's loss (``fake`` is detached here)."""
        ...

    def generator_step(self, fake: torch.Tensor) -> torch.Tensor:
        """One G update with the experiment's loss; D is frozen meanwhile."""
        ...


@runtime_checkable
class Strategy(Protocol):
    """Decides what one training round does: which network updates, how often, in what order.

    A strategy may also have ``roles`` (the network roles it updates besides G and D, checked when
    the experiment is built), ``state_dict``/``load_state_dict`` when it keeps state,
    ``needs_double_backward = True`` when it differentiates a gradient, and ``capturable = False``
    when what a round does depends on ``trainer.step`` or Python state (see docs/gpu.md).
    """

    def train_round(self, trainer: Trainer) -> Mapping[str, torch.Tensor]:
        """Run one round through ``trainer`` and return detached scalar tensors to log."""
        ...


class FigureSamples(Protocol):
    """What ``draw_figures`` receives: generated and real examples in data space, on the CPU."""

    @property
    def generated(self) -> torch.Tensor: ...

    @property
    def real(self) -> torch.Tensor: ...


@runtime_checkable
class ExperimentView(Protocol):
    """What lifecycle hooks may use of the experiment they are called for (a ``ganframe.Experiment``)."""

    config: ExperimentConfig  # the resolved configuration
    device: torch.device
    distributed: DistributedContext  # ``distributed.is_main``: only the main process writes
    run_dir: Path | None  # where the current fit writes, or None
    networks: Mapping[str, torch.nn.Module]  # every network by role
    data: DataSource
    step: int  # rounds done

    @property
    def generator(self) -> torch.nn.Module: ...

    @property
    def discriminator(self) -> torch.nn.Module: ...

    @property
    def seconds(self) -> float:
        """Seconds spent training, across resumes."""
        ...

    @property
    def rounds_per_epoch(self) -> int | None:
        """Rounds in one pass over a finite data set; None for a distribution sampled afresh."""
        ...

    def sample(self, n: int, *, seed: int | None = None) -> torch.Tensor:
        """``n`` generated samples in data space, on the CPU."""
        ...

    def evaluate(self, samples: int | None = None) -> dict[str, float]:
        """The configured metrics on fresh samples."""
        ...

    def request_stop(self) -> None:
        """Stop after the current round (then checkpoint and report as usual)."""
        ...


@attrs.frozen(kw_only=True)
class MetricContext:
    """What a metric may use besides the samples: the real data, a seeded random generator and the
    trained networks by role."""

    data: DataSource
    generator: torch.Generator
    device: torch.device
    networks: Mapping[str, torch.nn.Module] = attrs.field(factory=dict)


@runtime_checkable
class Metric(Protocol):
    """Scores generated samples (in data space): name → value."""

    def __call__(self, samples: torch.Tensor, context: MetricContext) -> Mapping[str, float]: ...


#: The ``register`` callback of each registration hook, by what its factories build.
RegisterDataSource: TypeAlias = Register["Distribution | Dataset"]
RegisterNoise: TypeAlias = Register[Noise]
RegisterNetwork: TypeAlias = Register["torch.nn.Module"]  # generators, discriminators and [networks.ROLE]
RegisterNetworkExtra: TypeAlias = Register[NetworkExtra]
RegisterLoss: TypeAlias = Register[Loss]
RegisterStrategy: TypeAlias = Register[Strategy]
RegisterOptimizer: TypeAlias = Register["torch.optim.Optimizer"]
RegisterMetric: TypeAlias = Register[Metric]


def is_protocol(cls: object) -> bool:
    """Whether ``cls`` is a ``typing.Protocol`` class (what ``typing.is_protocol`` says from Python 3.13)."""
    return isinstance(cls, type) and cls is not Protocol and bool(getattr(cls, "_is_protocol", False))


def protocol_members(protocol: type) -> tuple[str, ...]:
    """The members ``isinstance`` checks on a runtime-checkable Protocol, base protocols first:
    each class's annotated attributes, then its methods and properties (``__call__`` included).

    Read from the class itself, so that messages about a missing member and the documentation
    test follow the Protocol without a second list to keep up to date."""
    names: list[str] = []
    for cls in reversed(protocol.__mro__):
        if cls in (object, Protocol, Generic):
            continue
        for name in [*inspect.get_annotations(cls), *vars(cls)]:
            if (name == "__call__" or not name.startswith("_")) and name not in names:
                names.append(name)
    return tuple(names)


def missing_members(obj: object, protocol: type) -> tuple[str, ...]:
    """The members of ``protocol`` that ``obj`` lacks, the way ``isinstance`` decides: absent, or a
    method set to None. Empty when ``obj`` has them all."""
    return tuple(
        name
        for name in protocol_members(protocol)
        if not hasattr(obj, name) or (callable(getattr(protocol, name, None)) and getattr(obj, name) is None)
    )


def discriminator_output(discriminator: Any) -> str:
    """``"logits"`` or ``"probabilities"``: what a discriminator's scores are."""
    module = getattr(discriminator, "module", discriminator)  # unwrap DDP
    return getattr(module, "output", "logits")
