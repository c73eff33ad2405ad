"""The options of the InfoGAN plugin's components: its noise (:mod:`.noise`), networks
(:mod:`.networks`) and strategy (:mod:`.strategy`), apart from them so that registering the
components, ``ganframe list`` and ``ganframe show`` import no PyTorch."""

from __future__ import annotations

import attrs

from ganframe.config import MAX_UPDATES_PER_ROUND, MAX_WIDTH, at_most, constraint, count_up_to, non_negative, one_of

MAX_CATEGORIES = 10_000
MAX_CONTINUOUS = 1_000


@constraint("0, or 2 and more")
def _categories(instance: object, attribute: attrs.Attribute, value: int) -> None:
    if value == 1:
        raise ValueError(
            "'categories' must be 0 (no categorical code) or at least 2, got 1: one category carries no information"
        )


@attrs.frozen(kw_only=True)
class InfoGanNoiseConfig:
    # Incompressible noise z ~ N(0, I): 62 in the paper's MNIST experiment.
    z_dim: int = attrs.field(default=62, validator=[non_negative, at_most(MAX_WIDTH)])
    # Values of the categorical code (one-hot for G); 0: none. 10 for MNIST's digits.
    categories: int = attrs.field(default=10, validator=[non_negative, at_most(MAX_CATEGORIES), _categories])
    # Continuous codes ~ uniform(-1, 1). 2 for MNIST (width and slant in the paper).
    continuous: int = attrs.field(default=2, validator=[non_negative, at_most(MAX_CONTINUOUS)])

    def __attrs_post_init__(self) -> None:
        if self.categories == 0 and self.continuous == 0:
            raise ValueError("InfoGAN needs at least one latent code: set 'categories' or 'continuous'")


MAX_CONV_WIDTH = 4096


@attrs.frozen(kw_only=True)
class QConfig:
    # Channels of the last convolution (images: at 1/4 resolution; the first has half as many).
    width: int = attrs.field(default=64, validator=count_up_to(MAX_CONV_WIDTH))
    # Units of the fully connected layer before the outputs (the paper's Q head: FC 128 + batch norm).
    hidden: int = attrs.field(default=128, validator=count_up_to(MAX_WIDTH))
    negative_slope: float = 0.1  # of every leaky ReLU
    # Learn a log standard deviation per continuous code (the paper's factored Gaussian); false: unit
    # variance, which makes the continuous loss half the squared error (the authors' MNIST code: fix_std).
    learn_std: bool = False
    # "samples": Q reads the sample itself; "discriminator": Q is a head on D's features (the paper).
    reads: str = attrs.field(default="samples", validator=one_of("samples", "discriminator"))
    # With reads = "discriminator": how many features D's last linear layer reads (mnist-conv of
    # width w: w·7·7; infogan-paper: its hidden size, 1024).
    features: int = attrs.field(default=0, validator=[non_negative, at_most(MAX_WIDTH)])

    def __attrs_post_init__(self) -> None:
        if self.reads == "discriminator" and not self.features:
            raise ValueError(
                "reads = \"discriminator\" needs 'features', the number of inputs of D's last linear layer"
            )


@attrs.frozen(kw_only=True)
class PaperGeneratorConfig:
    hidden: int = attrs.field(default=1024, validator=count_up_to(MAX_WIDTH))  # the first fully connected layer
    width: int = attrs.field(default=128, validator=count_up_to(MAX_CONV_WIDTH))  # channels at 7x7; half at 14x14


@attrs.frozen(kw_only=True)
class PaperDiscriminatorConfig:
    width: int = attrs.field(default=128, validator=count_up_to(MAX_CONV_WIDTH))  # channels at 7x7; half at 14x14
    hidden: int = attrs.field(default=1024, validator=count_up_to(MAX_WIDTH))  # the fully connected layer
    # The paper says "lRELU"; the authors' code uses a slope of 0.01.
    negative_slope: float = 0.01


@attrs.frozen(kw_only=True)
class InfoGanConfig:
    # Weight of the categorical code's cross-entropy (the paper: 1).
    lambda_cat: float = attrs.field(default=1.0, validator=non_negative)
    # Weight of the continuous codes' Gaussian negative log-likelihood (the authors' MNIST code: 1).
    lambda_cont: float = attrs.field(default=1.0, validator=non_negative)
    # Discriminator updates per round, each on fresh batches, before the G-and-Q update.
    d_steps: int = attrs.field(default=1, validator=count_up_to(MAX_UPDATES_PER_ROUND))
