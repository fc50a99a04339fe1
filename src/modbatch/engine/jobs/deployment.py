"""What deploying a process definition does to jobs: job definitions and timer start jobs.

As Camunda's ``BpmnDeployer``: every async continuation (``async-continuation``, configuration
``async-before`` / ``async-after``) and every timer (``timer-start-event``,
``timer-intermediate-transition``, ``timer-transition``; configuration ``DURATION: PT5M``) of a
new process definition gets a job definition, with the deterministic id of
:func:`modbatch.engine.runtime.job_definitions.job_definition_id`. The new latest version of a
key replaces the timer start jobs of the version before it and schedules its own; the
``timer-start-event`` handler (``engine/process_jobs.py``) starts an instance at its start event.
"""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from modbatch.engine import clock, history, jobs
from modbatch.engine.bpmn import timers
from modbatch.engine.bpmn.model import Activity, ProcessModel
from modbatch.engine.runtime import new_id
from modbatch.engine.runtime.job_definitions import job_definition_id
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import Incident, Job, JobDefinition, ProcessDefinition

ASYNC_CONTINUATION = "async-continuation"
TIMER_START_EVENT = "timer-start-event"
# the job handler (and job definition type) of each kind of timer event
TIMER_HANDLERS = {"startTimerEvent": TIMER_START_EVENT,
                  "intermediateTimer": "timer-intermediate-transition",
                  "boundaryTimer": "timer-transition"}


def timer_of(activity: Activity) -> tuple[str, str, Any] | None:
    """(kind, text, expression) of an activity's timer, or None when it has none (or the model
    does not say its kind). ``text`` is the definition's raw text, expressions included."""
    timer = getattr(activity, "timer", None)
    kind = getattr(timer, "kind", None)
    if timer is None or kind is None:
        return None
    expression = getattr(timer, "expression", None)
    text = getattr(timer, "text", None)
    if text is None:
        text = getattr(expression, "source", None)
    return (kind, text, expression) if text is not None else None


def definitions_for_model(definition: ProcessDefinition, model: ProcessModel) -> list[dict[str, Any]]:
    """The job definition rows of one process definition, ready for one insert."""
    rows = []
    for activity in model.activities.values():
        declared: list[tuple[str, str]] = []
        if getattr(activity, "async_before", False):
            declared.append((ASYNC_CONTINUATION, "async-before"))
        if getattr(activity, "async_after", False):
            declared.append((ASYNC_CONTINUATION, "async-after"))
        timer = timer_of(activity)
        if timer is not None and activity.type in TIMER_HANDLERS:
            handler = TIMER_HANDLERS[activity.type]
            if activity.type == "startTimerEvent" and activity.scope_id != model.id:
                handler = "timer-start-event-subprocess"  # an event sub-process's timer start
            declared.append((handler, timers.job_configuration(*timer[:2])))
        for job_type, configuration in declared:
            rows.append({
                "id": job_definition_id(definition.id, activity.id, job_type, configuration),
                "job_type": job_type, "job_configuration": configuration,
                "activity_id": activity.id, "process_definition_id": definition.id,
                "process_definition_key": definition.key, "overriding_job_priority": None,
                "suspended": False, "tenant_id": definition.tenant_id,
                "deployment_id": definition.deployment_id})
    return rows


def deployed(session: Session, definitions: Iterable[tuple[ProcessDefinition, ProcessModel]], *,
             default_retries: int) -> None:
    """Deployment hook: job definitions of the new definitions (each the new latest version of
    its key), and their timer start jobs in place of those of the versions they replace."""
    definitions = list(definitions)
    rows = [row for definition, model in definitions
            for row in definitions_for_model(definition, model)]
    if rows:
        session.execute(insert(JobDefinition), rows)
    for definition, model in definitions:
        replace_start_timers(session, definition, model, default_retries=default_retries)


def replace_start_timers(session: Session, definition: ProcessDefinition, model: ProcessModel, *,
                         default_retries: int) -> None:
    """The definition became the latest version of its key (deployed, or the newer versions
    were deleted): its timer start jobs replace any other version's."""
    _remove_start_timers(session, definition)
    jobs.insert_jobs(session, start_timer_jobs(definition, model, default_retries=default_retries))


def start_timer_jobs(definition: ProcessDefinition, model: ProcessModel, *,
                     default_retries: int) -> list[dict[str, Any]]:
    """One timer job per timer start event of the process (not of event sub-processes)."""
    now = clock.now()
    rows = []
    for activity in model.activities.values():
        timer = timer_of(activity)
        if activity.type != "startTimerEvent" or activity.scope_id != model.id or timer is None:
            continue
        kind, text, expression = timer
        spec = _resolve(kind, text, expression)
        configuration = timers.job_configuration(kind, text)
        rows.append({
            "id": new_id(), "type": "timer",
            "job_definition_id": job_definition_id(definition.id, activity.id,
                                                        TIMER_START_EVENT, configuration),
            "handler_type": TIMER_START_EVENT, "handler_configuration": activity.id,
            "batch_id": None, "item_from": None, "item_to": None,
            "due_date": spec.first_due(now), "create_time": now, "retries": default_retries,
            "suspended": False, "priority": 0, "tenant_id": definition.tenant_id,
            "deployment_id": definition.deployment_id, "exception_message": None,
            "exception_stacktrace": None, "lock_owner": None, "lock_expiration_time": None,
            "process_instance_id": None, "process_definition_id": definition.id,
            "process_definition_key": definition.key, "execution_id": None,
            "activity_id": activity.id, "exclusive": True, "repeat": spec.repeat(now)})
    return rows


def _resolve(kind: str, text: str, expression: Any) -> timers.TimerSpec:
    """A start timer's expression sees no variables (Camunda's StartProcessVariableScope)."""
    value: Any = text
    if expression is not None and ("${" in text or "#{" in text):
        value = expression.evaluate({})
    try:
        return timers.parse_timer(kind, value)
    except timers.TimerError as error:
        raise ProcessEngineError(error.engine_message) from None


def _remove_start_timers(session: Session, definition: ProcessDefinition) -> None:
    """Delete the timer start jobs of earlier versions of the definition's key and tenant."""
    tenant = (Job.tenant_id.is_(None) if definition.tenant_id is None
              else Job.tenant_id == definition.tenant_id)
    obsolete = (Job.handler_type == TIMER_START_EVENT, Job.process_definition_key == definition.key,
                tenant, Job.process_definition_id != definition.id)
    history.incidents_ended(session, Incident.configuration.in_(select(Job.id).where(*obsolete)),
                            resolved=False)
    session.execute(delete(Incident).where(Incident.configuration.in_(
        select(Job.id).where(*obsolete))))
    session.execute(delete(Job).where(*obsolete))
