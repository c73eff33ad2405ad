"""Options of the ``gaussian`` plugin's components (registered by the package, used by its modules)."""

from __future__ import annotations

import attrs

from ganframe.config import ACTIVATIONS, layer_sizes, one_of, positive

#: What the ``batch-mlp`` discriminator can see of a batch (the modules: ``networks.BATCH_FEATURES``).
BATCH_FEATURE_NAMES = ("squared-deviations", "moments")


# -- options --------------------------------------------------------------------------------------------
@attrs.frozen(kw_only=True)
class Gaussian1DConfig:
    mean: float = 4.0
    std: float = attrs.field(default=1.25, validator=positive)


def _activations(instance: object, attribute: attrs.Attribute, value: str | tuple[str, ...]) -> None:
    for name in (value,) if isinstance(value, str) else value:
        if name not in ACTIVATIONS:
            raise ValueError(f"'{attribute.name}' must be one of {', '.join(ACTIVATIONS)}, got {name!r}")


@attrs.frozen(kw_only=True)
class BatchMLPConfig:
    """A whole batch → its features → hidden layers → one score for the batch."""

    # What D sees of the batch: "squared-deviations" (the article) or "moments" (its later version).
    features: str = attrs.field(default="squared-deviations", validator=one_of(*BATCH_FEATURE_NAMES))
    hidden: tuple[int, ...] = attrs.field(default=(50, 50), validator=layer_sizes)
    activation: str | tuple[str, ...] = attrs.field(default="elu", validator=_activations)
    negative_slope: float = 0.2
    # "logits", or "probabilities" (a Sigmoid at the end, as the article does).
    output: str = attrs.field(default="probabilities", validator=one_of("logits", "probabilities"))

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.activation, str) and len(self.activation) != len(self.hidden):
            raise ValueError(
                f"'activation' names {len(self.activation)} activations for {len(self.hidden)} "
                f"hidden layers; give one name, or one per hidden layer"
            )
