"""The instruction schemas' `not` rules (the target each instruction type needs) take exactly the
instructions the handler takes: every combination of type and target fields (absent, null, empty,
set) is valid for the spec if and only if ``parse_instruction`` accepts it."""

from __future__ import annotations

from itertools import product
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from jsonschema import Draft4Validator

from modbatch.engine.modification import TYPES, parse_instruction
from modbatch.errors import InvalidRequest

SPEC_PATH = Path(__file__).parents[2] / "openapi.yaml"
TARGETS = ("activityId", "transitionId", "activityInstanceId", "transitionInstanceId")
ABSENT = object()
VALUES = (ABSENT, None, "", "task1")


def _instructions() -> Iterator[dict[str, Any]]:
    for kind in TYPES:
        for values in product(VALUES, repeat=len(TARGETS)):
            yield {"type": kind, **{name: value for name, value in zip(TARGETS, values)
                                    if value is not ABSENT}}


def _handler_accepts(instruction: dict[str, Any], single: bool) -> bool:
    try:
        parse_instruction(instruction, single=single)
    except InvalidRequest:
        return False
    return True


@pytest.mark.parametrize(("dto", "single"), [
    ("MultipleProcessInstanceModificationInstructionDto", False),
    ("ProcessInstanceModificationInstructionDto", True),
])
def test_instruction_schema_takes_what_the_handler_takes(dto: str, single: bool) -> None:
    """Spec and handler agree on every combination of type and targets."""
    schema = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))["components"]["schemas"][dto]
    assert schema["x-modbatch-checked-by-handler"] == ["not"]
    rule = Draft4Validator({"not": schema["not"]})
    disagreements = [instruction for instruction in _instructions()
                     if rule.is_valid(instruction) != _handler_accepts(instruction, single)]
    assert disagreements == []
    # both sides refuse something, and accept something, for every type
    for kind in TYPES:
        answers = {rule.is_valid(i) for i in _instructions() if i["type"] == kind}
        assert answers == {True, False}, kind
