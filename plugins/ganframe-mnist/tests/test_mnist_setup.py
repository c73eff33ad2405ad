"""The ``mnist`` plugin: found through its entry point, reads MNIST copies, explains missing data, trains."""

from __future__ import annotations

import importlib.metadata
import struct

import numpy as np
import pytest
import torch
from ganframe_mnist.data import RAW_FILES, MnistConfig, load_mnist
from ganframe_mnist.metrics import classifier_for
from mnist_testdata import write_synthetic_mnist

from ganframe import ConfigError, Experiment
from ganframe.cli import main
from ganframe.testing import SampleRecorder, fresh_plugins, smoke_run


@pytest.fixture(scope="module")
def plugins():
    return fresh_plugins()


def test_registered_through_its_installed_entry_point(plugins):
    (entry_point,) = [ep for ep in importlib.metadata.entry_points(group="ganframe") if ep.name == "mnist"]
    assert entry_point.value == "ganframe_mnist"
    (info,) = [info for info in plugins.infos if info.name == "mnist"]
    assert info.distribution == "ganframe-mnist" and info.error is None
    assert info.version == importlib.metadata.version("ganframe-mnist")
    assert sorted(plugins.registry.by_plugin()["mnist"]) == [
        ("data-sources", "mnist"),
        ("discriminators", "mnist-conv"),
        ("discriminators", "mnist-mlp"),
        ("generators", "mnist-conv"),
        ("generators", "mnist-mlp"),
        ("metrics", "mnist-digits"),
        ("metrics", "mnist-fd"),
        ("setups", "mnist"),
    ]


def test_the_tutorial_preset_follows_the_article(plugins, synthetic_dir):
    config = Experiment.from_setup(
        "mnist", "tutorial", device="cpu", plugins=plugins, overrides={"data.data_dir": str(synthetic_dir)}
    ).config
    g, d = config.generator, config.discriminator
    assert (g.name, g.config.hidden, g.config.negative_slope, g.config.output_activation) == (
        "mlp",
        (256, 512, 1024),
        0.01,
        "tanh",
    )
    assert (d.name, d.config.hidden, d.config.negative_slope, d.config.output) == (
        "mlp",
        (1024, 512, 256),
        0.01,
        "probabilities",
    )
    for network in (g, d):
        assert network.optimizer.name == "adam"
        assert (network.optimizer.config.lr, tuple(network.optimizer.config.betas)) == (2e-4, (0.9, 0.999))
    assert config.noise.name == "normal" and config.noise.config.dim == 100
    assert (config.loss.name, config.loss.config.d_terms) == ("non-saturating", "sum")
    strategy = config.strategy.config
    assert (config.strategy.name, strategy.order, strategy.d_steps, strategy.g_steps) == (
        "alternating",
        "g-first",
        1,
        1,
    )
    assert (config.train.batch_size, config.train.steps, config.train.threads) == (128, 100 * 468, 1)


def frechet_by_numpy(a: np.ndarray, b: np.ndarray) -> float:
    """The Fréchet distance of Gaussians fitted to features ``a`` and ``b`` (N, D), with numpy only:
    ‖μa − μb‖² + tr(Σa + Σb − 2 (Σa Σb)^½), where tr (Σa Σb)^½ is the sum of the square roots of the
    eigenvalues of the (non-symmetric) product, which are real and ≥ 0 up to rounding."""
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    cross = np.sqrt(np.clip(np.linalg.eigvals(cov_a @ cov_b).real, 0, None)).sum()
    return float(np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def test_the_reference_frechet_distance_is_zero_for_a_set_and_grows_with_a_shift():
    a = np.random.default_rng(0).normal(size=(500, 4)) @ np.diag([1.0, 2.0, 0.5, 1.5])
    assert abs(frechet_by_numpy(a, a)) < 1e-8
    # The same covariance: only the shift of the mean is left, |d|² = 1 + 4 + 0 + 0.25.
    assert frechet_by_numpy(a + np.array([1.0, 2.0, 0.0, -0.5]), a) == pytest.approx(5.25, rel=1e-9)
    assert frechet_by_numpy(2 * a, a) > 0.5  # a wider spread: ‖μ‖² small, tr(Σ) terms ≈ Σ σ²


@pytest.mark.parametrize("preset", ["tutorial", "default", "conditional"])
def test_each_preset_trains_a_few_steps_on_synthetic_data(synthetic_dir, preset):
    recorder = SampleRecorder()
    experiment = smoke_run(
        "mnist",
        preset,
        steps=3,
        plugins=fresh_plugins(recorder),
        overrides={"data.data_dir": str(synthetic_dir), "evaluation.samples": 200},
    )
    samples = experiment.sample(16)
    assert samples.shape == (16, 1, 28, 28) and 0 <= samples.min() and samples.max() <= 1
    metrics = experiment.evaluate(metrics=[*experiment.config.evaluation.metrics, "recorded-samples"])
    assert set(metrics) == {"fd", "digit_entropy", "digits_seen", "digit_share_min", "digit_share_max"}
    # The metrics saw these 200 samples; recompute them from the classifier's features and digits.
    (evaluated,) = recorder.seen
    assert evaluated.shape == (200, 1, 28, 28)
    classifier = classifier_for(experiment.data)
    features, digits = classifier.features_and_classes(evaluated)
    test_features, _ = classifier.features_and_classes(experiment.data.test_images.unsqueeze(1).float() / 255)
    assert metrics["fd"] == pytest.approx(frechet_by_numpy(features.numpy(), test_features.numpy()), rel=1e-6)
    shares = np.bincount(digits.numpy(), minlength=10) / len(digits)
    assert metrics["digit_entropy"] == pytest.approx(-sum(p * np.log2(p) for p in shares if p > 0), abs=1e-12)
    assert metrics["digits_seen"] == np.sum(shares >= 0.01)
    assert (metrics["digit_share_min"], metrics["digit_share_max"]) == pytest.approx((shares.min(), shares.max()))
    if preset == "conditional":
        sevens = experiment.sample(4, labels=7)
        assert sevens.shape == (4, 1, 28, 28) and not torch.equal(sevens, experiment.sample(4, labels=1))


def test_data_matches_torchvision_normalisation(synthetic_dir):
    data = load_mnist(MnistConfig(data_dir=str(synthetic_dir)))
    assert len(data) == 512 and len(data.test_images) == 200
    batch = data.get(torch.tensor([0, 5]))
    assert batch.shape == (2, 1, 28, 28) and batch.min() >= -1 and batch.max() == 1
    expected = (data.images[[0, 5]].unsqueeze(1).float() / 255 - 0.5) / 0.5  # ToTensor, Normalize(0.5, 0.5)
    assert torch.equal(batch, expected)
    assert torch.allclose(data.to_data_space(batch), data.images[[0, 5]].unsqueeze(1).float() / 255)


@pytest.mark.parametrize("layout", ["plain", "gz", "torchvision"])
def test_a_local_copy_is_read_in_every_layout(tmp_path, layout):
    folder = tmp_path / "copy"
    target = folder / "MNIST" / "raw" if layout == "torchvision" else folder
    write_synthetic_mnist(target, compress=layout == "gz")
    data = load_mnist(MnistConfig(data_dir=str(folder)))
    assert data.labels[:10].tolist() == list(range(10))
    assert all(path.is_file() for path in target.iterdir())  # the copy is left as it was


def test_the_environment_variable_names_the_copy(synthetic_dir, monkeypatch):
    monkeypatch.setenv("GANFRAME_MNIST_DIR", str(synthetic_dir))
    assert len(load_mnist(MnistConfig())) == 512


def test_missing_data_says_how_to_get_it(tmp_path):
    with pytest.raises(ConfigError, match="GANFRAME_MNIST_DIR") as caught:
        load_mnist(MnistConfig(cache_dir=str(tmp_path / "empty"), download=False))
    assert "\n" not in str(caught.value)
    write_synthetic_mnist(tmp_path / "partial").joinpath(RAW_FILES[3]).unlink()
    with pytest.raises(ConfigError, match="has no t10k-labels-idx1-ubyte"):
        load_mnist(MnistConfig(data_dir=str(tmp_path / "partial")))
    with pytest.raises(ConfigError, match="is not a folder"):
        load_mnist(MnistConfig(data_dir=str(tmp_path / "nowhere")))


@pytest.mark.parametrize("damage", ["truncated", "not-idx", "bad-gzip"])
def test_corrupt_data_is_a_clear_error(tmp_path, damage):
    folder = write_synthetic_mnist(tmp_path / "copy", compress=damage == "bad-gzip")
    name = RAW_FILES[0] + (".gz" if damage == "bad-gzip" else "")
    path = folder / name
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:1000])
    elif damage == "not-idx":
        path.write_bytes(struct.pack(">I", 0x1234) + b"hello")
    else:
        path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ConfigError, match="MNIST") as caught:
        load_mnist(MnistConfig(data_dir=str(folder)))
    assert "\n" not in str(caught.value) and "GANFRAME_MNIST_DIR" in str(caught.value)


def test_the_cli_reports_missing_data_in_one_line(tmp_path, capsys):
    code = main(
        [
            "train",
            "mnist",
            "--steps",
            "1",
            "--out",
            str(tmp_path / "run"),
            "--set",
            f"data.data_dir={str(tmp_path / 'nowhere')!r}".replace("'", '"'),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganframe: error:") and "GANFRAME_MNIST_DIR" in err and "\n" not in err


def test_the_cli_writes_a_grid_of_samples(tmp_path, synthetic_dir, capsys):
    run, grid = tmp_path / "run", tmp_path / "digits.png"
    data_dir = f'data.data_dir="{synthetic_dir}"'
    assert (
        main(
            [
                "train",
                "mnist",
                "--preset",
                "tutorial",
                "--steps",
                "2",
                "--out",
                str(run),
                "--quiet",
                "--set",
                data_dir,
                "--set",
                "evaluation.samples=100",
            ]
        )
        == 0
    )
    assert main(["sample", str(run), "-n", "100", "-o", str(grid)]) == 0
    from PIL import Image

    with Image.open(grid) as image:
        assert image.size == (302, 302)  # 10 x 10 digits of 28 pixels, 2 pixels of padding


def test_bad_options_are_named(plugins, synthetic_dir):
    with pytest.raises(ConfigError, match="data_dirr"):
        Experiment.from_setup("mnist", device="cpu", plugins=plugins, overrides={"data.data_dirr": "x"})
    with pytest.raises(ConfigError, match="hidden"):
        Experiment.from_setup(
            "mnist",
            device="cpu",
            plugins=plugins,
            overrides={"data.data_dir": str(synthetic_dir), "generator.hidden": [0]},
        )


@pytest.mark.parametrize(("generator", "discriminator"), [("mnist-mlp", "mnist-mlp"), ("mnist-conv", "mnist-conv")])
def test_the_plugin_networks_train_on_images(plugins, synthetic_dir, generator, discriminator):
    experiment = Experiment.from_dict(
        {"setup": "mnist", "generator": {"name": generator}, "discriminator": {"name": discriminator}},
        overrides={"data.data_dir": str(synthetic_dir), "train.steps": 2, "evaluation.samples": 100, "device": "cpu"},
        plugins=plugins,
    )
    experiment.fit()
    assert experiment.sample(3).shape == (3, 1, 28, 28)


def mnist_mlp_d(plugins, synthetic_dir, extras) -> torch.nn.Module:
    """An ``mnist-mlp`` discriminator of one hidden layer of 8 units, with these network extras."""
    experiment = Experiment.from_dict(
        {"setup": "mnist", "discriminator": {"name": "mnist-mlp", "hidden": [8], "extras": extras}},
        overrides={"data.data_dir": str(synthetic_dir), "device": "cpu"},
        plugins=plugins,
    )
    return experiment.discriminator


def test_the_minibatch_std_extra_sees_a_batch_without_variety(plugins, synthetic_dir):
    d = mnist_mlp_d(plugins, synthetic_dir, ["minibatch-std"])
    head = d.head[1]  # the extra puts its feature before the head, which reads one input more
    assert head.in_features == 8 + 1
    varied = torch.rand(4, 1, 28, 28)
    same = varied[:1].expand(4, 1, 28, 28)
    with torch.no_grad():
        head.weight.zero_()
        head.weight[0, -1] = 1.0  # read only the minibatch-std input
        assert torch.all(d(same) == head.bias) and torch.all(d(varied) > head.bias)


def test_the_minibatch_discrimination_extra_compares_the_examples_of_each_batch(plugins, synthetic_dir):
    d = mnist_mlp_d(plugins, synthetic_dir, [{"name": "minibatch-discrimination", "kernels": 3}])
    head = d.head[1]
    assert head.in_features == 8 + 3
    varied = torch.rand(4, 1, 28, 28)
    same = varied[:1].expand(4, 1, 28, 28)
    with torch.no_grad():
        head.weight.zero_()
        head.weight[0, -3:] = 1.0  # read only the three closeness sums
        # Identical examples are each at distance 0 from the 3 others, in each of the 3 kernels.
        assert torch.allclose(d(same), head.bias + 3 * 3.0)
        assert torch.all(d(varied) < head.bias + 3 * 3.0)
        # Each batch is compared only with itself: the same example scores the same in any batch of copies.
        assert torch.allclose(d(same[:2]), head.bias + 3 * 1.0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"minibatch_std": True}, 'discriminator.minibatch_std is gone: use discriminator.extras = ["minibatch-std"]'),
        (
            {"minibatch_std": False, "minibatch_kernels": 3},
            "discriminator.minibatch_kernels is gone: use discriminator.extras = "
            '[{name = "minibatch-discrimination", kernels = 3, kernel_dims = 5}]',
        ),
        (
            {"minibatch_std": True, "minibatch_kernels": 4, "minibatch_kernel_dims": 2},
            "discriminator.minibatch_kernels is gone: use discriminator.extras = "
            '[{name = "minibatch-discrimination", kernels = 4, kernel_dims = 2}, "minibatch-std"]',
        ),
    ],
)
def test_the_discriminators_former_minibatch_options_are_one_line_that_says_what_to_write(
    plugins, synthetic_dir, options, message
):
    with pytest.raises(ConfigError) as caught:
        Experiment.from_dict(
            {"setup": "mnist", "discriminator": {"name": "mnist-mlp", **options}},
            overrides={"data.data_dir": str(synthetic_dir), "device": "cpu"},
            plugins=plugins,
        )
    assert str(caught.value) == message


def test_the_former_options_left_off_still_load_as_earlier_run_directories_list_them(plugins, synthetic_dir):
    off = {"minibatch_std": False, "minibatch_kernels": 0, "minibatch_kernel_dims": 5}
    experiment = Experiment.from_dict(
        {"setup": "mnist", "discriminator": {"name": "mnist-mlp", "hidden": [8], "extras": [], **off}},
        overrides={"data.data_dir": str(synthetic_dir), "device": "cpu"},
        plugins=plugins,
    )
    assert [type(m) for m in experiment.discriminator.modules() if not list(m.children())] == [
        torch.nn.Linear,
        torch.nn.LeakyReLU,
        torch.nn.Linear,
    ]


def test_conv_networks_refuse_other_image_sizes(plugins, synthetic_dir):
    from ganframe_mnist.networks import ConvGenerator, ConvGeneratorConfig

    with pytest.raises(ValueError, match=r"\(1, 28, 28\)"):
        ConvGenerator(ConvGeneratorConfig(), 100, (3, 32, 32))
