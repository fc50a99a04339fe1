"""Compensation and transactions, after Camunda's CompensationUtil and CompensationEventHandler.

When an activity with a compensation boundary event completes, its enclosing scope instance gets a
``compensate`` subscription naming the handler. A completed sub-process keeps the compensate
subscriptions of its own activities in an *event scope* (an id that owns them once the sub-process
instance is gone) and leaves a subscription in its parent scope whose ``configuration`` names that
event scope.

A compensation throw (intermediate or end event, or a transaction's cancel end event) waits in its
own activity instance. It takes the subscriptions of its scope (all, or those of ``activityRef``)
and starts their handlers, newest first, as siblings of itself in the scope the compensated
activity ran in; an event-scope subscription brings the sub-process back as a scope instance
holding its own handlers. Each such instance records whom it compensates for
(``compensating_for``); when the last one ends, the waiter goes on: a throw event leaves, a
reactivated sub-process ends, a cancel end event fires its transaction's cancel boundary event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from modbatch.engine import clock
from modbatch.engine.bpmn.model import Activity
from modbatch.engine.runtime import history
from modbatch.engine.runtime.behaviours.base import Behaviour
from modbatch.engine.runtime.state import (
    ActivityInstanceState,
    SubscriptionState,
    VariableState,
    new_id,
)
from modbatch.errors import ProcessEngineError

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime

COMPENSATE = "compensate"
# activity types whose instance waits for the compensation handlers it started
WAITS_FOR_HANDLERS = frozenset({"intermediateCompensationThrowEvent", "compensationEndEvent",
                                "cancelEndEvent"})


# ---------------------------------------------------------------------- behaviours
class CompensationThrowEvent(Behaviour):
    """intermediateCompensationThrowEvent and compensationEndEvent (Camunda: always waits for
    the handlers; ``waitForCompletion="false"`` is accepted and ignored, as Camunda does)."""

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        ai = rt.create_instance(activity, scope_id)
        throw(rt, ai, activity.activity_ref)


class CancelEndEvent(Behaviour):
    """Interrupts the rest of the transaction (Camunda's INTERRUPT_FLOW_SCOPE), compensates its
    completed activities, then its cancel boundary event fires."""

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        cancel_boundary_event(rt, activity)
        for child in rt.state.children(scope_id):
            rt.remove_subtree(child.id, cancelled=True)
        rt.drop_tokens_in(scope_id)
        ai = rt.create_instance(activity, scope_id)
        throw(rt, ai, None)


class CompensationBoundaryEvent(Behaviour):
    """Only marks its host; a modification cannot start it (ActivityBeforeInstantiationCmd)."""

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        raise ProcessEngineError(f"Cannot start before activity {activity.id}; activity is a "
                                 "compensation boundary event.")


# ---------------------------------------------------------------------- subscriptions
def on_complete(rt: "Runtime", ai: ActivityInstanceState, activity: Activity) -> None:
    """An activity instance is left normally: remember how to compensate it (Camunda's doLeave)."""
    if ai.compensating_for is not None:
        return
    handler = rt.model.activities.get(activity.compensation_handler or "")
    if activity.is_scope:
        _keep_event_scope(rt, ai, activity, handler if _is_event_subprocess(handler) else None)
    if handler is not None and not _is_event_subprocess(handler):
        _subscribe(rt, ai.parent_id, handler.id)


def _is_event_subprocess(handler: Activity | None) -> bool:
    return handler is not None and getattr(handler, "triggered_by_event", False)


def _subscribe(rt: "Runtime", owner: str, activity_id: str, configuration: str | None = None,
               model: SubscriptionState | None = None) -> None:
    seq = model.seq if model is not None else max(
        (s.seq for s in rt.state.subscriptions.values()), default=0) + 1
    sub = SubscriptionState(id=new_id(), owner=owner, activity_id=activity_id,
                            event_type=COMPENSATE, event_name=None,
                            created=model.created if model is not None else clock.now(),
                            configuration=configuration, seq=seq)
    rt.state.subscriptions[sub.id] = sub


def _keep_event_scope(rt: "Runtime", ai: ActivityInstanceState, activity: Activity,
                      event_subprocess: Activity | None) -> None:
    """CompensationUtil.createEventScopeExecution: the sub-process's compensate subscriptions
    move to a new event scope with a snapshot of its local variables, and the parent scope
    subscribes for the sub-process itself (or for its compensation event sub-process)."""
    inner = owned_by(rt, ai.id)
    if not inner and event_subprocess is None:
        return
    event_scope = new_id()
    for sub in inner:
        del rt.state.subscriptions[sub.id]
        _subscribe(rt, event_scope, sub.activity_id, sub.configuration, model=sub)
    _move_variables(rt, ai.id, event_scope, keep=True, record=True)
    _subscribe(rt, ai.parent_id, (event_subprocess or activity).id, event_scope)


def _move_variables(rt: "Runtime", source: str, target: str | None, *, keep: bool = False,
                    record: bool = False) -> None:
    """Copy (or move) the local variables of ``source``; ``target`` None drops them. ``record``:
    the copies are new variables for history (Camunda sets them on the event scope execution)."""
    for var in [v for v in rt.state.variables.values() if v.scope == source]:
        if not keep:
            del rt.state.variables[var.id]
        if target is not None:
            copy = VariableState(new_id(), var.name, target, var.value)
            rt.state.variables[copy.id] = copy
            if record:
                history.variable_set(rt.state, copy, created=True)


def owned_by(rt: "Runtime", owner: str) -> list[SubscriptionState]:
    return [s for s in rt.state.subscriptions.values()
            if s.owner == owner and s.event_type == COMPENSATE]


# ---------------------------------------------------------------------- throwing
def throw(rt: "Runtime", waiter: ActivityInstanceState, activity_ref: str | None) -> None:
    """Start the handlers of the waiter's scope (collectCompensateEventSubscriptionsForScope /
    ForActivity); with none to run, the waiter leaves at once."""
    subs: list[SubscriptionState] = []
    scope_id = waiter.parent_id
    while True:
        subs += owned_by(rt, scope_id)
        # an event sub-process does not consume compensation: its parent scope's counts too
        if scope_id == rt.state.id or not getattr(
                rt.model.activities[rt.state.scope_activity(scope_id)], "triggered_by_event", False):
            break
        scope_id = rt.state.activity_instances[scope_id].parent_id
    if activity_ref is not None:
        wanted = rt.model.activities[activity_ref].compensation_handler or activity_ref
        subs = [s for s in subs if s.activity_id == wanted]
    _trigger(rt, subs, waiter.id, None)


def _trigger(rt: "Runtime", subs: Iterable[SubscriptionState], waiter_id: str,
             parent_id: str | None) -> None:
    """Run the handlers of ``subs`` (newest first) for ``waiter_id``; each starts in
    ``parent_id``, or else in the scope that owned its subscription."""
    ordered = sorted(subs, key=lambda s: (s.created, s.seq), reverse=True)
    for sub in ordered:
        rt.state.subscriptions.pop(sub.id, None)
    rt.compensation_spawning.add(waiter_id)
    try:
        for sub in ordered:
            parent = parent_id or sub.owner
            if not rt.state.alive(parent):
                continue
            activity = rt.model.activities[sub.activity_id]
            if sub.configuration is not None and _is_event_subprocess(activity):
                # the sub-process comes back and its compensation event sub-process runs in it;
                # the kept subscriptions wait there for a throw inside the event sub-process
                scope = _reactivate(rt, sub, rt.model.activities[activity.scope_id], parent, waiter_id)
                for inner in owned_by(rt, sub.configuration):
                    del rt.state.subscriptions[inner.id]
                    _subscribe(rt, scope.id, inner.activity_id, inner.configuration, model=inner)
                _start_handler(rt, activity, scope.id, scope.id)
            elif sub.configuration is not None:
                # a completed sub-process: its event scope comes back to compensate inside it
                scope = _reactivate(rt, sub, activity, parent, waiter_id)
                _trigger(rt, owned_by(rt, sub.configuration), scope.id, scope.id)
            else:
                rt.compensation_waiter = waiter_id
                try:
                    rt.execute(activity, parent)
                finally:
                    rt.compensation_waiter = None
    finally:
        rt.compensation_spawning.discard(waiter_id)
    _check_done(rt, waiter_id)


def _reactivate(rt: "Runtime", sub: SubscriptionState, activity: Activity, parent: str,
                waiter_id: str) -> ActivityInstanceState:
    scope = rt.new_tree_node(activity, parent)
    scope.compensating_for = waiter_id
    _move_variables(rt, sub.configuration or "", scope.id)
    return scope


def _start_handler(rt: "Runtime", handler: Activity, parent: str, waiter_id: str) -> None:
    """Run one handler for ``waiter_id``; the waiter is checked only once it has started."""
    rt.compensation_spawning.add(waiter_id)
    rt.compensation_waiter = waiter_id
    try:
        rt.execute(handler, parent)
    finally:
        rt.compensation_waiter = None
        rt.compensation_spawning.discard(waiter_id)
    _check_done(rt, waiter_id)


def handler_done(rt: "Runtime", ai: ActivityInstanceState) -> None:
    """A compensating instance completed (it is already removed); its waiter may go on."""
    if ai.compensating_for in rt.state.activity_instances:
        _check_done(rt, ai.compensating_for)
    else:  # its waiter is gone: the token just ends, as for an activity without outgoing flows
        rt.token_ended(ai.parent_id)


def _check_done(rt: "Runtime", waiter_id: str | None) -> None:
    if waiter_id is None or waiter_id in rt.compensation_spawning:
        return
    waiter = rt.state.activity_instances.get(waiter_id)
    if waiter is None or any(ai.compensating_for == waiter_id
                             for ai in rt.state.activity_instances.values()):
        return
    if waiter.compensating_for is not None:  # a reactivated event scope has compensated
        _drop_event_scopes(rt, waiter.id)
        rt.state.remove_activity_instance(waiter.id)
        handler_done(rt, waiter)
        return
    activity = rt.model.activities[waiter.activity_id]
    if activity.type == "cancelEndEvent":
        transaction = rt.state.activity_instances[waiter.parent_id]
        rt.boundary_event_fires(transaction, cancel_boundary_event(rt, activity))
    else:
        rt.complete(waiter)


def cancel_boundary_event(rt: "Runtime", end_event: Activity) -> Activity:
    for event_id in rt.model.boundary_events.get(end_event.scope_id, ()):
        event = rt.model.activities[event_id]
        if event.type == "cancelBoundaryCatch":
            return event
    raise ProcessEngineError(f"Could not find cancel boundary event for cancel end event "
                             f"Activity({end_event.id})")


# ---------------------------------------------------------------------- cancellation
def cancellation_target(rt: "Runtime", ai_id: str) -> str:
    """Cancelling the last handler a throw waits for cancels the throw too: in Camunda the
    handlers' executions hang under the throw's, so the cancellation walks up through it."""
    ai = rt.state.activity_instances[ai_id]
    while ai.compensating_for is not None:
        waiter = rt.state.activity_instances.get(ai.compensating_for)
        if waiter is None or any(x.compensating_for == waiter.id and x.id != ai.id
                                 for x in rt.state.activity_instances.values()):
            break
        rt.remove_subtree(ai.id, cancelled=True)
        ai = waiter
    if ai.activity_type in WAITS_FOR_HANDLERS:
        # a cancelled throw takes its handlers along first, so that its scope counts as emptied
        for handler in [x for x in rt.state.activity_instances.values() if x.compensating_for == ai.id]:
            rt.remove_subtree(handler.id, cancelled=True)
    return ai.id


def on_remove(rt: "Runtime", ai: ActivityInstanceState) -> None:
    """An activity instance goes: a waiting throw takes the handlers it started along, a scope
    the event scopes its subscriptions keep (Camunda's child executions of the scope)."""
    if ai.activity_type in WAITS_FOR_HANDLERS:
        for handler in [x for x in rt.state.activity_instances.values() if x.compensating_for == ai.id]:
            rt.remove_subtree(handler.id, cancelled=True)
    _drop_event_scopes(rt, ai.id)


def _drop_event_scopes(rt: "Runtime", owner: str) -> None:
    for sub in owned_by(rt, owner):
        if sub.configuration is not None:
            _drop_event_scopes(rt, sub.configuration)
            for inner in owned_by(rt, sub.configuration):
                del rt.state.subscriptions[inner.id]
            _move_variables(rt, sub.configuration, None)
