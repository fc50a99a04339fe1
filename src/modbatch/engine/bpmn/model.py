"""Parsed, immutable process definitions: what the runtime walks, apart from any running instance."""

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


@dataclass(frozen=True)
class IoParameter:
    """A camunda:inputParameter / outputParameter whose value is a text or an expression."""

    name: str
    value: Expression | None


@dataclass(frozen=True)
class Activity:
    """A flow node. ``type`` uses Camunda's activity type strings (E/ActivityTypes.java)."""

    id: str
    type: str
    name: str | None
    # id of the enclosing flow scope: the process id, or the id of the enclosing subProcess
    scope_id: str
    incoming: tuple[str, ...] = ()
    outgoing: tuple[str, ...] = ()
    default_flow: str | None = None
    # serviceTask camunda:expression and camunda:resultVariable
    expression: Expression | None = None
    result_variable: str | None = None
    # serviceTask camunda:type="external": a wait state without a task
    external_topic: str | None = None
    # subProcess: a scope with children; its none start event
    is_scope: bool = False
    start_event_id: str | None = None
    # boundaryEvent: the activity it is attached to and whether it interrupts it
    attached_to: str | None = None
    cancel_activity: bool = True
    # timer definitions kept as text (boundary timers are parsed, not yet scheduled)
    timer: str | None = None
    input_parameters: tuple[IoParameter, ...] = ()
    output_parameters: tuple[IoParameter, ...] = ()
    # execution listeners as (event, kind, text), recorded but not invoked (no Java runtime)
    listeners: tuple[tuple[str, str, str], ...] = ()
    line: int | None = None


@dataclass(frozen=True)
class ProcessModel:
    """One executable ``<process>``; ``activities`` holds every flow node at every nesting depth."""

    id: str
    name: str | None
    activities: Mapping[str, Activity]
    flows: Mapping[str, SequenceFlow]
    start_event_id: str
    is_executable: bool = True
    version_tag: str | None = None
    history_time_to_live: int | None = None
    documentation: str | None = None
    target_namespace: str | None = None
    listeners: tuple[tuple[str, str, str], ...] = ()
    boundary_events: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

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
