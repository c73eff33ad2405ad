"""ganframe's own figures, drawn through the ``draw_figures`` hook like any plugin's.

Every run gets ``losses.png`` (the logged losses), ``logged.png`` (any other logged value, per
epoch where there are epoch logs) and ``metrics.png`` (each metric over training, when evaluated
more than once). What else it gets depends on the data, not on the setup, so a setup of your own
gets the same figures: one real number per example (``moments.png``, ``histogram.png``), one
integer (``values.png``), two real numbers (``scatter.png``) or images (``samples.png``,
``progress.gif``). Each figure is drawn on its own: one that fails is a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..hookimpl import hookimpl
from .writer import data_kind, read_moments

if TYPE_CHECKING:
    from ..experiment import Experiment
    from .samples import RunSamples

log = logging.getLogger("ganframe")


@hookimpl
def draw_figures(experiment: Experiment, run_dir: Path, samples: RunSamples) -> None:
    from . import discrete, images, one_d, training, two_d  # matplotlib and PyTorch: at the end of a run only

    drawings: list[tuple[str, Callable[[], Any]]] = [
        ("losses", lambda: training.draw_losses(run_dir)),
        ("logged", lambda: training.draw_logged(run_dir, experiment.rounds_per_epoch)),
        ("metrics", lambda: training.draw_metrics(run_dir)),
    ]
    kind = _kind(experiment)
    if kind == "images":
        drawings.append(("samples", lambda: images.draw_samples_and_animation(run_dir, _step_names(experiment))))
    elif kind == "1-d":
        drawings += [
            ("moments", lambda: one_d.draw_moments(run_dir, read_moments(run_dir), experiment.data, samples.real)),
            ("histogram", lambda: one_d.draw_histogram(run_dir, samples.generated, experiment.data, samples.real)),
        ]
    elif kind == "discrete":
        drawings.append(("values", lambda: discrete.draw_values(run_dir, samples.generated, samples.real)))
    elif kind == "2-d":
        drawings.append(("scatter", lambda: two_d.draw_scatter(run_dir, samples.generated, samples.real)))
    for name, drawing in drawings:
        try:
            drawing()
        except Exception as exc:
            log.warning("figure %r not drawn: %s: %s", name, type(exc).__name__, exc)


def _kind(experiment: Experiment) -> str | None:
    """The kind of data G makes, from one sample; None (only the training figures) when G cannot be sampled."""
    try:
        return data_kind(experiment.sample(1))
    except Exception as exc:
        log.warning("figures of the samples not drawn: %s: %s", type(exc).__name__, exc)
        return None


def _step_names(experiment: Experiment) -> Callable[[int], str]:
    """How the animation labels a snapshot: before training, epoch N, or step N."""
    per_epoch = experiment.rounds_per_epoch

    def describe(step: int) -> str:
        if step == 0:
            return "before training"
        if per_epoch and step % per_epoch == 0:
            return f"epoch {step // per_epoch}"
        return f"step {step:,}"

    return describe
