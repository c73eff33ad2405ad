"""Multi-seed runs: --seeds parsing, the mean and 95 % interval, and ganframe train --seeds."""

from __future__ import annotations

import json
import math

import pytest
import tomllib

from ganframe import ConfigError
from ganframe.summary import mean_interval, parse_seeds, summarize


@pytest.mark.parametrize(
    "text, seeds",
    [
        ("0-4", [0, 1, 2, 3, 4]),
        ("3", [3]),
        ("0,3,7", [0, 3, 7]),
        ("0-2, 10", [0, 1, 2, 10]),
        ("5-5", [5]),
    ],
)
def test_parse_seeds(text, seeds):
    assert parse_seeds(text) == seeds


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "expected numbers and ranges"),
        ("a-b", "expected numbers"),
        ("-1", "expected numbers"),
        ("4-0", "runs backwards"),
        ("0-2,1", "seed 1 is given twice"),
        ("0-5000", "more than 1000 seeds"),
    ],
)
def test_parse_seeds_errors(text, message):
    with pytest.raises(ConfigError, match=message):
        parse_seeds(text)


def test_mean_interval_by_hand():
    stats = mean_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) * s / sqrt(n) with s = 1
    assert stats["mean"] == 2.0 and stats["std"] == pytest.approx(1.0)
    assert stats["ci95"] == pytest.approx([2.0 - half, 2.0 + half])
    assert stats["n"] == 3 and stats["left_out"] == 0


def test_mean_interval_of_one_value_and_of_nan():
    assert mean_interval([2.5]) == {"mean": 2.5, "std": None, "ci95": None, "n": 1, "left_out": 0}
    stats = mean_interval([1.0, math.nan, 3.0, math.inf])
    assert stats["mean"] == 2.0 and stats["n"] == 2 and stats["left_out"] == 2
    assert mean_interval([])["mean"] is None


def test_summarize_keeps_every_metric_and_each_seed():
    runs = [{"seed": 0, "metrics": {"a": 1.0}}, {"seed": 1, "metrics": {"a": 3.0, "b": 5.0}}]
    summary = summarize(runs, setup="x")
    assert list(summary["metrics"]) == ["a", "b"]
    assert summary["metrics"]["a"]["mean"] == 2.0 and summary["metrics"]["b"]["n"] == 1
    assert summary["seeds"] == [0, 1] and summary["runs"] == runs


def test_train_seeds_writes_runs_summary_and_report(cli, tmp_path, tiny_cli):
    out = tmp_path / "seeds"
    result = cli("train", "toy", "--seeds", "0-2", "--steps", "4", "--out", out, *tiny_cli)
    assert result.code == 0, result.err
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "seed-0", "seed-1", "seed-2", "summary.json"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seeds"] == [0, 1, 2] and summary["setup"] == "toy"
    means = [json.loads((out / f"seed-{s}" / "report.json").read_text())["metrics"]["mean"] for s in range(3)]
    assert [tomllib.loads((out / f"seed-{s}" / "config.toml").read_text())["seed"] for s in range(3)] == [0, 1, 2]
    assert summary["metrics"]["mean"]["mean"] == pytest.approx(sum(means) / 3)
    assert [run["metrics"]["mean"] for run in summary["runs"]] == means
    assert "energy_p_value" in summary["metrics"]  # the two-sample test is among the toy setup's metrics
    assert "summary over 3 seeds" in result.out and "95 % interval" in result.out
    assert "two-sample: energy-distance permutation test" in result.out  # the test used, by name
    assert "energy-distance permutation test" in summary["metric_descriptions"]["two-sample"]
    page = (out / "report.html").read_text()
    assert "Summary over seeds" in page and 'href="seed-1/report.html"' in page and "energy_p_value" in page


def test_seeds_give_the_same_runs_as_single_seeds(cli, tmp_path, tiny_cli):
    assert cli("train", "toy", "--seeds", "1-2", "--steps", "4", "--out", tmp_path / "many", *tiny_cli).code == 0
    assert cli("train", "toy", "--seed", "2", "--steps", "4", "--out", tmp_path / "one", *tiny_cli).code == 0
    assert (tmp_path / "many" / "seed-2" / "metrics.jsonl").read_text() == (
        tmp_path / "one" / "metrics.jsonl"
    ).read_text()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--seeds", "0-1", "--seed", "3"], "leave out --seed"),
        (["--seeds", "0-1", "--set", "seed=3"], "leave out --seed"),
        (["--seeds", "x"], "expected numbers and ranges"),
        (["--seeds", "0-1", "--set", "train.steps=0"], "steps"),
    ],
)
def test_seeds_errors_are_one_line_and_write_nothing(cli, assert_usage_error, tmp_path, extra, message):
    out = tmp_path / "out"
    line = assert_usage_error(cli("train", "toy", "--out", out, "--quiet", *extra))
    assert message in line
    assert not out.exists()


def test_seeds_refuse_a_nonempty_out(cli, assert_usage_error, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    line = assert_usage_error(cli("train", "toy", "--seeds", "0-1", "--out", tmp_path / "out", "--quiet"))
    assert "already exists and is not empty" in line
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


def test_mean_interval_where_every_seed_agrees_or_values_are_huge():
    assert mean_interval([2.0, 2.0, 2.0])["ci95"] == [2.0, 2.0]
    stats = mean_interval([1e308, 1e308, 1e308, -1e300])
    assert stats["mean"] == pytest.approx(0.75e308) and stats["std"] == pytest.approx(5e307)
