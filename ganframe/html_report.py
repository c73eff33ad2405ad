"""``report.html``: one self-contained page per run (figures embedded, no network, no script).

A lifecycle plugin writes it at the end of every fit with a run directory (``logging.report``),
after every other plugin's ``on_experiment_end`` (so figures drawn there appear in it);
``ganframe report DIR`` writes it again at any time, for a run directory or for the directory of a
multi-seed run (``ganframe train SETUP --seeds 0-4``), whose page shows the summary over seeds.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import math
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RunDirectoryError
from .hookimpl import hookimpl
from .plots.files import plots_dir, read_index
from .rundir import CONFIG, REPORT, write_atomically
from .summary import SUMMARY

if TYPE_CHECKING:
    from .experiment import Experiment

log = logging.getLogger("ganframe")

HTML = "report.html"
MIME = {".png": "image/png", ".gif": "image/gif", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #ddd; padding: 0.3em 0.7em; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
figure { display: inline-block; margin: 0.8em; max-width: 520px; vertical-align: top; }
figure img { max-width: 100%; border: 1px solid #eee; }
figure img.pixels { image-rendering: pixelated; width: 420px; }
figcaption { font-size: 0.9em; color: #555; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }
.warning { background: #fff3cd; padding: 0.6em; }
.wide { overflow-x: auto; }
"""


def write_report(directory: str | Path, output: str | Path | None = None) -> Path:
    """Write the page for ``directory`` (a run, or a multi-seed run) to ``output`` (default
    ``DIRECTORY/report.html``) and return its path."""
    directory = Path(directory)
    if not directory.is_dir():
        raise RunDirectoryError(f"{str(directory)!r} is not a directory")
    if (directory / CONFIG).is_file():
        make_page, source = run_page, "report.json or figures.json"
    elif (directory / SUMMARY).is_file():
        make_page, source = summary_page, SUMMARY
    else:
        raise RunDirectoryError(
            f"{str(directory)!r} is neither a ganframe run (no {CONFIG}) nor a multi-seed run (no {SUMMARY})"
        )
    try:
        page = make_page(directory)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:  # a file edited or cut short
        raise RunDirectoryError(
            f"cannot write the report of {str(directory)!r}: its {source} is damaged ({type(exc).__name__}: {exc})"
        ) from None
    target = Path(output) if output is not None else directory / HTML
    data = page.encode()
    try:
        write_atomically(target, lambda handle: handle.write(data))
    except OSError as exc:
        raise RunDirectoryError(f"cannot write {str(target)!r}: {exc.strerror or exc}") from None
    return target


# -- a run --------------------------------------------------------------------------------------
@hookimpl
def fit_callbacks(experiment: Experiment, run_dir: Path | None) -> ReportWriter | None:
    if run_dir is None or not experiment.config.logging.report or not experiment.distributed.is_main:
        return None
    return ReportWriter(run_dir)


class ReportWriter:
    """Writes one fit's ``report.html`` once every other plugin has finished with the run."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @hookimpl(trylast=True)
    def on_experiment_end(self) -> None:
        """A failure is a warning: the run itself is complete by then."""
        try:
            target = write_report(self.directory)
        except Exception as exc:
            log.warning("report.html not written: %s: %s", type(exc).__name__, exc)
        else:
            log.info("report written to %s", target)


def run_page(directory: Path) -> str:
    report = _read_json(directory / REPORT)
    config_text = (directory / CONFIG).read_text()
    title = _run_title(report, directory)
    parts = [f"<h1>{_e(title)}</h1>"]
    if report is None:
        parts.append(
            f'<p class="warning">This run has no {REPORT}: it has not finished (or it failed). '
            "What it wrote so far is shown.</p>"
        )
    else:
        if not report.get("completed", True):
            parts.append(
                f'<p class="warning">Stopped early, at step {report.get("steps")} of {report.get("steps_planned")}.</p>'
            )
        parts += [
            "<h2>Metrics</h2>",
            _metrics_table(report.get("metrics", {})),
            _descriptions(report.get("metric_descriptions", {})),
        ]
        parts += ["<h2>Run</h2>", _metadata_table(report)]
    parts += ["<h2>Figures</h2>", _figures(directory)]
    parts += ["<h2>Configuration</h2>", f"<pre>{_e(config_text)}</pre>"]
    return _document(title, parts)


def _run_title(report: dict | None, directory: Path) -> str:
    if not report:
        return f"ganframe run {directory.name}"
    setup = report.get("setup") or "experiment"
    preset = f" ({report['preset']} preset)" if report.get("preset") else ""
    return f"{setup}{preset}, seed {report.get('seed')}"


def _metrics_table(metrics: dict[str, Any]) -> str:
    if not metrics:
        return "<p>No metrics configured (evaluation.metrics).</p>"
    rows = "".join(
        f'<tr><td>{_e(name)}</td><td class="number">{_e(_format(value))}</td></tr>' for name, value in metrics.items()
    )
    return f"<table><tr><th>metric</th><th>value</th></tr>{rows}</table>"


def _descriptions(descriptions: dict[str, str]) -> str:
    """Which metric computed the values: e.g. the two-sample test and the statistic it uses."""
    if not descriptions:
        return ""
    items = "".join(f"<li><b>{_e(name)}</b>: {_e(text)}</li>" for name, text in descriptions.items())
    return f"<p>Computed by:</p><ul>{items}</ul>"


def _metadata_table(report: dict[str, Any]) -> str:
    versions = report.get("versions", {})
    facts = [
        ("setup", report.get("setup")),
        ("preset", report.get("preset")),
        ("seed", report.get("seed")),
        ("steps", f"{report.get('steps')} of {report.get('steps_planned')}"),
        ("training time", f"{report.get('seconds', 0):.1f} s"),
        ("device", report.get("device")),
        ("processes", report.get("processes")),
        ("finished", report.get("finished")),
        *((f"{name} version", version) for name, version in versions.items() if not isinstance(version, dict)),
        ("plugins", ", ".join(f"{name} {version}" for name, version in versions.get("plugins", {}).items()) or None),
    ]
    rows = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in facts if v is not None)
    return f"<table>{rows}</table>"


def _figures(directory: Path) -> str:
    entries = read_index(directory)
    if not entries:
        return "<p>No figures (logging.plots = false, or the run wrote none).</p>"
    return "\n".join(_figure(plots_dir(directory) / e["file"], e["caption"]) for e in entries)


def _figure(path: Path, caption: str) -> str:
    try:
        encoded = base64.b64encode(path.read_bytes()).decode()
    except OSError as exc:
        return f'<p class="warning">{_e(path.name)} could not be read: {_e(exc.strerror or exc)}</p>'

    mime = MIME.get(path.suffix.lower(), "application/octet-stream")
    pixel_art = ' class="pixels"' if path.name in ("samples.png", "progress.gif") else ""
    return (
        f'<figure><img{pixel_art} src="data:{mime};base64,{encoded}" alt="{_e(path.name)}">'
        f"<figcaption><b>{_e(path.name)}</b>: {_e(caption)}</figcaption></figure>"
    )


# -- several seeds ------------------------------------------------------------------------------
def summary_page(directory: Path) -> str:
    summary = _read_json(directory / SUMMARY) or {}
    title = f"{summary.get('setup') or 'experiment'}: {len(summary.get('runs', []))} seeds"
    parts = [
        f"<h1>{_e(title)}</h1>",
        "<h2>Summary over seeds</h2>",
        summary_table(summary),
        _descriptions(summary.get("metric_descriptions", {})),
        "<h2>Each seed</h2>",
        _seed_table(summary, directory),
    ]
    return _document(title, parts)


def summary_table(summary: dict[str, Any]) -> str:
    rows = []
    for name, stats in summary.get("metrics", {}).items():
        interval = stats.get("ci95")
        shown = f"[{_format(interval[0])}, {_format(interval[1])}]" if interval else "(one seed: none)"
        rows.append(
            f'<tr><td>{_e(name)}</td><td class="number">{_e(_format(stats.get("mean")))}</td>'
            f'<td class="number">{_e(shown)}</td><td class="number">{_e(stats.get("n"))}</td></tr>'
        )
    if not rows:
        return "<p>No metrics.</p>"
    return (
        "<table><tr><th>metric</th><th>mean</th><th>95 % confidence interval (Student t)</th>"
        f"<th>seeds</th></tr>{''.join(rows)}</table>"
    )


def _seed_table(summary: dict[str, Any], directory: Path) -> str:
    runs = summary.get("runs", [])
    names = list(summary.get("metrics", {}))
    header = "".join(f"<th>{_e(n)}</th>" for n in names)
    rows = []
    for run in runs:
        link = run.get("run_dir", "")
        page = Path(link) / HTML
        seed = _e(run.get("seed"))
        cell = f'<a href="{_e(page.as_posix())}">{seed}</a>' if (directory / page).is_file() else seed
        values = "".join(f'<td class="number">{_e(_format(run.get("metrics", {}).get(n)))}</td>' for n in names)
        rows.append(f'<tr><td>{cell}</td>{values}<td class="number">{_e(_format(run.get("seconds")))}</td></tr>')
    return f'<div class="wide"><table><tr><th>seed</th>{header}<th>seconds</th></tr>{"".join(rows)}</table></div>'


# -- helpers ------------------------------------------------------------------------------------
def _document(title: str, parts: list[str]) -> str:
    from . import __version__

    stamp = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    body = "\n".join(parts)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{STYLE}</style></head><body>\n{body}\n"
        f"<p><small>Written by ganframe {_e(__version__)} on {_e(stamp)}.</small></p></body></html>\n"
    )


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _format(value: Any) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e12 else f"{value:.4g}"
    return "" if value is None else str(value)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))
