"""Job definition ids of process jobs, derived from what they define so no lookup is needed."""

from __future__ import annotations

import uuid

# uuid5 namespace of process job definitions (a fixed random uuid; never change it)
_NAMESPACE = uuid.UUID("5d6f2a4e-8c1b-4f0e-9a57-3b2f6c9d1e84")


def job_definition_id(process_definition_id: str, activity_id: str, job_type: str,
                      configuration: str) -> str:
    """The id of a process definition's job definition, the same wherever it is computed.

    Deployment inserts the job definitions with these ids (``engine/jobs/deployment.py``), so the
    runtime sets ``Job.job_definition_id`` on a job it creates without a lookup. ``job_type`` is
    the job handler type; ``configuration`` Camunda's job configuration: ``async-before`` or
    ``async-after`` for async continuations (one activity may have both), the timer as
    ``timers.job_configuration`` writes it (``DURATION: PT5M``) for timers.
    """
    name = "\x1f".join((process_definition_id, activity_id, job_type, configuration))
    return str(uuid.uuid5(_NAMESPACE, name))
