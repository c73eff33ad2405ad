"""The ``infogan`` plugin: its noise lays out and reads back codes, Q has the right outputs, the
strategy makes the codes recoverable (the information loss falls) and resumes bit for bit, the
metric tells a code that decides the digit from one that does not, the figures are written, and
misuse is refused in one line."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import ganframe_infogan
import numpy as np
import pytest
import torch
from ganframe_infogan import InfoGanNoise, QConfig, QNetwork, code_statistics
from ganframe_infogan.metric import CodePurity
from ganframe_mnist.data import MnistConfig, load_mnist
from infogan_testdata import Points
from torch import nn

import ganframe
from ganframe import ConfigError, Experiment
from ganframe.components import MetricContext
from ganframe.testing import fresh_plugins, smoke_run

PACKAGE = Path(ganframe_infogan.__file__).resolve().parent


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins(Points())


def points_config(
    *, steps: int = 3, seed: int = 0, strategy: dict | None = None, noise: dict | None = None, q: dict | None = None
) -> dict:
    """A small InfoGAN on four 2-D clusters: 4 categories, 1 continuous code."""
    config = {
        "seed": seed,
        "device": "cpu",
        "data": {"name": "four-clusters"},
        "noise": noise or {"name": "infogan", "z_dim": 2, "categories": 4, "continuous": 1},
        "generator": {
            "name": "mlp",
            "hidden": [32, 32],
            "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]},
        },
        "discriminator": {
            "name": "mlp",
            "hidden": [32],
            "optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.5, 0.999]},
        },
        "strategy": strategy or {"name": "infogan"},
        "train": {"steps": steps, "batch_size": 64, "log_every": 1, "threads": 1},
        "evaluation": {"metrics": [], "samples": 100},
    }
    if q is not False:
        config["networks"] = {"q": q or {"name": "infogan-q", "hidden": 32, "optimizer": {"name": "adam", "lr": 1e-3}}}
    return config


def mnist_config(data_dir: str, **sections) -> dict:
    """A small InfoGAN on a (synthetic) MNIST copy, without metrics unless given; a section None is left out."""
    config = {
        "seed": 0,
        "device": "cpu",
        "data": {"name": "mnist", "data_dir": data_dir},
        "noise": {"name": "infogan"},
        "generator": {"name": "mnist-conv", "width": 16},
        "discriminator": {"name": "mnist-conv", "width": 16},
        "networks": {"q": {"name": "infogan-q", "width": 8, "hidden": 16}},
        "strategy": {"name": "infogan"},
        "train": {"steps": 2, "batch_size": 16, "threads": 1},
        "evaluation": {"metrics": [], "samples": 100},
    }
    config.update(sections)
    return {key: value for key, value in config.items() if value is not None}


def state(module: nn.Module) -> dict[str, torch.Tensor]:
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


class Logs:
    """Keeps every round's logs."""

    def __init__(self) -> None:
        self.rows: list[dict[str, float]] = []

    @ganframe.hookimpl
    def on_step_end(self, logs):
        self.rows.append({name: float(value) for name, value in logs.items()})


# -- registration ---------------------------------------------------------------------------------
def test_registered_through_its_entry_point_and_imports_only_public_modules():
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="ganframe") if ep.name == "infogan"]
    assert entry_point.value == "ganframe_infogan"
    installed = fresh_plugins()
    assert not [info for info in installed.infos if info.name == "infogan" and info.error]
    assert sorted(installed.registry.by_plugin()["infogan"]) == sorted(
        [
            ("noise", "infogan"),
            ("networks", "infogan-q"),
            ("generators", "infogan-paper"),
            ("discriminators", "infogan-paper"),
            ("strategies", "infogan"),
            ("metrics", "infogan-codes"),
            ("setups", "infogan-mnist"),
        ]
    )
    public = {"ganframe", "ganframe.components", "ganframe.config", "ganframe.nn", "ganframe.data", "ganframe.plots"}
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        assert {name for name in imported if name.split(".")[0] == "ganframe"} <= public, path.name


# -- noise ----------------------------------------------------------------------------------------
def test_noise_layout_sampling_and_codes():
    noise = InfoGanNoise(62, 10, 2)
    assert noise.dim == 74
    assert (noise.z_slice, noise.category_slice, noise.continuous_slice) == (slice(0, 62), slice(62, 72), slice(72, 74))
    x = noise.sample(20_000, generator=torch.Generator().manual_seed(0), device=torch.device("cpu"))
    assert x.shape == (20_000, 74)
    one_hot = x[:, 62:72]
    assert torch.equal(one_hot.sum(1), torch.ones(20_000)) and set(one_hot.unique().tolist()) == {0.0, 1.0}
    shares = one_hot.mean(0)
    assert shares.min() > 0.085 and shares.max() < 0.115  # uniform over 10
    assert x[:, 72:].min() >= -1 and x[:, 72:].max() <= 1 and abs(float(x[:, 72:].mean())) < 0.03
    assert abs(float(x[:, :62].std()) - 1) < 0.02
    category, continuous = noise.codes(x)
    assert torch.equal(category, one_hot.argmax(1)) and torch.equal(continuous, x[:, 72:])
    z = torch.randn(3, 62)
    built = noise.with_codes(z, torch.tensor([0, 9, 4]), torch.tensor([[0.5, -2.0], [0.0, 0.0], [1.0, 1.0]]))
    assert torch.equal(built[:, :62], z) and built[1, 71] == 1 and built[2, 66] == 1 and built[:, 62:72].sum() == 3
    assert noise.codes(built)[0].tolist() == [0, 9, 4] and built[0, 73] == -2.0
    with pytest.raises(ValueError, match="do not fit"):
        noise.with_codes(z, torch.tensor([0, 1]), torch.zeros(3, 2))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"categories": 1}, "'categories' must be 0 (no categorical code) or at least 2, got 1"),
        ({"categories": 0, "continuous": 0}, "InfoGAN needs at least one latent code"),
        ({"z_dim": -1}, "'z_dim' must be >= 0, got -1"),
        ({"continuous": -2}, "'continuous' must be >= 0, got -2"),
    ],
)
def test_bad_noise_options_are_one_line(plugins, options, message):
    with pytest.raises(ConfigError) as caught:
        Experiment.from_dict(points_config(noise={"name": "infogan", **options}), plugins=plugins)
    assert message in str(caught.value) and "\n" not in str(caught.value)


# -- Q --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("learn_std", [False, True])
def test_q_gives_logits_means_and_log_stds_for_images_and_vectors(learn_std):
    noise = InfoGanNoise(5, 10, 2)
    for shape in ((1, 28, 28), (7,)):
        q = QNetwork(QConfig(width=8, hidden=16, learn_std=learn_std), shape, noise)
        logits, mean, log_std = q(torch.randn(4, *shape))
        assert (logits.shape, mean.shape, log_std.shape) == ((4, 10), (4, 2), (4, 2))
        assert any(isinstance(m, nn.Conv2d) for m in q.modules()) == (len(shape) == 3)
        assert bool((log_std == 0).all()) != learn_std
    only_continuous = QNetwork(QConfig(), (3,), InfoGanNoise(2, 0, 3))
    assert [t.shape for t in only_continuous(torch.randn(2, 3))] == [(2, 0), (2, 3), (2, 3)]


# -- the strategy ---------------------------------------------------------------------------------
def test_training_makes_the_codes_recoverable(plugins):
    logs = Logs()
    experiment = Experiment.from_dict(points_config(steps=300), plugins=plugins, callbacks=[logs])
    experiment.fit()
    assert set(logs.rows[0]) == {"d_loss", "g_loss", "info_loss"}
    assert all(np.isfinite(list(row.values())).all() for row in logs.rows)
    first = logs.rows[0]["info_loss"]
    last = np.mean([row["info_loss"] for row in logs.rows[-20:]])
    # Untrained: ln 4 ≈ 1.39 for the category plus ≈ 0.17 for the continuous code (0.5 · E[c²] = 1/6).
    # Measured: 1.48 in the first round, 0.07 over the last 20.
    assert first > 1.2 and last < 0.3, (first, last)


def test_a_stopped_run_resumes_bit_for_bit(plugins, tmp_path):
    whole = Experiment.from_dict(points_config(steps=6), plugins=plugins)
    whole.fit(tmp_path / "whole")
    half = Experiment.from_dict(points_config(steps=3), plugins=plugins)
    half.fit(tmp_path / "half")
    resumed = Experiment.load(tmp_path / "half", steps=6, plugins=plugins)
    resumed.fit(tmp_path / "half")
    assert set(whole.networks) == {"generator", "discriminator", "q"}
    for role in whole.networks:
        assert all(
            torch.equal(a, b)
            for a, b in zip(state(resumed.networks[role]).values(), state(whole.networks[role]).values())
        ), role
    assert torch.equal(resumed.sample(50), whole.sample(50))


def test_q_on_the_discriminators_features_trains_d_with_the_information_loss(plugins):
    q = {"name": "infogan-q", "hidden": 32, "reads": "discriminator", "features": 32}
    logs = Logs()
    experiment = Experiment.from_dict(points_config(steps=200, q=q), plugins=plugins, callbacks=[logs])
    assert experiment.strategy.shared and not any(
        isinstance(m, nn.Linear) and m.in_features == 2 for m in experiment.networks["q"].modules()
    )
    experiment.fit()
    first = logs.rows[0]["info_loss"]
    last = np.mean([row["info_loss"] for row in logs.rows[-20:]])
    assert first > 1.2 and last < 0.4, (first, last)  # measured: 1.63 in the first round, 0.13 over the last 20
    with pytest.raises(
        ConfigError,
        match=r"Q reads 16 features of D .* D's last linear layer reads 32: set "
        r"networks.q.features = 32$",
    ):
        Experiment.from_dict(points_config(q={**q, "features": 16}), plugins=plugins)
    with pytest.raises(ConfigError, match="needs 'features'"):
        Experiment.from_dict(points_config(q={"name": "infogan-q", "reads": "discriminator"}), plugins=plugins)


def test_the_strategy_refuses_other_noise_and_a_missing_q(plugins):
    with pytest.raises(ConfigError) as caught:
        Experiment.from_dict(points_config(noise={"name": "normal", "dim": 4}, q=False), plugins=plugins)
    assert str(caught.value).startswith(
        "building strategy 'infogan'"
    ) or "strategy 'infogan' needs the 'infogan' noise" in str(caught.value)
    assert "\n" not in str(caught.value)
    with pytest.raises(ConfigError, match=r"needs the network role 'q'.*add a \[networks.q\] section"):
        Experiment.from_dict(points_config(q=False), plugins=plugins)
    with pytest.raises(ConfigError, match="network 'infogan-q' reads the codes of the 'infogan' noise"):
        Experiment.from_dict(points_config(noise={"name": "normal", "dim": 4}), plugins=plugins)


# -- the metric -----------------------------------------------------------------------------------
def test_code_statistics():
    codes = torch.tensor([0, 0, 0, 1, 1, 1])
    assert code_statistics(codes, torch.tensor([3, 3, 5, 4, 4, 4]), 2) == {"purity": 5 / 6, "digits_covered": 2.0}
    assert code_statistics(codes, torch.tensor([3, 3, 3, 3, 3, 1]), 2) == {"purity": 5 / 6, "digits_covered": 1.0}


class DigitBank(nn.Module):
    """A fake generator showing real test digits in model space: the digit is the categorical code
    (``decisive``) or drawn from z, whatever the code."""

    def __init__(self, noise: InfoGanNoise, bank: torch.Tensor, decisive: bool) -> None:
        super().__init__()
        self.noise, self.bank, self.decisive = noise, bank, decisive  # bank: (10, m, 1, 28, 28)
        self.unused = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        category, _ = self.noise.codes(x)  # (B,)
        random_digit = (torch.special.ndtr(x[:, 0]) * 10).long().clamp(max=9)  # (B,) uniform, from z
        digit = category if self.decisive else random_digit
        index = (torch.special.ndtr(x[:, 1]) * self.bank.shape[1]).long().clamp(max=self.bank.shape[1] - 1)
        return self.bank[digit, index]  # (B, 1, 28, 28)


def test_the_metric_tells_a_decisive_code_from_an_ignored_one(real_mnist):
    data = load_mnist(MnistConfig(**real_mnist))
    images = data.test_images.unsqueeze(1).float() / 255 * 2 - 1  # (10000, 1, 28, 28) model space
    bank = torch.stack([images[data.test_labels == d][:100] for d in range(10)])  # (10, 100, 1, 28, 28)
    noise = InfoGanNoise(62, 10, 2)
    results = {}
    for decisive in (True, False):
        context = MetricContext(
            data=data,
            generator=torch.Generator().manual_seed(0),
            device=torch.device("cpu"),
            networks={"generator": DigitBank(noise, bank, decisive)},
        )
        results[decisive] = CodePurity(noise)(torch.zeros(2, 1, 28, 28), context)
    # measured: 0.981 and 10 (the classifier errs on ~2 % of these digits); 0.12 when the code is ignored
    assert results[True]["purity"] > 0.95 and results[True]["digits_covered"] == 10
    assert results[False]["purity"] < 0.2, results[False]  # ≈ 0.1 plus the luck of each code's majority


def test_the_metric_refuses_other_noise_and_other_category_counts(synthetic_dir):
    plugins = fresh_plugins()
    with pytest.raises(ConfigError, match=r"metric 'infogan-codes' .* needs noise.categories = 10, not 5$"):
        Experiment.from_dict(
            mnist_config(
                synthetic_dir, noise={"name": "infogan", "categories": 5}, evaluation={"metrics": ["infogan-codes"]}
            ),
            plugins=plugins,
        )
    with pytest.raises(ConfigError, match="metric 'infogan-codes' fixes the categorical code of the 'infogan' noise"):
        Experiment.from_dict(
            mnist_config(
                synthetic_dir,
                noise={"name": "normal"},
                strategy="alternating",
                networks=None,
                evaluation={"metrics": ["infogan-codes"]},
            ),
            plugins=plugins,
        )


def test_non_mnist_data_is_one_line_and_exit_2_on_the_command_line(tmp_path):
    np.save(tmp_path / "images.npy", np.zeros((64, 1, 28, 28), dtype=np.float32))
    (tmp_path / "run.toml").write_text('setup = "infogan-mnist"\n[data]\nname = "file"\npath = "images.npy"\n')
    done = subprocess.run(
        [sys.executable, "-m", "ganframe", "train", "--config", "run.toml", "--steps", "1", "--out", "run", "--quiet"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "metric 'infogan-codes' classifies samples with the MNIST plugin's classifier" in line
    assert "needs the 'mnist' data source" in line


# -- presets and figures ----------------------------------------------------------------------------
@pytest.mark.parametrize("preset", ["default", "tutorial"])
def test_every_preset_trains(synthetic_dir, preset):
    experiment = smoke_run(
        "infogan-mnist",
        preset,
        steps=2,
        overrides={"data.data_dir": synthetic_dir, "train.batch_size": 16, "evaluation.metrics": []},
    )
    assert experiment.step == 2 and set(experiment.networks) == {"generator", "discriminator", "q"}


def test_the_code_figures_are_written(synthetic_dir, tmp_path):
    experiment = Experiment.from_dict(mnist_config(synthetic_dir), plugins=fresh_plugins())
    experiment.fit(tmp_path / "run")
    plots = tmp_path / "run" / "plots"
    assert (plots / "infogan-cont1.png").stat().st_size > 1000 and (plots / "infogan-cont2.png").is_file()
    index = json.loads((plots / "figures.json").read_text())
    assert "infogan-cont1.png" in json.dumps(index)
