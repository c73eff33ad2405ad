"""The ``mnist`` data source: MNIST through ``torchvision.datasets.MNIST``.

Where the files come from, in order:

1. ``data_dir`` (the config option, or the environment variable ``GANFRAME_MNIST_DIR``): a local
   copy holding the four raw IDX files under torchvision's names, uncompressed or as ``.gz``
   archives, directly in the folder or in ``MNIST/raw/`` below it. Nothing is downloaded, and the
   folder is only read (``.gz`` archives are decompressed into the cache directory).
2. Otherwise torchvision's normal download into ``cache_dir`` (default
   ``$GANFRAME_CACHE/mnist`` or ``~/.cache/ganframe/mnist``), once.

Model space (what the networks see) is ``(1, 28, 28)`` in [-1, 1], as ``ToTensor`` then
``Normalize(0.5, 0.5)`` give; data space (samples, metrics, pictures) is [0, 1].
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import os
import shutil
from pathlib import Path

import torch

import ganframe
from ganframe.errors import ConfigError

from .configs import MnistConfig

DIR_VARIABLE = "GANFRAME_MNIST_DIR"
RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
HOW_TO_GET = (
    f"set data.data_dir (or the environment variable {DIR_VARIABLE}) to a folder holding "
    f"{', '.join(RAW_FILES)} (each may be .gz), or let torchvision download them with internet access"
)


def default_cache_dir() -> Path:
    """``$GANFRAME_CACHE/mnist``, else ``~/.cache/ganframe/mnist``."""
    root = os.environ.get("GANFRAME_CACHE")
    return Path(root) / "mnist" if root else Path.home() / ".cache" / "ganframe" / "mnist"


class Mnist(ganframe.Dataset):
    """The 60,000 training digits (the data set the GAN learns) and the 10,000 test digits (kept for metrics)."""

    sample_shape = (1, 28, 28)
    num_classes = 10  # labels: the digit of each training image

    def __init__(
        self, train: tuple[torch.Tensor, torch.Tensor], test: tuple[torch.Tensor, torch.Tensor], cache_dir: Path
    ) -> None:
        self.images, self.labels = train  # (60000, 28, 28) uint8, (60000,) int64
        self.test_images, self.test_labels = test  # (10000, 28, 28) uint8, (10000,) int64
        self.cache_dir = cache_dir

    def __len__(self) -> int:
        return len(self.images)

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        x = self.images[indices].unsqueeze(1).float() / 255  # (B, 1, 28, 28) in [0, 1]: ToTensor
        return (x - 0.5) / 0.5  # Normalize(0.5, 0.5): [-1, 1]

    def to_data_space(self, x: torch.Tensor) -> torch.Tensor:
        return ((x + 1) / 2).clamp(0, 1)

    @functools.cached_property
    def checksum(self) -> str:
        """SHA-256 of the training images and labels: what a classifier trained on them depends on."""
        digest = hashlib.sha256()
        for tensor in (self.images, self.labels):
            digest.update(tensor.contiguous().numpy().tobytes())
        return digest.hexdigest()


def load_mnist(config: MnistConfig) -> Mnist:
    """Read (or download) MNIST as ``config`` says; a missing or unreadable copy is a ConfigError."""
    cache_dir = Path(config.cache_dir).expanduser() if config.cache_dir else default_cache_dir()
    data_dir = config.data_dir or os.environ.get(DIR_VARIABLE)
    if data_dir:
        root = _local_root(Path(data_dir).expanduser(), cache_dir)
        download = False
    else:
        root, download = cache_dir, config.download
    train, test = (_read(root, train, download) for train in (True, False))
    for (images, labels), split in ((train, "training"), (test, "test")):  # any count: tests use small copies
        if images.shape[1:] != (28, 28) or len(images) == 0 or bool(labels.max() > 9):
            raise ConfigError(
                f"the MNIST {split} files in {str(root)!r} hold images of shape "
                f"{tuple(images.shape)} and labels up to {int(labels.max())}, not 28x28 digits; "
                f"replace them: {HOW_TO_GET}"
            )
    return Mnist(train, test, cache_dir)


def _read(root: Path, train: bool, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.datasets import MNIST

    split = "training" if train else "test"
    try:
        dataset = MNIST(str(root), train=train, download=download)
    except RuntimeError as exc:  # "Dataset not found" or every download mirror failed
        reason = "could not be downloaded" if download else "is missing"
        raise ConfigError(
            f"MNIST ({split} set) {reason} in {str(root / 'MNIST' / 'raw')!r}: {_first_line(exc)}; {HOW_TO_GET}"
        ) from None
    except Exception as exc:  # truncated or not IDX: torchvision's parser asserts or fails to reshape
        raise ConfigError(
            f"MNIST ({split} set) in {str(root / 'MNIST' / 'raw')!r} is corrupt "
            f"({type(exc).__name__}: {_first_line(exc)}); replace the files: {HOW_TO_GET}"
        ) from None
    if len(dataset.data) != len(dataset.targets):
        raise ConfigError(
            f"MNIST ({split} set) in {str(root)!r} has {len(dataset.data)} images but "
            f"{len(dataset.targets)} labels; replace the files: {HOW_TO_GET}"
        )
    return dataset.data, dataset.targets


def _local_root(data_dir: Path, cache_dir: Path) -> Path:
    """A root that torchvision reads as ``ROOT/MNIST/raw/FILE``, for a local copy in ``data_dir``.

    A copy already laid out that way with uncompressed files is used in place. Otherwise each file
    is linked (uncompressed) or decompressed (``.gz``) into the cache, in a folder named after the
    copy's location, sizes and modification times, so a changed copy is picked up again.
    """
    if not data_dir.is_dir():
        raise ConfigError(f"MNIST data_dir {str(data_dir)!r} is not a folder; {HOW_TO_GET}")
    if all((data_dir / "MNIST" / "raw" / name).is_file() for name in RAW_FILES):
        return data_dir
    sources = [_find(data_dir, name) for name in RAW_FILES]
    stamp = hashlib.sha256(
        str([(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in sources]).encode()
    ).hexdigest()[:16]
    root = cache_dir / f"local-{stamp}"
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, source in zip(RAW_FILES, sources):
        target = raw / name
        if target.exists():
            continue
        temporary = raw / f".{name}.{os.getpid()}"
        try:
            if source.suffix == ".gz":
                with gzip.open(source, "rb") as compressed, open(temporary, "wb") as plain:
                    shutil.copyfileobj(compressed, plain)
            else:
                os.symlink(source.resolve(), temporary)
            os.replace(temporary, target)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            temporary.unlink(missing_ok=True)
            raise ConfigError(
                f"cannot read MNIST file {str(source)!r} ({type(exc).__name__}: {exc}); replace it: {HOW_TO_GET}"
            ) from None
    return root


def _find(data_dir: Path, name: str) -> Path:
    for folder in (data_dir, data_dir / "raw", data_dir / "MNIST" / "raw"):
        for candidate in (folder / name, folder / f"{name}.gz"):
            if candidate.is_file():
                return candidate
    raise ConfigError(f"MNIST data_dir {str(data_dir)!r} has no {name} (nor {name}.gz); {HOW_TO_GET}")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
