"""Small building blocks for networks: activations by name, MLP stacks, batch-level features.

Plugins use these to build their networks; the built-in ``mlp`` generator and discriminator are
made of them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
from torch import nn

from .config import ACTIVATIONS  # the names, defined where config validators read them without PyTorch


def activation(name: str, negative_slope: float = 0.2) -> nn.Module:
    """An activation module by name (one of ``ACTIVATIONS``)."""
    if name == "leaky-relu":
        return nn.LeakyReLU(negative_slope)
    modules = {
        "relu": nn.ReLU,
        "elu": nn.ELU,
        "selu": nn.SELU,
        "gelu": nn.GELU,
        "tanh": nn.Tanh,
        "sigmoid": nn.Sigmoid,
        "silu": nn.SiLU,
        "none": nn.Identity,
    }
    if name not in modules:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return modules[name]()


def mlp(
    sizes: Sequence[int],
    *,
    hidden_activation: str | Sequence[str],
    output_activation: str = "none",
    negative_slope: float = 0.2,
) -> nn.Sequential:
    """Linear layers between ``sizes``, an activation after each hidden layer and one at the end.

    ``hidden_activation`` is one name for every hidden layer, or one name per hidden layer (the
    1-D article's generator uses ELU then Sigmoid).
    """
    hidden_count = len(sizes) - 2
    names = [hidden_activation] * hidden_count if isinstance(hidden_activation, str) else list(hidden_activation)
    if len(names) != hidden_count:
        raise ValueError(f"{len(names)} hidden activations given for {hidden_count} hidden layers")
    layers: list[nn.Module] = []
    for index, (n_in, n_out) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(n_in, n_out))
        if index < hidden_count:
            layers.append(activation(names[index], negative_slope))
    if output_activation != "none":
        layers.append(activation(output_activation, negative_slope))
    return nn.Sequential(*layers)


def init_normal_(module: nn.Module, std: float) -> None:
    """Weights of every linear layer drawn from N(0, std²), biases set to zero."""
    for layer in module.modules():
        if isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, 0.0, std)
            nn.init.zeros_(layer.bias)


class MinibatchDiscrimination(nn.Module):
    """Minibatch discrimination (Salimans et al. 2016, "Improved Techniques for Training GANs").

    Each example also sees how close it lies to the other examples of its batch, so a generator
    that keeps producing the same few outputs is easy to tell from real data. For features
    ``f ∈ ℝᴬ`` and a learned ``T ∈ ℝ^{A×B×C}``: ``M = f·T ∈ ℝ^{B×C}``;
    ``o_b(xᵢ) = Σ_{j≠i} exp(−‖M_{i,b} − M_{j,b}‖₁)``. ``(N, A)`` → ``(N, A + B)``: the features
    followed by the ``B`` closeness sums. Each call compares the examples of the batch it is given.
    """

    def __init__(self, in_features: int, kernels: int, kernel_dims: int, init_std: float = 0.05) -> None:
        super().__init__()
        self.kernels, self.kernel_dims = kernels, kernel_dims
        self.weight = nn.Parameter(torch.randn(in_features, kernels * kernel_dims) * init_std)  # T as (A, B·C)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = (x @ self.weight).view(x.shape[0], self.kernels, self.kernel_dims)  # (N, B, C)
        return torch.cat([x, minibatch_closeness(m)], dim=1)  # (N, A + B)


def minibatch_closeness(m: torch.Tensor) -> torch.Tensor:
    """``(N, B, C)`` → ``(N, B)``: ``o_b(xᵢ) = Σ_{j≠i} exp(−‖m_{i,b} − m_{j,b}‖₁)``, the closeness
    sums of :class:`MinibatchDiscrimination`.

    The same numbers as ``exp(−cdist(M, M, p=1)).sum(2) − 1`` with ``M = m.transpose(0, 1)``, up to
    float rounding, and the same gradients (0 where two examples tie, as for ``abs``), but its
    forward and backward passes take a few in-place passes over blocks of pairs that stay in the
    CPU's cache: about 3× faster at a batch of 256 (50 kernels of 5) and 6× at 1024, where the
    backward pass of ``cdist(p=1)`` dominated a training round. Gradients of gradients (R1, WGAN-GP,
    unrolled GANs) are supported.
    """
    if m.dim() != 3:
        raise ValueError(f"minibatch_closeness takes (examples, kernels, kernel_dims), got shape {tuple(m.shape)}")
    if m.shape[0] <= _SMALL_BATCH:  # few pairs: PyTorch's own cdist is the faster (measured: benchmarks/extras.py)
        distances = torch.cdist(m.transpose(0, 1), m.transpose(0, 1), p=1)  # (B, N, N), L1 within each kernel
        return (torch.exp(-distances).sum(dim=2) - 1.0).t()  # (N, B); exp(0) = 1 is the example itself
    return _MinibatchCloseness.apply(m.permute(2, 1, 0).contiguous()).t()  # computed on (C, B, N)


#: Up to this many examples, ``cdist``'s forward and backward beat the blocked kernel below.
_SMALL_BATCH = 48


# Elements of one block of pairs: on a CPU 2 MiB of float32, so that a block's temporaries stay in
# the cache; on an accelerator larger blocks, for fewer kernel launches.
_PAIR_BLOCK = {"cpu": 1 << 19}
_PAIR_BLOCK_ELSEWHERE = 1 << 24
_LOG2_E = math.log2(math.e)  # exp(−d) as exp2(−d·log₂e): PyTorch's exp2 is several times faster on CPUs


def _pair_blocks(m: torch.Tensor):
    """(kernels, rows) index pairs covering (B, N, N) in blocks of about ``_PAIR_BLOCK`` elements."""
    _, kernels, n = m.shape
    size = _PAIR_BLOCK.get(m.device.type, _PAIR_BLOCK_ELSEWHERE)
    if n * n <= size:
        step = size // max(n * n, 1)
        for k in range(0, kernels, step):
            yield slice(k, k + step), slice(None)
    else:
        rows = max(1, size // n)
        for k in range(kernels):
            for i in range(0, n, rows):
                yield slice(k, k + 1), slice(i, i + rows)


def _closeness_forward(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``m`` (C, B, N) → the closeness sums (B, N) and ``e = exp(−‖mᵢ − mⱼ‖₁)`` (B, N, N)."""
    dims, kernels, n = m.shape
    e, closeness, scratch = m.new_empty(kernels, n, n), m.new_empty(kernels, n), None
    for ks, rows in _pair_blocks(m):
        d, x = e[ks, rows], m[:, ks]  # d: the L1 distances of this block, then their exp(−d)
        scratch = torch.empty_like(d) if scratch is None else scratch
        buf = scratch[: d.shape[0], : d.shape[1]]
        torch.sub(x[0, :, rows, None], x[0, :, None, :], out=d).abs_()
        for c in range(1, dims):
            d.add_(torch.sub(x[c, :, rows, None], x[c, :, None, :], out=buf).abs_())
        torch.sum(d.mul_(-_LOG2_E).exp2_(), dim=2, out=closeness[ks, rows])
    return closeness.sub_(1.0), e  # exp(0) = 1 is the example itself


def _closeness_backward(m: torch.Tensor, e: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """∂/∂m_{c,b,i} = −Σⱼ (gᵢ + gⱼ) e_{b,i,j} sign(m_{c,b,i} − m_{c,b,j}) for the closeness gradient g."""
    dims, kernels, n = m.shape
    out, weights, scratch = m.new_empty(dims, kernels, n), None, None
    for ks, rows in _pair_blocks(m):
        block = e[ks, rows]
        if scratch is None:
            weights, scratch = torch.empty_like(block), torch.empty_like(block)
        assert weights is not None  # allocated with scratch for the first block, the largest
        w, buf = weights[: block.shape[0], : block.shape[1]], scratch[: block.shape[0], : block.shape[1]]
        g, x = grad[ks], m[:, ks]
        torch.add(g[:, rows, None], g[:, None, :], out=w).mul_(block)  # (gᵢ + gⱼ) e_ij
        for c in range(dims):
            torch.sub(x[c, :, rows, None], x[c, :, None, :], out=buf)
            torch.sum(buf.sign_().mul_(w), dim=2, out=out[c, ks, rows])
    return out.neg_()


def _closeness_backward_differentiable(m: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """The gradient of :func:`_closeness_backward` made of ordinary operations, for ``create_graph``."""
    differences = [m[c, :, :, None] - m[c, :, None, :] for c in range(m.shape[0])]  # C × (B, N, N)
    e = torch.exp(-torch.stack([d.abs() for d in differences]).sum(0))
    w = e * (grad[:, :, None] + grad[:, None, :])
    return -torch.stack([(w * d.sign()).sum(2) for d in differences])


class _MinibatchCloseness(torch.autograd.Function):
    """:func:`minibatch_closeness` on ``m`` laid out as (C, B, N), contiguous."""

    @staticmethod
    def forward(ctx, m: torch.Tensor) -> torch.Tensor:
        closeness, e = _closeness_forward(m)
        ctx.save_for_backward(m, e)
        return closeness

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        m, e = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: this gradient will itself be differentiated
            return _closeness_backward_differentiable(m, grad)
        return _closeness_backward(m, e, grad.contiguous())


class MinibatchStd(nn.Module):
    """Minibatch standard deviation (Karras et al. 2018, "Progressive Growing of GANs").

    ``(N, A)`` → ``(N, A + 1)``: the features followed by one number shared by the batch, the mean
    over features of their standard deviation over the batch. A batch with too little variety
    shows up as a small value.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spread = x.std(dim=0, unbiased=False).mean() if len(x) > 1 else x.new_zeros(())
        return torch.cat([x, spread.expand(len(x), 1)], dim=1)


def last_linear(network: nn.Module) -> tuple[nn.Module, str, nn.Linear]:
    """The last ``nn.Linear`` of ``network`` in registration order, as (parent module, attribute, layer).

    For the usual discriminator that is its output layer. ValueError when there is none.
    """
    found = None
    for path, module in network.named_modules():
        if isinstance(module, nn.Linear):
            found = path, module
    if found is None:
        raise ValueError(f"{type(network).__name__} has no nn.Linear layer")
    path, layer = found
    parent_path, _, attribute = path.rpartition(".")
    return network.get_submodule(parent_path) if path else network, attribute, layer


def with_last_linear_input(network: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``network(x)`` and what its last linear layer read in that call (D's features, for instance)."""
    seen: list[torch.Tensor] = []
    handle = last_linear(network)[2].register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    try:
        output = network(x)
    finally:
        handle.remove()
    return output, seen[-1]


def insert_before_last_linear(network: nn.Module, feature: nn.Module, added: int, *, keep: bool = True) -> nn.Module:
    """Put ``feature`` — ``(N, A)`` → ``(N, A + added)`` — just before the last linear layer of
    ``network``, which is widened to read the ``added`` features. Returns ``network``, changed in place.

    ``keep``: the old weights are kept and the new ones start at zero, so the network computes what
    it computed before until training gives the new features a say. Otherwise the widened layer
    keeps PyTorch's default initialisation (drawn here, after ``feature``'s parameters).
    """
    parent, attribute, old = last_linear(network)
    if not attribute:
        raise ValueError("the network is a single linear layer: there are no features to extend")
    new = nn.Linear(old.in_features + added, old.out_features, bias=old.bias is not None)
    new = new.to(device=old.weight.device, dtype=old.weight.dtype)
    if keep:
        with torch.no_grad():
            new.weight.zero_()
            new.weight[:, : old.in_features] = old.weight
            if old.bias is not None:
                new.bias.copy_(old.bias)
    setattr(parent, attribute, nn.Sequential(feature, new))
    return network


def numel(shape: Sequence[int]) -> int:
    return math.prod(shape)
