"""Figures of a run, in ``RUN_DIR/plots``: drawn by :class:`PlotWriter` during and after training,
shown by the HTML report (``ganframe report``). Plugins add their own with :func:`save_figure`."""

from .files import FIGURE_SUFFIXES, plots_dir, read_index, save_figure, save_file
from .writer import PlotWriter, data_kind

__all__ = ["FIGURE_SUFFIXES", "PlotWriter", "data_kind", "plots_dir", "read_index", "save_figure", "save_file"]
