"""Class-conditional experiments (``conditional = true``): the label reaches both networks, the
samples follow the requested class, and every misuse is a one-line error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ganframe
from ganframe import ConfigError, Experiment
from ganframe.cli import main
from ganframe.conditional import label_tensor
from ganframe.testing import fresh_plugins


class Blobs(ganframe.Dataset):
    """Two labelled clusters in 2-D: class 0 around (-3, 0), class 1 around (3, 0)."""

    sample_shape = (2,)
    num_classes = 2

    def __init__(self, labelled: bool = True) -> None:
        generator = torch.Generator().manual_seed(0)
        self.labels = torch.arange(512) % 2
        centres = torch.tensor([[-3.0, 0.0], [3.0, 0.0]])[self.labels]
        self.points = centres + 0.3 * torch.randn(512, 2, generator=generator)
        if not labelled:
            del self.labels

    def __len__(self) -> int:
        return 512

    def get(self, indices):
        return self.points[indices]


class BlobsPlugin:
    @ganframe.hookimpl
    def register_data_sources(self, register):
        register("blobs", lambda config, context: Blobs(), description="two labelled clusters")
        register("unlabelled-blobs", lambda config, context: Blobs(labelled=False), description="no labels")


BLOBS = {
    "data": {"name": "blobs"},
    "conditional": True,
    "noise": {"name": "normal", "dim": 2},
    "generator": {"name": "mlp", "hidden": [32, 32], "optimizer": {"lr": 2e-3, "betas": [0.5, 0.999]}},
    "discriminator": {"name": "mlp", "hidden": [32, 32], "optimizer": {"lr": 2e-3, "betas": [0.5, 0.999]}},
    "train": {"steps": 600, "batch_size": 64, "threads": 1},
    "device": "cpu",
}


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins(BlobsPlugin(), entry_points=False)


@pytest.fixture(scope="module")
def trained(plugins, tmp_path_factory):
    run = tmp_path_factory.mktemp("conditional") / "run"
    experiment = Experiment.from_dict(BLOBS, plugins=plugins)
    experiment.fit(run)
    return experiment, run


def test_samples_follow_the_requested_class(trained):
    experiment, _ = trained
    for label, centre in ((0, -3.0), (1, 3.0)):
        samples = experiment.sample(1000, labels=label)
        assert samples.shape == (1000, 2)
        assert (samples[:, 0] * centre > 0).float().mean() > 0.95, samples[:, 0].mean()
    mixed = experiment.sample(1000)  # no labels: uniform classes, both clusters
    assert 0.35 < (mixed[:, 0] > 0).float().mean() < 0.65
    per_sample = experiment.sample(4, labels=[0, 1, 0, 1])
    assert torch.all((per_sample[:, 0] > 0) == torch.tensor([False, True, False, True]))


def test_both_networks_see_the_label(trained):
    experiment, _ = trained
    z = torch.randn(1, 2)
    with torch.no_grad():
        experiment.generator.eval()
        as_zero, as_one = (experiment.generator(torch.cat([z, torch.eye(2)[[k]]], 1)) for k in (0, 1))
        assert as_zero[0, -2:].tolist() == [1.0, 0.0] and as_one[0, -2:].tolist() == [0.0, 1.0]
        point = torch.tensor([[3.0, 0.0]])
        d = experiment.discriminator
        right, wrong = (
            d(torch.cat([point, torch.tensor([[0.0, 1.0]])], 1)),
            d(torch.cat([point, torch.tensor([[1.0, 0.0]])], 1)),
        )
        # The label reaches D's score through its trained class embedding (zero before training).
        assert right.item() != wrong.item() and d.embed.weight.abs().sum() > 0


def test_the_label_has_no_say_in_d_before_training(plugins):
    d = Experiment.from_dict(BLOBS, plugins=plugins).discriminator
    point = torch.tensor([[3.0, 0.0]])
    with torch.no_grad():
        assert torch.equal(
            d(torch.cat([point, torch.tensor([[0.0, 1.0]])], 1)), d(torch.cat([point, torch.tensor([[1.0, 0.0]])], 1))
        )


def test_the_run_keeps_the_condition_and_resamples_the_same(trained, plugins, capsys):
    experiment, run = trained
    assert "conditional = true" in (run / "config.toml").read_text()
    loaded = Experiment.load(run, plugins=plugins)
    assert torch.equal(loaded.sample(50, labels=1), experiment.sample(50, labels=1))
    assert not torch.equal(loaded.sample(50, labels=1), loaded.sample(50, labels=0))


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (2, r"labels must lie in 0\.\.1, got \[2\]"),
        ([0, 1], r"give one label or one per sample: 2 labels for 3 samples"),
        (0.5, r"labels must be class numbers 0\.\.1"),
        (-1, r"labels must lie in 0\.\.1"),
    ],
)
def test_bad_labels_are_clear_errors(trained, labels, message):
    experiment, _ = trained
    with pytest.raises(ConfigError, match=message):
        experiment.sample(3, labels=labels)


def test_label_tensor_accepts_one_label_or_one_per_sample():
    assert label_tensor(3, 4, 10).tolist() == [3, 3, 3, 3]
    assert label_tensor(np.array([1, 2]), 2, 10).tolist() == [1, 2]


def test_conditional_needs_labels_and_logits(plugins):
    with pytest.raises(
        ConfigError,
        match=r"conditional = true needs a labelled data set .* data source 'unlabelled-blobs' has no labels",
    ):
        Experiment.from_dict({**BLOBS, "data": {"name": "unlabelled-blobs"}}, plugins=plugins)
    with pytest.raises(ConfigError, match="conditional = true needs a discriminator that outputs logits"):
        Experiment.from_dict({**BLOBS, "discriminator": {"name": "mlp", "output": "probabilities"}}, plugins=plugins)
    with pytest.raises(ConfigError, match="'conditional' must be true or false, got 'yes'"):
        Experiment.from_dict({**BLOBS, "conditional": "yes"}, plugins=plugins)
    plain = Experiment.from_dict({**BLOBS, "conditional": False, "train": {"steps": 1}}, plugins=plugins)
    with pytest.raises(ConfigError, match="labels need a conditional experiment"):
        plain.sample(2, labels=0)


def test_the_cli_samples_a_class_and_refuses_a_wrong_one(trained, tmp_path, capsys, monkeypatch):
    _, run = trained
    monkeypatch.setattr("ganframe.cli._plugins", lambda args: fresh_plugins(BlobsPlugin(), entry_points=False))
    out = tmp_path / "ones.npy"
    assert main(["sample", str(run), "-n", "200", "--label", "1", "-o", str(out)]) == 0
    assert "wrote 200 samples of class 1 of shape (2,)" in capsys.readouterr().out
    assert (np.load(out)[:, 0] > 0).mean() > 0.95
    assert main(["sample", str(run), "-n", "5", "--label", "7", "-o", str(tmp_path / "bad.npy")]) == 2
    err = capsys.readouterr().err
    assert err == "ganframe: error: labels must lie in 0..1, got [7]\n" and not (tmp_path / "bad.npy").exists()


def test_conditional_input_joins_the_label_to_d_input_too(plugins):
    experiment = Experiment.from_dict({**BLOBS, "conditional_input": True}, plugins=plugins)
    first = next(m for m in experiment.discriminator.inner.modules() if isinstance(m, torch.nn.Linear))
    assert first.in_features == 2 + 2  # the point and its one-hot class
    experiment.fit()
    for label, side in ((0, -1.0), (1, 1.0)):
        assert (experiment.sample(500, labels=label)[:, 0] * side > 0).float().mean() > 0.95
    with pytest.raises(ConfigError, match="conditional_input = true needs conditional = true"):
        Experiment.from_dict({**BLOBS, "conditional": False, "conditional_input": True}, plugins=plugins)
