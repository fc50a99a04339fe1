"""Gateways: exclusive and inclusive choose by condition, parallel and inclusive joins wait,
the event-based gateway waits for whichever of its events comes first."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modbatch.engine.bpmn.model import Activity
from modbatch.engine.runtime.behaviours.base import Behaviour, PassThrough

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime


class ExclusiveGateway(PassThrough):
    def outgoing(self, rt: "Runtime", activity: Activity, scope_id: str) -> list[str]:
        return rt.select_flows(activity, scope_id, exclusive=True, required=True)


class ParallelGateway(Behaviour):
    """A join waits, as an activity instance, until every incoming flow arrived."""

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        if len(activity.incoming) <= 1:
            rt.leave(activity, scope_id)
            return
        rt.new_tree_node(activity, scope_id)
        waiting = [ai for ai in rt.state.children(scope_id) if ai.activity_id == activity.id]
        if len(waiting) >= len(activity.incoming):
            for ai in waiting[: len(activity.incoming)]:
                rt.state.remove_activity_instance(ai.id)
            rt.leave(activity, scope_id)

    def outgoing(self, rt: "Runtime", activity: Activity, scope_id: str) -> list[str]:
        return list(activity.outgoing)


class InclusiveGateway(Behaviour):
    """Forks on every true condition; joins once no other token of the scope can still arrive."""

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        if len(activity.incoming) <= 1:
            rt.leave(activity, scope_id)
            return
        rt.new_tree_node(activity, scope_id)
        if self._others_can_arrive(rt, activity, scope_id):
            return
        for ai in [ai for ai in rt.state.children(scope_id) if ai.activity_id == activity.id]:
            rt.state.remove_activity_instance(ai.id)
        rt.leave(activity, scope_id)

    @staticmethod
    def _others_can_arrive(rt: "Runtime", gateway: Activity, scope_id: str) -> bool:
        model = rt.model
        for ai in rt.state.children(scope_id):
            if ai.activity_id != gateway.id and model.reachable(ai.activity_id, gateway.id):
                return True
        for operation, element, scope in rt.queue:
            if scope != scope_id:
                continue
            target = model.flows[element].target_id if operation == "take" else element
            if target == gateway.id or model.reachable(target, gateway.id):
                return True
        return False

    def outgoing(self, rt: "Runtime", activity: Activity, scope_id: str) -> list[str]:
        return rt.select_flows(activity, scope_id, exclusive=False, required=True)


class EventBasedGateway(Behaviour):
    """Subscribes for each following catch event, all owned by the gateway's instance."""

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        ai = rt.create_instance(activity, scope_id)
        for flow_id in activity.outgoing:
            event = rt.model.activities[rt.model.flows[flow_id].target_id]
            if event.type == "intermediateTimer":
                rt.add_timer(ai.id, event, "timer-intermediate-transition")
            elif event.type == "intermediateSignalCatch":
                rt.add_subscription(ai.id, event, "signal")
            else:
                rt.add_subscription(ai.id, event, "message")

    def outgoing(self, rt: "Runtime", activity: Activity, scope_id: str) -> list[str]:
        return []  # never left by itself: ``Runtime.trigger`` moves the token to the event
