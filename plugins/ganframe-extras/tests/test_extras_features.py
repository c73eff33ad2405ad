"""The network extras: registered through the entry point, switched on by configuration for any
network, neutral at first, refusing the wrong role, and doing what their papers say."""

from __future__ import annotations

import importlib.metadata
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from ganframe import ConfigError, Experiment
from ganframe.cli import main
from ganframe.nn import MinibatchDiscrimination, insert_before_last_linear, last_linear
from ganframe.testing import fresh_plugins

EXTRAS = {"minibatch-discrimination", "minibatch-std", "spectral-norm"}
LOSSES = {"least-squares", "hinge", "wasserstein", "wasserstein-gp", "feature-matching", "bce"}
# A small even-number experiment on the tutorial's networks: D is one Linear(7, 1) + Sigmoid.
EVEN = {"setup": "even", "preset": "tutorial"}


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins()


def even(plugins, **overrides) -> Experiment:
    return Experiment.from_dict(EVEN, plugins=plugins, overrides={"device": "cpu", "train.steps": 20, **overrides})


def test_registered_through_its_installed_entry_point(plugins):
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="ganframe") if ep.name == "extras"]
    assert entry_point.value == "ganframe_extras" and entry_point.dist.name == "ganframe-extras"
    assert EXTRAS <= set(plugins.registry.names("network-extras"))
    assert LOSSES <= set(plugins.registry.names("losses"))


def test_ganframe_list_shows_each_extra_under_its_kind(capsys):
    assert main(["list", "network-extras"]) == 0
    listed = capsys.readouterr().out
    assert all(f"  {name}  [extras]" in listed for name in EXTRAS), listed
    assert main(["list", "losses"]) == 0
    listed = capsys.readouterr().out
    assert all(f"  {name}  [extras]" in listed for name in LOSSES), listed


@pytest.mark.parametrize("extra", ["minibatch-discrimination", "minibatch-std"])
def test_batch_features_start_neutral_and_add_parameters(plugins, extra):
    plain = even(plugins)
    extended = even(plugins, **{"discriminator.extras": [extra]})
    batch = torch.randint(0, 2, (16, 7)).float()
    with torch.no_grad():  # same scores at first: the new features' weights into the last layer are zero
        # (up to rounding: the widened product may add its terms in another order)
        assert torch.allclose(plain.discriminator(batch), extended.discriminator(batch), rtol=0, atol=1e-6)
    added = sum(p.numel() for p in extended.discriminator.parameters()) - sum(
        p.numel() for p in plain.discriminator.parameters()
    )
    # minibatch discrimination: T is 7 x (50 kernels x 5 dims), and the last layer reads 50 more inputs
    assert added == (7 * 50 * 5 + 50 if extra == "minibatch-discrimination" else 1)


def test_minibatch_discrimination_changes_training_and_is_deterministic(plugins, tmp_path):
    extras = {"discriminator.extras": [{"name": "minibatch-discrimination", "kernels": 8, "kernel_dims": 3}]}
    samples, weights = [], []
    for run in range(2):
        experiment = even(plugins, **extras)
        experiment.fit(tmp_path / f"run{run}")
        samples.append(experiment.sample(256))
        weights.append(torch.cat([p.detach().flatten() for p in experiment.generator.parameters()]))
    plain = even(plugins)
    plain.fit()
    plain_weights = torch.cat([p.detach().flatten() for p in plain.generator.parameters()])
    # G learns from D's scores, which now also depend on the batch's closeness sums.
    assert torch.equal(weights[0], weights[1]) and not torch.equal(weights[0], plain_weights)
    # The run directory keeps the extras: loading rebuilds the same network, weights and all.
    loaded = Experiment.load(tmp_path / "run0", plugins=plugins)
    assert loaded.config.discriminator.extras[0].config.kernels == 8
    assert torch.equal(loaded.sample(256), samples[0])


def mlp_d(plugins, **overrides) -> Experiment:
    """The tiny gaussian experiment with an mlp discriminator of one hidden layer of 8 units."""
    config = {"setup": "gaussian", "discriminator": {"name": "mlp", "hidden": [8]}}
    settings = {"device": "cpu", "seed": 0, "train.steps": 6, "train.batch_size": 16, "evaluation.samples": 500}
    return Experiment.from_dict(config, plugins=plugins, overrides=settings | overrides)


def test_minibatch_discrimination_goes_before_the_mlp_discriminators_last_layer(plugins):
    extras = [{"name": "minibatch-discrimination", "kernels": 6, "kernel_dims": 3}]
    experiment = mlp_d(plugins, **{"discriminator.extras": extras})
    layers = list(experiment.discriminator.net)
    assert [type(layer) for layer in layers] == [nn.Linear, nn.LeakyReLU, nn.Sequential]
    minibatch, head = layers[2]
    assert isinstance(minibatch, MinibatchDiscrimination) and minibatch.weight.shape == (8, 6 * 3)
    assert head.in_features == 8 + 6
    experiment.fit()  # trains as any discriminator does
    assert experiment.step == experiment.config.train.steps


def test_minibatch_discrimination_works_without_hidden_layers(plugins):
    plain = mlp_d(plugins)
    assert not any(isinstance(layer, MinibatchDiscrimination) for layer in plain.discriminator.modules())
    bare = mlp_d(
        plugins,
        **{
            "discriminator.hidden": [],
            "discriminator.output": "probabilities",
            "discriminator.extras": [{"name": "minibatch-discrimination", "kernels": 2}],
        },
    )
    (inserted, sigmoid) = bare.discriminator.net
    assert [type(layer) for layer in inserted] == [MinibatchDiscrimination, nn.Linear] and isinstance(
        sigmoid, nn.Sigmoid
    )
    assert bare.discriminator(torch.randn(5, 1)).shape == (5, 1)


def test_a_fresh_last_layer_is_drawn_as_the_mlp_discriminators_former_option_drew_it():
    """``last_layer = "fresh"``: the same draws, in the same order, as ``minibatch_kernels`` made:
    the mlp's own layers, T, then the widened last layer with PyTorch's default initialisation."""
    from ganframe_extras.configs import MinibatchDiscriminationConfig
    from ganframe_extras.features import minibatch_discrimination

    from ganframe.builtin.mlp import MLPDiscriminator, MLPDiscriminatorConfig

    config = MinibatchDiscriminationConfig(kernels=6, kernel_dims=3, last_layer="fresh")
    apply = minibatch_discrimination(config, SimpleNamespace(role="discriminator"))
    torch.manual_seed(0)
    fresh = list(apply(MLPDiscriminator(MLPDiscriminatorConfig(hidden=(8,)), (1,))).parameters())
    torch.manual_seed(0)
    body, _ = nn.Linear(1, 8), nn.Linear(8, 1)  # D as the mlp builds it, then its last layer replaced:
    old = [body.weight, body.bias, torch.randn(8, 6 * 3) * 0.05, *nn.Linear(8 + 6, 1).parameters()]
    assert len(fresh) == len(old) and all(torch.equal(new, was) for new, was in zip(fresh, old))


def test_an_extended_last_layer_keeps_the_old_weights_and_reads_the_new_features_at_zero(plugins):
    plain = mlp_d(plugins).discriminator.net[2]
    head = mlp_d(plugins, **{"discriminator.extras": [{"name": "minibatch-discrimination", "kernels": 4}]})
    head = head.discriminator.net[2][1]
    assert torch.equal(head.weight[:, :8], plain.weight) and torch.equal(head.bias, plain.bias)
    assert torch.all(head.weight[:, 8:] == 0)


def test_minibatch_discrimination_over_the_parameter_limit_is_refused_before_allocating(plugins):
    too_many = [{"name": "minibatch-discrimination", "kernels": 1_000_000, "kernel_dims": 1_000}]
    with pytest.raises(ConfigError, match=r"1000000 kernels of 1000 on 8 features would add \d+ parameters"):
        mlp_d(plugins, **{"discriminator.extras": too_many})


def test_the_minibatch_std_feature_sees_a_batch_without_variety():
    from ganframe.nn import MinibatchStd

    varied = torch.randn(8, 4)
    assert MinibatchStd()(varied.mean(0).expand(8, 4))[:, -1].abs().max() == 0
    assert torch.all(MinibatchStd()(varied)[:, -1] > 0)


def test_spectral_norm_makes_every_weight_one_lipschitz(plugins):
    experiment = Experiment.from_dict(
        {"setup": "gaussian2d", "discriminator": {"name": "mlp", "hidden": [32, 32], "extras": ["spectral-norm"]}},
        plugins=plugins,
        overrides={"device": "cpu", "train.steps": 1},
    )
    d = experiment.discriminator
    linears = [m for m in d.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == 3
    x = torch.randn(64, 2)
    for _ in range(30):  # power iterations run in training forward passes
        d(x)
    for layer in linears:
        assert torch.linalg.matrix_norm(layer.weight.detach(), ord=2).item() == pytest.approx(1.0, abs=1e-3)


def test_an_extra_for_the_discriminator_refuses_the_generator(plugins):
    with pytest.raises(
        ConfigError,
        match=r"generator\.extras: 'minibatch-std' cannot be applied to this generator"
        r".*discriminator\.extras",
    ):
        even(plugins, **{"generator.extras": ["minibatch-std"]})


@pytest.mark.parametrize(
    ("extras", "message"),
    [
        (
            ["minibatch-discrimnation"],
            r"discriminator\.extras\[0\]\.name: unknown network extra "
            r"'minibatch-discrimnation'.*minibatch-discrimination",
        ),
        ([{"kernels": 3}], r"discriminator\.extras\[0\] needs a name; available: .*minibatch-std"),
        ([{"name": "minibatch-discrimination", "kernels": 0}], r"kernels"),
        ([{"name": "minibatch-discrimination", "kernel": 3}], r"unknown option discriminator\.extras\[0\]\.kernel"),
        ([{"name": "minibatch-discrimination", "kernel_dims": 0}], r"'kernel_dims' must be > 0, got 0"),
        (
            [{"name": "minibatch-discrimination", "last_layer": "new"}],
            r"'last_layer' must be one of 'extended', 'fresh'",
        ),
        (3, r"discriminator\.extras must be a list of extras"),
    ],
)
def test_bad_extras_are_one_line_errors(plugins, extras, message):
    with pytest.raises(ConfigError, match=message) as caught:
        even(plugins, **{"discriminator.extras": extras})
    assert "\n" not in str(caught.value)


def test_the_cli_switches_extras_on_and_reports_mistakes_in_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    code = main(
        [
            "train",
            "even",
            "--preset",
            "tutorial",
            "--steps",
            "5",
            "--device",
            "cpu",
            "--quiet",
            "--out",
            str(run),
            "--set",
            'discriminator.extras=["minibatch-discrimination", "spectral-norm"]',
        ]
    )
    assert code == 0 and 'name = "spectral-norm"' in (run / "config.toml").read_text()
    capsys.readouterr()
    code = main(
        [
            "train",
            "even",
            "--steps",
            "5",
            "--device",
            "cpu",
            "--quiet",
            "--out",
            str(tmp_path / "bad"),
            "--set",
            'discriminator.extras=["no-such-extra"]',
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "unknown network extra 'no-such-extra'" in err
    assert not (tmp_path / "bad").exists()


def test_insert_before_last_linear_finds_the_output_layer():
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 1))
    parent, attribute, layer = last_linear(net)
    assert parent is net and attribute == "2" and layer.in_features == 6
    insert_before_last_linear(net, nn.Identity(), 0)
    assert isinstance(net[2], nn.Sequential) and net(torch.zeros(3, 4)).shape == (3, 1)
    with pytest.raises(ValueError, match=r"no nn\.Linear"):
        last_linear(nn.ReLU())
    with pytest.raises(ValueError, match="single linear layer"):
        insert_before_last_linear(nn.Linear(3, 1), nn.Identity(), 0)


def test_spectral_norm_survives_a_checkpoint(plugins, tmp_path):
    overrides = {"discriminator.extras": ["spectral-norm"], "generator.extras": ["spectral-norm"], "train.steps": 5}
    experiment = Experiment.from_setup("gaussian2d", plugins=plugins, device="cpu", overrides=overrides)
    experiment.fit(tmp_path / "run")
    loaded = Experiment.load(tmp_path / "run", plugins=plugins)
    assert torch.equal(loaded.sample(100), experiment.sample(100))
    real = torch.randn(8, 2)
    loaded.discriminator.eval()
    experiment.discriminator.eval()
    with torch.no_grad():
        assert torch.equal(loaded.discriminator(real), experiment.discriminator(real))


def test_a_loss_is_chosen_from_the_cli_with_its_options(tmp_path):
    run = tmp_path / "run"
    code = main(
        [
            "train",
            "gaussian2d",
            "--steps",
            "3",
            "--device",
            "cpu",
            "--quiet",
            "--out",
            str(run),
            "--set",
            "loss.name=hinge",
            "--set",
            "loss.r1=1.0",
        ]
    )
    text = (run / "config.toml").read_text()
    assert code == 0 and 'name = "hinge"' in text and "r1 = 1.0" in text
