"""A bounded sample of the command-line fuzzer (tests/fuzz.py): no bug-shaped outcome allowed.

``make fuzz`` runs 1,200 cases; this runs 250 of the same generator (seed 0) with a 20 s hang limit,
in a subprocess: the fuzzer forks one process per case, which is only safe from a process that has
not run torch computations yet (this pytest process may have).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CASES = 250
SEED = 0
TIMEOUT = 20  # seconds before a case counts as a hang (make fuzz: 60)
#: Outcomes that are bugs; see the docstring of tests/fuzz.py ("rejected": a valid input refused).
BAD = ("exit-1", "traceback", "nonsense", "hang", "lost", "other", "rejected")


@pytest.fixture(scope="module")
def fuzz_results(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("fuzz") / "results.json"
    env = {k: v for k, v in os.environ.items() if k not in ("GANFRAME_TRACEBACK", "GANFRAME_DISABLE_PLUGINS")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.fuzz",
            "--cases",
            str(CASES),
            "--seed",
            str(SEED),
            "--timeout",
            str(TIMEOUT),
            "--no-where",
            "--json",
            str(out),
        ],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if not out.exists():
        pytest.fail(f"the fuzzer did not finish (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    rows = json.loads(out.read_text())
    # Preparing the run directories is part of the run: its failure shows as a non-zero exit with
    # every case that needs them skipped.
    if proc.returncode != 0 and not any(row["outcome"] in BAD for row in rows):
        pytest.fail(f"the fuzzer failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return rows


def _line(row: dict) -> str:
    argv = " ".join(shlex.quote(arg if len(arg) <= 60 else f"{arg[:40]}…({len(arg)} chars)") for arg in row["argv"])
    lines = [line for line in row["stderr"].splitlines() if line.strip()]
    first = next((line for line in lines if not line.startswith("ganframe: warning:")), lines[0] if lines else "")
    detail = first or row["detail"].strip().splitlines()[-1:] or [""]
    detail = detail if isinstance(detail, str) else detail[0]
    return f"  case {row['index']} [{row['class']}] ganframe {argv}\n      -> {detail[:200]}"


@pytest.mark.parametrize("outcome", BAD)
def test_no_bad_outcome(fuzz_results, outcome):
    failing = [row for row in fuzz_results if row["outcome"] == outcome]
    if failing:
        shown = "\n".join(_line(row) for row in failing[:25])
        more = f"\n  ... and {len(failing) - 25} more" if len(failing) > 25 else ""
        pytest.fail(
            f"{len(failing)} case(s) ended as {outcome!r} (reproduce one: python -m tests.fuzz --cases "
            f"{CASES} --seed {SEED} --only INDEX --no-fork):\n{shown}{more}",
            pytrace=False,
        )


def test_every_class_ran(fuzz_results):
    cases = [row for row in fuzz_results if row["class"] != "prep"]  # "prep": the run directories made first
    classes = Counter(row["class"] for row in cases)
    assert len(cases) == CASES
    assert set(classes) == {"cli-args", "config-file", "set-values", "run-dir-damage", "output-paths", "seeds"}
    skipped = [row for row in fuzz_results if row["outcome"] == "skipped"]
    if skipped:
        pytest.fail(f"{len(skipped)} cases skipped: a run directory could not be prepared", pytrace=False)
