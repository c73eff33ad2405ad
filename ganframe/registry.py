"""Name → component maps, one per kind, filled through the ``register`` callback of each hook.

The registry owns naming rules and collision errors: a plugin never writes to it directly, it
calls the ``register`` function ganframe hands to its registration hook.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from .errors import ConfigError, DuplicateNameError, PluginError, UnknownNameError

#: kind → the registration hook that fills it. The kind names are what ``ganframe list`` takes.
KIND_HOOKS: dict[str, str] = {
    "data-sources": "register_data_sources",
    "noise": "register_noise",
    "generators": "register_generators",
    "discriminators": "register_discriminators",
    "networks": "register_networks",
    "network-extras": "register_network_extras",
    "losses": "register_losses",
    "strategies": "register_strategies",
    "optimizers": "register_optimizers",
    "metrics": "register_metrics",
    "setups": "register_setups",
}

#: kind → how one of it is called in messages ("unknown generator 'x'").
SINGULAR: dict[str, str] = {
    "data-sources": "data source",
    "noise": "noise",
    "generators": "generator",
    "discriminators": "discriminator",
    "networks": "network",
    "network-extras": "network extra",
    "losses": "loss",
    "strategies": "strategy",
    "optimizers": "optimizer",
    "metrics": "metric",
    "setups": "setup",
}

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
#: ``PLUGIN:NAME`` picks one plugin's registration of a name that two plugins registered.
QUALIFIER = ":"


@attrs.frozen
class Component:
    """One registered component: how to build it and how to validate its options."""

    kind: str
    name: str
    factory: Callable[[Any, Any], Any]
    config: type | None
    description: str
    plugin: str

    def make_config(self, options: Mapping[str, Any], where: str) -> Any:
        """Validate ``options`` into this component's config class (``where`` prefixes errors)."""
        from .config import structure_options

        return structure_options(self.config, options, where)


@attrs.frozen
class Setup:
    """A named experiment recipe: preset name → configuration dict."""

    name: str
    presets: Mapping[str, Mapping[str, Any]]
    default_preset: str
    description: str
    plugin: str

    kind = "setups"

    def preset(self, name: str | None) -> dict[str, Any]:
        """A deep copy of preset ``name`` (the default preset when None)."""
        import copy

        chosen = self.default_preset if name is None else name
        if not isinstance(chosen, str):
            raise ConfigError(
                f"a preset of setup {self.name!r} is named by a string, got {chosen!r}; "
                f"available: {', '.join(sorted(self.presets))}"
            )
        if chosen not in self.presets:  # "" included: an empty name is no way to ask for the default
            raise UnknownNameError(f"preset of setup {self.name!r}", chosen, self.presets)
        return copy.deepcopy(dict(self.presets[chosen]))


class Registry:
    """Registered components by kind, with the plugin that registered each."""

    def __init__(self) -> None:
        # kind → name → registrations; more than one registration is a conflict, reported on use.
        self._entries: dict[str, dict[str, list[Component | Setup]]] = {k: {} for k in KIND_HOOKS}

    # -- filling ---------------------------------------------------------------------------
    def register_callback(self, kind: str, plugin: str) -> Callable[..., None]:
        """The ``register`` function handed to ``plugin``'s hook for ``kind``."""
        if kind == "setups":

            def register_setup(
                name: str,
                presets: Mapping[str, Mapping[str, Any]],
                *,
                default_preset: str = "default",
                description: str = "",
            ) -> None:
                self._check_name(kind, name, plugin)
                if not isinstance(presets, Mapping) or not presets:
                    raise PluginError(f"setup {name!r} from plugin {plugin!r} has no presets")
                for preset, value in presets.items():
                    if not isinstance(value, Mapping):
                        raise PluginError(
                            f"preset {preset!r} of setup {name!r} from plugin {plugin!r} "
                            f"must be a dict, got {type(value).__name__}"
                        )
                if default_preset not in presets:
                    raise PluginError(
                        f"setup {name!r} from plugin {plugin!r}: default preset "
                        f"{default_preset!r} is not one of {sorted(presets)}"
                    )
                self._add(Setup(name, dict(presets), default_preset, description, plugin))

            return register_setup

        def register(
            name: str,
            factory: Callable[[Any, Any], Any],
            *,
            config: type | None = None,
            description: str = "",
        ) -> None:
            self._check_name(kind, name, plugin)
            if not callable(factory):
                raise PluginError(f"{SINGULAR[kind]} {name!r} from plugin {plugin!r}: factory is not callable")
            if config is not None and not attrs.has(config):
                raise PluginError(f"{SINGULAR[kind]} {name!r} from plugin {plugin!r}: config must be an attrs class")
            self._add(Component(kind, name, factory, config, description or _first_line(factory), plugin))

        return register

    def _check_name(self, kind: str, name: object, plugin: str) -> None:
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise PluginError(
                f"plugin {plugin!r} registered the {SINGULAR[kind]} name {name!r}; names are "
                "lower-case letters, digits, '-', '_' and '.'"
            )

    def _add(self, entry: Component | Setup) -> None:
        entries = self._entries[entry.kind].setdefault(entry.name, [])
        if any(e.plugin == entry.plugin for e in entries):
            raise PluginError(
                f"plugin {entry.plugin!r} registered the {SINGULAR[entry.kind]} {entry.name!r} twice; "
                "register each name once per kind"
            )
        entries.append(entry)

    def remove_plugin(self, plugin: str) -> None:
        """Forget everything ``plugin`` registered (used when one of its hooks failed)."""
        for entries in self._entries.values():
            for name in list(entries):
                kept = [e for e in entries[name] if e.plugin != plugin]
                if kept:
                    entries[name] = kept
                else:
                    del entries[name]

    # -- reading ---------------------------------------------------------------------------
    def get(self, kind: str, name: str) -> Component | Setup:
        """The component ``name`` of ``kind``; unknown or conflicting names raise clear errors.

        ``PLUGIN:NAME`` names the registration of one plugin when several registered ``NAME``.
        """
        if kind not in self._entries:
            raise UnknownNameError("component kind", kind, KIND_HOOKS)
        plugin, qualified, bare = str(name).rpartition(QUALIFIER)
        found = self._entries[kind].get(bare)
        if not found:
            raise UnknownNameError(SINGULAR[kind], str(name), self.names(kind))
        if qualified:  # PLUGIN:NAME (':NAME' names no plugin: an error, not the bare NAME)
            chosen = [e for e in found if e.plugin == plugin]
            if not chosen:
                raise UnknownNameError(f"plugin for the {SINGULAR[kind]} {bare!r}:", plugin, [e.plugin for e in found])
            return chosen[0]
        if len(found) > 1:
            plugins = " and ".join(repr(e.plugin) for e in found)
            choices = " or ".join(repr(f"{e.plugin}{QUALIFIER}{bare}") for e in found)
            raise DuplicateNameError(
                f"{SINGULAR[kind]} {bare!r} is registered by more than one plugin: {plugins}; name the one you "
                f"mean as {choices}, or disable one with --disable-plugin NAME or GANFRAME_DISABLE_PLUGINS"
            )
        return found[0]

    def setup(self, name: str) -> Setup:
        """The setup called ``name``."""
        entry = self.get("setups", name)
        assert isinstance(entry, Setup)
        return entry

    def component(self, kind: str, name: str) -> Component:
        """The component (not setup) called ``name`` of ``kind``."""
        entry = self.get(kind, name)
        assert isinstance(entry, Component)
        return entry

    def names(self, kind: str) -> list[str]:
        """Sorted names registered for ``kind`` (conflicting names included)."""
        return sorted(self._entries[kind])

    def entries(self, kind: str) -> list[Component | Setup]:
        """Every registration of ``kind`` sorted by name, conflicting ones included."""
        return [e for name in sorted(self._entries[kind]) for e in self._entries[kind][name]]

    def conflicts(self) -> dict[tuple[str, str], list[str]]:
        """(kind, name) → the plugins that all registered it, for names registered twice."""
        return {
            (kind, name): [e.plugin for e in found]
            for kind, entries in self._entries.items()
            for name, found in entries.items()
            if len(found) > 1
        }

    def name_for_config(self, kind: str, config: object) -> str:
        """The component name of ``kind`` whose config class ``config`` is an instance of."""
        names = sorted({e.name for e in self.entries(kind) if isinstance(e, Component) and e.config is type(config)})
        if len(names) > 1:  # e.g. one BCEConfig for several losses: do not pick one silently
            raise ConfigError(
                f"{type(config).__name__} is the config of more than one {SINGULAR[kind]}: {', '.join(names)}; "
                f"name the one you mean, e.g. ({names[0]!r}, {type(config).__name__}(...))"
            )
        if names:
            return names[0]
        known = [e.config.__name__ for e in self.entries(kind) if isinstance(e, Component) and e.config is not None]
        raise UnknownNameError(f"{SINGULAR[kind]} config class", type(config).__name__, known)

    def by_plugin(self) -> dict[str, list[tuple[str, str]]]:
        """plugin name → the (kind, name) pairs it registered."""
        owned: dict[str, list[tuple[str, str]]] = {}
        for kind in self._entries:
            for entry in self.entries(kind):
                owned.setdefault(entry.plugin, []).append((kind, entry.name))
        return owned


def _first_line(obj: object) -> str:
    doc = getattr(obj, "__doc__", None) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""
