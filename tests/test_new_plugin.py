"""``ganframe new-plugin NAME``: an installable plugin package to start from, written whole or not at all;
and that package installed, trained and tested as a user would, in a virtual environment of its own."""

from __future__ import annotations

import ast
import errno
import importlib
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ganframe import Experiment
from ganframe.builtin.two_sample import PERMUTATIONS
from ganframe.testing import fresh_plugins

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

REPOSITORY = Path(__file__).resolve().parents[1]
FILES = [
    "README.md",
    "ganframe_demo_gan/__init__.py",
    "ganframe_demo_gan/components.py",
    "ganframe_demo_gan/py.typed",
    "pyproject.toml",
    "tests/test_demo_gan.py",
]
#: What the generated modules may import: ganframe's public API, attrs and torch (the package's own
#: modules aside); the entry-point module, which every ganframe command imports, no torch.
PUBLIC_IMPORTS = {
    "__future__",
    "typing",
    "math",
    "attrs",
    "torch",
    "ganframe",
    "ganframe.components",
    "ganframe.config",
}


def files_under(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, hidden ones included, as relative paths."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def imports(path: Path) -> set[str]:
    """The modules a file imports, relative imports (the package's own modules) left out."""
    tree = ast.parse(path.read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    return imported | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and not node.level}


@pytest.fixture
def package(cli, tmp_path) -> Path:
    """``ganframe new-plugin demo-gan`` written into a fresh folder."""
    result = cli("new-plugin", "demo-gan", "--dir", tmp_path)
    assert result.code == 0, result.err
    return tmp_path / "ganframe-demo-gan"


@pytest.fixture
def module(package, monkeypatch):
    """The new plugin's package, imported from its folder (and forgotten after the test)."""
    monkeypatch.syspath_prepend(str(package))
    yield importlib.import_module("ganframe_demo_gan")
    for name in [name for name in sys.modules if name.split(".")[0] == "ganframe_demo_gan"]:
        del sys.modules[name]


def test_new_plugin_writes_a_complete_package(cli, tmp_path):
    result = cli("new-plugin", "demo-gan", "--dir", tmp_path)
    assert result.code == 0, result.err
    package = tmp_path / "ganframe-demo-gan"
    assert files_under(tmp_path) == sorted(
        [
            "ganframe-demo-gan",
            "ganframe-demo-gan/tests",
            "ganframe-demo-gan/ganframe_demo_gan",
            *(f"ganframe-demo-gan/{name}" for name in FILES),
        ]
    )
    project = tomllib.loads((package / "pyproject.toml").read_text())
    bundled = tomllib.loads((REPOSITORY / "plugins" / "ganframe-gaussian" / "pyproject.toml").read_text())
    assert project["build-system"] == bundled["build-system"]
    meta = project["project"]
    assert (meta["name"], meta["version"], meta["requires-python"]) == ("ganframe-demo-gan", "0.1.0", ">=3.10")
    assert meta["dependencies"] == ["ganframe>=0.1"]
    assert meta["license"] == bundled["project"]["license"]
    assert meta["entry-points"] == {"ganframe": {"demo-gan": "ganframe_demo_gan"}}
    assert project["tool"]["setuptools"] == {
        "packages": ["ganframe_demo_gan"],
        "package-dir": {"": "."},  # an editable install is a plain .pth entry
        "package-data": {"ganframe_demo_gan": ["py.typed"]},
    }
    readme = (package / "README.md").read_text()
    for text in (
        "pip install -e ./ganframe-demo-gan",
        "ganframe train demo-gan",
        "python -m pytest ganframe-demo-gan/tests",
        "docs/writing-a-plugin.md",
        "docs/hooks.md",
    ):
        assert text in readme
    # what was written, and what to run next
    for name in FILES:
        assert f"  {package / name}\n" in result.out
    for command in (f"pip install -e {package}", "ganframe train demo-gan", f"python -m pytest {package}/tests"):
        assert f"  {command}\n" in result.out


def test_the_package_is_a_small_complete_plugin_on_the_public_api(package, module):
    folder = package / "ganframe_demo_gan"
    for path in (folder / "__init__.py", folder / "components.py"):
        assert imports(path) <= PUBLIC_IMPORTS, (path.name, imports(path) - PUBLIC_IMPORTS)
        source = path.read_text()
        assert "TODO" not in source and "..." not in source
    assert "torch" not in imports(folder / "__init__.py")  # light: `ganframe list` imports it
    check = "import sys, ganframe_demo_gan; print(sorted({'torch', 'numpy'} & set(sys.modules)))"
    imported = subprocess.run([sys.executable, "-c", check], cwd=package, capture_output=True, text=True, check=True)
    assert imported.stdout == "[]\n"
    assert 80 <= sum(len(path.read_text().splitlines()) for path in folder.glob("*.py")) <= 120
    assert "update schedule" in importlib.import_module("ganframe_demo_gan.components").Round.__doc__
    plugins = fresh_plugins(module, entry_points=False)
    assert not plugins.broken
    assert plugins.registry.by_plugin()["ganframe_demo_gan"] == [
        ("data-sources", "demo-gan-data"),
        ("strategies", "demo-gan-round"),
        ("setups", "demo-gan"),
    ]
    config = Experiment.from_setup("demo-gan", device="cpu", plugins=plugins).config
    assert (config.generator.name, config.discriminator.name) == ("mlp", "mlp")
    assert (config.data.name, config.strategy.name) == ("demo-gan-data", "demo-gan-round")
    assert config.evaluation.metrics == ("two-sample",)
    assert config.train.steps <= 2000


def test_the_strategy_updates_d_then_g_through_the_trainer(module):
    experiment = Experiment.from_setup("demo-gan", device="cpu", plugins=fresh_plugins(module, entry_points=False))
    calls = []
    trainer = experiment.trainer
    for method in ("discriminator_step", "generator_step"):

        def spy(*args, _method=getattr(trainer, method), _name=method):  # noqa: B008 (binds this method)
            calls.append(_name)
            return _method(*args)

        setattr(trainer, method, spy)
    logs = experiment.strategy.train_round(trainer)
    assert calls == ["discriminator_step", "generator_step"]
    assert sorted(logs) == ["d_loss", "g_loss"]
    assert all(value.dim() == 0 and not value.requires_grad for value in logs.values())


def test_new_plugin_writes_into_the_current_folder_by_default(cli, tmp_path):
    assert Path.cwd() == tmp_path  # conftest's autouse fixture
    result = cli("new-plugin", "gan2-x")
    assert result.code == 0, result.err
    assert files_under(tmp_path / "ganframe-gan2-x") == [
        "README.md",
        "ganframe_gan2_x",
        "ganframe_gan2_x/__init__.py",
        "ganframe_gan2_x/components.py",
        "ganframe_gan2_x/py.typed",
        "pyproject.toml",
        "tests",
        "tests/test_gan2_x.py",
    ]
    assert "  pip install -e ./ganframe-gan2-x\n" in result.out


def test_new_plugin_fills_an_empty_folder(cli, tmp_path):
    (tmp_path / "ganframe-demo-gan").mkdir()
    assert cli("new-plugin", "demo-gan", "--dir", tmp_path).code == 0
    assert files_under(tmp_path / "ganframe-demo-gan") == sorted([*FILES, "tests", "ganframe_demo_gan"])


# -- refused: nothing written ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["Demo", "9lives", "demo_gan", "demo gan", "demo-", "demo--gan", "démo", "../evil", "demo/gan", ""]
)
def test_new_plugin_refuses_a_bad_name(cli, assert_usage_error, tmp_path, name):
    line = assert_usage_error(cli("new-plugin", name, "--dir", tmp_path))
    assert line == (
        f"ganframe: error: cannot use {name!r} as a plugin name: use lower-case letters, digits and "
        "'-' between them, starting with a letter (e.g. demo-gan)"
    )
    assert files_under(tmp_path) == []


def test_new_plugin_refuses_the_name_of_an_installed_plugin(cli, assert_usage_error, tmp_path):
    line = assert_usage_error(cli("new-plugin", "toy", "--dir", tmp_path))
    assert line == (
        "ganframe: error: a plugin called 'toy' is installed already (ganframe-toy 0); "
        "choose another name (see 'ganframe plugins')"
    )
    assert files_under(tmp_path) == []


def test_new_plugin_leaves_an_existing_folder_alone(cli, assert_usage_error, tmp_path, snapshot_of):
    target = tmp_path / "ganframe-demo-gan"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    line = assert_usage_error(cli("new-plugin", "demo-gan", "--dir", tmp_path))
    assert line == f"ganframe: error: {str(target)!r} already exists and is not empty; choose another name or folder"
    assert files_under(tmp_path) == ["ganframe-demo-gan", "ganframe-demo-gan/notes.txt"]
    assert (target / "notes.txt").read_text() == "keep me"


def test_new_plugin_refuses_a_file_in_the_way_and_a_missing_folder(cli, assert_usage_error, tmp_path):
    (tmp_path / "ganframe-demo-gan").write_text("a file")
    line = assert_usage_error(cli("new-plugin", "demo-gan", "--dir", tmp_path))
    assert "already exists and is not a folder" in line
    assert files_under(tmp_path) == ["ganframe-demo-gan"]
    line = assert_usage_error(cli("new-plugin", "demo-gan", "--dir", tmp_path / "missing"))
    assert line == f"ganframe: error: cannot write the plugin into {str(tmp_path / 'missing')!r}: no such folder"
    assert files_under(tmp_path) == ["ganframe-demo-gan"]


def test_new_plugin_into_an_unwritable_folder_is_one_line(cli, assert_usage_error):
    line = assert_usage_error(cli("new-plugin", "demo-gan", "--dir", "/proc"))
    assert line.startswith("ganframe: error: cannot write the plugin package '/proc/ganframe-demo-gan': ")


def test_a_failure_half_way_leaves_no_half_package(cli, assert_usage_error, tmp_path, monkeypatch):
    written = []
    write_text = Path.write_text

    def fail_on_the_third_file(self, *args, **kwargs):
        written.append(self.name)
        if len(written) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return write_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", fail_on_the_third_file)
    line = assert_usage_error(cli("new-plugin", "demo-gan", "--dir", tmp_path))
    assert line == (
        f"ganframe: error: cannot write the plugin package {str(tmp_path / 'ganframe-demo-gan')!r}: "
        "No space left on device"
    )
    assert len(written) == 3
    assert files_under(tmp_path) == []  # neither the package nor the folder it was written in first


# -- as a user would: pip install -e, ganframe train, pytest -------------------------------------------
@pytest.mark.slow  # 19-25 s here: a pip install and three fresh Python processes that import torch
def test_the_package_installs_trains_and_passes_its_own_tests(cli, tmp_path, user_environment):
    assert cli("new-plugin", "demo-gan", "--dir", tmp_path).code == 0
    user_environment.run(
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--no-cache-dir",
        "-e",
        tmp_path / "ganframe-demo-gan",
    )

    user_environment.run("ganframe", "train", "demo-gan", "--out", tmp_path / "run", "--quiet")
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["completed"] is True and report["setup"] == "demo-gan", report
    assert report["versions"]["plugins"]["demo-gan"] == "0.1.0"
    assert report["metrics"]["energy_p_value"] in {(1 + k) / (1 + PERMUTATIONS) for k in range(PERMUTATIONS + 1)}

    listed = user_environment.run("ganframe", "plugins").stdout
    assert "demo-gan  [ganframe-demo-gan 0.1.0]\n    data source: demo-gan-data\n" in listed, listed
    tested = user_environment.run("pytest", "-q", "-p", "no:cacheprovider", tmp_path / "ganframe-demo-gan" / "tests")
    assert " passed" in tested.stdout and "failed" not in tested.stdout, tested.stdout
