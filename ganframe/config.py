"""Experiment configuration: frozen attrs classes, validated on creation, read from and written to
TOML, and changed with ``key=value`` overrides.

A configuration is first a plain dict (the layout of a TOML file, or of a setup's preset). Resolving
it against the registry turns every component section into that component's own config class,
so a wrong name, type or value fails early with the field's path and what is allowed.
"""

from __future__ import annotations

import copy
import itertools
import math
import numbers
import os
import re
import stat
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import attrs
import cattrs
import tomli_w
from attrs import validators as v

from .errors import ConfigError, UnknownNameError, describe_choices

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

#: Sections that name a component, and the component used when a config leaves the section out.
COMPONENT_SECTIONS: dict[str, tuple[str, str | None]] = {
    # section: (kind, default component name)
    "data": ("data-sources", None),
    "noise": ("noise", "normal"),
    "generator": ("generators", "mlp"),
    "discriminator": ("discriminators", "mlp"),
    "loss": ("losses", "non-saturating"),
    "strategy": ("strategies", "alternating"),
}
NETWORK_SECTIONS = ("generator", "discriminator")
#: ``[networks.ROLE]``: the network roles a GAN family adds (an encoder, a Q head...), each built by a
#: component of this kind.
NETWORKS = "networks"
NETWORK_KIND = "networks"
ROLE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
DEFAULT_OPTIMIZER = "adam"
#: The activation names networks take, for config validators: ``ganframe.nn.activation(name)``
#: builds each (``ganframe.nn.ACTIVATIONS`` is this tuple). Here, so that checking a name needs no PyTorch.
ACTIVATIONS = ("relu", "leaky-relu", "elu", "selu", "gelu", "tanh", "sigmoid", "silu", "none")

# -- limits ---------------------------------------------------------------------------------------
# Upper limits on counts and sizes, so that a slip of the keyboard (a few zeros too many) is a
# one-line error naming the option and its limit, instead of an overflow deep inside PyTorch, an
# attempt to allocate terabytes, or a loop that never ends.
#: The largest whole number any config option may hold: what TOML, NumPy and PyTorch can store (2**63 - 1).
MAX_INT = 2**63 - 1
#: train.steps, and the intervals train.log_every, eval_every and checkpoint_every.
MAX_STEPS = 10**12
#: train.batch_size: examples in one global batch.
MAX_BATCH_SIZE = 1_000_000
#: train.threads: CPU threads.
MAX_THREADS = 1024
#: logging.snapshots: how often the progress figures sample the generator over training.
MAX_SNAPSHOTS = 10_000
#: evaluation.samples: generated samples the metrics see.
MAX_SAMPLES = 10_000_000
#: Units of one layer of a network (each hidden size), numbers per noise vector, and the like.
MAX_WIDTH = 1_000_000
#: Weights and biases of one built network (4 GB as float32).
MAX_PARAMETERS = 1_000_000_000
#: Updates of one network per training round (a strategy's d_steps, g_steps...).
MAX_UPDATES_PER_ROUND = 10_000
#: A config file is read up to this many bytes; a larger one is refused.
MAX_CONFIG_BYTES = 10 * 2**20
#: Tables and lists nested in each other, in a config file, a --set value or a config dict.
MAX_NESTING = 64


def _number(attribute: attrs.Attribute, value: Any) -> None:
    # Configs built in Python skip the type checks of structuring: name the field, not '>'.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"'{attribute.name}' must be a number, got {value!r}")
    # ... and the finiteness check of the float hook: infinity is > 0 but is no learning rate.
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"'{attribute.name}' must be a finite number, got {value!r}")


@attrs.frozen
class Worded:
    """An attrs validator (``gt``, ``ge``, ``le``, ``lt``, ``in_``) that fails with ganframe's
    wording, "'name' must be <requirement>, got <value>": attrs' own ("must be > 0: 0", "must be in
    (...) (got 'x')") reads worse on a command line. With ``numeric``, None passes and a value that
    is no finite number is refused first, naming the field (attrs' comparison would fail on '>')."""

    validator: Any  # attrs' validator, which ``ganframe show`` reads (options.describe_validator)
    requirement: str  # "> 0", "at most 1000", "one of 'a', 'b'"
    numeric: bool = True

    def __call__(self, instance: object, attribute: attrs.Attribute, value: Any) -> None:
        if self.numeric:
            if value is None:
                return
            _number(attribute, value)
        try:
            self.validator(instance, attribute, value)
        except ValueError:
            raise ValueError(f"'{attribute.name}' must be {self.requirement}, got {value!r}") from None


#: attrs validator: a (finite) number greater than zero (None passes).
positive = Worded(v.gt(0), "> 0")
#: attrs validator: a (finite) number of at least zero (None passes).
non_negative = Worded(v.ge(0), ">= 0")


def constraint(text: str):
    """Decorator for an attrs validator of your own: ``text`` is what ``ganframe show`` prints as
    the values it allows (e.g. ``"each 1 to 1000000"``)."""

    def mark(validator):
        validator.constraint = text
        return validator

    return mark


def at_most(limit: float) -> Worded:
    """attrs validator: a number no greater than ``limit`` (None passes). Combine it with
    ``positive``: ``validator=[positive, at_most(MAX_WIDTH)]``."""
    return Worded(v.le(limit), f"at most {limit}")


def below(limit: float) -> Worded:
    """attrs validator: a number less than ``limit`` (None passes); ``[non_negative, below(1)]`` is a
    decay rate, a momentum or a dropout probability (1 would never forget, or drop everything)."""
    return Worded(v.lt(limit), f"below {limit}")


def count_up_to(limit: int):
    """attrs validator: a whole number from 1 to ``limit``."""
    return [positive, at_most(limit)]


@constraint(f"each 1 to {MAX_WIDTH}")
def layer_sizes(instance: object, attribute: attrs.Attribute, value: Any) -> None:
    """attrs validator: a list of layer sizes (hidden units), each from 1 to ``MAX_WIDTH``."""
    for size in value:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"'{attribute.name}' must be a list of whole numbers, got {list(value)!r}")
    if any(size < 1 for size in value):
        raise ValueError(f"'{attribute.name}' sizes must be positive, got {list(value)!r}")
    if any(size > MAX_WIDTH for size in value):
        raise ValueError(f"'{attribute.name}' sizes must be at most {MAX_WIDTH}, got {list(value)!r}")


def check_parameters(sizes: Any, where: str, extra: int = 0) -> None:
    """Refuse, before allocating it, a stack of fully connected layers between ``sizes`` (inputs,
    hidden units..., outputs) that, with ``extra`` parameters more, has over ``MAX_PARAMETERS``
    weights and biases: a ConfigError that names ``where`` (``generator``, ``networks.encoder``)."""
    sizes = [int(size) for size in sizes]
    total = extra + sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(sizes))
    if total > MAX_PARAMETERS:
        raise ConfigError(
            f"{where}: layers of sizes {sizes} would have {total} parameters; "
            f"a network may have at most {MAX_PARAMETERS}"
        )


def one_of(*choices: str) -> Worded:
    """attrs validator: one of a fixed set of strings, listing them when it fails."""
    return Worded(v.in_(choices), f"one of {', '.join(map(repr, choices))}", numeric=False)


def _is_device(instance: object, attribute: attrs.Attribute, value: str) -> None:
    if isinstance(value, str) and (
        value in ("auto", "cpu", "cuda") or (value.startswith("cuda:") and value[5:].isdigit())
    ):
        return
    raise ValueError(f"'device' must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {value!r}")


#: ``train.precision``: the arithmetic of forward passes and losses (see docs/gpu.md).
PRECISIONS = ("fp32", "bf16", "fp16")
#: ``train.compile``'s modes besides ``true`` (which is ``"default"``): torch.compile's own.
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune")


@constraint("true, false or one of " + ", ".join(f'"{mode}"' for mode in COMPILE_MODES))
def _compile_choice(instance: object, attribute: attrs.Attribute, value: Any) -> None:
    if isinstance(value, bool) or value in COMPILE_MODES:
        return
    raise ValueError(
        f"'{attribute.name}' must be true, false or one of {', '.join(map(repr, COMPILE_MODES))}, got {value!r}"
    )


@attrs.frozen(kw_only=True)
class TrainConfig:
    """How long and how to train: counted in rounds of the training strategy ("steps")."""

    steps: int = attrs.field(default=1000, validator=count_up_to(MAX_STEPS))
    batch_size: int = attrs.field(default=64, validator=count_up_to(MAX_BATCH_SIZE))
    log_every: int = attrs.field(default=100, validator=count_up_to(MAX_STEPS))
    # 0: only at the end
    eval_every: int = attrs.field(default=0, validator=[non_negative, at_most(MAX_STEPS)])
    # 0: only at the end
    checkpoint_every: int = attrs.field(default=0, validator=[non_negative, at_most(MAX_STEPS)])
    # Learning rates of both optimisers over training: "constant", or decayed to zero by the last
    # step along a straight line ("linear") or a half cosine ("cosine").
    lr_decay: str = attrs.field(default="constant", validator=one_of("constant", "linear", "cosine"))
    # CPU threads PyTorch may use while this experiment trains; None keeps PyTorch's setting.
    # Small networks train fastest on one thread: more only add synchronisation, and on a busy
    # machine they wait on each other. The same value gives the same result; a different value may
    # change the last bits of large matrix products, so keep it fixed when comparing runs.
    threads: int | None = attrs.field(default=None, validator=count_up_to(MAX_THREADS))
    # With a finite data set: the mean of every logged value over each epoch (len(data) //
    # batch_size rounds), passed to on_epoch_end and kept in metrics.jsonl and report.json.
    epoch_logs: bool = False
    # Forward passes and losses in "fp32", or under autocast in "bf16" or "fp16" (fp16 with a
    # gradient scaler, saved in checkpoints). A device without the precision is an error.
    precision: str = attrs.field(default="fp32", validator=one_of(*PRECISIONS))
    # torch.compile every network in place (checkpoints unchanged): true is mode "default". Off,
    # with a warning, when the loss or strategy needs double backward (gradient penalties).
    compile: bool | str = attrs.field(default=False, validator=_compile_choice)
    # Capture a whole training round in a CUDA graph and replay it (fixed shapes). Where a round
    # cannot be captured (not CUDA, fp16, torchrun...) training runs eagerly, with a warning.
    cuda_graph: bool = False


@attrs.frozen(kw_only=True)
class EvaluationConfig:
    """Which metrics ``evaluate()`` computes, and on how many generated samples."""

    metrics: tuple[str, ...] = ()
    samples: int = attrs.field(default=10_000, validator=count_up_to(MAX_SAMPLES))


@attrs.frozen(kw_only=True)
class LoggingConfig:
    """What a run directory gets besides its metrics and checkpoints (see ``ganframe.plots``)."""

    # Figures in RUN_DIR/plots: losses for every setup, and what suits the data (1-D, discrete,
    # 2-D, images). Drawing them samples G from noise of its own: training is unchanged.
    plots: bool = True
    # How many times over training the progress figures sample G (1-D mean and std, image grids):
    # at most once per epoch on a finite data set, and always before the first and after the last round.
    snapshots: int = attrs.field(default=50, validator=count_up_to(MAX_SNAPSHOTS))
    # RUN_DIR/report.html at the end of training: figures, metrics, config and metadata in one file.
    report: bool = True
    # TensorBoard event files in RUN_DIR/tensorboard (needs: pip install 'ganframe[tensorboard]').
    tensorboard: bool = False


@attrs.frozen
class ComponentSpec:
    """A component chosen by name, with its validated config (an instance of its config class)."""

    name: str
    config: Any = None


@attrs.frozen
class NetworkSpec:
    """A network of one role, with the optimiser that trains it and the extras applied to it."""

    name: str
    config: Any
    optimizer: ComponentSpec
    extras: tuple[ComponentSpec, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = {
            "name": self.name,
            **unstructure(self.config),
            "optimizer": {"name": self.optimizer.name, **unstructure(self.optimizer.config)},
        }
        if self.extras:
            out["extras"] = [{"name": extra.name, **unstructure(extra.config)} for extra in self.extras]
        return out


@attrs.frozen(kw_only=True)
class ExperimentConfig:
    """A whole experiment, fully resolved: every component named and every option validated."""

    data: ComponentSpec
    noise: ComponentSpec
    generator: NetworkSpec
    discriminator: NetworkSpec
    loss: ComponentSpec
    strategy: ComponentSpec
    # Network roles beyond the generator and the discriminator, by role name ([networks.ROLE]).
    networks: Mapping[str, NetworkSpec] = attrs.field(factory=dict)
    train: TrainConfig = TrainConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    logging: LoggingConfig = LoggingConfig()
    seed: int = attrs.field(default=0, validator=v.and_(v.instance_of(int), non_negative, at_most(MAX_INT)))
    device: str = attrs.field(default="auto", validator=_is_device)
    # Class-conditional G and D on a labelled data set (see ganframe.conditional).
    conditional: bool = False
    # Also join the one-hot class to D's input: D is built for flat examples of (features +
    # classes) numbers, which fully connected discriminators take.
    conditional_input: bool = False
    setup: str | None = None
    preset: str | None = None

    @property
    def roles(self) -> dict[str, NetworkSpec]:
        """Every network role in the order they are built: generator, discriminator, then the
        ``[networks.ROLE]`` roles by name (so adding a role leaves G's and D's initial weights alone)."""
        return {
            "generator": self.generator,
            "discriminator": self.discriminator,
            **{role: self.networks[role] for role in sorted(self.networks)},
        }

    def to_dict(self) -> dict[str, Any]:
        """The plain-dict (TOML) form of this config; ``resolve_config`` reads it back."""
        out: dict[str, Any] = {"seed": self.seed, "device": self.device}
        if self.conditional:
            out["conditional"] = True
        if self.conditional_input:
            out["conditional_input"] = True
        if self.setup is not None:
            out["setup"] = self.setup
        if self.preset is not None:
            out["preset"] = self.preset
        for section in COMPONENT_SECTIONS:
            spec = getattr(self, section)
            out[section] = (
                spec.to_dict() if isinstance(spec, NetworkSpec) else {"name": spec.name, **unstructure(spec.config)}
            )
        if self.networks:
            out[NETWORKS] = {role: self.networks[role].to_dict() for role in sorted(self.networks)}
        out["train"] = unstructure(self.train)
        out["evaluation"] = unstructure(self.evaluation)
        out["logging"] = unstructure(self.logging)
        return out

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())


TOP_LEVEL_KEYS = (
    "setup",
    "preset",
    "seed",
    "device",
    "conditional",
    "conditional_input",
    *COMPONENT_SECTIONS,
    NETWORKS,
    "train",
    "evaluation",
    "logging",
)


# -- strict structuring ----------------------------------------------------------------------
def _strict(kind: type, accept: tuple[type, ...], cast=None):
    names = " or ".join(t.__name__ for t in accept)

    def structure(value: Any, _type: Any) -> Any:
        if isinstance(value, bool) and bool not in accept:
            raise TypeError(f"expected {names}, got {value!r}")
        if not isinstance(value, accept):
            raise TypeError(f"expected {names}, got {value!r}")
        return cast(value) if cast else value

    return structure


def _finite_float(value: Any) -> float:
    """A float option: a finite number. Infinity and NaN are never a sensible learning rate, standard
    deviation, slope or bound, and they fail late and silently (NaN losses), so every float option of
    every component is refused them here, where the message can name the option."""
    if isinstance(value, int) and not -MAX_INT - 1 <= value <= MAX_INT:
        # TOML's whole numbers are 64-bit; a larger one is a typo, or meant as a float: 1e20
        raise ValueError(
            f"a whole number must be between {-MAX_INT - 1} and {MAX_INT} (write a larger number "
            f"as a float, such as 1e20), got {value!r}"
        )
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"must be a finite number, got {value!r}")
    return number


_converter = cattrs.Converter(forbid_extra_keys=True)
_converter.register_structure_hook(int, _strict(int, (int,)))
_converter.register_structure_hook(float, _strict(float, (int, float), _finite_float))
_converter.register_structure_hook(str, _strict(str, (str,)))
_converter.register_structure_hook(bool, _strict(bool, (bool,)))


def _name_or_names(value: Any, _type: Any) -> str | tuple[str, ...]:
    """``str | tuple[str, ...]``: one name, or a list of names (e.g. an activation per layer)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise TypeError(f"expected a string or a list of strings, got {value!r}")


_converter.register_structure_hook(str | tuple[str, ...], _name_or_names)


def _number_or_name(value: Any, _type: Any) -> int | str:
    """``int | str``: a count, or a name standing for one (a network's ``input = "data"``)."""
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected a whole number or a name, got {value!r}")


_converter.register_structure_hook(int | str, _number_or_name)


def _switch_or_name(value: Any, _type: Any) -> bool | str:
    """``bool | str``: on or off, or a name saying how (``train.compile = "max-autotune"``)."""
    if isinstance(value, (bool, str)):
        return value
    raise TypeError(f"expected true, false or a name, got {value!r}")


_converter.register_structure_hook(bool | str, _switch_or_name)


def _is_tuple(type_: Any) -> bool:
    return getattr(type_, "__origin__", None) is tuple


def _tuple_hook_factory(type_: Any) -> Any:
    """Tuples come from TOML lists; a string is not a list of characters."""
    args = type_.__args__
    item_types = [args[0]] * 0 if not args else args

    def structure(value: Any, _type: Any) -> tuple:
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_converter.structure(item, args[0]) for item in value)
        if len(value) != len(item_types):
            raise TypeError(f"expected a list of {len(item_types)} items, got {list(value)!r}")
        return tuple(_converter.structure(item, t) for item, t in zip(value, item_types))

    return structure


_converter.register_structure_hook_factory(_is_tuple, _tuple_hook_factory)


def unstructure(config: Any) -> dict[str, Any]:
    """A config instance as a TOML-ready dict: tuples become lists, None values are left out."""
    if config is None:
        return {}
    return _drop_none(_converter.unstructure(config))


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(x) for k, x in value.items() if x is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(x) for x in value]
    return value


@attrs.frozen
class RemovedOptions:
    """Options a component no longer has, set as its config class's ``removed_options`` attribute.

    Run directories list every option, so configs written before the removal still name them:
    ``instead(removed)`` gets the removed options a config gives and returns None when they were
    off (they are dropped, and the run loads as before), else ``(option, replacement)`` for a
    one-line error, ``WHERE.option is gone: use WHERE.replacement``.
    """

    names: tuple[str, ...]
    instead: Callable[[Mapping[str, Any]], tuple[str, str] | None]

    def drop(self, options: Mapping[str, Any], where: str) -> dict[str, Any]:
        """``options`` without the removed ones; a ConfigError when one of them was in use."""
        kept = {key: value for key, value in options.items() if key not in self.names}
        used = self.instead({key: options[key] for key in self.names if key in options})
        if used is not None:
            option, replacement = used
            raise ConfigError(f"{where}.{option} is gone: use {where}.{replacement}")
        return kept


def structure_options(cls: type | None, options: Mapping[str, Any], where: str) -> Any:
    """Validate ``options`` into ``cls``; errors name the field as ``where.field``."""
    if cls is None:
        if options:
            raise ConfigError(f"{where} takes no options, got {', '.join(sorted(options))}")
        return None
    if not isinstance(options, Mapping):
        raise ConfigError(f"{where} must be a table of options, got {options!r}")
    removed = getattr(cls, "removed_options", None)
    if isinstance(removed, RemovedOptions):
        options = removed.drop(options, where)
    allowed = [f.name for f in attrs.fields(cls)]
    for key in options:
        if key not in allowed:
            raise ConfigError(f"unknown option {where}.{key}; {describe_choices(str(key), allowed)}")
    try:
        config: Any = _converter.structure(dict(options), cls)
    except cattrs.ClassValidationError as exc:
        raise ConfigError(f"{where}: {_explain(exc)}") from None
    except cattrs.StructureHandlerNotFoundError as exc:
        from .errors import PluginError

        raise PluginError(f"{where}: the config class {cls.__name__} uses a type ganframe cannot read: {exc}") from None
    except (TypeError, ValueError, OverflowError) as exc:
        raise ConfigError(f"{where}: {_one_line(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{where}: the options are nested too deeply") from None
    _check_int_range(config, where)
    return config


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def _check_int_range(config: Any, where: str) -> None:
    """Whole numbers beyond 64 bits pass the int hook, so that a field's own limit names itself
    (``'batch_size' must be at most 1000000``); an option without a limit still gets this one."""
    for field in attrs.fields(type(config)):
        value = getattr(config, field.name, None)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, int) and not isinstance(item, bool) and not -MAX_INT - 1 <= item <= MAX_INT:
                bound = f"at most {MAX_INT}" if item > 0 else f"at least {-MAX_INT - 1}"
                raise ConfigError(f"{where}: '{field.name}' must be {bound}, got {item!r}")


def _describe(exc: BaseException, type_: Any) -> str:
    """One leaf error of a cattrs validation group, in our words where we wrote the message."""
    if isinstance(exc, KeyError):
        return "required option is missing"
    if isinstance(exc, (TypeError, ValueError)) and str(exc):
        return str(exc)
    return cattrs.v.format_exception(exc, type_)


def _explain(exc: cattrs.ClassValidationError) -> str:
    messages = []
    for message in cattrs.transform_error(exc, path="", format_exception=_describe):
        # cattrs says "invalid value for type, expected int @ $.hidden"; put the field first
        text, _, path = message.rpartition(" @ ")
        field = path.lstrip("$").lstrip(".")
        messages.append(f"{field}: {text}" if field else text)
    return "; ".join(messages)


# -- dict → ExperimentConfig -----------------------------------------------------------------
def resolve_config(raw: Mapping[str, Any], registry: Any) -> ExperimentConfig:
    """Turn a plain config dict into a validated :class:`ExperimentConfig`.

    Each component section is ``{"name": ..., **options}``; the options are checked against the
    named component's config class, taken from ``registry``.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"a config must be a table of sections, got {type(raw).__name__}")
    check_nesting(raw, "the config")
    for key in raw:
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(f"unknown config key {key!r}; {describe_choices(str(key), list(TOP_LEVEL_KEYS))}")
    if "data" not in raw:
        raise ConfigError("the config names no data source: add a [data] section with a name, or use a setup")
    fields: dict[str, Any] = {}
    for section, (kind, default) in COMPONENT_SECTIONS.items():
        options = dict(_section(raw, section))
        if section in NETWORK_SECTIONS:
            fields[section] = _network(registry, kind, section, options, default)
        else:
            fields[section] = ComponentSpec(*_component(registry, kind, section, options, default))
    fields[NETWORKS] = _networks(registry, raw.get(NETWORKS, {}))
    fields["train"] = structure_options(TrainConfig, _section(raw, "train", named=False), "train")
    evaluation = dict(_section(raw, "evaluation", named=False))
    fields["evaluation"] = structure_options(EvaluationConfig, evaluation, "evaluation")
    fields["logging"] = structure_options(LoggingConfig, _section(raw, "logging", named=False), "logging")
    for metric in fields["evaluation"].metrics:
        _lookup(registry, "metrics", metric, "evaluation.metrics")
    for key in ("seed", "device", "setup", "preset", "conditional", "conditional_input"):
        if key in raw:
            fields[key] = raw[key]
    _check_scalar_types(fields)
    try:
        return ExperimentConfig(**fields)
    except (TypeError, ValueError) as exc:
        raise ConfigError(str(exc)) from None


def _check_scalar_types(fields: dict[str, Any]) -> None:
    seed = fields.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"'seed' must be a non-negative integer, got {seed!r}")
    if seed > MAX_INT:
        raise ConfigError(f"'seed' must be at most {MAX_INT}, got {seed!r}")
    for key in ("device", "setup", "preset"):
        if key in fields and fields[key] is not None and not isinstance(fields[key], str):
            raise ConfigError(f"'{key}' must be a string, got {fields[key]!r}")
    for key in ("conditional", "conditional_input"):
        if not isinstance(fields.get(key, False), bool):
            raise ConfigError(f"'{key}' must be true or false, got {fields[key]!r}")
    if fields.get("conditional_input") and not fields.get("conditional"):
        raise ConfigError("conditional_input = true needs conditional = true")


def _section(raw: Mapping[str, Any], key: str, where: str | None = None, *, named: bool = True) -> Mapping[str, Any]:
    value = raw.get(key, {})
    if isinstance(value, str) and named:  # "generator = 'mlp'" is short for [generator] name = 'mlp'
        return {"name": value}
    if not isinstance(value, Mapping):
        raise ConfigError(f"[{where or key}] must be a table, got {value!r}")
    return value


def _component(registry: Any, kind: str, where: str, options: dict, default: str | None):
    name = options.pop("name", default)
    if name is None:
        raise ConfigError(f"[{where}] needs a name; available: {', '.join(registry.names(kind))}")
    component = _lookup(registry, kind, name, f"{where}.name")
    return name, component.make_config(options, where)


def _network(registry: Any, kind: str, where: str, options: dict, default: str | None) -> NetworkSpec:
    """A network table: the component's options, plus ``optimizer`` and ``extras``."""
    optimizer = options.pop("optimizer", {})
    extras = options.pop("extras", [])
    name, config = _component(registry, kind, where, options, default)
    opt_options = dict(_section({"optimizer": optimizer}, "optimizer", f"{where}.optimizer"))
    opt_name, opt_config = _component(registry, "optimizers", f"{where}.optimizer", opt_options, DEFAULT_OPTIMIZER)
    return NetworkSpec(name, config, ComponentSpec(opt_name, opt_config), _extras(registry, extras, f"{where}.extras"))


def _networks(registry: Any, table: Any) -> dict[str, NetworkSpec]:
    """``[networks.ROLE]`` tables → role → spec; each names a component of the ``networks`` kind."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"[{NETWORKS}] must be a table of roles such as [{NETWORKS}.encoder], got {table!r}")
    roles = {}
    for role, options in table.items():
        where = f"{NETWORKS}.{role}"
        if role in NETWORK_SECTIONS:
            raise ConfigError(f"[{where}]: the {role} has a section of its own, [{role}]")
        if not isinstance(role, str) or not ROLE_PATTERN.match(role):
            raise ConfigError(f"[{where}]: a role name is lower-case letters, digits and '_', starting with a letter")
        options = dict(_section(table, role, where))
        if "name" not in options:
            raise ConfigError(
                f"[{where}] needs a name; available: {', '.join(registry.names(NETWORK_KIND)) or 'none installed'}"
            )
        roles[role] = _network(registry, NETWORK_KIND, where, options, None)
    return roles


def _extras(registry: Any, extras: Any, where: str) -> tuple[ComponentSpec, ...]:
    """``extras = ["name", {name = "name", option = value}, ...]`` → validated specs, in order."""
    if isinstance(extras, (str, Mapping)):
        extras = [extras]
    if not isinstance(extras, (list, tuple)):
        raise ConfigError(f'{where} must be a list of extras such as ["spectral-norm"], got {extras!r}')
    specs = []
    for index, extra in enumerate(extras):
        options = dict(_section({"extra": extra}, "extra", f"{where}[{index}]"))
        if "name" not in options:
            raise ConfigError(
                f"{where}[{index}] needs a name; "
                f"available: {', '.join(registry.names('network-extras')) or 'none installed'}"
            )
        specs.append(ComponentSpec(*_component(registry, "network-extras", f"{where}[{index}]", options, None)))
    return tuple(specs)


def _lookup(registry: Any, kind: str, name: Any, where: str):
    if not isinstance(name, str):
        raise ConfigError(f"{where} must be a string, got {name!r}")
    try:
        return registry.component(kind, name)
    except UnknownNameError as exc:
        raise ConfigError(f"{where}: {exc}") from None


# -- overrides and files ---------------------------------------------------------------------
def parse_value(text: str) -> Any:
    """A ``--set`` value: TOML syntax (``3``, ``1e-3``, ``true``, ``[64, 64]``, ``"x"``) or a bare word."""
    try:
        document = tomllib.loads(f"value = {text}")
    except tomllib.TOMLDecodeError:
        if (text and text[0] in "[{\"'") or not text.strip():
            raise ConfigError(
                f'cannot read {_shorten(text)!r} as a value: use TOML syntax such as 3, 0.5, true, [64, 64] or "text"'
            ) from None
        return text
    except RecursionError:
        raise ConfigError(
            f"cannot read {_shorten(text)!r} as a value: it is nested too deeply "
            f"(at most {MAX_NESTING} levels of lists and tables)"
        ) from None
    if list(document) != ["value"]:  # "3\n[train]\nsteps = 5": more than one value
        raise ConfigError(
            f"cannot read {_shorten(text)!r} as a value: it holds more than one; give one value per --set"
        )
    check_nesting(document["value"], f"the value {_shorten(text)!r}")
    return document["value"]


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_nesting(value: Any, where: str) -> None:
    """Refuse tables and lists nested more than ``MAX_NESTING`` deep (or containing themselves):
    copying, merging and writing a config recurse through it, and Python's stack is not endless."""
    pending = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, Mapping):
            children = list(item.values())
        elif isinstance(item, (list, tuple)):
            children = list(item)
        else:
            continue
        if depth >= MAX_NESTING:
            raise ConfigError(f"{where} is nested too deeply: at most {MAX_NESTING} levels of tables and lists")
        pending.extend((child, depth + 1) for child in children)


def parse_override(item: str) -> tuple[str, Any]:
    """``"generator.hidden=[64, 64]"`` → ``("generator.hidden", [64, 64])``."""
    key, sep, text = item.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set expects KEY=VALUE such as train.steps=500, got {item!r}")
    return key, parse_value(text.strip())


def is_network_table(path: tuple[str, ...]) -> bool:
    """``("generator",)``, ``("discriminator",)`` or ``("networks", ROLE)``: the table of a network."""
    return (len(path) == 1 and path[0] in NETWORK_SECTIONS) or (len(path) == 2 and path[0] == NETWORKS)


def is_component_table(path: tuple[str, ...]) -> bool:
    """Whether the table at ``path`` names a component (and may be written as just its name)."""
    return (
        (len(path) == 1 and path[0] in COMPONENT_SECTIONS)
        or is_network_table(path)
        or (len(path) > 1 and path[-1] == "optimizer" and is_network_table(path[:-1]))
    )


def default_name(path: tuple[str, ...]) -> str | None:
    """The component a component table at ``path`` names when it has no ``name``: ``normal`` for
    ``noise``, ``adam`` for an optimizer, None where a name is required (``data``, network roles)."""
    if len(path) == 1 and path[0] in COMPONENT_SECTIONS:
        return COMPONENT_SECTIONS[path[0]][1]
    if len(path) > 1 and path[-1] == "optimizer" and is_network_table(path[:-1]):
        return DEFAULT_OPTIMIZER
    return None


def table_name(table: Any, path: tuple[str, ...]) -> Any:
    """The component that the component table ``table`` (a table, or just a name) at ``path`` names."""
    if isinstance(table, Mapping):
        return table.get("name", default_name(path))
    return table


def renamed_table(old: Any, new_name: Any, path: tuple[str, ...]) -> dict[str, Any]:
    """What is left of the component table ``old`` at ``path`` once it names another component: its
    options were for the old one, so only a network's optimizer and extras stay."""
    kept = ("optimizer", "extras") if is_network_table(path) and isinstance(old, Mapping) else ()
    return {k: old[k] for k in kept if k in old} | {"name": new_name}


def apply_overrides(raw: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``raw`` with each dotted ``key: value`` of ``overrides`` set in it.

    Naming another component starts that table afresh: the old component's options do not carry
    over to the new one (a network keeps its optimizer and extras). Every spelling means the same:
    ``loss.name=hinge``, ``loss=hinge`` and ``loss={name="hinge"}`` (and, in a config file,
    ``loss = "hinge"`` or ``[loss] name = "hinge"``). Naming the component a table already names
    changes nothing. Options set in the same overrides apply to the new component, whatever their
    order. A table value is laid over the table it replaces, as a config file's tables are.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError(f"a config must be a table of sections, got {type(raw).__name__}")
    if not isinstance(overrides, Mapping):
        raise ConfigError(f"overrides must be a table of KEY: VALUE, got {type(overrides).__name__}")
    check_nesting(raw, "the config")
    out = copy.deepcopy(dict(raw))
    items = []
    for key, value in overrides.items():
        if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
            raise ConfigError(f"an override's key is a dotted name such as train.steps, got {key!r}")
        check_nesting(value, f"the value of {key}")
        items.append((tuple(key.split(".")), copy.deepcopy(value)))
    for path, value in items:  # first every renaming, so that options set with it apply to the new component
        renaming = _renaming(path, value)
        if renaming is not None:
            _rename(out, *renaming)
    for path, value in items:
        _set(out, path, value)
    return out


def _renaming(path: tuple[str, ...], value: Any) -> tuple[tuple[str, ...], Any] | None:
    """(table path, new name) when setting ``path`` to ``value`` names the component of a table."""
    if len(path) > 1 and path[-1] == "name" and is_component_table(path[:-1]):
        return path[:-1], value
    if is_component_table(path) and isinstance(value, str):
        return path, value
    if is_component_table(path) and isinstance(value, Mapping) and "name" in value:
        return path, value["name"]
    return None


def _rename(out: dict[str, Any], path: tuple[str, ...], name: Any) -> None:
    holder: Any = out
    for part in path[:-1]:
        holder = holder.get(part) if isinstance(holder, Mapping) else None
    current = holder.get(path[-1]) if isinstance(holder, Mapping) else None
    if current is not None and name != table_name(current, path):
        holder[path[-1]] = renamed_table(current, name, path)


def _set(out: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    key = ".".join(path)
    *parents, leaf = path
    node = out
    for depth, part in enumerate(parents):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif isinstance(child, str) and is_component_table(tuple(parents[: depth + 1])):
            child = node[part] = {"name": child}
        elif not isinstance(child, dict):
            where = ".".join(parents[: depth + 1])
            raise ConfigError(f"cannot set {key}: {where} is a value ({child!r}), not a section")
        node = child
    if leaf in node:  # a table (or a component's name) is laid over what is there, as a config file's is
        value = merge_configs({leaf: node[leaf]}, {leaf: value}, tuple(parents))[leaf]
    node[leaf] = value


def merge_configs(base: Mapping[str, Any], top: Mapping[str, Any], path: tuple[str, ...] = ()) -> dict[str, Any]:
    """``top`` laid over ``base`` (a preset under a config file), table by table. A component table
    of ``top`` that names another component than ``base``'s replaces it (see :func:`renamed_table`);
    one that names the same component (or just gives options) keeps ``base``'s options."""
    if not path:  # the top: everything below is merged recursively
        check_nesting(base, "the config")
        check_nesting(top, "the config")
    out = dict(base)
    for key, value in top.items():
        here = (*path, key)
        below = out.get(key)
        component = is_component_table(here)
        if isinstance(below, str) and component:
            below = {"name": below}
        if isinstance(value, str) and component:
            value = {"name": value}
        if (
            component
            and isinstance(value, Mapping)
            and isinstance(below, Mapping)
            and "name" in value
            and value["name"] != table_name(below, here)
        ):
            out[key] = merge_configs(renamed_table(below, value["name"], here), value, here)
        elif isinstance(value, Mapping) and isinstance(below, Mapping):
            out[key] = merge_configs(below, value, here)
        else:
            out[key] = value
    return out


def read_toml(path: str | Path) -> dict[str, Any]:
    """Read a TOML config file; a missing, unreadable or malformed file is a one-line ConfigError.

    At most ``MAX_CONFIG_BYTES`` of UTF-8 text are read, from a regular file or a pipe (``--config
    <(...)``; a named pipe that nobody writes to reads as empty). ``/dev/null`` is an empty config;
    other devices are refused (``/dev/zero`` never ends, a terminal waits for typing).
    """
    path = Path(path)
    where = f"config file {str(path)!r}"
    try:
        # O_NONBLOCK: opening a named pipe must not wait for a writer before we see what it is.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{where} is a directory") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {where}: {exc.strerror or exc}") from None
    try:
        status = os.fstat(fd)
        if stat.S_ISDIR(status.st_mode):
            raise ConfigError(f"{where} is a directory")
        if stat.S_ISCHR(status.st_mode) and _is_null_device(status):
            return {}
        if not (stat.S_ISREG(status.st_mode) or stat.S_ISFIFO(status.st_mode)):
            raise ConfigError(f"{where} is not a regular file or a pipe")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)  # a pipe's writer may not have written yet: wait for it, or for its end
        with os.fdopen(fd, "rb") as handle:
            fd = -1  # the file object closes it now
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read {where}: {exc.strerror or exc}") from None
    finally:
        if fd >= 0:
            os.close(fd)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{where} is too large: a config file may have at most {MAX_CONFIG_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where} is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})") from None
    try:
        document = tomllib.loads(text.removeprefix("\ufeff"))  # a byte order mark is no TOML, but editors write one
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {_one_line(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{where} is nested too deeply: at most {MAX_NESTING} levels of tables and lists") from None
    check_nesting(document, where)
    return document


def _is_null_device(status: os.stat_result) -> bool:
    try:
        null = os.stat(os.devnull)
    except OSError:
        return False
    return (status.st_dev, status.st_ino, status.st_rdev) == (null.st_dev, null.st_ino, null.st_rdev)
