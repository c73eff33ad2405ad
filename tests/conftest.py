"""Shared fixtures: a loaded plugin set, a tiny experiment config, an in-process CLI and a trained run.

Everything trains on the CPU with a handful of rounds on batches of 16, so the suite stays fast on
two cores.

The core's tests need no bundled plugin: they use the test plugin ``toy`` (``tests/toy/ganframe_toy``),
which :func:`_toy_plugin` makes importable and discoverable through its entry point, in this process
and in the commands the tests start, without installing it. :func:`_no_bundled_plugin` fails a test
that imports a bundled plugin itself; tests of the bundled plugins together are in ``tests/integration``.
"""

from __future__ import annotations

import copy
import hashlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs
import pytest
from suite_layout import BUNDLED, INTEGRATION, TOY

from ganframe import Experiment, hookimpl
from ganframe.plugins import DISABLE_ENV
from ganframe.testing import fresh_plugins

#: A small but complete experiment on the toy plugin's 1-D data source.
TINY: dict = {
    "seed": 0,
    "device": "cpu",
    "data": {"name": "toy-1d", "mean": 4.0, "std": 1.25},
    "noise": {"name": "normal", "dim": 2},
    "generator": {"name": "mlp", "hidden": [8]},
    "discriminator": {"name": "mlp", "hidden": [8]},
    "train": {"steps": 6, "batch_size": 16, "log_every": 2},
    "evaluation": {"metrics": ["moments", "wasserstein", "ks"], "samples": 500},
}

#: Flags that shrink the toy setup's default preset for CLI runs.
TINY_CLI = [
    "--device",
    "cpu",
    "--quiet",
    "--set",
    "train.batch_size=16",
    "--set",
    "train.log_every=2",
    "--set",
    "evaluation.samples=500",
    "--set",
    "generator.hidden=[8]",
    "--set",
    "discriminator.hidden=[8]",
]


def _is_core_test(item: pytest.Item) -> bool:
    path = Path(item.path).resolve()
    return path.is_relative_to(INTEGRATION.parent) and not path.is_relative_to(INTEGRATION)


def pytest_collection_modifyitems(items):
    """The core's tests first, then the others (tests/integration, and plugins/ when collected too):
    the core's run before any test has loaded a bundled plugin itself (see :func:`_no_bundled_plugin`),
    and the toy plugin is gone before the others run (see :func:`pytest_runtest_teardown`)."""
    items.sort(key=lambda item: not _is_core_test(item))


class _ToyPlugin:
    """Puts the toy plugin's folder on ``sys.path`` and ``PYTHONPATH``, and takes it off again."""

    def __init__(self) -> None:
        self.shown = False
        self.pythonpath: str | None = None

    def show(self) -> None:
        import importlib

        if self.shown:
            return
        self.pythonpath = os.environ.get("PYTHONPATH")
        sys.path.insert(0, str(TOY))
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TOY), self.pythonpath]))
        importlib.invalidate_caches()
        self.shown = True

    def hide(self) -> None:
        if not self.shown:
            return
        if str(TOY) in sys.path:
            sys.path.remove(str(TOY))
        if self.pythonpath is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = self.pythonpath
        self.shown = False


_TOY = _ToyPlugin()


@pytest.fixture(scope="session", autouse=True)
def _toy_plugin():
    """The toy plugin, importable and found through its entry point ``toy`` (distribution
    ``ganframe-toy 0``) here and, through PYTHONPATH, in the commands the tests start."""
    _TOY.show()
    yield TOY
    _TOY.hide()


def pytest_runtest_teardown(item, nextitem):
    """After the last of the core's tests, the toy plugin goes: the tests that follow in the same
    session (tests/integration, plugins/) see the installed plugins only."""
    if nextitem is None or not _is_core_test(nextitem):
        _TOY.hide()


class _BundledPluginBlocker:
    """A meta path finder that refuses a bundled plugin's module unless ganframe loads it as an
    installed plugin (through its entry point)."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        top = name.split(".")[0]
        if top not in BUNDLED or top in sys.modules:  # a loaded plugin imports its own modules
            return None
        frame = sys._getframe(1)
        while frame is not None:
            if (
                frame.f_code.co_name == "_register_entry_point"
                and frame.f_globals.get("__name__") == "ganframe.plugins"
            ):
                return None
            frame = frame.f_back
        raise ImportError(
            f"a core test imported the bundled plugin module {name!r}: use the toy plugin "
            f"(tests/toy), or move the test to tests/integration"
        )


@pytest.fixture(autouse=True)
def _no_bundled_plugin():
    """Fails a test that imports a bundled plugin itself (tests/integration turns this off)."""
    blocker = _BundledPluginBlocker()
    sys.meta_path.insert(0, blocker)
    yield
    sys.meta_path.remove(blocker)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No test depends on the caller's GANFRAME_* variables or leaves a runs/ folder in the repo."""
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    monkeypatch.delenv("GANFRAME_TRACEBACK", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def plugins():
    """The built-in plugins and the toy plugin only, loaded once (experiments share it; hooks stay
    per experiment). Installed plugins are left out so that the names these tests expect do not
    depend on what is installed; the CLI tests see every installed plugin, and the toy one."""
    import ganframe_toy

    return fresh_plugins(ganframe_toy, entry_points=False)


@pytest.fixture(scope="session")
def installed_setups() -> str:
    """', '.join of every setup the installed plugins register, as error messages list them."""
    return ", ".join(fresh_plugins().registry.names("setups"))


@pytest.fixture
def tiny() -> dict:
    """A fresh deep copy of :data:`TINY` to modify."""
    return copy.deepcopy(TINY)


@pytest.fixture
def make_experiment(plugins) -> Callable[..., Experiment]:
    """``make_experiment(**dotted_overrides, callbacks=...)``: the tiny experiment, changed."""

    def make(callbacks=(), overrides=None, **dotted):
        changes = {key.replace("__", "."): value for key, value in dotted.items()} | dict(overrides or {})
        return Experiment.from_dict(TINY, overrides=changes, plugins=plugins, callbacks=callbacks)

    return make


@attrs.frozen
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys) -> Callable[..., CliResult]:
    """Run ``ganframe ARGS`` in this process; returns the exit code and what it printed."""
    from ganframe.cli import main

    def run(*argv: str | Path) -> CliResult:
        capsys.readouterr()
        try:
            code = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse usage errors exit through SystemExit
            code = exc.code
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def assert_usage_error() -> Callable[[CliResult], str]:
    """Exit status 2 and exactly one line on stderr, 'ganframe: error: ...', never a traceback."""

    def check(result: CliResult, prefix: str = "ganframe: error: ") -> str:
        assert result.code == 2, (result.code, result.err)
        assert "Traceback" not in result.err + result.out
        lines = result.err.splitlines()
        assert len(lines) == 1, result.err
        assert result.err.endswith("\n")
        assert lines[0].startswith(prefix), lines[0]
        return lines[0]

    return check


def snapshot(directory: Path) -> dict[str, str]:
    """Relative path → sha256 of every file under ``directory``: detects any change to a run."""
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """A finished 6-step run of the toy setup written by ``ganframe train``. Do not modify it."""
    from ganframe.cli import main

    run = tmp_path_factory.mktemp("trained") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(DISABLE_ENV, raising=False)
        assert main(["train", "toy", "--seed", "1", "--steps", "6", "--out", str(run), *TINY_CLI]) == 0
    return run


@pytest.fixture
def run_copy(trained_run, tmp_path) -> Path:
    """A copy of :func:`trained_run` that a test may change."""
    import shutil

    return Path(shutil.copytree(trained_run, tmp_path / "run-copy"))


@pytest.fixture(scope="session")
def snapshot_of() -> Callable[[Path], dict[str, str]]:
    return snapshot


@pytest.fixture(scope="session")
def tiny_cli() -> list[str]:
    """:data:`TINY_CLI`, for tests that build their own ``ganframe train`` command line."""
    return list(TINY_CLI)


@pytest.fixture(scope="session")
def argv_for() -> Callable[..., Sequence[str]]:
    """``argv_for(run_dir, seed=1, steps=6)``: a tiny ``ganframe train toy`` command line."""

    def build(out: Path, *, seed: int = 1, steps: int = 6, extra: Sequence[str] = ()) -> list[str]:
        return ["train", "toy", "--seed", str(seed), "--steps", str(steps), "--out", str(out), *TINY_CLI, *extra]

    return build


# -- throwaway plugin distributions, installed with pip into a folder of their own -----------------
MYPLUG = '''\
"""A throwaway ganframe plugin: a data source and a setup that uses it."""

import attrs
import torch

import ganframe


@attrs.frozen(kw_only=True)
class ConstantConfig:
    value: float = 2.0


class NearlyConstant(ganframe.Distribution):
    sample_shape = (1,)

    def __init__(self, value):
        self.value = value

    def sample(self, n, *, generator, device):
        return self.value + 0.1 * torch.randn(n, 1, generator=generator, device=device)


@ganframe.hookimpl
def register_data_sources(register):
    register("myplug-constant", lambda config, context: NearlyConstant(config.value),
             config=ConstantConfig, description="a constant with a little noise")


SMALL = {
    "data": {"name": "myplug-constant", "value": 3.0},
    "noise": {"name": "normal", "dim": 2},
    "generator": {"name": "mlp", "hidden": [8]},
    "discriminator": {"name": "mlp", "hidden": [8]},
    "train": {"steps": 3, "batch_size": 8, "log_every": 1},
    "evaluation": {"metrics": ["moments"], "samples": 200},
}


@ganframe.hookimpl
def register_setups(register):
    register("myplug-setup", {"small": SMALL}, default_preset="small", description="myplug's own recipe")
'''

BROKEN_IMPORT = """\
raise RuntimeError("cannot find libfoo")
"""

BROKEN_HOOK = """\
import torch

import ganframe


@ganframe.hookimpl
def register_generators(register):
    register("half-registered", lambda config, context: torch.nn.Identity())
    raise ValueError("bad generator table")
"""

BROKEN_ARGS = """\
import ganframe


@ganframe.hookimpl
def register_noise(registrar):  # the hook's argument is called register
    pass
"""

BROKEN_TYPO = """\
import ganframe


@ganframe.hookimpl
def register_generator(register):  # a typo: the hook is register_generators
    pass
"""


def _write_distribution(
    root: Path, name: str, version: str, modules: dict[str, str], entry_points: dict[str, str]
) -> Path:
    root.mkdir(parents=True)
    points = "\n".join(f'{key} = "{value}"' for key, value in entry_points.items())
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n\n'
        f"[project.entry-points.ganframe]\n{points}\n\n"
        f"[tool.setuptools]\npy-modules = {sorted(modules)!r}\n".replace("'", '"')
    )
    for module, text in modules.items():
        (root / f"{module}.py").write_text(text)
    return root


@pytest.fixture(scope="session")
def installed_site(tmp_path_factory) -> Path:
    """A site folder holding two pip-installed distributions: a working plugin and broken ones.

    ``ganframe-myplug 0.3.1`` (entry point ``myplug``) registers the data source ``myplug-constant``
    and the setup ``myplug-setup``. ``ganframe-broken 0.0.1`` has four entry points: one whose
    import fails, one whose registration hook raises, one implementing a hook that does not exist
    and one whose hook takes an argument the hook does not have.
    Put the folder on PYTHONPATH (or sys.path) to install them.
    """
    import subprocess
    import sys

    base = tmp_path_factory.mktemp("dists")
    good = _write_distribution(
        base / "myplug-dist", "ganframe-myplug", "0.3.1", {"myplug": MYPLUG}, {"myplug": "myplug"}
    )
    bad = _write_distribution(
        base / "broken-dist",
        "ganframe-broken",
        "0.0.1",
        {
            "broken_import": BROKEN_IMPORT,
            "broken_hook": BROKEN_HOOK,
            "broken_typo": BROKEN_TYPO,
            "broken_args": BROKEN_ARGS,
        },
        {
            "broken-import": "broken_import",
            "broken-hook": "broken_hook",
            "broken-typo": "broken_typo",
            "broken-args": "broken_args",
        },
    )
    site = base / "site"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(site),
            str(good),
            str(bad),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return site


@pytest.fixture
def with_installed(installed_site, monkeypatch) -> Path:
    """The throwaway distributions made importable (and discoverable) in this process."""
    monkeypatch.syspath_prepend(str(installed_site))
    return installed_site


class GlobalDraws:
    """A callback drawing from torch's global generator every round, as a plugin using dropout would."""

    def __init__(self) -> None:
        self.draws: list[float] = []

    @hookimpl
    def on_step_end(self):
        import torch

        self.draws.append(torch.rand(()).item())


@pytest.fixture
def global_draws() -> type[GlobalDraws]:
    """Make :class:`GlobalDraws` callbacks: ``global_draws()``."""
    return GlobalDraws


# -- a user's own virtual environment ----------------------------------------------------------------
class UserEnvironment:
    """A virtual environment of its own in which a test installs a package and runs ganframe, pip and
    pytest as ``python -m NAME``, the way a user would, leaving the test's environment as it was.

    It has no pip of its own: a .pth file adds this environment's site-packages, so that it sees the
    torch, pytest, pip and setuptools installed here, and ganframe itself (through its editable
    install's own .pth file, which ``site.addsitedir`` reads). What is installed goes into the new
    environment only. Commands run in ``cwd`` (the test's temporary folder), so the repository's
    pytest configuration and conftest stay out of them.
    """

    def __init__(self, folder: Path) -> None:
        import sys
        import sysconfig

        self.cwd = folder
        venv = folder / "venv"
        self._run([sys.executable, "-m", "venv", "--without-pip", venv])
        self.python = venv / "bin" / "python"
        inner = Path(
            self._run([self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
        )
        assert inner.is_relative_to(venv)
        (inner / "outer_environment.pth").write_text(
            f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n"
        )

    def run(self, module: str, *args: str | Path, timeout: float = 300):
        """``python -m MODULE ARGS`` in the environment; fails the test, with the output, unless it exits 0."""
        return self._run([self.python, "-m", module, *args], timeout=timeout)

    def run_in(self, folder: Path, program: str, *args: str | Path, timeout: float = 300):
        """``program ARGS`` (``python`` is the environment's) in ``folder``."""
        return self._run([self.python if program == "python" else program, *args], timeout=timeout, cwd=folder)

    def _run(self, args: list, timeout: float = 300, cwd: Path | None = None):
        import os
        import subprocess

        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTHON", "PIP_", "GANFRAME_", "VIRTUAL_ENV"))
        }
        environment |= {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
        done = subprocess.run(
            [str(a) for a in args],
            cwd=cwd or self.cwd,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"{' '.join(map(str, args))}\n{done.stdout}\n{done.stderr}"
        return done


@pytest.fixture
def user_environment(tmp_path) -> UserEnvironment:
    """A virtual environment of its own for this test (see :class:`UserEnvironment`)."""
    return UserEnvironment(tmp_path)
