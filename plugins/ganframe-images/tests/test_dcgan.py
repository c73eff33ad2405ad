"""The ``dcgan`` generator and discriminator: shapes for every kind of size, the options, the
refused shapes, seeded initialisation, network extras, conditional GANs and an RGB run's figures."""

from __future__ import annotations

import attrs
import numpy as np
import pytest
import torch
from ganframe_images import dcgan
from ganframe_images.configs import DCGANDiscriminatorConfig, DCGANGeneratorConfig
from ganframe_images.dcgan import DCGANDiscriminator, DCGANGenerator
from PIL import Image
from torch import nn

import ganframe
from ganframe import ConfigError, Experiment
from ganframe.testing import fresh_plugins

NOISE = 16


def _parameters(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


def _pair(size: int, channels: int = 3, width: int = 8, **d_options):
    shape = (channels, size, size)
    return (
        DCGANGenerator(DCGANGeneratorConfig(width=width), NOISE, shape),
        DCGANDiscriminator(DCGANDiscriminatorConfig(width=width, **d_options), shape),
    )


@pytest.mark.parametrize("size", [16, 28, 32, 64, 128])
@pytest.mark.parametrize("channels", [1, 3])
def test_shapes_forward_and_backward(size, channels):
    torch.manual_seed(0)
    generator, discriminator = _pair(size, channels, width=4)
    fake = generator(torch.randn(2, NOISE))
    assert fake.shape == (2, channels, size, size)
    assert fake.abs().max() <= 1  # tanh
    score = discriminator(fake)
    assert score.shape == (2, 1) and discriminator.output == "logits"
    score.sum().backward()
    for network in (generator, discriminator):
        assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in network.parameters())


@pytest.mark.parametrize("size, widths", [(16, [8, 16]), (28, [8, 16]), (32, [8, 16, 32]), (64, [8, 16, 32, 32])])
def test_channels_double_as_the_side_halves_up_to_max_width(size, widths):
    shape = (3, size, size)
    generator = DCGANGenerator(DCGANGeneratorConfig(width=8, max_width=32), NOISE, shape)
    discriminator = DCGANDiscriminator(DCGANDiscriminatorConfig(width=8, max_width=32), shape)
    d_convs = [m.out_channels for m in discriminator.modules() if isinstance(m, nn.Conv2d)]
    g_convs = [m.out_channels for m in generator.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert d_convs == widths and g_convs == [*widths[-2::-1], 3]
    base = 7 if size == 28 else 4
    assert generator.project.out_features == widths[-1] * base * base
    assert discriminator.head.in_features == widths[-1] * base * base


def test_parameters_grow_with_width():
    for size in (28, 64):
        counts = [[_parameters(net) for net in _pair(size, width=width)] for width in (4, 8, 16)]
        assert counts[0][0] < counts[1][0] < counts[2][0]  # G
        assert counts[0][1] < counts[1][1] < counts[2][1]  # D


def test_parameter_limit_is_checked_before_allocating(monkeypatch):
    """The count computed before building is the built network's, to the parameter."""
    for norm in ("batch", "none"):
        g_config, d_config = DCGANGeneratorConfig(width=4, norm=norm), DCGANDiscriminatorConfig(width=4, norm=norm)
        for shape in ((3, 28, 28), (6, 64, 64)):
            for build, config in ((lambda c, s: DCGANGenerator(c, NOISE, s), g_config), (DCGANDiscriminator, d_config)):
                count = _parameters(build(config, shape))
                monkeypatch.setattr(dcgan, "MAX_PARAMETERS", count)
                build(config, shape)
                monkeypatch.setattr(dcgan, "MAX_PARAMETERS", count - 1)
                with pytest.raises(ConfigError, match="choose a smaller width"):
                    build(config, shape)
                monkeypatch.undo()


def test_norm_options():
    def layers(network, kind):
        return [m for m in network.modules() if isinstance(m, kind)]

    _, batch = _pair(32, norm="batch")
    _, spectral = _pair(32, norm="spectral")
    _, none = _pair(32, norm="none")
    assert len(layers(batch, nn.BatchNorm2d)) == 2  # not after the first convolution
    assert not layers(spectral, nn.BatchNorm2d) and not layers(none, nn.BatchNorm2d)
    weighted = layers(spectral, nn.Conv2d) + layers(spectral, nn.Linear)
    assert len(weighted) == 4 and all(nn.utils.parametrize.is_parametrized(m, "weight") for m in weighted)
    assert not any(nn.utils.parametrize.is_parametrized(m) for m in none.modules())
    with torch.no_grad():  # every weight's largest singular value is about 1
        sigma = torch.linalg.matrix_norm(spectral.features[0].weight.flatten(1), ord=2)
    assert float(sigma) == pytest.approx(1.0, rel=0.1)
    g_plain = DCGANGenerator(DCGANGeneratorConfig(width=8, norm="none"), NOISE, (3, 32, 32))
    assert not layers(g_plain, nn.BatchNorm2d) and len(layers(_pair(32)[0], nn.BatchNorm2d)) == 3
    sigmoid = DCGANGenerator(DCGANGeneratorConfig(width=8, output_activation="sigmoid"), NOISE, (1, 16, 16))
    assert (sigmoid(torch.randn(4, NOISE)) >= 0).all()


@pytest.mark.parametrize(
    "shape", [(3, 8, 8), (3, 20, 20), (3, 48, 48), (3, 14, 14), (3, 16, 32), (3, 2048, 2048), (768,), (16, 16)]
)
def test_other_shapes_are_refused_with_the_sizes_that_work(shape):
    for build in (
        lambda: DCGANGenerator(DCGANGeneratorConfig(), NOISE, shape),
        lambda: DCGANDiscriminator(DCGANDiscriminatorConfig(), shape),
    ):
        with pytest.raises(
            ValueError,
            match=r"of size 16, 32, 64, .*, 1024 or 28, 56, 112, .*896; "
            rf"these examples have shape \({shape[0]},",
        ):
            build()


def test_config_options_are_checked():
    with pytest.raises(ValueError, match=r"'max_width' .* at least 'width'"):
        DCGANGeneratorConfig(width=64, max_width=32)
    with pytest.raises(ValueError, match="'norm' must be one of 'batch', 'spectral', 'none'"):
        DCGANDiscriminatorConfig(norm="layer")
    with pytest.raises(ValueError):
        DCGANDiscriminatorConfig(negative_slope=-0.1)


def test_same_seed_same_networks():
    def build(seed):
        torch.manual_seed(seed)
        return _pair(32, norm="spectral")

    first, second, other = build(0), build(0), build(1)
    for a, b, c in zip(first, second, other):
        state_a, state_b, state_c = a.state_dict(), b.state_dict(), c.state_dict()
        assert all(torch.equal(state_a[k], state_b[k]) for k in state_a)
        assert not all(torch.equal(state_a[k], state_c[k]) for k in state_a)
    weights = [m.weight.detach() for m in first[0].modules() if isinstance(m, nn.ConvTranspose2d)]
    assert float(torch.cat([w.flatten() for w in weights]).std()) == pytest.approx(0.02, rel=0.1)


# -- in experiments: extras, conditional GANs, the command line and its figures ----------------------------


@attrs.frozen(kw_only=True)
class BlobsConfig:
    channels: int = 3


class Blobs(ganframe.Dataset):
    """64 labelled 16 x 16 images in [-1, 1]: a square of one of two colours (the label) on black."""

    num_classes = 2

    def __init__(self, channels: int) -> None:
        self.sample_shape = (channels, 16, 16)
        self.labels = torch.arange(64) % 2
        self.images = torch.full((64, *self.sample_shape), -1.0)
        for index in range(64):
            top, left = (index * 5) % 10, (index * 3) % 10
            self.images[index, index % channels, top : top + 6, left : left + 6] = 1.0

    def __len__(self) -> int:
        return len(self.images)

    def get(self, indices: torch.Tensor) -> torch.Tensor:
        return self.images[indices]

    def to_data_space(self, x: torch.Tensor) -> torch.Tensor:
        return (x + 1) / 2


class BlobsPlugin:
    @ganframe.hookimpl
    def register_data_sources(self, register):
        register("blobs", lambda config, context: Blobs(config.channels), config=BlobsConfig)


@pytest.fixture(scope="module")
def plugins():
    import ganframe_extras
    import ganframe_images

    return fresh_plugins(ganframe_images, ganframe_extras, BlobsPlugin(), entry_points=False)


def _fit(plugins, *, conditional: bool = False, d_extras=(), g_extras=(), **discriminator) -> Experiment:
    raw = {
        "seed": 0,
        "device": "cpu",
        "conditional": conditional,
        "data": {"name": "blobs"},
        "noise": {"name": "normal", "dim": NOISE},
        "generator": {"name": "dcgan", "width": 4, "extras": list(g_extras)},
        "discriminator": {"name": "dcgan", "width": 4, "extras": list(d_extras), **discriminator},
        "train": {"steps": 2, "batch_size": 8},
        "evaluation": {"metrics": []},
        "logging": {"plots": False},
    }
    experiment = Experiment.from_dict(raw, plugins=plugins)
    experiment.fit()
    samples = experiment.sample(4)
    assert samples.shape == (4, 3, 16, 16) and torch.isfinite(samples).all()
    return experiment


@pytest.mark.parametrize(
    "d_extras, norm",
    [
        (["minibatch-std"], "batch"),
        (["spectral-norm"], "none"),
        ([{"name": "pack", "m": 2}], "spectral"),
        ([{"name": "minibatch-discrimination", "kernels": 4}, "instance-noise"], "batch"),
    ],
)
def test_network_extras(plugins, d_extras, norm):
    experiment = _fit(plugins, d_extras=d_extras, g_extras=["ema"], norm=norm)
    first = next(m for m in experiment.discriminator.modules() if isinstance(m, nn.Conv2d))
    assert first.in_channels == (6 if d_extras[0] == {"name": "pack", "m": 2} else 3)  # packed: pairs of images


def test_conditional_gan(plugins):
    experiment = _fit(plugins, conditional=True)
    assert experiment.sample(2, labels=[0, 1]).shape == (2, 3, 16, 16)
    with pytest.raises(ConfigError, match="leave conditional_input off"):
        Experiment.from_dict(
            {
                "seed": 0,
                "device": "cpu",
                "conditional": True,
                "conditional_input": True,
                "data": {"name": "blobs"},
                "generator": {"name": "dcgan"},
                "discriminator": {"name": "dcgan"},
            },
            plugins=plugins,
        )


def test_rgb_run_from_the_command_line_draws_rgb_figures(tmp_path, capsys):
    from ganframe.cli import main

    images = np.random.default_rng(0).uniform(-1, 1, size=(64, 3, 16, 16)).astype("float32")
    np.save(tmp_path / "images.npy", images)
    (tmp_path / "run.toml").write_text(f"""
[data]
name = "file"
path = "{tmp_path / "images.npy"}"
[noise]
name = "normal"
dim = {NOISE}
[generator]
name = "dcgan"
width = 4
[discriminator]
name = "dcgan"
width = 4
norm = "spectral"
[train]
steps = 4
batch_size = 16
[evaluation]
metrics = []
[logging]
plots = true
""")
    run = tmp_path / "run"
    assert main(["train", "--config", str(tmp_path / "run.toml"), "--out", str(run), "--device", "cpu", "--quiet"]) == 0
    with Image.open(run / "plots" / "samples.png") as grid:
        assert grid.mode == "RGB" and grid.size == (8 * 18 + 2, 8 * 18 + 2)  # 8 x 8 images, 2 pixels apart
        pixels = np.asarray(grid)
    assert (pixels[2:18, 2:18, 0] != pixels[2:18, 2:18, 1]).any()  # colours, not grey
    with Image.open(run / "plots" / "progress.gif") as gif:
        assert gif.n_frames >= 2
        gif.seek(gif.n_frames - 1)  # the first, from G as initialised, is near black: a few grey levels
        frame = np.asarray(gif.convert("RGB"))
    assert (frame[..., 0] != frame[..., 1]).any()
    assert (run / "report.html").is_file()

    np.save(tmp_path / "images.npy", images[:, :, :, :15])  # (3, 16, 15): not square
    capsys.readouterr()
    assert main(["train", "--config", str(tmp_path / "run.toml"), "--out", str(tmp_path / "bad"), "--quiet"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith("ganframe: error: the dcgan generator takes square images")
