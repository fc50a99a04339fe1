"""History: written in bulk from the runtime's logs, and at incident creation and end.

``write`` is called by ``persistence.flush`` with every changed instance: one statement per
kind of row (historic process instances inserted and ended, activity instances inserted and
ended, variable instances inserted and updated), whatever the number of instances; inserts and
the ends of activity instances go to the driver (``store.fastsql``). The level
(``MODBATCH_HISTORY_LEVEL``, ``runtime.history``) decides what is written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from modbatch.engine import clock
from modbatch.engine.runtime import history as log
from modbatch.engine.runtime import InstanceState
from modbatch.engine.variables import to_columns
from modbatch.store.fastsql import Raw
from modbatch.store.tables import (
    HistoricActivityInstance,
    HistoricIncident,
    HistoricProcessInstance,
    HistoricVariableInstance,
    Incident,
)

configure = log.configure
level = log.level

HPI = HistoricProcessInstance.__table__
HAI = HistoricActivityInstance.__table__
HVI = HistoricVariableInstance.__table__
HIN = HistoricIncident.__table__

END_PROCESS = (update(HPI).where(HPI.c.id == bindparam("b_id")).values(
    end_time=bindparam("b_end"), state=bindparam("b_state"),
    duration_in_millis=bindparam("b_duration"), delete_reason=bindparam("b_reason")))
END_ACTIVITIES = ("UPDATE historic_activity_instance SET end_time = ?, canceled = ?, "
                  "complete_scope = ?, duration_in_millis = ? - start_millis WHERE id {ids}")
UPDATE_VARIABLE = (update(HVI).where(HVI.c.id == bindparam("b_id")).values(
    type=bindparam("type"), text_value=bindparam("text_value"),
    long_value=bindparam("long_value"), double_value=bindparam("double_value"),
    value_info=bindparam("value_info")))

_EPOCH = datetime(1970, 1, 1)


def millis(moment: datetime) -> int:
    return int((moment - _EPOCH).total_seconds() * 1000)


def _duration(start: datetime, end: datetime | None) -> int | None:
    return None if end is None else millis(end) - millis(start)


def _version(definition_id: str) -> int | None:
    """Definition ids are ``key:version:uuid``."""
    parts = definition_id.rsplit(":", 2)
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else None


def write(conn: Any, states: Iterable[InstanceState], now: datetime) -> None:
    """Write the history of ``states`` (called by the flush, before they are marked loaded)."""
    states = list(states)
    if not log.records_instances():
        for s in states:
            s.history = None
        return
    fresh = [s for s in states if s.is_new]
    if fresh:
        Raw(conn).insert_dicts(HPI, [_process_row(s, now) for s in fresh])
    ended = [s for s in states if not s.is_new and s.ended]
    if ended:
        conn.execute(END_PROCESS, [{
            "b_id": s.id, "b_end": now, "b_state": s.end_state,
            "b_duration": _duration(s.start_time, now), "b_reason": _reason(s)} for s in ended])
    activity_rows: list[dict[str, Any]] = []
    ended_rows: list[dict[str, Any]] = []
    variable_rows: list[dict[str, Any]] = []
    updated_rows: list[dict[str, Any]] = []
    for s in states:
        history = s.history
        if history is None:
            continue
        s.history = None
        if history.started:
            tasks = {t.activity_instance_id: t for t in s.tasks.values()}
            for r in history.started.values():
                activity_rows.append({
                    "id": r.id, "parent_activity_instance_id": r.parent_id,
                    "activity_id": r.activity_id, "activity_name": r.activity_name,
                    "activity_type": r.activity_type,
                    "process_definition_key": s.process_definition_key,
                    "process_definition_id": s.process_definition_id, "process_instance_id": s.id,
                    "execution_id": r.execution_id, "task_id": tasks[r.id].id if r.id in tasks else None,
                    "assignee": tasks[r.id].assignee if r.id in tasks else None,
                    "called_process_instance_id": r.called_process_instance_id,
                    "start_time": r.start, "end_time": r.end,
                    "duration_in_millis": _duration(r.start, r.end), "canceled": r.canceled,
                    "complete_scope": r.complete_scope, "tenant_id": s.tenant_id,
                    "removal_time": None,
                    "root_process_instance_id": s.root_process_instance_id or s.id,
                    "sequence_counter": r.sequence, "start_millis": millis(r.start)})
        for ai_id, end, canceled, complete in history.ended:
            ended_rows.append({"b_id": ai_id, "b_end": end, "b_canceled": canceled,
                               "b_complete": complete, "b_end_millis": millis(end)})
        for v in history.variables_created.values():
            scope = v.var.scope
            variable_rows.append({
                "id": v.var.id, "name": v.var.name, **to_columns(v.var.value),
                "process_definition_key": s.process_definition_key,
                "process_definition_id": s.process_definition_id, "process_instance_id": s.id,
                "execution_id": v.execution_id, "activity_instance_id": scope or s.id,
                "task_id": None, "tenant_id": s.tenant_id, "state": "CREATED",
                "create_time": v.created, "removal_time": None, "root_process_instance_id": s.id})
        for var in history.variables_updated.values():
            updated_rows.append({"b_id": var.id, **to_columns(var.value)})
    raw = Raw(conn)
    raw.insert_dicts(HAI, activity_rows)
    # ended in this unit of work: one UPDATE per (end, canceled, completeScope), rarely more than
    # one or two, whatever the number of instances
    by_end: dict[tuple, list[str]] = {}
    for row in ended_rows:
        by_end.setdefault((row["b_end"], row["b_canceled"], row["b_complete"]), []).append(row["b_id"])
    for (end, canceled, complete), ids in by_end.items():
        raw.execute_in(END_ACTIVITIES, ids, (raw.timestamp(end), canceled, complete, millis(end)))
    raw.insert_dicts(HVI, variable_rows)
    if updated_rows:
        conn.execute(UPDATE_VARIABLE, updated_rows)


def _process_row(s: InstanceState, now: datetime) -> dict[str, Any]:
    end = now if s.ended else None
    return {
        "id": s.id, "process_definition_id": s.process_definition_id,
        "process_definition_key": s.process_definition_key, "business_key": s.business_key,
        "tenant_id": s.tenant_id, "start_time": s.start_time, "end_time": end,
        "state": s.end_state or ("SUSPENDED" if s.suspended else "ACTIVE"),
        "process_definition_name": s.model.name,
        "process_definition_version": _version(s.process_definition_id), "removal_time": None,
        "duration_in_millis": _duration(s.start_time, end), "start_user_id": None,
        "start_activity_id": s.history.start_activity_id if s.history is not None else None,
        "delete_reason": _reason(s), "super_process_instance_id": s.super_process_instance_id,
        "root_process_instance_id": s.root_process_instance_id or s.id}


def _reason(s: InstanceState) -> str | None:
    """A cancellation's reason, unless the instance went on to complete after all."""
    return s.delete_reason if s.end_state != "COMPLETED" else None


def set_suspended(session: Session, instance_ids: list[str], suspended: bool) -> None:
    """A running instance's historic state follows its suspension (ACTIVE / SUSPENDED)."""
    if not log.records_instances() or not instance_ids:
        return
    session.execute(update(HistoricProcessInstance).where(
        HistoricProcessInstance.id.in_(instance_ids), HistoricProcessInstance.end_time.is_(None))
        .values(state="SUSPENDED" if suspended else "ACTIVE"))


# ---------------------------------------------------------------------------- incidents
def incident_created(session: Session, incident: Incident,
                     process_definition_key: str | None = None) -> None:
    """Camunda's full level: every incident also lives on in history."""
    if not log.records_incidents():
        return
    session.add(HistoricIncident(
        id=incident.id, process_definition_key=process_definition_key,
        process_definition_id=incident.process_definition_id,
        process_instance_id=incident.process_instance_id, execution_id=incident.execution_id,
        root_process_instance_id=incident.process_instance_id,
        create_time=incident.incident_timestamp, incident_type=incident.incident_type,
        activity_id=incident.activity_id, failed_activity_id=incident.failed_activity_id,
        cause_incident_id=incident.id, root_cause_incident_id=incident.id,
        configuration=incident.configuration, history_configuration=None,
        incident_message=incident.incident_message, tenant_id=incident.tenant_id,
        job_definition_id=incident.job_definition_id, state="open",
        annotation=incident.annotation))


def incidents_ended(session: Any, *conditions: Any, resolved: bool) -> None:
    """Before open incidents matching ``conditions`` (on ``Incident``) are deleted: their
    historic incidents end, ``resolved`` (retries given back, job succeeded) or ``deleted``."""
    if not log.records_incidents():
        return
    session.execute(update(HIN).where(
        HIN.c.id.in_(select(Incident.__table__.c.id).where(*conditions)),
        HIN.c.end_time.is_(None)).values(end_time=clock.now(),
                                         state="resolved" if resolved else "deleted"))


def delete_for_definitions(session: Session, definition_ids: list[str]) -> None:
    """A cascading deployment deletion takes the definitions' history with it."""
    for table in (HistoricActivityInstance, HistoricVariableInstance, HistoricIncident):
        session.execute(delete(table).where(table.process_definition_id.in_(definition_ids)))
