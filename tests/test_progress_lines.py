"""When stderr is not a terminal (nohup, CI, a batch job), training says how it is going every so
many seconds instead of drawing a bar."""

from __future__ import annotations

import io

import torch

from ganframe.progress import ProgressLines


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_every_so_many_seconds_with_rate_losses_and_time_left(make_experiment):
    clock, stream = Clock(), io.StringIO()
    lines = ProgressLines(every=30, label="seed 2", stream=stream, clock=clock)
    experiment = make_experiment(train__steps=1000)
    lines.on_experiment_start(step=200)  # a resumed run: the rate counts this stretch only
    for step, seconds in ((210, 10), (350, 31), (400, 40), (500, 62)):
        clock.now = 100 + seconds
        lines.on_step_end(experiment, step, {"d_loss": torch.tensor(1.25), "g_loss": torch.tensor(0.5)})
    assert stream.getvalue().splitlines() == [
        "ganframe: seed 2: step 350/1000 (35 %), 4.84 steps/s, 134 s left, d_loss 1.25, g_loss 0.5",
        "ganframe: seed 2: step 500/1000 (50 %), 4.84 steps/s, 103 s left, d_loss 1.25, g_loss 0.5",
    ]


def test_train_prints_progress_lines_when_stderr_is_not_a_terminal(cli, argv_for, tmp_path):
    argv = [arg for arg in argv_for(tmp_path / "run", steps=6) if arg != "--quiet"]
    result = cli(*argv, "--progress-every", "0.000001")
    assert result.code == 0, result.err
    progress = [line for line in result.err.splitlines() if "steps/s" in line]
    assert [line.split(" (")[0] for line in progress] == [f"ganframe: step {step}/6" for step in range(1, 7)]
    assert cli(*argv_for(tmp_path / "quiet", steps=6), "--progress-every", "0.000001").err == ""


def test_progress_every_must_be_a_number_of_seconds(cli):
    for value in ("-1", "nan", "inf", "soon"):
        result = cli("train", "toy", "--progress-every", value)
        assert result.code == 2 and "--progress-every" in result.err and len(result.err.splitlines()) == 1
