"""Plain options read without Pydantic.

typer (0.26 and later) turns every option's text into its value through a Pydantic
TypeAdapter built on first use: building them took about 0.05 s of `bontot status`'s
0.4 s (bench/RESULTS.md). Most of our options are plain text, a flag or a whole number
with no bounds; for those a parameter gets a small reader of its own here. Anything else
(bounds, choices, files, lists, custom parsers) keeps typer's own.

Older typers, which read options with click's types, have no such adapters: nothing is
changed there.
"""

from __future__ import annotations

from typing import Any

#: the parameter_info fields that ask typer for more than reading the text
_NEEDS_TYPER = ("min", "max", "parser", "click_type", "formats")


class PlainValue:
    """Reads one option's text as `kind` (str, int or float), as typer's adapter would;
    a bad number says "integer" or "number", the words the usage message looks for. A flag
    (bool) passes a bool or nothing through; any other value of it goes to typer's own."""

    def __init__(self, kind: type, descriptor: Any) -> None:
        self.kind = kind
        self.descriptor = descriptor

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        if value is None or type(value) is self.kind:
            return value
        if self.kind is bool:
            from typer._coercion import build_runtime_param

            return build_runtime_param(self.descriptor).coerce(value, param=param, ctx=ctx)
        if self.kind is str:
            return str(value)
        try:
            return self.kind(str(value).strip())
        except ValueError:
            from typer import BadParameter

            word = "integer" if self.kind is int else "number"
            raise BadParameter(f"{value!r} is not a valid {word}", ctx=ctx, param=param) from None


def _plain(param: Any) -> type | None:
    descriptor = getattr(param, "type_descriptor", None)
    if descriptor is None or getattr(param, "_runtime_param", False) is not None:
        return None
    if param.multiple or param.nargs != 1 or descriptor.file_annotation is not None:
        return None
    info = descriptor.parameter_info
    if any(getattr(info, field, None) for field in _NEEDS_TYPER) or getattr(info, "count", False):
        return None
    kind = descriptor.annotation
    return kind if kind in (str, int, float, bool) else None


class _HelpNames:
    """What `get_help_option` reads of a context: the names `--help` goes by."""

    def __init__(self, command: Any) -> None:
        settings = getattr(command, "context_settings", None) or {}
        self.help_option_names: list[str] = settings.get("help_option_names", ["--help"])


def read_plainly(command: Any) -> Any:
    """Give `command`'s plain options (and its subcommands', all the way down) the small
    reader; `command` itself, for chaining."""
    params = list(getattr(command, "params", ()))
    if hasattr(command, "_help_option"):  # made on first use, then kept: make it now
        help_option = command.get_help_option(_HelpNames(command))
        params += [help_option] if help_option is not None else []
    for param in params:
        kind = _plain(param)
        if kind is not None:
            param._runtime_param = PlainValue(kind, param.type_descriptor)
    for sub in (getattr(command, "commands", None) or {}).values():
        read_plainly(sub)
    return command
