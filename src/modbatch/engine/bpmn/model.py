"""Parsed, immutable process definitions: what the runtime walks, apart from any running instance.

The parser decides everything the runtime needs to know about an element once, at deployment:
which behaviour runs it (``Activity.type``), whether entering it creates an activity instance
(``creates_instance``), which events hang off it (``ProcessModel.boundary_events``), whether it
continues asynchronously, and which implementation it calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol


class Expression(Protocol):
    """A compiled JUEL expression (``${...}``) or a plain text constant."""

    source: str

    def evaluate(self, variables: Mapping[str, Any]) -> Any: ...


@dataclass(frozen=True)
class SequenceFlow:
    id: str
    source_id: str
    target_id: str
    name: str | None = None
    condition: Expression | None = None
    listeners: tuple["Listener", ...] = ()


@dataclass(frozen=True)
class IoParameter:
    """A camunda:inputParameter / outputParameter whose value is a text, an expression or an
    inline JavaScript (a Script: the value is its last value)."""

    name: str
    value: Expression | Script | None


@dataclass(frozen=True)
class TimerDefinition:
    """``timeDate``, ``timeDuration`` or ``timeCycle``; the text may hold an expression."""

    kind: str
    text: str
    expression: Expression


@dataclass(frozen=True)
class Listener:
    """An execution or task listener. ``kind`` is expression, class or delegateExpression."""

    event: str
    kind: str
    text: str
    expression: Expression | None = None
    # kind "script": an inline JavaScript script the engine runs (other languages: None)
    script: "Script | None" = None

    def as_tuple(self) -> tuple[str, str, str]:
        return (self.event, self.kind, self.text)


@dataclass(frozen=True)
class LoopCharacteristics:
    """multiInstanceLoopCharacteristics, held by the ``<id>#multiInstanceBody`` activity.

    ``collection`` evaluates to the collection (camunda:collection or loopDataInputRef);
    ``cardinality`` to the number of instances when there is no collection.
    """

    inner_id: str
    sequential: bool
    cardinality: Expression | None = None
    collection: Expression | None = None
    element_variable: str | None = None
    completion_condition: Expression | None = None


MULTI_INSTANCE_BODY = "multiInstanceBody"
MULTI_INSTANCE_SUFFIX = "#multiInstanceBody"

# element types that wait for something outside the engine
WAIT_STATES = frozenset({
    "userTask", "receiveTask", "intermediateMessageCatch", "intermediateSignalCatch",
    "intermediateTimer", "eventBasedGateway", "callActivity",
})
BOUNDARY_TYPES = frozenset({
    "boundaryTimer", "boundaryMessage", "boundarySignal", "boundaryError", "boundaryEscalation",
    "compensationBoundaryCatch", "cancelBoundaryCatch",
})
START_TYPES = frozenset({"startEvent", "messageStartEvent", "signalStartEvent", "startTimerEvent"})
# the start events of an event sub-process (a subProcess with triggeredByEvent="true")
EVENT_SUBPROCESS_START_TYPES = frozenset({
    "messageStartEvent", "signalStartEvent", "startTimerEvent", "errorStartEvent",
    "escalationStartEvent", "conditionalStartEvent", "compensationStartEvent",
})


@dataclass(frozen=True)
class DecisionRef:
    """camunda:decisionRef of a business rule task; key, version and tenant may be expressions."""

    key: Expression
    binding: str = "latest"  # latest | deployment | version | versionTag
    version: Expression | None = None
    version_tag: str | None = None
    tenant_id: Expression | None = None
    map_result: str = "resultList"  # singleEntry | singleResult | collectEntries | resultList


@dataclass(frozen=True)
class Activity:
    """A flow node. ``type`` uses Camunda's activity type strings (ActivityTypes.java)."""

    id: str
    type: str
    name: str | None
    # id of the enclosing flow scope: the process id, or the id of the enclosing subProcess
    scope_id: str
    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()
    default_flow: str | None = None
    # camunda:expression (service, send, business-rule task, script body in JUEL) and its result
    expression: Expression | None = None
    result_variable: str | None = None
    # camunda:type="external": a wait state with an external task
    external_topic: str | None = None
    task_priority: Expression | None = None
    # an implementation only a JVM can run ("camunda:class 'com.acme.X'"): fails when reached
    jvm_implementation: str | None = None
    # subProcess: a scope with children; its none start event
    is_scope: bool = False
    start_event_id: str | None = None
    # boundaryEvent: the activity it is attached to and whether it interrupts it
    attached_to: str | None = None
    cancel_activity: bool = True
    # events: message or signal name, error or escalation code; the timer
    event_name: str | None = None
    timer: TimerDefinition | None = None
    # error boundary events: where the caught error's code and message go (escalation start
    # events: camunda:escalationCodeVariable in error_code_variable)
    error_code_variable: str | None = None
    error_message_variable: str | None = None
    # terminate end event inside a sub-process ends just that scope
    async_before: bool = False
    async_after: bool = False
    exclusive: bool = True
    retry_time_cycle: str | None = None
    input_parameters: tuple[IoParameter, ...] = ()
    output_parameters: tuple[IoParameter, ...] = ()
    listeners: tuple[Listener, ...] = ()
    task_listeners: tuple[Listener, ...] = ()
    line: int | None = None
    # callActivity: what it calls and which variables go in and out
    call: "CallDefinition | None" = None
    # conditionalStartEvent: its condition, camunda:variableName (None: any variable) and
    # camunda:variableEvents (create, update, delete; empty: any)
    condition: Expression | None = None
    condition_variable: str | None = None
    condition_events: tuple[str, ...] = ()
    # subProcess triggeredByEvent="true": an event sub-process (Camunda's type stays subProcess)
    triggered_by_event: bool = False
    # a multi-instance body (``<id>#multiInstanceBody``): how it repeats its inner activity
    loop: LoopCharacteristics | None = None
    # businessRuleTask with camunda:decisionRef: the decision it evaluates (result_variable above)
    decision: "DecisionRef | None" = None
    # compensation: the handler an activity's compensation boundary event is associated with,
    # whether the activity is itself a handler, and a compensation throw's activityRef
    compensation_handler: str | None = None
    is_for_compensation: bool = False
    activity_ref: str | None = None
    wait_for_completion: bool = True
    # scriptTask: an inline JavaScript script (run in a sandbox, see engine/runtime/scripts.py)
    script: "Script | None" = None
    # userTask: camunda:assignee (text or expression)
    assignee: Expression | None = None

    @property
    def is_wait_state(self) -> bool:
        return self.type in WAIT_STATES or self.external_topic is not None

    @property
    def is_boundary(self) -> bool:
        return self.type in BOUNDARY_TYPES


@dataclass(frozen=True)
class CallMapping:
    """A camunda:in or camunda:out: one variable (``source`` or ``source_expression`` to
    ``target``), every variable (``all_variables``) or the business key (``business_key``)."""

    source: str | None = None
    source_expression: Expression | None = None
    target: str | None = None
    all_variables: bool = False
    business_key: Expression | None = None
    local: bool = False


@dataclass(frozen=True)
class CallDefinition:
    """calledElement and its camunda:calledElementBinding (latest, deployment, version,
    versionTag), the version or tag and tenant to resolve it with; all may be expressions."""

    called_element: Expression
    binding: str = "latest"
    version: Expression | None = None
    version_tag: Expression | None = None
    tenant_id: Expression | None = None
    inputs: tuple[CallMapping, ...] = ()
    outputs: tuple[CallMapping, ...] = ()


@dataclass(frozen=True)
class ProcessModel:
    """One executable ``<process>``; ``activities`` holds every flow node at every nesting depth."""

    id: str
    name: str | None
    activities: Mapping[str, Activity]
    flows: Mapping[str, SequenceFlow]
    start_event_id: str | None
    is_executable: bool = True
    version_tag: str | None = None
    history_time_to_live: int | None = None
    documentation: str | None = None
    target_namespace: str | None = None
    listeners: tuple[Listener, ...] = ()
    # activity id -> ids of the boundary events attached to it
    boundary_events: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # activities that get an activity instance when entered (wait states, scopes, boundary
    # hosts, activities with input mappings)
    instance_activities: frozenset[str] = frozenset()
    # scope id (the process id or a subProcess id) -> ids of the event sub-processes in it;
    # their start events (``cancel_activity`` = isInterrupting) wait while the scope runs
    event_subprocesses: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def creates_jobs_or_subscriptions(self) -> bool:
        """Whether instances can own jobs, subscriptions or external tasks (else loading skips them)."""
        cached = self.__dict__.get("_owns")
        if cached is None:
            cached = any(a.async_before or a.async_after or a.timer is not None
                         or a.external_topic is not None or a.event_name is not None
                         or a.type in ("eventBasedGateway", "conditionalStartEvent",
                                       "compensationBoundaryCatch", "compensationStartEvent")
                         for a in self.activities.values())
            object.__setattr__(self, "_owns", cached)
        return cached

    @property
    def has_call_activities(self) -> bool:
        """Whether instances can have called (sub) instances to cancel with them."""
        cached = self.__dict__.get("_calls")
        if cached is None:
            cached = any(a.type == "callActivity" for a in self.activities.values())
            object.__setattr__(self, "_calls", cached)
        return cached

    def children_of(self, scope_id: str) -> list[Activity]:
        return [a for a in self.activities.values() if a.scope_id == scope_id]

    def scope_chain(self, activity_id: str) -> list[str]:
        """Flow-scope ids from the activity's own scope up to the process id."""
        chain = []
        scope = self.activities[activity_id].scope_id
        while scope != self.id:
            chain.append(scope)
            scope = self.activities[scope].scope_id
        chain.append(self.id)
        return chain

    def start_events(self, scope_id: str | None = None) -> list[Activity]:
        scope_id = scope_id or self.id
        return [a for a in self.activities.values()
                if a.scope_id == scope_id and a.type in START_TYPES]

    def reachable(self, source_id: str, target_id: str) -> bool:
        """Whether a token at ``source_id`` can still arrive at ``target_id`` in the same scope."""
        cache = self._reach_cache
        key = (source_id, target_id)
        if key not in cache:
            seen, todo = set(), [source_id]
            found = False
            while todo and not found:
                current = todo.pop()
                if current in seen:
                    continue
                seen.add(current)
                activity = self.activities[current]
                nexts = [self.flows[f].target_id for f in activity.outgoing]
                nexts += list(self.boundary_events.get(current, ()))
                for n in nexts:
                    if n == target_id:
                        found = True
                        break
                    todo.append(n)
            cache[key] = found
        return cache[key]

    @property
    def _reach_cache(self) -> dict:
        cache = self.__dict__.get("_reach")
        if cache is None:
            cache = {}
            object.__setattr__(self, "_reach", cache)
        return cache


@dataclass(frozen=True)
class Script:
    """An inline script the engine runs itself: JavaScript, in a sandbox."""

    language: str
    text: str
