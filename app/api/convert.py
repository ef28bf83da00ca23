"""Type-driven conversion between frozen dataclasses and JSON-friendly values.

The console API's messages declare their field types; this module turns a message into
plain JSON values and back, checking every field against its declared type so that a
malformed message becomes one clear ``ValueError`` (the caller wraps it) instead of a
half-built object. Supported: str, int, float, bool, None, Enum, aware datetime
(ISO 8601), ``tuple[X, ...]``, ``dict[str, X]``, ``X | None``, ``Any`` (any JSON value)
and nested frozen dataclasses.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

Converter = Callable[[Any, str], Any]


@cache
def field_types(cls: type) -> tuple[tuple[str, Any], ...]:
    """Resolved (name, type) pairs of a dataclass, cached per class."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))


# ---------------------------------------------------------------- to JSON


def to_json(value: Any) -> Any:
    """Plain JSON value (dict/list/str/number/bool/None) for ``value``."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in a console-API message (use UTC-aware)")
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: to_json(getattr(value, name)) for name, _ in field_types(type(value))}
    if isinstance(value, tuple | list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    raise ValueError(f"cannot encode {type(value).__name__}")


# ---------------------------------------------------------------- from JSON


def from_json(tp: Any, raw: Any, where: str) -> Any:
    """Value of declared type ``tp`` from the JSON value ``raw``; ValueError names ``where``."""
    return _converter(tp)(raw, where)


def dataclass_from_json(cls: type, raw: Any, where: str) -> Any:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: expected an object")
    types_by_name = dict(field_types(cls))
    unknown = set(raw) - set(types_by_name)
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    kwargs = {name: from_json(types_by_name[name], value, f"{where}.{name}")
              for name, value in raw.items()}
    try:
        return cls(**kwargs)
    except TypeError as exc:
        missing = [
            f.name for f in dataclasses.fields(cls)
            if f.name not in kwargs and f.default is dataclasses.MISSING
            and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise ValueError(f"{where}: missing field(s) {', '.join(missing)}") from None
        raise ValueError(f"{where}: {exc}") from None


@cache
def _converter(tp: Any) -> Converter:
    if tp is Any:
        return _any
    if tp is type(None):
        return _none
    if tp is bool:
        return _bool
    if tp is int:
        return _int
    if tp is float:
        return _float
    if tp is str:
        return _str
    if tp is datetime:
        return _datetime
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _enum(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return lambda raw, where: dataclass_from_json(tp, raw, where)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return _union(args)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _tuple(args[0])
    if origin is dict and args and args[0] is str:
        return _dict(args[1])
    raise TypeError(f"unsupported field type {tp!r}")


def _any(raw: Any, where: str) -> Any:
    return raw


def _none(raw: Any, where: str) -> None:
    if raw is not None:
        raise ValueError(f"{where}: expected null")
    return None


def _bool(raw: Any, where: str) -> bool:
    if not isinstance(raw, bool):
        raise ValueError(f"{where}: expected true or false")
    return raw


def _int(raw: Any, where: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValueError(f"{where}: expected an integer")
    return raw


def _float(raw: Any, where: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"{where}: expected a number")
    value = float(raw)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{where}: expected a finite number")
    return value


def _str(raw: Any, where: str) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"{where}: expected a string")
    return raw


def _datetime(raw: Any, where: str) -> datetime:
    if not isinstance(raw, str):
        raise ValueError(f"{where}: expected an ISO 8601 time")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{where}: {raw[:40]!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise ValueError(f"{where}: time without a UTC offset")
    return value


def _enum(tp: type[enum.Enum]) -> Converter:
    def convert(raw: Any, where: str) -> enum.Enum:
        try:
            return tp(raw)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in tp)
            raise ValueError(f"{where}: {str(raw)[:40]!r} is not one of {allowed}") from None
    return convert


def _union(args: tuple[Any, ...]) -> Converter:
    optional = type(None) in args
    rest = [a for a in args if a is not type(None)]
    converters = [_converter(a) for a in rest]

    def convert(raw: Any, where: str) -> Any:
        if raw is None and optional:
            return None
        errors = []
        for conv in converters:
            try:
                return conv(raw, where)
            except ValueError as exc:
                errors.append(str(exc))
        raise ValueError(errors[0] if len(errors) == 1 else f"{where}: unexpected value")
    return convert


def _tuple(item: Any) -> Converter:
    conv = _converter(item)

    def convert(raw: Any, where: str) -> tuple[Any, ...]:
        if not isinstance(raw, list):
            raise ValueError(f"{where}: expected a list")
        return tuple(conv(v, f"{where}[{i}]") for i, v in enumerate(raw))
    return convert


def _dict(value_type: Any) -> Converter:
    conv = _converter(value_type)

    def convert(raw: Any, where: str) -> dict[str, Any]:
        if not isinstance(raw, dict):
            raise ValueError(f"{where}: expected an object")
        return {str(k): conv(v, f"{where}.{k}") for k, v in raw.items()}
    return convert
