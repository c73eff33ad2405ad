"""``ganframe show KIND NAME``: a component's options (type, default, description) or a setup's
presets; and ``describe_options``, which reads the descriptions from comments or field metadata."""

from __future__ import annotations

import attrs
import pytest
import torch
from attrs import validators as v

import ganframe
import ganframe.plugins
from ganframe.config import TrainConfig, non_negative, one_of, positive
from ganframe.options import Option, describe_options, format_type
from ganframe.testing import fresh_plugins


# -- components -------------------------------------------------------------------------------------
def test_show_a_generator_lists_every_option_with_its_type_default_and_description(cli):
    result = cli("show", "generator", "mlp")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "generator mlp  [ganframe.builtin.networks]  fully connected generator for any sample shape"
    assert "options (set in [generator] or with --set generator.OPTION=VALUE):" in lines
    hidden = lines.index("  hidden: list of int = [64, 64]  (each 1 to 1000000)")
    # the comment above the field in MLPGeneratorConfig's source
    assert lines[hidden + 1] == (
        "      Units in each hidden layer; [] makes a single linear map. At most 10^9 parameters in all."
    )
    activation = lines.index('  activation: str or list of str = "leaky-relu"')
    assert lines[activation + 1] == "      One name for every hidden layer, or one per hidden layer."
    slope = lines.index("  negative_slope: float = 0.2")
    assert lines[slope + 1] == "      of the leaky-relu activation"  # its trailing comment
    assert "  init_std: float or None = None  (> 0, or None)" in lines
    assert result.err == ""


@pytest.mark.parametrize("kind", ["loss", "losses"])
def test_show_a_loss_by_its_singular_or_plural_kind(cli, kind):
    result = cli("show", kind, "non-saturating")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("loss non-saturating  [ganframe.builtin.losses]  BCE; ")
    d_terms = lines.index('  d_terms: str = "sum"  (one of "sum", "mean")')
    assert (
        lines[d_terms + 1] == '      How D\'s real and fake terms combine: "sum" (most code) or "mean" (their average).'
    )


@pytest.mark.parametrize(
    ("kind", "name", "expected"),
    [
        ("data-source", "file", "  path: str  (required)"),
        ("data-sources", "toy-2d", "  size: int = 1000  (> 0, <= 10000000)"),
        ("optimizer", "adam", '  implementation: str = "auto"  (one of "auto", "fused", "foreach", "for-loop")'),
        ("optimizers", "adam", "  betas: list of 2 float = [0.5, 0.999]  (each in [0, 1))"),
        ("network", "mlp", '  input: int or str = "data"  ("data", "noise" or 1 to 1000000)'),
        ("discriminators", "mlp", "  outputs: int = 1  (> 0, <= 1000000)"),
    ],
)
def test_show_other_kinds(cli, kind, name, expected):
    result = cli("show", kind, name)
    assert result.code == 0, result.err
    assert expected in result.out.splitlines(), result.out


def test_show_a_long_description_wrapped_under_its_option(cli):
    lines = cli("show", "optimizer", "adam").out.splitlines()
    start = lines.index('  implementation: str = "auto"  (one of "auto", "fused", "foreach", "for-loop")') + 1
    text = []
    for line in lines[start:]:
        if not line.startswith("      "):
            break
        assert len(line) <= 100
        text.append(line.strip())
    assert " ".join(text).startswith('"fused" runs one kernel for all parameters (faster on CPU and GPU);')
    assert " ".join(text).endswith('"foreach" and "for-loop" are PyTorch\'s other implementations.')
    assert len(text) > 1


def test_show_a_component_without_options(cli):
    result = cli("show", "metric", "moments")
    assert result.code == 0, result.err
    assert (
        result.out
        == "metric moments  [ganframe.builtin.metrics]  mean, std, skew, excess kurtosis (1-D)\ntakes no options\n"
    )


# -- setups -----------------------------------------------------------------------------------------
def test_show_a_setup_lists_its_presets_and_their_components(cli):
    setup = fresh_plugins().registry.setup("toy")
    result = cli("show", "setup", "toy")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == f"setup toy  [toy]  {setup.description}"
    assert lines[1] == "presets:"
    for name, preset in setup.presets.items():
        marker = " (used by default)" if name == setup.default_preset else ""
        at = lines.index(f"  {name}{marker}")
        parts = lines[at + 1].strip().split(", ")
        steps = preset.get("train", {}).get("steps", TrainConfig().steps)
        assert parts[0] == "data toy-1d"
        assert parts[-1] == f"train.steps {steps}"
        for section in ("generator", "discriminator", "loss", "strategy"):
            table = preset.get(section, {})
            default = {"generator": "mlp", "discriminator": "mlp", "loss": "non-saturating", "strategy": "alternating"}[
                section
            ]
            assert f"{section} {table.get('name', default) if isinstance(table, dict) else table}" in parts
    assert "  tutorial" in lines and "  default (used by default)" in lines
    assert len(lines) == 2 + 2 * len(setup.presets) + 1  # short: two lines a preset
    assert lines[-1] == "train one with: ganframe train toy --preset PRESET"


# -- qualified and clashing names ---------------------------------------------------------------------
class OtherMLP:
    """A second plugin that also calls its generator 'mlp'."""

    @ganframe.hookimpl
    def register_generators(self, register):
        register("mlp", lambda config, context: torch.nn.Identity(), description="an impostor")


@pytest.fixture
def clashing_mlp(monkeypatch):
    """Every CLI command sees a second plugin registering the generator 'mlp'."""
    load = ganframe.plugins.load_plugins

    def load_with_impostor(disabled=(), **kwargs):
        return load(disabled, extra=[OtherMLP()], **kwargs)

    monkeypatch.setattr(ganframe.plugins, "load_plugins", load_with_impostor)


def test_show_a_qualified_name(cli):
    plain, qualified = (
        cli("show", "discriminator", "mlp"),
        cli("show", "discriminator", "ganframe.builtin.networks:mlp"),
    )
    assert qualified.code == 0, qualified.err
    assert qualified.out == plain.out
    assert cli("show", "setup", "toy:toy").out == cli("show", "setup", "toy").out


def test_show_a_clashing_name_says_how_to_qualify_it(cli, assert_usage_error, clashing_mlp):
    line = assert_usage_error(cli("show", "generator", "mlp"))
    assert line.startswith("ganframe: error: generator 'mlp' is registered by more than one plugin: ")
    assert "name the one you mean as 'ganframe.builtin.networks:mlp' or 'extra-0-OtherMLP:mlp'" in line
    impostor = cli("show", "generator", "extra-0-OtherMLP:mlp")
    assert impostor.code == 0, impostor.err
    assert impostor.out == "generator mlp  [extra-0-OtherMLP]  an impostor\ntakes no options\n"
    builtin = cli("show", "generator", "ganframe.builtin.networks:mlp")
    assert "  hidden: list of int = [64, 64]  (each 1 to 1000000)" in builtin.out.splitlines()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gnerator", "mlp"], "unknown kind 'gnerator'; did you mean 'generators'? available: data-sources, "),
        (["generator", "mpl"], "unknown generator 'mpl'; did you mean 'mlp'? available: "),
        (["setup", "tyo"], "unknown setup 'tyo'; did you mean 'toy'? available: "),
        (["loss", "nobody:minimax"], "unknown plugin for the loss 'minimax': 'nobody'; "),
        (["preset", "default"], "unknown kind 'preset'; "),
    ],
)
def test_show_an_unknown_kind_or_name_is_one_line(cli, assert_usage_error, args, message):
    line = assert_usage_error(cli("show", *args))
    assert line.startswith(f"ganframe: error: {message}"), line


def test_show_without_a_name_is_a_usage_error(cli, assert_usage_error):
    assert_usage_error(cli("show", "generator"), prefix="ganframe: error: ")


# -- describe_options ---------------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class Documented:
    """A config class written the way ganframe's configs are."""

    # How many layers.
    # A second line of the same comment.
    depth: int = attrs.field(default=3, validator=v.ge(1))
    rate: float = attrs.field(default=0.5, validator=v.gt(0))  # a trailing comment
    # A comment a blank line away from the field below: it describes neither field.

    mode: str = attrs.field(default="a#b", validator=v.in_(("a#b", "c")))  # the mode; a "#" in a string is no comment
    sizes: tuple[int, ...] = attrs.field(  # on the field's first line
        default=(64, 64),
        validator=v.deep_iterable(v.instance_of(int)),
    )
    names: str | tuple[str, ...] = "x"
    scale: float | None = attrs.field(default=None, validator=v.optional(v.gt(0.0)))
    size: int | str = "data"
    pair: tuple[float, float] = (0.5, 0.9)
    table: dict[str, int] = attrs.field(factory=dict)
    flag: bool = True
    path: str  # required: no default
    helped: int = attrs.field(default=1, metadata={"help": "from the metadata"})  # not this comment
    count: int = attrs.field(default=2, validator=[positive, v.le(10)])
    choice: str = attrs.field(default="sum", validator=one_of("sum", "mean"))
    start: int = attrs.field(default=0, validator=non_negative)
    cache: int = attrs.field(default=0, init=False)  # not an option: __init__ does not take it

    def method(self) -> int:
        # a comment inside a method describes no field
        depth = 1
        return depth


def test_describe_options_reads_types_defaults_and_comments():
    options = {option.name: option for option in describe_options(Documented)}
    assert list(options) == [
        "depth",
        "rate",
        "mode",
        "sizes",
        "names",
        "scale",
        "size",
        "pair",
        "table",
        "flag",
        "path",
        "helped",
        "count",
        "choice",
        "start",
    ]
    assert options["depth"] == Option(
        "depth", "int", "3", "How many layers. A second line of the same comment.", ">= 1"
    )
    assert options["rate"] == Option("rate", "float", "0.5", "a trailing comment", "> 0")
    assert options["mode"] == Option(
        "mode", "str", '"a#b"', 'the mode; a "#" in a string is no comment', 'one of "a#b", "c"'
    )
    assert options["sizes"] == Option("sizes", "list of int", "[64, 64]", "on the field's first line")
    assert (options["names"].type, options["names"].default, options["names"].description) == (
        "str or list of str",
        '"x"',
        "",
    )
    assert (options["scale"].type, options["scale"].default, options["scale"].constraint) == (
        "float or None",
        "None",
        "> 0.0, or None",
    )
    assert (options["size"].type, options["size"].default) == ("int or str", '"data"')
    assert (options["pair"].type, options["pair"].default) == ("list of 2 float", "[0.5, 0.9]")
    assert (options["table"].type, options["table"].default) == ("table", "{}")
    assert (options["flag"].type, options["flag"].default) == ("bool", "true")
    assert options["path"] == Option("path", "str", "(required)", "required: no default")
    assert options["path"].required and not options["flag"].required
    assert options["helped"].description == "from the metadata"
    assert options["count"].constraint == "> 0, <= 10"
    assert options["choice"].constraint == 'one of "sum", "mean"'
    assert options["start"].constraint == ">= 0"


@attrs.frozen(kw_only=True)
class Extended(Documented):
    extra: int = 7  # added by the subclass


def test_describe_options_finds_inherited_fields_comments():
    options = {option.name: option for option in describe_options(Extended)}
    assert options["depth"].description == "How many layers. A second line of the same comment."
    assert options["extra"] == Option("extra", "int", "7", "added by the subclass")


def test_describe_options_without_source_has_no_descriptions():
    made = attrs.make_class(
        "Made", {"size": attrs.field(default=4, validator=v.gt(0)), "name": attrs.field(type=str, default="x")}
    )
    assert describe_options(made) == [Option("size", "any", "4", "", "> 0"), Option("name", "str", '"x"')]
    # made at run time with the name of a class in this module: that class's comments are not its own
    clash = attrs.make_class("Documented", {"depth": attrs.field(default=1), "other": attrs.field(default=2)})
    assert [option.description for option in describe_options(clash)] == ["", ""]


def test_describe_options_of_no_config_class():
    assert describe_options(None) == []


def test_describe_options_of_every_installed_component_does_not_fail():
    registry = fresh_plugins().registry
    for kind in (
        "data-sources",
        "noise",
        "generators",
        "discriminators",
        "networks",
        "network-extras",
        "losses",
        "strategies",
        "optimizers",
        "metrics",
    ):
        for entry in registry.entries(kind):
            for option in describe_options(entry.config):
                assert option.name and option.type and option.default, (kind, entry.name, option)


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (int, "int"),
        (float | None, "float or None"),
        (tuple[int, ...], "list of int"),
        (tuple[tuple[float, ...], ...], "list of list of float"),
        (tuple[int | str, ...], "list of (int or str)"),
        (list[str], "list of str"),
        ("NotResolved", "NotResolved"),
        (None, "any"),
    ],
)
def test_format_type(annotation, expected):
    assert format_type(annotation) == expected
