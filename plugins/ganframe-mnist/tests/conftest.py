"""Fixtures of the ``mnist`` plugin's tests: small synthetic MNIST copies written as IDX files,
a private cache directory, and the real data set when this machine has it."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import pytest
import torch
from ganframe_mnist.data import RAW_FILES, default_cache_dir

SHARED_MNIST = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "mnist"
# The user's own cache, read before any test replaces GANFRAME_CACHE: tests on the real data keep
# their trained classifier there, so it is trained once per machine, not once per test run.
USER_CACHE = str(default_cache_dir())
REAL_DIR = os.environ.get("GANFRAME_MNIST_DIR")


def write_idx(path: Path, array: torch.Tensor, compress: bool = False) -> None:
    """``array`` (uint8) as an IDX file: magic 0x08 (unsigned byte) and the dimension count, then sizes."""
    header = struct.pack(">I", 0x0800 + array.dim()) + b"".join(struct.pack(">I", n) for n in array.shape)
    data = header + array.contiguous().numpy().tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)


def synthetic_digits(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` 28x28 images: digit d is a bright bar in row band d, so a classifier can tell them apart."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 10
    images = torch.randint(0, 40, (n, 28, 28), generator=generator, dtype=torch.uint8)
    for index, digit in enumerate(labels.tolist()):
        images[index, 2 + 2 * digit : 4 + 2 * digit, 4:24] = 255
    return images, labels.to(torch.uint8)


def write_synthetic_mnist(folder: Path, *, compress: bool = False, train: int = 512, test: int = 200) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    train_images, train_labels = synthetic_digits(train, 0)
    test_images, test_labels = synthetic_digits(test, 1)
    for name, array in zip(RAW_FILES, (train_images, train_labels, test_images, test_labels)):
        write_idx(folder / name, array, compress)
    return folder


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
