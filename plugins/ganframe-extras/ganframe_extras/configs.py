"""The options of the extras' components: the network extras of :mod:`.features`, :mod:`.training`
and :mod:`.packing`, and the losses of :mod:`.losses`, apart from them so that registering the
components, ``ganframe list`` and ``ganframe show`` import no PyTorch."""

from __future__ import annotations

import attrs

from ganframe.config import MAX_BATCH_SIZE, MAX_WIDTH, count_up_to, non_negative, one_of


# -- network extras -------------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class MinibatchDiscriminationConfig:
    kernels: int = attrs.field(default=50, validator=count_up_to(MAX_WIDTH))  # B in the paper: features added
    kernel_dims: int = attrs.field(default=5, validator=count_up_to(MAX_WIDTH))  # C in the paper
    # How D's last linear layer, widened to read the new features, starts: "extended" keeps its
    # weights and gives the new inputs zero weight (D computes what it did); "fresh" draws the whole
    # layer anew, as the mlp discriminator's former minibatch_kernels option did (the even setup's
    # default preset uses it, so that its results stay what they were).
    last_layer: str = attrs.field(default="extended", validator=one_of("extended", "fresh"))


def _unit_interval_open(instance, attribute, value) -> None:
    if not 0.0 <= value < 1.0:
        raise ValueError(f"'{attribute.name}' must be at least 0 and below 1, got {value!r}")


@attrs.frozen(kw_only=True)
class EMAConfig:
    decay: float = attrs.field(default=0.999, validator=_unit_interval_open)


@attrs.frozen(kw_only=True)
class InstanceNoiseConfig:
    std: float = attrs.field(default=0.1, validator=non_negative)
    anneal: bool = True  # fall linearly to 0 by the last round


@attrs.frozen(kw_only=True)
class PackConfig:
    # Examples judged together: 2, 3 and 4 in the paper's tables ("PacGAN2" ...); 1 changes nothing.
    m: int = attrs.field(default=2, validator=count_up_to(MAX_BATCH_SIZE))


# -- losses ---------------------------------------------------------------------------------------
def _unit_interval(instance, attribute, value) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"'{attribute.name}' must be between 0 and 1, got {value!r}")


@attrs.frozen(kw_only=True)
class R1Config:
    r1: float = attrs.field(default=0.0, validator=non_negative)


@attrs.frozen(kw_only=True)
class WassersteinConfig(R1Config):
    clip: float = attrs.field(default=0.01, validator=non_negative)  # 0: no clipping


@attrs.frozen(kw_only=True)
class GradientPenaltyConfig(R1Config):
    gp_weight: float = attrs.field(default=10.0, validator=non_negative)


@attrs.frozen(kw_only=True)
class BCEConfig(R1Config):
    real_label: float = attrs.field(default=1.0, validator=_unit_interval)  # 0.9: one-sided smoothing
    flip: float = attrs.field(default=0.0, validator=_unit_interval)  # chance of swapping each D label
