"""Building components from their specs: factories called with their validated configs, network
extras applied, and every plugin failure turned into one line that names the component and plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs
import torch

from .components import BuildContext, network_of
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

    def make_checked(
        self,
        kind: str,
        spec: ComponentSpec | NetworkSpec,
        context: BuildContext,
        *,
        methods: tuple[str, ...] = (),
        instance_of: type | None = None,
        callable_: bool = False,
    ) -> Any:
        """:meth:`make`, then check that the factory returned what the kind needs: an instance of
        ``instance_of``, something callable, with ``methods``; otherwise one line naming the plugin."""
        made = self.make(kind, spec, context)
        wanted = []
        if instance_of is not None and not isinstance(made, instance_of):
            wanted.append(f"not a {instance_of.__module__}.{instance_of.__qualname__}")
        if callable_ and not callable(made):
            wanted.append("not callable")
        missing = [method for method in methods if not hasattr(made, method)]
        if missing:
            wanted.append(f"without {', '.join(missing)}")
        if wanted:
            raise PluginError(f"{self.describe(kind, spec.name)} built a {type(made).__name__}, {' and '.join(wanted)}")
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
                shape = self._extra_call(extra, f"{where}.extras", context, _reshaped, reshape, shape)
        if shape != context.sample_shape:
            context = attrs.evolve(context, network_shape=shape)
        network = self.make(kind, spec, context)
        if not isinstance(network, torch.nn.Module):
            raise PluginError(
                f"{self.describe(kind, spec.name)} built a {type(network).__name__}, not a torch.nn.Module"
            )
        for extra, apply in extras:
            network = self._extra_call(extra, f"{where}.extras", context, apply, network)
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
        if not callable(apply):
            raise PluginError(
                f"{where}: network extra {spec.name!r} built a {type(apply).__name__}, not a callable apply(network)"
            )
        return apply

    def _extra_call(
        self, spec: ComponentSpec, where: str, context: BuildContext, call: Callable[..., Any], *args: Any
    ) -> Any:
        """``call(*args)``, a step of network extra ``spec``; its errors name the extra and the network."""
        try:
            return call(*args)
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


def _reshaped(network_shape: Callable[[tuple[int, ...]], Any], shape: tuple[int, ...]) -> tuple[int, ...]:
    """A network extra's ``network_shape(shape)`` as a shape: a tuple of positive ints."""
    value = network_shape(shape)
    shape = tuple(value)
    if not shape or not all(isinstance(n, int) and n > 0 for n in shape):
        raise ValueError(f"network_shape gave {value!r}, not a shape of positive whole numbers")
    return shape
