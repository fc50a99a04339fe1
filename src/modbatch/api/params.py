"""Turning query strings and JSON bodies into the engine's typed filter dictionaries.

Camunda's list parameters are comma-separated strings; clients also repeat the key
(``?a=x&a=y``). Both forms are read from the raw query string here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from connexion import request

from modbatch.engine import clock
from modbatch.errors import InvalidRequest

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


def variable_conditions(raw: str | None) -> list[dict[str, Any]] | None:
    """GET's ``name_op_value,name_op_value`` form of variable conditions."""
    if raw is None:
        return None
    conditions = []
    for item in raw.split(","):
        parts = item.split("_")
        if len(parts) < 3:
            raise InvalidRequest(
                f"Invalid variable query: expected name_operator_value but got '{item}'")
        # the name may itself contain underscores: the operator is the second-to-last known one
        for index in range(len(parts) - 2, 0, -1):
            if parts[index] in ("eq", "neq", "gt", "gteq", "lt", "lteq", "like"):
                break
        else:
            raise InvalidRequest(f"Invalid variable comparator specified: {parts[-2]}")
        value: Any = "_".join(parts[index + 1:])
        conditions.append({"name": "_".join(parts[:index]), "operator": parts[index],
                           "value": _guess(value)})
    return conditions


def _guess(text: str) -> Any:
    """GET variable values are strings; Camunda types numbers and booleans when they parse."""
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def body_dict(body: Any) -> dict[str, Any]:
    """A JSON body that must be an object; a missing body is an empty one."""
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object")
    return body
