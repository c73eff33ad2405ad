"""How a run uses its device: the precision of forward passes (``train.precision``), the gradient
scaler that fp16 needs, and ``torch.compile`` of the networks (``train.compile``).

* ``precision``: ``"fp32"``, or ``"bf16"``/``"fp16"`` under ``torch.autocast``. The training loop
  runs every round (the ``train_round`` hook, so every strategy and plugin, whatever it calls)
  inside :meth:`Acceleration.autocast` (without its weight cache, which would keep the weights
  from before an update); ``RoundTrainer.update`` leaves autocast for the backward pass and the
  optimiser steps, as PyTorch recommends. fp16 adds a ``torch.amp.GradScaler`` that
  ``update`` uses (scale, backward, average across processes, unscale, step, update once per
  call) and that checkpoints keep. A device that cannot run the precision is a ``ConfigError``:
  the numbers would not be the ones asked for.
* ``compile``: every network compiled in place (``nn.Module.compile``), so parameter names,
  ``state_dict`` keys and checkpoints are those of the eager network. A loss or strategy that
  differentiates through gradients (a gradient penalty, an exact unrolled GAN) declares
  ``needs_double_backward = True``; torch.compile cannot do that, so the networks then stay eager
  and one warning says why. A speed option: where it cannot apply, training goes on eagerly.

``train.cuda_graph`` lives in :mod:`ganframe.graphs`. See docs/gpu.md.
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import torch

from .errors import ConfigError

log = logging.getLogger("ganframe")

#: ``train.precision`` → the autocast dtype (fp32: no autocast).
DTYPES: dict[str, torch.dtype] = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Acceleration:
    """The precision of one experiment on its device: the autocast context and fp16's scaler."""

    def __init__(self, precision: str, device: torch.device) -> None:
        check_precision(precision, device)
        self.precision, self.device = precision, device
        self.dtype = DTYPES.get(precision)
        # fp16's small range needs the loss scaled up before backward; bf16 has fp32's range.
        self.scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None

    def autocast(self) -> contextlib.AbstractContextManager[Any]:
        """Where forward passes and losses run: autocast to ``precision``, or nothing for fp32.

        Without autocast's cache of cast weights: a round updates weights between forward passes,
        and the cache (kept until the context ends, blind to in-place updates) would hand the
        next forward pass the weights from before the update. A CUDA graph needs it off as well.
        """
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype, cache_enabled=False)


def check_precision(precision: str, device: torch.device) -> None:
    """A ConfigError, in one line, unless ``device`` can run forward passes in ``precision``."""
    dtype = DTYPES.get(precision)
    if dtype is None:
        return
    if device.type == "cuda" and dtype is torch.bfloat16 and not _cuda_bf16(device):
        name = torch.cuda.get_device_name(device)
        raise ConfigError(
            f"train.precision 'bf16' needs a GPU with bfloat16 arithmetic (compute capability 8.0 "
            f"or later); {name} has none: use 'fp16' or 'fp32'"
        )
    if not _autocast_works(device.type, dtype):
        raise ConfigError(
            f"train.precision {precision!r}: this PyTorch ({torch.__version__}) cannot autocast to "
            f"{str(dtype).removeprefix('torch.')} on the {device.type}: use 'fp32'"
            + (" or 'bf16'" if precision == "fp16" and _autocast_works(device.type, torch.bfloat16) else "")
        )


def _cuda_bf16(device: torch.device) -> bool:
    try:
        return bool(torch.cuda.is_bf16_supported(including_emulation=False))
    except TypeError:  # an older PyTorch without including_emulation
        return torch.cuda.get_device_capability(device) >= (8, 0)


def _autocast_works(device_type: str, dtype: torch.dtype) -> bool:
    """Whether autocast to ``dtype`` is on inside the context (PyTorch disables it, with a warning,
    for a dtype the device type does not support)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with torch.autocast(device_type, dtype=dtype):
                return torch.is_autocast_enabled(device_type) and torch.get_autocast_dtype(device_type) == dtype
    except (RuntimeError, ValueError, TypeError):
        return False


@contextlib.contextmanager
def autocast_off(device: torch.device) -> Iterator[None]:
    """Leave autocast (backward passes and optimiser steps run outside it); nothing when it is off."""
    if not torch.is_autocast_enabled(device.type):
        yield
        return
    with torch.autocast(device.type, enabled=False):
        yield


# -- torch.compile ---------------------------------------------------------------------------------
def compile_mode(setting: bool | str) -> str | None:
    """``train.compile`` → torch.compile's mode, or None when off (``true`` is ``"default"``)."""
    if setting is False:
        return None
    return "default" if setting is True else setting


def needs_double_backward(component: Any) -> bool:
    """Whether a loss or strategy differentiates through gradients: it says so with a (class or
    instance) attribute ``needs_double_backward = True`` (a property when it depends on options)."""
    return bool(getattr(component, "needs_double_backward", False))


def compile_networks(
    networks: Mapping[str, torch.nn.Module], setting: bool | str, components: Mapping[str, Any]
) -> bool:
    """Compile every network in place with ``train.compile``'s mode; True when they were.

    ``components`` maps how messages name a loss or strategy (``loss 'wasserstein-gp' (plugin
    'extras')``) to the component: when one needs double backward, nothing is compiled and one
    warning names it.
    """
    mode = compile_mode(setting)
    if mode is None:
        return False
    needing = [who for who, component in components.items() if needs_double_backward(component)]
    if needing:
        log.warning(
            "train.compile is off for this run: %s needs double backward (gradients of gradients, "
            "as a gradient penalty takes), which torch.compile cannot differentiate; the networks "
            "run eagerly",
            " and ".join(needing),
        )
        return False
    if not _dynamo_supported():
        log.warning(
            "train.compile is off for this run: torch.compile does not support this Python or "
            "platform (PyTorch %s); the networks run eagerly",
            torch.__version__,
        )
        return False
    for network in networks.values():
        network.compile(mode=mode)
    return True


def _dynamo_supported() -> bool:
    try:
        from torch._dynamo import is_dynamo_supported
    except ImportError:  # pragma: no cover - a PyTorch without it
        return True
    return bool(is_dynamo_supported())
