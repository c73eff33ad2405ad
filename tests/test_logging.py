"""What reaches the terminal: nothing from the library unless asked; the CLI's -v/--verbose log
lines; warnings always; and a progress bar with the losses and the latest metric."""

from __future__ import annotations

import io
import logging

from ganframe.progress import ProgressBar


def test_the_library_prints_nothing(make_experiment, tmp_path, capsys):
    experiment = make_experiment()
    experiment.fit(tmp_path / "run")
    experiment.sample(10)
    experiment.evaluate()
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_logs_what_train_does(cli, argv_for, tmp_path):
    quiet = cli(*argv_for(tmp_path / "a"))
    assert quiet.code == 0 and quiet.err == ""
    for flags in (["-v"], ["--verbose"]):
        result = cli(*flags, *argv_for(tmp_path / f"b{len(flags[0])}"))
        assert result.code == 0
        lines = result.err.splitlines()
        assert any(line.startswith("ganframe: training toy from step 0 to 6 on cpu") for line in lines), lines
        assert any(line.startswith("ganframe: checkpoint written at step 6") for line in lines)
        assert any(line.startswith("ganframe: figures written to") for line in lines)
        assert any(line.startswith("ganframe: report written to") for line in lines)
    after = cli(*argv_for(tmp_path / "c"), "--verbose")  # after the command works too
    assert "ganframe: checkpoint written" in after.err


def test_warnings_reach_the_terminal_without_verbose(cli, argv_for, tmp_path, monkeypatch):
    from ganframe.plots import training

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(training, "draw_losses", broken)
    result = cli(*argv_for(tmp_path / "run"))
    assert result.code == 0
    assert result.err.splitlines() == ["ganframe: warning: figure 'losses' not drawn: OSError: disk full"]


def test_the_cli_leaves_logging_as_it_found_it(cli, argv_for, tmp_path):
    logger = logging.getLogger("ganframe")
    before = (logger.level, list(logger.handlers))
    assert cli("-v", *argv_for(tmp_path / "a")).code == 0
    assert (logger.level, list(logger.handlers)) == before


def test_progress_bar_shows_losses_and_the_latest_metric(make_experiment):
    stream = io.StringIO()
    bar = ProgressBar(label="seed 7", file=stream, mininterval=0)
    make_experiment(callbacks=[bar], train__steps=6, train__eval_every=4).fit()
    text = stream.getvalue()
    assert "6/6" in text and "seed 7" in text
    assert "d_loss=" in text and "g_loss=" in text
    assert "mean " in text  # the first metric's latest value, after the evaluation at step 4


def test_log_records_are_written_above_the_progress_bar_not_into_it(make_experiment, capsys):
    import sys

    from ganframe import hookimpl

    class WarnAt:
        @hookimpl
        def on_step_end(self, step):
            if step == 3:
                logging.getLogger("ganframe.test").warning("halfway")

    logger = logging.getLogger("ganframe")
    console = logging.StreamHandler(sys.stderr)
    console.setFormatter(logging.Formatter("ganframe: %(message)s"))
    level, handlers = logger.level, list(logger.handlers)
    logger.setLevel(logging.WARNING)
    logger.addHandler(console)
    try:
        bar = ProgressBar(file=sys.stderr, mininterval=0)
        make_experiment(callbacks=[bar, WarnAt()], train__steps=6).fit()
    finally:
        logger.removeHandler(console)
        logger.setLevel(level)
    assert list(logger.handlers) == handlers  # the bar gave the console handler back
    text = capsys.readouterr().err
    assert "6/6" in text
    # the bar is cleared (a carriage return) before the record, which takes a line of its own
    assert "\rganframe: halfway\n" in text, repr(text)
