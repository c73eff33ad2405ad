"""Stop a run that diverged: a logged loss or a network's weights that stop being finite numbers.

A GAN whose losses turn NaN (a learning rate far too high, NaN or infinite data) never recovers, and
every round after that only overwrites good weights with NaN. This built-in plugin checks every
logged value after each round (on a GPU, where reading a value waits for the device, every
``train.log_every`` rounds instead, naming the first bad round all the same) and every network's
weights at each of those checks and before the final checkpoint. It raises
:class:`ganframe.errors.DivergedError` (exit status 3 from the CLI), so the run stops before any
checkpoint is written over; ``ganframe.checkpoint`` refuses non-finite weights as well, whatever
plugins are loaded. Disable it with ``--disable-plugin ganframe.divergence`` to let a run go on.

The guard's methods import PyTorch and :mod:`ganframe.checkpoint` when they run, so that loading this
plugin, as ``ganframe list`` does, imports no PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DivergedError
from .hookimpl import hookimpl

if TYPE_CHECKING:
    import torch

    from .experiment import Experiment


@hookimpl
def fit_callbacks(experiment: Experiment, run_dir: Path | None) -> DivergenceGuard:
    return DivergenceGuard(experiment, run_dir)


class DivergenceGuard:
    """One fit's check for non-finite losses and weights (a lifecycle plugin for the fit)."""

    def __init__(self, experiment: Experiment, run_dir: Path | None) -> None:
        import torch

        self.experiment = experiment
        self.run_dir = run_dir
        self.check_every = 1 if experiment.device.type == "cpu" else experiment.config.train.log_every
        # The first round whose logs held a non-finite value, or 0; a tensor on the device, so that
        # noting it never waits for the device.
        self._first_bad = torch.zeros((), dtype=torch.int64, device=experiment.device)

    @hookimpl(tryfirst=True)  # before the run writer checkpoints at this step
    def on_step_end(self, step: int, logs: Mapping[str, torch.Tensor]) -> None:
        import torch

        train = self.experiment.config.train
        if self.check_every == 1:  # on the CPU reading a value costs nothing: look at each one now
            bad = [key for key, value in logs.items() if not math.isfinite(float(value))]
            if bad:
                self._first_bad.fill_(step)
                self._check_logs(bad)
        elif logs:  # on a device: note the first bad round there, read it every check_every rounds
            finite = torch.stack([value.detach().float().reshape(()) for value in logs.values()]).isfinite()
            step_if_bad = torch.where(finite.all(), 0, step)
            self._first_bad = torch.where(self._first_bad == 0, step_if_bad, self._first_bad)
            if step % self.check_every == 0 or step == train.steps:
                self._check_logs([key for key, ok in zip(logs, finite) if not bool(ok)])
        if step % train.log_every == 0 or (train.checkpoint_every and step % train.checkpoint_every == 0):
            self._check_weights(step)

    @hookimpl(tryfirst=True)  # before the final checkpoint
    def on_train_end(self, step: int) -> None:
        self._check_logs([])
        self._check_weights(step)

    def _check_logs(self, bad_now: list[str]) -> None:
        """Raise when a round's logs were not finite; ``bad_now``: the keys not finite in the latest round."""
        first_bad = int(self._first_bad)
        if first_bad:
            what = ", ".join(bad_now) if bad_now else "a logged loss"
            raise DivergedError(
                f"training diverged at step {first_bad}: {what} "
                f"{'are' if len(bad_now) > 1 else 'is'} not finite{self._weights_note()}; "
                f"{self._kept()}. Lower the learning rates or check the data for NaN and infinity"
            )

    def _check_weights(self, step: int) -> None:
        from . import checkpoint

        try:
            checkpoint.check_finite(
                {role: network.state_dict() for role, network in self.experiment.networks.items()},
                f"training diverged by step {step}",
            )
        except DivergedError as exc:
            raise DivergedError(f"{exc}; {self._kept()}") from None

    def _weights_note(self) -> str:
        import torch

        bad = [
            role
            for role, network in self.experiment.networks.items()
            if not all(bool(torch.isfinite(p).all()) for p in network.parameters())
        ]
        return f" and so are the weights of the {' and '.join(bad)}" if bad else ""

    def _kept(self) -> str:
        from . import checkpoint

        if self.run_dir is None:
            return "nothing was saved"
        if checkpoint.exists(self.run_dir):
            return f"the last good checkpoint is kept in {str(self.run_dir)!r}"
        return "no checkpoint had been written yet (see train.checkpoint_every)"
