"""The options of ALI's components: the ``pair-mlp`` discriminator (:mod:`.discriminator`) and the
``ali`` strategy (:mod:`.strategy`), apart from them so that registering the components, ``ganframe
list`` and ``ganframe show`` import no PyTorch."""

from __future__ import annotations

import attrs

from ganframe.config import (
    ACTIVATIONS,
    MAX_UPDATES_PER_ROUND,
    below,
    constraint,
    count_up_to,
    layer_sizes,
    non_negative,
    one_of,
    positive,
)


@constraint("an activation name of ganframe.nn.activation")
def _activation_name(instance: object, attribute: attrs.Attribute, value: str) -> None:
    if value not in ACTIVATIONS:  # the message of ganframe.nn.activation, without importing PyTorch
        raise ValueError(f"unknown activation {value!r}; choose one of {', '.join(ACTIVATIONS)}")


@constraint("> 0, or None")
def _init_std(instance: object, attribute: attrs.Attribute, value: float | None) -> None:
    positive(instance, attribute, value)


@attrs.frozen(kw_only=True)
class PairMLPConfig:
    """A pair (x, z), flattened and joined → hidden layers → one score."""

    # Units in each hidden layer; [] makes a logistic regression on the pair.
    hidden: tuple[int, ...] = attrs.field(default=(128, 128), validator=layer_sizes)
    # The activation after every hidden layer.
    activation: str = attrs.field(default="leaky-relu", validator=_activation_name)
    negative_slope: float = attrs.field(default=0.2, validator=non_negative)  # of the leaky-relu activation
    # Probability of zeroing each hidden unit while training (the ALI paper's D uses dropout); 0: none.
    dropout: float = attrs.field(default=0.0, validator=[non_negative, below(1)])
    # "logits" (pair with any loss) or "probabilities" (a sigmoid at the end).
    output: str = attrs.field(default="logits", validator=one_of("logits", "probabilities"))
    # Weights drawn from N(0, init_std²) and biases set to zero; None: PyTorch's default.
    init_std: float | None = attrs.field(default=None, validator=_init_std)


@attrs.frozen(kw_only=True)
class ALIConfig:
    # D updates per round, each on a fresh real batch and fresh noise.
    d_steps: int = attrs.field(default=1, validator=count_up_to(MAX_UPDATES_PER_ROUND))
    # Joint G and E updates per round, after D's; the first reuses D's last batch, the others draw fresh ones.
    g_steps: int = attrs.field(default=1, validator=count_up_to(MAX_UPDATES_PER_ROUND))
