"""A copy of a network that runs with tensors of its own and that gradients flow through: what an
unrolled GAN steps differentiably instead of the real discriminator."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch.func import functional_call

from .distributed import DistributedContext, average_differentiably
from .errors import ConfigError


class NetworkCopy:
    """A network run with parameters and buffers of its own, through which gradients flow.

    ``copy(x)`` runs the original module's code with this copy's tensors
    (``torch.func.functional_call``), so the real network is never touched. :meth:`gradients` gives
    the gradient of a loss with respect to the copy's parameters, keeping the graph and averaged
    across processes (differentiably), and :meth:`with_parameters` makes the stepped copy: k steps
    of an optimiser's update rule written with ordinary tensor operations, and a loss through the
    result can be backpropagated into whatever the steps depended on (the generator). Attribute
    lookups the copy cannot answer (``output``, ``sample_shape``...) go to the original network.
    """

    def __init__(
        self,
        network: torch.nn.Module,
        parameters: Mapping[str, torch.Tensor],
        buffers: Mapping[str, torch.Tensor],
        distributed: DistributedContext,
    ) -> None:
        self.network = network
        self.params = dict(parameters)
        self.buffers = dict(buffers)
        self.distributed = distributed

    @classmethod
    def of(cls, network: torch.nn.Module, distributed: DistributedContext) -> NetworkCopy:
        """A copy of ``network`` as it is now; its parameters start detached from any graph."""
        parameters = {
            name: p.detach().clone().requires_grad_(p.requires_grad) for name, p in network.named_parameters()
        }
        buffers = {name: b.detach().clone() for name, b in network.named_buffers()}
        return cls(network, parameters, buffers, distributed)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return functional_call(self.network, {**self.params, **self.buffers}, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in ("network", "params", "buffers", "distributed"):  # not set yet (copying, unpickling)
            raise AttributeError(name)
        return getattr(self.network, name)

    def parameters(self) -> Iterator[torch.Tensor]:
        return iter(self.params.values())

    def named_parameters(self) -> Iterator[tuple[str, torch.Tensor]]:
        return iter(self.params.items())

    def gradients(self, loss: torch.Tensor, *, create_graph: bool = True) -> dict[str, torch.Tensor]:
        """d loss / d parameter for each trainable parameter, averaged across processes; with
        ``create_graph`` the gradients are themselves differentiable (needed to unroll exactly)."""
        names = [name for name, p in self.params.items() if p.requires_grad]
        found = torch.autograd.grad(
            loss, [self.params[name] for name in names], create_graph=create_graph, allow_unused=True
        )
        grads = [torch.zeros_like(self.params[name]) if g is None else g for name, g in zip(names, found)]
        return dict(zip(names, average_differentiably(grads, self.distributed)))

    def with_parameters(self, parameters: Mapping[str, torch.Tensor]) -> NetworkCopy:
        """The copy with some parameters replaced (the others and the buffers are shared)."""
        unknown = set(parameters) - set(self.params)
        if unknown:
            raise ConfigError(
                f"with_parameters: {', '.join(sorted(unknown))} is not a parameter of {type(self.network).__name__}"
            )
        return NetworkCopy(self.network, {**self.params, **parameters}, self.buffers, self.distributed)
