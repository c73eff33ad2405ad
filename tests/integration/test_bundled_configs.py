"""Config validation on the bundled plugins' own components and setups (tests/test_config_validation.py
checks the same rules on the core's and the toy plugin's)."""

from __future__ import annotations

import math

import pytest
from test_config_validation import check_every_spelling, refused

from ganframe import UnknownNameError
from ganframe.testing import fresh_plugins


@pytest.fixture(scope="module")
def every_plugin():
    """Every installed plugin."""
    return fresh_plugins()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"discriminator.extras": [{"name": "instance-noise", "std": math.inf}]},
            "discriminator.extras[0]: std: must be a finite number, got inf",
        ),
        ({"loss": "wasserstein", "loss.clip": math.nan}, "loss: clip: must be a finite number, got nan"),
    ],
)
def test_infinity_and_nan_are_refused_in_the_extras_options(every_plugin, overrides, message):
    assert refused(every_plugin, {"setup": "gaussian"}, overrides) == message


@pytest.mark.parametrize("setup", ["gaussian", "even", "gaussian2d", "mnist"])
def test_every_spelling_of_naming_a_component_resolves_the_same(every_plugin, setup):
    check_every_spelling(every_plugin.registry, setup)


def test_an_empty_plugin_qualifier_names_no_plugin(every_plugin, cli, assert_usage_error):
    with pytest.raises(UnknownNameError, match=r"^unknown plugin for the loss 'hinge': ''; available: extras$"):
        every_plugin.registry.get("losses", ":hinge")
    assert every_plugin.registry.get("losses", "extras:hinge").name == "hinge"
    line = assert_usage_error(cli("show", "loss", ":hinge"))
    assert line == "ganframe: error: unknown plugin for the loss 'hinge': ''; available: extras"
