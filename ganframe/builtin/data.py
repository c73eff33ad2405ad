"""The ``file`` data source: your own examples from a ``.npy`` or ``.pt`` file, as a data set.

Registration and options only; the data set itself is in :mod:`ganframe.builtin.file_data`,
imported when it is built, so that ``ganframe list`` does not import PyTorch.
"""

from __future__ import annotations

import attrs

from ganframe.hookimpl import hookimpl


@attrs.frozen(kw_only=True)
class FileDataConfig:
    path: str  # a .npy or .pt file holding an array of shape (N, *sample_shape)


def make_file_data(config: FileDataConfig, context):
    from .file_data import TensorDataset, load_examples

    return TensorDataset(load_examples(config.path))


@hookimpl
def register_data_sources(register):
    register(
        "file",
        make_file_data,
        config=FileDataConfig,
        description="examples from a .npy or .pt file of shape (N, *sample_shape)",
    )


def __getattr__(name: str):  # TensorDataset and load_examples, where they were before
    if name in ("TensorDataset", "load_examples"):
        from . import file_data

        return getattr(file_data, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
