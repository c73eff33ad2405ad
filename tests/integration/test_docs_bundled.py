"""The documentation names what the bundled plugins add."""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_hook_reference_names_every_bundled_component_of_the_kinds_it_lists():
    """Each kind's section says what is built in and which bundled plugin adds what."""
    from ganframe.testing import fresh_plugins

    text = (DOCS / "hooks.md").read_text()
    registry = fresh_plugins().registry
    missing = [
        f"{kind} {name}"
        for kind in ("networks", "network-extras", "losses", "strategies", "noise", "optimizers")
        for name in registry.names(kind)
        if f"`{name}`" not in text
    ]
    assert not missing, f"docs/hooks.md does not mention: {', '.join(missing)}"
