"""Bad input on the command line: exit status 2, one line on stderr, no traceback, and nothing lost."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

UNWRITABLE = Path("/proc")  # not writable even by root


# -- train --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "tyo"], "unknown setup 'tyo'; did you mean 'toy'? available: {installed_setups}"),
        (
            ["train", "toy", "--set", "train.steps"],
            "--set expects KEY=VALUE such as train.steps=500, got 'train.steps'",
        ),
        (["train", "toy", "--set", "=3"], "--set expects KEY=VALUE such as train.steps=500, got '=3'"),
        (
            ["train", "toy", "--set", "generator.hidden=[8,"],
            "cannot read '[8,' as a value: use TOML syntax such as 3, 0.5, true, [64, 64] or \"text\"",
        ),
        (["train", "toy", "--set", "train.steps=many"], "train: steps: expected int, got 'many'"),
        (["train", "toy", "--set", "train.batch_size=-4"], "train: 'batch_size' must be > 0, got -4"),
        (["train", "toy", "--steps", "0"], "--steps must be positive, got 0"),
        (["train", "toy", "--seed", "-1"], "--seed must be a whole number from 0 to 2**63 - 1, got -1"),
        (["train", "toy", "--device", "tpu"], "'device' must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 'tpu'"),
        (["train", "--preset", "tutorial"], "--preset needs a setup: ganframe train SETUP --preset P"),
        (["train"], "name a setup (see 'ganframe list setups') or give --config FILE"),
    ],
)
def test_train_rejects_bad_input(cli, assert_usage_error, tmp_path, installed_setups, args, message):
    out = tmp_path / "run"
    short = ["--steps", "1", "--device", "cpu", "--quiet"]  # should a check break, the run is short
    line = assert_usage_error(cli(args[0], *short, *args[1:], "--out", out))
    assert line == f"ganframe: error: {message.replace('{installed_setups}', installed_setups)}"
    assert not out.exists()  # nothing was created


def test_train_rejects_a_bad_config_file(cli, assert_usage_error, tmp_path):
    assert_usage_error(cli("train", "--config", tmp_path / "missing.toml", "--out", tmp_path / "run"))
    bad = tmp_path / "bad.toml"
    bad.write_text("[data\nname = 'toy-1d'\n")
    line = assert_usage_error(cli("train", "--config", bad, "--out", tmp_path / "run"))
    assert line.startswith(f"ganframe: error: config file {str(bad)!r} is not valid TOML: ")
    assert not (tmp_path / "run").exists()


def test_train_refuses_an_existing_run_directory_and_leaves_it_alone(
    cli, assert_usage_error, argv_for, trained_run, snapshot_of
):
    before = snapshot_of(trained_run)
    line = assert_usage_error(cli(*argv_for(trained_run)))
    assert line == (
        f"ganframe: error: {str(trained_run)!r} already exists and is not empty; choose another "
        "--out or continue a run there with --resume"
    )
    assert snapshot_of(trained_run) == before


def test_train_refuses_a_non_empty_folder_that_is_not_a_run(cli, assert_usage_error, argv_for, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "todo.txt").write_text("keep me")
    assert_usage_error(cli(*argv_for(folder)))
    assert [p.name for p in folder.iterdir()] == ["todo.txt"] and (folder / "todo.txt").read_text() == "keep me"


def test_train_into_an_unwritable_place_is_one_line(cli, assert_usage_error, argv_for, tmp_path):
    line = assert_usage_error(cli(*argv_for(UNWRITABLE / "ganframe-run", steps=1)))
    assert line.startswith(f"ganframe: error: cannot write '{UNWRITABLE}/ganframe-run/")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    line = assert_usage_error(cli(*argv_for(blocker / "run", steps=1)))
    assert line.startswith(f"ganframe: error: cannot write '{blocker}/run/")
    assert blocker.read_text() == "not a folder"


# -- --resume -----------------------------------------------------------------------------------------
def test_resume_needs_an_existing_run(cli, assert_usage_error, tmp_path):
    missing = tmp_path / "missing"
    assert assert_usage_error(cli("train", "--resume", missing)) == (
        f"ganframe: error: run directory {str(missing)!r} does not exist"
    )
    empty = tmp_path / "empty"
    empty.mkdir()
    assert assert_usage_error(cli("train", "--resume", empty)) == (
        f"ganframe: error: {str(empty)!r} is not a ganframe run: it has no config.toml"
    )
    assert list(empty.iterdir()) == []


def test_sample_without_a_checkpoint(cli, assert_usage_error, run_copy, snapshot_of):
    """(``--resume`` trains such a run from step 0: see test_run_safety.py.)"""
    (run_copy / "checkpoints" / "last.pt").unlink()
    before = snapshot_of(run_copy)
    assert assert_usage_error(cli("sample", run_copy, "-n", "3", "-o", run_copy.parent / "x.npy")) == (
        f"ganframe: error: {str(run_copy)!r} holds no checkpoint (checkpoints/last.pt is missing)"
    )
    assert snapshot_of(run_copy) == before


def test_resume_of_a_corrupt_checkpoint(cli, assert_usage_error, run_copy):
    (run_copy / "checkpoints" / "last.pt").write_bytes(b"not a checkpoint")
    line = assert_usage_error(cli("train", "--resume", run_copy, "--steps", "8"))
    assert line.startswith(
        f"ganframe: error: cannot read checkpoint '{run_copy}/checkpoints/last.pt' (damaged or not a checkpoint): "
    )


def test_resume_of_a_finished_run_needs_more_steps_and_changes_nothing(
    cli, assert_usage_error, trained_run, snapshot_of
):
    before = snapshot_of(trained_run)
    assert assert_usage_error(cli("train", "--resume", trained_run, "--quiet")) == (
        f"ganframe: error: the run in {str(trained_run)!r} already finished 6 steps; "
        "pass a larger --steps to train it further"
    )
    assert snapshot_of(trained_run) == before


@pytest.mark.parametrize(
    "extra", [["toy"], ["--set", "train.steps=9"], ["--seed", "3"], ["--out", "x"], ["--preset", "tutorial"]]
)
def test_resume_refuses_options_that_would_change_the_run(cli, assert_usage_error, trained_run, snapshot_of, extra):
    before = snapshot_of(trained_run)
    line = assert_usage_error(cli("train", "--resume", trained_run, *extra))
    assert line == (
        "ganframe: error: --resume continues a run as it was configured; only --steps, --device "
        "and --quiet may be given with it"
    )
    assert snapshot_of(trained_run) == before


# -- sample and evaluate ----------------------------------------------------------------------------
@pytest.mark.parametrize("command", [["sample", "-n", "3", "-o", "x.npy"], ["evaluate"]])
def test_sample_and_evaluate_need_an_existing_run(cli, assert_usage_error, tmp_path, command):
    missing = tmp_path / "missing"
    line = assert_usage_error(cli(command[0], missing, *command[1:]))
    assert line == f"ganframe: error: run directory {str(missing)!r} does not exist"
    assert not (tmp_path / "x.npy").exists()
    a_file = tmp_path / "file.txt"
    a_file.write_text("")
    assert assert_usage_error(cli(command[0], a_file, *command[1:])) == (
        f"ganframe: error: {str(a_file)!r} is not a directory"
    )


def test_bad_sample_outputs_fail_before_anything_is_read_or_written(
    cli, assert_usage_error, trained_run, snapshot_of, tmp_path
):
    before = snapshot_of(trained_run)
    cases = {
        "x.txt": "ganframe: error: -o 'x.txt': the file must end in .npy, .pt, .png",
        "x": "ganframe: error: -o 'x': the file must end in .npy, .pt, .png",
        f"{tmp_path}/no/such/dir/x.npy": f"ganframe: error: cannot write '{tmp_path}/no/such/dir/x.npy': "
        f"directory '{tmp_path}/no/such/dir' does not exist",
    }
    for output, message in cases.items():
        assert assert_usage_error(cli("sample", trained_run, "-n", "5", "-o", output)) == message
    folder = tmp_path / "folder.npy"
    folder.mkdir()
    assert assert_usage_error(cli("sample", trained_run, "-n", "5", "-o", folder)) == (
        f"ganframe: error: -o {str(folder)!r} is a directory; give a file name"
    )
    assert list(folder.iterdir()) == []
    assert assert_usage_error(cli("sample", trained_run, "-n", "0", "-o", "x.npy")) == (
        "ganframe: error: -n must be a number of samples from 1 to 100,000,000, got 0"
    )
    assert snapshot_of(trained_run) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder.npy"]


def test_sample_into_an_unwritable_place_leaves_the_run_alone(cli, assert_usage_error, trained_run, snapshot_of):
    before = snapshot_of(trained_run)
    line = assert_usage_error(cli("sample", trained_run, "-n", "5", "-o", UNWRITABLE / "samples.npy"))
    assert line.startswith(f"ganframe: error: cannot write '{UNWRITABLE}/samples.npy'")
    assert not (UNWRITABLE / "samples.npy").exists()
    assert snapshot_of(trained_run) == before


def test_sample_refuses_to_write_over_the_runs_checkpoint(cli, assert_usage_error, run_copy, snapshot_of):
    before = snapshot_of(run_copy)
    line = assert_usage_error(cli("sample", run_copy, "-n", "5", "-o", run_copy / "checkpoints" / "last.pt"))
    assert "is one of the files of the run" in line
    assert snapshot_of(run_copy) == before


def test_a_failed_sample_does_not_touch_an_existing_output_file(cli, assert_usage_error, trained_run, tmp_path):
    for name in ("old.npy", "old.png"):
        (tmp_path / name).write_bytes(b"precious")
    assert_usage_error(cli("sample", trained_run, "-n", "0", "-o", tmp_path / "old.npy"))
    # 1-D samples cannot be drawn as an image: refused after loading, before writing
    line = assert_usage_error(cli("sample", trained_run, "-n", "4", "-o", tmp_path / "old.png"))
    assert line.startswith("ganframe: error: a .png needs image samples of shape (N, 1 or 3, H, W); ")
    assert (tmp_path / "old.npy").read_bytes() == b"precious" and (tmp_path / "old.png").read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.npy", "old.png"]  # no temporary file left


def test_evaluate_rejects_a_bad_sample_count(cli, assert_usage_error, trained_run):
    assert assert_usage_error(cli("evaluate", trained_run, "--samples", "0")) == (
        "ganframe: error: --samples must be from 1 to 10,000,000, got 0"
    )


def test_evaluate_a_run_without_metrics(cli, assert_usage_error, run_copy):
    config = run_copy / "config.toml"
    text = config.read_text()
    listed = 'metrics = [\n    "moments",\n    "wasserstein",\n    "ks",\n    "two-sample",\n]'
    assert listed in text
    config.write_text(text.replace(listed, "metrics = []"))
    assert assert_usage_error(cli("evaluate", run_copy)) == (
        f"ganframe: error: the run in {str(run_copy)!r} configures no metrics (evaluation.metrics); "
        "name some with --metric"
    )
    named = cli("evaluate", run_copy, "--metric", "moments")
    assert named.code == 0 and named.out.startswith("mean: ")


def test_a_run_whose_config_no_longer_fits_its_checkpoint(cli, assert_usage_error, run_copy):
    config = run_copy / "config.toml"
    text = config.read_text()
    assert "hidden = [\n    8,\n]" in text
    config.write_text(text.replace("hidden = [\n    8,\n]", "hidden = [\n    9,\n]", 1))
    line = assert_usage_error(cli("sample", run_copy, "-n", "3", "-o", run_copy.parent / "s.npy"))
    assert line.startswith(f"ganframe: error: the checkpoint in {str(run_copy)!r} does not fit the networks")


# -- argparse usage errors ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["bogus"], "ganframe: error: argument COMMAND: invalid choice: 'bogus'"),
        ([], "ganframe: error: the following arguments are required: COMMAND"),
        (
            ["train", "toy", "--steps", "ten"],
            "ganframe: error: argument --steps: invalid int value: 'ten' (see 'ganframe train --help')",
        ),
        (
            ["sample", "run", "-o", "x.npy"],
            "ganframe: error: the following arguments are required: -n (see 'ganframe sample --help')",
        ),
    ],
)
def test_usage_errors_are_one_line_with_exit_2(cli, assert_usage_error, args, start):
    line = assert_usage_error(cli(*args))
    assert line.startswith(start) and line.endswith("--help')")


def test_a_real_process_exits_2_without_a_traceback(trained_run, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("GANFRAME_")}
    completed = subprocess.run(
        [sys.executable, "-m", "ganframe", "sample", str(trained_run), "-n", "5", "-o", str(tmp_path / "a/b.npy")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr == (
        f"ganframe: error: cannot write '{tmp_path}/a/b.npy': directory '{tmp_path}/a' does not exist\n"
    )
