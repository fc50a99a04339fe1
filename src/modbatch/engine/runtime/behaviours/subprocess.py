"""Embedded sub-processes: a scope whose none start event runs inside it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from modbatch.engine.bpmn.model import Activity
from modbatch.engine.runtime.behaviours.base import Behaviour

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime


class SubProcess(Behaviour):
    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        ai = rt.create_instance(activity, scope_id)
        rt.push("enter", activity.start_event_id or "", ai.id)
