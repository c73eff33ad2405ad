"""How long the ``ganframe`` command takes to start and to finish, and its peak memory.

Each command runs in a fresh process, several times, interleaved with the references it is compared
with (these machines are shared and noisy: medians of interleaved runs are what count):

* ``ganframe --version``, ``--help``, ``list``, ``plugins``, ``show setup gaussian``, ``show
  generator mlp``: wall time against ``python -c pass`` (the interpreter alone); goal ≤ 0.5 s.
* ``ganframe train SETUP`` for the low-dimensional setups: the time from the start of the process
  to the first round, against ``python -c "import torch"`` (goal: at most 0.5 s more) and against
  a hand-written script's start (import torch, build two small networks and their Adam optimisers,
  which imports ``torch._dynamo``: PyTorch's own cost of its first optimiser); the time from the
  last round to the end of the process (evaluation, checkpoint, figures, report; goal ≤ 1 s); the
  training time; the peak resident memory of the process (goal for ``train even``: ≤ 400 MB), with
  ``import torch`` alone as its reference.

The process ends as the ``ganframe`` program does (``ganframe.cli.exit_promptly``: no interpreter
teardown, which takes about a second once PyTorch is loaded; ``--teardown`` measures with it). The
start and end of training are observed through ganframe's own lifecycle hooks
(``on_experiment_start``, ``on_train_end``) by a small plugin the child process registers with
``load_plugins(extra=...)``. Usage::

    .venv/bin/python benchmarks/startup.py [--repeats 5] [--setups gaussian,even,gaussian2d] [--out FILE.md]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _cli import cpu_model

COMMANDS = [
    ["--version"],
    ["--help"],
    ["list"],
    ["plugins"],
    ["show", "setup", "gaussian"],
    ["show", "generator", "mlp"],
]
SETUPS = ["gaussian", "even", "gaussian2d"]

# The child: wraps the CLI with a plugin that notes when training starts and ends (wall clock).
TRAIN_PROBE = r"""
import json, sys, time
started = time.time()
import ganframe.plugins as plugins
from ganframe import hookimpl

class Probe:
    marks = {}

    @hookimpl(tryfirst=True)
    def on_experiment_start(self, step):
        self.marks["first_round"] = time.time()

    @hookimpl(tryfirst=True)
    def on_train_end(self, step):
        self.marks["last_round"] = time.time()

probe = Probe()
load = plugins.load_plugins
plugins.load_plugins = lambda *a, **k: load(*a, extra=[*k.pop("extra", ()), probe], **k)
from ganframe.cli import exit_promptly, main
try:
    status = main(sys.argv[3:])
finally:
    probe.marks["interpreter_ready"] = started
    with open(sys.argv[1], "w") as f:
        json.dump(probe.marks, f)
if sys.argv[2] == "teardown":
    sys.exit(status)
exit_promptly(status)  # as the ganframe program ends
"""

# A hand-written script's start: PyTorch, two small networks, their optimisers (the first Adam
# imports torch._dynamo), one round; it prints when that round is done.
HANDWRITTEN_START = r"""
import time
import torch
from torch import nn
g = nn.Sequential(nn.Linear(1, 16), nn.ELU(), nn.Linear(16, 1))
d = nn.Sequential(nn.Linear(1, 32), nn.LeakyReLU(0.2), nn.Linear(32, 1))
og, od = torch.optim.Adam(g.parameters()), torch.optim.Adam(d.parameters())
od.zero_grad(); d(g(torch.randn(8, 1))).mean().backward(); od.step()
print(time.time())
"""


def run(argv: list[str], stdout: int = subprocess.DEVNULL) -> tuple[float, float]:
    """Run a process to the end; its wall seconds and its peak resident memory in MB."""
    started = time.perf_counter()
    process = subprocess.Popen(argv, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({process.returncode}): {stderr.strip()[-500:]}")
    return seconds, usage.ru_maxrss / 1024


def printed_time(argv: list[str]) -> tuple[float, float]:
    """Run a process that prints ``time.time()`` once: the seconds from its start to that moment,
    and its peak memory in MB (the interpreter's teardown after it is not counted)."""
    with tempfile.TemporaryFile() as printed:
        started = time.time()
        _, memory = run(argv, stdout=printed.fileno())
        printed.seek(0)
        return float(printed.read()) - started, memory


def ganframe(*args: str) -> list[str]:
    return [sys.executable, "-m", "ganframe", *args]


def median(values: list[float]) -> float:
    return statistics.median(values)


def commands_table(repeats: int) -> list[str]:
    """Wall time of the light commands, interleaved with the bare interpreter."""
    times: dict[str, list[float]] = {"python -c pass": []}
    for _ in range(repeats):
        times["python -c pass"].append(run([sys.executable, "-c", "pass"])[0])
        for command in COMMANDS:
            times.setdefault("ganframe " + " ".join(command), []).append(run(ganframe(*command))[0])
    rows = ["| command | median s (min–max) | goal |", "|---|---|---|"]
    for name, values in times.items():
        goal = "" if name.startswith("python") else ("met" if median(values) <= 0.5 else "**over 0.5 s**")
        rows.append(f"| `{name}` | {median(values):.2f} ({min(values):.2f}–{max(values):.2f}) | {goal} |")
    return rows


def train_table(setups: list[str], repeats: int, teardown: bool) -> list[str]:
    """Start, finish and memory of ``ganframe train SETUP``, interleaved with the references."""
    torch_only: list[float] = []
    torch_memory: list[float] = []
    handwritten: list[float] = []
    results: dict[str, dict[str, list[float]]] = {setup: {} for setup in setups}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(repeats):
            seconds, memory = printed_time([sys.executable, "-c", "import time, torch; print(time.time())"])
            torch_only.append(seconds)  # start → torch imported
            torch_memory.append(memory)
            handwritten.append(printed_time([sys.executable, "-c", HANDWRITTEN_START])[0])  # start → first round done
            for setup in setups:
                marks_file = Path(tmp) / f"{setup}-{repeat}.json"
                out = Path(tmp) / f"{setup}-{repeat}"
                started = time.time()
                wall, memory = run(
                    [
                        sys.executable,
                        "-c",
                        TRAIN_PROBE,
                        str(marks_file),
                        "teardown" if teardown else "prompt",
                        "train",
                        setup,
                        "--seed",
                        "0",
                        "--quiet",
                        "--out",
                        str(out),
                    ]
                )
                ended = started + wall
                marks = json.loads(marks_file.read_text())
                report = json.loads((out / "report.json").read_text())
                row = results[setup]
                row.setdefault("wall", []).append(wall)
                row.setdefault("before", []).append(marks["first_round"] - started)
                row.setdefault("training", []).append(report["seconds"])
                row.setdefault("after", []).append(ended - marks["last_round"])
                row.setdefault("memory", []).append(memory)
    t_torch, t_hand = median(torch_only), median(handwritten)
    rows = [
        f"`import torch`: {t_torch:.2f} s from the start of the process, peak {median(torch_memory):.0f} MB; a "
        f"hand-written script's start (torch, two small networks, their Adam optimisers, one round): {t_hand:.2f} s.",
        "",
        "| `ganframe train` | wall s | start → first round s | minus `import torch` (goal ≤ 0.5) | minus the hand-written start "
        "| training s | last round → exit s (goal ≤ 1) | peak memory MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for setup, row in results.items():
        before = median(row["before"])
        rows.append(
            f"| {setup} | {median(row['wall']):.2f} | {before:.2f} | {before - t_torch:+.2f} | "
            f"{before - t_hand:+.2f} | {median(row['training']):.2f} | {median(row['after']):.2f} | "
            f"{median(row['memory']):.0f} |"
        )
    return rows


def machine() -> str:
    import torch

    return (
        f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}, torch {torch.__version__}, "
        f"{time.strftime('%Y-%m-%d')}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--setups", default=",".join(SETUPS))
    parser.add_argument("--out", type=Path, help="also write the Markdown here")
    parser.add_argument(
        "--teardown", action="store_true", help="end the training processes with the interpreter's usual teardown"
    )
    args = parser.parse_args()
    lines = [
        f"Machine: {machine()}.",
        "",
        *commands_table(args.repeats),
        "",
        *train_table([s for s in args.setups.split(",") if s], args.repeats, args.teardown),
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
