"""Call activities: the token waits in the call activity instance while a called instance runs.

The runtime works on one instance, so the behaviour only prepares the call: it evaluates what
to call (calledElement, binding, version or tag, tenant) and the camunda:in mappings in the call
activity's scope, and records a ``PendingCall`` on the state. ``modbatch.engine.calls`` starts
the called instances when the states are saved, completes the call activity (camunda:out) when
a called instance completes, and cancels called instances whose call activity instance went.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modbatch.engine.bpmn.model import Activity, CallMapping
from modbatch.engine.runtime.behaviours.base import Behaviour, unsupported
from modbatch.engine.runtime.state import InstanceState, PendingCall
from modbatch.engine.variables import TypedValue, infer, plain
from modbatch.errors import ProcessEngineError

if TYPE_CHECKING:
    from modbatch.engine.runtime.runtime import Runtime


class CallActivity(Behaviour):
    def execute(self, rt: "Runtime", activity: Activity, scope_id: str) -> None:
        if activity.jvm_implementation is not None:
            raise unsupported(activity.jvm_implementation, f"callActivity '{activity.id}'")
        call = activity.call
        assert call is not None
        ai = rt.create_instance(activity, scope_id)
        key = rt.evaluate(call.called_element, ai.id)
        if key is None or str(key) == "":
            raise ProcessEngineError(f"The called element of callActivity '{activity.id}' evaluated to "
                                     "null: calledElement is null", type="NullValueException")
        version = None
        if call.version is not None:
            raw = rt.evaluate(call.version, ai.id)
            try:
                version = int(raw)
            except (TypeError, ValueError):
                raise ProcessEngineError(f"camunda:calledElementVersion of callActivity '{activity.id}' is "
                                         f"not a number: '{raw}'", status=400) from None
        tag = None if call.version_tag is None else _text(rt.evaluate(call.version_tag, ai.id))
        tenant = None if call.tenant_id is None else (_text(rt.evaluate(call.tenant_id, ai.id)),)
        variables: dict[str, TypedValue] = {}
        business_key = None
        for mapping in call.inputs:
            if mapping.business_key is not None:
                business_key = _text(rt.evaluate(mapping.business_key, ai.id))
            else:
                variables.update(mapped(rt.state, mapping, ai.id, rt))
        rt.state.pending_calls.append(PendingCall(
            activity_instance_id=ai.id, activity_id=activity.id, key=str(key), binding=call.binding,
            version=version, version_tag=tag, tenant=tenant, variables=variables,
            business_key=business_key))


def mapped(state: InstanceState, mapping: CallMapping, scope_id: str,
           rt: "Runtime | None" = None) -> dict[str, TypedValue]:
    """The variables one camunda:in / camunda:out passes, read in ``scope_id`` of ``state``
    (``local`` reads only that scope's own variables), with their types kept."""
    if mapping.all_variables:
        if mapping.local:
            return dict(state.local_variables(scope_id))
        return visible_typed(state, scope_id)
    assert mapping.target is not None
    if mapping.source_expression is not None:
        values = (state.local_variables(scope_id) if mapping.local else visible_typed(state, scope_id))
        return {mapping.target: infer(mapping.source_expression.evaluate(
            {name: plain(value) for name, value in values.items()}))}
    source = mapping.source or ""
    values = state.local_variables(scope_id) if mapping.local else visible_typed(state, scope_id)
    return {mapping.target: values.get(source, TypedValue("Null", None))}


def visible_typed(state: InstanceState, scope_id: str) -> dict[str, TypedValue]:
    """Every variable ``scope_id`` sees, typed: the nearest scope's value wins."""
    chain = state.ancestors(scope_id) if state.alive(scope_id) else [state.id]
    result: dict[str, TypedValue] = {}
    for scope in reversed(chain):
        result.update(state.local_variables(scope))
    return result


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
