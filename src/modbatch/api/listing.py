"""List and count handlers share one shape: a filter dict in, a page of DTOs or a count out."""

from __future__ import annotations

from typing import Any, Callable, Mapping

from modbatch.api import render
from modbatch.engine.process_engine import current


def page(find: Callable[..., list[Any]], render_row: Callable[[Any], dict[str, Any]],
         filters: Mapping[str, Any], kwargs: Mapping[str, Any]):
    """``find(session, filters, firstResult, maxResults)`` rendered row by row, in a read."""
    with current().read() as session:
        rows = find(session, filters, kwargs.get("firstResult"), kwargs.get("maxResults"))
        return [render_row(row) for row in rows], 200


def count(counter: Callable[..., int], filters: Mapping[str, Any]):
    with current().read() as session:
        return render.count(counter(session, filters)), 200
