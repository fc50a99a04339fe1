"""Parsed DMN decision tables: frozen, shared between threads, built once per deployed resource."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Protocol

HIT_POLICIES = ("UNIQUE", "FIRST", "ANY", "RULE ORDER", "COLLECT")
AGGREGATIONS = ("SUM", "MIN", "MAX", "COUNT")


class Expression(Protocol):
    source: str

    def evaluate(self, variables: Mapping[str, Any]) -> Any: ...


class Tests(Protocol):
    source: str

    def matches(self, value: Any, variables: Mapping[str, Any]) -> bool: ...


@dataclass(frozen=True)
class Input:
    id: str
    label: str | None
    expression: Expression | None  # None: an empty input expression (the value is null)
    type_ref: str | None
    variable: str = "cellInput"  # camunda:inputVariable: the input value's name in its entries


@dataclass(frozen=True)
class Output:
    id: str
    name: str | None
    label: str | None
    type_ref: str | None


@dataclass(frozen=True)
class Rule:
    id: str
    inputs: tuple[Tests, ...]
    outputs: tuple[Expression | None, ...]  # None: an empty output entry (no value)


@dataclass(frozen=True)
class Decision:
    """One ``<decision>`` with a ``<decisionTable>``."""

    id: str
    name: str | None
    hit_policy: str
    aggregation: str | None
    inputs: tuple[Input, ...]
    outputs: tuple[Output, ...]
    rules: tuple[Rule, ...]
    version_tag: str | None = None
    history_time_to_live: int | None = None
    category: str | None = None  # the namespace of <definitions>, as Camunda's category

    def output_name(self, index: int) -> str:
        output = self.outputs[index]
        return output.name or output.id
