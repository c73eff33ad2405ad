"""The sweep's report.html: figures, the trial table and notes for what a study cannot show yet.

The studies are real Optuna studies in memory, run on a toy objective over a sweep file's space:
no GAN is trained here.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

optuna = pytest.importorskip("optuna")

from ganframe.sweep import parse_sweep
from ganframe.sweep import results as sweep_results
from ganframe.sweep import run as sweep_run
from ganframe.sweep import storage as sweep_storage
from ganframe.sweep.report import FIGURES, write_sweep_report

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIGURE_FILES = ("history.png", "importances.png", "slice.png")
LR = {"key": "generator.optimizer.lr", "type": "float", "low": 1e-4, "high": 1e-2, "log": True}
BATCH = {"key": "train.batch_size", "type": "int", "low": 8, "high": 64}
LOSS = {"key": "loss", "type": "categorical", "choices": ["hinge", "wasserstein"]}


def make_spec(space, name="toy"):
    return parse_sweep({"setup": "toy", "objective": "wasserstein", "seeds": [0, 1], "space": space}, name=name)


def run_study(spec, outcomes):
    """A study of ``spec`` with one trial per outcome: "complete", "pruned" or "fail"; each trial keeps
    the user attributes a sweep's trials keep (per-seed values, interval, seconds)."""
    study = optuna.create_study(
        study_name=spec.name, direction=spec.direction, sampler=optuna.samplers.RandomSampler(seed=0)
    )
    planned = iter(outcomes)

    def objective(trial):
        params = {param.key: sweep_run._suggest(trial, param) for param in spec.space}
        outcome = next(planned)
        if outcome == "pruned":
            raise optuna.TrialPruned()
        if outcome == "fail":
            raise RuntimeError("toy failure")
        base = sum(float(v) if not isinstance(v, str) else len(v) for v in params.values())
        values = {str(seed): base + 0.1 * seed for seed in spec.seeds}
        mean = sum(values.values()) / len(values)
        trial.set_user_attr("values", values)
        trial.set_user_attr("ci95", [mean - 0.1, mean + 0.1])
        trial.set_user_attr("seconds", 0.5)
        return mean

    study.optimize(objective, n_trials=len(outcomes), catch=(RuntimeError,))
    return study


def write(study, spec, tmp_path: Path) -> tuple[Path, str]:
    page = write_sweep_report(study, tmp_path / "sweep", spec, sweep_results.trial_rows(study))
    assert page == tmp_path / "sweep" / "report.html"
    return page, page.read_text()


def table_numbers(page: str) -> list[str]:
    """The trial numbers in the first cell of each row of the trials table."""
    table = page.split("<h2>Trials</h2>", 1)[1]
    return re.findall(r"<tr(?: [^>]*)?><td>(\d+)(?: \(best\))?</td>", table)


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert len(data) > len(PNG_SIGNATURE) and data.startswith(PNG_SIGNATURE), path


def test_page_figures_and_table(tmp_path):
    import matplotlib
    from matplotlib import pyplot

    spec = make_spec([LR, BATCH, LOSS], name="toy <sweep>")
    study = run_study(spec, ["complete"] * 5 + ["pruned", "fail", "complete"])
    figures_before, style_before = set(pyplot.get_fignums()), dict(matplotlib.rcParams)
    _, page = write(study, spec, tmp_path)
    assert set(pyplot.get_fignums()) == figures_before  # every figure drawn was closed
    assert dict(matplotlib.rcParams) == style_before  # Optuna's ggplot style does not stay behind

    assert "toy &lt;sweep&gt;" in page and "<sweep>" not in page  # escaped
    assert "wasserstein" in page and "minimize" in page and "0, 1" in page
    assert "6 complete, 1 pruned, 1 failed" in page
    assert table_numbers(page) == [str(n) for n in range(8)]
    best = study.best_trial.number
    assert f"<td>{best} (best)</td>" in page and page.count("(best)") == 1
    assert f"best trial</th><td>{best} (" in page
    assert "Not drawn" not in page
    folder = tmp_path / "sweep" / FIGURES
    assert sorted(p.name for p in folder.iterdir()) == sorted(FIGURE_FILES)  # no temporary file left
    for name in FIGURE_FILES:
        assert_png(folder / name)
    assert page.count('src="data:image/png;base64,') == len(FIGURE_FILES)  # embedded: the page stands alone


def test_one_complete_trial_explains_the_missing_importances(tmp_path):
    spec = make_spec([LR, BATCH])
    study = run_study(spec, ["complete", "pruned"])
    _, page = write(study, spec, tmp_path)
    assert table_numbers(page) == ["0", "1"] and "<td>0 (best)</td>" in page
    assert "Not drawn: they need at least two complete trials, and 1 is complete." in page
    folder = tmp_path / "sweep" / FIGURES
    assert not (folder / "importances.png").exists()
    for name in ("history.png", "slice.png"):
        assert_png(folder / name)


def test_no_complete_trial_still_writes_a_page(tmp_path):
    spec = make_spec([LR, BATCH])
    study = run_study(spec, ["pruned", "fail", "fail"])
    _, page = write(study, spec, tmp_path)
    assert table_numbers(page) == ["0", "1", "2"] and "(best)" not in page
    assert "0 complete, 1 pruned, 2 failed" in page and "none yet" in page
    assert page.count("Not drawn: no trial is complete yet") == 2  # history and slices
    assert "Not drawn: they need at least two complete trials, and 0 are complete." in page
    assert not list((tmp_path / "sweep" / FIGURES).glob("*.png"))


def test_empty_study_and_single_parameter(tmp_path):
    spec = make_spec([LR])
    _, page = write(run_study(spec, []), spec, tmp_path)
    assert "No trials yet." in page and "0 complete, 0 pruned, 0 failed" in page
    assert "Not drawn: the search space has a single parameter" in page


def test_identical_trials_have_no_importances(tmp_path):
    spec = make_spec(
        [
            {"key": "loss", "type": "categorical", "choices": ["hinge"]},
            {"key": "train.batch_size", "type": "categorical", "choices": [32]},
        ]
    )
    _, page = write(run_study(spec, ["complete"] * 3), spec, tmp_path)
    assert "Not drawn: every complete trial has the same parameters." in page
    assert_png(tmp_path / "sweep" / FIGURES / "history.png")


def test_no_experimental_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep_storage, "import_optuna", lambda: optuna)  # it would silence them for the whole process
    spec = make_spec([LR, BATCH])
    study = run_study(spec, ["complete"] * 4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        write(study, spec, tmp_path)
    assert not [w for w in caught if issubclass(w.category, optuna.exceptions.ExperimentalWarning)]
