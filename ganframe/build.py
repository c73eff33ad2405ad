"""Building components from their specs: factories called with their validated configs, network
extras applied, and every plugin failure turned into one line that names the component and plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

import attrs
import torch

from .components import BuildContext, NetworkExtra, is_protocol, missing_members, network_of
from .config import ComponentSpec, NetworkSpec
from .errors import ConfigError, GanframeError, PluginError
from .registry import SINGULAR, Registry


class Builder:
    """Makes the components an experiment names, from one registry."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def describe(self, kind: str, name: str) -> str:
        """``loss 'hinge' (plugin 'extras')``: how messages name a component."""
        return f"{SINGULAR[kind]} {name!r} (plugin {self.registry.component(kind, name).plugin!r})"

    def make(self, kind: str, spec: ComponentSpec | NetworkSpec, context: BuildContext) -> Any:
        """``factory(config, context)`` of the component ``spec`` names."""
        component = self.registry.component(kind, spec.name)
        context = attrs.evolve(context, building=self.describe(kind, spec.name))
        try:
            return component.factory(spec.config, context)
        except GanframeError:
            raise
        except (Exception, SystemExit) as exc:  # SystemExit: a plugin's sys.exit() must not end the command
            raise PluginError(
                f"building {SINGULAR[kind]} {spec.name!r} (plugin {component.plugin!r}) failed: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

    def make_checked(self, kind: str, spec: ComponentSpec | NetworkSpec, context: BuildContext, interface: type) -> Any:
        """:meth:`make`, then check that the factory returned an ``interface`` (a class, or a
        runtime-checkable Protocol of :mod:`ganframe.components`); otherwise one line naming the
        plugin and what is missing: ``loss 'x' (plugin 'y') built a dict, without generator_loss``.

        (Typed ``Any``: type checkers refuse a Protocol class where ``type[T]`` is expected.)"""
        made = self.make(kind, spec, context)
        wanted = shortfall(made, interface)
        if wanted:
            raise PluginError(f"{self.describe(kind, spec.name)} built a {type(made).__name__}, {wanted}")
        return made

    def network(self, kind: str, spec: NetworkSpec, context: BuildContext, where: str) -> torch.nn.Module:
        """The network of one role, with its extras applied in order.

        The extras are made first: one with ``network_shape`` changes the example shape the network
        is built for (``context.sample_shape``), and its ``apply`` makes the network take the data's
        examples again."""
        extras = [(extra, self._make_extra(extra, context, f"{where}.extras")) for extra in spec.extras]
        shape = context.sample_shape
        for extra, apply in extras:
            reshape = getattr(apply, "network_shape", None)
            if reshape is not None:
                shape = self._extra_call(extra, f"{where}.extras", context, partial(_new_shape, reshape, shape))
        if shape != context.sample_shape:
            context = attrs.evolve(context, network_shape=shape)
        network = self.make(kind, spec, context)
        if not isinstance(network, torch.nn.Module):
            raise PluginError(
                f"{self.describe(kind, spec.name)} built a {type(network).__name__}, not a torch.nn.Module"
            )
        for extra, apply in extras:
            network = self._extra_call(extra, f"{where}.extras", context, partial(apply, network))
            if not isinstance(network, torch.nn.Module):
                raise PluginError(
                    f"{where}.extras: network extra {extra.name!r} returned a {type(network).__name__}, "
                    "not a torch.nn.Module"
                )
        return network

    def _make_extra(self, spec: ComponentSpec, context: BuildContext, where: str) -> Any:
        """The network extra ``spec``'s ``apply`` callable."""
        apply = self._extra_call(
            spec,
            where,
            context,
            lambda: self.registry.component("network-extras", spec.name).factory(spec.config, context),
        )
        if not isinstance(apply, NetworkExtra):
            raise PluginError(
                f"{where}: network extra {spec.name!r} built a {type(apply).__name__}, not a callable apply(network)"
            )
        return apply

    def _extra_call(self, spec: ComponentSpec, where: str, context: BuildContext, call: Callable[[], Any]) -> Any:
        """``call()``, a step of network extra ``spec``; its errors name the extra and the network."""
        try:
            return call()
        except GanframeError:
            raise
        except ValueError as exc:  # the extra refuses this network or role: a configuration mistake
            raise ConfigError(f"{where}: {spec.name!r} cannot be applied to this {context.role}: {exc}") from exc
        except (Exception, SystemExit) as exc:
            plugin = self.registry.component("network-extras", spec.name).plugin
            raise PluginError(
                f"{where}: network extra {spec.name!r} (plugin {plugin!r}) failed: {type(exc).__name__}: {exc}"
            ) from exc

    def check_roles(self, component: Any, kind: str, name: str, networks: Mapping[str, torch.nn.Module]) -> None:
        """A strategy's or loss's ``roles`` (what it uses besides G and D) must all exist."""
        wanted = getattr(component, "roles", ())
        if isinstance(wanted, str) or not all(isinstance(role, str) for role in wanted):
            raise PluginError(f"{self.describe(kind, name)}: 'roles' must be a tuple of role names, got {wanted!r}")
        for role in wanted:
            network_of(networks, role, self.describe(kind, name))


def shortfall(made: object, interface: type) -> str:
    """Why ``made`` is not an ``interface``, for a message; empty when it is one.

    A Protocol's missing members are named (``without dim, sample``; a missing ``__call__`` is
    ``not callable``); any other class is named whole (``not a torch.optim.optimizer.Optimizer``)."""
    if isinstance(made, interface):
        return ""
    missing = missing_members(made, interface) if is_protocol(interface) else ()
    wanted = ["not callable"] if "__call__" in missing else []
    if others := [name for name in missing if name != "__call__"]:
        wanted.append(f"without {', '.join(others)}")
    return " and ".join(wanted) or f"not a {interface.__module__}.{interface.__qualname__}"


def _new_shape(reshape: Callable[[tuple[int, ...]], Any], shape: tuple[int, ...]) -> tuple[int, ...]:
    """What a network extra's ``network_shape`` makes of ``shape``, checked to be a shape."""
    return _shape(reshape(shape))


def _shape(value: Any) -> tuple[int, ...]:
    """A network extra's ``network_shape`` result as a shape: a tuple of positive ints."""
    shape = tuple(value)
    if not shape or not all(isinstance(n, int) and n > 0 for n in shape):
        raise ValueError(f"network_shape gave {value!r}, not a shape of positive whole numbers")
    return shape
