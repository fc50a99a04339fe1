"""Event sub-processes: sub-processes started by an event while their enclosing scope runs.

When a scope instance is created (the process instance, a sub-process instance) the start
events of the event sub-processes directly inside it begin to wait, owned by that scope
instance: a message or signal subscription, a timer job (``timer-start-event-subprocess``) or a
``conditional`` subscription. The process instance itself owns those of process-level event
sub-processes (owner = the process instance id, which is also its execution id), so they are
written and loaded like any other and vanish when the scope ends
(``InstanceState.remove_activity_instance``, or the instance's end).

Triggering sends a token into the event sub-process in the scope instance, so its instance is
a child of the scope's. An interrupting start event (``Activity.cancel_activity`` =
isInterrupting) first cancels everything else in the scope and removes every job and
subscription the scope instance owns (Camunda's ExecutionEntity#interrupt); a non-interrupting
one runs alongside and its subscription stays (a non-interrupting timer cycle schedules its
next job, as boundary timers do).

Errors and escalations find error and escalation start events while the runtime walks up the
scope tree (``catch_error``, ``catch_escalation``), in Camunda's order: at each scope, the
handlers registered on that scope, event sub-processes inside it before the boundary events
attached to it (see each function for the order within); an event sub-process never catches
what is thrown inside itself.

Conditional start events are evaluated when their scope is created (before its start event
runs) and whenever the runtime sets a variable in that scope or an enclosing one
(``check_conditions``, called by the token loop before its next step).

Started by modification, the event sub-process (or its start event) interrupts its scope as a
trigger would; starting an activity inside it interrupts nothing, as in Camunda. The event
sub-process itself is a ``subProcess`` (Camunda's activity type, with ``triggered_by_event``):
entered directly it runs like any sub-process, from its one start event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modbatch.engine import clock
from modbatch.engine.bpmn.expression import ExpressionError
from modbatch.engine.bpmn.model import Activity, ProcessModel
from modbatch.engine.runtime.behaviours.base import Behaviour, PassThrough
from modbatch.engine.runtime.state import SubscriptionState, new_id
from modbatch.engine.variables import TypedValue, infer

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime

TIMER_HANDLER = "timer-start-event-subprocess"
_SUBSCRIBED = {"messageStartEvent": "message", "signalStartEvent": "signal",
               "conditionalStartEvent": "conditional"}


def start_of(model: ProcessModel, activity_id: str) -> Activity | None:
    """The activity if it is the start event of an event sub-process, else None."""
    activity = model.activities.get(activity_id)
    if activity is None:
        return None
    scope = model.activities.get(activity.scope_id)
    if scope is None or not scope.triggered_by_event or scope.start_event_id != activity.id:
        return None  # not in an event sub-process, or a catch event inside one
    return activity


def _starts_in(model: ProcessModel, scope_activity_id: str) -> list[Activity]:
    return [model.activities[model.activities[esp].start_event_id or ""]
            for esp in model.event_subprocesses.get(scope_activity_id, ())]


# ---------------------------------------------------------------------------- scope creation
def open_scope(rt: "Runtime", scope_id: str) -> None:
    """The scope instance ``scope_id`` was created: its event sub-processes' starts wait."""
    scope_activity = rt.model.id if scope_id == rt.state.id else \
        rt.state.activity_instances[scope_id].activity_id
    if scope_activity not in rt.model.event_subprocesses:
        return
    for start in _starts_in(rt.model, scope_activity):
        if start.type == "startTimerEvent":
            rt.add_timer(scope_id, start, TIMER_HANDLER)
        elif start.type == "conditionalStartEvent":
            sub = SubscriptionState(id=new_id(), owner=scope_id, activity_id=start.id,
                                    event_type="conditional", event_name=None,
                                    created=clock.now())
            rt.state.subscriptions[sub.id] = sub
            rt.variable_events.append((scope_id, None, None))  # evaluated on scope instantiation
        elif start.type in _SUBSCRIBED:
            rt.add_subscription(scope_id, start, _SUBSCRIBED[start.type])


# ---------------------------------------------------------------------------- triggering
def interrupt(rt: "Runtime", scope_id: str, keep: str | None = None) -> None:
    """Cancel everything in the scope instance but ``keep``, and remove the jobs and event
    subscriptions the scope instance owns (its event sub-process starts, and a sub-process's
    own boundary events), as Camunda's ExecutionEntity#interrupt does."""
    for child in rt.state.children(scope_id):
        if child.id != keep:
            rt.remove_subtree(child.id, cancelled=True)
    rt.drop_tokens_in(scope_id)
    for owned in (rt.state.jobs, rt.state.subscriptions):
        # compensate subscriptions stay (removeEventSubscriptionsExceptCompensation)
        for key in [k for k, v in owned.items()
                    if v.owner == scope_id and getattr(v, "event_type", None) != "compensate"]:
            del owned[key]


def run_event_subprocess(rt: "Runtime", scope_id: str, start: Activity) -> None:
    """Start the event sub-process of ``start`` in the scope instance: a token enters it like
    any sub-process (so camunda:asyncBefore on it or on its start event holds), after an
    interrupting start has cleared the scope."""
    if start.cancel_activity:
        interrupt(rt, scope_id)
    rt.push("enter", start.scope_id, scope_id)


def triggered(rt: "Runtime", scope_id: str, activity_id: str,
              variables: dict[str, TypedValue] | None,
              local_variables: dict[str, TypedValue] | None) -> bool:
    """``Runtime.trigger`` hook: a message, signal or conditional start event of an event
    sub-process fired for the scope instance that owns its subscription."""
    start = start_of(rt.model, activity_id)
    if start is None:
        return False
    if rt.state.alive(scope_id) and not rt.state.ended:
        for name, value in (variables or {}).items():
            rt.set_variable(name, value, scope_id)
        for name, value in (local_variables or {}).items():
            rt.set_variable(name, value, scope_id, local=True)
        run_event_subprocess(rt, scope_id, start)
        rt.run()
        rt.end_if_empty()
    return True


def fire_timer(rt: "Runtime", job_id: str) -> bool:
    """``Runtime.fire_job`` hook: an event sub-process timer is due (a cycle's next job was
    already scheduled by ``jobs.run``)."""
    job = rt.state.jobs.get(job_id)
    if job is None or job.handler_type != TIMER_HANDLER:
        return False
    del rt.state.jobs[job_id]
    return triggered(rt, job.owner, job.activity_id, None, None)


# ---------------------------------------------------------------------------- errors, escalations
def handlers(rt: "Runtime", ai_id: str, kind: str, chain: list[str]) -> list[Activity]:
    """Start events of ``kind`` of the event sub-processes in the scope instance ``ai_id``, in
    document order, without those the throw happened in (Camunda does not let an event
    sub-process catch what it throws itself)."""
    if ai_id != rt.state.id and rt.state.activity_instances[ai_id].is_transition:
        return []
    thrown_in = {rt.state.activity_instances[a].activity_id for a in chain if a != rt.state.id}
    return [s for s in _starts_in(rt.model, rt.state.scope_activity(ai_id))
            if s.type == kind and s.scope_id not in thrown_in]


def catch_error(rt: "Runtime", ai_id: str, chain: list[str], code: str,
                message: str | None) -> bool:
    """``Runtime.propagate_error`` hook for one scope instance of the walk up ``chain``.

    Camunda gives error start events of event sub-processes precedence 10 over the boundary
    events attached to the same scope (0), plus 1 for naming the error code: so an event
    sub-process for the exact code catches first, then a catch-all one, and only then the
    boundary events (which ``propagate_error`` itself looks at)."""
    starts = handlers(rt, ai_id, "errorStartEvent", chain)
    start = next((s for s in starts if s.event_name is not None and s.event_name == code), None) \
        or next((s for s in starts if s.event_name is None), None)
    if start is None:
        return False
    values: dict[str, TypedValue] = {}
    if start.error_code_variable:
        values[start.error_code_variable] = infer(code)
    if start.error_message_variable:
        values[start.error_message_variable] = infer(message)
    interrupt(rt, ai_id)
    for name, value in values.items():
        rt.set_variable(name, value, ai_id)
    run_event_subprocess(rt, ai_id, start)
    return True


def catch_escalation(rt: "Runtime", ai_id: str, chain: list[str], code: str | None) -> bool:
    """``Runtime.propagate_escalation`` hook for one scope instance of the walk up ``chain``.

    As Camunda's EscalationEventDefinitionFinder: the first definition of the scope that
    matches (its code, or none), in parse order: event sub-processes inside the scope before
    the boundary events attached to it. The code lands in camunda:escalationCodeVariable."""
    start = next((s for s in handlers(rt, ai_id, "escalationStartEvent", chain)
                  if s.event_name is None or s.event_name == code), None)
    if start is None:
        return False
    if start.cancel_activity:
        interrupt(rt, ai_id)
    if start.error_code_variable:
        rt.set_variable(start.error_code_variable, infer(code), ai_id)
    run_event_subprocess(rt, ai_id, start)
    return True


# ---------------------------------------------------------------------------- conditions
def check_conditions(rt: "Runtime") -> bool:
    """After variables changed: trigger the conditional starts whose scope saw the change and
    whose condition holds. Returns whether tokens were queued."""
    events, rt.variable_events = rt.variable_events, []
    if not _has_conditions(rt.model):
        return bool(rt.queue)
    waiting = sorted((s for s in rt.state.subscriptions.values() if s.event_type == "conditional"),
                     key=lambda s: (s.created, s.id))
    for sub in waiting:
        if sub.id not in rt.state.subscriptions or not rt.state.alive(sub.owner):
            continue  # an interrupting start fired meanwhile
        start = rt.model.activities[sub.activity_id]
        scopes = set(rt.state.ancestors(sub.owner))
        if any(scope in scopes and _listens(start, name, kind) for scope, name, kind in events) \
                and _try_evaluate(rt, start, sub.owner):
            run_event_subprocess(rt, sub.owner, start)
    return bool(rt.queue)


def _listens(start: Activity, name: str | None, kind: str | None) -> bool:
    """Camunda's shouldEvaluateForVariableEvent: without camunda:variableName any change counts;
    with it, a change of that variable whose kind camunda:variableEvents lists (or any kind)."""
    if name is None or start.condition_variable is None:
        return True
    return name == start.condition_variable and (not start.condition_events
                                                 or kind in start.condition_events)


def _try_evaluate(rt: "Runtime", start: Activity, scope_id: str) -> bool:
    """Camunda's Condition#tryEvaluate: a variable the condition names but that does not exist
    makes it false instead of failing the command."""
    if start.condition is None:
        return False
    try:
        return _truthy(rt.evaluate(start.condition, scope_id))
    except ExpressionError as error:
        if error.message.startswith("Unknown property used in expression"):
            return False
        raise


def _has_conditions(model: ProcessModel) -> bool:
    """Whether the model has conditional start events (cached on the frozen model)."""
    cached = model.__dict__.get("_conditional_starts")
    if cached is None:
        cached = any(a.type == "conditionalStartEvent" for a in model.activities.values())
        object.__setattr__(model, "_conditional_starts", cached)
    return cached


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


# ---------------------------------------------------------------------------- behaviours
class EventStart(PassThrough):
    """Start events of every kind; in an interrupting event sub-process the start interrupts
    the enclosing scope (a trigger did so already; a modification starting here did not)."""

    def work(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        if not activity.cancel_activity or start_of(rt.model, activity.id) is None:
            return
        node = rt.state.activity_instances.get(scope_id)
        if node is not None and node.activity_id == activity.scope_id:
            interrupt(rt, node.parent_id, keep=node.id)


_start = EventStart()
BEHAVIOURS: dict[str, Behaviour] = {
    "messageStartEvent": _start, "signalStartEvent": _start, "startTimerEvent": _start,
    "errorStartEvent": _start, "escalationStartEvent": _start, "conditionalStartEvent": _start,
}
