"""Settings declared as data: each field has a type, a default and a description.

``setting()`` attaches the description; ``to_dict``/``from_dict`` turn the nested
dataclasses into JSON and back, checking every value's type so one bad value costs
that value only, never the whole file.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["FieldProblem", "describe", "from_dict", "setting", "to_dict"]

T = TypeVar("T")


def setting(default: Any = dataclasses.MISSING, *, doc: str,
            factory: Callable[[], Any] | None = None) -> Any:
    """Declare one setting with its description (what :func:`describe` lists for docs)."""
    if factory is not None:
        return dataclasses.field(default_factory=factory, metadata={"doc": doc})
    return dataclasses.field(default=default, metadata={"doc": doc})


@dataclasses.dataclass(frozen=True)
class FieldProblem:
    """A value in the file that could not be used; its default took its place."""

    path: str
    message: str


def to_dict(obj: Any) -> dict[str, Any]:
    return dataclasses.asdict(obj)


def from_dict(cls: type[T], data: Any, problems: list[FieldProblem], path: str = "") -> T:
    """Build ``cls`` from ``data``, replacing each ill-typed value by its default."""
    if not isinstance(data, dict):
        got = type(data).__name__
        problems.append(FieldProblem(path or "<root>", f"expected an object, got {got}"))
        return cls()
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.name not in data:
            continue
        where = f"{path}.{field.name}" if path else field.name
        value = _coerce(hints[field.name], data[field.name], problems, where)
        if value is not _INVALID:
            kwargs[field.name] = value
    return cls(**kwargs)


def describe(cls: type[Any], prefix: str = "") -> list[tuple[str, str, Any, str]]:
    """(dotted name, type, default, description) for every leaf setting."""
    rows: list[tuple[str, str, Any, str]] = []
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        name = f"{prefix}{field.name}"
        hint = hints[field.name]
        if dataclasses.is_dataclass(hint):
            rows.extend(describe(hint, f"{name}."))  # type: ignore[arg-type]
            continue
        factory = field.default_factory
        default = factory() if factory is not dataclasses.MISSING else field.default
        rows.append((name, _type_name(hint), default, field.metadata.get("doc", "")))
    return rows


_INVALID = object()


def _coerce(hint: Any, value: Any, problems: list[FieldProblem], where: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, problems, where)  # type: ignore[arg-type]
    if _matches(hint, value):
        if isinstance(value, int) and not isinstance(value, bool) and hint is float:
            return float(value)
        return value
    problems.append(FieldProblem(where, f"expected {_type_name(hint)}, got {value!r}"))
    return _INVALID


def _matches(hint: Any, value: Any) -> bool:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(arg, value) for arg in args)
    if hint is type(None):
        return value is None
    if hint is typing.Any:
        return True
    if origin is typing.Literal:
        return value in args
    if origin is list:
        return isinstance(value, list) and all(_matches(args[0], item) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            _matches(args[0], k) and _matches(args[1], v) for k, v in value.items()
        )
    if hint is bool:
        return isinstance(value, bool)
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _type_name(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")
