"""The ``unrolled`` strategy's options (registered by the package, used by :mod:`.strategy`)."""

from __future__ import annotations

import attrs

from ganframe.config import MAX_UPDATES_PER_ROUND, at_most, count_up_to, non_negative, one_of

#: D steps G looks ahead: the exact method keeps every one of them in the autograd graph.
MAX_UNROLL_STEPS = 1000


@attrs.frozen(kw_only=True)
class UnrolledConfig:
    # How many of D's updates G looks ahead: 5 in the paper's mixture-of-Gaussians experiments.
    unroll_steps: int = attrs.field(default=5, validator=[non_negative, at_most(MAX_UNROLL_STEPS)])
    # "exact": backpropagate through the unrolled steps; "first-order": step a real D, then roll it back.
    method: str = attrs.field(default="exact", validator=one_of("exact", "first-order"))
    # Plain D updates per round, each on a fresh batch, before G's.
    d_steps: int = attrs.field(default=1, validator=count_up_to(MAX_UPDATES_PER_ROUND))
