"""The ``file`` data source's implementation: examples read from a ``.npy`` or ``.pt`` file into memory.

Imported when the data source is built (see :mod:`ganframe.builtin.data`, which registers it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ganframe.data import Dataset
from ganframe.errors import ConfigError


class TensorDataset(Dataset):
    """Examples held in memory as one float32 tensor ``(N, *sample_shape)``."""

    def __init__(self, examples: torch.Tensor) -> None:
        self.examples = examples
        self.sample_shape = tuple(examples.shape[1:])

    def __len__(self) -> int:
        return self.examples.shape[0]

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        return self.examples[indices]


def load_examples(path: str) -> torch.Tensor:
    """Read ``path`` into a float32 tensor with at least one feature dimension."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(f"data.path {path!r} does not exist or is not a file")
    try:
        if file.suffix == ".npy":
            tensor = torch.from_numpy(np.load(file, allow_pickle=False))
        elif file.suffix == ".pt":
            tensor = torch.load(file, map_location="cpu", weights_only=True)
        else:
            raise ConfigError(f"data.path {path!r}: use a .npy or .pt file")
    except ConfigError:
        raise
    except Exception as exc:
        raise ConfigError(f"cannot read data.path {path!r}: {type(exc).__name__}: {exc}") from None
    if not isinstance(tensor, torch.Tensor) or (
        not tensor.is_floating_point() and tensor.dtype not in (torch.int64, torch.int32, torch.uint8)
    ):
        raise ConfigError(f"data.path {path!r} must hold a numeric array")
    if tensor.dim() == 1:
        tensor = tensor.unsqueeze(1)  # N scalars: one feature each
    if tensor.shape[0] < 2:
        raise ConfigError(f"data.path {path!r} holds {tensor.shape[0]} example(s); at least 2 are needed")
    return tensor.float().contiguous()
