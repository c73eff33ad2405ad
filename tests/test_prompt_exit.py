"""The ``ganframe`` program skips the interpreter's slow teardown once PyTorch is loaded
(``ganframe.cli.exit_promptly``), and loses nothing a normal exit would have kept."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PROGRAM = textwrap.dedent("""
    import atexit, sys, threading, time
    from pathlib import Path
    import torch
    from ganframe.cli import exit_promptly

    out = Path(sys.argv[1])
    left_open = open(out / "left-open.txt", "w")  # never closed: the teardown would have flushed it
    left_open.write("written but not flushed\\n")
    atexit.register(lambda: (out / "atexit.txt").write_text("ran"))

    def slow_writer():
        time.sleep(0.5)
        (out / "thread.txt").write_text("finished")

    threading.Thread(target=slow_writer).start()  # a non-daemon thread: waited for
    print("to stdout", end="")  # no newline: still in the buffer
    exit_promptly(7)
""")


def test_exit_promptly_keeps_files_threads_and_atexit_and_gives_the_status(tmp_path: Path):
    done = subprocess.run([sys.executable, "-c", PROGRAM, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 7, done.stderr
    assert done.stdout == "to stdout"
    assert (tmp_path / "left-open.txt").read_text() == "written but not flushed\n"
    assert (tmp_path / "atexit.txt").read_text() == "ran"
    assert (tmp_path / "thread.txt").read_text() == "finished"


def test_without_pytorch_it_is_the_usual_exit():
    code = "import sys; from ganframe.cli import exit_promptly; exit_promptly(4)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 4, done.stderr
    assert "torch" not in done.stderr


@pytest.mark.parametrize("command", [["-m", "ganframe"], []])
def test_the_program_trains_and_reports_through_it(tmp_path: Path, command: list[str]):
    program = command or [str(Path(sys.executable).with_name("ganframe"))]
    argv = [sys.executable, *command] if command else program
    out = tmp_path / "run"
    done = subprocess.run(
        [*argv, "train", "toy", "--steps", "20", "--quiet", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(out)  # --quiet prints the run directory only
    assert (out / "report.json").is_file() and (out / "report.html").is_file()
    assert (out / "metrics.jsonl").read_text().endswith("}\n")
