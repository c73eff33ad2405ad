"""Fixtures of the ``mnist`` plugin's tests: small synthetic MNIST copies (mnist_testdata.py), a
private cache directory, and the real data set when this machine has it."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from ganframe_mnist.data import default_cache_dir

# Helper modules here are imported by name (pytest's importlib import mode leaves sys.path alone).
sys.path.insert(0, str(Path(__file__).resolve().parent))
from mnist_testdata import write_synthetic_mnist

SHARED_MNIST = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mnist"
# The user's own cache, read before any test replaces GANFRAME_CACHE: tests on the real data keep
# their trained classifier there, so it is trained once per machine, not once per test run.
USER_CACHE = str(default_cache_dir())
REAL_DIR = os.environ.get("GANFRAME_MNIST_DIR")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets its own cache and no GANFRAME_MNIST_DIR from the caller's environment."""
    monkeypatch.setenv("GANFRAME_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GANFRAME_MNIST_DIR", raising=False)
    return tmp_path / "cache" / "mnist"


@pytest.fixture
def synthetic_dir(tmp_path):
    return write_synthetic_mnist(tmp_path / "synthetic", compress=True)


@pytest.fixture
def real_mnist():
    """Data options for the real MNIST (GANFRAME_MNIST_DIR, else ../shared/data/mnist), or skip."""
    folder = Path(REAL_DIR or SHARED_MNIST)
    if not folder.is_dir():
        pytest.skip(f"no MNIST copy at {folder} (set GANFRAME_MNIST_DIR)")
    return {"data.data_dir": str(folder), "data.cache_dir": USER_CACHE}
