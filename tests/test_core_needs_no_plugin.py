"""The core's tests need no bundled plugin: they use the toy plugin (tests/toy), and a core test that
imports a bundled plugin fails (tests/conftest.py's ``_no_bundled_plugin``)."""

from __future__ import annotations

import ast
import importlib
import sys

import pytest
from suite_layout import BUNDLED, TESTS


def test_the_bundled_plugins_are_known():
    assert {"ganframe_gaussian", "ganframe_even", "ganframe_extras", "ganframe_mnist"} <= BUNDLED


@pytest.mark.parametrize("module", ["ganframe_gaussian", "ganframe_extras.losses"])
def test_a_core_test_that_imports_a_bundled_plugin_fails(monkeypatch, module):
    for name in [name for name in sys.modules if name.split(".")[0] in BUNDLED]:
        monkeypatch.delitem(sys.modules, name)  # as if no test had loaded it yet (put back afterwards)
    with pytest.raises(ImportError, match=rf"^a core test imported the bundled plugin module '{module.split('.')[0]}'"):
        importlib.import_module(module)


def test_the_shared_plugin_set_is_the_built_in_plugins_and_the_toy_one(plugins):
    assert {info.name for info in plugins.infos if not info.name.startswith("ganframe.")} == {"ganframe_toy"}
    assert plugins.registry.names("setups") == ["toy", "toy2d"]
    assert not plugins.broken


def test_no_core_test_module_imports_a_bundled_plugin():
    found = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            found += [f"{path.name}:{node.lineno} {name}" for name in names if name.split(".")[0] in BUNDLED]
    assert not found, "core tests import bundled plugins (use the toy plugin or move them to tests/integration)"
