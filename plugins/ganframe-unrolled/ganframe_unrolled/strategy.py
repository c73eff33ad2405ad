"""The ``unrolled`` strategy (see the package's docstring): a plain D update, and G's update against D
unrolled ``unroll_steps`` updates ahead, exactly or to first order."""

from __future__ import annotations

import torch

import ganframe
from ganframe.components import Trainer

from .configs import UnrolledConfig


class Unrolled:
    """Each round: ``d_steps`` plain D updates and one G update against D unrolled ``unroll_steps`` ahead."""

    def __init__(self, config: UnrolledConfig, d_optimizer: torch.optim.Optimizer) -> None:
        self.config = config
        # the update rule the exact method unrolls (checked now: an optimiser it cannot unroll fails early)
        self.rule = update_rule(d_optimizer) if config.method == "exact" and config.unroll_steps else None

    @property
    def needs_double_backward(self) -> bool:
        """The exact method backpropagates through D's unrolled steps (gradients of gradients), which
        torch.compile cannot: ganframe runs the networks eagerly then, whatever train.compile says."""
        return self.rule is not None

    @property
    def capturable(self) -> bool:
        """Whether a round can be captured in a CUDA graph (train.cuda_graph): not when it unrolls,
        since D's copy (exact) or D's rollback (first-order) makes new tensors every round."""
        return not self.config.unroll_steps

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
def update_rule(optimizer: torch.optim.Optimizer) -> type[AdamSteps | SGDSteps]:
    """The class that takes D's own update rule, Adam or SGD, with differentiable tensor operations."""
    if len(optimizer.param_groups) != 1:
        raise ganframe.ConfigError(
            "strategy 'unrolled' (method \"exact\") needs a discriminator optimiser with one parameter group"
        )
    group = optimizer.param_groups[0]
    if group.get("weight_decay", 0.0):
        raise ganframe.ConfigError(
            "strategy 'unrolled' (method \"exact\") does not unroll weight decay; set the "
            'discriminator optimiser\'s weight_decay to 0 or use method = "first-order"'
        )
    if isinstance(optimizer, torch.optim.Adam) and not group.get("amsgrad", False):
        return AdamSteps
    if isinstance(optimizer, torch.optim.SGD) and not group.get("nesterov", False):
        return SGDSteps
    raise ganframe.ConfigError(
        f"strategy 'unrolled' (method \"exact\") unrolls Adam and SGD; the discriminator's "
        f'optimizer is {type(optimizer).__name__}: use method = "first-order"'
    )


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
        self.moments = {
            name: (state.get("exp_avg"), state.get("exp_avg_sq"), float(state.get("step", 0)))
            for name, state in self.state.items()
        }

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
