"""Options of the ``gaussian2d`` plugin's components (registered by the package, used by its modules)."""

from __future__ import annotations

import math

import attrs

from ganframe.config import MAX_SAMPLES, at_most, non_negative, one_of, positive


# -- options ----------------------------------------------------------------------------------
def _finite_matrix(instance: object, attribute: attrs.Attribute, value: tuple[tuple[float, ...], ...]) -> None:
    rows = [list(row) for row in value]
    if not rows or not rows[0]:
        raise ValueError(f"'{attribute.name}' must be a non-empty matrix (a list of rows), got {rows!r}")
    if any(len(row) != len(rows[0]) for row in rows):
        raise ValueError(f"'{attribute.name}' rows must all have the same length, got {rows!r}")
    if not all(math.isfinite(x) for row in rows for x in row):
        raise ValueError(f"'{attribute.name}' must hold finite numbers, got {rows!r}")


def _finite_vector(instance: object, attribute: attrs.Attribute, value: tuple[float, ...]) -> None:
    if not value or not all(math.isfinite(x) for x in value):
        raise ValueError(f"'{attribute.name}' must be a non-empty list of finite numbers, got {list(value)!r}")


@attrs.frozen(kw_only=True)
class AffineGaussianConfig:
    """X = Z·A + b with Z ~ N(0, I): A is k×d (k latent features, d data features), b has d entries."""

    A: tuple[tuple[float, ...], ...] = attrs.field(default=((1.0, 2.0), (-0.1, 0.5)), validator=_finite_matrix)
    b: tuple[float, ...] = attrs.field(default=(1.0, 2.0), validator=_finite_vector)
    size: int = attrs.field(
        default=1000, validator=[positive, at_most(MAX_SAMPLES)]
    )  # points in the fixed training set
    # The training set is drawn from this seed; None: from the experiment's seed.
    data_seed: int | None = attrs.field(default=None, validator=non_negative)

    def __attrs_post_init__(self) -> None:
        if len(self.b) != len(self.A[0]):
            raise ValueError(f"'b' must have one entry per column of 'A' ({len(self.A[0])}), got {len(self.b)}")


@attrs.frozen(kw_only=True)
class SoftmaxCrossEntropyConfig:
    # How D's real and fake terms combine: "sum" (the article: each term a batch mean, added) or "mean".
    d_terms: str = attrs.field(default="sum", validator=one_of("sum", "mean"))


@attrs.frozen(kw_only=True)
class StraightDopeConfig:
    # The G step reuses the D step's fake batch (the article), or draws its own.
    reuse_fake: bool = True


# -- presets ------------------------------------------------------------------------------------
