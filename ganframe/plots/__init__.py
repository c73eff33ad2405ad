"""Figures of a run, in ``RUN_DIR/plots``: snapshots taken by :class:`PlotWriter` during training,
figures drawn at the end through the ``draw_figures`` hook (ganframe's own in
:mod:`ganframe.plots.figures`), shown by the HTML report (``ganframe report``). Plugins add their
own with :func:`save_figure`."""

from .files import FIGURE_SUFFIXES, plots_dir, read_index, save_figure, save_file
from .writer import PlotWriter, data_kind


def __getattr__(name: str):
    if name == "RunSamples":  # it needs PyTorch: imported on first use, not with ganframe.plots
        from .samples import RunSamples

        return RunSamples
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FIGURE_SUFFIXES",
    "PlotWriter",
    "RunSamples",
    "data_kind",
    "plots_dir",
    "read_index",
    "save_figure",
    "save_file",
]
