"""The ``pack`` extra (PacGAN): any discriminator judges groups of m examples, built for them
through ``network_shape``; wrong batch sizes and roles are one line."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import ganframe
from ganframe import ConfigError, Experiment
from ganframe.cli import main
from ganframe.testing import fresh_plugins

EVEN = {"setup": "even", "preset": "tutorial"}  # D is one Linear(7, 1) + Sigmoid; batch 16


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins()


def even(plugins, **overrides) -> Experiment:
    return Experiment.from_dict(EVEN, plugins=plugins, overrides={"device": "cpu", "train.steps": 20, **overrides})


def test_a_packed_discriminator_scores_groups_of_consecutive_examples(plugins):
    experiment = even(plugins, **{"discriminator.extras": [{"name": "pack", "m": 4}]})
    d = experiment.discriminator
    inner = next(m for m in d.modules() if isinstance(m, nn.Linear))
    assert inner.in_features == 4 * 7  # built for packs of 4 seven-bit examples
    batch = torch.randint(0, 2, (16, 7)).float()
    with torch.no_grad():
        scores = d(batch)  # (4, 1): one score per pack
        assert scores.shape == (4, 1)
        assert torch.equal(scores, d.inner(batch.reshape(4, 28)))
        # A pack's score depends on every example in it, and only on those.
        changed = batch.clone()
        changed[5] = 1 - changed[5]
        new = d(changed)
    assert not torch.equal(new[1], scores[1])
    assert torch.equal(new[[0, 2, 3]], scores[[0, 2, 3]])
    assert d.output == "probabilities"  # what the loss reads passes through the wrapper
    assert experiment.fit()["steps"] == 20


def test_images_are_packed_along_their_channels():
    class Images(ganframe.Dataset):
        sample_shape = (3, 4, 4)

        def __len__(self):
            return 32

        def get(self, indices):
            return torch.ones(len(indices), 3, 4, 4)

    class ImagePlugin:
        @ganframe.hookimpl
        def register_data_sources(self, register):
            register("tiny-images", lambda config, context: Images())

        @ganframe.hookimpl
        def register_discriminators(self, register):
            register(
                "conv", lambda config, context: nn.Sequential(nn.Conv2d(context.sample_shape[0], 2, 4), nn.Flatten())
            )

    experiment = Experiment.from_dict(
        {
            "data": {"name": "tiny-images"},
            "generator": {"name": "mlp", "hidden": [4]},
            "discriminator": {"name": "conv", "extras": [{"name": "pack", "m": 2}]},
            "train": {"steps": 2, "batch_size": 8},
            "evaluation": {"metrics": []},
        },
        plugins=fresh_plugins(ImagePlugin()),
    )
    conv = experiment.discriminator.inner[0]
    assert conv.in_channels == 6  # two RGB images side by side in the channels
    x = torch.rand(8, 3, 4, 4)
    assert torch.equal(experiment.discriminator(x), experiment.discriminator.inner(x.reshape(4, 6, 4, 4)))


def test_a_batch_size_not_divisible_by_m_is_one_line(plugins):
    with pytest.raises(
        ConfigError,
        match=r"^discriminator.extras: 'pack' cannot be applied to this discriminator: "
        r"the batch size per process, 16, is not a multiple of m = 3",
    ):
        even(plugins, **{"discriminator.extras": [{"name": "pack", "m": 3}]})
    with pytest.raises(ConfigError, match="'pack' cannot be applied to this generator: packing groups"):
        even(plugins, **{"generator.extras": ["pack"]})


def test_on_the_command_line_a_wrong_pack_is_exit_2(capsys, tmp_path):
    status = main(
        [
            "train",
            "even",
            "--preset",
            "tutorial",
            "--steps",
            "2",
            "--out",
            str(tmp_path / "run"),
            "--set",
            'discriminator.extras=[{name="pack", m=5}]',
        ]
    )
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and err[0].startswith("ganframe: error: discriminator.extras: 'pack'")
    assert not (tmp_path / "run").exists()


def test_a_packed_run_resumes_bit_for_bit(plugins, tmp_path):
    packed = {"discriminator.extras": [{"name": "pack", "m": 2}]}
    whole = even(plugins, **packed)
    whole.fit(tmp_path / "whole")
    first = even(plugins, **packed, **{"train.steps": 8})
    first.fit(tmp_path / "half")
    resumed = Experiment.load(tmp_path / "half", plugins=plugins, steps=20)
    resumed.fit(tmp_path / "half")
    for a, b in zip(whole.discriminator.parameters(), resumed.discriminator.parameters()):
        assert torch.equal(a, b)
