"""Network extras that change what a network is built for (``network_shape``): the factory sees the
new example shape, extras compose in order, and a wrong shape is one line naming the extra."""

from __future__ import annotations

from typing import ClassVar

import pytest
import torch
from torch import nn

import ganframe
from ganframe import ConfigError, Experiment, PluginError
from ganframe.testing import fresh_plugins


class Doubling:
    """Builds D for examples of twice the width; feeds it each example repeated twice."""

    def __init__(self, result=None) -> None:
        self.result = result

    def network_shape(self, shape):
        return self.result if self.result is not None else (2 * shape[0], *shape[1:])

    def __call__(self, network):
        return Repeat(network)


class Repeat(nn.Module):
    def __init__(self, inner: nn.Module) -> None:
        super().__init__()
        self.inner = inner

    def forward(self, x):  # x: (B, d)
        return self.inner(torch.cat([x, x], dim=1))  # the inner network reads (B, 2d)


class ShapePlugin:
    seen: ClassVar[list] = []

    @ganframe.hookimpl
    def register_network_extras(self, register):
        register("doubling", lambda config, context: Doubling())
        register("bad-shape", lambda config, context: Doubling(result=(0, "x")))

    @ganframe.hookimpl
    def register_discriminators(self, register):
        def build(config, context):
            ShapePlugin.seen.append(context.sample_shape)
            return nn.Linear(context.sample_shape[0], 1)

        register("recording", build)


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins(ShapePlugin())


def build(plugins, tiny, extras):
    return Experiment.from_dict(
        tiny,
        plugins=plugins,
        overrides={"discriminator": {"name": "recording", "extras": extras, "optimizer": {"name": "adam"}}},
    )


def test_the_factory_is_built_for_the_shape_the_extras_ask_for(plugins, tiny):
    ShapePlugin.seen.clear()
    data_width = build(plugins, tiny, []).data.sample_shape[0]
    experiment = build(plugins, tiny, ["doubling", "doubling"])  # composed in order: 4 times as wide
    assert ShapePlugin.seen == [(data_width,), (4 * data_width,)]
    assert experiment.discriminator.inner.inner.in_features == 4 * data_width
    assert experiment.fit()["steps"] == tiny["train"]["steps"]
    # The generator is still built for the data's examples.
    assert experiment.sample(3).shape == (3, data_width)


def test_a_shape_that_is_not_a_shape_is_one_line_naming_the_extra(plugins, tiny):
    with pytest.raises(
        ConfigError,
        match=r"^discriminator.extras: 'bad-shape' cannot be applied to this "
        r"discriminator: network_shape gave \(0, 'x'\), not a shape",
    ):
        build(plugins, tiny, ["bad-shape"])


def test_an_extra_factory_that_returns_no_callable_is_a_plugin_error(tiny):
    class Broken:
        @ganframe.hookimpl
        def register_network_extras(self, register):
            register("broken", lambda config, context: 42)

    with pytest.raises(
        PluginError,
        match=r"^discriminator.extras: network extra 'broken' built a int, not a "
        r"callable apply\(network\)$",
    ):
        Experiment.from_dict(tiny, plugins=fresh_plugins(Broken()), overrides={"discriminator.extras": ["broken"]})
