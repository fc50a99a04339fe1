"""openapi.yaml states which values each variable type converts: a typed variable is schema-valid
exactly when the server converts it (VariableValueInputDto's and TriggerVariableValueDto's
`not`, checked by the server for Camunda's `Cannot convert value ...` message)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from connexion.json_schema import Draft4RequestValidator
from jsonschema import Draft4Validator

from modbatch.engine import variables
from modbatch.errors import InvalidRequest

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
DTOS = ("VariableValueInputDto", "TriggerVariableValueDto")

VALUES: list[Any] = [
    None, True, False, 0, 1, -1, 5.0, 0.5, 1e300, -1e300, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1,
    2**15 - 1, 2**15, -(2**15) - 1, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1, 2**70,
    9.223372036854776e18, "", "x", "abc", "1abc", "12", "+12", "-12", "0012", " 12", "12\n",
    "1_000", "١٢", "2147483647", "2147483648", "-2147483649", "32768", "9223372036854775807",
    "9223372036854775808", "1.5", ".5", "1.", "1e5", "1E-99", "1e300", "nan", "inf", "1.5\n",
    "true", "TRUE", "False", "yes", "true\n", " true", "2026-11-27T10:00:00",
    "2026-11-27T10:00:00.123+0100", "2026-11-27T10:00:00Z\n", "27.11.2026", "{}", "[1]",
    '{"a": 1}', "not json", {}, {"a": 1}, [], [1, "x"],
]
TYPES = [None, *variables.TYPES, *(name.lower() for name in variables.TYPES)]


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    with SPEC.open() as handle:
        return yaml.safe_load(handle)["components"]["schemas"]


def _converts(dto: dict[str, Any]) -> bool:
    try:
        variables.from_dto("v", dto)
    except InvalidRequest:
        return False
    return True


@pytest.mark.parametrize("dto_name", DTOS)
def test_schema_valid_variables_are_the_ones_the_server_converts(schemas, dto_name):
    """For every type (and none) and a spread of values, the DTO schema with its `not`
    (OpenAPI's `nullable` as Connexion reads it) accepts exactly what `from_dto` converts."""
    schema = {key: value for key, value in schemas[dto_name].items() if not key.startswith("x-")}
    validator = Draft4RequestValidator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
    disagreements = []
    for type_name in TYPES:
        for value in VALUES:
            dto = {"value": value} if type_name is None else {"type": type_name, "value": value}
            if validator.is_valid(dto) != _converts(dto):
                disagreements.append(dto)
    assert not disagreements, disagreements


def test_the_spec_patterns_are_the_servers(schemas):
    """Each type's string pattern in the spec is the one the server matches values with."""
    refusals = schemas["VariableValueInputDto"]["not"]["anyOf"]
    stated = {}
    for refusal in refusals:
        taken = refusal["properties"]["value"].get("not", {})
        for part in taken.get("anyOf", [taken]):
            if part.get("type") == "string" and "pattern" in part:
                stated[refusal["properties"]["type"]["pattern"]] = part["pattern"]
    expected = {f"^[{name[0]}{name[0].lower()}]{name[1:]}$": pattern
                for name, pattern in variables.TEXT_PATTERNS.items()}
    assert stated == expected
    assert schemas["TriggerVariableValueDto"]["not"] == schemas["VariableValueInputDto"]["not"]


@pytest.mark.parametrize(("dto", "message"), [
    ({"type": "Integer", "value": " 12"},
     "Cannot convert value ' 12' of type 'Integer' to java type java.lang.Integer"),
    ({"type": "Double", "value": "1e300"},
     "Cannot convert value '1e300' of type 'Double' to java type java.lang.Double"),
    ({"type": "String", "value": {"a": 1}},
     "Cannot convert value '{'a': 1}' of type 'String' to java type java.lang.String"),
])
def test_values_outside_the_stated_syntax_answer_cannot_convert(dto, message):
    """A value outside its type's stated syntax is refused with Camunda's message."""
    with pytest.raises(InvalidRequest) as refused:
        variables.from_dto("v", dto)
    assert str(refused.value) == message


def test_a_json_string_is_kept_as_given():
    """A Json value's string is its serialized form, stored without parsing (as Camunda does)."""
    assert variables.from_dto("v", {"type": "Json", "value": "not json"}) == \
        variables.TypedValue("Json", "not json", None)
    assert variables.plain(variables.TypedValue("Json", "not json")) == "not json"
