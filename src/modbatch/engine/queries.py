"""Shared pieces of Camunda's query DTOs: sorting and paging, applied in SQL."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from modbatch.errors import InvalidRequest


def sortings(filters: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``sortBy``/``sortOrder`` (GET) or ``sorting`` (POST) → [(sortBy, sortOrder)]."""
    result: list[tuple[str, str]] = []
    sort_by, sort_order = filters.get("sortBy"), filters.get("sortOrder")
    if (sort_by is None) != (sort_order is None):
        raise InvalidRequest(
            "Only a single sorting parameter specified. sortBy and sortOrder required")
    if sort_by is not None:
        result.append((sort_by, sort_order))
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
        stmt = stmt.order_by(column.asc() if order == "asc" else column.desc())
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
