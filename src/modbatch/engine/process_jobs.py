"""Job handlers for process instances: async continuations and timers.

Each loads the instance that owns the job, lets the runtime move the token on and writes the
instance back, all inside the job's transaction: a failure rolls it back and spends a retry.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from modbatch.engine import instances, jobs
from modbatch.settings import Settings
from modbatch.store.tables import Job

PROCESS_JOB_TYPES = ("async-continuation", "timer-intermediate-transition", "timer-transition")


def _fire(session: Session, job: Job, settings: Settings) -> jobs.JobOutcome:
    instances.fire_job(session, job)
    return jobs.JobOutcome()


for _type in PROCESS_JOB_TYPES:
    jobs.handler(_type)(_fire)
