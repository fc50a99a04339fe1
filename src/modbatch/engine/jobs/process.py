"""Job handlers for process instances: async continuations and timers, and timer start events.

Each loads the instance that owns the job, lets the runtime move the token on and writes the
instance back, all inside the job's transaction: a failure rolls it back and spends a retry.
A timer start job starts a new instance instead.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from modbatch.engine import instances, jobs
from modbatch.engine.jobs import deployment as deployment_jobs
from modbatch.errors import ProcessEngineError
from modbatch.settings import Settings
from modbatch.store.tables import Job, ProcessDefinition

PROCESS_JOB_TYPES = ("async-continuation", "timer-intermediate-transition", "timer-transition",
                     "timer-start-event-subprocess")


def _fire(session: Session, job: Job, settings: Settings) -> jobs.JobOutcome:
    instances.fire_job(session, job)
    return jobs.JobOutcome()


for _type in PROCESS_JOB_TYPES:
    jobs.handler(_type)(_fire)


@jobs.handler(deployment_jobs.TIMER_START_EVENT)
def fire_start_timer(session: Session, job: Job, settings: Settings) -> jobs.JobOutcome:
    """Start an instance at the timer start event (``handler_configuration``). A cycle's next
    job was already scheduled by ``jobs.run``. A suspended definition starts nothing (Camunda
    logs and skips it)."""
    definition = session.get(ProcessDefinition, job.process_definition_id)
    if definition is None:
        raise ProcessEngineError(
            f"No process definition '{job.process_definition_id}' for timer start job '{job.id}'")
    if not definition.suspended:
        instances.start(session, definition, business_key=None, variables={},
                        start_activity_id=job.handler_configuration)
    return jobs.JobOutcome()
