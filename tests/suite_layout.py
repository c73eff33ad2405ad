"""Where the tests' plugins are: the toy plugin's folder and the bundled plugins' modules (shared by
tests/conftest.py, tests/integration/conftest.py and the tests)."""

from __future__ import annotations

from pathlib import Path

import tomllib

TESTS = Path(__file__).resolve().parent

#: The folder that holds the test plugin ``ganframe_toy`` and its ``ganframe_toy-0.dist-info``.
TOY = TESTS / "toy"

#: The bundled plugins' top-level modules (``ganframe_gaussian``, ...), read from their pyproject.toml.
BUNDLED = frozenset(
    package.split(".")[0]
    for pyproject in (TESTS.parent / "plugins").glob("*/pyproject.toml")
    for package in tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["packages"]
)

#: The tests of the bundled plugins together.
INTEGRATION = TESTS / "integration"
