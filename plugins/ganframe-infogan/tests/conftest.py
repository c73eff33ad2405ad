"""Fixtures of the ``infogan`` plugin's tests: a tiny synthetic MNIST copy, a private cache, a 2-D
data source for quick training, and the real MNIST when this machine has it (else those tests skip)."""

from __future__ import annotations

import gzip
import os
import struct
import sys
from pathlib import Path

import pytest
import torch
from ganframe_mnist.data import RAW_FILES, default_cache_dir

# Helper modules here (infogan_testdata.py) are imported by name; pytest's importlib import mode
# leaves sys.path alone.
sys.path.insert(0, str(Path(__file__).resolve().parent))

SHARED_MNIST = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mnist"
USER_CACHE = str(
    default_cache_dir()
)  # read before any test replaces GANFRAME_CACHE: the trained classifier lives there
REAL_DIR = os.environ.get("GANFRAME_MNIST_DIR")


def write_idx(path: Path, array: torch.Tensor) -> None:
    """``array`` (uint8) as a gzip-compressed IDX file."""
    header = struct.pack(">I", 0x0800 + array.dim()) + b"".join(struct.pack(">I", n) for n in array.shape)
    path.with_name(path.name + ".gz").write_bytes(gzip.compress(header + array.contiguous().numpy().tobytes()))


def write_synthetic_mnist(folder: Path, train: int = 256, test: int = 100) -> Path:
    """Digit d is a bright bar in row band d: enough for shapes, errors and figures."""
    folder.mkdir(parents=True, exist_ok=True)
    for name_images, name_labels, n, seed in (
        (RAW_FILES[0], RAW_FILES[1], train, 0),
        (RAW_FILES[2], RAW_FILES[3], test, 1),
    ):
        generator = torch.Generator().manual_seed(seed)
        labels = torch.arange(n) % 10
        images = torch.randint(0, 40, (n, 28, 28), generator=generator, dtype=torch.uint8)
        for index, digit in enumerate(labels.tolist()):
            images[index, 2 + 2 * digit : 4 + 2 * digit, 4:24] = 255
        write_idx(folder / name_images, images)
        write_idx(folder / name_labels, labels.to(torch.uint8))
    return folder


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test gets its own cache and no GANFRAME_MNIST_DIR from the caller's environment."""
    monkeypatch.setenv("GANFRAME_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("GANFRAME_MNIST_DIR", raising=False)


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    return str(write_synthetic_mnist(tmp_path_factory.mktemp("synthetic-mnist")))


@pytest.fixture
def real_mnist():
    """Data options for the real MNIST (GANFRAME_MNIST_DIR, else ../shared/data/mnist), or skip."""
    folder = Path(REAL_DIR or SHARED_MNIST)
    if not folder.is_dir():
        pytest.skip(f"no MNIST copy at {folder} (set GANFRAME_MNIST_DIR)")
    return {"data_dir": str(folder), "cache_dir": USER_CACHE}
