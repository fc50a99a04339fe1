"""Turning query strings and JSON bodies into the engine's typed filter dictionaries.

Camunda's list parameters are comma-separated strings; clients also repeat the key
(``?a=x&a=y``). Both forms are read from the raw query string here.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Mapping

from connexion import request

from modbatch.engine import clock
from modbatch.engine.variables import TypedValue, from_dto
from modbatch.errors import InvalidRequest, ModbatchError

PAGING = ("firstResult", "maxResults")


def raw_list(name: str) -> list[str] | None:
    """All values of a query parameter, split on commas, or None when absent."""
    values = request.query_params.getlist(name) if hasattr(request.query_params, "getlist") \
        else request.query_params.get(name)
    if values in (None, []):
        return None
    if isinstance(values, str):
        values = [values]
    return [part for value in values for part in str(value).split(",") if part != ""]


def query_filters(kwargs: Mapping[str, Any], *, lists: Iterable[str] = (),
                  dates: Iterable[str] = ()) -> dict[str, Any]:
    """The handler's query kwargs as a filter dict, with list and date parameters converted."""
    filters = {k: v for k, v in kwargs.items() if k not in PAGING and k != "body"}
    for name in lists:
        if name in filters:
            filters[name] = raw_list(name)
    for name in dates:
        if filters.get(name) is not None:
            filters[name] = parse_date(filters[name], name)
    return filters


def parse_date(value: Any, name: str) -> datetime:
    try:
        return clock.parse_date(value)
    except (ValueError, TypeError):
        raise InvalidRequest(
            f"Cannot set query parameter '{name}' to value '{value}': not a valid date") from None


def variable_conditions(raw: str | None, parameter: str = "variables") -> list[dict[str, Any]] | None:
    """GET's ``name_op_value,name_op_value`` form of variable conditions.

    Camunda splits each expression on ``_`` and wants exactly three parts (so names and values
    with underscores cannot be queried this way); values stay strings, see ``resolve_value``.
    """
    if raw is None:
        return None
    conditions = []
    for expression in _java_split(raw, ","):
        triple = _java_split(expression, "_")
        if len(triple) != 3:
            raise InvalidRequest(
                f"Cannot set query parameter '{parameter}' to value '{raw}': "
                "variable query parameter has to have format KEY_OPERATOR_VALUE.")
        name, operator, value = triple
        conditions.append({"name": name, "operator": operator, "value": value})
    return conditions


def _java_split(text: str, separator: str) -> list[str]:
    """Java's ``String.split``: trailing empty strings are dropped."""
    parts = text.split(separator)
    if len(parts) == 1:
        return parts
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def resolve_variable_values(filters: dict[str, Any]) -> dict[str, Any]:
    """Camunda's VariableQueryParameterDto.resolveValue on every condition (and in orQueries)."""
    for condition in filters.get("variables") or []:
        if isinstance(condition, dict) and condition.get("operator") != "like":
            condition["value"] = resolve_value(condition.get("value"))
    for sub in filters.get("orQueries") or []:
        if isinstance(sub, dict):
            resolve_variable_values(sub)
    return filters


def resolve_value(value: Any) -> Any:
    """A string that parses as a date is a Date; everything else is compared as given."""
    if isinstance(value, str):
        try:
            return clock.parse_date(value)
        except ValueError:
            return value
    return value


def base_url() -> str:
    """The absolute REST root (``http://host:port/engine-rest``), as Camunda's links use it."""
    url = request.url
    return f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}/engine-rest"


def body_dict(body: Any) -> dict[str, Any]:
    """A JSON body that must be an object; a missing body is an empty one."""
    if body is None or body in (b"", ""):
        return {}
    if isinstance(body, (bytes, str)):
        # no Content-Type header: Connexion hands the raw bytes over
        try:
            body = json.loads(body)
        except ValueError as error:
            raise InvalidRequest(str(error)) from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object")
    return body


def typed_variables(raw: Any, *, name: str = "variables", prefix: str = "") -> dict[str, TypedValue]:
    """A map of Camunda variable DTOs (``{"value", "type", "valueInfo"}``) as typed values.

    ``prefix`` heads every message (``Cannot complete task X: ``); without it a conversion error
    goes out as ``from_dto`` raised it.
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidRequest(f"{prefix}{name} must be an object")
    try:
        return {key: from_dto(key, value) for key, value in raw.items()}
    except ModbatchError as error:
        if not prefix:
            raise
        raise InvalidRequest(prefix + error.message) from None
