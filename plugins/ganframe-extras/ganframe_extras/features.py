"""Network extras: changes made to a built generator or discriminator, whatever its architecture.

* ``minibatch-discrimination`` (D): Salimans et al. 2016. Before D's last linear layer, each
  example gets ``kernels`` numbers saying how close it lies to the other examples of its batch
  (see :class:`ganframe.nn.MinibatchDiscrimination`); D sees the real and the fake batch
  separately, so a generator that repeats itself is easy to spot.
* ``minibatch-std`` (D): Karras et al. 2018. Before D's last linear layer, one number per batch,
  the mean standard deviation of the features over the batch.
* ``spectral-norm`` (either): Miyato et al. 2018. Every linear and convolutional layer's weight is
  divided by its largest singular value (one power iteration per training forward pass), so D is
  about 1-Lipschitz and cannot become arbitrarily sharp.

The new layers keep the network's function at first (their weights into the last layer start at
zero; ``minibatch-discrimination``'s ``last_layer = "fresh"`` draws the widened layer anew instead)
and their parameters come from the experiment's seeded initialisation stream.
"""

from __future__ import annotations

from torch import nn
from torch.nn.utils import parametrizations

from ganframe.config import MAX_PARAMETERS
from ganframe.nn import MinibatchDiscrimination, MinibatchStd, insert_before_last_linear, last_linear

from .configs import MinibatchDiscriminationConfig


def _discriminator_only(name: str, context) -> None:
    if context.role != "discriminator":
        raise ValueError(f"{name} compares the examples a discriminator judges; use it in discriminator.extras")


def minibatch_discrimination(config: MinibatchDiscriminationConfig, context):
    _discriminator_only("minibatch discrimination", context)

    def apply(network: nn.Module) -> nn.Module:
        head = last_linear(network)[2]
        kernels, dims = config.kernels, config.kernel_dims
        added = head.in_features * kernels * dims + kernels * head.out_features  # T and the new weights
        if added > MAX_PARAMETERS:
            raise ValueError(
                f"{kernels} kernels of {dims} on {head.in_features} features would add {added} parameters; "
                f"a network may have at most {MAX_PARAMETERS}"
            )
        layer = MinibatchDiscrimination(head.in_features, kernels, dims)
        return insert_before_last_linear(network, layer, kernels, keep=config.last_layer == "extended")

    return apply


def minibatch_std(config: None, context):
    _discriminator_only("the minibatch standard deviation", context)
    return lambda network: insert_before_last_linear(network, MinibatchStd(), 1)


TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
SPECTRAL_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d, *TRANSPOSED)


def spectral_norm(config: None, context):
    def apply(network: nn.Module) -> nn.Module:
        layers = [m for m in network.modules() if isinstance(m, SPECTRAL_LAYERS)]
        if not layers:
            raise ValueError(f"{type(network).__name__} has no linear or convolutional layer to normalise")
        for layer in layers:
            # A transposed convolution keeps its output channels in dimension 1 of its weight.
            dim = 1 if isinstance(layer, TRANSPOSED) else 0
            parametrizations.spectral_norm(layer, dim=dim)
        return network

    return apply
