"""The extras that change over training: the generator's moving average and instance noise."""

from __future__ import annotations

import pytest
import torch
from ganframe_extras.training import EMAGenerator, InstanceNoise
from torch import nn

from ganframe import ConfigError, Experiment, PluginError, hookimpl
from ganframe.testing import fresh_plugins


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins()


def gaussian(plugins, callbacks=(), **overrides) -> Experiment:
    return Experiment.from_setup(
        "gaussian",
        plugins=plugins,
        callbacks=list(callbacks),
        device="cpu",
        overrides={"train.steps": 6, "train.log_every": 1, **overrides},
    )


def test_the_average_follows_the_weights_and_is_used_outside_training():
    live = nn.Linear(1, 1)
    g = EMAGenerator(live, decay=0.9)
    start = live.weight.detach().clone()
    with torch.no_grad():
        live.weight.add_(1.0)
    g.after_round(1, 10)
    assert torch.allclose(g.average.weight, 0.9 * start + 0.1 * (start + 1.0))
    z = torch.ones(4, 1)
    g.train()
    assert torch.equal(g(z), live(z))
    g.eval()
    assert torch.equal(g(z), g.average(z)) and not torch.equal(g(z), live(z))
    assert g.in_features == 1  # attributes of the wrapped generator still answer


def test_an_experiment_samples_with_the_average_and_resumes_it_exactly(plugins, tmp_path):
    extras = {"generator.extras": [{"name": "ema", "decay": 0.5}], "train.checkpoint_every": 1}
    whole = gaussian(plugins, **extras)
    whole.fit(tmp_path / "whole")
    # The average differs from the last weights, and the samples come from it.
    z = torch.randn(50, 1)
    whole.generator.eval()
    with torch.no_grad():
        assert not torch.equal(whole.generator.average(z), whole.generator.inner(z))
        assert torch.equal(whole.generator(z), whole.generator.average(z))

    class StopAt:
        @hookimpl
        def on_step_end(self, step):
            if step == 3:
                raise RuntimeError("stop")

    with pytest.raises(PluginError):
        gaussian(plugins, [StopAt()], **extras).fit(tmp_path / "stopped")
    resumed = Experiment.load(tmp_path / "stopped", plugins=plugins)
    assert resumed.step == 2  # the checkpoint before the failed round
    resumed.fit(tmp_path / "stopped")
    assert torch.equal(resumed.sample(200), whole.sample(200))


def test_instance_noise_blurs_training_inputs_only_and_anneals():
    d = InstanceNoise(nn.Linear(2, 1), std=0.1, anneal=True)
    x = torch.zeros(5, 2)
    d.train()
    assert not torch.equal(d(x), d(x))
    d.eval()
    assert torch.equal(d(x), d.inner(x))
    d.after_round(5, 10)
    assert d.std.item() == pytest.approx(0.05)
    steady = InstanceNoise(nn.Linear(2, 1), std=0.1, anneal=False)
    steady.after_round(5, 10)
    assert steady.std.item() == pytest.approx(0.1)


def test_instance_noise_in_an_experiment_reaches_zero_and_repeats(plugins):
    runs = []
    for _ in range(2):
        experiment = gaussian(plugins, **{"discriminator.extras": [{"name": "instance-noise", "std": 0.5}]})
        experiment.fit()
        assert experiment.discriminator.std.item() == 0.0 and experiment.discriminator.output == "logits"
        runs.append(experiment.sample(100))
    plain = gaussian(plugins)
    plain.fit()
    assert torch.equal(runs[0], runs[1]) and not torch.equal(runs[0], plain.sample(100))


@pytest.mark.parametrize(("section", "extra"), [("discriminator", "ema"), ("generator", "instance-noise")])
def test_each_refuses_the_other_network(plugins, section, extra):
    with pytest.raises(ConfigError, match=f"{section}.extras: '{extra}' cannot be applied to this {section}"):
        gaussian(plugins, **{f"{section}.extras": [extra]})


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_instance_noise_on_the_gpu_is_seeded(plugins, tmp_path):
    """Instance noise is drawn from the GPU's own generator, which ganframe seeds."""
    overrides = {"discriminator.extras": ["instance-noise"], "loss.name": "wasserstein-gp", "train.checkpoint_every": 1}
    runs = []
    for name in ("a", "b"):
        torch.cuda.manual_seed(int(torch.randint(0, 2**31, ())))  # whatever state the caller left
        experiment = Experiment.from_setup(
            "gaussian", plugins=plugins, device="cuda", overrides={"train.steps": 6, **overrides}
        )
        experiment.fit(tmp_path / name)
        runs.append(experiment.sample(100))
    assert torch.allclose(runs[0], runs[1], atol=1e-5)
