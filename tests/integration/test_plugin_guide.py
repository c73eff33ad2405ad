"""docs/writing-a-plugin.md, followed as written: its package is made from the page's own code blocks,
installed into a user's environment, and every command on the page runs and does what the page says."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "writing-a-plugin.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def sections(text: str) -> dict[str, str]:
    """'## 3. ...' heading → the section's text (the part before the first heading under "intro")."""
    parts = re.split(r"^## ", text, flags=re.MULTILINE)
    return {"intro": parts[0], **{part.split("\n", 1)[0]: part for part in parts[1:]}}


def blocks(text: str, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(text) if lang == language]


def commands(text: str) -> list[str]:
    """The shell commands of a section, in order: `$ ` lines of console blocks and bash blocks' lines."""
    found = []
    for lang, body in FENCE.findall(text):
        for line in body.splitlines():
            if lang == "console" and line.startswith("$ "):
                found.append(line[2:])
            elif lang == "bash" and line.strip():
                found.append(line.strip())
    return found


@pytest.fixture(scope="module")
def guide() -> dict[str, str]:
    return sections(GUIDE.read_text())


def section(guide: dict[str, str], number: int) -> str:
    (text,) = [text for title, text in guide.items() if title.startswith(f"{number}. ")]
    return text


@pytest.mark.slow  # about a minute: a pip install and a dozen fresh processes that import torch
def test_the_plugin_guide_runs_as_written(guide, tmp_path, user_environment):
    env = user_environment
    package = tmp_path / "ganframe-bimodal"
    (package / "tests").mkdir(parents=True)
    (package / "pyproject.toml").write_text(blocks(section(guide, 2), "toml")[0])
    (package / "ganframe_bimodal.py").write_text(blocks(section(guide, 3), "python")[0])
    (package / "tests" / "test_bimodal.py").write_text(blocks(section(guide, 8), "python")[0])

    # Section 7's second example is for before the package is installed: the module handed over by hand.
    before_install = blocks(section(guide, 7), "python")[1]
    env.run_in(package, "python", "-c", before_install)

    ran: dict[str, str] = {}  # command → its output
    last_default_run = None

    def run(command: str) -> str:
        nonlocal last_default_run
        if last_default_run is not None:
            command = re.sub(r"runs/bimodal-default-s0-\d{8}-\d{6}", str(last_default_run), command)
        words = shlex.split(command)
        if words[:2] == ["pip", "install"] and words[2] == "pytest":
            return ""  # the test environment has it
        if words[:2] == ["pip", "install"]:  # offline and with the setuptools this environment has
            output = env.run(
                "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", *words[2:]
            ).stdout
        elif words[0] == "ganframe":
            output = env.run("ganframe", *words[1:]).stdout
        elif words[:3] == ["python", "-m", "pytest"]:
            output = env.run("pytest", "-p", "no:cacheprovider", *words[3:]).stdout
        elif words[0] == "ls":
            output = "  ".join(sorted(p.name for p in (tmp_path / words[1]).iterdir())) + "\n"
        else:
            raise AssertionError(f"the guide runs a command this test does not know: {command}")
        match = re.search(r"^run directory: (runs/bimodal-default-s0-\S+)$", output, flags=re.MULTILINE)
        if match:
            last_default_run = match.group(1)
        ran[command] = output
        return output

    for command in commands(guide["intro"]):
        run(command)
    assert (tmp_path / "ganframe-my-gan" / "ganframe_my_gan" / "__init__.py").is_file()

    for number in (4, 5, 6):
        for command in commands(section(guide, number)):
            run(command)
    plugins = ran["ganframe plugins"]
    assert (
        "bimodal  [ganframe-bimodal 0.1.0]\n    data source: two-gaussians\n    loss: least-squares-targets\n"
        "    metric: balance\n    setup: bimodal\n"
    ) in plugins
    assert "CONFLICT" not in plugins and "BROKEN" not in plugins
    assert "bimodal  [bimodal]  learn an even mixture" in ran["ganframe list setups"]
    assert "real_target: float = 1.0" in ran["ganframe show loss least-squares-targets"]
    full = ran["ganframe train bimodal"]
    balance = float(re.search(r"balance: ([\d.]+)", full).group(1))
    assert 0.4 < balance < 0.6, full  # both modes, as the page says
    assert "wrote 5000 samples" in ran[next(c for c in ran if c.startswith("ganframe sample"))]

    for example in blocks(section(guide, 7), "python")[:1]:
        output = env.run_in(tmp_path, "python", "-c", example).stdout
        assert "'balance'" in output

    for command in commands(section(guide, 8)):
        run(command)
    assert " passed" in ran["python -m pytest -q ganframe-bimodal/tests"]

    # Sections 9 and 10 add code to the module, and a config file; then their commands run.
    module = package / "ganframe_bimodal.py"
    for number in (9, 10):
        module.write_text(module.read_text() + "\n\n" + blocks(section(guide, number), "python")[0])
    (tmp_path / "invertible.toml").write_text(blocks(section(guide, 10), "toml")[0])
    for number in (9, 10):
        for command in commands(section(guide, number)):
            run(command)
    assert "modes.png" in ran["ls runs/with-figure/plots"]
    invertible = ran["ganframe train --config invertible.toml"]
    assert "run directory: runs/bimodal-default-s0-" in invertible and "balance:" in invertible
