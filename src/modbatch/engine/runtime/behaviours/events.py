"""Events: start, end, intermediate catch and throw, and boundary events.

Catch events wait in an activity instance that owns their timer job or subscription; boundary
events attach theirs to the host activity's instance when it is entered, so cancelling the host
removes them too. Errors and escalations are resolved up the scope tree by the runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modbatch.engine.bpmn.model import Activity
from modbatch.engine.runtime.behaviours.base import Behaviour, PassThrough
from modbatch.engine.runtime.state import ActivityInstanceState

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime


class StartEvent(PassThrough):
    """Every kind of start event: once the instance exists, the token just moves on."""


class NoneThrowEvent(PassThrough):
    pass


class EndEvent(Behaviour):
    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        owner = f"{activity.type} '{activity.id}'"
        rt.fire_listeners(activity.listeners, "start", scope_id, owner)
        self.throw(rt, activity, scope_id)
        if rt.state.alive(scope_id):
            rt.fire_listeners(activity.listeners, "end", scope_id, owner)
            # leaving takes no flow and ends the token; asyncAfter parks it in a job first
            rt.leave(activity, scope_id)

    def throw(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        return None


class TerminateEndEvent(EndEvent):
    """Ends its scope: everything else still running in it is cancelled."""

    def throw(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        for child in rt.state.children(scope_id):
            rt.remove_subtree(child.id, cancelled=True)
        rt.drop_tokens_in(scope_id)


class ErrorEndEvent(Behaviour):
    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        rt.fire_listeners(activity.listeners, "start", scope_id, f"{activity.type} '{activity.id}'")
        rt.propagate_error(activity.event_name or "", None, scope_id)


class EscalationEndEvent(EndEvent):
    def throw(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        rt.propagate_escalation(activity.event_name, scope_id)


class SignalEndEvent(EndEvent):
    def throw(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        rt.state.thrown_signals.append((activity.event_name or "", {}))


class EscalationThrowEvent(PassThrough):
    def work(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        rt.propagate_escalation(activity.event_name, scope_id)


class SignalThrowEvent(PassThrough):
    def work(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        rt.state.thrown_signals.append((activity.event_name or "", {}))


class TimerCatchEvent(Behaviour):
    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        ai = rt.create_instance(activity, scope_id)
        rt.add_timer(ai.id, activity, "timer-intermediate-transition")


class MessageCatchEvent(Behaviour):
    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        ai = rt.create_instance(activity, scope_id)
        rt.add_subscription(ai.id, activity, "message")


class SignalCatchEvent(Behaviour):
    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        ai = rt.create_instance(activity, scope_id)
        rt.add_subscription(ai.id, activity, "signal")


class BoundaryEvent(Behaviour):
    """Attached when the host is entered; started directly (modification) it fires at once."""

    def attach(self, rt: "Runtime", event: Activity, host: ActivityInstanceState) -> None:
        if event.type == "boundaryTimer":
            rt.add_timer(host.id, event, "timer-transition")
        elif event.type == "boundaryMessage":
            rt.add_subscription(host.id, event, "message")
        elif event.type == "boundarySignal":
            rt.add_subscription(host.id, event, "signal")

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        if activity.cancel_activity and activity.attached_to:
            for ai in rt.state.instances_of(activity.attached_to):
                if ai.parent_id == scope_id:
                    rt.remove_subtree(ai.id, cancelled=True)
        rt.leave(activity, scope_id)
