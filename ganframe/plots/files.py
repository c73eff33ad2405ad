"""Where figures go and how they are written: ``RUN_DIR/plots``, one PNG or GIF per figure, and
``figures.json``, the list the HTML report shows them in, each with its caption.

A plugin of your own adds a figure with :func:`save_figure` (a matplotlib figure) or
:func:`save_file` (bytes you made, e.g. a GIF); the report then shows it with its caption.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..rundir import write_atomically

PLOTS = "plots"
INDEX = "figures.json"
FIGURE_SUFFIXES = (".png", ".gif", ".jpg", ".jpeg", ".svg")


def plots_dir(run_dir: str | Path) -> Path:
    return Path(run_dir) / PLOTS


def save_figure(run_dir: str | Path, name: str, figure: Any, caption: str = "") -> Path:
    """Write the matplotlib ``figure`` as ``RUN_DIR/plots/NAME`` (PNG) and list it with ``caption``."""

    def render(handle) -> None:
        figure.savefig(handle, format="png", dpi=100, bbox_inches="tight")

    return save_file(run_dir, name, render, caption)


def save_file(run_dir: str | Path, name: str, write: Callable[[Any], None], caption: str = "") -> Path:
    """Write ``RUN_DIR/plots/NAME`` atomically through ``write(handle)`` and list it with ``caption``."""
    if Path(name).name != name or Path(name).suffix.lower() not in FIGURE_SUFFIXES:
        raise ValueError(f"a figure name is a file name ending in {', '.join(FIGURE_SUFFIXES)}, got {name!r}")
    target = plots_dir(run_dir) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()  # render first: a failing figure leaves no half-written file behind
    write(buffer)
    write_atomically(target, lambda handle: handle.write(buffer.getvalue()))
    _index_add(run_dir, name, caption)
    return target


def read_index(run_dir: str | Path) -> list[dict[str, str]]:
    """The figures of a run in the order they were written: ``[{"file", "caption"}]``, then any other
    image file in ``plots/`` (written without ``save_figure``), captioned by its name."""
    directory = plots_dir(run_dir)
    entries: list[dict[str, str]] = []
    try:
        raw = json.loads((directory / INDEX).read_text())
        entries = [
            {"file": str(e["file"]), "caption": str(e.get("caption", ""))}
            for e in raw
            if isinstance(e, dict) and "file" in e
        ]
    except (OSError, ValueError, TypeError):
        pass  # no index (or a broken one): the files alone still tell what there is
    entries = [e for e in entries if (directory / e["file"]).is_file()]
    listed = {e["file"] for e in entries}
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            if path.suffix.lower() in FIGURE_SUFFIXES and path.is_file() and path.name not in listed:
                entries.append({"file": path.name, "caption": path.stem.replace("_", " ")})
    return entries


def _index_add(run_dir: str | Path, name: str, caption: str) -> None:
    path = plots_dir(run_dir) / INDEX
    try:
        entries = [e for e in json.loads(path.read_text()) if isinstance(e, dict) and e.get("file") != name]
    except (OSError, ValueError, TypeError):
        entries = []
    entries.append({"file": name, "caption": caption})
    text = (json.dumps(entries, indent=2) + "\n").encode()
    write_atomically(path, lambda handle: handle.write(text))


def metrics_rows(run_dir: str | Path) -> Iterator[dict[str, Any]]:
    """The rows of ``RUN_DIR/metrics.jsonl``; a line cut short by a crash is left out."""
    path = Path(run_dir) / "metrics.jsonl"
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and "step" in row:
            yield row
