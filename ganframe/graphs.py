"""``train.cuda_graph``: a whole training round captured once in a CUDA graph, then replayed.

A round of a small GAN launches hundreds of tiny kernels, and launching them costs more than
running them; replaying the round as one graph removes that cost. The recipe is the "whole network
capture" of PyTorch's CUDA graph notes, applied to whatever the ``train_round`` hook does (the
strategy, and any plugin wrapping it):

1. Warm-up. The first :data:`WARMUP_ROUNDS` rounds of a fit run eagerly (on a side stream on
   CUDA) while the trainer records what each round draws: every ``trainer.real_batch()`` and
   ``trainer.noise_batch(n)``, in order, with its shape. They must be the same every round.
2. Capture. One static buffer per recorded draw; the round is captured with ``real_batch`` and
   ``noise_batch`` returning those buffers, in the recorded order.
3. Replay, every round from then on (the capture round first): the buffers are filled by drawing
   from the real sources in the recorded order, so the data and noise streams advance exactly as
   in eager training and checkpoints resume the same way; then the graph replays. The round's
   logs are the graph's static output tensors, copied after the replay.

Noise and data are drawn outside the graph; random draws inside the round (dropout, a gradient
penalty's mixing weights, ``trainer.rng``) come from generators registered with the graph, which
advance with every replay.

A round that cannot be captured runs eagerly, with one warning saying why: not on CUDA, a
component that declares ``capturable = False``, a round that uses ``trainer.rollback`` or
``trainer.differentiable_copy`` or waits for the GPU (a Python decision on a tensor's value,
``.item()``), draws that change from round to round, fp16's gradient scaler, a learning-rate
schedule on an optimiser that cannot take the rate as a tensor, torchrun, a capture that raises.

Capture and replay are a small backend: :class:`CudaGraph` (``torch.cuda.CUDAGraph``) for
``cuda`` devices, from :data:`BACKENDS`. :class:`EagerReplay` is a CPU stand-in for tests: its
"replay" runs the captured round again eagerly through the same static buffers, so a test on a
CPU checks that buffered rounds give exactly the weights of eager ones, and draw in the same order.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

import attrs
import torch

from .acceleration import compile_mode

if TYPE_CHECKING:
    from .config import TrainConfig
    from .trainer import RoundTrainer

log = logging.getLogger("ganframe")

#: Eager rounds of each fit before the capture: they record the draws, create the optimisers'
#: state, and let cuBLAS and the caching allocator settle (PyTorch's notes use three).
WARMUP_ROUNDS = 3

Logs = Mapping[str, torch.Tensor]
Round = Callable[[], Logs]


class NotCapturable(RuntimeError):
    """A round did something a captured graph cannot replay."""


@attrs.frozen
class Draw:
    """One ``real_batch()`` or ``noise_batch(n)`` of a round."""

    kind: str  # "real" or "noise"
    shape: tuple[int, ...]
    dtype: torch.dtype
    n: int | None = None  # the n noise_batch was asked for

    @classmethod
    def of(cls, kind: str, tensor: torch.Tensor, n: int | None = None) -> Draw:
        return cls(kind, tuple(tensor.shape), tensor.dtype, n)

    def __str__(self) -> str:
        return f"{self.kind} {self.shape}"


class Recorder:
    """The trainer's draws during an eager round: passed through, and noted. They are made under
    ``watch.unwatched()``: a data source may wait for the GPU, since draws stay out of the graph."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self.draws: list[Draw] = []
        self.unsafe_uses: list[str] = []

    def real_batch(self, draw: Callable[[], torch.Tensor]) -> torch.Tensor:
        with self.watch.unwatched():
            batch = draw()
        self.draws.append(Draw.of("real", batch))
        return batch

    def noise_batch(self, n: int, draw: Callable[[int], torch.Tensor]) -> torch.Tensor:
        with self.watch.unwatched():
            noise = draw(n)
        self.draws.append(Draw.of("noise", noise, n))
        return noise

    def unsafe(self, what: str) -> None:
        self.unsafe_uses.append(what)


class Served:
    """The trainer's draws during a captured (or buffered) round: the k-th draw is ``tensors[k]``."""

    def __init__(self, draws: list[Draw], tensors: list[torch.Tensor], *, strict: bool = True) -> None:
        self.draws, self.tensors, self.strict = draws, tensors, strict
        self.position = 0

    def _next(self, kind: str, n: int | None) -> torch.Tensor:
        index = self.position
        if index >= len(self.draws) or self.draws[index].kind != kind or self.draws[index].n != n:
            wanted = f"noise_batch({n})" if kind == "noise" else "real_batch()"
            recorded = ", ".join(map(str, self.draws)) or "nothing"
            raise NotCapturable(f"the round's draw {index + 1} is {wanted}, but the warm-up rounds drew {recorded}")
        self.position += 1
        return self.tensors[index]

    def real_batch(self, draw: Callable[[], torch.Tensor]) -> torch.Tensor:
        return self._next("real", None)

    def noise_batch(self, n: int, draw: Callable[[int], torch.Tensor]) -> torch.Tensor:
        return self._next("noise", n)

    def unsafe(self, what: str) -> None:
        if self.strict:
            raise NotCapturable(f"the round used {what}")


class Watch:
    """What a backend noticed during a warm-up round: a reason it cannot be captured, or None."""

    reason: str | None = None

    def unwatched(self) -> contextlib.AbstractContextManager[Any]:
        """A part of the round that is not captured (the draws)."""
        return contextlib.nullcontext()


class _SyncWatch(Watch):
    """Notices, through PyTorch's sync debug mode, a round that waits for the GPU."""

    def __init__(self) -> None:
        self.mode = torch.cuda.get_sync_debug_mode()

    @contextlib.contextmanager
    def unwatched(self) -> Iterator[None]:
        torch.cuda.set_sync_debug_mode(self.mode)
        try:
            yield
        finally:
            torch.cuda.set_sync_debug_mode("warn")


class Backend(Protocol):
    """Capture and replay of one round on one device type (see :data:`BACKENDS`)."""

    def __init__(self, trainer: RoundTrainer) -> None: ...

    def prepare(self, optimizers: Mapping[str, torch.optim.Optimizer], lr_decay: str) -> None:
        """Make the optimisers capturable, before the first warm-up round."""
        ...

    def warming_up(self, watch: bool) -> contextlib.AbstractContextManager[Watch]:
        """Where an eager warm-up round runs; with ``watch``, the Watch says after it what rules
        capture out (the last warm-up round is watched: earlier ones may compile, autotune...)."""
        ...

    def capture(self, run_round: Round) -> None:
        """Record ``run_round`` (it reads the static buffers); raises when it cannot be captured."""
        ...

    def replay(self) -> Logs:
        """Run what was captured; returns the round's logs (static tensors, valid until the next replay)."""
        ...


class CudaGraph:
    """``torch.cuda.CUDAGraph``: warm-up and capture on a side stream, capturable optimisers."""

    def __init__(self, trainer: RoundTrainer) -> None:
        self.device = trainer.device
        self.graph = torch.cuda.CUDAGraph()
        self.stream = torch.cuda.Stream(device=self.device)
        self.generators = [trainer.rng]  # the strategy's stream; the default CUDA generator is registered anyway
        self.outputs: Logs = {}

    def prepare(self, optimizers: Mapping[str, torch.optim.Optimizer], lr_decay: str) -> None:
        for optimizer in optimizers.values():
            make_capturable(optimizer, tensor_lr=lr_decay != "constant")

    @contextlib.contextmanager
    def warming_up(self, watch: bool) -> Iterator[Watch]:
        current = torch.cuda.current_stream(self.device)
        self.stream.wait_stream(current)
        if not watch:
            try:
                with torch.cuda.stream(self.stream):
                    yield Watch()
            finally:
                current.wait_stream(self.stream)
            return
        watching = _SyncWatch()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.cuda.set_sync_debug_mode("warn")  # a round that waits for the GPU cannot be captured
            try:
                with torch.cuda.stream(self.stream):
                    yield watching
            finally:
                torch.cuda.set_sync_debug_mode(watching.mode)
                current.wait_stream(self.stream)
        for warning in caught:
            text = str(warning.message)
            if "synchroniz" in text.lower():
                watching.reason = watching.reason or (
                    "the round waits for the GPU (a Python decision on a tensor's value, .item(), float() or "
                    f"a copy to the CPU: {_first_line(text)}), and a graph would keep the first round's answer"
                )
            else:  # not ours: on to the user as usual
                warnings.warn_explicit(
                    warning.message, warning.category, warning.filename, warning.lineno, source=warning.source
                )

    def capture(self, run_round: Round) -> None:
        for generator in self.generators:
            if generator.device.type == "cuda" and hasattr(self.graph, "register_generator_state"):
                self.graph.register_generator_state(generator)
        with torch.cuda.graph(self.graph, stream=self.stream):
            self.outputs = run_round()

    def replay(self) -> Logs:
        self.graph.replay()
        return self.outputs


class EagerReplay:
    """A CPU stand-in for :class:`CudaGraph`, for tests: capture keeps the round without running it
    (as capture runs no kernels), and replay runs it again, eagerly, through the static buffers."""

    def __init__(self, trainer: RoundTrainer) -> None:
        self._round: Round | None = None

    def prepare(self, optimizers: Mapping[str, torch.optim.Optimizer], lr_decay: str) -> None:
        pass

    @contextlib.contextmanager
    def warming_up(self, watch: bool) -> Iterator[Watch]:
        yield Watch()

    def capture(self, run_round: Round) -> None:
        self._round = run_round

    def replay(self) -> Logs:
        assert self._round is not None
        return self._round()


#: device type → the backend that captures rounds there; tests add ``"cpu": EagerReplay``.
BACKENDS: dict[str, type[Backend]] = {"cuda": CudaGraph}


# -- the rounds ------------------------------------------------------------------------------------
def round_runner(run_round: Round, trainer: RoundTrainer, train: TrainConfig, components: Mapping[str, Any]) -> Round:
    """How the training loop runs rounds: ``run_round`` itself, or (``train.cuda_graph``) captured
    and replayed. ``components`` maps how messages name the loss and the strategy to them."""
    if not train.cuda_graph:
        return run_round
    reason = why_not_capturable(trainer, train, components)
    if reason is not None:
        _warn(reason)
        return run_round
    return GraphedRounds(run_round, trainer, BACKENDS[trainer.device.type](trainer), lr_decay=train.lr_decay)


def why_not_capturable(trainer: RoundTrainer, train: TrainConfig, components: Mapping[str, Any]) -> str | None:
    """Why rounds of this experiment cannot be captured, known before training; None if they may be."""
    if trainer.device.type not in BACKENDS:
        return f"CUDA graphs need a CUDA device, and this run trains on the {trainer.device.type}"
    if trainer.distributed.enabled:
        return "a data-parallel run (torchrun) averages gradients across processes, which is not captured"
    if train.precision == "fp16":
        return (
            "train.precision 'fp16' checks every step's gradients for inf/NaN on the CPU (the gradient "
            "scaler), which a graph cannot replay; 'bf16' needs no scaler"
        )
    mode = compile_mode(train.compile)
    if mode in ("reduce-overhead", "max-autotune"):
        return f"train.compile {mode!r} makes CUDA graphs of its own; use train.compile = true with train.cuda_graph"
    for who, component in components.items():
        if getattr(component, "capturable", True) is False:
            return f"{who} declares capturable = False"
    if train.lr_decay != "constant":
        for role, optimizer in trainer.optimizers.items():
            if "capturable" not in optimizer.defaults:
                return (
                    f"train.lr_decay {train.lr_decay!r} changes the learning rate every round, and the {role}'s "
                    f"optimizer ({type(optimizer).__name__}) cannot take it as a tensor (Adam, AdamW and "
                    "RMSprop can); use lr_decay = 'constant'"
                )
    return None


class GraphedRounds:
    """Rounds warmed up, captured and replayed through ``backend`` (see the module's documentation).

    Called once per round, like ``run_round``; falls back to calling ``run_round`` for good, with
    one warning, when the round turns out not to be capturable.
    """

    def __init__(
        self,
        run_round: Round,
        trainer: RoundTrainer,
        backend: Backend,
        *,
        lr_decay: str = "constant",
        warmup: int = WARMUP_ROUNDS,
    ) -> None:
        self.run_round, self.trainer, self.backend, self.warmup = run_round, trainer, backend, warmup
        self.phase = "warm-up"  # then "capture", "replay"; or "eager" after a fallback
        self.records: list[Recorder] = []
        self.draws: list[Draw] = []  # the recorded draws of every round
        self.buffers: list[torch.Tensor] = []  # one static buffer per draw
        self.tensors: list[torch.Tensor] = []  # the round's draws from the sources, copied into the buffers
        self.previous: torch.Tensor | None = None  # the last real batch before the round (trainer.last_real)
        self.last_real: torch.Tensor | None = None  # the buffer the round's last real_batch() returns
        with _quiet_capturable():
            backend.prepare(trainer.optimizers, lr_decay)

    def __call__(self) -> Logs:
        if self.phase == "replay":
            return self._replay()
        if self.phase == "warm-up":
            return self._warm_up()
        if self.phase == "capture":
            return self._capture()
        with _quiet_capturable():
            return self.run_round()

    # -- the phases --------------------------------------------------------------------------------
    def _warm_up(self) -> Logs:
        last = len(self.records) + 1 >= self.warmup
        with _quiet_capturable(), self.backend.warming_up(watch=last) as watch:
            recorder = Recorder(watch)
            with self.trainer.draws_through(recorder):
                logs = self.run_round()
        self.records.append(recorder)
        reason = _unsafe(recorder) or watch.reason or _untensored(logs) or _changing(self.records)
        if reason is not None:
            self._fall_back(reason)
        elif len(self.records) >= self.warmup:
            self.phase = "capture"
        return logs

    def _capture(self) -> Logs:
        trainer = self.trainer
        self.draws = list(self.records[-1].draws)
        self.buffers = [torch.empty(d.shape, dtype=d.dtype, device=trainer.device) for d in self.draws]
        reals = [buffer for draw, buffer in zip(self.draws, self.buffers) if draw.kind == "real"]
        if trainer.last_real is not None:  # what the round sees before its first real_batch()
            self.previous = trainer.last_real.detach().clone()
            trainer.last_real = self.previous
        self.last_real = reals[-1] if reals else self.previous
        drawn = self._draw()
        if isinstance(drawn, str):
            return self._eager_this_round(drawn)
        self._fill(drawn)
        try:
            with _quiet_capturable(), trainer.draws_through(Served(self.draws, self.buffers)):
                self.backend.capture(self.run_round)
        except Exception as exc:  # nothing ran: this round, and every later one, runs eagerly
            return self._eager_this_round(f"capturing the round failed: {_first_line(str(exc)) or type(exc).__name__}")
        log.info(
            "train.cuda_graph: the round is captured (%d draws: %s) and replayed from round %d on",
            len(self.draws),
            ", ".join(map(str, self.draws)) or "none",
            trainer.step + 1,
        )
        self.phase = "replay"
        return self._play()

    def _replay(self) -> Logs:
        trainer = self.trainer
        if self.previous is not None and trainer.last_real is not None and trainer.last_real is not self.previous:
            self.previous.copy_(trainer.last_real)  # before the fill overwrites it
            trainer.last_real = self.previous
        drawn = self._draw()
        if isinstance(drawn, str):
            return self._eager_this_round(drawn)
        self._fill(drawn)
        return self._play()

    # -- the parts ---------------------------------------------------------------------------------
    def _draw(self) -> list[torch.Tensor] | str:
        """This round's draws from the real sources, in the recorded order; a reason (str) when
        one does not fit its buffer (the draws are then kept in ``self.tensors``)."""
        trainer = self.trainer
        self.tensors = [
            trainer.draw_real_batch() if draw.kind == "real" else trainer.draw_noise_batch(draw.n or 0)
            for draw in self.draws
        ]
        for draw, tensor in zip(self.draws, self.tensors):
            if Draw.of(draw.kind, tensor, draw.n) != draw:
                return (
                    f"the data changed shape: a {draw.kind} batch of {tuple(tensor.shape)} ({tensor.dtype}) where "
                    f"the captured round takes {draw.shape} ({draw.dtype})"
                )
        return self.tensors

    def _fill(self, tensors: list[torch.Tensor]) -> None:
        for buffer, tensor in zip(self.buffers, tensors):
            buffer.copy_(tensor)

    def _play(self) -> Logs:
        with self.trainer.draws_through(Served(self.draws, self.buffers)):
            outputs = self.backend.replay()
        self.trainer.last_real = self.last_real
        return {key: value.clone() for key, value in outputs.items()}  # the next replay overwrites the outputs

    def _eager_this_round(self, reason: str) -> Logs:
        """Fall back in the middle of a round whose draws were made: it runs eagerly on them."""
        self._fall_back(reason)
        with _quiet_capturable(), self.trainer.draws_through(Served(self.draws, self.tensors, strict=False)):
            return self.run_round()

    def _fall_back(self, reason: str) -> None:
        _warn(reason)
        self.phase = "eager"
        self.buffers, self.records, self.backend = [], [], EagerReplay(self.trainer)  # let the graph go


def _warn(reason: str) -> None:
    log.warning("train.cuda_graph: training rounds run eagerly, not captured: %s", reason)


def _unsafe(recorder: Recorder) -> str | None:
    if not recorder.unsafe_uses:
        return None
    return (
        f"the round uses {recorder.unsafe_uses[0]}, which replaces tensors between rounds; declare "
        "capturable = False on the strategy to say so up front"
    )


def _untensored(logs: Any) -> str | None:
    if not isinstance(logs, Mapping):
        return f"the round returned a {type(logs).__name__}, not a dict of tensors to log"
    for key, value in logs.items():
        if not isinstance(value, torch.Tensor):
            return f"the round logs {key!r} as a {type(value).__name__}, which a graph would repeat; log a tensor"
    return None


def _changing(records: list[Recorder]) -> str | None:
    first, last = records[0].draws, records[-1].draws
    if first == last:
        return None
    return (
        f"the round's draws change from round to round (data of changing shape, or draws that depend on "
        f"the round): {', '.join(map(str, first)) or 'none'} in one, {', '.join(map(str, last)) or 'none'} "
        "in another"
    )


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


@contextlib.contextmanager
def _quiet_capturable() -> Iterator[None]:
    """PyTorch warns when a capturable optimiser steps outside a graph, as warm-up rounds do."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"This instance was constructed with capturable=True")
        yield


# -- optimisers -----------------------------------------------------------------------------------
def make_capturable(optimizer: torch.optim.Optimizer, *, tensor_lr: bool) -> None:
    """Let ``optimizer`` step inside a CUDA graph: ``capturable = True`` (its step counts on the
    device) where it has the option, and with ``tensor_lr`` the learning rate as a device tensor,
    which a schedule then changes in place (a float would be frozen into the graph)."""
    if "capturable" not in optimizer.defaults:
        return  # SGD and the like keep no step count: they capture as they are
    optimizer.defaults["capturable"] = True
    for group in optimizer.param_groups:
        group["capturable"] = True
        device = group["params"][0].device if group["params"] else torch.device("cpu")
        if tensor_lr and not isinstance(group["lr"], torch.Tensor):
            group["lr"] = torch.tensor(float(group["lr"]), device=device)
        _place_steps(optimizer, group)


def optimizer_options(optimizer: torch.optim.Optimizer) -> list[tuple[Any, torch.device | None]]:
    """What :func:`make_capturable` changes in each parameter group, as the optimiser has it now:
    ``capturable``, and the device of a tensor learning rate (None for a float)."""
    return [
        (group.get("capturable"), group["lr"].device if isinstance(group["lr"], torch.Tensor) else None)
        for group in optimizer.param_groups
    ]


def restore_optimizer_options(optimizer: torch.optim.Optimizer, options: list[tuple[Any, torch.device | None]]) -> None:
    """After ``optimizer.load_state_dict``: the options :func:`optimizer_options` noted before it.

    A checkpoint of a graphed run holds capturable groups with tensor learning rates; loaded as it
    is into an eager run (on the CPU, say), Adam would refuse to step. The run's own choice wins.
    """
    for group, (capturable, lr_device) in zip(optimizer.param_groups, options):
        lr = group["lr"]
        if lr_device is None and isinstance(lr, torch.Tensor):
            group["lr"] = float(lr)
        elif lr_device is not None:
            group["lr"] = (lr if isinstance(lr, torch.Tensor) else torch.tensor(float(lr))).to(lr_device)
        if capturable is not None:
            group["capturable"] = capturable
        _place_steps(optimizer, group)


def _place_steps(optimizer: torch.optim.Optimizer, group: dict[str, Any]) -> None:
    """Step counts where the group's implementation reads them: on the parameter's device when
    capturable or fused, else on the CPU (as ``torch.optim`` puts them when it loads a state)."""
    on_device = bool(group.get("capturable")) or bool(group.get("fused"))
    for parameter in group["params"]:
        state = optimizer.state.get(parameter)
        step = state.get("step") if state else None
        if state is not None and isinstance(step, torch.Tensor):
            where = parameter.device if on_device else torch.device("cpu")
            if step.device != where:
                state["step"] = step.to(where)
