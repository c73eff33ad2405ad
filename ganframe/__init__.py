"""ganframe: a plugin-based framework for training generative adversarial networks in PyTorch.

The public face: ``hookimpl`` for plugins, ``Experiment`` to compose and run, configs and errors.
"""

import logging
from importlib.metadata import PackageNotFoundError, version

from .components import Trainer
from .config import ExperimentConfig, TrainConfig
from .data import Dataset, Distribution
from .errors import (
    ConfigError,
    DuplicateNameError,
    GanframeError,
    PluginError,
    RunDirectoryError,
    UnknownNameError,
)
from .experiment import Experiment
from .hookimpl import hookimpl
from .network_copy import NetworkCopy
from .plugins import load_plugins

# A library logs; the application decides what to show (the CLI shows warnings, and more with -v).
logging.getLogger("ganframe").addHandler(logging.NullHandler())

try:
    __version__ = version("ganframe")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = [
    "ConfigError", "Dataset", "Distribution", "DuplicateNameError", "Experiment", "ExperimentConfig",
    "GanframeError", "NetworkCopy", "PluginError", "RunDirectoryError", "TrainConfig", "Trainer", "UnknownNameError",
    "__version__", "hookimpl", "load_plugins",
]
