"""What a run directory holds, and what ``sample`` and ``evaluate`` make of it."""

from __future__ import annotations

import json
import platform
import re
import time
from pathlib import Path

import attrs
import numpy as np
import pytest
import scipy.stats
import torch

from ganframe import Experiment, RunDirectoryError, hookimpl
from ganframe.config import read_toml, resolve_config
from ganframe.testing import fresh_plugins

METRIC_ORDER = [
    "mean",
    "std",
    "skew",
    "kurtosis",
    "wasserstein",
    "ks",  # moments, wasserstein, ks
    "energy_distance",
    "energy_p_value",
    "energy_n_generated",
    "energy_n_real",
    "ks_statistic_max",
    "ks_p_value_min",
    "ks_n_generated",
    "ks_n_real",
]  # two-sample
METRIC_NAMES = set(METRIC_ORDER)


def rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_a_run_holds_exactly_its_parts(trained_run):
    files = sorted(str(p.relative_to(trained_run)) for p in trained_run.rglob("*") if p.is_file())
    assert files == [
        "checkpoints/last.pt",
        "config.toml",
        "metrics.jsonl",
        "plots/figures.json",
        "plots/histogram.png",
        "plots/losses.png",
        "plots/moments.jsonl",
        "plots/moments.png",
        "report.html",
        "report.json",
    ]  # no temporary files


def test_config_toml_is_fully_resolved_and_loads_back(trained_run, plugins):
    raw = read_toml(trained_run / "config.toml")
    config = resolve_config(raw, plugins.registry)
    assert config == Experiment.load(trained_run, plugins=plugins).config
    assert (raw["setup"], raw["preset"], raw["seed"], raw["device"]) == ("toy", "default", 1, "cpu")
    assert raw["train"]["steps"] == 6 and raw["generator"]["hidden"] == [8]
    # Every option is written out, defaults included, so the file alone says how the run was made.
    for section in ("data", "noise", "generator", "discriminator", "loss", "strategy"):
        spec = getattr(config, section)
        expected = {f.name for f in attrs.fields(type(spec.config)) if getattr(spec.config, f.name) is not None}
        assert set(raw[section]) - {"optimizer"} == {"name", *expected}, section
    for section in ("generator", "discriminator"):
        optimizer = getattr(config, section).optimizer
        assert set(raw[section]["optimizer"]) == {"name", *(f.name for f in attrs.fields(type(optimizer.config)))}
    assert set(raw["train"]) == {f.name for f in attrs.fields(type(config.train))}
    assert set(raw["evaluation"]) == {"metrics", "samples"}


def test_metrics_jsonl_has_a_row_per_logging_step_then_the_final_metrics(trained_run):
    logged = rows(trained_run)
    assert [row["step"] for row in logged] == [2, 4, 6, 6]
    for row in logged[:3]:
        assert set(row) == {"step", "d_loss", "g_loss"}
        assert all(isinstance(row[k], float) and np.isfinite(row[k]) for k in ("d_loss", "g_loss"))
    assert set(logged[3]) == {"step", "metrics"} and set(logged[3]["metrics"]) == METRIC_NAMES


def test_intermediate_evaluations_are_logged(make_experiment, tmp_path):
    make_experiment(train__steps=5, train__eval_every=2, train__log_every=5).fit(tmp_path / "run")
    assert [(row["step"], "metrics" in row) for row in rows(tmp_path / "run")] == [
        (2, True),
        (4, True),
        (5, False),
        (5, True),
    ]


def test_the_checkpoint_holds_the_training_position(trained_run):
    content = torch.load(trained_run / "checkpoints" / "last.pt", weights_only=True)
    assert content["format"] == 2 and content["step"] == 6 and content["real_draws"] == 6
    assert content["device_type"] == "cpu" and len(content["rng"]) == 1
    assert {"networks", "optimizers", "schedules"} <= set(content)
    for key in ("networks", "optimizers", "schedules"):
        assert list(content[key]) == ["generator", "discriminator"]
    assert set(content["rng"][0]) == {"noise", "data", "strategy", "torch"}
    assert "strategy" not in content and "loss" not in content  # the built-in ones keep no state


def test_report_json(trained_run, plugins):
    report = json.loads((trained_run / "report.json").read_text())
    assert set(report) == {
        "setup",
        "preset",
        "seed",
        "steps",
        "steps_planned",
        "completed",
        "seconds",
        "device",
        "processes",
        "metrics",
        "metric_descriptions",
        "versions",
        "finished",
    }
    assert list(report["metric_descriptions"]) == ["moments", "wasserstein", "ks", "two-sample"]
    assert "energy-distance permutation test" in report["metric_descriptions"]["two-sample"]
    assert (report["setup"], report["preset"], report["seed"], report["steps"], report["steps_planned"]) == (
        "toy",
        "default",
        1,
        6,
        6,
    )
    assert report["completed"] is True and report["device"] == "cpu" and report["processes"] == 1
    assert report["seconds"] > 0  # how it is measured: test_report_seconds_are_the_training_time
    assert set(report["versions"]) == {"ganframe", "torch", "python", "plugins"}
    assert (
        report["versions"]["torch"] == torch.__version__ and report["versions"]["python"] == platform.python_version()
    )
    plugins_seen = report["versions"]["plugins"]  # installed plugin distributions, not the built-in modules
    assert plugins_seen["toy"] and not any(name.startswith("ganframe.builtin") for name in plugins_seen)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", report["finished"])
    assert set(report["metrics"]) == METRIC_NAMES
    # Evaluation is deterministic: the loaded model scores the same.
    assert Experiment.load(trained_run, plugins=plugins).evaluate() == report["metrics"]
    assert rows(trained_run)[-1]["metrics"] == report["metrics"]


def test_sample_writes_float32_npy_and_pt(cli, trained_run, tmp_path, plugins, snapshot_of):
    before = snapshot_of(trained_run)
    expected = Experiment.load(trained_run, plugins=plugins).sample(50)
    result = cli("sample", trained_run, "-n", "50", "-o", tmp_path / "s.npy")
    assert result.code == 0 and result.err == ""
    assert result.out == f"wrote 50 samples of shape (1,) to {tmp_path / 's.npy'}\n"
    array = np.load(tmp_path / "s.npy")
    assert array.dtype == np.float32 and array.shape == (50, 1)
    assert np.array_equal(array, expected.numpy())

    assert cli("sample", trained_run, "-n", "50", "-o", tmp_path / "s.pt").code == 0
    tensor = torch.load(tmp_path / "s.pt", weights_only=True)
    assert tensor.dtype == torch.float32 and tensor.shape == (50, 1)
    assert torch.equal(tensor, expected)
    assert snapshot_of(trained_run) == before  # sampling reads the run and changes nothing


def test_sample_seed_option(cli, trained_run, tmp_path):
    for name, seed in (("a.npy", "7"), ("b.npy", "7"), ("c.npy", "8")):
        assert cli("sample", trained_run, "-n", "20", "--seed", seed, "-o", tmp_path / name).code == 0
    a, b, c = (np.load(tmp_path / name) for name in ("a.npy", "b.npy", "c.npy"))
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_sample_overwrites_an_existing_output_file(cli, trained_run, tmp_path):
    (tmp_path / "s.npy").write_bytes(b"old")
    assert cli("sample", trained_run, "-n", "5", "-o", tmp_path / "s.npy").code == 0
    assert np.load(tmp_path / "s.npy").shape == (5, 1)


def test_evaluate_json_prints_every_metric(cli, trained_run, snapshot_of):
    before = snapshot_of(trained_run)
    result = cli("evaluate", trained_run, "--json")
    assert result.code == 0 and result.err == ""
    metrics = json.loads(result.out)
    assert set(metrics) == METRIC_NAMES
    assert metrics == json.loads((trained_run / "report.json").read_text())["metrics"]
    assert snapshot_of(trained_run) == before


class RecordSamples:
    """A metric ``record`` that keeps the samples the metrics are computed on."""

    def __init__(self) -> None:
        self.samples: list[torch.Tensor] = []

    @hookimpl
    def register_metrics(self, register):
        def record(samples, context):
            self.samples.append(samples.clone())
            return {}

        register("record", lambda config, context: record)


def test_evaluate_computes_the_metrics_of_the_models_samples(cli, trained_run):
    """The moments, the 1-Wasserstein distance and the Kolmogorov-Smirnov statistic ``evaluate``
    prints, computed here another way on the same samples against the data's N(4, 1.25²)."""
    import ganframe_toy

    metrics = json.loads(cli("evaluate", trained_run, "--json").out)
    recorder = RecordSamples()
    experiment = Experiment.load(trained_run, plugins=fresh_plugins(ganframe_toy, recorder, entry_points=False))
    experiment.evaluate(metrics=["record"])  # the same samples: evaluation draws from the seed's stream
    (samples,) = recorder.samples
    x = np.sort(samples.reshape(-1).double().numpy())
    n = len(x)
    assert n == 500  # evaluation.samples of the run
    assert metrics["mean"] == pytest.approx(x.mean(), rel=1e-9)
    assert metrics["std"] == pytest.approx(np.sqrt(((x - x.mean()) ** 2).mean()), rel=1e-9)
    truth = scipy.stats.norm(4.0, 1.25)
    # KS: the largest gap between the empirical CDF (steps at the sorted samples) and the true CDF.
    cdf = truth.cdf(x)
    ks = max((np.arange(1, n + 1) / n - cdf).max(), (cdf - np.arange(n) / n).max())
    assert metrics["ks"] == pytest.approx(ks, rel=1e-9)
    # W1: the area between the two CDFs, integrated on a fine grid.
    grid = np.linspace(min(x[0], truth.ppf(1e-9)), max(x[-1], truth.ppf(1 - 1e-9)), 2_000_001)
    empirical = np.searchsorted(x, grid, side="right") / n
    w1 = np.abs(empirical - truth.cdf(grid)).sum() * (grid[1] - grid[0])
    assert metrics["wasserstein"] == pytest.approx(w1, abs=1e-3)
    assert metrics["wasserstein"] > 0.05 and metrics["ks"] > 0.05  # 6 rounds: far from the data yet


class Sleeps:
    """A callback that makes every training round last at least ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    @hookimpl
    def on_step_end(self):
        time.sleep(self.seconds)


def test_report_seconds_are_the_training_time(make_experiment, tmp_path):
    experiment = make_experiment(callbacks=[Sleeps(0.05)])
    started = time.perf_counter()
    experiment.fit(tmp_path / "run")
    wall = time.perf_counter() - started
    seconds = json.loads((tmp_path / "run" / "report.json").read_text())["seconds"]
    assert 6 * 0.05 <= seconds <= wall + 0.001  # the 6 rounds' sleep is training time; within the call
    assert seconds == pytest.approx(experiment.seconds, abs=0.001)  # rounded to the millisecond


def test_evaluate_prints_one_line_per_metric(cli, trained_run):
    result = cli("evaluate", trained_run, "--samples", "300")
    assert result.code == 0
    lines = result.out.splitlines()
    assert [line.split(":")[0] for line in lines] == METRIC_ORDER
    assert all(re.fullmatch(r"\w+: -?[0-9.e+-]+", line) for line in lines)


def test_train_prints_a_summary_and_names_a_run_directory_when_none_is_given(cli, tmp_path):
    result = cli(
        "train",
        "toy",
        "--seed",
        "2",
        "--steps",
        "2",
        "--device",
        "cpu",
        "--set",
        "train.batch_size=16",
        "--set",
        "evaluation.samples=200",
    )
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    match = re.fullmatch(r"run directory: (runs/toy-default-s2-\d{8}-\d{6})", lines[0])
    assert match and (tmp_path / match.group(1) / "report.json").is_file()
    assert re.fullmatch(r"steps: 2  time: [0-9.]+ s  device: cpu", lines[1])
    assert [line.split(":")[0].strip() for line in lines[2:]] == METRIC_ORDER


def test_save_and_load_round_trip(make_experiment, tmp_path, plugins):
    experiment = make_experiment(train__steps=3)
    experiment.fit()
    checkpoint = experiment.save(tmp_path / "saved")
    assert checkpoint == tmp_path / "saved" / "checkpoints" / "last.pt"
    loaded = Experiment.load(tmp_path / "saved", plugins=plugins)
    assert loaded.step == 3 and loaded.config == experiment.config
    assert torch.equal(loaded.sample(100), experiment.sample(100))


def test_fit_refuses_to_start_a_new_run_over_an_existing_one(make_experiment, run_copy, snapshot_of):
    before = snapshot_of(run_copy)
    with pytest.raises(RunDirectoryError, match="already holds a run; continue it with --resume"):
        make_experiment().fit(run_copy)
    assert snapshot_of(run_copy) == before


def test_fit_refuses_a_file_as_run_directory(make_experiment, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    with pytest.raises(RunDirectoryError, match="exists and is not a directory"):
        make_experiment().fit(target)
    assert target.read_text() == "x"


def test_run_files_get_ordinary_permissions(make_experiment, tmp_path):
    import os
    import stat

    previous = os.umask(0o022)
    try:
        make_experiment().fit(tmp_path / "run")
    finally:
        os.umask(previous)
    for name in ("config.toml", "report.json", "report.html", "checkpoints/last.pt", "plots/losses.png"):
        assert stat.S_IMODE((tmp_path / "run" / name).stat().st_mode) == 0o644, name  # readable by others


def test_running_means_average_each_value_over_the_rounds_that_logged_it():
    from ganframe.runs import RunningMeans

    means = RunningMeans()
    means.add({"d_loss": torch.tensor(1.0), "q_loss": torch.tensor(4.0)})
    means.add({"d_loss": torch.tensor(3.0)})  # a strategy that logs q_loss every other round
    taken = means.take()
    assert taken == {"d_loss": torch.tensor(2.0), "q_loss": torch.tensor(4.0)}
    assert means.take() == {} and means.count == 0
