"""A plugin installed with pip is found through its ``ganframe`` entry point, shown and usable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganframe import Experiment
from ganframe.testing import fresh_plugins


def ganframe(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m ganframe ARGS`` in a fresh interpreter with ``site`` on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANFRAME_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "ganframe", *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd
    )


@pytest.fixture(scope="module")
def plugins_output(installed_site, tmp_path_factory) -> str:
    completed = ganframe(installed_site, "plugins", cwd=tmp_path_factory.mktemp("cwd"))
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""  # `plugins` reports broken plugins on stdout, without warnings
    return completed.stdout


def section(output: str, plugin: str) -> list[str]:
    """The header line of ``plugin`` in ``ganframe plugins`` output and its indented lines."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.split("  [")[0] == plugin]
    assert len(starts) == 1, f"{plugin!r} is not listed once in:\n{output}"
    block = [lines[starts[0]]]
    for line in lines[starts[0] + 1 :]:
        if not line.startswith("    "):
            break
        block.append(line.strip())
    return block


def test_plugins_command_shows_the_installed_plugin_its_distribution_and_registrations(plugins_output):
    header, *registered = section(plugins_output, "myplug")
    assert header == "myplug  [ganframe-myplug 0.3.1]"
    assert registered == ["data source: myplug-constant", "setup: myplug-setup"]


def test_plugins_command_still_shows_builtins_and_the_toy_plugin(plugins_output):
    assert section(plugins_output, "ganframe.builtin.losses")[0].startswith("ganframe.builtin.losses  [ganframe ")
    header, *registered = section(plugins_output, "toy")
    assert header == "toy  [ganframe-toy 0]"
    assert "setup: toy" in registered


def test_list_command_shows_the_plugins_components_with_their_owner(installed_site, tmp_path):
    completed = ganframe(installed_site, "list", cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    lines = [line.strip() for line in completed.stdout.splitlines()]
    assert "myplug-constant  [myplug]  a constant with a little noise" in lines
    setup_line = next(line for line in lines if line.startswith("myplug-setup "))
    assert "[myplug]" in setup_line and "presets: small (used by default)" in setup_line
    # The broken distribution is announced as warnings on stderr, one line each, without a traceback.
    warnings = completed.stderr.splitlines()
    assert sorted(w.split("'")[1] for w in warnings) == ["broken-args", "broken-hook", "broken-import", "broken-typo"]
    assert all(w.startswith("ganframe: warning: plugin ") for w in warnings)
    assert "Traceback" not in completed.stderr


def test_the_installed_plugins_setup_trains_from_the_command_line(installed_site, tmp_path):
    run = tmp_path / "run"
    completed = ganframe(
        installed_site, "train", "myplug-setup", "--out", str(run), "--quiet", "--device", "cpu", cwd=tmp_path
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == str(run)
    report = json.loads((run / "report.json").read_text())
    assert report["setup"] == "myplug-setup" and report["preset"] == "small"
    assert report["steps"] == 3 and report["completed"] is True
    assert report["metrics"]["mean"] == pytest.approx(report["metrics"]["mean"])  # a finite number
    assert set(report["metrics"]) == {"mean", "std", "skew", "kurtosis"}


def test_entry_point_plugins_are_found_in_process_with_their_distribution(with_installed):
    plugins = fresh_plugins()
    infos = {info.name: info for info in plugins.infos}
    assert (infos["myplug"].distribution, infos["myplug"].version, infos["myplug"].error) == (
        "ganframe-myplug",
        "0.3.1",
        None,
    )
    assert plugins.registry.component("data-sources", "myplug-constant").plugin == "myplug"
    experiment = Experiment.from_setup("myplug-setup", plugins=plugins, device="cpu", steps=2)
    experiment.fit()
    assert experiment.step == 2
    assert experiment.sample(5).shape == (5, 1)


def test_entry_points_can_be_turned_off(with_installed):
    plugins = fresh_plugins(entry_points=False)
    names = [info.name for info in plugins.infos]
    assert names and all(name.startswith("ganframe.") for name in names)
    assert {info.distribution for info in plugins.infos} == {"ganframe"}
    assert "myplug-constant" not in plugins.registry.names("data-sources")
