"""History events recorded in memory while the runtime works; ``engine.history`` writes them.

The runtime knows no database, so it notes what Camunda's history event producer would emit
(activity instances started and ended, pass-through activities, variables created and updated,
the process instance's start activity) in a ``HistoryLog`` on the ``InstanceState``; the
persistence flush writes every log of a set of instances with a few executemany statements.

Levels are Camunda's (``none``, ``activity``, ``audit``, ``full``): ``activity`` records process
and activity instances, ``audit`` adds variable instances, ``full`` adds incidents.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from modbatch.engine import clock

if TYPE_CHECKING:
    from modbatch.engine.runtime.state import ActivityInstanceState, InstanceState, VariableState

LEVELS = ("none", "activity", "audit", "full")
DEFAULT_LEVEL = "full"  # Camunda Run's default
# the historic process instance's deleteReason when a modification cancelled its last activity
# (Camunda's AbstractInstanceCancellationCmd, its spelling included)
MODIFICATION_REASON = "Cancellation due to process instance modifcation"
_level = DEFAULT_LEVEL

# Camunda's sequenceCounter orders events of one execution; here one counter per engine
# process, started from the clock, orders every history row of every instance.
_sequence = itertools.count(int(time.time() * 1000) * 1000)


def next_sequence() -> int:
    """The next history sequence counter (for writers that record history without a log)."""
    return next(_sequence)


def configure(level: str) -> None:
    global _level
    if level not in LEVELS:
        raise ValueError(f"MODBATCH_HISTORY_LEVEL must be one of {', '.join(LEVELS)}, not '{level}'")
    _level = level


def level() -> str:
    return _level


def records_instances() -> bool:
    return _level != "none"


def records_variables() -> bool:
    return _level in ("audit", "full")


def records_incidents() -> bool:
    return _level == "full"


@dataclass
class ActivityRecord:
    """One historic activity instance started in this unit of work (ended too, if ``end`` is set)."""

    id: str
    activity_id: str
    activity_name: str | None
    activity_type: str
    parent_id: str
    execution_id: str
    start: datetime
    sequence: int
    end: datetime | None = None
    canceled: bool = False
    complete_scope: bool = False
    # a call activity's called instance (set by ``engine.calls`` when it starts it)
    called_process_instance_id: str | None = None


@dataclass
class VariableRecord:
    var: "VariableState"  # its value is the latest, even once the variable left the instance
    execution_id: str
    created: datetime


@dataclass
class HistoryLog:
    started: dict[str, ActivityRecord] = field(default_factory=dict)
    # activity instances started in an earlier unit of work: (id, end, canceled, completeScope)
    ended: list[tuple[str, datetime, bool, bool]] = field(default_factory=list)
    variables_created: dict[str, VariableRecord] = field(default_factory=dict)
    variables_updated: dict[str, "VariableState"] = field(default_factory=dict)
    start_activity_id: str | None = None


def log(state: "InstanceState") -> HistoryLog | None:
    """The instance's log, created on first use; None when the level records nothing."""
    if _level == "none":
        return None
    if state.history is None:
        state.history = HistoryLog()
    return state.history


def activity_started(state: "InstanceState", ai: "ActivityInstanceState") -> None:
    history = log(state)
    if history is None or ai.async_phase is not None:
        return
    history.started[ai.id] = ActivityRecord(
        ai.id, ai.activity_id, ai.activity_name, ai.activity_type, ai.parent_id, ai.execution_id,
        clock.now(), next(_sequence))


def activity_ended(state: "InstanceState", ai: "ActivityInstanceState", *, canceled: bool) -> None:
    history = log(state)
    if history is None or ai.async_phase is not None:
        return
    activity = state.model.activities.get(ai.activity_id)
    complete_scope = not canceled and activity is not None and not activity.outgoing
    now = clock.now()
    record = history.started.get(ai.id)
    if record is not None:
        record.end, record.canceled, record.complete_scope = now, canceled, complete_scope
    else:
        history.ended.append((ai.id, now, canceled, complete_scope))


def passed_through(state: "InstanceState", activity, scope_id: str) -> None:
    """An activity that ran without an activity instance of its own (gateway, event, script):
    Camunda records it too, started and ended at once."""
    history = log(state)
    if history is None:
        return
    from modbatch.engine.runtime.state import activity_instance_id

    scope = state.activity_instances.get(scope_id)
    now = clock.now()
    ai_id = activity_instance_id(activity.id)
    history.started[ai_id] = ActivityRecord(
        ai_id, activity.id, activity.name, activity.type, scope_id,
        scope.execution_id if scope is not None else state.id, now, next(_sequence), end=now,
        complete_scope=not activity.outgoing and not activity.is_boundary)


def variable_set(state: "InstanceState", var: "VariableState", *, created: bool) -> None:
    if not records_variables():
        return
    history = log(state)
    assert history is not None
    if created:
        scope = state.activity_instances.get(var.scope) if var.scope else None
        history.variables_created[var.id] = VariableRecord(
            var, scope.execution_id if scope is not None else state.id, clock.now())
    elif var.id not in history.variables_created:
        history.variables_updated[var.id] = var


def process_started(state: "InstanceState", start_activity_id: str) -> None:
    history = log(state)
    if history is not None:
        history.start_activity_id = start_activity_id
