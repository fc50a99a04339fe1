"""Business rule tasks with camunda:decisionRef: evaluate a DMN decision as the token passes.

The runtime has no database: the decision is resolved through the lookup the command layer put on
the ``InstanceState`` (``modbatch.engine.decisions.DecisionLookup``), then evaluated in memory on
the variables visible from the task, and its result mapped into camunda:resultVariable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from modbatch.engine.bpmn.model import Activity
from modbatch.engine.dmn import evaluate, map_result
from modbatch.engine.runtime.behaviours.tasks import ServiceTask
from modbatch.errors import ProcessEngineError

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime


class BusinessRuleTask(ServiceTask):
    """A decisionRef task evaluates its decision; any other business rule task is a service task."""

    def work(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        ref = activity.decision
        if ref is None:
            super().work(rt, activity, scope_id)
            return
        lookup = rt.state.decisions
        if lookup is None:  # pragma: no cover - every command hands its instances a lookup
            raise ProcessEngineError(f"No decision lookup for business rule task '{activity.id}'")
        variables = rt.state.visible_variables(scope_id)
        key = ref.key.evaluate(variables)
        version = None
        if ref.version is not None:
            raw = ref.version.evaluate(variables)
            try:
                version = int(raw)
            except (TypeError, ValueError):
                raise ProcessEngineError(
                    f"Invalid camunda:decisionRefVersion '{raw}' of business rule task "
                    f"'{activity.id}': not an integer", status=400) from None
        tenant_id = ref.tenant_id.evaluate(variables) if ref.tenant_id is not None \
            else rt.state.tenant_id
        decision = lookup(str(key), binding=ref.binding, version=version,
                          version_tag=ref.version_tag, tenant_id=tenant_id,
                          process_definition_id=rt.state.process_definition_id)
        result = evaluate(decision, variables)
        if activity.result_variable:
            rt.set_variable(activity.result_variable, map_result(result, ref.map_result), scope_id)
