"""The options of the ``mixtures`` plugin's components: the ``ring`` and ``grid`` data sources
(:mod:`.data`) and the ``bn-mlp`` and ``maxout-mlp`` networks (:mod:`.networks`).

Apart from the modules that use them so that registering the components, ``ganframe list`` and
``ganframe show`` import no PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import attrs

from ganframe.config import MAX_WIDTH, at_most, count_up_to, layer_sizes, positive


def _finite(instance: object, attribute: attrs.Attribute, value: float) -> None:
    # `positive` lets infinity through; an infinite radius or std gives NaN samples.
    if not math.isfinite(value):
        raise ValueError(f"'{attribute.name}' must be finite, got {value!r}")


MAX_MODES = 1_000_000  # Gaussians in one mixture (a grid of at most 1000 x 1000)
_count: list[Any] = [attrs.validators.instance_of(int), positive]  # whole numbers >= 1
_length: list[Any] = [positive, _finite]  # finite numbers > 0


@attrs.frozen(kw_only=True)
class RingConfig:
    """``modes`` Gaussians of standard deviation ``std`` evenly on a circle of radius ``radius``."""

    modes: int = attrs.field(default=8, validator=[*_count, at_most(MAX_MODES)])
    radius: float = attrs.field(default=2.0, validator=_length)
    std: float = attrs.field(default=0.02, validator=_length)


@attrs.frozen(kw_only=True)
class GridConfig:
    """``size`` × ``size`` Gaussians of standard deviation ``std``, ``spacing`` apart, centred on 0."""

    size: int = attrs.field(default=5, validator=[*_count, at_most(math.isqrt(MAX_MODES))])
    spacing: float = attrs.field(default=2.0, validator=_length)
    std: float = attrs.field(default=0.05, validator=_length)


_optional_positive = attrs.validators.optional(positive)


@attrs.frozen(kw_only=True)
class BatchNormMLPConfig:
    # Units in each hidden layer (linear → batch norm → ReLU); the paper's 4 layers of 400.
    hidden: tuple[int, ...] = attrs.field(default=(400, 400, 400, 400), validator=layer_sizes)
    # Weights of the linear layers drawn from N(0, init_std²), biases 0 (the paper: 0.02); None: PyTorch's default.
    init_std: float | None = attrs.field(default=None, validator=_optional_positive)


@attrs.frozen(kw_only=True)
class MaxoutMLPConfig:
    # Units in each LinearMaxout layer; the paper's 3 layers of 200.
    hidden: tuple[int, ...] = attrs.field(default=(200, 200, 200), validator=layer_sizes)
    # Linear pieces per unit, of which the largest is the unit's output; the paper's 5.
    pieces: int = attrs.field(default=5, validator=count_up_to(MAX_WIDTH))
    # Weights of the linear layers drawn from N(0, init_std²), biases 0 (the paper: 0.02); None: PyTorch's default.
    init_std: float | None = attrs.field(default=None, validator=_optional_positive)
