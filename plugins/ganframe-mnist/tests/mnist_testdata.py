"""Small synthetic MNIST copies written as IDX files, for the ``mnist`` plugin's tests (imported by
name: this folder is on sys.path through conftest.py)."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import torch
from ganframe_mnist.data import RAW_FILES


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
