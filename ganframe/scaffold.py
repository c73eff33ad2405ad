"""``ganframe new-plugin NAME``: a new plugin package to start from, installable and tested.

The package is ``ganframe-NAME/`` with a ``pyproject.toml`` that declares the entry point, a
package ``ganframe_MODULE`` (MODULE is NAME with '-' as '_') whose light ``__init__.py`` registers a
data source ``NAME-data``, a training strategy ``NAME-round`` and a setup ``NAME`` and whose
``components.py`` holds them (PyTorch is imported there, when a component is built), a test of them
and a short README. It is written into a hidden folder beside its final place and renamed into place at the
end, so a failure leaves no half-written package behind.
"""

from __future__ import annotations

import importlib.metadata
import re
import secrets
import shutil
from pathlib import Path
from string import Template

import attrs

from .errors import GanframeError

#: Lower-case words of letters and digits joined by single '-', starting with a letter: demo-gan.
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
ENTRY_POINT_GROUP = "ganframe"


class ScaffoldError(GanframeError):
    """A plugin name that cannot be used, or a package folder that cannot be written."""


@attrs.frozen
class PluginNames:
    """The names of one new plugin, all derived from ``name`` (e.g. ``demo-gan``)."""

    name: str  # the entry point, the setup; prefix of the components: demo-gan
    module: str  # demo_gan: the module is ganframe_demo_gan, its test test_demo_gan

    @classmethod
    def of(cls, name: str) -> PluginNames:
        check_name(name)
        return cls(name, name.replace("-", "_"))

    @property
    def distribution(self) -> str:
        return f"ganframe-{self.name}"

    @property
    def import_name(self) -> str:
        return f"ganframe_{self.module}"


def check_name(name: str) -> None:
    """A ScaffoldError unless ``name`` is lower-case letters and digits in words joined by '-',
    starting with a letter."""
    if not NAME_PATTERN.match(name):
        raise ScaffoldError(
            f"cannot use {name!r} as a plugin name: use lower-case letters, digits and '-' "
            "between them, starting with a letter (e.g. demo-gan)"
        )


def check_not_installed(names: PluginNames) -> None:
    """A ScaffoldError when a plugin or distribution of this name is installed already: installing
    the new package would replace it, or both would register the same setup."""
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if entry_point.name == names.name:
            dist = entry_point.dist
            origin = f"{dist.metadata['Name']} {dist.version}" if dist is not None else entry_point.value
            raise ScaffoldError(
                f"a plugin called {names.name!r} is installed already ({origin}); "
                "choose another name (see 'ganframe plugins')"
            )
    try:
        version = importlib.metadata.version(names.distribution)
    except importlib.metadata.PackageNotFoundError:
        return
    raise ScaffoldError(f"the package {names.distribution} {version} is installed already; choose another name")


def plugin_files(name: str) -> dict[str, str]:
    """Path inside ``ganframe-NAME/`` → text of every file of the new package."""
    names = PluginNames.of(name)
    values = {
        "name": names.name,
        "module": names.module,
        "import_name": names.import_name,
        "distribution": names.distribution,
    }
    return {
        "pyproject.toml": Template(PYPROJECT).substitute(values),
        f"{names.import_name}/__init__.py": Template(MODULE).substitute(values),
        f"{names.import_name}/components.py": Template(COMPONENTS).substitute(values),
        f"{names.import_name}/py.typed": "",
        f"tests/test_{names.module}.py": Template(TEST).substitute(values),
        "README.md": Template(README).substitute(values),
    }


def write_plugin(name: str, directory: str | Path = ".", *, check_installed: bool = True) -> Path:
    """Write the package ``DIRECTORY/ganframe-NAME`` and return its path.

    ``DIRECTORY`` must exist; ``ganframe-NAME`` in it must not, or be an empty folder. With
    ``check_installed``, a name that an installed plugin already uses is refused too.
    """
    names = PluginNames.of(name)
    if check_installed:
        check_not_installed(names)
    directory = Path(directory)
    if not directory.is_dir():
        raise ScaffoldError(f"cannot write the plugin into {str(directory)!r}: no such folder")
    target = directory / names.distribution
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ScaffoldError(f"{str(target)!r} already exists and is not a folder; choose another name or folder")
    if target.exists() and any(target.iterdir()):
        raise ScaffoldError(f"{str(target)!r} already exists and is not empty; choose another name or folder")
    files = plugin_files(name)
    staging = directory / f".{names.distribution}.{secrets.token_hex(4)}.tmp"
    try:
        staging.mkdir()
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if target.exists():
            target.rmdir()  # empty, as checked above
        staging.rename(target)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if isinstance(exc, OSError):
            reason = exc.strerror or str(exc)
            raise ScaffoldError(f"cannot write the plugin package {str(target)!r}: {reason}") from None
        raise
    return target


# -- the package's files ---------------------------------------------------------------------------
# string.Template: $name is the plugin's name (demo-gan), $module the same with '_' (demo_gan),
# $import_name the module (ganframe_demo_gan), $distribution the package (ganframe-demo-gan).

PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "$distribution"
version = "0.1.0"
description = "ganframe setup '$name': learn a ring of points in 2-D"
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"
dependencies = ["ganframe>=0.1"]

# What makes it a plugin: ganframe loads every entry point of the group "ganframe".
[project.entry-points.ganframe]
$name = "$import_name"

[tool.setuptools]
packages = ["$import_name"]
# The package root is this folder, so an editable install is a plain .pth entry (no import hook).
package-dir = { "" = "." }

# py.typed: type checkers read the annotations of the installed plugin.
[tool.setuptools.package-data]
$import_name = ["py.typed"]
"""

MODULE = '''\
"""ganframe plugin ``$name``: a GAN that learns a ring of points in 2-D. Make it your own.

A data source (``$name-data``), a training strategy (``$name-round``) and a setup
(``$name``) that trains them with ganframe's ``mlp`` networks. This module registers them, with
their options and the setup's presets; ``components.py`` holds the components themselves.
ganframe's docs/writing-a-plugin.md explains each part, and docs/hooks.md every hook.
"""

# No torch here: ganframe imports this module for every command, `ganframe list` too; components.py has it.
import attrs

import ganframe
from ganframe.config import positive


@attrs.frozen(kw_only=True)
class RingConfig:
    """The options of the data source: [data] radius = 3.0 in a config, or --set data.radius=3."""

    radius: float = attrs.field(default=2.0, validator=positive)  # of the circle
    # The standard deviation of the Gaussian noise that blurs each point.
    width: float = attrs.field(default=0.1, validator=positive)


# Laid out like a TOML config file. Small networks and a short run: seconds on a CPU.
DEFAULT = {
    "data": {"name": "$name-data", "radius": 2.0, "width": 0.1},
    "noise": {"name": "normal", "dim": 2},
    "generator": {"name": "mlp", "hidden": [32, 32], "optimizer": {"name": "adam", "lr": 1e-3}},
    "discriminator": {"name": "mlp", "hidden": [32, 32], "optimizer": {"name": "adam", "lr": 1e-3}},
    "loss": {"name": "non-saturating"},
    "strategy": {"name": "$name-round"},
    "train": {"steps": 1000, "batch_size": 128, "threads": 1},
    # Are generated and real points alike? An energy-distance test and per-axis KS tests.
    "evaluation": {"metrics": ["two-sample"], "samples": 1000},
}


def make_ring(config, context):
    from .components import Ring

    return Ring(config)


def make_round(config, context):
    from .components import Round

    return Round()


@ganframe.hookimpl
def register_data_sources(register):
    register("$name-data", make_ring, config=RingConfig,
             description="points on a circle, blurred with Gaussian noise (2-D)")


@ganframe.hookimpl
def register_strategies(register):
    register("$name-round", make_round, description="one D update, then one G update")


@ganframe.hookimpl
def register_setups(register):
    register("$name", {"default": DEFAULT},
             description="learn a ring of points in 2-D with small MLPs")
'''

COMPONENTS = '''\
"""The components of the plugin ``$name``, built by the factories of ``__init__.py``."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import torch

import ganframe
from ganframe.components import Trainer

if TYPE_CHECKING:  # for annotations only: __init__.py imports this module, never the other way round
    from . import RingConfig


class Ring(ganframe.Distribution):
    """Points at uniformly random angles on a circle of ``radius``, each moved by N(0, width²)."""

    sample_shape = (2,)  # one example: x and y

    def __init__(self, config: RingConfig) -> None:
        self.config = config

    def sample(self, n: int, *, generator: torch.Generator, device: torch.device) -> torch.Tensor:
        # Every random number comes from `generator`: the same seed, the same data.
        angle = 2 * math.pi * torch.rand(n, generator=generator, device=device)  # (n,)
        circle = self.config.radius * torch.stack([angle.cos(), angle.sin()], dim=1)  # (n, 2)
        return circle + self.config.width * torch.randn(n, 2, generator=generator, device=device)


class Round:
    """One round of training: one discriminator update, then one generator update.

    The place to change the update schedule: more D updates per G update, G only every other
    round (``trainer.step`` counts rounds), other networks (``trainer.update(role, loss)``).
    """

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        d_loss = trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
        g_loss = trainer.generator_step(trainer.generate())  # D is frozen meanwhile
        return {"d_loss": d_loss, "g_loss": g_loss}  # logged every train.log_every rounds
'''

TEST = '''\
"""Tests of the ganframe plugin ``$name``, run from the folder that holds $distribution:

    python -m pytest $distribution/tests
"""

import pytest
import torch

import $import_name as plugin
from $import_name.components import Ring
from ganframe.testing import fresh_plugins, smoke_run


@pytest.fixture(scope="module")
def plugins():
    # This module on top of ganframe's built-in plugins, whatever else is installed.
    return fresh_plugins(plugin, entry_points=False)


def test_registers_its_components(plugins):
    assert not plugins.broken
    registry = plugins.registry
    assert registry.component("data-sources", "$name-data").plugin == plugin.__name__
    assert registry.component("strategies", "$name-round").plugin == plugin.__name__
    assert registry.setup("$name").plugin == plugin.__name__


def test_the_setup_trains(plugins):
    # A few rounds on the CPU; smoke_run checks that samples are finite and shaped like real data.
    experiment = smoke_run("$name", plugins=plugins, steps=5)
    assert experiment.step == 5
    assert experiment.sample(10).shape == (10, 2)
    assert 0 < experiment.evaluate(500)["energy_p_value"] <= 1


def test_the_data_lies_on_the_configured_ring():
    ring = Ring(plugin.RingConfig(radius=3.0, width=0.05))
    x = ring.sample(10_000, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    assert x.shape == (10_000, 2)
    distance = x.norm(dim=1)  # from the centre
    assert abs(distance.mean().item() - 3.0) < 0.01
    assert abs(distance.std().item() - 0.05) < 0.005
    assert x.mean(dim=0).abs().max() < 0.1  # points all around the circle: centred on the origin


@pytest.mark.parametrize("options", [{"radius": 0.0}, {"width": -1.0}])
def test_bad_options_are_refused(options):
    with pytest.raises(ValueError):
        plugin.RingConfig(**options)
'''

README = """\
# $distribution

A ganframe plugin. The setup `$name` trains a GAN on points
on a ring in 2-D, with the data source `$name-data`, the training strategy `$name-round` and
ganframe's `mlp` networks. `$import_name/` is the place to make it your own GAN: `__init__.py`
registers the components with their options (no PyTorch there, so that `ganframe list` stays fast),
`components.py` holds them.

Install it, in the environment where ganframe is installed, from the folder that holds
`$distribution`:

```bash
pip install -e ./$distribution
ganframe plugins            # lists $name
```

Train it (seconds on a CPU), and see the options of its parts:

```bash
ganframe train $name
ganframe show data-source $name-data
```

Test it:

```bash
pip install pytest
python -m pytest $distribution/tests
```

Read more in ganframe's docs/writing-a-plugin.md (the parts of a plugin) and docs/hooks.md (every
hook and the interface each component implements).
"""
