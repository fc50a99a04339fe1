"""Tasks: user tasks and receive tasks wait; service-like tasks run an expression, wait for an
external worker, or fail loudly when only a JVM could run them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modbatch.engine import clock
from modbatch.engine.bpmn.model import Activity
from modbatch.engine.runtime.behaviours.base import (
    Behaviour,
    PassThrough,
    run_expression,
    unsupported,
)
from modbatch.engine.runtime import scripts
from modbatch.engine.runtime.state import ExternalTaskState, TaskState, new_id
from modbatch.errors import ProcessEngineError

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime


class PlainTask(PassThrough):
    """task, manualTask: nothing to do but pass the token on."""


class UserTask(Behaviour):
    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        ai = rt.create_instance(activity, scope_id)
        if activity.jvm_implementation is not None:
            raise unsupported(activity.jvm_implementation, f"user task '{activity.id}'")
        task = TaskState(new_id(), ai.id, ai.execution_id, activity.id, activity.name, clock.now())
        if activity.assignee is not None:
            assignee = rt.evaluate(activity.assignee, ai.id)
            task.assignee = None if assignee is None else str(assignee)
        rt.state.tasks[task.id] = task
        owner = f"user task '{activity.id}'"
        rt.fire_listeners(activity.task_listeners, "create", ai.id, owner, task)
        if task.assignee is not None and rt.state.tasks.get(task.id) is task:
            rt.fire_listeners(activity.task_listeners, "assignment", ai.id, owner, task)


class ReceiveTask(Behaviour):
    """Waits for its message (or, without one, for a modification to move it on)."""

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        ai = rt.create_instance(activity, scope_id)
        if activity.event_name is not None:
            rt.add_subscription(ai.id, activity, "message")


class ServiceTask(PassThrough):
    """serviceTask, sendTask, businessRuleTask, scriptTask and message throw events."""

    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        if activity.external_topic is not None:
            start_external_task(rt, activity, scope_id)
            return
        super().execute(rt, activity, scope_id)

    def work(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        if activity.jvm_implementation is not None:
            raise unsupported(activity.jvm_implementation, f"{activity.type} '{activity.id}'")
        if activity.script is not None:
            scripts.run_script(rt, activity.script, scope_id, f"{activity.type} '{activity.id}'",
                               activity_id=activity.id, result_variable=activity.result_variable)
            return
        run_expression(rt, activity, scope_id)


def start_external_task(rt: "Runtime", activity: Activity, scope_id: str) -> None:
    """The token waits in an activity instance until a worker completes its external task."""
    ai = rt.create_instance(activity, scope_id)
    priority = 0
    if activity.task_priority is not None:
        value = rt.evaluate(activity.task_priority, ai.id)
        try:
            priority = int(value)
        except (TypeError, ValueError):
            raise ProcessEngineError(f"Priority value is not an Integer: camunda:taskPriority of "
                                     f"'{activity.id}' evaluated to '{value}'", status=400) from None
    task = ExternalTaskState(id=new_id(), owner=ai.id, activity_id=activity.id,
                             execution_id=ai.execution_id, topic_name=activity.external_topic or "",
                             priority=priority, created=clock.now())
    rt.state.external_tasks[task.id] = task
