"""Job definition ids of process jobs, derived from what they define so no lookup is needed."""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("6f1c1d7e-2b8a-4c4e-9a51-6d0b7f5e2a10")


def job_definition_id(process_definition_id: str, activity_id: str, job_type: str) -> str:
    """The same (definition, activity, job type) always yields the same id."""
    return str(uuid.uuid5(_NAMESPACE, f"{process_definition_id}\x00{activity_id}\x00{job_type}"))
