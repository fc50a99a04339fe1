"""Static checks on openapi.yaml, the contract the REST layer is generated from."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
import yaml
from openapi_spec_validator import validate

from modbatch.api import render
from modbatch.engine import variables
from modbatch.engine.instances import TreeNode
from modbatch.errors import InvalidRequest, ProcessEngineError
from modbatch.store import tables

SPEC_PATH = Path(__file__).parents[2] / "openapi.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    """openapi.yaml is a valid OpenAPI 3.0.x document."""
    assert spec["openapi"].startswith("3.0.")
    validate(spec)


def test_every_operation_is_documented(spec: dict[str, Any]) -> None:
    """Every operation has operationId, summary, tags and 400 and 500 responses."""
    problems = []
    for path, method, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        for key in ("operationId", "summary", "tags"):
            if not operation.get(key):
                problems.append(f"{where}: missing {key}")
        responses = operation.get("responses", {})
        for code in ("400", "500"):
            if code not in responses:
                problems.append(f"{where}: missing {code} response")
    assert not problems, "\n".join(problems)


def test_operation_ids_are_unique(spec: dict[str, Any]) -> None:
    """No two operations share an operationId."""
    counts = Counter(op.get("operationId") for _, _, op in _operations(spec))
    duplicates = sorted(str(op_id) for op_id, n in counts.items() if n > 1)
    assert not duplicates, f"duplicate operationIds: {duplicates}"


# ------------------------------------------------------------------------ spec quality
def _resolve(spec: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        *_, section, name = node["$ref"].split("/")
        node = spec["components"][section][name]
    return node


def _parameters(spec: dict[str, Any], path: str, operation: dict[str, Any]) -> Iterator[dict]:
    shared = spec["paths"][path].get("parameters", [])
    for parameter in [*shared, *operation.get("parameters", [])]:
        yield _resolve(spec, parameter)


def test_every_parameter_is_typed(spec: dict[str, Any]) -> None:
    """Every parameter has a schema with a type, so clients and Connexion know how to read it."""
    problems = []
    for path, method, operation in _operations(spec):
        for parameter in _parameters(spec, path, operation):
            schema = _resolve(spec, parameter.get("schema"))
            if not isinstance(schema, dict) or "type" not in schema:
                problems.append(f"{method.upper()} {path}: parameter {parameter.get('name')}")
    assert not problems, "untyped parameters:\n" + "\n".join(problems)


def test_every_request_body_has_an_example(spec: dict[str, Any]) -> None:
    """Every request body shows an example for each of its media types."""
    problems = []
    for path, method, operation in _operations(spec):
        body = _resolve(spec, operation.get("requestBody"))
        for media_type, content in (body or {}).get("content", {}).items():
            if not content.get("example") and not content.get("examples"):
                problems.append(f"{method.upper()} {path}: {media_type}")
    assert not problems, "request bodies without example:\n" + "\n".join(problems)


def test_links_name_existing_operations_and_parameters(spec: dict[str, Any]) -> None:
    """Every link targets an operationId of the spec and sets parameters (and a body) that
    operation has; a body that is not a runtime expression is in `x-modbatch-link-body`."""
    by_id = {op["operationId"]: (path, op) for path, _, op in _operations(spec)}
    problems = []
    for path, method, operation in _operations(spec):
        for status, response in operation.get("responses", {}).items():
            for name, link in _resolve(spec, response).get("links", {}).items():
                where = f"{method.upper()} {path} {status} link {name}"
                if link.get("operationId") not in by_id:
                    problems.append(f"{where}: unknown operationId {link.get('operationId')}")
                    continue
                target_path, target = by_id[link["operationId"]]
                names = {p["name"] for p in _parameters(spec, target_path, target)}
                problems += [f"{where}: {link['operationId']} has no parameter {p}"
                             for p in link.get("parameters", {}) if p.split(".")[-1] not in names]
                if "x-modbatch-link-body" in link and "requestBody" not in target:
                    problems.append(f"{where}: {link['operationId']} takes no body")
                if not isinstance(link.get("requestBody", ""), str):
                    # openapi-generator's parser refuses it ("is not of type `string`")
                    problems.append(f"{where}: a requestBody that is not a runtime expression "
                                    f"goes in x-modbatch-link-body")
    assert not problems, "\n".join(problems)


def test_variable_type_pattern_takes_what_the_server_converts(spec: dict[str, Any]) -> None:
    """A typed variable's `type` pattern (not an enum: `String` and `string` would be one member
    name twice in generated clients) matches exactly the type names the server converts."""
    schemas = spec["components"]["schemas"]
    [pattern] = {schemas[name]["properties"]["type"]["pattern"]
                 for name in ("VariableValueInputDto", "TriggerVariableValueDto")}
    names = [case(name[:1]) + name[1:] for name in variables.TYPES
             for case in (str.upper, str.lower)]
    names += ["STRING", "json ", "Object", "Bytes", "", "stRing"]
    for name in names:
        try:
            variables.from_dto("v", {"type": name, "value": None})
            converts = True
        except InvalidRequest:
            converts = False
        assert bool(re.search(pattern, name)) == converts, name


def test_handler_checked_rules_exist(spec: dict[str, Any]) -> None:
    """``x-modbatch-checked-by-handler: true`` marks an enum, a pattern, required properties, a
    minimum, a minItems or a `not`; a list names the rules it marks (modbatch.api.validation)."""
    marked = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            marker = node.get("x-modbatch-checked-by-handler")
            if marker:
                marked.append(where)
                rules = {"enum", "pattern", "required", "minimum", "minItems", "not"}
                if isinstance(marker, list):
                    assert set(marker) <= rules | {"maximum", "null"}, where
                    rules = set(marker)
                assert rules & set(node) or rules == {"null"}, where
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(spec, "#")
    assert marked


# The renderer of each response DTO and the table its rows come from: a column that may hold
# NULL (or a key rendered as a constant null) must be `nullable` in the DTO
RENDERERS = {
    "DeploymentDto": (render.deployment, tables.Deployment),
    "ProcessDefinitionDto": (render.process_definition, tables.ProcessDefinition),
    "ProcessInstanceDto": (render.process_instance_row, tables.ProcessInstance),
    "TaskDto": (render.task, tables.Task),
    "BatchDto": (render.batch, tables.Batch),
    "BatchStatisticsDto": (lambda row: render.batch_statistics(row, 0, 0, 0), tables.Batch),
    "HistoricBatchDto": (render.historic_batch, tables.HistoricBatch),
    "BatchItemDto": (render.batch_item, tables.BatchItem),
    "JobDto": (render.job, tables.Job),
    "JobDefinitionDto": (render.job_definition, tables.JobDefinition),
    "IncidentDto": (render.incident, tables.Incident),
}
SAMPLES = {str: "x", int: 1, bool: False, datetime: datetime(2026, 11, 27), bytes: b"x",
           float: 1.0}


def _properties(spec: dict[str, Any], schema: Any) -> dict[str, Any]:
    """The properties of a schema, merged over allOf."""
    schema = _resolve(spec, schema)
    properties = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        properties.update(_properties(spec, part))
    return {name: _resolve(spec, value) for name, value in properties.items()}


def _sample(column) -> Any:
    try:
        return SAMPLES[column.type.python_type]
    except (KeyError, NotImplementedError):  # SQLModel's AutoString says `object`
        return "x"


def _nullable_row(table) -> SimpleNamespace:
    """A row whose nullable columns are NULL and the others hold a sample value."""
    return SimpleNamespace(**{column.name: None if column.nullable else _sample(column)
                              for column in table.__table__.columns})


@pytest.mark.parametrize("dto", sorted(RENDERERS))
def test_renderers_match_their_dto(spec: dict[str, Any], dto: str) -> None:
    """A DTO documents exactly the keys its renderer sends, and every key the renderer can send
    as null (a nullable column, or a constant null) is `nullable`."""
    renderer, table = RENDERERS[dto]
    rendered = renderer(_nullable_row(table))
    properties = _properties(spec, spec["components"]["schemas"][dto])
    assert set(rendered) == set(properties), dto
    not_nullable = sorted(key for key, value in rendered.items()
                          if value is None and not properties[key].get("nullable"))
    assert not not_nullable, f"{dto}: the server can send null for {not_nullable}"


def test_activity_tree_matches_its_dto(spec: dict[str, Any]) -> None:
    """The activity-instance tree: the root has no parent and an activity may have no name."""
    root = TreeNode("pi", None, "process", "processDefinition", None, ["pi"], [])
    rendered = render.activity_tree(root, instance_id="pi", definition_id="pd")
    properties = _properties(spec, spec["components"]["schemas"]["ActivityInstanceDto"])
    assert set(rendered) == set(properties)
    assert all(properties[key].get("nullable") for key, value in rendered.items()
               if value is None)


def test_deployment_without_definitions_matches_its_dto(spec: dict[str, Any]) -> None:
    """A deployment that created no definitions (or no CMMN/DMN ones) sends nulls for them."""
    properties = _properties(spec, spec["components"]["schemas"]["DeploymentWithDefinitionsDto"])
    for key in ("deployedProcessDefinitions", "deployedCaseDefinitions",
                "deployedDecisionDefinitions", "deployedDecisionRequirementsDefinitions"):
        assert properties[key].get("nullable"), key


def test_error_bodies_match_exception_dto(spec: dict[str, Any]) -> None:
    """Camunda's error body: `code` is null for InvalidRequestException."""
    properties = _properties(spec, spec["components"]["schemas"]["ExceptionDto"])
    for error in (InvalidRequest("message"), ProcessEngineError("message")):
        body = error.body()
        assert set(body) == set(properties)
        assert all(properties[key].get("nullable") for key, value in body.items()
                   if value is None)
