"""The local plugins under plugins/ and what each one's tests need installed.

    python tools/plugin_deps.py names            # the plugins' folder names, one per line
    python tools/plugin_deps.py resolve NAME     # NAME's folder name (NAME: "mnist", "ganframe-mnist" or
                                                 # "plugins/ganframe-mnist"); exit 2 with one line if unknown
    python tools/plugin_deps.py deps NAME        # NAME and the local plugins it needs, dependencies first
    python tools/plugin_deps.py verify NAME      # run by an environment's python: its ganframe entry points
                                                 # are those of NAME and its dependencies only (else exit 1)
    python tools/plugin_deps.py check            # every local dependency exists, no cycle, and the test
                                                 # helper modules' names are unique across test folders

A plugin's tests run with the core, the plugin and the local plugins it needs: those named in its
pyproject.toml's ``dependencies`` and ``[project.optional-dependencies] test``, then transitively their
``dependencies``. Only standard-library modules, so it runs before any virtual environment exists.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ROOT / "plugins"
#: Test folders whose helper modules share one import namespace when everything is collected together.
TEST_FOLDERS = ["tests", "tests/integration", *(f"plugins/{p.name}/tests" for p in sorted(PLUGINS.glob("ganframe-*")))]


class UsageError(Exception):
    pass


def project_name(requirement: str) -> str:
    """``"ganframe-extras>=0.1; python_version>'3'"`` → ``"ganframe-extras"`` (normalised)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    if not match:
        raise UsageError(f"cannot read the requirement {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def local_plugins() -> dict[str, dict]:
    """Distribution name → ``{"folder": ..., "project": ...}`` for every plugins/*/pyproject.toml."""
    found = {}
    for pyproject in sorted(PLUGINS.glob("*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        found[project_name(project["name"])] = {"folder": pyproject.parent.name, "project": project}
    return found


def resolve(name: str, plugins: dict[str, dict]) -> str:
    folders = {info["folder"]: dist for dist, info in plugins.items()}
    key = name.strip().rstrip("/").removeprefix("plugins/")
    for candidate in (key, f"ganframe-{key}"):
        if candidate in folders:
            return candidate
    short = " ".join(sorted(folder.removeprefix("ganframe-") for folder in folders))
    raise UsageError(f"unknown plugin {name!r}; the plugins are: {short}")


def local_requirements(project: dict, plugins: dict[str, dict], *, with_test: bool) -> list[str]:
    requirements = list(project.get("dependencies", []))
    if with_test:
        requirements += project.get("optional-dependencies", {}).get("test", [])
    return [name for name in map(project_name, requirements) if name in plugins]


def deps(folder: str, plugins: dict[str, dict]) -> list[str]:
    """``folder``'s plugin and every local plugin it needs, as folder names, each after its dependencies."""
    by_folder = {info["folder"]: dist for dist, info in plugins.items()}
    ordered: list[str] = []
    visiting: list[str] = []

    def visit(dist: str) -> None:
        if dist in ordered:
            return
        if dist in visiting:
            raise UsageError(f"dependency cycle: {' -> '.join([*visiting, dist])}")
        visiting.append(dist)
        for needed in local_requirements(plugins[dist]["project"], plugins, with_test=False):
            visit(needed)
        visiting.pop()
        ordered.append(dist)

    # The plugin with what it needs to run, then what its tests need: a test extra may need a plugin
    # that itself depends on this one (the extras' tests train the even setup, which uses the extras).
    top = by_folder[folder]
    visit(top)
    for needed in local_requirements(plugins[top]["project"], plugins, with_test=True):
        visit(needed)
    return [plugins[dist]["folder"] for dist in ordered]


def check(plugins: dict[str, dict]) -> list[str]:
    problems = []
    for info in plugins.values():
        project = info["project"]
        for requirement in [
            *project.get("dependencies", []),
            *project.get("optional-dependencies", {}).get("test", []),
        ]:
            name = project_name(requirement)
            if name.startswith("ganframe-") and name not in plugins:
                problems.append(f"{info['folder']}: needs {name}, which is not under plugins/")
        try:
            deps(info["folder"], plugins)
        except UsageError as exc:
            problems.append(f"{info['folder']}: {exc}")
    # Helper modules (not test_*.py, not conftest.py) are imported by their plain name: two with one
    # name would shadow each other when all test folders are collected in one run.
    helpers = defaultdict(list)
    for folder in TEST_FOLDERS:
        for path in sorted((ROOT / folder).glob("*.py")):
            if path.name != "conftest.py" and not path.name.startswith("test_") and path.name != "__init__.py":
                helpers[path.stem].append(str(path.relative_to(ROOT)))
    problems += [
        f"helper module name {stem!r} used twice: {', '.join(paths)}"
        for stem, paths in helpers.items()
        if len(paths) > 1
    ]
    return problems


def verify(folder: str, plugins: dict[str, dict]) -> list[str]:
    """Problems with the running environment's ganframe entry points for ``folder``'s tests; prints them."""
    import importlib.metadata

    wanted = {dist for dist, info in plugins.items() if info["folder"] in deps(folder, plugins)}
    points = sorted(importlib.metadata.entry_points(group="ganframe"), key=lambda point: point.name)
    found = {project_name(point.dist.name) for point in points if point.dist is not None}
    print(f"{folder}: {sys.prefix}: entry points {', '.join(point.name for point in points) or '(none)'}")
    problems = [f"{dist} is installed here but {folder}'s tests must not see it" for dist in sorted(found - wanted)]
    return problems + [f"{dist} is missing" for dist in sorted(wanted - found)]


def main(argv: list[str]) -> int:
    plugins = local_plugins()
    try:
        match argv:
            case ["names"]:
                print("\n".join(sorted(info["folder"] for info in plugins.values())))
            case ["resolve", name]:
                print(resolve(name, plugins))
            case ["deps", name]:
                print(" ".join(deps(resolve(name, plugins), plugins)))
            case ["verify", name]:
                problems = verify(resolve(name, plugins), plugins)
                for problem in problems:
                    print(f"plugin_deps: {problem}", file=sys.stderr)
                return 1 if problems else 0
            case ["check"]:
                problems = check(plugins)
                for problem in problems:
                    print(f"plugin_deps: {problem}", file=sys.stderr)
                return 1 if problems else 0
            case _:
                raise UsageError("usage: plugin_deps.py names | resolve NAME | deps NAME | verify NAME | check")
    except UsageError as exc:
        print(f"plugin_deps: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
