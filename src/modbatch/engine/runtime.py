"""The token runtime: one process instance held in memory, walked through its BPMN model.

An ``InstanceState`` is loaded from rows (or created fresh), changed by ``Runtime`` operations
(start, complete a task, modification instructions) and written back in bulk by
``modbatch.engine.persistence``. Nothing here touches the database, so a batch job can change
a hundred instances and then write them with a handful of statements.
"""

from __future__ import annotations

import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

from modbatch.engine import clock
from modbatch.engine.bpmn.model import Activity, IoParameter, ProcessModel
from modbatch.engine.variables import TypedValue, infer, plain
from modbatch.errors import ProcessEngineError

# A runaway loop (e.g. a gateway that always routes back) must fail, not hang the server.
MAX_STEPS = 10_000

WAIT_STATES = ("userTask",)


def new_id() -> str:
    return str(uuid.uuid4())


def activity_instance_id(activity_id: str) -> str:
    """Camunda's ``activityId:uuid``, falling back to the bare uuid when that exceeds 64 chars."""
    candidate = f"{activity_id}:{new_id()}"
    return candidate if len(candidate) <= 64 else new_id()


@dataclass
class ActivityInstanceState:
    id: str
    activity_id: str
    parent_id: str
    activity_type: str
    activity_name: str | None
    execution_id: str
    seq: int


@dataclass
class TaskState:
    id: str
    activity_instance_id: str
    execution_id: str
    task_definition_key: str
    name: str | None
    created: datetime
    priority: int = 50
    suspended: bool = False


@dataclass
class VariableState:
    id: str
    name: str
    scope: str | None  # activity instance id, or None for the process instance
    value: TypedValue


@dataclass
class InstanceState:
    """One process instance and everything that hangs off it, plus what changed since loading."""

    id: str
    model: ProcessModel
    process_definition_id: str
    process_definition_key: str
    business_key: str | None
    tenant_id: str | None
    suspended: bool
    start_time: datetime
    revision: int = 0
    is_new: bool = False
    activity_instances: dict[str, ActivityInstanceState] = field(default_factory=dict)
    tasks: dict[str, TaskState] = field(default_factory=dict)
    variables: dict[str, VariableState] = field(default_factory=dict)
    # set when the instance ended: COMPLETED, EXTERNALLY_TERMINATED or INTERNALLY_TERMINATED
    end_state: str | None = None
    dirty_variables: set[str] = field(default_factory=set)
    loaded_activity_instances: frozenset[str] = frozenset()
    loaded_tasks: frozenset[str] = frozenset()
    loaded_variables: frozenset[str] = frozenset()

    def mark_loaded(self) -> None:
        """Remember what is in the database, so persistence writes only the difference."""
        self.loaded_activity_instances = frozenset(self.activity_instances)
        self.loaded_tasks = frozenset(self.tasks)
        self.loaded_variables = frozenset(self.variables)
        self.dirty_variables = set()

    @property
    def ended(self) -> bool:
        return self.end_state is not None

    @property
    def changed(self) -> bool:
        return (self.is_new or self.ended or bool(self.dirty_variables)
                or set(self.activity_instances) != self.loaded_activity_instances
                or set(self.tasks) != self.loaded_tasks
                or set(self.variables) != self.loaded_variables)

    def children(self, parent_id: str) -> list[ActivityInstanceState]:
        return sorted((ai for ai in self.activity_instances.values() if ai.parent_id == parent_id),
                      key=lambda ai: ai.seq)

    def instances_of(self, activity_id: str) -> list[ActivityInstanceState]:
        return sorted((ai for ai in self.activity_instances.values()
                       if ai.activity_id == activity_id), key=lambda ai: ai.seq)

    def scope_activity(self, scope_id: str) -> str:
        """The model element a scope instance stands for: the process id for the root."""
        if scope_id == self.id:
            return self.model.id
        return self.activity_instances[scope_id].activity_id

    def ancestors(self, scope_id: str) -> list[str]:
        """Scope instance ids from ``scope_id`` up to and including the process instance id."""
        chain = [scope_id]
        while scope_id != self.id:
            scope_id = self.activity_instances[scope_id].parent_id
            chain.append(scope_id)
        return chain

    def visible_variables(self, scope_id: str) -> dict[str, Any]:
        """What an expression in ``scope_id`` sees: the nearest scope's variable wins."""
        chain = self.ancestors(scope_id) if self.alive(scope_id) else [self.id]
        result: dict[str, Any] = {}
        for scope in reversed(chain):
            key = None if scope == self.id else scope
            for var in self.variables.values():
                if var.scope == key:
                    result[var.name] = plain(var.value)
        return result

    def alive(self, scope_id: str) -> bool:
        return scope_id == self.id or scope_id in self.activity_instances

    def next_seq(self) -> int:
        return max((ai.seq for ai in self.activity_instances.values()), default=0) + 1

    def variable(self, name: str, scope: str | None) -> VariableState | None:
        for var in self.variables.values():
            if var.name == name and var.scope == scope:
                return var
        return None


class Runtime:
    """Executes BPMN semantics on one ``InstanceState``.

    Tokens wait in a queue of (operation, element, scope instance id); ``inflight`` counts the
    queued tokens per scope so a scope completes only when it has neither children nor tokens
    on their way. ``preserve_scope`` keeps an emptied process instance alive while a
    modification's instructions run; ``finish_modification`` decides its fate afterwards.
    """

    def __init__(self, state: InstanceState, *, skip_io_mappings: bool = False,
                 preserve_scope: bool = False) -> None:
        self.state = state
        self.model = state.model
        self.skip_io_mappings = skip_io_mappings
        self.preserve_scope = preserve_scope
        self.queue: deque[tuple[str, str, str]] = deque()
        self.inflight: Counter[str] = Counter()
        # why the process instance last became empty: "completed" (end event) or "cancelled"
        self.emptied_by: str | None = None
        self._pending_locals: tuple[str, dict[str, TypedValue]] | None = None

    # ------------------------------------------------------------------ entry points
    def start(self, variables: dict[str, TypedValue] | None = None) -> None:
        for name, value in (variables or {}).items():
            self.set_variable(name, value, self.state.id, local=True)
        self._push("enter", self.model.start_event_id, self.state.id)
        self.run()
        self._end_if_empty()

    def complete_task(self, task_id: str, variables: dict[str, TypedValue] | None = None) -> None:
        task = self.state.tasks[task_id]
        for name, value in (variables or {}).items():
            self.set_variable(name, value, task.activity_instance_id)
        ai = self.state.activity_instances[task.activity_instance_id]
        self._remove_activity_instance(ai.id)
        self._push("leave", ai.activity_id, ai.parent_id)
        self.run()
        self._end_if_empty()

    def start_before(self, activity_id: str, scope_id: str,
                     local_variables: dict[str, TypedValue] | None = None) -> None:
        self._pending_locals = (activity_id, local_variables or {})
        self._push("enter", activity_id, scope_id)
        self.run()

    def start_transition(self, flow_id: str, scope_id: str,
                         local_variables: dict[str, TypedValue] | None = None) -> None:
        self._pending_locals = (self.model.flows[flow_id].target_id, local_variables or {})
        self._push("take", flow_id, scope_id)
        self.run()

    def instantiate_scopes(self, scope_ids: Iterable[str], parent_id: str) -> str:
        """Create the missing sub-process instances on the way down to a start target."""
        for scope_activity in scope_ids:
            ai = self._create_activity_instance(self.model.activities[scope_activity], parent_id)
            self._apply_inputs(self.model.activities[scope_activity], ai.id)
            parent_id = ai.id
        return parent_id

    def cancel_activity_instance(self, ai_id: str) -> None:
        """Cancel an activity instance and every scope that would be left empty by it."""
        target = ai_id
        while True:
            parent = self.state.activity_instances[target].parent_id
            if parent == self.state.id:
                break
            if len(self.state.children(parent)) > 1 or self.inflight[parent]:
                break
            target = parent
        self._remove_subtree(target)
        if not self.state.children(self.state.id) and not self.inflight[self.state.id]:
            self.emptied_by = "cancelled"
            self._end_if_empty(state="EXTERNALLY_TERMINATED")

    def finish_modification(self, *, externally: bool) -> None:
        """After the last instruction: end the instance only if nothing is left in it."""
        self.preserve_scope = False
        if self.state.ended or self.state.children(self.state.id):
            return
        if self.emptied_by == "completed":
            self._end("COMPLETED")
        else:
            self._end("EXTERNALLY_TERMINATED" if externally else "INTERNALLY_TERMINATED")

    # ------------------------------------------------------------------ variables
    def set_variable(self, name: str, value: TypedValue, scope_id: str, *,
                     local: bool = False) -> None:
        """Camunda's setVariable: update where it exists up the scope chain, else create at the top."""
        chain = self.state.ancestors(scope_id)
        target: str | None = None
        if local:
            target = None if scope_id == self.state.id else scope_id
        else:
            for scope in chain:
                key = None if scope == self.state.id else scope
                if self.state.variable(name, key) is not None:
                    target = key
                    break
        existing = self.state.variable(name, target)
        if existing is not None:
            existing.value = value
            self.state.dirty_variables.add(existing.id)
        else:
            var = VariableState(new_id(), name, target, value)
            self.state.variables[var.id] = var

    def _evaluate(self, expression: Any, scope_id: str) -> Any:
        return expression.evaluate(self.state.visible_variables(scope_id))

    def _apply_inputs(self, activity: Activity, ai_id: str) -> None:
        if self.skip_io_mappings:
            return
        for parameter in activity.input_parameters:
            value = self._parameter_value(parameter, ai_id)
            self.set_variable(parameter.name, infer(value), ai_id, local=True)

    def _apply_outputs(self, activity: Activity, scope_id: str, ai_id: str | None) -> None:
        if self.skip_io_mappings or not activity.output_parameters:
            return
        for parameter in activity.output_parameters:
            value = self._parameter_value(parameter, ai_id or scope_id)
            self.set_variable(parameter.name, infer(value), scope_id)

    def _parameter_value(self, parameter: IoParameter, scope_id: str) -> Any:
        return None if parameter.value is None else self._evaluate(parameter.value, scope_id)

    # ------------------------------------------------------------------ the token loop
    def _push(self, operation: str, element: str, scope_id: str) -> None:
        self.queue.append((operation, element, scope_id))
        self.inflight[scope_id] += 1

    def run(self) -> None:
        steps = 0
        while self.queue:
            operation, element, scope_id = self.queue.popleft()
            self.inflight[scope_id] -= 1
            if not self.state.alive(scope_id) or self.state.ended:
                continue  # its scope was cancelled or terminated meanwhile
            steps += 1
            if steps > MAX_STEPS:
                raise ProcessEngineError(
                    f"Process instance '{self.state.id}' did not reach a wait state within "
                    f"{MAX_STEPS} steps; the model loops")
            if operation == "enter":
                self._enter(self.model.activities[element], scope_id)
            elif operation == "take":
                flow = self.model.flows[element]
                self._push("enter", flow.target_id, scope_id)
            else:
                self._leave(self.model.activities[element], scope_id, None)

    def _enter(self, activity: Activity, scope_id: str) -> None:
        kind = activity.type
        if kind == "userTask" or activity.external_topic is not None:
            ai = self._create_activity_instance(activity, scope_id)
            self._apply_inputs(activity, ai.id)
            if kind == "userTask":
                task = TaskState(new_id(), ai.id, ai.execution_id, activity.id, activity.name,
                                 clock.now())
                self.state.tasks[task.id] = task
        elif kind == "subProcess":
            ai = self._create_activity_instance(activity, scope_id)
            self._apply_inputs(activity, ai.id)
            self._push("enter", activity.start_event_id or "", ai.id)
        elif kind == "parallelGateway" and len(activity.incoming) > 1:
            self._join(activity, scope_id)
        elif kind == "noneEndEvent":
            self._token_ended(scope_id)
        elif kind == "terminateEndEvent":
            for child in self.state.children(scope_id):
                self._remove_subtree(child.id)
            self._drop_tokens_below(scope_id)
            self._token_ended(scope_id)
        elif kind == "boundaryTimer":
            # started directly (modification): an interrupting event cancels what it is attached to
            if activity.cancel_activity and activity.attached_to:
                for ai in self.state.instances_of(activity.attached_to):
                    if ai.parent_id == scope_id:
                        self._remove_subtree(ai.id)
            self._leave(activity, scope_id, None)
        else:
            ai_scope = scope_id
            if activity.input_parameters and not self.skip_io_mappings:
                # pass-through activities with input mappings get a short-lived local scope
                ai = self._create_activity_instance(activity, scope_id)
                self._apply_inputs(activity, ai.id)
                ai_scope = ai.id
            if kind == "serviceTask" and activity.expression is not None:
                result = self._evaluate(activity.expression, ai_scope)
                if activity.result_variable:
                    self.set_variable(activity.result_variable, infer(result), ai_scope)
            if ai_scope != scope_id:
                self._apply_outputs(activity, scope_id, ai_scope)
                self._remove_activity_instance(ai_scope)
                self._take_outgoing(activity, scope_id)
            else:
                self._leave(activity, scope_id, None)

    def _leave(self, activity: Activity, scope_id: str, ai_id: str | None) -> None:
        self._apply_outputs(activity, scope_id, ai_id)
        self._take_outgoing(activity, scope_id)

    def _take_outgoing(self, activity: Activity, scope_id: str) -> None:
        flows = self._select_flows(activity, scope_id)
        if not flows:
            self._token_ended(scope_id)
        for flow_id in flows:
            self._push("take", flow_id, scope_id)

    def _select_flows(self, activity: Activity, scope_id: str) -> list[str]:
        if not activity.outgoing:
            return []
        if activity.type == "parallelGateway":
            return list(activity.outgoing)
        chosen = []
        for flow_id in activity.outgoing:
            if flow_id == activity.default_flow:
                continue
            condition = self.model.flows[flow_id].condition
            if condition is None or self._truthy(self._evaluate(condition, scope_id)):
                chosen.append(flow_id)
                if activity.type == "exclusiveGateway":
                    break
        if not chosen and activity.default_flow:
            chosen.append(activity.default_flow)
        if not chosen:
            raise ProcessEngineError(
                f"ENGINE-02004 No outgoing sequence flow for the element with id "
                f"'{activity.id}' could be selected for continuing the process.")
        return chosen

    @staticmethod
    def _truthy(value: Any) -> bool:
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value)

    def _join(self, gateway: Activity, scope_id: str) -> None:
        """A parallel join waits, as an activity instance, until every incoming flow arrived."""
        self._create_activity_instance(gateway, scope_id)
        waiting = [ai for ai in self.state.children(scope_id) if ai.activity_id == gateway.id]
        if len(waiting) >= len(gateway.incoming):
            for ai in waiting[: len(gateway.incoming)]:
                self._remove_activity_instance(ai.id)
            self._leave(gateway, scope_id, None)

    def _token_ended(self, scope_id: str) -> None:
        """A token ended in ``scope_id``: complete the scope if nothing else is left in it."""
        if self.state.children(scope_id) or self.inflight[scope_id]:
            return
        if scope_id == self.state.id:
            self.emptied_by = "completed"
            if not self.preserve_scope:
                self._end("COMPLETED")
            return
        scope = self.state.activity_instances[scope_id]
        activity = self.model.activities[scope.activity_id]
        self._apply_outputs(activity, scope.parent_id, scope.id)
        self._remove_activity_instance(scope.id)
        self._take_outgoing(activity, scope.parent_id)

    def _end_if_empty(self, state: str = "COMPLETED") -> None:
        if self.preserve_scope or self.state.ended:
            return
        if not self.state.children(self.state.id) and not self.inflight[self.state.id]:
            self._end(state)

    def _end(self, end_state: str) -> None:
        self.state.end_state = end_state
        self.state.activity_instances.clear()
        self.state.tasks.clear()
        self.queue.clear()
        self.inflight.clear()

    # ------------------------------------------------------------------ tree edits
    def _create_activity_instance(self, activity: Activity, parent_id: str) -> ActivityInstanceState:
        ai = ActivityInstanceState(
            id=activity_instance_id(activity.id), activity_id=activity.id, parent_id=parent_id,
            activity_type=activity.type, activity_name=activity.name, execution_id=new_id(),
            seq=self.state.next_seq())
        self.state.activity_instances[ai.id] = ai
        if parent_id == self.state.id:
            self.emptied_by = None
        if self._pending_locals is not None and self._pending_locals[0] == activity.id:
            # a start instruction's local variables belong to the activity instance it creates
            for name, value in self._pending_locals[1].items():
                self.set_variable(name, value, ai.id, local=True)
            self._pending_locals = None
        return ai

    def _remove_activity_instance(self, ai_id: str) -> None:
        self.state.activity_instances.pop(ai_id, None)
        for task_id in [t.id for t in self.state.tasks.values() if t.activity_instance_id == ai_id]:
            del self.state.tasks[task_id]
        for var_id in [v.id for v in self.state.variables.values() if v.scope == ai_id]:
            del self.state.variables[var_id]

    def _remove_subtree(self, ai_id: str) -> None:
        for child in self.state.children(ai_id):
            self._remove_subtree(child.id)
        self._remove_activity_instance(ai_id)

    def _drop_tokens_below(self, scope_id: str) -> None:
        """Terminate: tokens still queued inside ``scope_id`` must not run."""
        kept = deque()
        for item in self.queue:
            if item[2] == scope_id:
                self.inflight[scope_id] -= 1
            else:
                kept.append(item)
        self.queue = kept


def new_instance(model: ProcessModel, *, process_definition_id: str, business_key: str | None,
                 tenant_id: str | None) -> InstanceState:
    return InstanceState(
        id=new_id(), model=model, process_definition_id=process_definition_id,
        process_definition_key=model.id, business_key=business_key, tenant_id=tenant_id,
        suspended=False, start_time=clock.now(), is_new=True)
