"""tools/plugin_deps.py: which local plugins a plugin's test environment gets."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[1] / "tools" / "plugin_deps.py"


@pytest.fixture(scope="module")
def plugin_deps():
    spec = importlib.util.spec_from_file_location("ganframe_tools_plugin_deps", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


def plugin(folder: str, dependencies=(), test=()) -> dict:
    project = {"name": folder, "dependencies": list(dependencies), "optional-dependencies": {"test": list(test)}}
    return {"folder": folder, "project": project}


def plugins(*entries: dict) -> dict[str, dict]:
    return {entry["folder"]: entry for entry in entries}


def test_dependencies_come_first_and_their_test_extras_are_not_followed(plugin_deps):
    found = plugins(
        plugin("ganframe-a", ["ganframe>=0.1", "ganframe-b", "torch"]),
        plugin("ganframe-b", ["ganframe-c>=0.1"], test=["ganframe-d"]),
        plugin("ganframe-c"),
        plugin("ganframe-d"),
    )
    assert plugin_deps.deps("ganframe-a", found) == ["ganframe-c", "ganframe-b", "ganframe-a"]


def test_a_test_extra_may_need_a_plugin_that_depends_on_this_one(plugin_deps):
    """The extras' tests train the even setup, whose presets use the extras: not a cycle."""
    found = plugins(
        plugin("ganframe-extras", test=["ganframe-even"]),
        plugin("ganframe-even", ["ganframe-extras"]),
    )
    assert plugin_deps.deps("ganframe-extras", found) == ["ganframe-extras", "ganframe-even"]
    assert plugin_deps.deps("ganframe-even", found) == ["ganframe-extras", "ganframe-even"]


def test_a_cycle_of_dependencies_is_refused(plugin_deps):
    found = plugins(plugin("ganframe-a", ["ganframe-b"]), plugin("ganframe-b", ["ganframe-a"]))
    with pytest.raises(plugin_deps.UsageError, match="dependency cycle: ganframe-a -> ganframe-b -> ganframe-a"):
        plugin_deps.deps("ganframe-a", found)


def test_a_plugin_name_resolves_from_its_short_name_or_folder(plugin_deps):
    found = plugins(plugin("ganframe-mnist"))
    assert {plugin_deps.resolve(name, found) for name in ("mnist", "ganframe-mnist", "plugins/ganframe-mnist/")} == {
        "ganframe-mnist"
    }
    with pytest.raises(plugin_deps.UsageError, match="unknown plugin 'minst'; the plugins are: mnist"):
        plugin_deps.resolve("minst", found)


def test_the_bundled_plugins_have_no_problem(plugin_deps):
    assert plugin_deps.check(plugin_deps.local_plugins()) == []
