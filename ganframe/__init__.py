"""ganframe: a plugin-based framework for training generative adversarial networks in PyTorch.

The public face: ``hookimpl`` for plugins, ``Experiment`` to compose and run, configs and errors.
"""

import importlib
import logging

from .errors import (
    ConfigError,
    DivergedError,
    DuplicateNameError,
    GanframeError,
    PluginError,
    RunDirectoryError,
    UnknownNameError,
)
from .hookimpl import hookimpl  # eager: the name is also its module's, which would shadow a lazy one

#: Imported on first use (``ganframe.Experiment``...), so that ``import ganframe`` and the
#: ``ganframe`` command start without loading PyTorch until they need it.
_LAZY = {
    "Trainer": ".components",
    "ExperimentConfig": ".config",
    "TrainConfig": ".config",
    "Dataset": ".data",
    "Distribution": ".data",
    "Experiment": ".experiment",
    "NetworkCopy": ".network_copy",
    "load_plugins": ".plugins",
}


def __getattr__(name: str):
    if name == "__version__":
        globals()[name] = _version()
        return globals()[name]
    if name not in _LAZY:
        raise AttributeError(f"module 'ganframe' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY) | {"__version__"})


# A library logs; the application decides what to show (the CLI shows warnings, and more with -v).
logging.getLogger("ganframe").addHandler(logging.NullHandler())


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ganframe")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0"


__all__ = [
    "ConfigError",
    "Dataset",
    "Distribution",
    "DivergedError",
    "DuplicateNameError",
    "Experiment",
    "ExperimentConfig",
    "GanframeError",
    "NetworkCopy",
    "PluginError",
    "RunDirectoryError",
    "TrainConfig",
    "Trainer",
    "UnknownNameError",
    "__version__",
    "hookimpl",
    "load_plugins",
]
