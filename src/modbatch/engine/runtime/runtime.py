"""The token loop: one process instance held in memory, walked through its BPMN model.

An ``InstanceState`` is loaded from rows (or created fresh), changed by ``Runtime`` operations
(start, complete a task, fire a job, trigger an event, modification instructions) and written
back in bulk by ``modbatch.engine.persistence``. Nothing here touches the database, so a batch
job can change a hundred instances and then write them with a handful of statements.

The loop knows no element kinds: each token is handed to the behaviour registered for its
element's type (``behaviours``). What the loop owns is the scope tree: creating an activity
instance (inputs, start listeners, boundary events, local variables of a start instruction),
completing one (end listeners, outputs evaluated in its own scope, then removal), and cancelling
a subtree. Removal goes through ``InstanceState.remove_activity_instance``, which drops every
task, job, subscription and external task the instance owned.
"""

from __future__ import annotations

from collections import Counter, deque
from datetime import datetime
from typing import Any, Iterable

from modbatch.engine import clock
from modbatch.engine.bpmn.expression import compile_expression
from modbatch.engine.bpmn.model import Activity, IoParameter, Listener, ProcessModel, Script
from modbatch.engine.bpmn.timers import TimerError, job_configuration, parse_timer
from modbatch.engine.runtime import history, scripts
from modbatch.engine.runtime.behaviours import BEHAVIOURS, event_subprocess
from modbatch.engine.runtime.behaviours import compensation
from modbatch.engine.runtime.behaviours.base import unsupported
from modbatch.engine.runtime.job_definitions import job_definition_id
from modbatch.engine.runtime.state import (
    ActivityInstanceState,
    InstanceState,
    JobState,
    SubscriptionState,
    TaskState,
    VariableState,
    activity_instance_id,
    new_id,
)
from modbatch.engine.variables import TypedValue, infer
from modbatch.errors import ProcessEngineError

# A runaway loop (e.g. a gateway that always routes back) must fail, not hang the server.
MAX_STEPS = 10_000
DEFAULT_JOB_RETRIES = 3


def retries_for(activity: Activity) -> int:
    """A job's first retries: R<n> of camunda:failedJobRetryTimeCycle, else Camunda's 3."""
    cycle = activity.retry_time_cycle
    if cycle and cycle[1:].split("/")[0].isdigit():
        return int(cycle[1:].split("/")[0])
    return DEFAULT_JOB_RETRIES


class Runtime:
    """Executes BPMN semantics on one ``InstanceState``.

    Tokens wait in a queue of (operation, element, scope instance id); ``inflight`` counts the
    queued tokens per scope so a scope completes only when it has neither children nor tokens
    on their way. ``preserve_scope`` keeps an emptied process instance alive while a
    modification's instructions run; ``finish_modification`` decides its fate afterwards.
    """

    def __init__(self, state: InstanceState, *, skip_io_mappings: bool = False,
                 skip_custom_listeners: bool = False, preserve_scope: bool = False) -> None:
        self.behaviours = BEHAVIOURS
        self.state = state
        self.model: ProcessModel = state.model
        self.skip_io_mappings = skip_io_mappings
        self.skip_custom_listeners = skip_custom_listeners
        self.preserve_scope = preserve_scope
        self.queue: deque[tuple[str, str, str]] = deque()
        self.inflight: Counter[str] = Counter()
        # why the process instance last became empty: "completed" (end event) or "cancelled"
        self.emptied_by: str | None = None
        # local variables of a start instruction: (activity ids it may create, variables)
        self._pending_locals: tuple[frozenset[str], dict[str, TypedValue]] | None = None
        # what behaviours note for later steps of this run (a multi-instance body: the variables
        # of its inner instance that just completed, for the completion condition)
        self.notes: dict[str, Any] = {}
        self._steps = 0
        # (scope instance id, variable name, "create" | "update") since conditions were last
        # evaluated; (scope, None, None) when a scope with conditional events was created
        self.variable_events: list[tuple[str, str | None, str | None]] = []
        self._executing: str | None = None  # the activity being executed, until it has an instance
        # compensation: the throw the next handler instance works for; throws still starting theirs
        self.compensation_waiter: str | None = None
        self.compensation_spawning: set[str] = set()

    # ------------------------------------------------------------------ entry points
    def start(self, variables: dict[str, TypedValue] | None = None, *,
              start_activity_id: str | None = None) -> None:
        for name, value in (variables or {}).items():
            self.set_variable(name, value, self.state.id, local=True)
        start = start_activity_id or self.model.start_event_id
        if start is None:
            raise ProcessEngineError(
                "Cannot start process instance, initial activity where the process instance "
                "should start is not defined: initial is null", status=400,
                type="BadUserRequestException")
        self.fire_listeners(self.model.listeners, "start", self.state.id, f"process '{self.model.id}'")
        history.process_started(self.state, start)
        event_subprocess.open_scope(self, self.state.id)
        self.push("enter", start, self.state.id)
        self.run()
        self.end_if_empty()

    def complete_task(self, task_id: str, variables: dict[str, TypedValue] | None = None) -> None:
        task = self.state.tasks[task_id]
        for name, value in (variables or {}).items():
            self.set_variable(name, value, task.activity_instance_id)
        ai = self.state.activity_instances[task.activity_instance_id]
        activity = self.model.activities[ai.activity_id]
        self.fire_listeners(activity.task_listeners, "complete", ai.id, f"user task '{activity.id}'",
                            task)
        self.complete(ai)
        self.run()
        self.end_if_empty()

    def complete_activity(self, ai_id: str, variables: dict[str, TypedValue] | None = None,
                          local_variables: dict[str, TypedValue] | None = None) -> None:
        """A wait state is done (external task completed, message received): leave it."""
        ai = self.state.activity_instances[ai_id]
        for name, value in (variables or {}).items():
            self.set_variable(name, value, ai.id)
        for name, value in (local_variables or {}).items():
            self.set_variable(name, value, ai.id, local=True)
        self.complete(ai)
        self.run()
        self.end_if_empty()

    def trigger(self, ai_id: str, activity_id: str, variables: dict[str, TypedValue] | None = None,
                local_variables: dict[str, TypedValue] | None = None) -> None:
        """An event for ``activity_id`` arrived at the activity instance that waits for it.

        The waiting instance is the catch event or receive task itself, the activity a boundary
        event is attached to, or an event-based gateway in front of the event.
        """
        if event_subprocess.triggered(self, ai_id, activity_id, variables, local_variables):
            return
        ai = self.state.activity_instances.get(ai_id)
        if ai is None:
            return
        event = self.model.activities[activity_id]
        if event.is_boundary:
            for name, value in (variables or {}).items():
                self.set_variable(name, value, ai.parent_id)
            self.boundary_event_fires(ai, event)
        elif ai.activity_id == activity_id:
            for name, value in (variables or {}).items():
                self.set_variable(name, value, ai.id)
            for name, value in (local_variables or {}).items():
                self.set_variable(name, value, ai.id, local=True)
            self.complete(ai)
        else:  # an event-based gateway: the first event wins, the others go with the gateway
            parent = ai.parent_id
            self.remove_subtree(ai.id, cancelled=False)
            for name, value in (variables or {}).items():
                self.set_variable(name, value, parent)
            history.passed_through(self.state, event, parent)
            self.push("leave", event.id, parent)
        self.run()
        self.end_if_empty()

    def fire_job(self, job_id: str) -> None:
        """Run an async continuation or a timer owned by this instance."""
        if event_subprocess.fire_timer(self, job_id):
            return
        job = self.state.jobs.get(job_id)
        if job is None:
            return
        owner = self.state.activity_instances.get(job.owner)
        if owner is None:
            del self.state.jobs[job_id]
            return
        if job.handler_type == "async-continuation":
            activity = self.model.activities[owner.activity_id]
            parent = owner.parent_id
            phase = owner.async_phase
            carried = self.state.local_variables(owner.id)
            self.state.remove_activity_instance(owner.id)
            if phase == "before":
                if carried:  # a start instruction's locals move on to the activity instance
                    self._pending_locals = (frozenset({activity.id}), carried)
                self.push("execute", activity.id, parent)
            else:
                self.push("take-outgoing", activity.id, parent)
        else:
            # a cycle's next job was scheduled by jobs.run before this handler ran
            del self.state.jobs[job_id]
            self.trigger(owner.id, job.activity_id)
            return
        self.run()
        self.end_if_empty()

    def throw_bpmn_error(self, ai_id: str, error_code: str, error_message: str | None = None,
                         variables: dict[str, TypedValue] | None = None) -> None:
        """A worker reported a BPMN error for the activity instance it worked on."""
        ai = self.state.activity_instances[ai_id]
        for name, value in (variables or {}).items():
            self.set_variable(name, value, ai.id)
        self.propagate_error(error_code, error_message, ai.id, thrower=ai.id)
        self.run()
        self.end_if_empty()

    def throw_escalation(self, ai_id: str, code: str | None) -> None:
        """An escalation a called instance did not catch, thrown at its call activity instance."""
        self.propagate_escalation(code, ai_id)
        self.run()
        self.end_if_empty()

    # ------------------------------------------------------------------ modification
    def start_before(self, activity_id: str, scope_id: str,
                     local_variables: dict[str, TypedValue] | None = None,
                     created_scopes: Iterable[str] = ()) -> None:
        self._stage_locals(created_scopes, activity_id, local_variables)
        self._child_started(self.model.activities[activity_id], scope_id)
        self.push("enter", activity_id, scope_id)
        self.run()

    def start_transition(self, flow_id: str, scope_id: str,
                         local_variables: dict[str, TypedValue] | None = None,
                         created_scopes: Iterable[str] = ()) -> None:
        self._stage_locals(created_scopes, self.model.flows[flow_id].target_id, local_variables)
        self.push("take", flow_id, scope_id)
        self.run()

    def _stage_locals(self, created_scopes: Iterable[str], activity_id: str,
                      local_variables: dict[str, TypedValue] | None) -> None:
        """Local variables land on the innermost scope the instruction instantiated: the target
        itself when it is a scope (sub-process, boundary events, io mappings), else the innermost
        sub-process it had to create, else the target's own instance."""
        created = list(created_scopes)
        target = self.model.activities[activity_id]
        target_is_scope = (target.is_scope or activity_id in self.model.boundary_events
                           or bool(target.input_parameters or target.output_parameters)
                           or target.call is not None)  # a call activity is a scope in Camunda
        if local_variables and created and not target_is_scope:
            for name, value in local_variables.items():
                self.set_variable(name, value, created[-1], local=True)
            self._pending_locals = None
        else:
            self._pending_locals = (frozenset({activity_id}), local_variables or {})

    def instantiate_scopes(self, scope_ids: Iterable[str], parent_id: str) -> list[str]:
        """Create the missing sub-process instances on the way down to a start target."""
        created = []
        for scope_activity in scope_ids:
            self._child_started(self.model.activities[scope_activity], parent_id)
            ai = self.create_instance(self.model.activities[scope_activity], parent_id)
            parent_id = ai.id
            created.append(ai.id)
        return created

    def stage_locals(self, activity_id: str, values: dict[str, TypedValue]) -> None:
        """Local variables the next instance of ``activity_id`` starts with, beside those a start
        instruction staged for it (a multi-instance body's loopCounter)."""
        staged = self._pending_locals
        if staged is not None and activity_id in staged[0]:
            values = {**values, **staged[1]}
        self._pending_locals = (frozenset({activity_id}), values)

    def _child_started(self, activity: Activity, scope_id: str) -> None:
        scope = self.state.activity_instances.get(scope_id)
        if scope is not None and not scope.is_transition:
            self.behaviours[scope.activity_type].child_started(self, scope, activity)

    def cancel_activity_instance(self, ai_id: str) -> None:
        """Cancel an activity (or transition) instance and every scope it would leave empty."""
        target = compensation.cancellation_target(self, ai_id)
        while True:
            parent = self.state.activity_instances[target].parent_id
            if parent == self.state.id:
                break
            if len(self.state.children(parent)) > 1 or self.inflight[parent]:
                break
            target = parent
        parent = self.state.activity_instances[target].parent_id
        self.remove_subtree(target, cancelled=True)
        if parent in self.state.activity_instances:
            scope = self.state.activity_instances[parent]
            self.behaviours[scope.activity_type].child_cancelled(self, scope)
        if not self.state.children(self.state.id) and not self.inflight[self.state.id]:
            self.emptied_by = "cancelled"
            self.state.delete_reason = history.MODIFICATION_REASON
            self.end_if_empty(state="EXTERNALLY_TERMINATED")

    def finish_modification(self, *, externally: bool) -> None:
        """After the last instruction: end the instance only if nothing is left in it."""
        self.preserve_scope = False
        if self.state.ended or self.state.children(self.state.id):
            return
        if self.emptied_by == "completed":
            self._end("COMPLETED")
        else:
            self.state.delete_reason = history.MODIFICATION_REASON
            self._end("EXTERNALLY_TERMINATED" if externally else "INTERNALLY_TERMINATED")

    # ------------------------------------------------------------------ variables
    def set_variable(self, name: str, value: TypedValue, scope_id: str, *,
                     local: bool = False) -> None:
        """Camunda's setVariable: update where it exists up the scope chain, else create at the top."""
        chain = self.state.ancestors(scope_id) if self.state.alive(scope_id) else [self.state.id]
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
        self.variable_events.append((target or self.state.id, name, "update" if existing else "create"))
        if existing is not None:
            existing.value = value
            self.state.dirty_variables.add(existing.id)
            history.variable_set(self.state, existing, created=False)
        else:
            var = VariableState(new_id(), name, target, value)
            self.state.variables[var.id] = var
            history.variable_set(self.state, var, created=True)

    def evaluate(self, expression: Any, scope_id: str) -> Any:
        return expression.evaluate(self.state.visible_variables(scope_id))

    def apply_inputs(self, activity: Activity, ai_id: str) -> None:
        if self.skip_io_mappings:
            return
        for parameter in activity.input_parameters:
            value = self._parameter_value(parameter, ai_id, activity, "inputParameter")
            self.set_variable(parameter.name, infer(value), ai_id, local=True)

    def apply_outputs(self, activity: Activity, scope_id: str, source_id: str) -> None:
        """Output mappings read ``source_id`` (the activity's own instance while it still exists)."""
        if self.skip_io_mappings or not activity.output_parameters:
            return
        values = [(p.name, self._parameter_value(p, source_id, activity, "outputParameter"))
                  for p in activity.output_parameters]
        for name, value in values:
            self.set_variable(name, infer(value), scope_id)

    def _parameter_value(self, parameter: IoParameter, scope_id: str, activity: Activity | None = None,
                         kind: str = "inputParameter") -> Any:
        if isinstance(parameter.value, Script):
            # Camunda runs an input script on the outer scope, an output script on the activity's
            ai = self.state.activity_instances.get(scope_id)
            scope = ai.parent_id if kind == "inputParameter" and ai is not None else scope_id
            owner = f"camunda:{kind} '{parameter.name}' of {activity.type} '{activity.id}'" if activity else \
                f"camunda:{kind} '{parameter.name}'"
            return scripts.script_value(self, parameter.value, scope, owner,
                                        activity_id=activity.id if activity else None)
        return None if parameter.value is None else self.evaluate(parameter.value, scope_id)

    def fire_listeners(self, listeners: Iterable[Listener], event: str, scope_id: str,
                       owner: str, task: TaskState | None = None) -> None:
        """Expression listeners run; Java-only listeners fail loudly (skipCustomListeners skips both)."""
        if self.skip_custom_listeners:
            return
        for listener in listeners:
            if listener.event != event:
                continue
            if listener.expression is not None:
                self.evaluate(listener.expression, scope_id)
            elif listener.script is not None:
                scripts.run_script(self, listener.script, scope_id, owner, event=event, task=task)
            else:
                raise unsupported(f"the {event} listener camunda:{listener.kind} '{listener.text}'"
                                  if listener.kind != "script" else
                                  f"the {event} listener ({listener.text})", owner)

    # ------------------------------------------------------------------ the token loop
    def push(self, operation: str, element: str, scope_id: str) -> None:
        self.queue.append((operation, element, scope_id))
        self.inflight[scope_id] += 1

    def run(self) -> None:
        while (self.variable_events and event_subprocess.check_conditions(self)) or self.queue:
            operation, element, scope_id = self.queue.popleft()
            self.inflight[scope_id] -= 1
            if not self.state.alive(scope_id) or self.state.ended:
                continue  # its scope was cancelled or terminated meanwhile
            self._steps += 1
            if self._steps > MAX_STEPS:
                raise ProcessEngineError(
                    f"Process instance '{self.state.id}' did not reach a wait state within "
                    f"{MAX_STEPS} steps; the model loops")
            if operation == "take":
                flow = self.model.flows[element]
                if flow.listeners:
                    self.fire_listeners(flow.listeners, "take", scope_id, f"sequence flow '{flow.id}'")
                self.push("enter", flow.target_id, scope_id)
            elif operation == "enter":
                self.enter(self.model.activities[element], scope_id)
            elif operation == "execute":
                self.execute(self.model.activities[element], scope_id)
            elif operation == "leave":
                self.leave(self.model.activities[element], scope_id)
            else:  # "take-outgoing": an asyncAfter job resumes
                self.take_outgoing(self.model.activities[element], scope_id)

    def enter(self, activity: Activity, scope_id: str) -> None:
        """A token arrives: continue asynchronously if asyncBefore, else execute."""
        if activity.async_before:
            self.create_transition_instance(activity, scope_id, "before")
            return
        self.execute(activity, scope_id)

    def execute(self, activity: Activity, scope_id: str) -> None:
        self._executing = activity.id
        self.behaviours[activity.type].execute(self, activity, scope_id)
        if self._executing is not None:  # it created no activity instance: history still sees it
            self._executing = None
            history.passed_through(self.state, activity, scope_id)

    def leave(self, activity: Activity, scope_id: str) -> None:
        """The activity is done in ``scope_id``: continue asynchronously if asyncAfter."""
        if activity.async_after:
            self.create_transition_instance(activity, scope_id, "after")
            return
        self.take_outgoing(activity, scope_id)

    def take_outgoing(self, activity: Activity, scope_id: str) -> None:
        flows = self.behaviours[activity.type].outgoing(self, activity, scope_id)
        if not flows:
            self.token_ended(scope_id)
        for flow_id in flows:
            self.push("take", flow_id, scope_id)

    def select_flows(self, activity: Activity, scope_id: str, *, exclusive: bool,
                     required: bool) -> list[str]:
        """Conditional outgoing flows: the true ones (first only if exclusive), else the default."""
        chosen = []
        for flow_id in activity.outgoing:
            if flow_id == activity.default_flow:
                continue
            condition = self.model.flows[flow_id].condition
            if condition is None or truthy(self.evaluate(condition, scope_id)):
                chosen.append(flow_id)
                if exclusive:
                    break
        if not chosen and activity.default_flow:
            chosen.append(activity.default_flow)
        if not chosen and required and activity.outgoing:
            raise ProcessEngineError(
                f"ENGINE-02004 No outgoing sequence flow for the element with id "
                f"'{activity.id}' could be selected for continuing the process.")
        return chosen

    def token_ended(self, scope_id: str) -> None:
        """A token ended in ``scope_id``: complete the scope if nothing else is left in it."""
        scope = self.state.activity_instances.get(scope_id)
        if scope is not None and self.behaviours[scope.activity_type].token_ended_inside(self, scope):
            return
        if not self.state.alive(scope_id) or self.state.children(scope_id) or self.inflight[scope_id]:
            return
        if scope_id == self.state.id:
            self.emptied_by = "completed"
            if not self.preserve_scope:
                self._end("COMPLETED")
            return
        self.complete(self.state.activity_instances[scope_id])

    def end_if_empty(self, state: str = "COMPLETED") -> None:
        if self.preserve_scope or self.state.ended:
            return
        if not self.state.children(self.state.id) and not self.inflight[self.state.id]:
            self._end(state)

    def _end(self, end_state: str) -> None:
        if end_state == "COMPLETED":
            self.fire_listeners(self.model.listeners, "end", self.state.id, f"process '{self.model.id}'")
        self.state.end_state = end_state
        self.state.clear()
        self.queue.clear()
        self.inflight.clear()

    # ------------------------------------------------------------------ the scope tree
    def create_instance(self, activity: Activity, parent_id: str) -> ActivityInstanceState:
        """Enter an activity that has an instance: inputs, start listeners, its boundary events."""
        ai = self.new_tree_node(activity, parent_id)
        self._take_pending_locals(activity, ai.id)
        self.apply_inputs(activity, ai.id)
        self.fire_listeners(activity.listeners, "start", ai.id, _describe(activity))
        for boundary_id in self.model.boundary_events.get(activity.id, ()):
            self.behaviours[self.model.activities[boundary_id].type].attach(
                self, self.model.activities[boundary_id], ai)
        event_subprocess.open_scope(self, ai.id)
        return ai

    def _take_pending_locals(self, activity: Activity, ai_id: str) -> None:
        """A start instruction's local variables belong to the instance it creates (or to the
        transition instance its token waits in, until the job creates the activity instance)."""
        if self._pending_locals is not None and activity.id in self._pending_locals[0]:
            for name, value in self._pending_locals[1].items():
                self.set_variable(name, value, ai_id, local=True)
            self._pending_locals = None

    def new_tree_node(self, activity: Activity, parent_id: str,
                      async_phase: str | None = None) -> ActivityInstanceState:
        ai = ActivityInstanceState(
            id=activity_instance_id(activity.id), activity_id=activity.id, parent_id=parent_id,
            activity_type=activity.type, activity_name=activity.name, execution_id=new_id(),
            seq=self.state.next_seq(), async_phase=async_phase)
        if self.compensation_waiter is not None and activity.is_for_compensation:
            ai.compensating_for, self.compensation_waiter = self.compensation_waiter, None
        self.state.activity_instances[ai.id] = ai
        if parent_id == self.state.id:
            self.emptied_by = None
        if async_phase is None:
            self._executing = None if self._executing == activity.id else self._executing
            history.activity_started(self.state, ai)
        return ai

    def create_transition_instance(self, activity: Activity, scope_id: str, phase: str) -> None:
        """A token waiting in an async continuation: a transition instance and its job."""
        ai = self.new_tree_node(activity, scope_id, async_phase=phase)
        if phase == "before":
            self._take_pending_locals(activity, ai.id)
        self.add_job(ai.id, activity, type="message", handler_type="async-continuation",
                     configuration=f"transition-{'create-scope' if phase == 'before' else 'notify-listener-end'}",
                     due_date=None,
                     definition_configuration="async-before" if phase == "before" else "async-after")

    def add_job(self, owner: str, activity: Activity, *, type: str, handler_type: str,
                configuration: str | None, due_date: datetime | None,
                definition_configuration: str, repeat: str | None = None) -> JobState:
        """``definition_configuration`` is the job definition's (``async-before``,
        ``DURATION: PT5M``): with the handler type it names the definition deployment created."""
        job = JobState(id=new_id(), owner=owner, activity_id=activity.id, type=type,
                       handler_type=handler_type, handler_configuration=configuration,
                       due_date=due_date, exclusive=activity.exclusive, repeat=repeat,
                       retries=retries_for(activity),
                       job_definition_id=job_definition_id(
                           self.state.process_definition_id, activity.id, handler_type,
                           definition_configuration))
        self.state.jobs[job.id] = job
        return job

    def add_timer(self, owner: str, event: Activity, handler_type: str) -> None:
        """A timer job for ``event``; the definition is evaluated in the owner's scope."""
        timer = event.timer
        assert timer is not None
        text = timer.expression.evaluate(self.state.visible_variables(owner))
        try:
            spec = parse_timer(timer.kind, text if isinstance(text, datetime) else str(text))
        except TimerError as error:
            raise ProcessEngineError(f"Invalid {timer.kind} '{text}' of timer '{event.id}': "
                                     f"{error.reason}", status=400) from None
        now = clock.now()
        # as in Camunda, only a non-interrupting boundary timer or event sub-process timer start
        # repeats its cycle (jobs.run schedules each next job); the others fire once
        repeats = (event.is_boundary or event.type == "startTimerEvent") and not event.cancel_activity
        self.add_job(owner, event, type="timer", handler_type=handler_type,
                     configuration=event.id, due_date=spec.first_due(now),
                     definition_configuration=job_configuration(timer.kind, timer.text),
                     repeat=spec.repeat(now) if repeats else None)

    def add_subscription(self, owner: str, event: Activity, event_type: str) -> None:
        name = event.event_name
        if name and "${" in name:
            name = str(self.evaluate(compile_expression(name), owner))
        sub = SubscriptionState(id=new_id(), owner=owner, activity_id=event.id,
                                event_type=event_type, event_name=name, created=clock.now())
        self.state.subscriptions[sub.id] = sub

    def complete(self, ai: ActivityInstanceState) -> None:
        """An activity instance is done: end listeners, outputs read in its own scope, then leave."""
        activity = self.model.activities[ai.activity_id]
        self.fire_listeners(activity.listeners, "end", ai.id, _describe(activity))
        self.apply_outputs(activity, ai.parent_id, ai.id)
        scope = self.state.activity_instances.get(ai.parent_id)
        if scope is not None:
            self.behaviours[scope.activity_type].child_completing(self, scope, ai)
        compensation.on_complete(self, ai, activity)
        self.remove_subtree(ai.id, cancelled=False)
        if ai.compensating_for is not None:
            compensation.handler_done(self, ai)
            return
        self.leave(activity, ai.parent_id)

    def remove_subtree(self, ai_id: str, *, cancelled: bool) -> None:
        """Remove an instance and its descendants, innermost first; a cancellation runs their end
        listeners and output mappings first, as Camunda's ExecutionEntity#destroy does."""
        for child in self.state.children(ai_id):
            self.remove_subtree(child.id, cancelled=cancelled)
        ai = self.state.activity_instances.get(ai_id)
        if ai is None:
            return
        if cancelled and not ai.is_transition:
            activity = self.model.activities[ai.activity_id]
            self.fire_listeners(activity.listeners, "end", ai.id, _describe(activity))
            if self.state.alive(ai.parent_id):
                self.apply_outputs(activity, ai.parent_id, ai.id)
        compensation.on_remove(self, ai)
        self.state.remove_activity_instance(ai_id, canceled=cancelled)

    def drop_tokens_in(self, scope_id: str) -> None:
        """Terminate: tokens still queued inside ``scope_id`` must not run."""
        kept: deque[tuple[str, str, str]] = deque()
        for item in self.queue:
            if item[2] == scope_id:
                self.inflight[scope_id] -= 1
            else:
                kept.append(item)
        self.queue = kept

    # ------------------------------------------------------------------ events
    def boundary_event_fires(self, ai: ActivityInstanceState, event: Activity) -> None:
        """Interrupting: the host activity is cancelled; either way the token leaves the event."""
        parent = ai.parent_id
        if event.cancel_activity:
            self.remove_subtree(ai.id, cancelled=True)
        history.passed_through(self.state, event, parent)
        self.push("leave", event.id, parent)

    def propagate_error(self, code: str, message: str | None, scope_id: str, *,
                        thrower: str | None = None) -> None:
        """Find the nearest error boundary event up the scope tree, as Camunda's BpmnExceptionHandler.

        ``thrower`` is the activity instance that raised it (its own boundary events catch too);
        an uncaught error ends the token like a none end event.
        """
        chain = self.state.ancestors(scope_id)
        for ai_id in chain:
            if event_subprocess.catch_error(self, ai_id, chain, code, message):
                return
            if ai_id == self.state.id:
                break
            ai = self.state.activity_instances[ai_id]
            if ai.is_transition:
                continue
            catcher = self._catching(ai.activity_id, "boundaryError", code)
            if catcher is None:
                continue
            parent = ai.parent_id
            self.remove_subtree(ai.id, cancelled=True)
            if catcher.error_code_variable:
                self.set_variable(catcher.error_code_variable, infer(code), parent)
            if catcher.error_message_variable:
                self.set_variable(catcher.error_message_variable, infer(message), parent)
            history.passed_through(self.state, catcher, parent)
            self.push("leave", catcher.id, parent)
            return
        if self.state.super_process_instance_id:  # the calling instance may catch it (engine.calls)
            self.state.escaped_errors.append((code, message))
        if thrower is not None and thrower in self.state.activity_instances:
            parent = self.state.activity_instances[thrower].parent_id
            self.remove_subtree(thrower, cancelled=False)
            self.token_ended(parent)
        else:
            self.token_ended(scope_id)

    def propagate_escalation(self, code: str | None, scope_id: str) -> bool:
        """Trigger the nearest escalation boundary event on an enclosing sub-process."""
        chain = self.state.ancestors(scope_id)
        for ai_id in chain:
            if event_subprocess.catch_escalation(self, ai_id, chain, code):
                return True
            if ai_id == self.state.id:
                if self.state.super_process_instance_id:  # the calling instance may catch it
                    self.state.escaped_escalations.append(code)
                return False
            ai = self.state.activity_instances[ai_id]
            catcher = self._catching(ai.activity_id, "boundaryEscalation", code)
            if catcher is not None:
                self.boundary_event_fires(ai, catcher)
                return True
        return False

    def _catching(self, activity_id: str, kind: str, code: str | None) -> Activity | None:
        events = [self.model.activities[b] for b in self.model.boundary_events.get(activity_id, ())]
        events = [e for e in events if e.type == kind]
        exact = next((e for e in events if e.event_name is not None and e.event_name == code), None)
        return exact or next((e for e in events if e.event_name is None), None)


def truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _describe(activity: Activity) -> str:
    return f"{activity.type} '{activity.id}'"

