"""A process instance in memory: its activity-instance tree and everything its scopes own.

Tasks, jobs (async continuations, timers), event subscriptions and external tasks each belong to
one activity instance (``owner``). Removing an activity instance removes what it owns, in
``InstanceState.remove_activity_instance``, so completion, cancellation, interruption and
modification all clean up in the same place.
"""

from __future__ import annotations

import itertools
import os
import random
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modbatch.engine import clock
from modbatch.engine.bpmn.model import ProcessModel
from modbatch.engine.runtime import history as _history
from modbatch.engine.variables import TypedValue, plain


_counter = itertools.count()
_random = random.Random()
os.register_at_fork(after_in_child=_random.seed)  # a forked worker must not repeat the parent's


def new_id() -> str:
    """A time-ordered UUID (version 7 layout: milliseconds, a counter, 62 random bits).

    Ids created later sort later, so the rows a batch inserts land at the right edge of each
    B-tree index instead of on a random page, and the rows of instances started together sit
    together when a batch deletes them.
    """
    value = (time.time_ns() // 1_000_000 << 80 | 0x7 << 76 | (next(_counter) & 0xFFF) << 64
             | 0x2 << 62 | _random.getrandbits(62))
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def activity_instance_id(activity_id: str) -> str:
    """Camunda's ``activityId:uuid``, falling back to the bare uuid when that exceeds 64 chars."""
    candidate = f"{activity_id}:{new_id()}"
    return candidate if len(candidate) <= 64 else new_id()


@dataclass
class ActivityInstanceState:
    """A node of the tree; with ``async_phase`` set it is a transition instance (a token in a job)."""

    id: str
    activity_id: str
    parent_id: str
    activity_type: str
    activity_name: str | None
    execution_id: str
    seq: int
    async_phase: str | None = None
    # a compensation handler (or a compensated sub-process's event scope) set off by a throw:
    # the activity instance that waits for it
    compensating_for: str | None = None

    @property
    def is_transition(self) -> bool:
        return self.async_phase is not None


@dataclass
class TaskState:
    id: str
    activity_instance_id: str
    execution_id: str
    task_definition_key: str
    name: str | None
    created: datetime
    priority: int = 50
    suspended: bool = False
    assignee: str | None = None


@dataclass
class VariableState:
    id: str
    name: str
    scope: str | None  # activity instance id, or None for the process instance
    value: TypedValue


@dataclass
class JobState:
    """An async continuation or timer job owned by an activity (or transition) instance."""

    id: str
    owner: str
    activity_id: str
    type: str  # "message" or "timer"
    handler_type: str
    handler_configuration: str | None
    due_date: datetime | None
    exclusive: bool = True
    repeat: str | None = None
    retries: int = 3
    job_definition_id: str | None = None
    priority: int = 0


@dataclass
class SubscriptionState:
    """A message or signal an activity instance (or an event-based gateway) waits for."""

    id: str
    owner: str
    activity_id: str
    event_type: str
    event_name: str | None
    created: datetime
    # compensate subscriptions: the event scope kept for a completed sub-process, and the
    # order of creation (handlers run in reverse order of it)
    configuration: str | None = None
    seq: int = 0


@dataclass
class ExternalTaskState:
    id: str
    owner: str
    activity_id: str
    execution_id: str
    topic_name: str
    priority: int
    created: datetime


@dataclass
class InstanceState:
    """One process instance and everything that hangs off it, plus what changed since loading."""

    id: str
    model: ProcessModel
    process_definition_id: str
    process_definition_key: str
    business_key: str | None
    tenant_id: str | None
    suspended: bool
    start_time: datetime
    revision: int = 0
    is_new: bool = False
    activity_instances: dict[str, ActivityInstanceState] = field(default_factory=dict)
    tasks: dict[str, TaskState] = field(default_factory=dict)
    variables: dict[str, VariableState] = field(default_factory=dict)
    jobs: dict[str, JobState] = field(default_factory=dict)
    subscriptions: dict[str, SubscriptionState] = field(default_factory=dict)
    external_tasks: dict[str, ExternalTaskState] = field(default_factory=dict)
    # set when the instance ended: COMPLETED, EXTERNALLY_TERMINATED or INTERNALLY_TERMINATED
    end_state: str | None = None
    dirty_variables: set[str] = field(default_factory=set)
    loaded_activity_instances: frozenset[str] = frozenset()
    loaded_tasks: frozenset[str] = frozenset()
    loaded_variables: frozenset[str] = frozenset()
    loaded_jobs: frozenset[str] = frozenset()
    loaded_subscriptions: frozenset[str] = frozenset()
    loaded_external_tasks: frozenset[str] = frozenset()
    # signals thrown while running, delivered by the command once the instance is written
    thrown_signals: list[tuple[str, dict[str, TypedValue]]] = field(default_factory=list)
    # call activities: the calling instance and its call activity instance; calls to start,
    # call activity instances removed (their called instances go too), errors and escalations
    # nobody caught here (a calling instance may catch them); all handled by ``engine.calls``
    super_process_instance_id: str | None = None
    super_activity_instance_id: str | None = None
    root_process_instance_id: str | None = None
    pending_calls: list["PendingCall"] = field(default_factory=list)
    removed_calls: list[str] = field(default_factory=list)
    escaped_errors: list[tuple[str, str | None]] = field(default_factory=list)
    escaped_escalations: list[str | None] = field(default_factory=list)
    # history events since loading (``runtime.history``), written by the flush
    history: _history.HistoryLog | None = None
    delete_reason: str | None = None
    # the command layer's decision lookup (modbatch.engine.decisions.DecisionLookup): business
    # rule tasks resolve camunda:decisionRef through it; None where no session is at hand
    decisions: Any = None

    def mark_loaded(self) -> None:
        """Remember what is in the database, so persistence writes only the difference."""
        self.loaded_activity_instances = frozenset(self.activity_instances)
        self.loaded_tasks = frozenset(self.tasks)
        self.loaded_variables = frozenset(self.variables)
        self.loaded_jobs = frozenset(self.jobs)
        self.loaded_subscriptions = frozenset(self.subscriptions)
        self.loaded_external_tasks = frozenset(self.external_tasks)
        self.dirty_variables = set()

    @property
    def ended(self) -> bool:
        return self.end_state is not None

    @property
    def changed(self) -> bool:
        """A token that passed through without leaving a row behind (a non-interrupting event
        sub-process that ran to its end) still changed the instance: its history must be written."""
        return (self.is_new or self.ended or bool(self.dirty_variables)
                or self.history is not None
                or set(self.activity_instances) != self.loaded_activity_instances
                or set(self.tasks) != self.loaded_tasks
                or set(self.variables) != self.loaded_variables
                or set(self.jobs) != self.loaded_jobs
                or set(self.subscriptions) != self.loaded_subscriptions
                or set(self.external_tasks) != self.loaded_external_tasks)

    def children(self, parent_id: str) -> list[ActivityInstanceState]:
        return sorted((ai for ai in self.activity_instances.values() if ai.parent_id == parent_id),
                      key=lambda ai: ai.seq)

    def instances_of(self, activity_id: str, *, transitions: bool = False) -> list[ActivityInstanceState]:
        """Activity instances of an activity (or, with ``transitions``, its transition instances)."""
        return sorted((ai for ai in self.activity_instances.values()
                       if ai.activity_id == activity_id and ai.is_transition == transitions),
                      key=lambda ai: ai.seq)

    def scope_activity(self, scope_id: str) -> str:
        """The model element a scope instance stands for: the process id for the root."""
        if scope_id == self.id:
            return self.model.id
        return self.activity_instances[scope_id].activity_id

    def ancestors(self, scope_id: str) -> list[str]:
        """Scope instance ids from ``scope_id`` up to and including the process instance id."""
        chain = [scope_id]
        while scope_id != self.id:
            scope_id = self.activity_instances[scope_id].parent_id
            chain.append(scope_id)
        return chain

    def visible_variables(self, scope_id: str) -> dict[str, Any]:
        """What an expression in ``scope_id`` sees: the nearest scope's variable wins."""
        chain = self.ancestors(scope_id) if self.alive(scope_id) else [self.id]
        result: dict[str, Any] = {}
        for scope in reversed(chain):
            key = None if scope == self.id else scope
            for var in self.variables.values():
                if var.scope == key:
                    result[var.name] = plain(var.value)
        return result

    def local_variables(self, scope_id: str) -> dict[str, TypedValue]:
        key = None if scope_id == self.id else scope_id
        return {v.name: v.value for v in self.variables.values() if v.scope == key}

    def alive(self, scope_id: str) -> bool:
        return scope_id == self.id or scope_id in self.activity_instances

    def next_seq(self) -> int:
        return max((ai.seq for ai in self.activity_instances.values()), default=0) + 1

    def variable(self, name: str, scope: str | None) -> VariableState | None:
        for var in self.variables.values():
            if var.name == name and var.scope == scope:
                return var
        return None

    def remove_activity_instance(self, ai_id: str, *, canceled: bool = False) -> None:
        """Remove one tree node and everything it owns (not its children)."""
        removed = self.activity_instances.pop(ai_id, None)
        if removed is not None and removed.activity_type == "callActivity" and not removed.is_transition:
            self.removed_calls.append(ai_id)
        if removed is not None:
            _history.activity_ended(self, removed, canceled=canceled)
        for owned in (self.tasks, self.jobs, self.subscriptions, self.external_tasks):
            for key in [k for k, v in owned.items() if _owner(v) == ai_id]:
                del owned[key]
        for var_id in [v.id for v in self.variables.values() if v.scope == ai_id]:
            del self.variables[var_id]

    def clear(self) -> None:
        for ai in self.activity_instances.values():
            _history.activity_ended(self, ai, canceled=True)
        self.activity_instances.clear()
        self.tasks.clear()
        self.jobs.clear()
        self.subscriptions.clear()
        self.external_tasks.clear()


@dataclass
class PendingCall:
    """A call activity instance waiting for its called instance to be started (by ``engine.calls``)."""

    activity_instance_id: str
    activity_id: str
    key: str
    binding: str
    version: int | None
    version_tag: str | None
    # None: the calling definition's tenant; else (tenant id or None,) as camunda:calledElementTenantId said
    tenant: tuple[str | None] | None
    variables: dict[str, TypedValue]
    business_key: str | None


def _owner(row: Any) -> str:
    return row.activity_instance_id if isinstance(row, TaskState) else row.owner


def new_instance(model: ProcessModel, *, process_definition_id: str, business_key: str | None,
                 tenant_id: str | None) -> InstanceState:
    return InstanceState(
        id=new_id(), model=model, process_definition_id=process_definition_id,
        process_definition_key=model.id, business_key=business_key, tenant_id=tenant_id,
        suspended=False, start_time=clock.now(), is_new=True)
