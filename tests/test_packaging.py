"""What the packages ship: ``py.typed`` in the core and in every bundled plugin, so that plugin
authors' type checkers read ganframe's annotations (PEP 561)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = sorted(path for path in (ROOT / "plugins").iterdir() if (path / "pyproject.toml").is_file())


def copy_core(target: Path) -> Path:
    """The core's sources, without build leftovers, in ``target``: a wheel built there writes nothing here."""
    target.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "ganframe", target / "ganframe", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return target


def test_the_core_wheel_contains_py_typed(tmp_path):
    source = copy_core(tmp_path / "source")
    completed = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("ganframe-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "ganframe/py.typed" in names
    assert "ganframe/components.py" in names


@pytest.mark.parametrize("plugin", PLUGINS, ids=lambda path: path.name)
def test_every_bundled_plugin_ships_py_typed(plugin):
    setuptools = tomllib.loads((plugin / "pyproject.toml").read_text())["tool"]["setuptools"]
    for package in setuptools["packages"]:
        assert (plugin / package / "py.typed").is_file(), f"{plugin.name}: no {package}/py.typed"
        assert "py.typed" in setuptools.get("package-data", {}).get(package, []), (
            f"{plugin.name}/pyproject.toml: py.typed is not in [tool.setuptools.package-data] {package}"
        )
