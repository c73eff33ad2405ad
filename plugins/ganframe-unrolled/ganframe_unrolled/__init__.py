"""ganframe strategy ``unrolled``: the unrolled GAN of Metz, Poole, Pfau and Sohl-Dickstein,
"Unrolled Generative Adversarial Networks" (ICLR 2017).

The generator is trained against the discriminator it would face after D's next ``unroll_steps``
updates, so it cannot win by moving all its samples to the one place D currently likes most; the
usual cure for mode collapse on the 2-D mixture-of-Gaussians benchmark. D itself is updated as in
a plain GAN. Two methods:

* ``exact`` (default; the paper and its authors' reference notebook): a differentiable copy of D
  takes ``unroll_steps`` steps of D's own update rule (Adam or SGD, from D's optimiser state) on the
  round's real and fake batch, and G's loss through the stepped copy is backpropagated through
  every step, into G. The real D update is made from the same state and batch, as if both were
  updated at once.
* ``first-order`` (what most reimplementations do): D takes ``unroll_steps`` real steps on fresh
  batches, G is updated against it, and D is rolled back (weights and optimiser state). Cheaper; it
  ignores how D's steps depend on G.

With ``unroll_steps = 0`` both are a plain GAN: one D update and one G update per round.

Written against ganframe's public API only: the ``Trainer`` protocol's ``update``, ``rollback``
and ``differentiable_copy``, which also keep it correct under torchrun (every step's gradients are
averaged across processes, differentiably in the exact method).

This module registers the strategy, :mod:`.configs` holds its options; the strategy itself is in
:mod:`.strategy`, imported when it is built, so that ``ganframe list`` does not import PyTorch.
"""

from __future__ import annotations

import ganframe

from .configs import MAX_UNROLL_STEPS, UnrolledConfig  # noqa: F401 (MAX_UNROLL_STEPS: public, as before)


def _strategy():
    from . import strategy  # imported when the strategy is built, not when it is listed

    return strategy


@ganframe.hookimpl
def register_strategies(register):
    register(
        "unrolled",
        lambda c, ctx: _strategy().make_unrolled(c, ctx),
        config=UnrolledConfig,
        description="G trains against D unrolled unroll_steps updates ahead (Metz et al. 2017)",
    )


def __getattr__(name: str):  # the strategy's names, importable from here as before (imported on first use)
    if name in ("Unrolled", "update_rule", "AdamSteps", "SGDSteps", "make_unrolled"):
        return getattr(_strategy(), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
