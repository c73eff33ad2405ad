"""A seeded, time-bounded fuzz test of ganframe's command line and config files.

``python -m tests.fuzz --cases 1200 --seed 0`` (``make fuzz``) generates that many cases from the
seed, runs each one through ``ganframe.cli.main(argv)`` and prints how each class of case ended.
``tests/test_fuzz.py`` runs a smaller sample of the same generator inside the test suite.

Classes of cases (the ``class`` column of the table):

- ``cli-args``: commands and options as a user could mistype them: missing or unknown arguments,
  bad numbers for ``--steps``/``--seed``/``-n``/``--samples``, unknown kinds, names, devices and
  presets (``--preset ''``), ``--resume`` with other options, ``new-plugin`` names, ``--disable-plugin``.
- ``config-file``: ``train --config FILE`` with malformed files: random bytes, non-UTF-8, NUL bytes,
  deep nesting, huge integers, wrong types, inf/nan, unknown keys and sections, empty files, a
  directory, a missing file, ``/dev/zero``, and keys of every setup set to bad values in the file.
- ``set-values``: ``train SETUP --set KEY=VALUE`` with every config key of every setup and preset
  (read from the installed components' config classes) set to bad values: type swaps, inf, nan,
  -1, 0, 2**63, 2**64, huge lists, empty and unicode strings, values outside the documented range
  (``ganframe show`` constraints); unknown keys; unknown and other component names; malformed items.
- ``run-dir-damage``: run directories made by a real quick training (``train gaussian --steps 2``),
  copied per case and damaged (checkpoint truncated, a byte flipped, replaced by a ``torch.save``
  of a dict with missing keys or wrong-typed values, config.toml edited or removed, metrics.jsonl
  garbage...), then given to ``sample``, ``evaluate``, ``report`` and ``train --resume``.
- ``output-paths``: ``--out``, ``-o``, ``--config`` and ``--dir`` as 300-character names, existing
  files or directories, paths below files, missing parents, the run's own files
  (``report RUN -o RUN/config.toml``, ``report RUN -o RUN/checkpoints/last.pt``).
- ``seeds``: ``train --seeds LIST``: ranges, lists, duplicates, huge ranges (``0-100000000000``),
  and ``--seeds`` combined with ``--seed``/``--resume``/``--set seed=``.

The generator knows whether each input is ``valid``, ``invalid`` or (where it cannot be sure)
``unknown``. Outcomes (the table's columns):

- ``ok``: exit 0 for an input that is valid or unknown.
- ``clear-error``: exit 2 and exactly one stderr line (``ganframe: warning:`` lines aside), which
  starts with ``ganframe: error: ``, for an input that is invalid or unknown.
- ``diverged``: exit 3 and that one line ("training diverged", documented in the README) for an
  input that is valid or unknown (1e300 as a learning rate, say). For an invalid input it is
  ``nonsense``: the value should have been refused before training.
- ``rejected``: that clear error, but for an input the generator knows to be valid.
- ``nonsense``: exit 0 for an input the generator knows to be invalid (accepted nonsense).
- ``exit-1``: exit status 1, ganframe's "unexpected error" (a bug).
- ``traceback``: an exception escaped ``main``, or "Traceback" on stderr.
- ``hang``: still running after the per-case timeout (60 s for ``make fuzz``, 20 s in the test
  suite), or killed by the memory limit's side effects while stuck in C code.
- ``lost``: a run directory that existed before the command had its checkpoint, config.toml,
  metrics.jsonl, report.json or figures changed by a command that is not a legitimate
  ``train --resume`` (one of a damaged run that it then refuses is not legitimate).
- ``other``: any other exit status (a signal, 130...), or with exit 2 a multi-line stderr or a line
  that does not start with ``ganframe: error: `` (argparse's ``ganframe train: error: ...``).
- ``skipped``: the run directory the case needs could not be prepared (that failure is listed).

Everything but ``ok``, ``clear-error``, ``diverged`` and ``skipped`` is a failure. The summary
groups failures by their error message (names, numbers and paths masked) or, for ``nonsense``,
``hang`` and ``lost``, by what the case tried; for ``exit-1`` it reruns one case of each group with
``GANFRAME_TRACEBACK=1`` and shows where the exception was raised (``--no-where``: not).

How cases run: the fuzzer process imports ganframe and loads the plugins once, then forks one
child per case (``--jobs`` at a time). The child calls ``ganframe.cli.main(argv)`` in its own
temporary directory (so default ``runs/...`` land there), with stdout and stderr captured (UTF-8,
strict on stdout and backslashreplace on stderr, as a real terminal's streams), ``SystemExit``
caught, a ``SIGALRM`` timer raising a private ``BaseException`` after the timeout, and an address
space limit so that a runaway allocation (``--config /dev/zero``) cannot take the machine's memory.
The parent kills a child that does not come back 15 s after its timeout (stuck in C code). Forking
keeps the speed of an in-process call (no interpreter start, no re-import) and isolates every case:
cwd, environment, signal handlers, torch's thread settings and ganframe's module state cannot leak
from one case into the next. The fuzzer process itself must not run torch computations before it
forks (OpenMP's thread pool does not survive a fork), which is why the test suite runs this module
in a subprocess. ``--no-fork`` runs cases in this process instead (to debug one case with
``--only N``; no memory limit there).

Reproduce a case: ``python -m tests.fuzz --seed 0 --cases 1200 --only 123 --show`` prints its
argv and files (the same seed and count give the same cases); without ``--show`` it runs just that
case, ``--keep`` keeps its directory, ``--no-fork`` runs it in this process and prints its output.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import io
import json
import math
import os
import random
import re
import resource
import shlex
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

CLASSES = ("cli-args", "config-file", "set-values", "run-dir-damage", "output-paths", "seeds")
OUTCOMES = (
    "ok",
    "clear-error",
    "diverged",
    "rejected",
    "nonsense",
    "exit-1",
    "traceback",
    "hang",
    "lost",
    "other",
    "skipped",
)
GOOD = frozenset({"ok", "clear-error", "diverged", "skipped"})
BAD = frozenset(OUTCOMES) - GOOD
VALID, INVALID, UNKNOWN = "valid", "invalid", "unknown"
#: Exit statuses of the README.
EXIT_USAGE = 2
EXIT_DIVERGED = 3
I64_MAX = 2**63 - 1
#: Weights of the random classes (the fixed cases come on top of these).
WEIGHTS = {"set-values": 36, "config-file": 20, "cli-args": 20, "run-dir-damage": 14, "output-paths": 7, "seeds": 3}
#: Setups whose training costs a second or two with a couple of steps.
CHEAP_SETUPS = ("gaussian", "even", "gaussian2d")
#: Run directories made once per fuzz run by a real quick training, copied into each case.
TEMPLATES = {
    "gaussian": ["train", "gaussian", "--steps", "2", "--device", "cpu", "--quiet", "--out", "gaussian"],
    "even": ["train", "even", "--steps", "2", "--device", "cpu", "--quiet", "--out", "even"],
    "gaussian2d": ["train", "gaussian2d", "--steps", "2", "--device", "cpu", "--quiet", "--out", "gaussian2d"],
    "seeds": ["train", "gaussian", "--seeds", "0-1", "--steps", "1", "--device", "cpu", "--quiet", "--out", "seeds"],
}
TEMPLATE_STEPS = 2  # the step a template's checkpoint holds
#: Files of a run directory that only training (or a legitimate ``train --resume``) may change; the
#: figures in plots/ too, and the report.html of each run of a --seeds directory.
WATCHED = ("config.toml", "checkpoints/last.pt", "metrics.jsonl", "report.json", "summary.json")


# == cases ========================================================================================
@dataclasses.dataclass
class Case:
    """One command line, the files it needs, and what the generator knows about it."""

    klass: str
    argv: list[str]
    validity: str  # VALID, INVALID or UNKNOWN
    sig: str  # what the case tries, in words that group similar cases ("set train.steps <- nan")
    prep: list[tuple] = dataclasses.field(default_factory=list)  # done in the case directory first
    watch: list[str] = dataclasses.field(default_factory=list)  # run directories that must not change
    resume: str | None = None  # the run directory a legitimate train --resume may change
    env: dict[str, str] = dataclasses.field(default_factory=dict)
    needs: tuple[str, ...] = ()  # templates
    index: int = -1

    def shell(self, limit: int = 100) -> str:
        return "ganframe " + " ".join(_short(shlex.quote(arg), limit) for arg in self.argv)


def _short(text: str, limit: int = 100) -> str:
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else f"{text[: limit - 20]}…({len(text)} chars)"


class Raw(str):
    """TOML text written as is (malformed on purpose, or a spelling such as ``0x10``)."""


# -- TOML text ------------------------------------------------------------------------------------
def toml_value(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }" if value else "{}"
    raise TypeError(f"no TOML for {value!r}")


def toml_string(text: str) -> str:
    out = []
    for char in text:
        code = ord(char)
        if char == '"':
            out.append('\\"')
        elif char == "\\":
            out.append("\\\\")
        elif code < 0x20 or code == 0x7F or 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    return key if key and re.fullmatch(r"[A-Za-z0-9_-]+", key) else toml_string(key)


def toml_document(doc: Mapping[str, Any]) -> str:
    """A TOML file: scalars first, then one [table] per nested table."""
    lines: list[str] = []

    def table(prefix: list[str], node: Mapping[str, Any]) -> None:
        scalars = {k: v for k, v in node.items() if not (isinstance(v, Mapping) and not isinstance(v, Raw))}
        tables = {k: v for k, v in node.items() if k not in scalars}
        if prefix and (scalars or not tables):
            lines.append(f"[{'.'.join(toml_key(p) for p in prefix)}]")
        for key, value in scalars.items():
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
        for key, value in tables.items():
            table([*prefix, key], value)

    table([], doc)
    return "\n".join(lines) + "\n"


def parse_set_value(text: str) -> tuple[bool, Any]:
    """What the README says ``--set KEY=VALUE`` makes of VALUE: TOML, else a bare word as a string;
    (False, None) where it is an error (an unreadable value starting with a bracket or a quote)."""
    import tomllib

    try:
        return True, tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        if not text.strip() or text.strip()[0] in "[{\"'":
            return False, None
        return True, text.strip()
    except RecursionError:
        return False, None


# -- what the installed components accept --------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Key:
    """One config key of one setup's preset: its current value, type and documented constraint."""

    path: str
    value: Any  # None where the preset leaves it unset
    type: str  # as `ganframe show` writes it: "int", "list of 2 float", "name:losses"...
    constraint: str = ""

    @property
    def leaf(self) -> str:
        return self.path.rsplit(".", 1)[-1]


@dataclasses.dataclass
class Schema:
    keys: dict[tuple[str, str], list[Key]]  # (setup, preset) -> keys
    names: dict[str, list[str]]  # kind -> registered names
    default_presets: dict[str, str]
    activations: tuple[str, ...]
    cuda: bool
    no_data: frozenset[str] = frozenset()  # setups whose data is not here (MNIST): training cannot start


SECTION_KINDS = {
    "data": "data-sources",
    "noise": "noise",
    "generator": "generators",
    "discriminator": "discriminators",
    "loss": "losses",
    "strategy": "strategies",
}


def collect_schema() -> Schema:
    """Every setup's presets, resolved by ganframe's own config code, with each option's type and
    constraint as ``ganframe show`` describes them. No torch computation happens here."""
    from ganframe.config import NetworkSpec, resolve_config
    from ganframe.options import describe_options
    from ganframe.plugins import load_plugins

    registry = load_plugins().registry
    kinds = (
        "data-sources",
        "noise",
        "generators",
        "discriminators",
        "networks",
        "network-extras",
        "losses",
        "strategies",
        "optimizers",
        "metrics",
        "setups",
    )
    names = {kind: list(registry.names(kind)) for kind in kinds}
    keys: dict[tuple[str, str], list[Key]] = {}
    defaults: dict[str, str] = {}
    activations: set[str] = set()

    def options(prefix: str, config: Any, current: Mapping[str, Any]) -> list[Key]:
        out = []
        for option in describe_options(type(config) if config is not None else None):
            if option.constraint.startswith("one of") and option.name.endswith("activation"):
                activations.update(re.findall(r'"([^"]*)"', option.constraint))
            out.append(Key(f"{prefix}.{option.name}", current.get(option.name), option.type, option.constraint))
        return out

    for setup_name in names["setups"]:
        setup = registry.setup(setup_name)
        defaults[setup_name] = setup.default_preset
        for preset in setup.presets:
            raw = setup.preset(preset)
            raw["setup"], raw["preset"] = setup_name, preset
            config = resolve_config(raw, registry)
            resolved = config.to_dict()
            found = [
                Key("seed", resolved.get("seed", 0), "int", ">= 0"),
                Key("device", resolved.get("device"), "str", 'one of "auto", "cpu", "cuda", "cuda:N"'),
                Key("conditional", resolved.get("conditional", False), "bool"),
                Key("conditional_input", resolved.get("conditional_input", False), "bool"),
                Key("setup", setup_name, "name:setups"),
                Key("preset", preset, "preset"),
            ]
            for section, kind in SECTION_KINDS.items():
                spec = getattr(config, section)
                table = resolved.get(section, {})
                found.append(Key(f"{section}.name", spec.name, f"name:{kind}"))
                found += options(section, spec.config, table)
                if isinstance(spec, NetworkSpec):
                    opt_table = table.get("optimizer", {})
                    found.append(Key(f"{section}.optimizer.name", spec.optimizer.name, "name:optimizers"))
                    found += options(f"{section}.optimizer", spec.optimizer.config, opt_table)
                    found.append(Key(f"{section}.extras", table.get("extras", []), "extras"))
            for section in ("train", "evaluation", "logging"):
                found += options(section, getattr(config, section), resolved.get(section, {}))
            keys[(setup_name, preset)] = found
    try:
        import torch

        cuda = bool(torch.cuda.is_available())
    except (ImportError, RuntimeError):
        cuda = False
    # The fuzz runs point MNIST at an empty folder: a setup on MNIST cannot start training here.
    no_data = frozenset(
        name
        for name in names["setups"]
        if any(
            dict(preset.get("data") or {}).get("name") == "mnist" for preset in registry.setup(name).presets.values()
        )
    )
    return Schema(keys, names, defaults, tuple(sorted(activations)), cuda, no_data)


# -- judging a value against a key ---------------------------------------------------------------
#: Leaves whose numbers are counts or sizes: 0 or less is meaningless there (beyond what
#: `ganframe show` documents).
POSITIVE_LEAVES = {
    "hidden",
    "dim",
    "batch_size",
    "steps",
    "log_every",
    "samples",
    "snapshots",
    "size",
    "outputs",
    "kernels",
    "kernel_dims",
    "pack",
    "lr",
    "eps",
    "std",
    "max_int",
    "threads",
    "d_steps",
    "g_steps",
}
NON_NEGATIVE_LEAVES = {
    "seed",
    "data_seed",
    "eval_every",
    "checkpoint_every",
    "weight_decay",
    "momentum",
    "dropout",
    "r1",
    "clip",
    "gp_weight",
    "unroll_steps",
    "alpha",
}
#: Leaves that are probabilities or fractions: outside [0, 1] is meaningless.
UNIT_LEAVES = {"flip", "decay", "dropout", "momentum", "alpha"}
#: Leaves that count rounds or updates: a huge but valid value is a long run, not a hang.
LONG_RUNNING_LEAVES = {"steps", "d_steps", "g_steps", "unroll_steps"}
#: Checkpoint entries that only training needs (sampling and evaluating need the networks).
TRAINING_STATE = {"optimizers", "schedules", "rng", "real_draws", "seconds", "epoch_log", "step", "device_type"}


def _numbers(value: Any) -> Iterable[Any]:
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def _bounds(constraint: str) -> list[tuple[str, float]]:
    """(op, bound) pairs of a constraint such as "> 0, <= 1000000" (not the per-item ones)."""
    head = constraint.split("each", 1)[0]
    return [(op, float(bound)) for op, bound in re.findall(r"(?:^|, )(>=|>|<=|<) (-?[0-9.e+-]+)", head)]


def _in_bounds(number: float, bounds: Sequence[tuple[str, float]]) -> bool:
    import operator

    checks = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}
    return all(checks[op](number, bound) for op, bound in bounds)


def _worst(*verdicts: str) -> str:
    return INVALID if INVALID in verdicts else (UNKNOWN if UNKNOWN in verdicts else VALID)


def judge(key: Key, value: Any, schema: Schema, setup: str) -> str:
    """Whether ``value`` at ``key`` is valid, invalid, or cannot be told here (unknown)."""
    if any(isinstance(n, int) and not -(2**63) <= n <= I64_MAX for n in _numbers(value)):
        return INVALID  # TOML integers are 64-bit: larger ones are not TOML (and not a seed or a size)
    if key.value is not None and value == key.value and type(value) is type(key.value) and not _has_nan(value):
        return VALID if setup not in schema.no_data else UNKNOWN  # its own value (MNIST: data is not here)
    verdict = _judge_type(key, value, schema)
    return verdict if verdict == INVALID or setup not in schema.no_data else UNKNOWN


def _has_nan(value: Any) -> bool:
    return any(isinstance(n, float) and math.isnan(n) for n in _numbers(value))


def _judge_type(key: Key, value: Any, schema: Schema) -> str:
    kind = key.type
    leaf = key.leaf
    if kind.startswith("name:"):
        names = schema.names.get(kind[5:], [])
        if not isinstance(value, str) or value not in names:
            return INVALID
        return UNKNOWN
    if kind == "preset":
        return INVALID if not isinstance(value, str) or value == "" else UNKNOWN
    if kind == "extras":
        return _judge_extras(value, schema)
    base = kind.removesuffix(" or None")
    if key.path == "device":
        if value in ("auto", "cpu"):
            return VALID
        if isinstance(value, str) and (value == "cuda" or re.fullmatch(r"cuda:\d+", value)):
            return UNKNOWN if schema.cuda else INVALID
        return INVALID
    if key.path == "conditional" and value is True:
        return INVALID  # no labelled data in these setups but mnist (judged unknown there anyway)
    if key.path == "conditional_input" and value is True:
        return INVALID  # needs conditional = true as well
    if key.path == "seed":
        return INVALID if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0) else UNKNOWN
    if key.path == "evaluation.metrics":
        if not isinstance(value, list) or not all(isinstance(m, str) for m in value):
            return INVALID
        if any(m not in schema.names["metrics"] for m in value):
            return INVALID
        return UNKNOWN
    return _judge_base(base, key, leaf, value, schema)


def _judge_base(base: str, key: Key, leaf: str, value: Any, schema: Schema, item: bool = False) -> str:
    constraint = key.constraint
    if base == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            return INVALID
        return _judge_number(key, leaf, value, constraint if not item else "")
    if base == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return INVALID
        if isinstance(value, float) and math.isnan(value):
            return INVALID
        if isinstance(value, float) and math.isinf(value):
            return INVALID  # the README: NaN or infinity is bad input
        return _judge_number(key, leaf, value, constraint if not item else "")
    if base == "bool":
        return UNKNOWN if isinstance(value, bool) else INVALID
    if base == "str":
        if not isinstance(value, str):
            return INVALID
        choices = re.findall(r'"([^"]*)"', constraint) if constraint.startswith("one of") else None
        if choices is not None:
            return UNKNOWN if value in choices else INVALID
        if leaf.endswith("activation"):
            return UNKNOWN if value in schema.activations else INVALID
        return UNKNOWN
    if base == "str or list of str":
        if isinstance(value, str):
            return _judge_base("str", key, leaf, value, schema)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return _worst(UNKNOWN, *(_judge_base("str", key, leaf, v, schema) for v in value))
        return INVALID
    if base == "int or str":
        if isinstance(value, str):
            choices = re.findall(r'"([^"]*)"', constraint)
            return UNKNOWN if not choices or value in choices else INVALID
        if isinstance(value, int) and not isinstance(value, bool):
            span = re.search(r"(\d+) to (\d+)", constraint)
            if span and not int(span.group(1)) <= value <= int(span.group(2)):
                return INVALID
            return UNKNOWN
        return INVALID
    match = re.fullmatch(r"list of (?:(\d+) )?(.+)", base)
    if match:
        if not isinstance(value, list):
            return INVALID
        if match.group(1) and len(value) != int(match.group(1)):
            return INVALID
        if "non-empty" in constraint and not value:
            return INVALID
        inner = match.group(2).strip("()")
        verdicts = [_judge_base(inner, key, leaf, v, schema, item=True) for v in value]
        each = re.search(r"each (-?\d+) to (\d+)", constraint)
        each_range = re.search(r"each in \[(-?[\d.]+), (-?[\d.]+)\)", constraint)
        for v in value:
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                if each and not int(each.group(1)) <= v <= int(each.group(2)):
                    verdicts.append(INVALID)
                if each_range and not float(each_range.group(1)) <= v < float(each_range.group(2)):
                    verdicts.append(INVALID)
        if leaf == "A" and value and len({len(row) if isinstance(row, list) else -1 for row in value}) > 1:
            verdicts.append(INVALID)  # a ragged matrix
        return _worst(UNKNOWN, *verdicts)
    return UNKNOWN  # a type this fuzzer does not know: accept either outcome


def _judge_number(key: Key, leaf: str, value: float, constraint: str) -> str:
    if constraint and not _in_bounds(value, _bounds(constraint)):
        return INVALID
    if leaf in POSITIVE_LEAVES and value <= 0:
        return INVALID
    if leaf in NON_NEGATIVE_LEAVES and value < 0:
        return INVALID
    if leaf in UNIT_LEAVES and not 0 <= value <= 1:
        return INVALID
    if leaf == "max_int" and (value < 2 or value & (value - 1)):
        return INVALID  # the README: any power of two
    return UNKNOWN


def _judge_extras(value: Any, schema: Schema) -> str:
    items = [value] if isinstance(value, (str, Mapping)) else value
    if not isinstance(items, list):
        return INVALID
    verdicts = [UNKNOWN]
    for item in items:
        name = item.get("name") if isinstance(item, Mapping) else item
        if not isinstance(name, str) or name not in schema.names["network-extras"]:
            verdicts.append(INVALID)
    return _worst(*verdicts)


# -- bad values ------------------------------------------------------------------------------------
def bad_values(key: Key) -> list[tuple[str, Any]]:
    """(tag, value) candidates for ``key``: type swaps, special numbers, edge sizes and strings."""
    out: list[tuple[str, Any]] = [
        ("string", "abc"),
        ("empty-string", ""),
        ("unicode", "ünï\u00e7ødé 😀"),
        ("true", True),
        ("false", False),
        ("float", 1.5),
        ("nan", math.nan),
        ("inf", math.inf),
        ("-inf", -math.inf),
        ("-1", -1),
        ("0", 0),
        ("1", 1),
        ("2**63", 2**63),
        ("2**64", 2**64),
        ("-2**63-1", -(2**63) - 1),
        ("list", [1, 2]),
        ("table", {"a": 1}),
        ("empty-list", []),
        ("nested-list", [[1]]),
        ("-0.5", -0.5),
        ("1e300", 1e300),
        ("long-string", "x" * 5000),
        ("huge-list", ["x"] * 100_000),
        ("list-of-nan", [math.nan, 1.0]),
        ("list-of-neg", [-1]),
        ("list-of-0", [0]),
        ("list-of-2**64", [2**64]),
        ("list-of-str", ["abc"]),
        ("2.0", 2.0),
    ]
    if key.leaf not in LONG_RUNNING_LEAVES:
        out.append(("i64max", I64_MAX))  # a huge count is a long run for these, not a bug
    if key.value is not None:
        out.append(("current", key.value))
    if key.type.startswith("name:"):
        out += [("unknown-name", "nope"), ("plugin-prefix", "nope:nope")]
    choices = re.findall(r'"([^"]*)"', key.constraint) if key.constraint.startswith("one of") else []
    out += [("choice", c) for c in choices[:3]]
    if key.type.startswith("list of"):
        out += (
            [("huge-list-valid-items", [key.value[0]] * 2000)]
            if isinstance(key.value, list)
            and key.value
            and not isinstance(key.value[0], list)
            and key.leaf not in ("hidden",)
            else []
        )
    # One past the documented limit (the limit itself is a valid but slow size: not a finding).
    upper = re.search(r"(?:<=|to) (\d+)", key.constraint)
    if upper:
        top = int(upper.group(1))
        out.append(("max+1", [top + 1] if key.type.startswith("list of") else top + 1))
    return out


# == the generator ================================================================================
class Generator:
    """Cases from a seed. The same seed, installed plugins and ganframe give the same cases."""

    def __init__(self, schema: Schema, seed: int) -> None:
        self.schema = schema
        self.rng = random.Random(seed)
        self.presets = sorted(self.schema.keys)
        self.cheap = [sp for sp in self.presets if sp[0] in CHEAP_SETUPS]
        self._others = [sp for sp in self.presets if sp[0] not in CHEAP_SETUPS]
        self._queues: dict[str, list[tuple[str, str, Key]]] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def pick(self, seq: Sequence[Any]) -> Any:
        return seq[self.rng.randrange(len(seq))]

    def steps(self) -> str:
        return str(self.rng.choice((1, 2, 2, 3)))

    def train_head(self, setup: str, preset: str) -> list[str]:
        argv = ["train", setup]
        if preset != self.schema.default_presets.get(setup) or self.rng.random() < 0.2:
            argv += ["--preset", preset]
        argv += ["--steps", self.steps(), "--out", "run"]
        if self.rng.random() < 0.7:
            argv.append("--quiet")
        if self.rng.random() < 0.3:
            argv += ["--device", "cpu"]
        return argv

    def preset_key(self) -> tuple[str, str, Key]:
        """The next key of a setup's preset: every key of every preset comes up once (in a shuffled
        order) before any comes up again. Setups that cannot train here (MNIST: no data) come up a
        tenth of the time."""
        group = "cheap" if self.rng.random() < 0.9 or not self._others else "others"
        queue = self._queues.setdefault(group, [])
        if not queue:
            queue += [
                (setup, preset, key)
                for setup, preset in (self.cheap if group == "cheap" else self._others)
                for key in self.schema.keys[(setup, preset)]
            ]
            self.rng.shuffle(queue)
        return queue.pop()

    def mutation(self, key: Key, setup: str) -> tuple[str, Any, str]:
        tag, value = self.pick(bad_values(key))
        verdict = judge(key, value, self.schema, setup)
        if key.path == "train.steps" and verdict != INVALID and not (isinstance(value, int) and value <= 3):
            return self.mutation(key, setup)  # a valid long run is not what we look for
        return tag, value, verdict

    # -- the classes -----------------------------------------------------------------------------
    def set_values(self) -> Case:
        setup, preset, key = self.preset_key()
        argv = self.train_head(setup, preset)
        roll = self.rng.random()
        if roll < 0.08:  # an unknown key somewhere
            section = key.path.rsplit(".", 1)[0] if "." in key.path else ""
            bad = self.pick(
                [
                    f"{section}.nope" if section else "nope",
                    f"{key.path}x",
                    f"{key.path}.deeper",
                    key.path.upper(),
                    f"networks.{key.leaf}",
                    f"{key.path}. x",
                ]
            )
            return Case("set-values", [*argv, "--set", f"{bad}=1"], INVALID, "set an unknown key")
        if roll < 0.14:  # a malformed item
            item = self.pick(
                [
                    "noequals",
                    "=3",
                    "train..steps=1",
                    "train.steps=",
                    "train.steps=[1,",
                    "train.steps='",
                    "train.steps={",
                    'train.steps="open',
                    ".=1",
                    "train.=1",
                    "train.steps = [ ",
                    f"{key.path}=" + "[" * 5000,
                ]
            )
            return Case("set-values", [*argv, "--set", item], INVALID, "malformed --set item")
        if roll < 0.2:  # a whole section as a value, or a component replaced by its name
            section = self.pick(
                [
                    "train",
                    "evaluation",
                    "logging",
                    "networks",
                    "loss",
                    "strategy",
                    "generator",
                    "data",
                    "generator.optimizer",
                ]
            )
            value = self.pick(["3", "nope", "true", "[1, 2]", "{}", "mlp", "hinge", "sgd", "minimax"])
            parsed = parse_set_value(value)[1]
            kinds = {
                "loss": "losses",
                "strategy": "strategies",
                "generator": "generators",
                "data": "data-sources",
                "generator.optimizer": "optimizers",
            }
            if section in ("train", "evaluation", "logging", "networks"):
                if value == "{}":
                    value = "[]"  # an empty table would drop --steps: a long run, not a finding
                verdict = INVALID  # a section is a table
            elif value == "{}":
                verdict = UNKNOWN  # an empty table: merged into the section, or the default component
            elif isinstance(parsed, str) and parsed in self.schema.names.get(kinds[section], []):
                verdict = UNKNOWN
            else:
                verdict = INVALID
            if setup in self.schema.no_data:
                verdict = _worst(verdict, UNKNOWN)
            return Case("set-values", [*argv, "--set", f"{section}={value}"], verdict, f"set section {section}")
        if roll < 0.32:  # another registered component, or network extras: combinations of plugins
            return self.component_swap(setup, preset, argv)
        sets: list[str] = []
        verdicts: list[str] = []
        tags: list[str] = []
        keys = [key] + ([self.pick(self.schema.keys[(setup, preset)])] if self.rng.random() < 0.15 else [])
        for k in keys:
            tag, value, verdict = self.mutation(k, setup)
            text = toml_value(value)
            if isinstance(value, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", value) and self.rng.random() < 0.5:
                text = value  # a bare word
            sets += ["--set", f"{k.path}={text}"]
            verdicts.append(verdict)
            tags.append(f"{k.path} <- {tag}")
        if setup in self.schema.no_data:
            verdicts.append(UNKNOWN)  # no MNIST data here: training cannot start
        return Case("set-values", argv + sets, _worst(*verdicts), "set " + ", ".join(tags))

    def component_swap(self, setup: str, preset: str, argv: list[str]) -> Case:
        names = self.schema.names
        section, kind = self.pick(
            [
                ("loss", "losses"),
                ("strategy", "strategies"),
                ("generator", "generators"),
                ("discriminator", "discriminators"),
                ("noise", "noise"),
                ("generator.optimizer", "optimizers"),
                ("discriminator.optimizer", "optimizers"),
                ("discriminator.extras", "network-extras"),
                ("generator.extras", "network-extras"),
                ("evaluation.metrics", "metrics"),
                ("networks.extra", "networks"),
            ]
        )
        if section.endswith("extras"):
            chosen = self.rng.sample(names[kind], self.rng.randint(1, min(2, len(names[kind]))))
            value = "[" + ", ".join(toml_string(n) for n in chosen) + "]"
            item = f"{section}={value}"
        elif section == "evaluation.metrics":
            chosen = self.rng.sample(names[kind], self.rng.randint(1, 2))
            item = f"{section}=[{', '.join(toml_string(n) for n in chosen)}]"
        elif section == "networks.extra":  # a third network role nobody trains
            item = f"networks.extra={{ name = {toml_string(self.pick(names[kind]))} }}"
            chosen = []
        else:
            chosen = [self.pick(names[kind])]
            item = f"{section}={chosen[0]}" if self.rng.random() < 0.5 else f"{section}.name={chosen[0]}"
        verdict = UNKNOWN
        if (
            section == "evaluation.metrics"
            and any(m.startswith("mnist") for m in chosen)
            and setup not in self.schema.no_data
        ):
            verdict = INVALID  # MNIST's classifier on other data
        if section in ("generator", "discriminator") and chosen == ["mnist-conv"] and setup not in self.schema.no_data:
            verdict = INVALID  # a convolutional network of 28x28 images on other data
        return Case("set-values", [*argv, "--set", item], verdict, f"swap {section} -> {', '.join(chosen) or 'role'}")

    def config_file(self) -> Case:
        setup, preset, key = self.preset_key()
        steps = int(self.steps())
        roll = self.rng.random()
        base: dict[str, Any] = {"setup": setup}
        if preset != self.schema.default_presets.get(setup):
            base["preset"] = preset
        base["train"] = {"steps": steps}
        argv = ["train", "--config", "cfg.toml", "--out", "run", "--quiet"]
        unknown = [UNKNOWN] if setup in self.schema.no_data else []
        if roll < 0.45:  # a key set to a bad value in the file
            tag, value, verdict = self.mutation(key, setup)
            doc = _set_path(base, key.path, value)
            return Case(
                "config-file",
                argv,
                _worst(verdict, *unknown),
                f"file {key.path} <- {tag}",
                prep=[("write", "cfg.toml", toml_document(doc).encode())],
            )
        kinds = [
            "random-bytes",
            "non-utf8",
            "utf16",
            "nul",
            "deep-array",
            "deep-table",
            "deep-inline",
            "huge-int",
            "unknown-top",
            "unknown-section-key",
            "empty",
            "empty-no-setup",
            "bom",
            "duplicate",
            "array-of-tables",
            "section-string",
            "cr-only",
            "valid",
            "valid-crlf",
            "big-comments",
            "setup-type",
            "setup-empty",
            "preset-empty",
            "setup-nope",
            "data-nope",
            "template-config",
            "template-no-setup",
            "float-steps",
            "lone-surrogate-escape",
            "latin1",
            "inf-steps",
            "negative-seed",
            "setup-arg-differs",
        ]
        kind = self.pick(kinds)
        text = toml_document(base)
        valid_doc = text.encode()
        content: bytes
        verdict = INVALID
        needs: tuple[str, ...] = ()
        prep: list[tuple] = []
        if kind == "random-bytes":
            content = bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(1, 400))) + b"\xff\xfe"
        elif kind == "non-utf8":
            content = valid_doc + b"# caf\xe9\n[logging]\nplots = false\n"
        elif kind == "utf16":
            content = text.encode("utf-16")
        elif kind == "nul":
            content = valid_doc + b"\x00\n"
        elif kind == "deep-array":
            depth = self.pick([100, 1000, 100_000])
            content = valid_doc.replace(b"[train]", b"[train]\nbatch_size = " + b"[" * depth + b"]" * depth + b"\n", 1)
        elif kind == "deep-table":
            depth = self.pick([100, 5000])
            content = valid_doc + ("[" + ".".join(["a"] * depth) + "]\nx = 1\n").encode()
        elif kind == "deep-inline":
            depth = self.pick([100, 1000, 50_000])
            content = valid_doc + b"deep = " + b"{a=" * depth + b"1" + b"}" * depth + b"\n"
        elif kind == "huge-int":
            content = valid_doc.replace(b"[train]", b"seed = 99999999999999999999999999\n[train]", 1)
        elif kind == "unknown-top":
            content = b"nope = 1\n" + valid_doc
        elif kind == "unknown-section-key":
            content = valid_doc + self.pick([b"stepz = 3\n", b"[logging]\nplotz = true\n", b"[nope]\nx = 1\n"])
        elif kind == "empty":
            content, argv, verdict = (
                b"",
                ["train", setup, "--config", "cfg.toml", "--steps", str(steps), "--out", "run", "--quiet"],
                _worst(VALID, *unknown),
            )
        elif kind == "empty-no-setup":
            content = self.pick([b"", b"# nothing\n", b"\n\n   \n"])
        elif kind == "bom":
            content, verdict = b"\xef\xbb\xbf" + valid_doc, UNKNOWN
        elif kind == "duplicate":
            content = valid_doc + b"[train]\nsteps = 2\n"
        elif kind == "array-of-tables":
            content = f'setup = "{setup}"\n[[train]]\nsteps = {steps}\n'.encode()
        elif kind == "section-string":
            content = f'setup = "{setup}"\ntrain = "fast"\n'.encode()
        elif kind == "cr-only":
            content = valid_doc.replace(b"\n", b"\r")
        elif kind == "valid":
            content, verdict = valid_doc, _worst(VALID, *unknown)
        elif kind == "valid-crlf":
            content, verdict = valid_doc.replace(b"\n", b"\r\n"), _worst(VALID, *unknown)
        elif kind == "big-comments":
            content, verdict = b"# padding\n" * 200_000 + valid_doc, _worst(VALID, *unknown)
        elif kind == "setup-type":
            content = valid_doc.replace(f'setup = "{setup}"'.encode(), b"setup = 3", 1)
        elif kind == "setup-empty":
            content = valid_doc.replace(f'setup = "{setup}"'.encode(), b'setup = ""', 1)
        elif kind == "preset-empty":
            content = valid_doc.replace(b"[train]", b'preset = ""\n[train]', 1)
        elif kind == "setup-nope":
            content = valid_doc.replace(f'setup = "{setup}"'.encode(), b'setup = "nope"', 1)
        elif kind == "data-nope":
            content = valid_doc + b'[data]\nname = "nope"\n'
        elif kind in ("template-config", "template-no-setup"):
            template = self.pick(["gaussian", "even", "gaussian2d"])
            needs = (template,)
            prep = [("copy-file", f"{template}/config.toml", "cfg.toml")]
            if kind == "template-no-setup":
                prep.append(("toml-del", "cfg.toml", "setup"))
                prep.append(("toml-del", "cfg.toml", "preset"))
            argv = ["train", "--config", "cfg.toml", "--steps", str(steps), "--out", "run", "--quiet"]
            return Case("config-file", argv, VALID, f"file: a run's config.toml ({kind})", prep=prep, needs=needs)
        elif kind == "float-steps":
            content = valid_doc.replace(f"steps = {steps}".encode(), b"steps = 2.0", 1)
        elif kind == "lone-surrogate-escape":
            content = valid_doc + b'[loss]\nd_terms = "\\ud800"\n'
        elif kind == "latin1":
            content = valid_doc + '[loss]\nd_terms = "sümme"\n'.encode("latin-1")
        elif kind == "inf-steps":
            content = valid_doc.replace(f"steps = {steps}".encode(), b"steps = inf", 1)
        elif kind == "negative-seed":
            content = valid_doc.replace(b"[train]", b"seed = -1\n[train]", 1)
        elif kind == "setup-arg-differs":
            other = self.pick([s for s in CHEAP_SETUPS if s != setup] or ["gaussian"])
            argv = ["train", other, "--config", "cfg.toml", "--steps", str(steps), "--out", "run", "--quiet"]
            content, verdict = valid_doc, UNKNOWN
        else:  # pragma: no cover
            raise AssertionError(kind)
        return Case(
            "config-file", argv, verdict, f"file: {kind}", prep=[("write", "cfg.toml", content), *prep], needs=needs
        )

    def cli_args(self) -> Case:
        setup = self.pick(CHEAP_SETUPS)
        s = self.steps()
        kinds = [
            "no-command",
            "unknown-command",
            "steps-bad",
            "seed-bad",
            "device-bad",
            "preset-bad",
            "setup-bad",
            "train-nothing",
            "preset-without-setup",
            "resume-combo",
            "list",
            "show",
            "plugins",
            "version",
            "help",
            "new-plugin",
            "disable-plugin",
            "verbose",
            "sample-n-bad",
            "evaluate-samples-bad",
            "evaluate-metric",
            "sample-seed-bad",
            "sample-label",
            "unknown-option",
            "abbrev",
            "missing-value",
            "duplicated-option",
            "env-disable",
            "report-bad",
            "sample-device",
            "sample-format",
        ]
        kind = self.pick(kinds)

        def run():
            return ("gaussian", [("copy", "gaussian", "R")])

        if kind == "no-command":
            return Case("cli-args", self.pick([[], ["-v"], ["--disable-plugin", "x"]]), INVALID, "no command")
        if kind == "unknown-command":
            return Case(
                "cli-args", [self.pick(["trian", "TRAIN", "", "--", "sampel", "ünï"])], INVALID, "unknown command"
            )
        if kind in ("steps-bad", "seed-bad"):
            option = "--steps" if kind == "steps-bad" else "--seed"
            # Python's int() reads " 2", "+2", "2_0" and the Arabic-Indic "٣" (3): argparse takes them.
            lenient = {" 2", "+2", "2_0", "٣"}
            values = ["abc", "1.5", "-1", "0", "", "1e3", "0x10", "-9223372036854775809", *sorted(lenient)]
            if option == "--seed":
                values += [str(2**64), str(2**63), str(I64_MAX)]  # --steps 2**64 is one of the fixed cases
            value = self.pick(values)
            if value in lenient or value == str(I64_MAX):
                verdict = UNKNOWN
            elif option == "--seed" and value == "0":
                verdict = VALID
            else:
                verdict = INVALID
            argv = ["train", setup, "--out", "run", "--quiet", option, value]
            if option == "--seed":
                argv += ["--steps", s]
            return Case("cli-args", argv, verdict, f"{option} {value!r}")
        if kind == "device-bad":
            value = self.pick(["gpu", "", "cuda", "cuda:99", "cuda:x", "CPU", "mps", "cpu:0", "cuda:-1", "auto", "cpu"])
            verdict = (
                VALID
                if value in ("auto", "cpu")
                else (UNKNOWN if self.schema.cuda and value.startswith("cuda") else INVALID)
            )
            if value == "cpu:0":
                verdict = INVALID  # not in the README's list: auto, cpu, cuda, cuda:N
            return Case(
                "cli-args",
                ["train", setup, "--steps", s, "--out", "run", "--quiet", "--device", value],
                verdict,
                f"--device {value!r}",
            )
        if kind == "preset-bad":
            value = self.pick(["", "nope", "DEFAULT", "default ", "tutorial", " ", "ünï"])
            verdict = UNKNOWN if value == "tutorial" else INVALID
            return Case(
                "cli-args",
                ["train", setup, "--steps", s, "--out", "run", "--quiet", "--preset", value],
                verdict,
                f"--preset {value!r}",
            )
        if kind == "setup-bad":
            value = self.pick(
                [
                    "nope",
                    "Gaussian",
                    "gaussian ",
                    "gauss",
                    "ünï",
                    "-",
                    "gaussian:gaussian",
                    "nope:gaussian",
                    "gaussian/../even",
                ]
            )
            verdict = UNKNOWN if value == "gaussian:gaussian" else INVALID
            return Case(
                "cli-args", ["train", value, "--steps", s, "--out", "run", "--quiet"], verdict, f"setup {value!r}"
            )
        if kind == "train-nothing":
            return Case(
                "cli-args",
                self.pick([["train"], ["train", "--steps", "2"], ["train", ""]]),
                INVALID,
                "train without a setup",
            )
        if kind == "preset-without-setup":
            return Case("cli-args", ["train", "--preset", "default", "--steps", s], INVALID, "--preset without setup")
        if kind == "resume-combo":
            extra = self.pick(
                [
                    ["--seed", "1"],
                    ["--set", "train.steps=5"],
                    ["--preset", "default"],
                    ["--out", "other"],
                    ["--config", "R/config.toml"],
                    ["gaussian"],
                    ["--seeds", "0-1"],
                ]
            )
            name, prep = run()
            argv = ["train", "--resume", "R", "--steps", "3", "--quiet", *extra]
            if extra[0] == "gaussian":
                argv = ["train", "gaussian", "--resume", "R", "--steps", "3", "--quiet"]
            return Case("cli-args", argv, INVALID, f"--resume with {extra[0]}", prep=prep, watch=["R"], needs=(name,))
        if kind == "list":
            value = self.pick(
                [
                    "setups",
                    "setup",
                    "loss",
                    "losses",
                    "data-source",
                    "network-extras",
                    "nope",
                    "",
                    "Setups",
                    "metric",
                    "optimizers",
                    "network",
                    None,
                ]
            )
            argv = ["list"] + ([value] if value is not None else [])
            known = {
                "setups",
                "setup",
                "loss",
                "losses",
                "data-source",
                "network-extras",
                "metric",
                "optimizers",
                "network",
                None,
            }
            return Case("cli-args", argv, VALID if value in known else INVALID, f"list {value!r}")
        if kind == "show":
            kind_word, name = self.pick(
                [
                    ("setup", "gaussian"),
                    ("loss", "hinge"),
                    ("loss", "extras:hinge"),
                    ("generator", "mlp"),
                    ("setups", "even"),
                    ("network-extra", "ema"),
                    ("optimizer", "sgd"),
                    ("metric", "two-sample"),
                    ("loss", "nope"),
                    ("nope", "mlp"),
                    ("setup", ""),
                    ("loss", "nope:hinge"),
                    ("data-source", "file"),
                    ("strategy", "unrolled"),
                    ("network", "mlp"),
                    ("loss", ":hinge"),
                    ("generator", "discriminator"),
                ]
            )
            ok = {
                ("setup", "gaussian"),
                ("loss", "hinge"),
                ("loss", "extras:hinge"),
                ("generator", "mlp"),
                ("setups", "even"),
                ("network-extra", "ema"),
                ("optimizer", "sgd"),
                ("metric", "two-sample"),
                ("data-source", "file"),
                ("strategy", "unrolled"),
                ("network", "mlp"),
            }
            verdict = VALID if (kind_word, name) in ok else INVALID
            return Case("cli-args", ["show", kind_word, name], verdict, f"show {kind_word} {name!r}")
        if kind == "plugins":
            return Case("cli-args", ["plugins"], VALID, "plugins")
        if kind == "version":
            return Case("cli-args", ["--version"], VALID, "--version")
        if kind == "help":
            command = self.pick(
                [[], ["train"], ["sample"], ["evaluate"], ["report"], ["list"], ["show"], ["new-plugin"], ["plugins"]]
            )
            return Case("cli-args", [*command, "--help"], VALID, "--help")
        if kind == "new-plugin":
            name = self.pick(
                [
                    "demo-gan",
                    "demo",
                    "Demo",
                    "1abc",
                    "a b",
                    "",
                    "-x",
                    "a" * 300,
                    "x/y",
                    "ünï",
                    "demo_gan",
                    "demo-",
                    "ganframe",
                    "a--b",
                    "..",
                    "a.b",
                ]
            )
            # The documented rule: lower-case letters, digits and '-'.
            allowed = bool(re.fullmatch(r"[a-z0-9-]+", name)) and not name.startswith("-") and len(name) < 200
            verdict = VALID if name in ("demo-gan", "demo") else (UNKNOWN if allowed else INVALID)
            argv = ["new-plugin", name] + (["--dir", "plugins-here"] if self.rng.random() < 0.5 else [])
            prep = [("mkdir", "plugins-here")]
            return Case("cli-args", argv, verdict, f"new-plugin {name[:20]!r}", prep=prep)
        if kind == "disable-plugin":
            name, command, verdict = self.pick(
                [
                    ("gaussian", ["train", "gaussian", "--steps", s, "--out", "run", "--quiet"], INVALID),
                    ("nope", ["list", "setups"], VALID),
                    ("", ["list", "setups"], UNKNOWN),
                    ("ganframe.builtin.losses", ["list", "losses"], VALID),
                    (
                        "ganframe.builtin.losses",
                        ["train", "gaussian", "--steps", s, "--out", "run", "--quiet"],
                        INVALID,
                    ),
                    ("ganframe.plots.writer", ["train", "gaussian", "--steps", s, "--out", "run", "--quiet"], VALID),
                    ("ganframe.html_report", ["train", "even", "--steps", s, "--out", "run", "--quiet"], VALID),
                    ("extras", ["show", "loss", "hinge"], INVALID),
                ]
            )
            return Case("cli-args", ["--disable-plugin", name, *command], verdict, f"--disable-plugin {name!r}")
        if kind == "env-disable":
            value, command, verdict = self.pick(
                [
                    ("gaussian", ["list", "setups"], VALID),
                    (",,", ["list"], UNKNOWN),
                    ("x,,y", ["plugins"], VALID),
                    ("gaussian", ["train", "gaussian", "--steps", s, "--out", "run", "--quiet"], INVALID),
                    ("ganframe.runs", ["train", "gaussian", "--steps", s, "--out", "run", "--quiet"], UNKNOWN),
                ]
            )
            return Case(
                "cli-args",
                command,
                verdict,
                f"GANFRAME_DISABLE_PLUGINS={value!r}",
                env={"GANFRAME_DISABLE_PLUGINS": value},
            )
        if kind == "verbose":
            argv = self.pick(
                [
                    ["-v", "train", setup, "--steps", s, "--out", "run", "--quiet"],
                    ["train", setup, "-v", "--steps", s, "--out", "run"],
                    ["-v", "list", "losses"],
                ]
            )
            return Case("cli-args", argv, VALID, "-v")
        if kind in ("sample-n-bad", "sample-seed-bad", "sample-label", "sample-device", "sample-format"):
            name, prep = run()
            if kind == "sample-n-bad":
                value = self.pick(["0", "-1", "abc", "1.5", "", "1e3", str(2**64), "10", "1"])
                verdict = VALID if value in ("10", "1") else INVALID
                argv, sig = ["sample", "R", "-n", value, "-o", "out.npy"], f"sample -n {value!r}"
            elif kind == "sample-seed-bad":
                value = self.pick(["-1", "abc", str(2**64), str(2**63), "0", "7", str(I64_MAX)])
                verdict = VALID if value in ("0", "7") else (UNKNOWN if value == str(I64_MAX) else INVALID)
                argv, sig = ["sample", "R", "-n", "5", "-o", "out.npy", "--seed", value], f"sample --seed {value!r}"
            elif kind == "sample-format":
                name = self.pick(["gaussian", "even", "gaussian2d"])
                prep = [("copy", name, "R")]
                value = self.pick([".npy", ".pt", ".png"])
                verdict = INVALID if value == ".png" else VALID  # no image data in these setups
                argv, sig = (
                    ["sample", "R", "-n", self.pick(["1", "9", "1000"]), "-o", f"out{value}"],
                    f"sample {name} -o {value}",
                )
            elif kind == "sample-label":
                value = self.pick(["0", "3", "-1", "99", "abc"])
                argv, verdict, sig = (
                    ["sample", "R", "-n", "5", "-o", "out.npy", "--label", value],
                    INVALID,
                    "sample --label on an unconditional run",
                )
            else:
                value = self.pick(["cpu", "auto", "gpu", "", "cuda:7"])
                verdict = VALID if value in ("cpu", "auto") else INVALID
                argv, sig = ["sample", "R", "-n", "5", "-o", "out.npy", "--device", value], f"sample --device {value!r}"
            return Case("cli-args", argv, verdict, sig, prep=prep, watch=["R"], needs=(name,))
        if kind == "evaluate-samples-bad":
            name, prep = run()
            value = self.pick(["0", "-1", "abc", "1.5", str(2**64), "2000"])
            verdict = UNKNOWN if value == "2000" else INVALID
            return Case(
                "cli-args",
                ["evaluate", "R", "--samples", value],
                verdict,
                f"evaluate --samples {value!r}",
                prep=prep,
                watch=["R"],
                needs=(name,),
            )
        if kind == "evaluate-metric":
            template = self.pick(["gaussian", "gaussian", "even", "gaussian2d"])
            metric = self.pick(["nope", "", "MOMENTS", "two-sample", *self.schema.names["metrics"]])
            # What each setup's data allows, from the metrics' descriptions ("(1-D)", "(even-numbers)"...).
            own = {
                "gaussian": {"moments", "wasserstein", "ks", "two-sample"},
                "even": {"even-fraction", "even-coverage", "even-kl", "two-sample"},
                "gaussian2d": {"gaussian-error", "mean-cov", "two-sample"},
            }[template]
            wrong = {"nope", "", "MOMENTS", "mnist-fd", "mnist-digits"}
            wrong |= {"gaussian-error"} - own  # needs the gaussian-2d data source's A and b
            wrong |= {"even-fraction", "even-coverage", "even-kl"} - own if template != "even" else set()
            wrong |= {"moments", "wasserstein", "ks", "mixture-modes"} if template == "gaussian2d" else set()
            wrong |= {"mixture-modes"} if template == "gaussian" else set()
            verdict = VALID if metric in own else (INVALID if metric in wrong else UNKNOWN)
            argv = ["evaluate", "R", "--metric", metric] + (["--json"] if self.rng.random() < 0.5 else [])
            if self.rng.random() < 0.3:
                argv += ["--metric", self.pick(sorted(own))]
            return Case(
                "cli-args",
                argv,
                verdict,
                f"evaluate {template} --metric {metric!r}",
                prep=[("copy", template, "R")],
                watch=["R"],
                needs=(template,),
            )
        if kind == "report-bad":
            target = self.pick(["nope", "", "R/checkpoints", "R/config.toml", "/dev/zero", "R"])
            name, prep = run()
            verdict = VALID if target == "R" else INVALID
            return Case(
                "cli-args", ["report", target], verdict, f"report {target!r}", prep=prep, watch=["R"], needs=(name,)
            )
        if kind == "unknown-option":
            argv = self.pick(
                [
                    ["train", setup, "--stepz", "2"],
                    ["sample", "R", "-n", "1", "-o", "x.npy", "--nope"],
                    ["list", "--all"],
                    ["train", setup, "--steps", s, "extra-arg"],
                    ["plugins", "x"],
                ]
            )
            return Case("cli-args", argv, INVALID, "unknown option or argument")
        if kind == "abbrev":
            return Case(
                "cli-args", ["train", setup, "--ste", s, "--out", "run", "--qui"], UNKNOWN, "abbreviated options"
            )
        if kind == "missing-value":
            argv = self.pick(
                [
                    ["train", setup, "--steps"],
                    ["train", setup, "--set"],
                    ["sample", "R", "-n"],
                    ["sample", "R", "-o", "x.npy"],
                    ["sample"],
                    ["evaluate"],
                    ["report"],
                    ["show", "loss"],
                    ["new-plugin"],
                    ["train", setup, "--out"],
                ]
            )
            return Case("cli-args", argv, INVALID, "missing value")
        if kind == "duplicated-option":
            return Case(
                "cli-args",
                ["train", setup, "--steps", "500000", "--steps", s, "--out", "run", "--quiet"],
                UNKNOWN,
                "--steps twice (the last one wins)",
            )
        raise AssertionError(kind)  # pragma: no cover

    def run_dir_damage(self) -> Case:
        template = self.pick(["gaussian", "gaussian", "gaussian", "even", "gaussian2d"])
        prep: list[tuple] = [("copy", template, "R")]
        damages = [
            "none",
            "truncate",
            "flip",
            "ckpt-drop",
            "ckpt-set",
            "ckpt-replace",
            "ckpt-text",
            "ckpt-missing",
            "ckpt-dir",
            "checkpoints-missing",
            "config-missing",
            "config-garbage",
            "config-optimizer",
            "config-hidden",
            "config-unknown-key",
            "config-steps-down",
            "config-steps-up",
            "config-setup-nope",
            "config-lr",
            "metrics-garbage",
            "metrics-missing",
            "report-json-garbage",
            "plots-file",
            "run-is-file",
            "run-missing",
            "run-empty",
            "config-empty",
            "config-dir",
            "lock-garbage",
            "tmp-leftover",
        ]
        damage = self.pick(damages)
        ops = ["sample", "evaluate", "report", "resume"]
        op = self.pick(ops)
        # How each damage leaves the ops that load the experiment (sample, evaluate, resume) and report.
        load_verdict, report_verdict = INVALID, UNKNOWN
        if damage == "none":
            load_verdict, report_verdict = VALID, VALID
        elif damage == "truncate":
            prep.append(("truncate", "R/checkpoints/last.pt", self.rng.random()))
        elif damage == "flip":
            prep.append(("flip", "R/checkpoints/last.pt", self.rng.random()))
            # The README: checkpoints carry a SHA-256 checksum; a flipped bit is reported, never loaded.
        elif damage == "ckpt-drop":
            path = self.pick(
                [
                    ["networks"],
                    ["optimizers"],
                    ["schedules"],
                    ["rng"],
                    ["step"],
                    ["seconds"],
                    ["real_draws"],
                    ["format"],
                    ["networks", "generator"],
                    ["optimizers", "discriminator"],
                    ["schedules", "generator"],
                    ["epoch_log"],
                    ["device_type"],
                    ["networks", "generator", "net.0.weight"],
                    ["optimizers", "generator", "state"],
                    ["optimizers", "generator", "param_groups"],
                ]
            )
            prep.append(("ckpt", "R", "drop", path, None))
            if path in (["epoch_log"], ["device_type"]):
                load_verdict = UNKNOWN  # optional: older checkpoints lack them
            elif path[0] in TRAINING_STATE and op in ("sample", "evaluate"):
                load_verdict = UNKNOWN  # sampling needs the networks only
            damage = f"ckpt-drop {'.'.join(path)}"
        elif damage == "ckpt-set":
            path, value = self.pick(
                [
                    (["step"], "abc"),
                    (["step"], -5),
                    (["step"], 2**70),
                    (["step"], None),
                    (["step"], 1.5),
                    (["step"], 10**9),
                    (["seconds"], "x"),
                    (["real_draws"], None),
                    (["real_draws"], -1),
                    (["format"], 3),
                    (["format"], "2"),
                    (["networks"], {}),
                    (["networks"], []),
                    (["networks", "generator"], "x"),
                    (["networks", "generator"], {}),
                    (["rng"], []),
                    (["rng"], "x"),
                    (["rng"], [{}]),
                    (["optimizers"], None),
                    (["optimizers", "generator"], {}),
                    (["schedules", "generator"], {}),
                    (["schedules"], 3),
                    (["networks", "generator", "net.0.weight"], {"__tensor__": [3, 3]}),
                    (["networks", "generator", "net.0.weight"], "x"),
                    (["device_type"], "cuda"),
                    (["device_type"], 7),
                    (["epoch_log"], "x"),
                    (["rng", 0, "noise"], {"__tensor__": [3]}),
                    (["optimizers", "generator", "param_groups"], []),
                    (["networks", "extra_role"], {}),
                ]
            )
            prep.append(("ckpt", "R", "set", path, value))
            if path == ["device_type"]:
                load_verdict = UNKNOWN  # documented: another device type's random state is not used
            elif path[0] in TRAINING_STATE and op in ("sample", "evaluate"):
                load_verdict = UNKNOWN  # sampling needs the networks only
            if path == ["step"] and value == 10**9:
                load_verdict = UNKNOWN  # a big but possible step (resume then says it already finished)
            damage = f"ckpt-set {'.'.join(map(str, path))}={value!r}"[:80]
        elif damage == "ckpt-replace":
            value = self.pick([{"format": 2}, {}, [1, 2], "text", None, 42, {"format": 1}, {"format": 2, "step": 2}])
            prep.append(("ckpt", "R", "replace", [], value))
            damage = f"ckpt-replace {value!r}"
        elif damage == "ckpt-text":
            garbage = self.pick([b"", b"hello", b"PK\x03\x04garbage", b"\x80\x02}q."])
            prep.append(("write", "R/checkpoints/last.pt", garbage))
        elif damage == "ckpt-missing":
            prep.append(("remove", "R/checkpoints/last.pt"))
            if op == "resume":
                load_verdict = UNKNOWN  # the README: a run killed before its first checkpoint resumes from 0
        elif damage == "ckpt-dir":
            prep += [("remove", "R/checkpoints/last.pt"), ("mkdir", "R/checkpoints/last.pt")]
        elif damage == "checkpoints-missing":
            prep.append(("remove", "R/checkpoints"))
            if op == "resume":
                load_verdict = UNKNOWN  # as above
        elif damage == "config-missing":
            prep.append(("remove", "R/config.toml"))
        elif damage == "config-garbage":
            prep.append(
                ("write", "R/config.toml", self.pick([b"\xff\xfe\x00garbage", b"[[[", b"seed = 'x'\n", b"nope = 1\n"]))
            )
        elif damage == "config-empty":
            prep.append(("write", "R/config.toml", b""))
        elif damage == "config-dir":
            prep += [("remove", "R/config.toml"), ("mkdir", "R/config.toml")]
        elif damage == "config-optimizer":
            role = self.pick(["generator", "discriminator"])
            name = self.pick(["sgd", "rmsprop"])
            prep += [("toml-set", "R/config.toml", f"{role}.optimizer", {"name": name, "lr": 0.001})]
            # The README: a checkpoint made with another optimizer than the config names is never loaded.
            damage = f"config.toml {role}.optimizer -> {name}"
        elif damage == "config-hidden":
            prep.append(("toml-set", "R/config.toml", "generator.hidden", [7, 3]))
        elif damage == "config-unknown-key":
            prep.append(("toml-set", "R/config.toml", self.pick(["train.stepz", "nope", "generator.nope"]), 1))
        elif damage == "config-steps-down":  # resumed without --steps below: "already finished"
            prep.append(("toml-set", "R/config.toml", "train.steps", 1))
            load_verdict = UNKNOWN if op in ("sample", "evaluate") else INVALID
        elif damage == "config-steps-up":
            prep.append(("toml-set", "R/config.toml", "train.steps", 4))
            load_verdict = UNKNOWN  # an unfinished run: resume continues it
        elif damage == "config-setup-nope":
            prep.append(("toml-set", "R/config.toml", "setup", "nope"))
            load_verdict = UNKNOWN
        elif damage == "config-lr":
            prep.append(("toml-set", "R/config.toml", "generator.optimizer.lr", self.pick([0.01, math.nan, -1.0, 0.0])))
            value = prep[-1][3]
            load_verdict = UNKNOWN if (value == 0.01) else INVALID
            damage = f"config.toml generator.optimizer.lr={value}"
        elif damage == "metrics-garbage":
            prep.append(
                (
                    "write",
                    "R/metrics.jsonl",
                    self.pick(
                        [
                            b"{not json\n",
                            b"\xff\xfe\n",
                            b"[1, 2]\n",
                            b'{"step": "x"}\n',
                            b'{"step": 2, "metrics": 5}\n',
                            b"null\n",
                            b"{" * 100_000 + b"\n",
                        ]
                    ),
                )
            )
            load_verdict = UNKNOWN
        elif damage == "metrics-missing":
            prep.append(("remove", "R/metrics.jsonl"))
            load_verdict = UNKNOWN
        elif damage == "report-json-garbage":
            prep.append(("write", "R/report.json", self.pick([b"{", b"[]", b'{"metrics": "x"}', b"\xff"])))
            load_verdict = UNKNOWN
        elif damage == "plots-file":
            prep += [("remove", "R/plots"), ("write", "R/plots", b"not a folder")]
            load_verdict = UNKNOWN
        elif damage == "lock-garbage":  # a lock file nobody holds (the README: taken over)
            prep.append(
                (
                    "write",
                    "R/.lock",
                    self.pick(
                        [b"", b"\xff\xfe garbage", b"1 nowhere\n", b"999999999 x\n", b'{"pid": 1, "host": "elsewhere"}']
                    ),
                )
            )
            load_verdict, report_verdict = VALID, VALID
        elif damage == "tmp-leftover":  # a killed write's temporary file
            prep.append(("write", "R/checkpoints/.last.pt.tmp", b"partial"))
            load_verdict, report_verdict = VALID, VALID
        elif damage == "run-is-file":
            prep = [("write", "R", b"a file")]
            load_verdict = report_verdict = INVALID
        elif damage == "run-missing":
            prep = []
            load_verdict = report_verdict = INVALID
        elif damage == "run-empty":
            prep = [("mkdir", "R")]
            load_verdict = report_verdict = INVALID
        if damage in ("config-missing", "config-garbage", "config-empty", "config-dir"):
            report_verdict = UNKNOWN
        needs = (template,) if prep and prep[0][0] == "copy" else ()
        if op == "sample":
            suffix = self.pick([".npy", ".pt"])
            argv, verdict = ["sample", "R", "-n", self.pick(["1", "7", "100"]), "-o", f"out{suffix}"], load_verdict
        elif op == "evaluate":
            argv, verdict = ["evaluate", "R"] + (["--json"] if self.rng.random() < 0.5 else []), load_verdict
        elif op == "report":
            argv = ["report", "R"] + (["-o", "page.html"] if self.rng.random() < 0.3 else [])
            verdict = report_verdict
        else:
            argv, verdict = ["train", "--resume", "R", "--steps", "3", "--quiet"], load_verdict
            if damage == "config-steps-down" or (damage == "config-steps-up" and self.rng.random() < 0.5):
                argv = ["train", "--resume", "R", "--quiet"]
        return Case(
            "run-dir-damage",
            argv,
            verdict,
            f"{op} after {damage}",
            prep=prep,
            watch=["R"],
            resume="R" if op == "resume" else None,
            needs=needs,
        )

    def output_paths(self) -> Case:
        long_name = "n" * 300
        s = self.steps()
        kinds = [
            "out-long",
            "out-file",
            "out-under-file",
            "out-deep",
            "out-empty-dir",
            "out-nonempty",
            "out-empty",
            "out-surrogate",
            "out-long-path",
            "o-long",
            "o-dir",
            "o-missing-parent",
            "o-under-file",
            "o-suffix",
            "o-empty",
            "o-existing",
            "o-checkpoints",
            "o-png",
            "o-run-config",
            "report-o-config",
            "report-o-checkpoint",
            "report-o-metrics",
            "report-o-report-json",
            "report-o-long",
            "report-o-dir",
            "report-o-missing",
            "report-o-valid",
            "report-o-figure",
            "report-o-own",
            "config-long",
            "config-dir",
            "config-missing",
            "config-loop",
            "config-empty-name",
            "new-plugin-dir-file",
            "new-plugin-dir-long",
            "o-trailing-slash",
            "o-upper-suffix",
            "report-o-checkpoints-dir",
        ]
        kind = self.pick(kinds)
        train = ["train", "gaussian", "--steps", s, "--quiet"]
        sample = ["sample", "R", "-n", "5"]
        run_prep = [("copy", "gaussian", "R")]
        if kind.startswith("out-"):
            prep: list[tuple] = []
            watch: list[str] = []
            needs: tuple[str, ...] = ()
            verdict = INVALID
            if kind == "out-long":
                out = long_name
            elif kind == "out-file":
                out, prep = "afile", [("write", "afile", b"x")]
            elif kind == "out-under-file":
                out, prep = "afile/run", [("write", "afile", b"x")]
            elif kind == "out-deep":
                out, verdict = "a/b/c/run", UNKNOWN
            elif kind == "out-empty-dir":
                out, prep, verdict = "empty", [("mkdir", "empty")], VALID
            elif kind == "out-nonempty":
                out, prep, watch, needs = "R", run_prep, ["R"], ("gaussian",)
            elif kind == "out-empty":
                out, verdict = "", UNKNOWN
            elif kind == "out-surrogate":
                out, verdict = "run-\udcff", UNKNOWN
            else:  # out-long-path: 300 characters over short components
                out, verdict = "/".join(["abcdefghi"] * 30), UNKNOWN
            return Case(
                "output-paths",
                [*train, "--out", out],
                verdict,
                f"train --out ({kind})",
                prep=prep,
                watch=watch,
                needs=needs,
            )
        if kind.startswith("o-"):
            prep, verdict = list(run_prep), INVALID
            out = {
                "o-long": long_name + ".npy",
                "o-dir": "adir.npy",
                "o-missing-parent": "missing/x.npy",
                "o-under-file": "afile/x.npy",
                "o-suffix": self.pick(["x.txt", "x", "x.npz", "x.npy.tmp"]),
                "o-empty": "",
                "o-existing": "exists.npy",
                "o-checkpoints": "R/checkpoints/x.npy",
                "o-png": "x.png",
                "o-run-config": "R/config.toml",
                "o-trailing-slash": "x.npy/",
                "o-upper-suffix": "x.NPY",
            }[kind]
            if kind == "o-dir":
                prep.append(("mkdir", "adir.npy"))
            if kind == "o-under-file":
                prep.append(("write", "afile", b"x"))
            if kind == "o-existing":
                prep.append(("write", "exists.npy", b"old"))
                verdict = VALID
            if kind in ("o-trailing-slash", "o-upper-suffix"):
                verdict = UNKNOWN
            return Case(
                "output-paths",
                [*sample, "-o", out],
                verdict,
                f"sample -o ({kind})",
                prep=prep,
                watch=["R"],
                needs=("gaussian",),
            )
        if kind.startswith("report-o"):
            prep, verdict = list(run_prep), INVALID
            out = {
                "report-o-config": "R/config.toml",
                "report-o-checkpoint": "R/checkpoints/last.pt",
                "report-o-metrics": "R/metrics.jsonl",
                "report-o-report-json": "R/report.json",
                "report-o-long": long_name + ".html",
                "report-o-dir": "R/plots",
                "report-o-missing": "missing/page.html",
                "report-o-valid": "page.html",
                "report-o-checkpoints-dir": "R/checkpoints/page.html",
                "report-o-figure": "R/plots/losses.png",
                "report-o-own": "R/report.html",
            }[kind]
            if kind == "report-o-own":
                verdict = VALID  # the README: the report's own file is fine
            if kind == "report-o-valid":
                verdict = VALID
            return Case(
                "output-paths",
                ["report", "R", "-o", out],
                verdict,
                f"report -o ({kind})",
                prep=prep,
                watch=["R"],
                needs=("gaussian",),
            )
        if kind.startswith("config-"):
            prep = []
            value = {
                "config-long": long_name + ".toml",
                "config-dir": "adir",
                "config-missing": "missing.toml",
                "config-loop": "loop.toml",
                "config-empty-name": "",
            }[kind]
            if kind == "config-dir":
                prep.append(("mkdir", "adir"))
            if kind == "config-loop":
                prep.append(("symlink", "loop.toml", "loop.toml"))
            return Case(
                "output-paths",
                ["train", "gaussian", "--config", value, "--steps", s, "--out", "run", "--quiet"],
                INVALID,
                f"train --config ({kind})",
                prep=prep,
            )
        # new-plugin --dir
        if kind == "new-plugin-dir-file":
            return Case(
                "output-paths",
                ["new-plugin", "demo", "--dir", "afile"],
                INVALID,
                "new-plugin --dir a file",
                prep=[("write", "afile", b"x")],
            )
        return Case("output-paths", ["new-plugin", "demo", "--dir", long_name], INVALID, "new-plugin --dir 300 chars")

    def seeds(self) -> Case:
        value, verdict = self.pick(
            [
                ("0-1", VALID),
                ("0,2", VALID),
                ("3", VALID),
                ("1-0", INVALID),
                ("", INVALID),
                ("a", INVALID),
                ("-1", INVALID),
                ("0,0", INVALID),
                ("0-2,1", INVALID),
                ("1e3", INVALID),
                ("0x10", INVALID),
                ("0-", INVALID),
                ("-", INVALID),
                (",", INVALID),
                ("0,,1", INVALID),
                (" 1", UNKNOWN),
                ("00", UNKNOWN),
                ("99999999999999999999", INVALID),
                ("0-99999999999999999999", INVALID),
                ("٣", UNKNOWN),
                ("0–1", INVALID),
                (str(I64_MAX), UNKNOWN),
            ]
        )
        argv = ["train", "gaussian", "--seeds", value, "--steps", "1", "--out", "multi", "--quiet"]
        extra = self.rng.random()
        prep: list[tuple] = []
        watch: list[str] = []
        needs: tuple[str, ...] = ()
        sig = f"--seeds {value!r}"
        if extra < 0.1:
            argv += ["--seed", "1"]
            verdict, sig = INVALID, sig + " with --seed"
        elif extra < 0.18:
            argv += ["--set", "seed=1"]
            verdict, sig = INVALID, sig + " with --set seed="
        elif extra < 0.25:
            argv = ["train", "--resume", "R", "--seeds", value, "--quiet"]
            prep, watch, needs = [("copy", "gaussian", "R")], ["R"], ("gaussian",)
            verdict, sig = INVALID, sig + " with --resume"
        elif extra < 0.32:
            argv[argv.index("multi")] = "S"
            prep, watch, needs = [("copy", "seeds", "S")], ["S"], ("seeds",)
            verdict, sig = INVALID, sig + " into an existing --seeds run"
        return Case("seeds", argv, verdict, sig, prep=prep, watch=watch, needs=needs)

    # -- fixed cases: every specific input the brief names, once each ----------------------------
    def fixed(self) -> list[Case]:
        cases = [
            Case(
                "config-file",
                ["train", "gaussian", "--config", "/dev/zero", "--steps", "1", "--out", "run"],
                INVALID,
                "--config /dev/zero",
            ),
            Case(
                "config-file",
                ["train", "gaussian", "--config", "/dev/null", "--steps", "1", "--out", "run", "--quiet"],
                UNKNOWN,
                "--config /dev/null (empty, not a regular file)",
            ),
            Case(
                "config-file",
                ["train", "--config", "/dev/null", "--steps", "1"],
                INVALID,
                "--config /dev/null without a setup",
            ),
            Case(
                "set-values",
                [
                    "train",
                    "gaussian",
                    "--steps",
                    "2",
                    "--out",
                    "run",
                    "--quiet",
                    "--set",
                    f"logging.snapshots={I64_MAX}",
                ],
                UNKNOWN,
                "set logging.snapshots <- i64max",
            ),
            Case(
                "set-values",
                [
                    "train",
                    "gaussian",
                    "--steps",
                    "2",
                    "--out",
                    "run",
                    "--quiet",
                    "--set",
                    f"evaluation.samples={I64_MAX}",
                ],
                UNKNOWN,
                "set evaluation.samples <- i64max",
            ),
            Case(
                "set-values",
                [
                    "train",
                    "gaussian",
                    "--steps",
                    "2",
                    "--out",
                    "run",
                    "--quiet",
                    "--set",
                    "evaluation.samples=1000000000000",
                ],
                UNKNOWN,
                "set evaluation.samples <- 1e12",
            ),
            Case(
                "set-values",
                [
                    "train",
                    "gaussian",
                    "--steps",
                    "2",
                    "--out",
                    "run",
                    "--quiet",
                    "--set",
                    "discriminator.optimizer.name=sgd",
                ],
                VALID,
                "set discriminator.optimizer.name <- sgd",
            ),
            Case(
                "set-values",
                ["train", "gaussian", "--steps", "2", "--out", "run", "--quiet", "--set", "setup=nope"],
                INVALID,
                "set setup <- nope",
            ),
            Case(
                "set-values",
                ["train", "gaussian", "--steps", "2", "--out", "run", "--quiet", "--set", "preset=nope"],
                INVALID,
                "set preset <- nope",
            ),
            Case(
                "cli-args",
                ["train", "gaussian", "--preset", "", "--steps", "2", "--out", "run", "--quiet"],
                INVALID,
                "--preset ''",
            ),
            Case(
                "cli-args",
                ["train", "gaussian", "--steps", str(2**64), "--out", "run", "--quiet"],
                INVALID,
                "--steps 2**64",
            ),
            Case(
                "seeds",
                ["train", "gaussian", "--seeds", "0-100000000000", "--steps", "1", "--out", "multi", "--quiet"],
                UNKNOWN,
                "--seeds 0-100000000000",
            ),
            Case(
                "run-dir-damage",
                ["sample", "R", "-n", "1000000000000", "-o", "big.npy"],
                UNKNOWN,
                "sample -n 1000000000000",
                prep=[("copy", "gaussian", "R")],
                watch=["R"],
                needs=("gaussian",),
            ),
            Case(
                "run-dir-damage",
                ["sample", "R", "-n", "3", "-o", "s.npy", "--seed", "-1"],
                INVALID,
                "sample --seed -1",
                prep=[("copy", "gaussian", "R")],
                watch=["R"],
                needs=("gaussian",),
            ),
            Case(
                "run-dir-damage",
                ["evaluate", "R", "--samples", str(I64_MAX)],
                UNKNOWN,
                "evaluate --samples i64max",
                prep=[("copy", "gaussian", "R")],
                watch=["R"],
                needs=("gaussian",),
            ),
            Case(
                "output-paths",
                ["report", "R", "-o", "R/checkpoints/last.pt"],
                INVALID,
                "report -o RUN/checkpoints/last.pt",
                prep=[("copy", "gaussian", "R")],
                watch=["R"],
                needs=("gaussian",),
            ),
            Case(
                "output-paths",
                ["report", "R", "-o", "R/config.toml"],
                INVALID,
                "report -o RUN/config.toml",
                prep=[("copy", "gaussian", "R")],
                watch=["R"],
                needs=("gaussian",),
            ),
            Case(
                "output-paths",
                ["sample", "R", "-n", "3", "-o", "R/config.toml"],
                INVALID,
                "sample -o RUN/config.toml",
                prep=[("copy", "gaussian", "R")],
                watch=["R"],
                needs=("gaussian",),
            ),
            Case(
                "run-dir-damage",
                ["train", "--resume", "R", "--steps", "3", "--quiet"],
                INVALID,
                "resume after config.toml discriminator.optimizer -> sgd",
                prep=[
                    ("copy", "gaussian", "R"),
                    ("toml-set", "R/config.toml", "discriminator.optimizer", {"name": "sgd", "lr": 0.001}),
                ],
                watch=["R"],
                resume="R",
                needs=("gaussian",),
            ),
            Case(
                "run-dir-damage",
                ["train", "--resume", "R", "--steps", "3", "--quiet"],
                VALID,
                "resume a run",
                prep=[("copy", "gaussian", "R")],
                watch=["R"],
                resume="R",
                needs=("gaussian",),
            ),
            Case(
                "run-dir-damage",
                ["train", "--resume", "R", "--quiet"],
                INVALID,
                "resume a finished run",
                prep=[("copy", "gaussian", "R")],
                watch=["R"],
                resume="R",
                needs=("gaussian",),
            ),
            Case(
                "run-dir-damage",
                ["report", "S"],
                VALID,
                "report a --seeds run",
                prep=[("copy", "seeds", "S")],
                watch=["S"],
                needs=("seeds",),
            ),
            Case(
                "run-dir-damage",
                ["sample", "S", "-n", "3", "-o", "x.npy"],
                INVALID,
                "sample a --seeds run",
                prep=[("copy", "seeds", "S")],
                watch=["S"],
                needs=("seeds",),
            ),
            Case(
                "run-dir-damage",
                ["train", "--resume", "S", "--steps", "3", "--quiet"],
                INVALID,
                "resume a --seeds run",
                prep=[("copy", "seeds", "S")],
                watch=["S"],
                resume="S",
                needs=("seeds",),
            ),
            Case(
                "output-paths",
                ["report", "S", "-o", "S/seed-0/report.html"],
                INVALID,
                "report -o over a --seeds run's own run",
                prep=[("copy", "seeds", "S")],
                watch=["S"],
                needs=("seeds",),
            ),
            Case(
                "output-paths",
                ["sample", "S/seed-1", "-n", "3", "-o", "S/seed-0/checkpoints/last.pt"],
                INVALID,
                "sample -o over another seed's checkpoint",
                prep=[("copy", "seeds", "S")],
                watch=["S"],
                needs=("seeds",),
            ),
            Case(
                "output-paths",
                ["sample", "R", "-n", "3", "-o", "R/checkpoints/last.pt"],
                INVALID,
                "sample -o RUN/checkpoints/last.pt",
                prep=[("copy", "gaussian", "R")],
                watch=["R"],
                needs=("gaussian",),
            ),
            Case(
                "run-dir-damage",
                ["report", "S"],
                UNKNOWN,
                "report a --seeds run with a garbage summary.json",
                prep=[("copy", "seeds", "S"), ("write", "S/summary.json", b'{"runs": 5}')],
                watch=["S"],
                needs=("seeds",),
            ),
            Case(
                "config-file",
                ["train", "--config", "cfg.toml", "--quiet"],
                INVALID,
                "file: deep nesting 100000",
                prep=[("write", "cfg.toml", b'setup = "gaussian"\nx = ' + b"[" * 100_000 + b"]" * 100_000 + b"\n")],
            ),
        ]
        for setup, preset in self.cheap:  # each cheap preset trains once, valid
            argv = ["train", setup, "--preset", preset, "--steps", "1", "--out", "run", "--quiet"]
            cases.append(Case("set-values", argv, VALID, f"train {setup} --preset {preset}"))
        return cases

    def cases(self, count: int) -> list[Case]:
        fixed = self.fixed()
        if count < len(fixed) * 2:  # small samples take a share of the fixed cases
            fixed = self.rng.sample(fixed, max(1, count // 4))
        makers = {
            "set-values": self.set_values,
            "config-file": self.config_file,
            "cli-args": self.cli_args,
            "run-dir-damage": self.run_dir_damage,
            "output-paths": self.output_paths,
            "seeds": self.seeds,
        }
        classes = list(WEIGHTS)
        weights = [WEIGHTS[c] for c in classes]
        made = [makers[self.rng.choices(classes, weights)[0]]() for _ in range(max(0, count - len(fixed)))]
        for case in fixed:
            made.insert(self.rng.randrange(len(made) + 1), case)
        for index, case in enumerate(made):
            case.index = index
        return made


def _set_path(doc: Mapping[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(doc))
    node = out
    *parents, leaf = dotted.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value
    return out


# == running a case ===============================================================================
class _Timeout(BaseException):
    """Raised by SIGALRM in the case's process; a BaseException so that ganframe's own
    ``except Exception`` does not turn it into an exit status."""


@dataclasses.dataclass
class Result:
    case: Case
    outcome: str
    rc: Any = None
    stderr: str = ""
    stdout: str = ""
    seconds: float = 0.0
    detail: str = ""  # exception, lost files, signal...
    where: str = ""  # for exit-1: the innermost frames of GANFRAME_TRACEBACK=1
    trace: str = ""  # the traceback of an exception that escaped main
    wall: float = 0.0  # seconds from fork to result, preparing the case included

    @property
    def first_line(self) -> str:
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if not line.startswith("ganframe: warning:")]
        return (errors or lines or [""])[0]


def prepare(case: Case, templates: Path) -> None:
    """Make the case's files in the current directory (its own)."""
    for op, *args in case.prep:
        if op == "copy":
            shutil.copytree(templates / args[0], args[1], symlinks=True)
        elif op == "copy-file":
            shutil.copyfile(templates / args[0], args[1])
        elif op == "write":
            path = Path(args[0])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(args[1])
        elif op == "mkdir":
            Path(args[0]).mkdir(parents=True, exist_ok=True)
        elif op == "remove":
            path = Path(args[0])
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
        elif op == "symlink":
            os.symlink(args[1], args[0])
        elif op == "truncate":
            path = Path(args[0])
            data = path.read_bytes()
            path.write_bytes(data[: int(len(data) * args[1])])
        elif op == "flip":
            path = Path(args[0])
            data = path.read_bytes()
            path.write_bytes(_flip_a_read_byte(data, min(len(data) - 1, int(len(data) * args[1]))))
        elif op == "ckpt":
            _edit_checkpoint(Path(args[0]) / "checkpoints" / "last.pt", *args[1:])
        elif op in ("toml-set", "toml-del"):
            import tomli_w
            import tomllib

            path = Path(args[0])
            doc = tomllib.loads(path.read_text())
            *parents, leaf = args[1].split(".")
            node = doc
            for part in parents:
                node = node.setdefault(part, {})
            if op == "toml-set":
                node[leaf] = args[2]
                path.write_text(toml_document(doc) if _has_nan(args[2]) else tomli_w.dumps(doc))
            else:
                node.pop(leaf, None)
                path.write_text(tomli_w.dumps(doc))
        else:  # pragma: no cover
            raise AssertionError(op)


def _flip_a_read_byte(data: bytes, where: int) -> bytes:
    """``data`` with the byte at ``where`` inverted, or the next one whose change reaches what
    ``torch.load`` reads. A checkpoint is a zip file, and some of its bytes are never read (the data
    descriptor after each record, the padding that aligns records): inverting one of those damages
    nothing, so the run is not invalid input."""
    import torch

    from ganframe.checkpoint import checksum

    def loaded(blob: bytes) -> str | None:
        try:
            # wrapped, so that the stored checksum is part of what is compared
            return checksum({"content": torch.load(io.BytesIO(blob), map_location="cpu", weights_only=True)})
        except Exception:
            return None

    original = loaded(data)
    for place in range(where, len(data)):
        flipped = bytearray(data)
        flipped[place] ^= 0xFF
        if original is None or loaded(bytes(flipped)) != original:
            return bytes(flipped)
    flipped = bytearray(data)
    flipped[where] ^= 0xFF
    return bytes(flipped)


def _edit_checkpoint(path: Path, how: str, keys: list, value: Any) -> None:
    import torch

    def build(v: Any) -> Any:
        if isinstance(v, dict) and "__tensor__" in v:
            return torch.zeros(v["__tensor__"])
        return v

    if how == "replace":
        torch.save(build(value), path)
        return
    content = torch.load(path, map_location="cpu", weights_only=True)
    node = content
    for key in keys[:-1]:
        node = node[key]
    if how == "drop":
        del node[keys[-1]]
    else:
        node[keys[-1]] = build(value)
    torch.save(content, path)


def _fingerprint(runs: Iterable[str]) -> dict[str, str]:
    prints = {}
    for run in runs:
        base = Path(run)
        dirs = [base] + (sorted(p for p in base.glob("seed-*") if p.is_dir()) if base.is_dir() else [])
        for directory in dirs:
            names = [*WATCHED, *(["report.html"] if directory != base else [])]
            paths = [directory / name for name in names]
            if (directory / "plots").is_dir():
                paths += sorted(p for p in (directory / "plots").iterdir() if p.is_file())
            for path in paths:
                if path.is_file():
                    prints[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def execute(case: Case, timeout: float) -> dict[str, Any]:
    """Run ``ganframe.cli.main(case.argv)`` here and now (cwd and files ready); the raw result."""
    import ganframe.cli

    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    stdout = io.TextIOWrapper(out_bytes, encoding="utf-8", errors="strict", write_through=True)
    stderr = io.TextIOWrapper(err_bytes, encoding="utf-8", errors="backslashreplace", write_through=True)
    status: dict[str, Any] = {"rc": None, "escaped": None, "timeout": False}

    def alarm(signum: int, frame: Any) -> None:
        raise _Timeout()

    previous = signal.signal(signal.SIGALRM, alarm)
    start = time.monotonic()
    try:
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            signal.setitimer(signal.ITIMER_REAL, timeout)
            try:
                status["rc"] = ganframe.cli.main(list(case.argv))
            except SystemExit as exc:
                code = exc.code
                if code is None:
                    status["rc"] = 0
                elif isinstance(code, int):
                    status["rc"] = code
                else:
                    sys.stderr.write(f"{code}\n")
                    status["rc"] = 1
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _Timeout:
        status["timeout"] = True
    except BaseException as exc:
        status["escaped"] = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    status["seconds"] = time.monotonic() - start
    for stream in (stdout, stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    status["stdout"] = out_bytes.getvalue().decode("utf-8", "replace")
    status["stderr"] = err_bytes.getvalue().decode("utf-8", "replace")
    return status


def classify(case: Case, status: Mapping[str, Any], changed: Sequence[str]) -> tuple[str, str]:
    """(outcome, detail) of one finished case."""
    stderr = status.get("stderr", "")
    rc = status.get("rc")
    if status.get("timeout"):
        return "hang", f"still running after {status.get('limit', '?')} s"
    if status.get("escaped"):
        last = status["escaped"].strip().splitlines()[-1]
        return "traceback", last
    resumed = case.resume is not None and case.argv[:1] == ["train"] and "--resume" in case.argv
    if changed and not resumed:
        return "lost", "changed: " + ", ".join(changed)
    if changed and case.validity == INVALID and rc != 0:  # a --resume that should have been refused
        return "lost", "a refused --resume changed: " + ", ".join(changed)
    if "Traceback (most recent call last)" in stderr:
        return "traceback", ""
    if rc == 1:
        return "exit-1", ""
    if rc == 0:
        return ("nonsense", "invalid input accepted") if case.validity == INVALID else ("ok", "")
    if rc in (EXIT_USAGE, EXIT_DIVERGED):
        lines = [line for line in stderr.splitlines() if line.strip()]
        errors = [line for line in lines if not line.startswith("ganframe: warning: ")]
        if len(errors) != 1:
            return "other", f"exit {rc} with {len(errors)} stderr lines besides warnings"
        if not errors[0].startswith("ganframe: error: "):
            return "other", f"exit {rc}, but stderr does not start with 'ganframe: error: '"
        if rc == EXIT_DIVERGED:
            if case.validity == INVALID:
                return "nonsense", "invalid input accepted; training then diverged (exit 3)"
            return "diverged", ""
        return ("rejected", "valid input refused") if case.validity == VALID else ("clear-error", "")
    return "other", f"exit status {rc!r}"


def _child(
    case: Case,
    case_dir: Path,
    templates: Path,
    timeout: float,
    memory: int | None,
    result_file: Path,
    env: Mapping[str, str],
) -> None:
    """The forked process of one case: never returns."""
    code = 0
    try:
        os.setpgid(0, 0)
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        fd_out = os.open(str(result_file) + ".fd", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd_out, 1)
        os.dup2(fd_out, 2)
        os.chdir(case_dir)
        os.environ.update(env)
        for name, value in case.env.items():
            os.environ[name] = value
        try:
            prepare(case, templates)
        except BaseException as exc:
            raise RuntimeError(f"preparing the case failed: {type(exc).__name__}: {exc}") from exc
        before = _fingerprint(case.watch)
        status = execute(case, timeout)
        status["limit"] = timeout
        after = _fingerprint(case.watch)
        status["changed"] = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    except BaseException as exc:
        status = {"fuzzer_error": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))}
        code = 3
    try:
        result_file.write_text(json.dumps(status, ensure_ascii=True))
    finally:
        os._exit(code)


class Runner:
    """Runs cases in forked children, ``jobs`` at a time, each in a fresh directory under ``root``."""

    def __init__(
        self,
        root: Path,
        *,
        timeout: float,
        jobs: int = 1,
        memory_gib: float = 6.0,
        fork: bool = True,
        keep: bool = False,
        progress: bool = False,
    ) -> None:
        self.root = root
        self.templates = root / "templates"
        self.cases_dir = root / "cases"
        self.templates.mkdir(parents=True, exist_ok=True)
        self.cases_dir.mkdir(parents=True, exist_ok=True)
        self.timeout = timeout
        self.jobs = max(1, jobs)
        self.fork = fork
        self.keep = keep
        self.progress = progress
        self.memory = int(_address_space() + memory_gib * 2**30) if memory_gib else None
        empty = root / "no-mnist-data"
        empty.mkdir(exist_ok=True)
        # No case may download or read the real MNIST: it fails fast and the same everywhere.
        self.env = {
            "GANFRAME_MNIST_DIR": str(empty),
            "GANFRAME_CACHE": str(root / "cache"),
            "MPLBACKEND": "Agg",
            "COLUMNS": "100",
        }
        self.ready: dict[str, Result] = {}

    def prepare_templates(self, names: Iterable[str]) -> dict[str, Result]:
        cases = [Case("prep", TEMPLATES[name], VALID, f"prepare the {name} run directory") for name in names]
        results = self.run(cases, cwd=self.templates)
        for case, result in zip(cases, results):
            name = case.argv[-1]
            if result.outcome == "ok" and not (self.templates / name).is_dir():
                result.outcome, result.detail = "other", "no run directory written"
            self.ready[name] = result
        return self.ready

    def run(self, cases: Sequence[Case], cwd: Path | None = None) -> list[Result]:
        results: dict[int, Result] = {}
        pending = list(enumerate(cases))
        running: dict[int, tuple[int, Case, Path, Path, float]] = {}
        started = time.monotonic()
        done = 0
        try:
            while pending or running:
                while pending and len(running) < self.jobs:
                    slot, case = pending.pop(0)
                    missing = [t for t in case.needs if self.ready.get(t) is None or self.ready[t].outcome != "ok"]
                    if missing:
                        results[slot] = Result(case, "skipped", detail=f"no {missing[0]} run directory")
                        done += 1
                        continue
                    case_dir = cwd or (self.cases_dir / f"{case.index:05d}")
                    case_dir.mkdir(parents=True, exist_ok=True)
                    result_file = self.root / f"result-{os.getpid()}-{slot}.json"
                    if not self.fork:
                        results[slot] = self._in_process(case, case_dir, result_file)
                        done += 1
                        self._clean(case_dir, cwd, results[slot])
                        continue
                    pid = os.fork()
                    if pid == 0:
                        _child(case, case_dir, self.templates, self.timeout, self.memory, result_file, self.env)
                    running[slot] = (pid, case, case_dir, result_file, time.monotonic())
                for slot, (pid, case, case_dir, result_file, begun) in list(running.items()):
                    waited, wait_status = os.waitpid(pid, os.WNOHANG)
                    elapsed = time.monotonic() - begun
                    if waited == 0:
                        if elapsed > self.timeout + 15:
                            with contextlib.suppress(ProcessLookupError):
                                os.killpg(pid, signal.SIGKILL)
                            os.waitpid(pid, 0)
                            results[slot] = Result(
                                case,
                                "hang",
                                seconds=elapsed,
                                detail=f"killed after {elapsed:.0f} s (stuck outside Python code)",
                            )
                        else:
                            continue
                    else:
                        results[slot] = self._collect(case, wait_status, result_file, elapsed)
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(pid, signal.SIGKILL)  # anything the case left running
                    del running[slot]
                    done += 1
                    self._clean(case_dir, cwd, results[slot])
                    with contextlib.suppress(FileNotFoundError):
                        result_file.unlink()
                    with contextlib.suppress(FileNotFoundError):
                        Path(str(result_file) + ".fd").unlink()
                    if self.progress and done % 50 == 0:
                        print(
                            f"fuzz: {done}/{len(cases)} cases, {time.monotonic() - started:.0f} s",
                            file=sys.stderr,
                            flush=True,
                        )
                if running:
                    time.sleep(0.005)
        finally:
            for pid, *_ in running.values():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
        return [results[slot] for slot in range(len(cases))]

    def _clean(self, case_dir: Path, cwd: Path | None, result: Result) -> None:
        if cwd is None and not self.keep:
            shutil.rmtree(case_dir, ignore_errors=True)

    def _collect(self, case: Case, wait_status: int, result_file: Path, elapsed: float) -> Result:
        try:
            status = json.loads(result_file.read_text())
        except (OSError, ValueError):
            status = None
        if status is None:
            if os.WIFSIGNALED(wait_status):
                return Result(
                    case, "other", seconds=elapsed, detail=f"the process died of signal {os.WTERMSIG(wait_status)}"
                )
            return Result(case, "other", seconds=elapsed, detail=f"no result (exit {os.WEXITSTATUS(wait_status)})")
        if "fuzzer_error" in status:
            raise RuntimeError(f"the fuzzer failed on case {case.index} ({case.shell()}):\n{status['fuzzer_error']}")
        outcome, detail = classify(case, status, status.get("changed", []))
        return Result(
            case,
            outcome,
            rc=status.get("rc"),
            stderr=status.get("stderr", ""),
            stdout=status.get("stdout", ""),
            seconds=status.get("seconds", elapsed),
            detail=detail,
            trace=status.get("escaped") or "",
            wall=elapsed,
        )

    def _in_process(self, case: Case, case_dir: Path, result_file: Path) -> Result:
        """``--no-fork``: the case in this process, with cwd and environment put back afterwards."""
        cwd, environ = os.getcwd(), dict(os.environ)
        try:
            os.chdir(case_dir)
            os.environ.update(self.env)
            os.environ.update(case.env)
            prepare(case, self.templates)
            before = _fingerprint(case.watch)
            status = execute(case, self.timeout)
            status["limit"] = self.timeout
            after = _fingerprint(case.watch)
            changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
        finally:
            os.chdir(cwd)
            os.environ.clear()
            os.environ.update(environ)
        outcome, detail = classify(case, status, changed)
        if status.get("escaped"):
            detail = status["escaped"]
        return Result(
            case,
            outcome,
            rc=status.get("rc"),
            stderr=status.get("stderr", ""),
            stdout=status.get("stdout", ""),
            seconds=status.get("seconds", 0.0),
            detail=detail,
        )


def _address_space() -> int:
    """This process's virtual memory size in bytes (the children start from it)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 * 2**30


PROBE = (
    ["train", "gaussian", "--steps", "1", "--device", "cpu", "--out", "p"],
    ["sample", "p", "-n", "3", "-o", "s.npy"],
    ["evaluate", "p", "--json"],
    ["report", "p"],
    ["train", "--resume", "p", "--steps", "2", "--quiet"],
    ["train", "even", "--steps", "1", "--quiet", "--out", "q"],
    ["show", "loss", "hinge"],
    ["plugins"],
)


def warm_up(root: Path | None = None) -> None:
    """Import what the commands import, and load the plugins, once: every forked case starts warm.

    Which modules a command imports lazily (torch._dynamo on the first optimiser, matplotlib on the
    first figure, scipy.stats on the first metric...) is found by a forked probe that runs a few
    commands and lists ``sys.modules``; this process then imports them. Importing runs no torch
    computation, so forking stays safe (see the module docstring)."""
    import importlib

    import ganframe.cli
    from ganframe.plugins import load_plugins

    load_plugins()
    if root is None:
        return
    listing = root / "probe-modules.json"
    probe_dir = root / "probe"
    probe_dir.mkdir(parents=True, exist_ok=True)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.chdir(probe_dir)
            devnull = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(devnull, fd)
            signal.alarm(120)
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                for argv in PROBE:
                    with contextlib.suppress(BaseException):
                        ganframe.cli.main(argv)
            listing.write_text(json.dumps(sorted(sys.modules)))
        except BaseException:
            code = 1
        os._exit(code)
    os.waitpid(pid, 0)
    shutil.rmtree(probe_dir, ignore_errors=True)
    try:
        names = json.loads(listing.read_text())
    except (OSError, ValueError):
        return
    for name in names:
        if name in sys.modules or name.startswith(("__main__", "_pytest", "pytest")):
            continue
        with contextlib.suppress(BaseException):
            importlib.import_module(name)


# == the whole run ================================================================================
@dataclasses.dataclass
class Report:
    results: list[Result]
    seconds: float
    templates: dict[str, Result]

    @property
    def failures(self) -> list[Result]:
        return [r for r in [*self.templates.values(), *self.results] if r.outcome in BAD]

    def counts(self) -> dict[str, Counter]:
        table: dict[str, Counter] = defaultdict(Counter)
        for result in self.results:
            table[result.case.klass][result.outcome] += 1
        return table


def fuzz(
    cases: int = 250,
    seed: int = 0,
    *,
    timeout: float = 20.0,
    jobs: int = 1,
    memory_gib: float = 6.0,
    fork: bool = True,
    keep: bool = False,
    only: Sequence[int] = (),
    progress: bool = False,
    where: bool = False,
    root: Path | None = None,
) -> Report:
    """Generate ``cases`` cases from ``seed`` and run them (``only``: just those indexes)."""
    started = time.monotonic()
    own_root = root is None
    root = Path(tempfile.mkdtemp(prefix="ganframe-fuzz-")) if root is None else root
    try:
        warm_up(root)
        schema = collect_schema()
        made = Generator(schema, seed).cases(cases)
        if only:
            made = [made[i] for i in only]
        if progress:
            print(
                f"fuzz: {len(made)} cases generated, ganframe warmed up in {time.monotonic() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        runner = Runner(
            root, timeout=timeout, jobs=jobs, memory_gib=memory_gib, fork=fork, keep=keep, progress=progress
        )
        needed = sorted({t for case in made for t in case.needs})
        templates = runner.prepare_templates(needed) if needed else {}
        if progress:
            print(
                f"fuzz: run directories {', '.join(needed)} ready at {time.monotonic() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        results = runner.run(made)
        if where:
            locate(runner, [r for r in results if r.outcome == "exit-1"])
        return Report(results, time.monotonic() - started, templates)
    finally:
        if own_root and not keep:
            shutil.rmtree(root, ignore_errors=True)
        elif keep:
            print(f"fuzz: case directories kept in {root}", file=sys.stderr)


def locate(runner: Runner, failures: Sequence[Result]) -> None:
    """For one ``exit-1`` case of each distinct message, the last frames of its traceback
    (rerun with GANFRAME_TRACEBACK=1)."""
    firsts: dict[str, Result] = {}
    for result in failures:
        firsts.setdefault(signature(result), result)
    reruns = []
    for result in firsts.values():
        case = dataclasses.replace(result.case, env={**result.case.env, "GANFRAME_TRACEBACK": "1"})
        reruns.append(case)
    for original, again in zip(firsts.values(), runner.run(reruns)):
        trace = again.trace if again.outcome == "traceback" else ""
        original.where = trace
        for result in failures:
            if signature(result) == signature(original):
                result.where = trace


def signature(result: Result) -> str:
    """What groups failures of the same kind: the error message with names, numbers and paths
    masked (exit-1, other, rejected), or what the case tried (nonsense, hang, lost)."""
    if result.outcome in ("nonsense", "hang", "lost"):
        return f"{result.outcome}: {_mask_sig(result.case.sig)}"
    text = result.first_line.removeprefix("ganframe: error: ")
    if (
        result.outcome == "other"
        and result.rc in (EXIT_USAGE, EXIT_DIVERGED)
        and "ganframe: error: " not in result.first_line
    ):
        prefix = re.sub(
            r"^ganframe \S+: error:", "ganframe COMMAND: error:", result.first_line.split(" error: ")[0] + " error:"
        )
        return f"other: exit {result.rc}, the line starts with {prefix!r}, not 'ganframe: error: '"
    if result.outcome == "traceback":
        text = result.detail or text
    text = text.replace("(set GANFRAME_TRACEBACK=1 to see where)", "")
    text = re.sub(r"'[^'\s]*'", "'…'", text)
    text = re.sub(r'"[^"\s]*"', '"…"', text)
    text = re.sub(r"/[\w./-]+", "PATH", text)
    text = re.sub(r"\b\d+(\.\d+)?(e[+-]?\d+)?\b", "N", text)
    return f"{result.outcome}: {text.strip()[:140]}"


def _mask_sig(sig: str) -> str:
    return re.sub(r"\b\d{6,}\b", "N", sig)


def format_report(report: Report, *, limit: int = 60) -> str:
    lines = []
    counts = report.counts()
    outcomes = [o for o in OUTCOMES if any(counts[c][o] for c in counts)] or ["ok"]
    width = max(len(c) for c in CLASSES) + 2
    lines.append("class".ljust(width) + "".join(o.rjust(12) for o in outcomes) + "total".rjust(8))
    total: Counter = Counter()
    for klass in CLASSES:
        row = counts.get(klass, Counter())
        total.update(row)
        lines.append(
            klass.ljust(width) + "".join(str(row[o]).rjust(12) for o in outcomes) + str(sum(row.values())).rjust(8)
        )
    lines.append(
        "all".ljust(width) + "".join(str(total[o]).rjust(12) for o in outcomes) + str(sum(total.values())).rjust(8)
    )
    lines.append(f"{len(report.results)} cases in {report.seconds:.0f} s")
    bad_templates = [r for r in report.templates.values() if r.outcome in BAD]
    for result in bad_templates:
        lines.append(
            f"PREPARING A RUN DIRECTORY FAILED ({result.outcome}): {result.case.shell()}: "
            f"{_short(result.first_line or result.detail, 200)}"
        )
    groups: dict[str, list[Result]] = defaultdict(list)
    for result in report.results:
        if result.outcome in BAD:
            groups[signature(result)].append(result)
    if groups:
        lines.append(f"\n{sum(len(g) for g in groups.values())} failing cases in {len(groups)} groups:")
        order = sorted(groups.items(), key=lambda kv: (OUTCOMES.index(kv[1][0].outcome), -len(kv[1]), kv[0]))
        for n, (sig, members) in enumerate(order):
            if n >= limit:
                lines.append(f"... and {len(order) - limit} more groups")
                break
            first = members[0]
            classes = ", ".join(sorted({m.case.klass for m in members}))
            lines.append(f"[{first.outcome}] x{len(members)} ({classes}) {_short(sig, 160)}")
            lines.append(f"    case {first.case.index}: {first.case.shell(80)}")
            lines.append(f"    tried: {_short(first.case.sig, 150)}  (input {first.case.validity})")
            if first.first_line:
                lines.append(f"    stderr: {_short(first.first_line, 200)}")
            if first.detail and first.outcome not in ("exit-1",):
                lines.append(f"    detail: {_short(first.detail.strip().splitlines()[-1], 200)}")
            if first.where:
                frames = [line.strip() for line in first.where.splitlines() if line.strip().startswith("File ")]
                if frames:
                    lines.append(f"    raised at: {_short(frames[-1], 200)}")
    return "\n".join(lines)


def compact_failures(report: Report, limit: int = 40) -> str:
    """One line per failing case (at most ``limit``): outcome, argv and stderr's first line."""
    lines = []
    for result in report.failures[:limit]:
        lines.append(f"[{result.outcome}] {result.case.shell(90)} -> {_short(result.first_line or result.detail, 150)}")
    if len(report.failures) > limit:
        lines.append(f"... {len(report.failures) - limit} more")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1200, help="how many cases to generate (default 1200)")
    parser.add_argument("--seed", type=int, default=0, help="the generator's seed (default 0)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a case counts as a hang (60)")
    parser.add_argument("--jobs", type=int, default=1, help="cases run at the same time (default 1)")
    parser.add_argument(
        "--memory-gib",
        type=float,
        default=6.0,
        help="address space a case may add to this process's (default 6 GiB; 0: no limit)",
    )
    parser.add_argument("--only", type=int, action="append", default=[], help="run only this case index (repeatable)")
    parser.add_argument("--show", action="store_true", help="print the cases (argv, validity, files) and stop")
    parser.add_argument("--no-fork", action="store_true", help="run cases in this process (to debug one case)")
    parser.add_argument("--keep", action="store_true", help="keep the case directories")
    parser.add_argument("--no-where", action="store_true", help="do not rerun exit-1 cases for their traceback")
    parser.add_argument("--json", type=Path, help="also write every result to this JSON file")
    parser.add_argument("--groups", type=int, default=200, help="failure groups to print (default 200)")
    args = parser.parse_args(argv)
    if args.show:
        warm_up()
        made = Generator(collect_schema(), args.seed).cases(args.cases)
        for case in (made[i] for i in args.only) if args.only else made:
            print(f"{case.index} [{case.klass}] ({case.validity}) {case.sig}\n    {case.shell(300)}")
            for op in case.prep:
                print("    prep:", _short(repr(op), 300))
            if case.env:
                print("    env:", case.env)
        return 0
    report = fuzz(
        args.cases,
        args.seed,
        timeout=args.timeout,
        jobs=args.jobs,
        memory_gib=args.memory_gib,
        fork=not args.no_fork,
        keep=args.keep,
        only=args.only,
        progress=True,
        where=not args.no_where,
    )
    print(format_report(report, limit=args.groups))
    if args.json:
        rows = [
            {
                "index": r.case.index,
                "class": r.case.klass,
                "argv": r.case.argv,
                "validity": r.case.validity,
                "tried": r.case.sig,
                "outcome": r.outcome,
                "rc": r.rc,
                "stderr": r.stderr[-4000:],
                "detail": r.detail[-4000:],
                "where": r.where[-4000:],
                "seconds": round(r.seconds, 3),
                "wall": round(r.wall, 3),
            }
            for r in [*report.templates.values(), *report.results]
        ]
        args.json.write_text(json.dumps(rows, indent=1, ensure_ascii=True))
    if args.only and args.no_fork:
        for result in report.results:
            print(
                f"\n--- case {result.case.index}: {result.outcome} (rc {result.rc})\nstdout:\n{result.stdout}"
                f"\nstderr:\n{result.stderr}\n{result.detail}"
            )
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
