"""A compiled plan for the commonest batch: tokens moved between user tasks of the process scope.

``cancel review`` + ``startBeforeActivity approve`` over a hundred instances does not need the
runtime: no expression, listener, mapping, boundary event or scope is involved, and what each
instance ends up with follows from its activity-instance rows alone. ``compile_plan`` decides
once per (definition, instructions, skip flags) whether the instructions qualify; ``apply`` then
modifies a set of instances with a fixed number of set-based statements on the driver.

It writes exactly the rows the general path (``modification.modify`` + ``persistence.flush``)
writes: activity instances and tasks (deleted and inserted), the cancelled instances' local
variables, the historic activity instances (ended and started) and, where writers run
concurrently, the process instance's revision. An instance the plan cannot vouch for (missing,
of another definition, a token it does not expect, nothing left active afterwards) is handed
back for the general path, which also produces every failure message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy.orm import Session

from modbatch.engine import clock, repository
from modbatch.engine.bpmn.expression import ConstantExpression
from modbatch.engine.bpmn.model import Activity, ProcessModel
from modbatch.engine.runtime import activity_instance_id, history, new_id
from modbatch.engine.history import millis
from modbatch.errors import ModbatchError
from modbatch.store.database import serialises_writers
from modbatch.store.fastsql import SEPARATOR, Raw, insert_sql
from modbatch.store.tables import ActivityInstance, HistoricActivityInstance, Task

CANCEL, START = "cancel", "start"


@dataclass(frozen=True)
class Step:
    kind: str  # CANCEL or START
    activity: Activity
    # a cancel with cancelCurrentActiveActivityInstances: only what existed before the first step
    snapshot: bool = False
    assignee: str | None = None


@dataclass(frozen=True)
class Plan:
    definition_id: str
    model: ProcessModel
    steps: tuple[Step, ...]


_plans: dict[tuple, Plan | None] = {}


def plan_for(session: Session, process_definition_id: str | None, instructions: Iterable,
             *, skip_io_mappings: bool, skip_custom_listeners: bool) -> Plan | None:
    """The plan for these instructions on this definition, or None when they need the runtime."""
    instructions = list(instructions)
    if process_definition_id is None or any(i.variables for i in instructions):
        return None
    key = (process_definition_id, skip_io_mappings, skip_custom_listeners,
           tuple((i.type, i.activity_id, i.transition_id, i.cancel_current_active_activity_instances,
                  i.activity_instance_id, i.transition_instance_id, i.ancestor_activity_instance_id)
                 for i in instructions))
    if key not in _plans:
        try:
            model = repository.model_for_id(session, process_definition_id)
        except (ModbatchError, AttributeError, LookupError):
            return None  # the definition is gone: the general path reports it per instance
        _plans[key] = compile_plan(process_definition_id, model, instructions,
                                   skip_io_mappings=skip_io_mappings,
                                   skip_custom_listeners=skip_custom_listeners)
    return _plans[key]


def compile_plan(definition_id: str, model: ProcessModel, instructions: list, *,
                 skip_io_mappings: bool, skip_custom_listeners: bool) -> Plan | None:
    steps = []
    for ins in instructions:
        if ins.activity_instance_id or ins.transition_instance_id or ins.ancestor_activity_instance_id:
            return None
        if ins.type == "cancel":
            activity = model.activities.get(ins.activity_id or "")
            snapshot = ins.cancel_current_active_activity_instances
            kind = CANCEL
        elif ins.type == "startBeforeActivity":
            activity = model.activities.get(ins.activity_id or "")
            kind, snapshot = START, False
        else:  # startAfterActivity / startTransition: the one flow's target, entered directly
            if ins.type == "startAfterActivity":
                source = model.activities.get(ins.activity_id or "")
                if source is None or len(source.outgoing) != 1:
                    return None
                flow = model.flows[source.outgoing[0]]
            else:
                flow = model.flows.get(ins.transition_id or "")
            if flow is None or flow.listeners:
                return None
            activity = model.activities.get(flow.target_id)
            kind, snapshot = START, False
        if activity is None or not _plain_user_task(model, activity, skip_io_mappings,
                                                    skip_custom_listeners):
            return None
        assignee = activity.assignee
        if assignee is not None and not isinstance(assignee, ConstantExpression):
            return None
        steps.append(Step(kind, activity, snapshot, None if assignee is None else str(assignee.source)))
    return Plan(definition_id, model, tuple(steps)) if steps else None


def _plain_user_task(model: ProcessModel, activity: Activity, skip_io_mappings: bool,
                     skip_custom_listeners: bool) -> bool:
    """A user task directly in the process scope whose entering and cancelling run no code and
    own nothing but its task (and local variables)."""
    return (activity.type == "userTask" and activity.scope_id == model.id
            and not activity.async_before and not activity.async_after
            and activity.jvm_implementation is None and activity.call is None
            and activity.loop is None and not activity.is_for_compensation
            and activity.compensation_handler is None
            and not model.boundary_events.get(activity.id)
            and not model.event_subprocesses.get(activity.id)
            and (skip_io_mappings or not (activity.input_parameters or activity.output_parameters))
            and (skip_custom_listeners or not (activity.listeners or activity.task_listeners)))


# ---------------------------------------------------------------------------- statements
AI, TASK, HAI = ActivityInstance.__table__, Task.__table__, HistoricActivityInstance.__table__
LOAD_INSTANCES = ("SELECT id, process_definition_id, tenant_id, suspended, revision, "
                  "process_definition_key, root_process_instance_id "
                  "FROM process_instance WHERE id {ids}")
LOAD_TREES = ("SELECT process_instance_id, id, parent_id, activity_id, seq, async_phase, "
              "compensating_for FROM activity_instance WHERE process_instance_id {ids}")
DELETE_TASKS = "DELETE FROM task WHERE activity_instance_id {ids}"
DELETE_ACTIVITY_INSTANCES = "DELETE FROM activity_instance WHERE id {ids}"
# the cancelled instances' local variables (the instance's own index narrows it down)
LOCAL_VARIABLES = ("SELECT id, activity_instance_id FROM variable WHERE process_instance_id {ids} "
                   "AND activity_instance_id IS NOT NULL")
DELETE_VARIABLES = "DELETE FROM variable WHERE id {ids}"
INSERT_AI = ("id", "process_instance_id", "parent_id", "activity_id", "activity_type",
             "activity_name", "execution_id", "seq", "async_phase", "compensating_for")
INSERT_TASK = ("id", "process_instance_id", "activity_instance_id", "execution_id",
               "process_definition_id", "task_definition_key", "name", "tenant_id", "created",
               "priority", "suspended", "assignee")
INSERT_HAI = ("id", "parent_activity_instance_id", "activity_id", "activity_name", "activity_type",
              "process_definition_key", "process_definition_id", "process_instance_id",
              "execution_id", "task_id", "assignee", "called_process_instance_id", "start_time",
              "end_time", "duration_in_millis", "canceled", "complete_scope", "tenant_id",
              "removal_time", "root_process_instance_id", "sequence_counter", "start_millis")
for _table, _columns in ((AI, INSERT_AI), (TASK, INSERT_TASK), (HAI, INSERT_HAI)):
    insert_sql(_table, _columns)  # a misspelt column fails at import, not in a job
END_HAI = ("UPDATE historic_activity_instance SET end_time = ?, canceled = ?, complete_scope = ?, "
           "duration_in_millis = ? - start_millis WHERE id {ids}")
# optimistic locking where writers run concurrently (PostgreSQL); SQLite serialises writers
BUMP_REVISIONS = ("UPDATE process_instance AS p SET revision = p.revision + 1 "
                  "FROM unnest(string_to_array(?, chr(31)), string_to_array(?, chr(31))::int[]) "
                  "AS v(id, revision) "
                  "WHERE p.id = v.id AND p.revision = v.revision")


@dataclass
class _New:
    """An activity instance the plan creates in one instance."""

    id: str
    activity: Activity
    execution_id: str
    seq: int
    sequence: int
    assignee: str | None
    task_id: str
    cancelled: bool = False


def apply(session: Session, plan: Plan, instance_ids: list[str]) -> tuple[list[str], list[str]]:
    """Modify what the plan can; returns (modified ids, ids left for the general path)."""
    raw = Raw.of(session)
    found = {row[0]: row for row in raw.rows_in(LOAD_INSTANCES, instance_ids)
             if row[1] == plan.definition_id}
    ordered = [i for i in instance_ids if i in found]
    trees: dict[str, list[tuple]] = {i: [] for i in ordered}
    for row in raw.rows_in(LOAD_TREES, ordered):
        trees[row[0]].append(row[1:])

    now = clock.now()
    records = history.records_instances()
    modified, left = [], [i for i in instance_ids if i not in found]
    cancelled: list[str] = []
    created: list[tuple[str, _New]] = []
    for pi in ordered:
        outcome = _run(plan, pi, trees[pi])
        if outcome is None:
            left.append(pi)
            continue
        gone, new = outcome
        modified.append(pi)
        cancelled += gone
        created += [(pi, n) for n in new]

    if modified and not serialises_writers(session.get_bind()):
        revisions = [found[pi][4] for pi in modified]
        if raw.execute(BUMP_REVISIONS, (SEPARATOR.join(modified),
                                        SEPARATOR.join(map(str, revisions)))) != len(modified):
            from modbatch.engine.persistence import OptimisticLockingError
            raise OptimisticLockingError(
                "ENGINE-03005 Execution of 'UPDATE ProcessInstance' failed. Entity was updated "
                "by another transaction concurrently.")
    if cancelled:
        if records:
            raw.execute_in(END_HAI, cancelled, (raw.timestamp(now), True, False, millis(now)))
        gone = set(cancelled)
        local = [row[0] for row in raw.rows_in(LOCAL_VARIABLES, modified) if row[1] in gone]
        raw.execute_in(DELETE_VARIABLES, local)
        raw.execute_in(DELETE_TASKS, cancelled)
        raw.execute_in(DELETE_ACTIVITY_INSTANCES, cancelled)
    stamp = raw.timestamp(now)
    alive = [(pi, n) for pi, n in created if not n.cancelled]
    raw.insert(AI, INSERT_AI, [
        (n.id, pi, pi, n.activity.id, n.activity.type, n.activity.name, n.execution_id, n.seq,
         None, None) for pi, n in alive])
    raw.insert(TASK, INSERT_TASK, [
        (n.task_id, pi, n.id, n.execution_id, plan.definition_id, n.activity.id, n.activity.name,
         found[pi][2], stamp, 50, found[pi][3], n.assignee) for pi, n in alive])
    if records:
        start_millis = millis(now)
        raw.insert(HAI, INSERT_HAI, [
            (n.id, pi, n.activity.id, n.activity.name, n.activity.type, found[pi][5],
             plan.definition_id, pi, n.execution_id, None if n.cancelled else n.task_id,
             None if n.cancelled else n.assignee, None, stamp, stamp if n.cancelled else None,
             0 if n.cancelled else None, n.cancelled, False, found[pi][2], None,
             found[pi][6] or pi, n.sequence, start_millis) for pi, n in created])
    if left:  # in the job's order, so that its first failure is reported first
        leftover = set(left)
        left = [i for i in instance_ids if i in leftover]
    return modified, left


def _run(plan: Plan, pi: str, tree: list[tuple]) -> tuple[list[str], list[_New]] | None:
    """One instance's outcome: (ids of its activity instances cancelled, instances created), or
    None when it has something the plan does not model."""
    # id -> (activity id, seq, parent id) of what is active, in the order Camunda cancels
    alive: dict[str, tuple[str, int, str]] = {}
    for ai_id, parent_id, activity_id, seq, async_phase, compensating_for in tree:
        alive[ai_id] = (activity_id, seq, parent_id)
    snapshots = {index: [a for a, row in alive.items() if row[0] == step.activity.id]
                 for index, step in enumerate(plan.steps) if step.snapshot}
    tokens = {row[0]: row for row in tree}
    new: dict[str, _New] = {}
    gone: list[str] = []
    for index, step in enumerate(plan.steps):
        if step.kind == CANCEL:
            if step.snapshot:
                targets = snapshots[index]
                if any(t not in alive for t in targets):
                    return None  # the general path reports the missing instance
            else:
                targets = sorted((a for a, row in alive.items() if row[0] == step.activity.id),
                                 key=lambda a: alive[a][1])
            for target in targets:
                if target in new:
                    new[target].cancelled = True
                else:
                    _, parent_id, _, _, async_phase, compensating_for = tokens[target]
                    if parent_id != pi or async_phase is not None or compensating_for is not None:
                        return None
                    gone.append(target)
                del alive[target]
        else:
            activity = step.activity
            seq = max((row[1] for row in alive.values()), default=0) + 1
            ai_id = activity_instance_id(activity.id)
            execution_id = new_id()
            sequence = history.next_sequence() if history.records_instances() else 0
            new[ai_id] = _New(ai_id, activity, execution_id, seq, sequence, step.assignee, new_id())
            alive[ai_id] = (activity.id, seq, pi)
    if not any(row[2] == pi for row in alive.values()):
        return None  # the instance would end: the general path ends it
    return gone, list(new.values())
