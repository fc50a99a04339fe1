"""Shared pieces of Camunda's query DTOs: sorting and paging, applied in SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Mapping

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from modbatch.errors import InvalidRequest


def sortings(filters: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``sortBy``/``sortOrder`` (GET) or ``sorting`` (POST) → [(sortBy, sortOrder)].

    Camunda refuses one of sortBy and sortOrder without the other, a rule between query
    parameters OpenAPI 3.0 cannot state; here sortBy alone sorts ascending and sortOrder alone
    is ignored (README, "Rules the spec states"). ``sorting`` items require both in the schema."""
    result: list[tuple[str, str]] = []
    sort_by, sort_order = filters.get("sortBy"), filters.get("sortOrder")
    if sort_by is not None:
        result.append((sort_by, "asc" if sort_order is None else sort_order))
    elif sort_order is not None and sort_order not in ("asc", "desc"):
        raise InvalidRequest(f"Cannot set query parameter 'sortOrder' to value '{sort_order}'")
    for item in filters.get("sorting") or []:
        if not isinstance(item, Mapping):
            continue
        by, order = item.get("sortBy"), item.get("sortOrder")
        if by is None or order is None:
            raise InvalidRequest(
                "Only a single sorting parameter specified. sortBy and sortOrder required")
        result.append((by, order))
    return result


def apply_sorting(stmt: Select, filters: Mapping[str, Any], columns: Mapping[str, Any],
                  tie_breaker: Any) -> Select:
    for by, order in sortings(filters):
        if by not in columns:
            raise InvalidRequest(f"Cannot set query parameter 'sortBy' to value '{by}'")
        if order not in ("asc", "desc"):
            raise InvalidRequest(f"Cannot set query parameter 'sortOrder' to value '{order}'")
        column = columns[by]
        if column is None:  # a valid criterion on a property that is always null here
            continue
        # nulls count as the smallest value on every database (PostgreSQL's default is the
        # opposite), so a page is the same whichever database serves it
        stmt = stmt.order_by(column.asc().nulls_first() if order == "asc"
                             else column.desc().nulls_last())
    return stmt.order_by(tie_breaker)


def apply_paging(stmt: Select, first_result: int | None, max_results: int | None) -> Select:
    """Camunda pages with firstResult/maxResults; negative values are treated as absent."""
    if first_result is not None and first_result > 0:
        stmt = stmt.offset(first_result)
    if max_results is not None and max_results >= 0:
        stmt = stmt.limit(max_results)
    elif first_result:
        stmt = stmt.limit(2**62)
    return stmt


def page(session: Session, stmt: Select, first_result: int | None,
         max_results: int | None) -> list[Any]:
    """One page of a query's entities."""
    return list(session.execute(apply_paging(stmt, first_result, max_results)).scalars())


def count(session: Session, stmt: Select) -> int:
    return session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()


def tenant_filter(stmt: Select, table: Any, filters: Mapping[str, Any],
                  include_without: str | None = None) -> Select:
    """Camunda's ``tenantIdIn`` (optionally with its include-without-tenant flag) and
    ``withoutTenantId``, the same on every query that has them."""
    tenants = filters.get("tenantIdIn")
    if tenants:
        condition = table.tenant_id.in_(tenants)
        if include_without is not None and filters.get(include_without) is True:
            condition = or_(condition, table.tenant_id.is_(None))
        stmt = stmt.where(condition)
    if filters.get("withoutTenantId") is True:
        stmt = stmt.where(table.tenant_id.is_(None))
    return stmt


def like(pattern: str) -> str:
    """Camunda passes LIKE patterns through; ``%`` and ``_`` keep their SQL meaning."""
    return pattern


def non_empty(values: Iterable[Any] | None) -> list[Any] | None:
    if values is None:
        return None
    return [v for v in values if v is not None and v != ""]


VARIABLE_OPERATORS = ("eq", "neq", "gt", "gteq", "lt", "lteq", "like")


def variable_match(v: Any, condition: Any, filters: Mapping[str, Any]) -> list[Any]:
    """The clauses a variable row ``v`` (runtime or historic, or an alias) must meet for one
    VariableQueryParameterDto: its name and its value compared with ``operator``."""
    if not isinstance(condition, Mapping):
        raise InvalidRequest("Invalid variable query: expected {name, operator, value}")
    name, operator, value = condition.get("name"), condition.get("operator"), condition.get("value")
    if operator not in VARIABLE_OPERATORS:
        raise InvalidRequest(f"Invalid variable comparator specified: {operator}")
    if name is None:
        raise InvalidRequest("Invalid variable query: variable name is null")
    names_ic = filters.get("variableNamesIgnoreCase") is True
    name_match = func.lower(v.name) == str(name).lower() if names_ic else v.name == name
    return [name_match, *value_match(v, operator, value,
                                     ignore_case=filters.get("variableValuesIgnoreCase") is True)]


def value_match(v: Any, operator: str, value: Any, *, ignore_case: bool) -> list[Any]:
    """Camunda compares a value only with variables of its own kind (string, number, boolean,
    date, null); ``like`` matches String variables; anything else compares as text."""
    if operator == "like":
        column = func.lower(v.text_value) if ignore_case else v.text_value
        pattern = str(value).lower() if ignore_case else str(value)
        return [v.type == "String", column.like(pattern)]
    if value is None:
        test = v.type == "Null"
        return [test] if operator == "eq" else [~test]
    if isinstance(value, bool):
        return [v.type == "Boolean", _compare(v.long_value, operator, int(value))]
    if isinstance(value, (int, float)):
        return [v.type.in_(("Integer", "Long", "Short", "Double")),
                _compare(v.double_value, operator, float(value))]
    if isinstance(value, datetime):
        millis = int((value - datetime(1970, 1, 1)).total_seconds() * 1000)
        return [v.type == "Date", _compare(v.long_value, operator, millis)]
    text = str(value)
    column = func.lower(v.text_value) if ignore_case else v.text_value
    return [v.type == "String", _compare(column, operator, text.lower() if ignore_case else text)]


def _compare(column: Any, operator: str, value: Any) -> Any:
    return {"eq": column == value, "neq": column != value, "gt": column > value,
            "gteq": column >= value, "lt": column < value, "lteq": column <= value}[operator]
