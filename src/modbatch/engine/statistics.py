"""Runtime statistics (Camunda's ActivityStatisticsQuery and ProcessDefinitionStatisticsQuery).

Each figure is one GROUP BY: activity (and transition) instances waiting in an activity, failed
jobs (no retries left) and incidents by type. Camunda counts the executions that are active at an
activity: leaves of the activity-instance tree, never an entered scope.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from modbatch.store.tables import ActivityInstance, Incident, Job, ProcessDefinition, ProcessInstance


@dataclass
class Figures:
    """One result: ``id`` is an activity id or a process definition id."""

    id: str
    instances: int = 0
    failed_jobs: int = 0
    incidents: list[tuple[str, int]] = field(default_factory=list)
    definition: ProcessDefinition | None = None


def _incident_counts(group_column, where: list, incident_type: str | None):
    conditions = list(where)
    if incident_type is not None:
        conditions.append(Incident.incident_type == incident_type)
    return (select(group_column, Incident.incident_type, func.count(Incident.id))
            .where(*conditions).group_by(group_column, Incident.incident_type)
            .order_by(group_column, Incident.incident_type))


def activity_statistics(session: Session, definition_id: str, *, failed_jobs: bool,
                        incidents: bool, incident_type: str | None) -> list[Figures]:
    """Per activity of one definition: waiting instances, and optionally failed jobs and
    incidents; an activity shows when any figure asked for is found there."""
    ai, child = ActivityInstance, aliased(ActivityInstance)
    results: dict[str, Figures] = {}

    def at(activity_id: str) -> Figures:
        return results.setdefault(activity_id, Figures(activity_id))

    waiting = (select(ai.activity_id, func.count(ai.id))
               .join(ProcessInstance, ProcessInstance.id == ai.process_instance_id)
               .where(ProcessInstance.process_definition_id == definition_id,
                      ~exists().where(child.parent_id == ai.id))
               .group_by(ai.activity_id))
    for activity_id, number in session.execute(waiting):
        at(activity_id).instances = number
    if failed_jobs:
        failed = (select(Job.activity_id, func.count(Job.id))
                  .where(Job.process_definition_id == definition_id, Job.retries == 0,
                         Job.activity_id.is_not(None))
                  .group_by(Job.activity_id))
        for activity_id, number in session.execute(failed):
            at(activity_id).failed_jobs = number
    if incidents or incident_type is not None:
        rows = _incident_counts(Incident.activity_id,
                                [Incident.process_definition_id == definition_id,
                                 Incident.activity_id.is_not(None)], incident_type)
        for activity_id, kind, number in session.execute(rows):
            at(activity_id).incidents.append((kind, number))
    return [results[key] for key in sorted(results)]


def definition_statistics(session: Session, *, failed_jobs: bool, incidents: bool,
                          incident_type: str | None) -> list[Figures]:
    """Per deployed process definition (with or without running instances)."""
    pd = ProcessDefinition
    results = {row.id: Figures(row.id, definition=row) for row in session.execute(
        select(pd).order_by(pd.key, pd.version, pd.id)).scalars()}
    running = (select(ProcessInstance.process_definition_id, func.count(ProcessInstance.id))
               .group_by(ProcessInstance.process_definition_id))
    for definition_id, number in session.execute(running):
        if definition_id in results:
            results[definition_id].instances = number
    if failed_jobs:
        failed = (select(Job.process_definition_id, func.count(Job.id))
                  .where(Job.retries == 0, Job.process_definition_id.is_not(None))
                  .group_by(Job.process_definition_id))
        for definition_id, number in session.execute(failed):
            if definition_id in results:
                results[definition_id].failed_jobs = number
    if incidents or incident_type is not None:
        rows = _incident_counts(Incident.process_definition_id,
                                [Incident.process_definition_id.is_not(None)], incident_type)
        for definition_id, kind, number in session.execute(rows):
            if definition_id in results:
                results[definition_id].incidents.append((kind, number))
    return list(results.values())
