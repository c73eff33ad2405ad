"""Data parallel training with two processes on the CPU (gloo), started by torchrun once per module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WORKER = Path(__file__).with_name("ddp_worker.py")


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    env = {k: v for k, v in os.environ.items() if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK")}
    env["OMP_NUM_THREADS"] = "1"
    completed = subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", str(WORKER), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = [json.loads((out / f"rank-{rank}.json").read_text()) for rank in (0, 1)]
    return out, results, completed


def test_gradients_are_averaged_to_the_whole_batch_gradient(ddp_run):
    _, results, _ = ddp_run
    for result in results:
        assert result["world_size"] == 2
        assert result["gradient_error"] < 1e-6


def test_batch_is_split_and_networks_stay_identical(ddp_run):
    _, results, _ = ddp_run
    for result in results:
        assert result["per_process_batch"] == 32  # global batch 64 over 2 processes
        assert result["steps"] == 60
        assert result["parameter_spread"] == 0.0
        assert result["cli_exit"] == 0


def test_a_stop_signal_to_one_process_stops_every_process_after_the_same_round(ddp_run):
    out, results, _ = ddp_run
    assert [result["stopped_at"] for result in results] == [7, 7]
    assert [result["stopped_by_signal"] for result in results] == [None, 15]  # SIGTERM reached rank 1 only
    report = json.loads((out / "stopped-run" / "report.json").read_text())
    assert (report["steps"], report["completed"]) == (7, False)


def test_a_third_role_stays_identical_in_every_process(ddp_run):
    _, results, _ = ddp_run
    for result in results:
        assert result["encoder_trained"] and result["encoder_spread"] == 0.0


def test_only_rank_zero_writes_a_complete_run(ddp_run):
    out, _, completed = ddp_run
    run = out / "cli-run"
    report = json.loads((run / "report.json").read_text())
    assert report["processes"] == 2
    assert report["steps"] == 40
    assert set(report["metrics"]) >= {"mean", "std", "wasserstein", "ks"}
    assert (run / "checkpoints" / "last.pt").is_file()
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    steps = [row["step"] for row in rows if "d_loss" in row]
    assert steps == sorted(set(steps))  # one row per logged step: rank 1 wrote nothing
    assert completed.stdout.splitlines() == [str(run)]  # --quiet: only rank 0 prints the run directory


def test_two_process_checkpoint_resumes_in_one_process_is_refused(ddp_run, capsys):
    from ganframe.cli import main

    out, _, _ = ddp_run
    assert main(["train", "--resume", str(out / "cli-run"), "--steps", "50", "--quiet"]) == 2
    error = capsys.readouterr().err
    assert "written by 2 process(es)" in error and error.count("\n") == 1
