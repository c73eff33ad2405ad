"""Builds the plugin manager: built-in plugins, entry points in the group ``ganframe``, disabling.

Nothing is loaded at import time: :func:`load_plugins` builds a fresh manager and registry each
time it is called (imports are cached by Python, so this is cheap after the first call). A plugin
that fails to import, to register its hooks, or inside a registration hook is recorded as broken,
with its error, and everything it registered is dropped; the rest keep working.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import logging
import os
from collections.abc import Iterable, Mapping
from typing import Any

import attrs
import pluggy

from . import hookspecs
from .errors import GanframeError, PluginError
from .registry import KIND_HOOKS, Registry

log = logging.getLogger("ganframe")

ENTRY_POINT_GROUP = "ganframe"
DISABLE_ENV = "GANFRAME_DISABLE_PLUGINS"

#: The default plugins of the core, registered before any third-party plugin: components, then
#: what a run leaves behind (run files, figures, report.html, TensorBoard), each a lifecycle plugin
#: that can be disabled or replaced like any other.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "ganframe.builtin.data",
    "ganframe.builtin.noise",
    "ganframe.builtin.networks",
    "ganframe.builtin.losses",
    "ganframe.builtin.strategies",
    "ganframe.builtin.optimizers",
    "ganframe.builtin.metrics",
    "ganframe.runs",
    "ganframe.divergence",
    "ganframe.plots.writer",
    "ganframe.plots.figures",
    "ganframe.html_report",
    "ganframe.tensorboard",
)

#: Hooks whose implementations ganframe calls one plugin at a time, so they cannot be wrappers.
CALLED_ONE_BY_ONE = ("on_exception", "draw_figures")


@attrs.frozen
class PluginInfo:
    """What ``ganframe plugins`` shows about one plugin."""

    name: str
    distribution: str | None
    version: str | None
    error: str | None = None

    @property
    def broken(self) -> bool:
        return self.error is not None


@attrs.define
class Plugins:
    """A loaded plugin manager with its registry and a record of every plugin seen."""

    manager: pluggy.PluginManager
    registry: Registry
    infos: list[PluginInfo]
    disabled: frozenset[str]
    # Names asked to be disabled that match no plugin: most likely typos, which the CLI warns about.
    unmatched_disabled: frozenset[str] = frozenset()

    @property
    def broken(self) -> list[PluginInfo]:
        return [info for info in self.infos if info.broken]

    def lifecycle_manager(self, callbacks: Iterable[object] = ()) -> pluggy.PluginManager:
        """A manager of its own for one experiment: every loaded plugin plus ``callbacks``.

        Callbacks (progress bars, run writers, a notebook's logger) are objects or modules with
        lifecycle hook implementations; they belong to one experiment and never leak into another
        that shares these plugins.
        """
        manager = pluggy.PluginManager("ganframe")
        manager.add_hookspecs(hookspecs)
        for name, plugin in self.manager.list_name_plugin():
            manager.register(plugin, name=name)
        for index, callback in enumerate(callbacks):
            add_callback(manager, callback, f"callback-{index}-{type(callback).__name__}")
        return manager


def add_callback(manager: pluggy.PluginManager, callback: object, name: str) -> None:
    """Register one callback object; a hook that does not exist is an error naming it."""
    if manager.is_registered(callback):
        return
    try:
        manager.register(callback, name=name)
    except (ValueError, pluggy.PluginValidationError) as exc:
        raise PluginError(f"callback {type(callback).__name__}: {_one_line(exc)}") from exc
    problems = _drop_unknown_hooks(manager)
    if name in problems:
        raise PluginError(f"callback {type(callback).__name__} {problems[name]}")


def call_each(manager: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Call ``hook_name`` for each plugin on its own, in pluggy's order: one that raises is logged as
    a warning and the others still run (cleaning up after a failure, drawing figures)."""
    for impl in reversed(getattr(manager.hook, hook_name).get_hookimpls()):
        try:
            impl.function(**{name: kwargs[name] for name in impl.argnames})
        except (Exception, SystemExit) as exc:
            log.warning("plugin %r failed in %s: %s", impl.plugin_name, hook_name, exc)


def disabled_from_environment(environ: Mapping[str, str] | None = None) -> set[str]:
    """Plugin names listed, comma-separated, in ``GANFRAME_DISABLE_PLUGINS``."""
    value = (os.environ if environ is None else environ).get(DISABLE_ENV, "")
    return {name.strip() for name in value.split(",") if name.strip()}


def load_plugins(
    disabled: Iterable[str] = (),
    *,
    extra: Iterable[object] = (),
    entry_points: bool = True,
    use_environment: bool = True,
) -> Plugins:
    """Build a plugin manager and fill a registry from built-in and installed plugins.

    ``disabled`` names plugins (entry-point names or built-in module names) not to load; names in
    ``GANFRAME_DISABLE_PLUGINS`` are added unless ``use_environment`` is False. ``extra`` are
    plugin objects (modules or instances) registered after the installed ones, as a test or a
    notebook would.
    """
    blocked = frozenset(disabled) | (frozenset(disabled_from_environment()) if use_environment else frozenset())
    manager = pluggy.PluginManager("ganframe")
    manager.add_hookspecs(hookspecs)
    infos: list[PluginInfo] = []
    seen: set[str] = set(BUILTIN_PLUGINS)
    version = _version("ganframe")

    for module_name in BUILTIN_PLUGINS:
        if module_name in blocked:
            continue
        manager.register(importlib.import_module(module_name), name=module_name)
        infos.append(PluginInfo(module_name, "ganframe", version))

    if entry_points:
        for entry_point in sorted(_entry_points(), key=lambda ep: ep.name):
            seen.add(entry_point.name)
            if entry_point.name in blocked:
                continue
            dist = entry_point.dist
            dist_name = dist.metadata["Name"] if dist is not None else None
            dist_version = dist.version if dist is not None else None
            error = _register_entry_point(manager, entry_point)
            infos.append(PluginInfo(entry_point.name, dist_name, dist_version, error))

    for index, plugin in enumerate(extra):
        name = getattr(plugin, "__name__", None) or f"extra-{index}-{type(plugin).__name__}"
        seen.add(name)
        if name in blocked:
            continue
        try:
            manager.register(plugin, name=name)
            infos.append(PluginInfo(name, None, None))
        except (ValueError, pluggy.PluginValidationError) as exc:
            infos.append(PluginInfo(name, None, None, f"cannot register: {_one_line(exc)}"))

    problems = _drop_unknown_hooks(manager)
    infos = [_with_error(info, problems.get(info.name)) for info in infos]

    registry = Registry()
    errors = _fill_registry(manager, registry)
    infos = [_with_error(info, errors.get(info.name)) for info in infos]
    return Plugins(manager, registry, infos, blocked, blocked - seen)


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    return list(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


def _register_entry_point(manager: pluggy.PluginManager, entry_point: Any) -> str | None:
    """Import and register one entry point; the error as one line, or None when it worked."""
    with _signals_noted() as signalled:
        try:
            plugin = entry_point.load()
        except KeyboardInterrupt as exc:
            if signalled:  # the user pressed Ctrl-C (or a stop signal came) while the plugin imported
                raise
            return f"failed to import {entry_point.value}: raised {type(exc).__name__} (not a signal): {exc}"
        except SystemExit as exc:  # sys.exit() in a plugin must not end every ganframe command
            return f"failed to import {entry_point.value}: called sys.exit({exc.code!r})"
        except BaseException as exc:  # any import-time failure of third-party code
            return f"failed to import {entry_point.value}: {type(exc).__name__}: {_one_line(exc)}"
    try:
        manager.register(plugin, name=entry_point.name)
    except ValueError as exc:
        return f"cannot register: {_one_line(exc)}"
    except pluggy.PluginValidationError as exc:
        return f"invalid hook implementation: {_one_line(exc)}"
    return None


@contextlib.contextmanager
def _signals_noted():
    """Inside the block, a real Ctrl-C (or SIGTERM, SIGHUP) is noted in the yielded list before it
    interrupts, so that a KeyboardInterrupt a plugin raises itself can be told from the user's."""
    from . import stopping

    signalled: list[int] = []

    def note(signum, frame):
        signalled.append(signum)
        raise stopping.Terminated(signum)

    with stopping.handling(note):
        yield signalled


def _one_line(exc: BaseException) -> str:
    """pluggy's validation messages span several lines; a plugin's error is shown as one."""
    return "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())


def _drop_unknown_hooks(manager: pluggy.PluginManager) -> dict[str, str]:
    """Unregister plugins implementing hooks that do not exist (typos), or wrapping a hook that
    ganframe calls one plugin at a time; plugin name → error.

    This is pluggy's ``check_pending()``, but it names the plugin and leaves the others loaded.
    """
    problems: dict[str, str] = {}
    for name, hook in vars(manager.hook).items():
        for impl in hook.get_hookimpls():
            if not hook.has_spec():
                if not impl.optionalhook:
                    problems[impl.plugin_name] = (
                        f"implements {name!r}, which is not a ganframe hook; docs/hooks.md lists them"
                    )
            elif (impl.wrapper or impl.hookwrapper) and (name.startswith("register_") or name in CALLED_ONE_BY_ONE):
                problems[impl.plugin_name] = (
                    f"implements {name!r} as a wrapper; ganframe calls that hook one plugin at a time, so it "
                    "cannot be wrapped (drop wrapper=True)"
                )
    for plugin_name in problems:
        plugin = manager.get_plugin(plugin_name)
        if plugin is not None:
            manager.unregister(plugin, name=plugin_name)
    return problems


def _fill_registry(manager: pluggy.PluginManager, registry: Registry) -> dict[str, str]:
    """Call every registration hook, one implementation at a time, to know who registered what."""
    errors: dict[str, str] = {}
    for kind, hook_name in KIND_HOOKS.items():
        caller = getattr(manager.hook, hook_name)
        # get_hookimpls() lists the first registered first: keep registration order.
        for impl in caller.get_hookimpls():
            if impl.plugin_name in errors:
                continue
            register = registry.register_callback(kind, impl.plugin_name)
            arguments = {"register": register}
            try:
                impl.function(**{arg: arguments[arg] for arg in impl.argnames})
            except GanframeError as exc:
                errors[impl.plugin_name] = str(exc)
            except SystemExit as exc:
                errors[impl.plugin_name] = f"called sys.exit({exc.code!r}) in {hook_name}"
            except Exception as exc:  # third-party code: report, do not crash
                errors[impl.plugin_name] = f"failed in {hook_name}: {type(exc).__name__}: {exc}"
    for plugin_name in errors:
        registry.remove_plugin(plugin_name)
        plugin = manager.get_plugin(plugin_name)
        if plugin is not None:
            manager.unregister(plugin, name=plugin_name)
    return errors


def _with_error(info: PluginInfo, error: str | None) -> PluginInfo:
    return info if error is None or info.error else attrs.evolve(info, error=error)


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
