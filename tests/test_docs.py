"""The documentation keeps up with the code: every hook is documented."""

from __future__ import annotations

import re
from pathlib import Path

from ganframe import hookspecs

DOCS = Path(__file__).resolve().parent.parent / "docs"


def hook_names() -> list[str]:
    return sorted(
        name for name, value in vars(hookspecs).items() if callable(value) and hasattr(value, "ganframe_spec")
    )


def test_every_hook_has_a_section_in_the_hook_reference():
    text = (DOCS / "hooks.md").read_text()
    documented = set(re.findall(r"^###\s+`?(\w+)`?", text, flags=re.MULTILINE))
    missing = [name for name in hook_names() if name not in documented]
    assert not missing, f"docs/hooks.md has no '### name' section for: {', '.join(missing)}"


def test_hook_reference_documents_no_hook_that_does_not_exist():
    text = (DOCS / "hooks.md").read_text()
    documented = set(re.findall(r"^###\s+`?((?:register|on)_\w+)`?", text, flags=re.MULTILINE))
    assert documented <= set(hook_names()), f"unknown hooks documented: {documented - set(hook_names())}"


def test_the_hook_list_is_not_empty():
    assert {"register_generators", "register_setups", "on_step_end", "on_exception"} <= set(hook_names())
