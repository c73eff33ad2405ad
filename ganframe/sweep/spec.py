"""A sweep file (TOML), parsed and checked: what to train, the search space, the objective.

Nothing here imports Optuna or PyTorch; :func:`validate` builds configs (no training) so that a bad
key, component, range or objective fails before any trial starts.

```toml
setup = "gaussian"             # or config = "my.toml" (relative to the sweep file), or both
preset = "default"
objective = "wasserstein"      # a value the setup's evaluation.metrics compute
direction = "minimize"         # or "maximize"
trials = 20
seeds = [0, 1]                 # or "0-4": every trial trains each seed; the objective is the mean
pruner = "median"              # successive-halving, hyperband or none: stop hopeless trials early
pruner_warmup = 0.25           # on train.eval_every evaluations, none in the first quarter of a run
retries = 0                    # a failed trial (killed, or an error) is run again this many times
baseline = true                # trial 0 trains the base config's own values of the space
sampler_seed = 0               # the same seed proposes the same points (one process)

[set]                          # fixed overrides for every trial (dotted keys, as --set)
"train.steps" = 2000

[[space]]
key = "generator.optimizer.lr"
type = "float"                 # float, int or categorical
low = 1e-4
high = 1e-2
log = true
```
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from ..config import read_toml
from ..errors import ConfigError, GanframeError, describe_choices

TYPES = ("float", "int", "categorical")
DIRECTIONS = ("minimize", "maximize")
PRUNERS = ("median", "successive-halving", "hyperband", "none")
TOP_KEYS = (
    "setup",
    "preset",
    "config",
    "name",
    "objective",
    "direction",
    "trials",
    "seeds",
    "pruner",
    "pruner_warmup",
    "retries",
    "baseline",
    "sampler_seed",
    "set",
    "space",
)
ENTRY_KEYS = {
    "float": ("key", "type", "low", "high", "log"),
    "int": ("key", "type", "low", "high", "log"),
    "categorical": ("key", "type", "choices"),
}
MAX_TRIALS = 100_000


@attrs.frozen
class Param:
    """One dimension of the search space: a dotted config key and the values it may take."""

    key: str
    type: str
    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def values_to_check(self) -> list[Any]:
        """The values that validation builds a config with: both ends, or every choice."""
        return list(self.choices) if self.type == "categorical" else [self.low, self.high]

    def describe(self) -> str:
        if self.type == "categorical":
            return f"{self.key} in {list(self.choices)}"
        return f"{self.key} {self.type} [{self.low}, {self.high}]{' log' if self.log else ''}"


@attrs.frozen
class SweepSpec:
    """A parsed sweep file. ``base`` is the config dict trials start from (setup, preset, config
    file); ``fixed`` the overrides every trial gets; ``space`` what the sampler chooses."""

    name: str
    base: Mapping[str, Any]
    objective: str
    direction: str = "minimize"
    trials: int = 10
    seeds: tuple[int, ...] = (0,)
    pruner: str = "median"
    pruner_warmup: float = 0.0
    retries: int = 0
    baseline: bool = True
    sampler_seed: int = 0
    fixed: Mapping[str, Any] = attrs.field(factory=dict)
    space: tuple[Param, ...] = ()
    source: str | None = None

    def overrides(self, params: Mapping[str, Any], seed: int) -> dict[str, Any]:
        """The dotted overrides of one run of a trial."""
        return {**self.fixed, **params, "seed": seed}

    def config(self, params: Mapping[str, Any], seed: int, registry: Any) -> Any:
        """The validated config (``ExperimentConfig``) of one run of a trial with ``params``."""
        from ..config import resolve_config
        from ..experiment import expand_config

        return resolve_config(expand_config(self.base, self.overrides(params, seed), registry), registry)

    def fingerprint(self) -> dict[str, Any]:
        """What must stay the same for a study to be continued by this sweep file: everything that
        changes what a trial's value means (``trials``, the pruner and ``retries`` may change)."""
        return {
            "objective": self.objective,
            "direction": self.direction,
            "seeds": list(self.seeds),
            "base": _plain(self.base),
            "fixed": _plain(self.fixed),
            "space": [
                attrs.asdict(p, value_serializer=lambda _i, _a, v: list(v) if isinstance(v, tuple) else v)
                for p in self.space
            ],
        }


def _plain(value: Any) -> Any:
    """``value`` as JSON-like lists and dicts (tuples become lists), for the stored fingerprint."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and parse a sweep file (see the module's docstring); errors are one-line ConfigErrors."""
    path = Path(path)
    document = read_toml(path)
    return parse_sweep(document, where=f"sweep file {str(path)!r}", folder=path.parent, name=path.stem)


def parse_sweep(
    document: Mapping[str, Any], *, where: str = "the sweep", folder: Path = Path("."), name: str = "sweep"
) -> SweepSpec:
    for key in document:
        if key not in TOP_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}; {describe_choices(str(key), list(TOP_KEYS))}")
    base: dict[str, Any] = {}
    if "config" in document:
        config = _string(document, "config", where)
        config_path = Path(config) if Path(config).is_absolute() else folder / config
        base = read_toml(config_path)
    for key in ("setup", "preset"):
        if key in document:
            base[key] = _string(document, key, where)
    if not base:
        raise ConfigError(f'{where}: name a setup (setup = "gaussian") or a config file (config = "FILE.toml")')
    if "objective" not in document:
        raise ConfigError(f'{where}: name the objective, a metric value such as objective = "wasserstein"')
    objective = _string(document, "objective", where)
    direction = _choice(document, "direction", DIRECTIONS, "minimize", where)
    pruner = _choice(document, "pruner", PRUNERS, "median", where)
    warmup = document.get("pruner_warmup", 0.0)
    if isinstance(warmup, bool) or not isinstance(warmup, (int, float)) or not 0 <= warmup < 1:
        raise ConfigError(
            f"{where}: 'pruner_warmup' must be a fraction of a run's rounds from 0 to below 1, got {warmup!r}"
        )
    trials = _whole(document, "trials", 10, where, low=1, high=MAX_TRIALS)
    retries = _whole(document, "retries", 0, where, low=0, high=100)
    sampler_seed = _whole(document, "sampler_seed", 0, where, low=0, high=2**32 - 1)
    baseline = document.get("baseline", True)
    if not isinstance(baseline, bool):
        raise ConfigError(f"{where}: 'baseline' must be true or false, got {baseline!r}")
    seeds = _seeds(document.get("seeds", [0]), where)
    fixed = document.get("set", {})
    if not isinstance(fixed, Mapping):
        raise ConfigError(f"{where}: 'set' must be a table of dotted keys and values, e.g. [set] \"train.steps\" = 500")
    if "seed" in fixed:
        raise ConfigError(f"{where}: set the seeds with seeds = [...], not in [set]")
    entries = document.get("space", [])
    if not isinstance(entries, list) or not entries or not all(isinstance(e, Mapping) for e in entries):
        raise ConfigError(
            f"{where}: the search space is empty: add [[space]] entries with key, type and a range or choices"
        )
    space = tuple(_param(entry, f"{where}, space entry {index + 1}") for index, entry in enumerate(entries))
    keys = [p.key for p in space]
    for key in keys:
        if keys.count(key) > 1:
            raise ConfigError(f"{where}: the key {key!r} is in the space twice")
        if key in fixed:
            raise ConfigError(f"{where}: the key {key!r} is both in [set] and in the space")
    study_name = _string(document, "name", where) if "name" in document else name
    return SweepSpec(
        name=study_name,
        base=base,
        objective=objective,
        direction=direction,
        trials=trials,
        seeds=seeds,
        pruner=pruner,
        pruner_warmup=float(warmup),
        retries=retries,
        baseline=baseline,
        sampler_seed=sampler_seed,
        fixed=dict(fixed),
        space=space,
        source=where,
    )


def _param(entry: Mapping[str, Any], where: str) -> Param:
    key = entry.get("key")
    if not isinstance(key, str) or not key or any(not part for part in key.split(".")):
        raise ConfigError(f"{where}: 'key' must be a dotted config key such as \"generator.optimizer.lr\", got {key!r}")
    where = f"{where} ({key})"
    if key in ("seed", "setup", "preset"):
        raise ConfigError(f"{where}: {key!r} cannot be searched over (seeds go in seeds = [...])")
    kind = entry.get("type")
    if kind not in TYPES:
        raise ConfigError(f"{where}: 'type' must be one of {', '.join(TYPES)}, got {kind!r}")
    for name in entry:
        if name not in ENTRY_KEYS[kind]:
            raise ConfigError(
                f"{where}: unknown key {name!r} for a {kind}; {describe_choices(str(name), list(ENTRY_KEYS[kind]))}"
            )
    if kind == "categorical":
        choices = entry.get("choices")
        if not isinstance(choices, list) or not choices:
            raise ConfigError(f"{where}: 'choices' must be a non-empty list")
        for choice in choices:
            if not isinstance(choice, (str, int, float, bool)):
                raise ConfigError(f"{where}: a choice must be a string, number or boolean, got {choice!r}")
        if len(set(map(repr, choices))) < len(choices):
            raise ConfigError(f"{where}: a choice is given twice")
        return Param(key=key, type=kind, choices=tuple(choices))
    number = int if kind == "int" else (int, float)
    bounds = {}
    for name in ("low", "high"):
        value = entry.get(name)
        if isinstance(value, bool) or not isinstance(value, number) or not math.isfinite(value):
            raise ConfigError(
                f"{where}: '{name}' must be a {'whole number' if kind == 'int' else 'finite number'}, got {value!r}"
            )
        bounds[name] = float(value) if kind == "float" else value
    log = entry.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: 'log' must be true or false, got {log!r}")
    if bounds["low"] >= bounds["high"]:
        raise ConfigError(f"{where}: the range is empty: low ({bounds['low']}) must be below high ({bounds['high']})")
    if log and bounds["low"] <= 0:
        raise ConfigError(f"{where}: a log range needs low > 0, got {bounds['low']}")
    return Param(key=key, type=kind, low=bounds["low"], high=bounds["high"], log=log)


def _string(document: Mapping[str, Any], key: str, where: str) -> str:
    value = document[key]
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: '{key}' must be a non-empty string, got {value!r}")
    return value


def _choice(document: Mapping[str, Any], key: str, choices: Sequence[str], default: str, where: str) -> str:
    value = document.get(key, default)
    if value not in choices:
        raise ConfigError(f"{where}: '{key}' must be one of {', '.join(choices)}, got {value!r}")
    return value


def _whole(document: Mapping[str, Any], key: str, default: int, where: str, *, low: int, high: int) -> int:
    value = document.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where}: '{key}' must be a whole number from {low} to {high:,}, got {value!r}")
    return value


def _seeds(value: Any, where: str) -> tuple[int, ...]:
    from ..summary import parse_seeds

    if isinstance(value, str):
        try:
            return tuple(parse_seeds(value))
        except ConfigError as exc:
            raise ConfigError(f"{where}: seeds: {exc}") from None
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(s, int) and not isinstance(s, bool) and 0 <= s < 2**63 for s in value)
    ):
        raise ConfigError(f"{where}: 'seeds' must be a non-empty list of seeds such as [0, 1] or a range \"0-4\"")
    if len(set(value)) < len(value):
        raise ConfigError(f"{where}: a seed is given twice in seeds")
    return tuple(value)


def validate(spec: SweepSpec, plugins: Any) -> list[str]:
    """Check the sweep before any trial: every value of the space (both ends of a range, every
    choice) applied to the config builds a valid config (unknown keys and components fail with the
    config's own message), and the objective is a value the metrics compute (they are evaluated
    once on the untrained generator). Returns the names of the values the metrics compute."""
    from ..experiment import Experiment

    first = {p.key: p.values_to_check()[0] for p in spec.space}
    for param in spec.space:
        for value in param.values_to_check():
            try:
                spec.config({**first, param.key: value}, spec.seeds[0], plugins.registry)
            except GanframeError as exc:
                raise type(exc)(*_with_prefix(exc, f"space {param.key} = {value!r}")) from None
    overrides = spec.overrides(first, spec.seeds[0]) | {"device": "cpu"}
    experiment = Experiment.from_dict(spec.base, overrides=overrides, plugins=plugins)
    if not experiment.metrics:
        raise ConfigError("the sweep's config computes no metrics (evaluation.metrics): the objective needs one")
    computed = list(experiment.evaluate())
    if spec.objective not in computed:
        raise ConfigError(
            f"the objective {spec.objective!r} is not computed by the metrics "
            f"{', '.join(experiment.metrics)}; {describe_choices(spec.objective, computed)}"
        )
    return computed


def baseline_params(spec: SweepSpec, plugins: Any) -> tuple[dict[str, Any] | None, str | None]:
    """The base config's own values of the space's keys (with the sweep's [set]; a component's
    name for a component key), to train as a trial beside the searched ones; or None and why not
    (a value outside the space: Optuna can only enqueue points of the space)."""
    resolved = spec.config({}, spec.seeds[0], plugins.registry).to_dict()
    params = {}
    for param in spec.space:
        value: Any = resolved
        for part in param.key.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if isinstance(value, Mapping):  # a component: its name
            value = value.get("name")
        inside = (
            value in param.choices
            if param.type == "categorical"
            else isinstance(value, (int, float))
            and not isinstance(value, bool)
            and (param.type == "float" or float(value).is_integer())
            and param.low is not None
            and param.high is not None
            and param.low <= value <= param.high
        )
        if not inside:
            return None, f"the base config's {param.key} = {value!r} is outside the space ({param.describe()})"
        params[param.key] = int(value) if param.type == "int" else value
    return params, None


def _with_prefix(exc: GanframeError, prefix: str) -> tuple[Any, ...]:
    from ..errors import UnknownNameError

    if isinstance(exc, UnknownNameError):
        return (exc.kind, exc.name, exc.available)  # its own message already names what is wrong
    return (f"{prefix}: {exc}",)
