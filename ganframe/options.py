"""What a component's options are: name, type, default and description of each field of its config class.

``ganframe show`` prints this; a notebook or a documentation generator can use it too::

    from ganframe.options import describe_options
    from ganframe.builtin.networks import MLPGeneratorConfig

    for option in describe_options(MLPGeneratorConfig):
        print(option.name, option.type, option.default, option.description)

A field's description is ``attrs.field(metadata={"help": "..."})`` when given, else the ``#``
comments next to the field in the class's source: the comment lines directly above it (up to a
blank line or another statement) and a comment at the end of its line, as ganframe's own configs
are written. A class without available source (made with ``attrs.make_class``, typed into a
REPL) simply has no descriptions.
"""

from __future__ import annotations

import inspect
import io
import math
import textwrap
import tokenize
import types
import typing
from collections.abc import Mapping
from typing import Any

import attrs
import tomli_w

#: The ``metadata`` key of an ``attrs.field`` whose value describes the field.
HELP = "help"
#: What ``Option.default`` says for a field the user must give.
REQUIRED = "(required)"


@attrs.frozen
class Option:
    """One option of a component, ready to print: every value is a readable string."""

    name: str
    type: str  # "int", "list of int", "str or list of str", "float or None", ...
    default: str  # as TOML writes it ('[64, 64]', '"leaky-relu"', 'true'), 'None', or REQUIRED
    description: str = ""
    constraint: str = ""  # what a validator allows, when it can be read: "> 0", 'one of "a", "b"'

    @property
    def required(self) -> bool:
        return self.default == REQUIRED


def describe_options(config_class: type | None) -> list[Option]:
    """The options of an attrs config class, in field order; ``[]`` for None (no options).

    Fields that are not set through ``__init__`` (``init=False``) are not options and are left out.
    """
    if config_class is None:
        return []
    hints = _type_hints(config_class)
    comments = field_comments(config_class)
    options = []
    for field in attrs.fields(config_class):
        if not field.init:
            continue
        help_text = field.metadata.get(HELP) if isinstance(field.metadata, Mapping) else None
        description = str(help_text).strip() if help_text else comments.get(field.name, "")
        options.append(
            Option(
                name=field.name,
                type=format_type(hints.get(field.name, field.type)),
                default=_format_default(field),
                description=description,
                constraint=describe_validator(field.validator),
            )
        )
    return options


# -- types ----------------------------------------------------------------------------------------
def _type_hints(cls: type) -> dict[str, Any]:
    """Resolved annotations (``from __future__ import annotations`` leaves strings); {} when a name
    in them cannot be resolved, in which case the fields' own types (maybe strings) are shown."""
    try:
        return typing.get_type_hints(cls)
    except Exception:
        return {}


_SCALARS = {int: "int", float: "float", str: "str", bool: "bool", type(None): "None"}


def format_type(annotation: Any) -> str:
    """A type as a user writing TOML thinks of it: ``tuple[int, ...]`` is "list of int",
    ``str | tuple[str, ...]`` is "str or list of str", ``float | None`` is "float or None"."""
    if annotation is None:
        return "any"
    if isinstance(annotation, str):  # an annotation that could not be resolved: show it as written
        return annotation
    if isinstance(annotation, type) and annotation in _SCALARS:
        return _SCALARS[annotation]
    if annotation is Any:
        return "any"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        parts = [format_type(arg) for arg in args if arg is not type(None)]
        if type(None) in args:
            parts.append("None")
        return " or ".join(parts)
    if origin is typing.Literal:
        return "one of " + ", ".join(format_value(arg) for arg in args)
    if origin in (tuple, list, set, frozenset) or annotation in (tuple, list):
        if not args:
            return "list"
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            if len(set(args)) == 1:  # tuple[float, float]
                return f"list of {len(args)} {format_type(args[0])}"
            return "list of [" + ", ".join(format_type(arg) for arg in args) + "]"
        return f"list of {_grouped(format_type(args[0]))}"
    if origin in (dict, Mapping) or annotation in (dict, Mapping):
        return "table"
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def _grouped(text: str) -> str:
    """'list of (int or str)': an item type with ' or ' in it is bracketed so that it reads unambiguously."""
    return f"({text})" if " or " in text else text


# -- defaults -------------------------------------------------------------------------------------
def _format_default(field: attrs.Attribute) -> str:
    default = field.default
    if default is attrs.NOTHING:
        return REQUIRED
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        factory: Any = default
        if factory.takes_self:
            return "(computed)"
        try:
            default = factory.factory()
        except Exception:
            return "(computed)"
    return format_value(default)


def format_value(value: Any) -> str:
    """``value`` as TOML writes it on one line (``[64, 64]``, ``"leaky-relu"``, ``true``,
    ``0.0002``); ``None``, which TOML cannot write, as ``None``; anything else as its ``repr``."""
    if value is None:
        return "None"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(format_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = ", ".join(f"{_key(str(key))} = {format_value(item)}" for key, item in value.items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    try:
        text = tomli_w.dumps({"x": value}).partition("=")[2].strip()
    except Exception:  # not a TOML value (an object, a path...)
        return repr(value)
    return text if text and "\n" not in text else repr(value)


def _key(key: str) -> str:
    return key if key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key) else format_value(key)


# -- validators -----------------------------------------------------------------------------------
def describe_validator(validator: Any) -> str:
    """What a field's validator allows, when it can be read (attrs' ``in_``, ``gt``, ``ge``,
    ``lt``, ``le``, ``and_``, ``optional``; ganframe's ``positive``, ``non_negative``, ``one_of``,
    ``at_most``, ``below`` and ``count_up_to``, which are attrs' own in ganframe's wording
    (``ganframe.config.Worded``); ``layer_sizes`` and any validator marked with
    ``ganframe.config.constraint``); "" for other validators that are plain functions of their own."""
    from . import config

    if validator is None:
        return ""
    text = getattr(validator, "constraint", None)  # ganframe.config.constraint, layer_sizes...
    if isinstance(text, str):
        return text
    if isinstance(validator, config.Worded):  # positive, non_negative, one_of, at_most, below: attrs' own inside
        return describe_validator(validator.validator)
    if isinstance(validator, (list, tuple)):
        return _joined(validator)
    inner = getattr(validator, "_validators", None)  # attrs.validators.and_ (and a list of validators)
    if isinstance(inner, (list, tuple)):
        return _joined(inner)
    if type(validator).__name__ == "_OptionalValidator":
        wrapped = describe_validator(getattr(validator, "validator", None))
        return f"{wrapped}, or None" if wrapped else ""
    if type(validator).__name__ == "_InValidator":
        options = getattr(validator, "_original_options", None) or getattr(validator, "options", None)
        return _one_of(options) if options is not None else ""
    op, bound = getattr(validator, "compare_op", None), getattr(validator, "bound", None)
    if op in ("<", "<=", ">=", ">") and bound is not None:  # attrs.validators.gt, ge, lt, le
        return f"{op} {format_value(bound)}"
    return ""


def _joined(validators: Any) -> str:
    return ", ".join(text for text in (describe_validator(item) for item in validators) if text)


def _one_of(choices: Any) -> str:
    try:
        return "one of " + ", ".join(format_value(choice) for choice in choices)
    except TypeError:  # a container that cannot be listed
        return ""


# -- descriptions from comments ---------------------------------------------------------------------
def field_comments(cls: type) -> dict[str, str]:
    """Field name → the ``#`` comments next to that field in the source of ``cls`` (or of the attrs
    base class that defines it); {} when no source is available."""
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):  # a subclass's comments win over its base's
        if klass is object or not attrs.has(klass):
            continue
        own = {a.name for a in klass.__dict__.get("__attrs_attrs__", ()) if not a.inherited}
        comments = _class_comments(klass) if own else None
        # The source found by name may be another class's of the same name in that module (this one
        # made at run time): only trust it when it defines every field this class defines.
        if comments is not None and own <= comments.statements:
            found.update({name: text for name, text in comments.described.items() if name in own})
    return found


@attrs.frozen
class _Comments:
    statements: frozenset[str]  # names assigned or annotated directly in the class body
    described: dict[str, str]  # those of them with comments


def _class_comments(cls: type) -> _Comments | None:
    try:
        source = textwrap.dedent(inspect.getsource(cls))
    except (OSError, TypeError, IndentationError):
        return None
    try:
        return _scan(source)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return None


def _scan(source: str) -> _Comments:
    """Read the class body's statements with ``tokenize``: a ``#`` inside a string is not a comment.

    Comment lines gather until a statement starts; a blank line or any statement between them and
    a field drops them. Comments on the lines of a field's own statement (its trailing comment) are
    added after them.
    """
    depth = 0  # indentation level: 0 for the class statement, 1 for its body
    pending: list[str] = []  # comment lines just above the next statement
    statement: str | None = None  # the name the current statement of the body defines, if any
    in_statement = False
    trailing: list[str] = []
    above: list[str] = []
    statements: set[str] = set()
    described: dict[str, str] = {}
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == tokenize.INDENT:
            depth += 1
        elif kind == tokenize.DEDENT:
            depth -= 1
        elif kind == tokenize.COMMENT:
            text = token.string.lstrip("#").strip()
            if in_statement:
                if statement is not None and text:
                    trailing.append(text)
            else:
                pending.append(text)
        elif kind == tokenize.NL:
            if not in_statement and not token.line.strip():
                pending = []  # a blank line separates comments from what follows
        elif kind in (tokenize.NEWLINE, tokenize.ENDMARKER):
            if statement is not None:
                statements.add(statement)
                text = " ".join(part for part in (*above, *trailing) if part)
                if text:
                    described[statement] = text
            in_statement, statement, trailing, above = False, None, [], []
        elif not in_statement:  # the first token of a statement
            in_statement = True
            following = tokens[index + 1] if index + 1 < len(tokens) else None
            if (
                depth == 1
                and kind == tokenize.NAME
                and following is not None
                and following.type == tokenize.OP
                and following.string in (":", "=")
            ):
                statement, above = token.string, pending
            pending = []
    return _Comments(frozenset(statements), described)
