"""The files of a deployment, every uploaded one kept byte for byte (not only BPMN models)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from modbatch.store.tables import Resource

# Camunda's media types by file extension; anything else is application/octet-stream
MEDIA_TYPES = {
    "bpmn": "application/xml", "cmmn": "application/xml", "dmn": "application/xml",
    "json": "application/json", "xml": "application/xml",
    "gif": "image/gif", "jpeg": "image/jpeg", "jpe": "image/jpeg", "jpg": "image/jpeg",
    "png": "image/png", "svg": "image/svg+xml", "tiff": "image/tiff", "tif": "image/tiff",
    "groovy": "text/plain", "java": "text/plain", "js": "text/plain", "php": "text/plain",
    "py": "text/plain", "rb": "text/plain", "html": "text/html", "txt": "text/plain",
}


def resources(session: Session, deployment_id: str) -> list[Resource]:
    """The deployment's resources without their content, by name."""
    return list(session.execute(
        select(Resource).options(load_only(Resource.id, Resource.name, Resource.deployment_id))
        .where(Resource.deployment_id == deployment_id).order_by(Resource.name, Resource.id))
        .scalars())


def resource(session: Session, deployment_id: str, resource_id: str) -> Resource | None:
    row = session.get(Resource, resource_id)
    return row if row is not None and row.deployment_id == deployment_id else None


def _last_part(text: str, separator: str) -> str | None:
    """The last part of Java's ``String.split`` (trailing empty parts dropped)."""
    parts = text.split(separator)
    while parts and parts[-1] == "":
        parts.pop()
    return parts[-1] if parts else None


def media_type(name: str | None) -> str:
    """The type Camunda derives from the text after the name's last dot."""
    extension = _last_part(name, ".") if name is not None else None
    return MEDIA_TYPES.get(extension or "", "application/octet-stream")


def file_name(name: str | None) -> str:
    """The last path segment, for the Content-Disposition header."""
    last = _last_part(name.replace("\\", "/"), "/") if name is not None else None
    # a header carries Latin-1 text on one line
    return "".join(c for c in last or "data" if c not in "\r\n").encode(
        "latin-1", "replace").decode("latin-1")
