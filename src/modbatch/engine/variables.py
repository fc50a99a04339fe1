"""Typed variable values: Camunda's ``{value, type, valueInfo}`` in and out, and their columns.

A value is kept as (type, python value, valueInfo). Storage spreads it over text, long and double
columns so that queries compare numbers as numbers and dates as epoch milliseconds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from modbatch.engine import clock
from modbatch.errors import InvalidRequest

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1
SHORT_MIN, SHORT_MAX = -(2**15), 2**15 - 1
TYPES = ("String", "Boolean", "Integer", "Long", "Short", "Double", "Date", "Json", "Null")


def _up_to(bound: int) -> str:
    """A regex for the decimal numerals 0..bound (after any leading zeros)."""
    digits = str(bound)
    choices = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for index, digit in enumerate(digits):
        if digit != "0":
            rest = len(digits) - index - 1
            below = "0" if digit == "1" else f"[0-{int(digit) - 1}]"
            tail = "" if not rest else "[0-9]" if rest == 1 else f"[0-9]{{{rest}}}"
            choices.append(digits[:index] + below + tail)
    return "(?:" + "|".join(choices + [digits]) + ")"


def _range_text(low: int, high: int) -> str:
    return rf"^(?:\+?0*{_up_to(high)}|-0*{_up_to(-low)})$"


# The strings each type converts, as openapi.yaml states them (VariableValueInputDto's `anyOf`);
# matched with re.search like a JSON Schema `pattern`, so a trailing newline passes `$` here as it
# does there (int, float and the date parser ignore it, as Camunda's Jackson trims)
TEXT_PATTERNS = {
    "Boolean": "^(?:[Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$",
    "Integer": _range_text(INT_MIN, INT_MAX),
    "Long": _range_text(LONG_MIN, LONG_MAX),
    "Short": _range_text(SHORT_MIN, SHORT_MAX),
    # at most 200 digits each side of the point and a two-digit exponent: always finite
    "Double": r"^[+-]?(?:[0-9]{1,200}(?:\.[0-9]{0,200})?|\.[0-9]{1,200})(?:[eE][+-]?[0-9]{1,2})?$",
    "Date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
            r"(Z|[+-][0-9]{2}:?[0-9]{2})?$",
}


@dataclass
class TypedValue:
    type: str
    value: Any
    value_info: dict[str, Any] | None = None


def _type_name(raw: str) -> str:
    """Camunda lower-cases only the first letter of REST type names; match the same way."""
    for name in TYPES:
        if raw[:1].lower() + raw[1:] == name[:1].lower() + name[1:]:
            return name
    raise InvalidRequest(f"Unsupported value type '{raw}'")


def _cannot_convert(value: Any, type_name: str, java: str) -> InvalidRequest:
    return InvalidRequest(
        f"Cannot convert value '{value}' of type '{type_name}' to java type {java}")


def infer(value: Any) -> TypedValue:
    """Type a value that came without ``type``, as Camunda's untyped values are."""
    if value is None:
        return TypedValue("Null", None)
    if isinstance(value, bool):
        return TypedValue("Boolean", value)
    if isinstance(value, int):
        return TypedValue("Integer" if INT_MIN <= value <= INT_MAX else "Long", value)
    if isinstance(value, float):
        return TypedValue("Double", value)
    if isinstance(value, (dict, list)):
        return TypedValue("Json", json.dumps(value, separators=(",", ":")))
    return TypedValue("String", str(value))


def from_dto(name: str, dto: Any) -> TypedValue:
    """Convert one VariableValueDto; errors name the variable like Camunda's messages do."""
    if not isinstance(dto, dict):
        raise InvalidRequest(f"Variable '{name}' must be an object with 'value' and 'type'")
    raw_type, value = dto.get("type"), dto.get("value")
    info = dto.get("valueInfo") if isinstance(dto.get("valueInfo"), dict) else None
    if raw_type is None:
        typed = infer(value)
        typed.value_info = info
        return typed
    if not isinstance(raw_type, str):
        raise InvalidRequest(f"Unsupported value type '{raw_type}'")
    type_name = _type_name(raw_type)
    if value is None:
        return TypedValue(type_name, None, info)
    try:
        converted = _convert(type_name, value)
    except (ValueError, TypeError, OverflowError):
        java = {"Integer": "java.lang.Integer", "Long": "java.lang.Long",
                "Short": "java.lang.Short", "Double": "java.lang.Double",
                "Boolean": "java.lang.Boolean", "Date": "java.util.Date",
                "String": "java.lang.String", "Json": "java.lang.String"}[type_name]
        raise _cannot_convert(value, type_name, java) from None
    return TypedValue(type_name, converted, info)


def _text(type_name: str, value: str) -> str:
    """A string the type converts (TEXT_PATTERNS), without the newline `$` lets through."""
    if not re.search(TEXT_PATTERNS[type_name], value):
        raise ValueError(f"not a {type_name}")
    return value[:-1] if value.endswith("\n") else value


def _convert(type_name: str, value: Any) -> Any:
    if type_name == "Null":
        return None
    if type_name == "String":
        if isinstance(value, (dict, list)):
            raise TypeError("not a string")
        return value if isinstance(value, str) else json.dumps(value)
    if type_name == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return _text(type_name, value).lower() == "true"
        raise ValueError("not a boolean")
    if type_name in ("Integer", "Long", "Short"):
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise TypeError("not a number")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError("not integral")
            value = int(value)
        number = int(_text(type_name, value)) if isinstance(value, str) else int(value)
        low, high = {"Integer": (INT_MIN, INT_MAX), "Long": (LONG_MIN, LONG_MAX),
                     "Short": (SHORT_MIN, SHORT_MAX)}[type_name]
        if not low <= number <= high:
            raise OverflowError("out of range")
        return number
    if type_name == "Double":
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise TypeError("not a number")
        result = float(_text(type_name, value) if isinstance(value, str) else value)
        if result != result or result in (float("inf"), float("-inf")):
            raise ValueError("not finite")
        return result
    if type_name == "Date":
        if not isinstance(value, str):
            raise TypeError("not a date string")
        return clock.parse_date(_text(type_name, value))
    if type_name == "Json":
        # a string is the serialized JSON, kept as given: Camunda stores a Json value's text
        # without parsing it (a reader parses it, and falls back to the text, see `plain`)
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    raise ValueError(type_name)  # pragma: no cover - _type_name guards the names


def to_dto(typed: TypedValue) -> dict[str, Any]:
    value = typed.value
    if typed.type == "Date":
        value = clock.format_date(value)
    info = typed.value_info or {}
    return {"type": typed.type, "value": value, "valueInfo": info}


def to_columns(typed: TypedValue) -> dict[str, Any]:
    """Spread a value over the storage columns (text, long, double, value_info)."""
    text = long = double = None
    value = typed.value
    if value is not None:
        if typed.type in ("String", "Json"):
            text = value
        elif typed.type == "Boolean":
            long, text = int(value), "true" if value else "false"
        elif typed.type in ("Integer", "Long", "Short"):
            long, double = value, float(value)
        elif typed.type == "Double":
            double = value
            long = int(value) if value.is_integer() and LONG_MIN <= value <= LONG_MAX else None
        elif typed.type == "Date":
            long = int((value - datetime(1970, 1, 1)).total_seconds() * 1000)
            text = clock.format_date(value)
    return {"type": typed.type, "text_value": text, "long_value": long, "double_value": double,
            "value_info": json.dumps(typed.value_info) if typed.value_info else None}


def from_columns(type_name: str, text: str | None, long: int | None, double: float | None,
                 value_info: str | None) -> TypedValue:
    info = json.loads(value_info) if value_info else None
    if type_name in ("String", "Json"):
        value: Any = text
    elif type_name == "Boolean":
        value = None if long is None else bool(long)
    elif type_name in ("Integer", "Long", "Short"):
        value = long
    elif type_name == "Double":
        value = double
    elif type_name == "Date":
        value = None if text is None else clock.parse_date(text)
    else:
        value = None
    return TypedValue(type_name, value, info)


def plain(typed: TypedValue) -> Any:
    """The value an expression sees: Json parsed, everything else as stored."""
    if typed.type == "Json" and isinstance(typed.value, str):
        try:
            return json.loads(typed.value)
        except ValueError:
            return typed.value
    return typed.value
