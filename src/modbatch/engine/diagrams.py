"""Process definition diagrams: the SVG drawn from a deployed model's BPMN DI, cached per
definition id (a definition and its resource never change once deployed)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from modbatch.engine.bpmn.diagram import read_diagram
from modbatch.engine.bpmn.svg import render_svg
from modbatch.store.tables import ProcessDefinition, Resource

_NONE = b""  # cached answer for a model without DI


class _SvgCache:
    """A bounded LRU of rendered diagrams keyed by process definition id."""

    def __init__(self, size: int = 128) -> None:
        self._size = size
        self._entries: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, definition_id: str) -> bytes | None:
        with self._lock:
            found = self._entries.get(definition_id)
            if found is not None:
                self._entries.move_to_end(definition_id)
            return found

    def put(self, definition_id: str, svg: bytes) -> None:
        with self._lock:
            self._entries[definition_id] = svg
            self._entries.move_to_end(definition_id)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


cache = _SvgCache()


def definition_svg(session: Session, definition: ProcessDefinition) -> bytes | None:
    """The definition's diagram as an SVG document, or None when its model has no BPMN DI."""
    found = cache.get(definition.id)
    if found is None:
        content = session.execute(
            select(Resource.content).where(Resource.deployment_id == definition.deployment_id,
                                           Resource.name == definition.resource_name)
        ).scalar_one()
        diagram = read_diagram(bytes(content), definition.key, resource=definition.resource_name,
                               max_bytes=len(content) + 1)
        found = render_svg(diagram) if diagram is not None else _NONE
        cache.put(definition.id, found)
    return found or None
