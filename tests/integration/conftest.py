"""The bundled plugins together, as a user installs them: these tests need every plugin under
plugins/ installed (``make install-test``) and run without the toy plugin the core's tests use.

They share the fixtures of tests/conftest.py (``cli``, ``tiny_cli``, ...); the two below replace its
guard against bundled plugins and hide the toy plugin from each test here.
"""

from __future__ import annotations

import os
import sys

import pytest
from suite_layout import TOY


@pytest.fixture(autouse=True)
def _no_bundled_plugin():
    """Off here: these tests load the bundled plugins themselves."""
    yield


@pytest.fixture(autouse=True)
def _without_the_toy_plugin(monkeypatch):
    """Neither this process nor the commands a test starts see the toy plugin."""
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry != str(TOY)])
    kept = [entry for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry and entry != str(TOY)]
    if kept:
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(kept))
    else:
        monkeypatch.delenv("PYTHONPATH", raising=False)
