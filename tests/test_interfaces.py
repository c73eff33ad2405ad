"""The component Protocols: what ``isinstance`` checks is what messages name as missing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from ganframe import components
from ganframe.build import shortfall
from ganframe.components import Loss, Metric, Noise, is_protocol, missing_members, protocol_members

RUNTIME_CHECKABLE = sorted(
    (
        value
        for value in vars(components).values()
        if is_protocol(value) and getattr(value, "_is_runtime_protocol", False)
    ),
    key=lambda protocol: protocol.__name__,
)


def with_members(names) -> SimpleNamespace:
    """An object that has each of ``names`` (as a function, which serves for attributes too)."""
    return SimpleNamespace(**{name: lambda *args, **kwargs: None for name in names})


def test_the_component_protocols_are_runtime_checkable():
    names = {protocol.__name__ for protocol in RUNTIME_CHECKABLE}
    assert {"Noise", "Loss", "Strategy", "Metric", "NetworkExtra", "Stateful", "Trainer", "ExperimentView"} <= names


@pytest.mark.parametrize("protocol", RUNTIME_CHECKABLE, ids=lambda protocol: protocol.__name__)
def test_an_object_without_one_member_is_no_instance_and_that_member_is_named(protocol):
    members = protocol_members(protocol)
    assert members, f"{protocol.__name__} has no members"
    assert isinstance(with_members(members), protocol)
    assert missing_members(with_members(members), protocol) == ()
    for name in members:
        partial = with_members(m for m in members if m != name)
        assert not isinstance(partial, protocol), f"{protocol.__name__} without {name}"
        assert missing_members(partial, protocol) == (name,)


def test_members_are_listed_in_the_order_they_are_declared():
    assert protocol_members(Noise) == ("dim", "sample")
    assert protocol_members(Loss) == ("discriminator_loss", "generator_loss")
    assert protocol_members(Metric) == ("__call__",)


def test_a_method_set_to_none_is_missing():
    assert missing_members(SimpleNamespace(dim=3, sample=None), Noise) == ("sample",)


@pytest.mark.parametrize(
    ("made", "interface", "wanted"),
    [
        (SimpleNamespace(dim=3, sample=lambda n: n), Noise, ""),
        (object(), Noise, "without dim, sample"),
        (42, Metric, "not callable"),
        ({"lr": 0.1}, torch.optim.Optimizer, "not a torch.optim.optimizer.Optimizer"),
    ],
)
def test_shortfall_says_what_a_built_object_lacks(made, interface, wanted):
    assert shortfall(made, interface) == wanted
