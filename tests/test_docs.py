"""The documentation keeps up with the code: every hook is documented with its signature, every
public Protocol with its members, and every bundled component by name.

The expected text is derived from the code (``inspect.signature`` of the hook specifications and of
each Protocol's members), so a changed hook or interface fails here until docs/hooks.md follows.
"""

from __future__ import annotations

import difflib
import inspect
import re
from pathlib import Path

import pluggy

import ganframe
from ganframe import components, hookspecs
from ganframe.components import Register, is_protocol, protocol_members
from ganframe.registry import KIND_HOOKS

DOCS = Path(__file__).resolve().parent.parent / "docs"
HOOKS_MD = DOCS / "hooks.md"


def hook_names() -> list[str]:
    return sorted(
        name for name, value in vars(hookspecs).items() if callable(value) and hasattr(value, "ganframe_spec")
    )


# -- the expected text, from the code ---------------------------------------------------------------
class Written:
    """An annotation or default as the source writes it: ``repr`` gives the text itself, so that
    ``str(signature)`` reads ``register: RegisterNoise`` rather than ``register: 'RegisterNoise'``."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _annotation(value: object) -> object:
    """An annotation as written: a string under ``from __future__ import annotations``, unquoted."""
    return Written(value) if isinstance(value, str) else value


def _default(value: object) -> object:
    """A default as the docs write it: a string in double quotes (``description: str = ""``)."""
    return Written(f'"{value}"') if isinstance(value, str) else value


def signature_text(function) -> str:
    """``(register: RegisterNoise) -> None``: ``function``'s signature as its source declares it."""
    signature = inspect.signature(function)
    parameters = [
        parameter.replace(annotation=_annotation(parameter.annotation), default=_default(parameter.default))
        for parameter in signature.parameters.values()
    ]
    return str(signature.replace(parameters=parameters, return_annotation=_annotation(signature.return_annotation)))


def hook_lines(name: str) -> list[str]:
    """The lines docs/hooks.md shows for hook ``name``: its ``@hookspec`` marker and its ``def``."""
    hook = getattr(hookspecs, name)
    options = [f"{option}=True" for option in ("firstresult", "historic") if hook.ganframe_spec.get(option)]
    marker = f"@hookspec({', '.join(options)})" if options else "@hookspec"
    return [marker, f"def {name}{signature_text(hook)}"]


def public_protocols() -> dict[str, type]:
    """Every Protocol of ganframe.components, and any other one the ``ganframe`` package exports."""
    found = {name: value for name, value in vars(components).items() if is_protocol(value) and not name.startswith("_")}
    exported = {name: getattr(ganframe, name) for name in ganframe.__all__}
    return found | {name: value for name, value in exported.items() if is_protocol(value)}


def member_lines(protocol: type, name: str) -> list[str]:
    """One member of ``protocol`` as docs/hooks.md writes it in the Protocol's block."""
    value = inspect.getattr_static(protocol, name, None)
    if isinstance(value, property):
        return ["    @property", f"    def {name}{signature_text(value.fget)}"]
    if callable(value):
        return [f"    def {name}{signature_text(value)}"]
    return [f"    {name}: {inspect.get_annotations(protocol)[name]}"]


def protocol_lines(name: str, protocol: type) -> list[str]:
    """The block docs/hooks.md shows for ``protocol``: decorator, ``class`` line and members."""
    parameters = ", ".join(parameter.__name__ for parameter in protocol.__parameters__)
    lines = ["@runtime_checkable"] if getattr(protocol, "_is_runtime_protocol", False) else []
    lines.append(f"class {name}(Protocol{f'[{parameters}]' if parameters else ''}):")
    return lines + [line for member in protocol_members(protocol) for line in member_lines(protocol, member)]


def register_aliases() -> dict[str, str]:
    """``RegisterNoise`` → ``RegisterNoise = Register[Noise]``: each hook family's ``register`` type."""
    aliases = {}
    for name, value in vars(components).items():
        if getattr(value, "__origin__", None) is Register:
            (made,) = value.__args__
            written = getattr(made, "__forward_arg__", None) or made.__name__
            aliases[name] = f"{name} = Register[{written}]"
    return aliases


# -- what docs/hooks.md says ----------------------------------------------------------------------
def sections(text: str) -> dict[str, str]:
    """``## name`` and ``### name`` headings → the text up to the next such heading (a ``#`` line is
    a comment in the code blocks, and the page has one ``#`` heading, its title)."""
    parts = re.split(r"^(#{2,3} .*)$", text, flags=re.MULTILINE)
    return {re.sub(r"^#+\s+`?(\w+).*$", r"\1", heading): body for heading, body in zip(parts[1::2], parts[2::2])}


def code_blocks(text: str) -> list[list[str]]:
    """The lines of every fenced ``python`` block, end-of-line comments and blank lines removed."""
    blocks = re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)
    return [
        [line for line in (re.sub(r"\s+#.*$", "", raw).rstrip() for raw in block.splitlines()) if line]
        for block in blocks
    ]


def documented_block(blocks: list[list[str]], starts: str) -> list[str] | None:
    """The lines that declare ``starts`` (``class Noise(``) in a code block: from its decorator up to
    the next line at the block's top level (the next declaration)."""
    for block in blocks:
        for index, line in enumerate(block):
            if line.startswith(starts):
                first = index - 1 if index and block[index - 1].startswith("@") else index
                end = next(
                    (i for i in range(index + 1, len(block)) if not block[i].startswith(" ")),
                    len(block),
                )
                return block[first:end]
    return None


def drift(what: str, documented: list[str] | None, expected: list[str]) -> str | None:
    """One failure line (and a diff) when docs/hooks.md shows ``documented`` where the code has ``expected``."""
    if documented is None:
        return f"{what}: not shown in docs/hooks.md; add a python block with:\n    " + "\n    ".join(expected)
    if documented == expected:
        return None
    diff = difflib.unified_diff(documented, expected, "docs/hooks.md", "the code", lineterm="", n=0)
    return f"{what} differs:\n    " + "\n    ".join(list(diff)[2:])


# -- the tests ------------------------------------------------------------------------------------
def test_every_hook_has_a_section_in_the_hook_reference():
    documented = set(sections(HOOKS_MD.read_text()))
    missing = [name for name in hook_names() if name not in documented]
    assert not missing, f"docs/hooks.md has no '### name' section for: {', '.join(missing)}"


def test_hook_reference_documents_no_hook_that_does_not_exist():
    text = HOOKS_MD.read_text()
    documented = set(re.findall(r"^###\s+`?((?:register|on)_\w+)`?", text, flags=re.MULTILINE))
    assert documented <= set(hook_names()), f"unknown hooks documented: {documented - set(hook_names())}"


def test_the_hooks_checked_here_are_the_hooks_pluggy_sees():
    """What ``hook_names`` finds is what a plugin manager registers, and every registration hook
    fills a kind: a hook the other tests here would silently skip fails this one."""
    manager = pluggy.PluginManager("ganframe")
    manager.add_hookspecs(hookspecs)
    assert hook_names() == sorted(vars(manager.hook))
    assert {name for name in hook_names() if name.startswith("register_")} == set(KIND_HOOKS.values())


def test_each_hook_section_shows_the_hook_signature():
    by_section = sections(HOOKS_MD.read_text())
    failures = []
    for name in hook_names():
        expected = hook_lines(name)
        blocks = code_blocks(by_section.get(name, ""))
        documented = next((block[:2] for block in blocks if block[:1] and block[0].startswith("@hookspec")), None)
        failures.append(drift(f"hook {name}", documented, expected))
    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_each_public_protocol_is_shown_with_its_members():
    blocks = code_blocks(HOOKS_MD.read_text())
    failures = [
        drift(f"Protocol {name}", documented_block(blocks, f"class {name}("), protocol_lines(name, protocol))
        for name, protocol in sorted(public_protocols().items())
    ]
    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_each_register_alias_is_shown_with_what_its_factories_return():
    lines = {line for block in code_blocks(HOOKS_MD.read_text()) for line in block}
    expected = register_aliases()
    assert {"RegisterNoise", "RegisterLoss", "RegisterStrategy", "RegisterMetric"} <= set(expected)
    missing = [line for line in expected.values() if line not in lines]
    assert not missing, "docs/hooks.md does not show: " + "; ".join(missing)


def test_each_registration_hook_takes_a_documented_register_type():
    """Every ``register_*`` hook's ``register`` is typed with one of the aliases or ``RegisterSetup``."""
    known = set(register_aliases()) | {"RegisterSetup"}
    untyped = [
        f"{name}: {annotation}"
        for name in hook_names()
        if name.startswith("register_")
        and (annotation := inspect.signature(getattr(hookspecs, name)).parameters["register"].annotation) not in known
    ]
    assert not untyped, f"registration hooks without a register type of ganframe.components: {', '.join(untyped)}"
