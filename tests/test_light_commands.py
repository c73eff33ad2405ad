"""``ganframe list``, ``plugins``, ``show``, ``--help`` and ``--version`` import no PyTorch (nor NumPy,
SciPy, matplotlib...), with every bundled plugin installed: plugins register from light entry-point
modules and their factories import the implementation when a component is built.

Each command runs in a fresh interpreter that then reports which heavy modules it imported; its
output must be what the same command prints in this process (where the tests have imported
PyTorch long ago), and what the other CLI tests expect of it. Timing is left to benchmarks/startup.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ganframe.plugins import DISABLE_ENV
from ganframe.registry import KIND_HOOKS, SINGULAR
from ganframe.testing import fresh_plugins

HEAVY = ("torch", "numpy", "scipy", "matplotlib", "torchvision", "PIL", "tensorboard", "pandas")

#: Runs ``ganframe ARGS`` (sys.argv[1:]) in a fresh interpreter, then prints what it printed and
#: which heavy modules were imported, as JSON.
PROBE = f"""
import contextlib, io, json, sys
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    from ganframe.cli import main
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:  # --help and --version exit through argparse
        code = exc.code
heavy = sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))
print(json.dumps({{"code": code, "out": out.getvalue(), "err": err.getvalue(), "heavy": heavy}}))
"""


def run_python(code: str, *args: str) -> str:
    env = {key: value for key, value in os.environ.items() if key != DISABLE_ENV}
    completed = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def light(*argv: str) -> dict:
    """``ganframe ARGV`` in a fresh interpreter: its exit code, output and the heavy modules it imported."""
    return json.loads(run_python(PROBE, *argv))


def check_light(cli, *argv: str) -> str:
    """The command exits 0, prints what it prints in this process, and imports nothing heavy; its output."""
    result = light(*argv)
    assert result["heavy"] == [], f"ganframe {' '.join(argv)} imported {', '.join(result['heavy'])}"
    in_process = cli(*argv)
    assert result["code"] == in_process.code == 0, result["err"]
    assert (result["out"], result["err"]) == (in_process.out, in_process.err)
    return result["out"]


@pytest.fixture(scope="module")
def registry():
    return fresh_plugins().registry


# -- the commands ---------------------------------------------------------------------------------
def test_list(cli):
    lines = check_light(cli, "list").splitlines()
    assert [line for line in lines if not line.startswith("  ")] == [f"{kind}:" for kind in KIND_HOOKS]
    assert "  mlp  [ganframe.builtin.networks]  fully connected generator for any sample shape" in lines
    assert (
        "  toy  [toy]  learn N(4, 1.25) in 1-D (ganframe's test plugin)  presets: default "
        "(used by default), tutorial, tutorial-moments"
    ) in lines


@pytest.mark.parametrize("kind", list(KIND_HOOKS))
def test_list_one_kind(cli, registry, kind):
    lines = check_light(cli, "list", kind).splitlines()
    assert lines[0] == f"{kind}:"
    assert [line.split()[0] for line in lines[1:]] == [entry.name for entry in registry.entries(kind)]


def test_plugins(cli):
    output = check_light(cli, "plugins")
    assert "toy  [ganframe-toy 0]\n" in output and "    setup: toy\n" in output
    assert "    strategy: toy-judged\n" in output and "    hooks: fit_callbacks\n" in output
    assert "BROKEN" not in output


def test_show_a_setup(cli, registry):
    lines = check_light(cli, "show", "setup", "toy").splitlines()
    assert lines[0] == f"setup toy  [toy]  {registry.setup('toy').description}"
    assert "  default (used by default)" in lines
    assert lines[-1] == "train one with: ganframe train toy --preset PRESET"


def test_show_a_generator(cli):
    lines = check_light(cli, "show", "generator", "mlp").splitlines()
    assert lines[0] == "generator mlp  [ganframe.builtin.networks]  fully connected generator for any sample shape"
    assert "  hidden: list of int = [64, 64]  (each 1 to 1000000)" in lines
    assert "  init_std: float or None = None  (> 0, or None)" in lines


def test_show_a_component_without_options(cli):
    assert check_light(cli, "show", "metric", "moments") == (
        "metric moments  [ganframe.builtin.metrics]  mean, std, skew, excess kurtosis (1-D)\ntakes no options\n"
    )


@pytest.mark.parametrize("kind", list(KIND_HOOKS))
def test_show_one_of_each_kind(cli, registry, kind):
    entry = registry.entries(kind)[-1]  # the last by name: often a bundled plugin's, not a built-in one
    output = check_light(cli, "show", SINGULAR[kind].replace(" ", "-"), entry.name)
    assert output.startswith(f"{SINGULAR[kind]} {entry.name}  [{entry.plugin}]")


def test_show_every_registered_component(registry):
    """Every component of every installed plugin, shown one after the other in one interpreter."""
    commands = [
        ["show", SINGULAR[kind].replace(" ", "-"), entry.name]
        for kind in KIND_HOOKS
        for entry in registry.entries(kind)
    ]
    assert {command[1] for command in commands} == {SINGULAR[kind].replace(" ", "-") for kind in KIND_HOOKS}
    code = PROBE.replace("code = main(sys.argv[1:])", "code = max(main(argv) for argv in json.loads(sys.argv[1]))")
    result = json.loads(run_python(code, json.dumps(commands)))
    assert result["heavy"] == [], result["heavy"]
    assert result["code"] == 0 and result["err"] == "", result["err"]
    assert result["out"].count("\n") > len(commands)


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["list", "--help"]])
def test_help_and_version(cli, argv):
    assert check_light(cli, *argv).startswith(("usage: ganframe", "ganframe "))


# -- the API underneath -------------------------------------------------------------------------------
CHECK_IMPORTS = f"""
import sys
heavy = lambda: sorted({{name.split(".")[0] for name in sys.modules}} & set({HEAVY!r}))
import ganframe
print("import ganframe:", heavy())
from ganframe.plugins import load_plugins
plugins = load_plugins()
print("load_plugins():", heavy(), "broken:", [info.name for info in plugins.broken])
"""


def test_importing_ganframe_and_loading_every_plugin_imports_no_torch():
    assert run_python(CHECK_IMPORTS).splitlines() == ["import ganframe: []", "load_plugins(): [] broken: []"]


def test_the_activation_names_configs_check_are_the_ones_ganframe_nn_builds():
    from ganframe import config, nn

    assert nn.ACTIVATIONS == config.ACTIVATIONS
    for name in config.ACTIVATIONS:
        nn.activation(name)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.activation("swish")
