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
"""

from __future__ import annotations

import attrs
import torch

import ganframe
from ganframe.components import Trainer
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


class Unrolled:
    """Each round: ``d_steps`` plain D updates and one G update against D unrolled ``unroll_steps`` ahead."""

    def __init__(self, config: UnrolledConfig, d_optimizer: torch.optim.Optimizer) -> None:
        self.config = config
        # the update rule the exact method unrolls (checked now: an optimiser it cannot unroll fails early)
        self.rule = update_rule(d_optimizer) if config.method == "exact" and config.unroll_steps else None

    def train_round(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        if not self.config.unroll_steps:
            return self._plain(trainer)
        if self.config.method == "first-order":
            return self._first_order(trainer)
        return self._exact(trainer)

    def _plain(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        for _ in range(self.config.d_steps):
            d_loss = trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
        return {"d_loss": d_loss, "g_loss": trainer.generator_step(trainer.generate())}

    def _exact(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        assert self.rule is not None
        real, fake = trainer.real_batch(), trainer.generate()  # fake keeps G's graph
        lookahead = trainer.differentiable_copy("discriminator")
        step = self.rule(trainer.optimizer("discriminator"), trainer.discriminator)  # from D's optimiser state now
        for _ in range(self.config.unroll_steps):
            grads = lookahead.gradients(trainer.loss.discriminator_loss(lookahead, real, fake))
            lookahead = lookahead.with_parameters(step(lookahead.params, grads))
        g_loss = trainer.update("generator", trainer.loss.generator_loss(lookahead, fake, real))
        d_loss = trainer.discriminator_step(real, fake)  # the same state and batch: a simultaneous update
        for _ in range(self.config.d_steps - 1):
            d_loss = trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
        return {"d_loss": d_loss, "g_loss": g_loss}

    def _first_order(self, trainer: Trainer) -> dict[str, torch.Tensor]:
        for _ in range(self.config.d_steps):
            d_loss = trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
        with trainer.rollback("discriminator"):
            for _ in range(self.config.unroll_steps):
                trainer.discriminator_step(trainer.real_batch(), trainer.generate(grad=False))
            g_loss = trainer.generator_step(trainer.generate())
        return {"d_loss": d_loss, "g_loss": g_loss}


# -- differentiable update rules ----------------------------------------------------------------
def update_rule(optimizer: torch.optim.Optimizer) -> type[AdamSteps] | type[SGDSteps]:
    """The class that takes D's own update rule, Adam or SGD, with differentiable tensor operations."""
    if len(optimizer.param_groups) != 1:
        raise ganframe.ConfigError("strategy 'unrolled' (method \"exact\") needs a discriminator optimiser with "
                                   "one parameter group")
    group = optimizer.param_groups[0]
    if group.get("weight_decay", 0.0):
        raise ganframe.ConfigError("strategy 'unrolled' (method \"exact\") does not unroll weight decay; set the "
                                   "discriminator optimiser's weight_decay to 0 or use method = \"first-order\"")
    if isinstance(optimizer, torch.optim.Adam) and not group.get("amsgrad", False):
        return AdamSteps
    if isinstance(optimizer, torch.optim.SGD) and not group.get("nesterov", False):
        return SGDSteps
    raise ganframe.ConfigError(f"strategy 'unrolled' (method \"exact\") unrolls Adam and SGD; the discriminator's "
                               f"optimizer is {type(optimizer).__name__}: use method = \"first-order\"")


class _Steps:
    """Successive steps of an update rule on a copy's parameters, from the real optimiser's state."""

    def __init__(self, optimizer: torch.optim.Optimizer, network: torch.nn.Module) -> None:
        group = optimizer.param_groups[0]
        self.hyper = group
        names = {id(p): name for name, p in network.named_parameters()}
        self.state = {names[id(p)]: optimizer.state.get(p, {}) for p in group["params"] if id(p) in names}


class AdamSteps(_Steps):
    """Adam (Kingma & Ba): each call one step, continuing from the optimiser's moments and step count."""

    def __init__(self, optimizer: torch.optim.Optimizer, network: torch.nn.Module) -> None:
        super().__init__(optimizer, network)
        self.moments = {name: (state.get("exp_avg"), state.get("exp_avg_sq"), float(state.get("step", 0)))
                        for name, state in self.state.items()}

    def __call__(self, params: dict[str, torch.Tensor], grads: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        lr, (beta1, beta2), eps = self.hyper["lr"], self.hyper["betas"], self.hyper["eps"]
        new = {}
        for name, grad in grads.items():
            m, v, t = self.moments.get(name, (None, None, 0.0))
            m = (1 - beta1) * grad if m is None else beta1 * m + (1 - beta1) * grad
            v = (1 - beta2) * grad * grad if v is None else beta2 * v + (1 - beta2) * grad * grad
            t += 1
            m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
            # the tiny constant keeps sqrt's derivative finite where a gradient is exactly zero
            new[name] = params[name] - lr * m_hat / ((v_hat + 1e-30).sqrt() + eps)
            self.moments[name] = (m, v, t)
        return new


class SGDSteps(_Steps):
    """SGD with optional momentum, in PyTorch's form: buf ← momentum·buf + (1 − dampening)·g."""

    def __init__(self, optimizer: torch.optim.Optimizer, network: torch.nn.Module) -> None:
        super().__init__(optimizer, network)
        self.buffers = {name: state.get("momentum_buffer") for name, state in self.state.items()}

    def __call__(self, params: dict[str, torch.Tensor], grads: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        lr, momentum, dampening = self.hyper["lr"], self.hyper["momentum"], self.hyper["dampening"]
        new = {}
        for name, grad in grads.items():
            if momentum:
                previous = self.buffers.get(name)
                grad = grad if previous is None else momentum * previous + (1 - dampening) * grad
                self.buffers[name] = grad
            new[name] = params[name] - lr * grad
        return new


def make_unrolled(config: UnrolledConfig, context) -> Unrolled:
    return Unrolled(config, context.optimizers["discriminator"])


@ganframe.hookimpl
def register_strategies(register):
    register("unrolled", make_unrolled, config=UnrolledConfig,
             description="G trains against D unrolled unroll_steps updates ahead (Metz et al. 2017)")
