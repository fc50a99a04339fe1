"""What every element behaviour can do; the token loop calls only these three methods."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modbatch.engine.bpmn.model import Activity
from modbatch.engine.runtime.state import ActivityInstanceState
from modbatch.engine.variables import infer
from modbatch.errors import ProcessEngineError

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime


class UnsupportedImplementation(ProcessEngineError):
    """The token reached code only a Java runtime can run (camunda:class, delegateExpression, scripts)."""

    status = 400


def unsupported(what: str, owner: str) -> UnsupportedImplementation:
    return UnsupportedImplementation(
        f"modbatch runs no Java or script code: cannot run {what} of {owner}. Use camunda:expression "
        "or camunda:type=\"external\" instead, or move the token on with a process instance "
        "modification")


class Behaviour:
    """``execute`` a token that arrived; ``outgoing`` picks the flows when it leaves;
    ``attach`` is called for boundary events when the activity they hang on is entered."""

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        raise NotImplementedError

    def outgoing(self, rt: "Runtime", activity: Activity, scope_id: str) -> list[str]:
        """Camunda's implicit split: every flow without a condition or with a true one."""
        return rt.select_flows(activity, scope_id, exclusive=False, required=False)

    def attach(self, rt: "Runtime", event: Activity, host: ActivityInstanceState) -> None:
        return None

    # scope behaviours (a multi-instance body) may take over what happens inside their instances
    def token_ended_inside(self, rt: "Runtime", scope: ActivityInstanceState) -> bool:
        """A token ended directly in ``scope``; True when this behaviour handled it."""
        return False

    def child_completing(self, rt: "Runtime", scope: ActivityInstanceState,
                         child: ActivityInstanceState) -> None:
        """``child``, directly inside ``scope``, completes (its variables are still there)."""
        return None

    def child_started(self, rt: "Runtime", scope: ActivityInstanceState, child: Activity) -> None:
        """A modification starts ``child`` directly inside ``scope``."""
        return None

    def child_cancelled(self, rt: "Runtime", scope: ActivityInstanceState) -> None:
        """A modification cancelled an instance directly inside ``scope``."""
        return None


class PassThrough(Behaviour):
    """Does its work and leaves at once; gets an activity instance only when the model says
    it needs one (input mappings, boundary events), so that work runs in that scope."""

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        if activity.id in rt.model.instance_activities:
            ai = rt.create_instance(activity, scope_id)
            self.work(rt, activity, ai.id)
            if ai.id in rt.state.activity_instances:
                rt.complete(ai)
            return
        rt.fire_listeners(activity.listeners, "start", scope_id, f"{activity.type} '{activity.id}'")
        self.work(rt, activity, scope_id)
        if rt.state.alive(scope_id):
            rt.fire_listeners(activity.listeners, "end", scope_id, f"{activity.type} '{activity.id}'")
            self.finish(rt, activity, scope_id)

    def work(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        return None

    def finish(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        rt.apply_outputs(activity, scope_id, scope_id)
        rt.leave(activity, scope_id)


def run_expression(rt: "Runtime", activity: Activity, scope_id: str) -> None:
    """camunda:expression (or a JUEL script) and its camunda:resultVariable."""
    if activity.expression is None:
        return
    result = rt.evaluate(activity.expression, scope_id)
    if activity.result_variable:
        rt.set_variable(activity.result_variable, infer(result), scope_id)
