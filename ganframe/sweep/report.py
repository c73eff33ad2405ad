"""``SWEEP_DIR/report.html``: the page of a sweep, with its figures in ``SWEEP_DIR/figures``.

The page has the same skeleton as a run's ``report.html`` (:mod:`ganframe.html_report`: one
self-contained page, figures embedded, no network, no script): what the sweep optimised, Optuna's
figures (optimisation history, parameter importances, slices) and a table of every trial with the
best one marked. A figure that the study cannot give yet (no complete trial, a single parameter...)
is left out with a note saying why: the page is written whatever state the study is in, so that it
never makes a finished sweep fail.
"""

from __future__ import annotations

import io
import logging
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from ..html_report import HTML, _document, _e, _figure, _format
from ..rundir import write_atomically
from .results import compare_to_baseline
from .spec import SweepSpec

log = logging.getLogger("ganframe")

FIGURES = "figures"
#: The states counted in the page's header, in the order shown (Optuna's names, lower case).
COUNTED_STATES = (("complete", "complete"), ("pruned", "pruned"), ("fail", "failed"))


class _Plot(NamedTuple):
    """One of Optuna's figures: its file in ``figures/``, how the page describes it, how it is drawn
    (a call returning Optuna's axes) and why it cannot be drawn (None: it can)."""

    file: str
    title: str
    caption: str
    draw: Callable[[], Any]
    problem: str | None


def write_sweep_report(study, sweep_dir: Path, spec: SweepSpec, rows: list[dict]) -> Path:
    """Write ``SWEEP_DIR/report.html`` and its PNG figures in ``SWEEP_DIR/figures`` for ``study``
    (run by ``spec``; ``rows`` is :func:`ganframe.sweep.run.trial_rows` of it) and return the page's
    path. A figure Optuna cannot draw is a note on the page, never an error; only a page that cannot
    be written raises (:class:`ganframe.errors.RunDirectoryError`)."""
    from .storage import import_optuna

    import_optuna()  # a one-line error without Optuna
    sweep_dir = Path(sweep_dir)
    best = _best_number(study)
    title = f"Sweep {study.study_name}"
    parts = [
        f"<h1>{_e(title)}</h1>",
        _header(study, spec, rows, best),
        "<h2>Figures</h2>",
        *(_draw(sweep_dir / FIGURES, plot) for plot in _plots(study, spec)),
        "<h2>Trials</h2>",
        _trial_table(rows, spec, best),
    ]
    data = _document(title, parts).encode()
    target = sweep_dir / HTML
    write_atomically(target, lambda handle: handle.write(data))
    return target


# -- the figures --------------------------------------------------------------------------------
def _plots(study, spec: SweepSpec) -> list[_Plot]:
    """The figures of the page. Optuna draws an empty or meaningless figure (with a logged warning)
    rather than raising when a study has too few trials, so each says beforehand why it cannot be
    drawn."""
    _pyplot()  # before Optuna's matplotlib module imports pyplot
    from optuna.importance import FanovaImportanceEvaluator
    from optuna.trial import TrialState
    from optuna.visualization import matplotlib as optuna_plots

    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    none_complete = None if complete else "no trial is complete yet (pruned and failed trials have no objective value)"
    target = spec.objective
    return [
        _Plot(
            "history.png",
            "Optimisation history",
            f"The objective ({target}, the mean over seeds) of each complete trial, and the best so far.",
            lambda: optuna_plots.plot_optimization_history(study, target_name=target),
            none_complete,
        ),
        # fANOVA (scikit-learn's random forests), named: Optuna's default evaluator changed with versions
        _Plot(
            "importances.png",
            "Parameter importances",
            f"How much of the variation of {target} over the complete trials each parameter explains (fANOVA).",
            lambda: optuna_plots.plot_param_importances(
                study, evaluator=FanovaImportanceEvaluator(seed=0), target_name=target
            ),
            _importance_problem(complete, spec),
        ),
        _Plot(
            "slice.png",
            "Slices",
            f"{target} against each parameter, one point per complete trial (the colour: its number).",
            lambda: optuna_plots.plot_slice(study, target_name=target),
            none_complete,
        ),
    ]


def _importance_problem(complete: list, spec: SweepSpec) -> str | None:
    """Why parameter importances say nothing about these complete trials, or None when they do."""
    if len(spec.space) < 2:
        return "the search space has a single parameter, whose importance is 1 by definition"
    if len(complete) < 2:
        return f"they need at least two complete trials, and {len(complete)} {'is' if complete else 'are'} complete"
    if len({repr(sorted(trial.params.items())) for trial in complete}) < 2:
        return "every complete trial has the same parameters"
    if len({trial.value for trial in complete}) < 2:
        return "every complete trial has the same objective value: there is no variation to explain"
    return None


def _draw(folder: Path, plot: _Plot) -> str:
    """Draw ``plot`` into ``folder`` and return its ``<figure>``, or a note saying why it is not there."""
    if plot.problem is not None:
        return _note(plot, plot.problem)
    try:
        path = _save_png(folder / plot.file, plot.draw)
    except ImportError as exc:  # fANOVA without scikit-learn
        return _note(plot, f"a package is missing (pip install 'ganframe[sweep]'): {exc}")
    except (ValueError, RuntimeError) as exc:  # what Optuna raises for a study it cannot plot
        return _note(plot, f"Optuna could not draw it: {exc}")
    except Exception as exc:
        log.warning("sweep figure %s not drawn: %s: %s", plot.file, type(exc).__name__, exc)
        return _note(plot, f"{type(exc).__name__}: {exc}")
    return f"<h3>{_e(plot.title)}</h3>" + _figure(path, plot.caption)


def _note(plot: _Plot, reason: str) -> str:
    """The plot's heading and why it is not drawn: the first line of ``reason``, as one sentence."""
    first = (reason.strip().splitlines() or [""])[0].rstrip(".")
    return f'<h3>{_e(plot.title)}</h3><p class="warning">Not drawn: {_e(first)}.</p>'


def _save_png(target: Path, draw: Callable[[], Any]) -> Path:
    """Call ``draw`` (one of Optuna's matplotlib plots, which are experimental: their warning is
    silenced) and write its figure to ``target`` as a PNG. As :func:`ganframe.plots.save_figure`
    does, the PNG is rendered in memory first and then written atomically, so that a failure leaves
    no half-written file. Every figure opened meanwhile is closed, whatever happens, and matplotlib's
    settings are restored: Optuna switches the whole process to its "ggplot" style."""
    import matplotlib
    from optuna.exceptions import ExperimentalWarning

    pyplot = _pyplot()
    before = set(pyplot.get_fignums())
    try:
        with warnings.catch_warnings(), matplotlib.rc_context():
            warnings.simplefilter("ignore", ExperimentalWarning)
            warnings.filterwarnings("ignore", message="Attempting to set identical")  # one point on an axis
            buffer = io.BytesIO()
            _figure_of(draw()).savefig(buffer, format="png", dpi=100, bbox_inches="tight")
        write_atomically(target, lambda handle: handle.write(buffer.getvalue()))
    finally:
        for number in set(pyplot.get_fignums()) - before:
            pyplot.close(number)
    return target


def _figure_of(axes: Any) -> Any:
    """The figure of what an Optuna plot returns: one Axes, or an array of them (a slice per parameter)."""
    return (axes.flat[0] if hasattr(axes, "flat") else axes).figure


def _pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend: Optuna draws through pyplot, and a
    sweep only writes files. A process that imported pyplot before (a notebook, say) keeps its own
    backend, since switching would close its figures; the figures drawn here are closed anyway."""
    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    from matplotlib import pyplot

    return pyplot


# -- the header and the table -------------------------------------------------------------------
def _best_number(study) -> int | None:
    """The number of the study's best trial; None before any trial is complete."""
    try:
        return study.best_trial.number
    except ValueError:
        return None


def _header(study, spec: SweepSpec, rows: Sequence[Mapping[str, Any]], best: int | None) -> str:
    """What was optimised, how, and how far it got."""
    best_row = next((row for row in rows if row["number"] == best), None)
    facts = [
        ("study", study.study_name),
        ("objective", spec.objective),
        ("direction", spec.direction),
        ("seeds", ", ".join(map(str, spec.seeds)) + " (the objective is the mean over them)"),
        ("trials", _state_counts(rows)),
        ("search space", "; ".join(p.describe() for p in spec.space)),
        ("best trial", f"{best} ({spec.objective} = {_format(best_row['value'])})" if best_row else "none yet"),
    ]
    against = compare_to_baseline(rows, spec)
    if against:
        facts.append(("against the base config", against))
    rows_html = "".join(f"<tr><th>{_e(name)}</th><td>{_e(value)}</td></tr>" for name, value in facts)
    return f"<table>{rows_html}</table>"


def _state_counts(rows: Sequence[Mapping[str, Any]]) -> str:
    """E.g. ``3 complete, 1 pruned, 0 failed`` (and any trial still running or waiting)."""
    counts = Counter(row["state"] for row in rows)
    shown = [f"{counts.pop(state, 0)} {label}" for state, label in COUNTED_STATES]
    return ", ".join(shown + [f"{number} {state}" for state, number in sorted(counts.items())])


def _trial_table(rows: Sequence[Mapping[str, Any]], spec: SweepSpec, best: int | None) -> str:
    """Every trial: state, objective with its 95 % interval, each seed's value, time and parameters."""
    if not rows:
        return "<p>No trials yet.</p>"
    seeds = [str(seed) for seed in spec.seeds]
    keys = [param.key for param in spec.space]
    header = "".join(
        f"<th>{_e(name)}</th>"
        for name in [
            "trial",
            "state",
            f"{spec.objective} (mean)",
            "95 % confidence interval",
            *(f"seed {seed}" for seed in seeds),
            "seconds",
            *keys,
            "error",
        ]
    )
    body = "".join(_trial_row(row, seeds, keys, row["number"] == best) for row in rows)
    return f'<div class="wide"><table><tr>{header}</tr>{body}</table></div>'


def _trial_row(row: Mapping[str, Any], seeds: list[str], keys: list[str], is_best: bool) -> str:
    interval = row["ci95"]
    numbers = [
        row["value"],
        f"[{_format(interval[0])}, {_format(interval[1])}]" if interval else None,
        *(row["values"].get(seed) for seed in seeds),
        row["seconds"],
    ]
    cells = "".join(f'<td class="number">{_e(_format(value))}</td>' for value in numbers)
    cells += "".join(f"<td>{_e(_format(row['params'].get(key)))}</td>" for key in keys)
    cells += f"<td>{_e(row.get('error') or '')}</td>"
    marks = [mark for mark, on in (("best", is_best), ("base config", row.get("baseline"))) if on]
    number = f"{row['number']} ({', '.join(marks)})" if marks else row["number"]
    style = ' class="best" style="font-weight: bold"' if is_best else ""
    return f"<tr{style}><td>{_e(number)}</td><td>{_e(row['state'])}</td>{cells}</tr>"
