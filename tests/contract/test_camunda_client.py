"""Camunda's own generated Python client (`generic-camunda-client`, built from Camunda 7.18's
OpenAPI spec) works against modbatch as published, and openapi.yaml says what Camunda's spec says.

The client lives in its own venv (`.cache/camunda-client/venv`). Its side of the comparison is
read from the installed package (clients/camunda_spec.py): every API method is called with a
recording transport, and every model's `attribute_map` / `openapi_types` gives Camunda's
property names and types. Every difference must be listed in DELIBERATE below (and in README.md,
"Deliberate differences from Camunda's spec"); anything else is a bug to fix here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from tests.conftest import model_path
from tests.contract.venvs import ROOT, cached_venv, run_script

CLIENT = [
    "generic-camunda-client==7.18.0",
    "certifi==2026.10.19.post1", "python-dateutil==4.0.0", "six==1.17.0", "tzdata==2026.6",
    "urllib3==2.8.0",
]

INSTANCES = 50
HTTP_METHODS = ("get", "put", "post", "delete")

# Camunda declares dates `type: string, format: date-time`; openapi.yaml declares them as plain
# strings because their format (`2026-11-27T10:15:30.000+0000`, no colon in the offset) is not
# RFC 3339 `date-time`, which generated clients and validators would otherwise enforce.
DATE_NAME = re.compile(r"(Time|Date|Timestamp|Before|After|^after|^before|^created|^due|"
                       r"^followUp|^lastUpdated|-time)$")

# ... and a value that is a date without a date-like name: the value of a dueDates/createTimes
# condition of a job query, and JobDuedateDto's all-lower-case `duedate`.
DATE_VALUES = {"JobConditionQueryParameterDto.value", "JobDuedateDto.duedate"}

LATER_CAMUNDA = "in later Camunda 7 specs, not in 7.18's (the client's)"
EXTENSION = "modbatch extension (x-modbatch-extension in openapi.yaml)"

DELIBERATE: dict[str, str] = {
    # operations Camunda 7.18's spec does not have
    "GET /batch/{id}/items: not in Camunda's spec": EXTENSION,
    "GET /batch/{id}/items/count: not in Camunda's spec": EXTENSION,
    "GET /history/batch/{id}/items: not in Camunda's spec": EXTENSION,
    "GET /history/batch/{id}/items/count: not in Camunda's spec": EXTENSION,
    "POST /modification/executeAsync/dry-run: not in Camunda's spec": EXTENSION,
    "GET /process-definition/{id}/svg: not in Camunda's spec": EXTENSION,
    "DELETE /job/{id}: not in Camunda's spec": LATER_CAMUNDA,
    # parameters and properties only here
    "GET /job ?batchId: not in Camunda's spec": EXTENSION,
    "GET /job/count ?batchId: not in Camunda's spec": EXTENSION,
    "JobQueryDto.batchId: not in Camunda's spec": EXTENSION,
    "GET /job ?acquired: not in Camunda's spec": LATER_CAMUNDA,
    "GET /job/count ?acquired: not in Camunda's spec": LATER_CAMUNDA,
    "JobQueryDto.acquired: not in Camunda's spec": LATER_CAMUNDA,
    "JobDto.batchId: not in Camunda's spec": LATER_CAMUNDA,
    "JobRetriesDto.dueDate: not in Camunda's spec": LATER_CAMUNDA + " (JobRetriesDto, was RetriesDto)",
    "TaskDto.taskState: not in Camunda's spec": LATER_CAMUNDA,
    "ProcessInstanceDto.definitionKey: not in Camunda's spec": LATER_CAMUNDA,
    "ProcessInstanceWithVariablesDto.definitionKey: not in Camunda's spec": LATER_CAMUNDA,
    "MessageCorrelationResultWithVariableDto.processInstance.definitionKey: not in Camunda's "
    "spec": LATER_CAMUNDA + " (the result's ProcessInstanceDto)",
    "ActivityInstanceDto.name: not in Camunda's spec":
        LATER_CAMUNDA + " (deprecated alias of activityName that Camunda's server sends)",
    "ModificationDto.historicProcessInstanceQuery: not in Camunda's spec":
        LATER_CAMUNDA + " (7.22); a HistoricProcessInstanceQueryDto, as there",
    "ExternalTaskDto.createTime: not in Camunda's spec": LATER_CAMUNDA,
    "LockedExternalTaskDto.createTime: not in Camunda's spec": LATER_CAMUNDA,
    "LockedExternalTaskDto.extensionProperties: not in Camunda's spec":
        LATER_CAMUNDA + " (Camunda's server sends it since 7.15; its Python client reads it)",
    # types
    "ModificationDto.processInstanceIds: list[any] here, list[str] in Camunda":
        "items declared `{}` and checked by the server: a million ids validate in one pass",
    "POST /deployment/create formData data: list[file] here, file in Camunda":
        "the `data` part may repeat (each is a resource); any other part name is a resource too",
    "GET /job/{id}/stacktrace response: str here, object in Camunda":
        "Camunda declares its text/plain stack trace with no schema; the bytes are the same",
    "ProcessInstanceModificationInstructionDto.variables: dict(str, TriggerVariableValueDto) "
    "here, TriggerVariableValueDto in Camunda":
        "a map of variable name to value, as Camunda's server and docs take it; 7.18's spec "
        "declares a single TriggerVariableValueDto",
    "TaskDto.camundaFormRef: object here, dict(str, CamundaFormRef) in Camunda":
        "always null here (no forms); Camunda 7.18's spec mistypes the single reference as a map",
    "DeploymentWithDefinitionsDto.deployedCaseDefinitions: object here, "
    "dict(str, CaseDefinitionDto) in Camunda": "always null: no CMMN",
    "DeploymentWithDefinitionsDto.deployedDecisionRequirementsDefinitions: object here, "
    "dict(str, DecisionRequirementsDefinitionDto) in Camunda":
        "always null: decision tables deploy without decision requirements definitions",
    # Camunda's properties not declared here (an undeclared property in a request is ignored)
    "ProcessInstanceQueryDto.subCaseInstance: only in Camunda's spec": "no CMMN",
    "ProcessInstanceQueryDto.superCaseInstance: only in Camunda's spec": "no CMMN",
    "SetRetriesForExternalTasksDto.historicProcessInstanceQuery: only in Camunda's spec":
        "not implemented for external task retries",
    # history
    "GET /history/incident ?firstResult: not in Camunda's spec":
        "Camunda's server pages historic incidents; 7.18's spec leaves the paging parameters out",
    "GET /history/incident ?maxResults: not in Camunda's spec":
        "Camunda's server pages historic incidents; 7.18's spec leaves the paging parameters out",
    "GET /history/variable-instance ?variableValue: str here, object in Camunda":
        "a query string value is text; the server reads a number or true/false literal as such",
    "GET /history/variable-instance/count ?variableValue: str here, object in Camunda":
        "a query string value is text; the server reads a number or true/false literal as such",
    "HistoricProcessInstanceQueryDto.caseInstanceId: only in Camunda's spec": "no CMMN",
    "HistoricProcessInstanceQueryDto.subCaseInstanceId: only in Camunda's spec": "no CMMN",
    "HistoricProcessInstanceQueryDto.superCaseInstanceId: only in Camunda's spec": "no CMMN",
    "HistoricProcessInstanceQueryDto.executedJobAfter: only in Camunda's spec": "no job log",
    "HistoricProcessInstanceQueryDto.executedJobBefore: only in Camunda's spec": "no job log",
    # the items of orQueries (README, "Rules the spec states": or-queries do not nest) are the
    # same DTOs, with the same differences
    "ProcessInstanceOrQueryDto.subCaseInstance: only in Camunda's spec": "no CMMN",
    "ProcessInstanceOrQueryDto.superCaseInstance: only in Camunda's spec": "no CMMN",
    "HistoricProcessInstanceOrQueryDto.caseInstanceId: only in Camunda's spec": "no CMMN",
    "HistoricProcessInstanceOrQueryDto.subCaseInstanceId: only in Camunda's spec": "no CMMN",
    "HistoricProcessInstanceOrQueryDto.superCaseInstanceId: only in Camunda's spec": "no CMMN",
    "HistoricProcessInstanceOrQueryDto.executedJobAfter: only in Camunda's spec": "no job log",
    "HistoricProcessInstanceOrQueryDto.executedJobBefore: only in Camunda's spec": "no job log",
    "HistoricVariableInstanceQueryDto.caseActivityIdIn: only in Camunda's spec": "no CMMN",
    "HistoricVariableInstanceQueryDto.caseExecutionIdIn: only in Camunda's spec": "no CMMN",
    "HistoricVariableInstanceQueryDto.caseInstanceId: only in Camunda's spec": "no CMMN",
}

# Camunda query parameters that openapi.yaml does not declare (the server ignores them).
_PROCESS_DEFINITION_FILTERS = (
    "category categoryLike deployedAfter deployedAt incidentId incidentMessage "
    "incidentMessageLike incidentType includeProcessDefinitionsWithoutTenantId "
    "notStartableInTasklist startableBy startableInTasklist startablePermissionCheck "
    "versionTagLike withoutVersionTag")
_TASK_FILTERS = (
    "assigned assigneeExpression assigneeIn assigneeLike assigneeLikeExpression assigneeNotIn "
    "candidateGroup candidateGroupExpression candidateGroups candidateGroupsExpression "
    "candidateUser candidateUserExpression caseDefinitionId caseDefinitionKey "
    "caseDefinitionName caseDefinitionNameLike caseExecutionId caseInstanceBusinessKey "
    "caseInstanceBusinessKeyLike caseInstanceId caseInstanceVariables createdAfter "
    "createdAfterExpression createdBefore createdBeforeExpression createdOn "
    "createdOnExpression delegationState description descriptionLike dueAfter "
    "dueAfterExpression dueBefore dueBeforeExpression dueDate dueDateExpression executionId "
    "followUpAfter followUpAfterExpression followUpBefore followUpBeforeExpression "
    "followUpBeforeOrNotExistent followUpBeforeOrNotExistentExpression followUpDate "
    "followUpDateExpression includeAssignedTasks involvedUser involvedUserExpression "
    "maxPriority minPriority nameLike nameNotEqual nameNotLike owner ownerExpression "
    "parentTaskId priority processDefinitionKeyIn processDefinitionName "
    "processDefinitionNameLike processInstanceBusinessKey "
    "processInstanceBusinessKeyExpression processInstanceBusinessKeyIn "
    "processInstanceBusinessKeyLike processInstanceBusinessKeyLikeExpression processVariables "
    "taskDefinitionKeyLike taskId taskIdIn taskVariables unassigned updatedAfter "
    "updatedAfterExpression variableNamesIgnoreCase variableValuesIgnoreCase "
    "withCandidateGroups withCandidateUsers withoutCandidateGroups withoutCandidateUsers "
    "withoutDueDate withoutTenantId")
_HISTORIC_PROCESS_FILTERS = (
    "caseInstanceId executedJobAfter executedJobBefore subCaseInstanceId superCaseInstanceId")
_HISTORIC_VARIABLE_FILTERS = "caseActivityIdIn caseExecutionIdIn caseInstanceId"
UNDECLARED_CAMUNDA_PARAMETERS: dict[str, str] = {
    "GET /process-definition": _PROCESS_DEFINITION_FILTERS,
    "GET /process-definition/count": _PROCESS_DEFINITION_FILTERS,
    "GET /process-instance": "subCaseInstance superCaseInstance",
    "GET /process-instance/count": "subCaseInstance superCaseInstance",
    "GET /task": _TASK_FILTERS,
    "GET /task/count": _TASK_FILTERS,
    "GET /history/process-instance": _HISTORIC_PROCESS_FILTERS,
    "GET /history/process-instance/count": _HISTORIC_PROCESS_FILTERS,
    "GET /history/variable-instance": _HISTORIC_VARIABLE_FILTERS,
    "GET /history/variable-instance/count": _HISTORIC_VARIABLE_FILTERS,
}

SPEC_PATH = ROOT / "openapi.yaml"


@pytest.fixture(scope="module")
def camunda_venv() -> Path:
    return cached_venv("camunda-client", CLIENT)


def test_camunda_client_runs_the_execute_async_flow(camunda_venv, server):
    """Deploy, start 50, executeModificationAsync by query, poll the batch statistics (reading
    the batch's jobs meanwhile), then every activity-instance tree, all through Camunda's client."""
    report = run_script(camunda_venv, "camunda_flow.py", server,
                        model_path("nestedParallelOneTaskProcess"), str(INSTANCES), timeout=300)
    assert f"OK: {INSTANCES} instances modified" in report, report


# --- the comparison ---------------------------------------------------------------------------

def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class Ours:
    """openapi.yaml's operations and types, in the generated client's type vocabulary."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def deref(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    def properties(self, schema: dict) -> dict[str, Any]:
        schema = self.deref(schema)
        found: dict[str, Any] = {}
        for part in schema.get("allOf", [schema]):
            found.update(self.deref(part).get("properties", {}))
        return found

    def is_model(self, schema: Any) -> bool:
        return bool(self.properties(schema)) if isinstance(schema, dict) else False

    def name(self, schema: Any) -> str:
        """The type as the generated client would name it (str, int, list[X], dict(str, X)...)."""
        if isinstance(schema, dict) and "$ref" in schema:
            return schema["$ref"].rsplit("/", 1)[1]
        schema = schema or {}
        if "allOf" in schema:
            return "object"
        kind = schema.get("type")
        if kind == "string":
            return {"date-time": "datetime", "binary": "file"}.get(schema.get("format"), "str")
        if kind in ("integer", "number", "boolean"):
            return {"integer": "int", "number": "float", "boolean": "bool"}[kind]
        if kind == "array":
            items = schema.get("items")
            return f"list[{self.name(items) if items else 'any'}]"
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return f"dict(str, {self.name(extra)})"
        return "object"

    def operations(self) -> Iterator[tuple[str, dict]]:
        for path, item in self.spec["paths"].items():
            for method in HTTP_METHODS:
                if method in item:
                    yield f"{method.upper()} {path}", item[method]

    def parameters(self, operation: dict) -> dict[str, tuple[str, dict]]:
        found = {}
        for parameter in operation.get("parameters", []):
            parameter = self.deref(parameter)
            found[parameter["name"]] = (parameter["in"], parameter.get("schema", {}))
        body = self.deref(operation.get("requestBody"))
        for media_type, media in (body or {}).get("content", {}).items():
            if media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
                for name, schema in self.properties(media["schema"]).items():
                    found[name] = ("formData", schema)
        return found

    def body(self, operation: dict) -> dict | None:
        body = self.deref(operation.get("requestBody"))
        for media_type, media in (body or {}).get("content", {}).items():
            if media_type == "application/json":
                return media["schema"]
        return None

    def response(self, operation: dict) -> dict | None:
        for code, response in sorted(operation["responses"].items()):
            if code.startswith("2"):
                for media in self.deref(response).get("content", {}).values():
                    return media.get("schema", {})
        return None


class Comparison:
    """Walks both sides in step and records every difference as one readable line."""

    def __init__(self, ours: Ours, camunda: dict[str, Any]) -> None:
        self.ours = ours
        self.models: dict[str, dict[str, str]] = camunda["models"]
        self.operations = {f"{o['method'].upper()} {o['path']}": o for o in camunda["operations"]}
        self.differences: list[str] = []
        self.dates: list[str] = []
        self.undeclared: dict[str, str] = {}
        self._compared: set[tuple[str, str]] = set()

    def run(self) -> None:
        for where, operation in self.ours.operations():
            theirs = self.operations.get(where)
            if theirs is None:
                self.differences.append(f"{where}: not in Camunda's spec")
                continue
            if _snake(operation["operationId"]) != theirs["operation"]:
                self.differences.append(f"{where}: operationId {operation['operationId']} here, "
                                        f"{theirs['operation']} (snake case) in Camunda")
            parameters = self.ours.parameters(operation)
            for name, (location, schema) in parameters.items():
                label = f"{where} ?{name}" if location == "query" else f"{where} {location} {name}"
                other = theirs["parameters"].get(name)
                if other is None:
                    self.differences.append(f"{label}: not in Camunda's spec")
                    continue
                if other["in"] != location:
                    self.differences.append(f"{label}: in {location} here, in {other['in']} "
                                            f"in Camunda")
                self.compare(label, schema, other["type"])
            missing = sorted(set(theirs["parameters"]) - set(parameters))
            if missing:
                self.undeclared[where] = " ".join(missing)
            body = self.ours.body(operation)
            if (body is None) != (theirs["body"] is None):
                self.differences.append(f"{where} body: {self.ours.name(body) if body else None}"
                                        f" here, {theirs['body']} in Camunda")
            elif body is not None:
                self.compare(f"{where} body", body, theirs["body"])
            response = self.ours.response(operation)
            if (response is None) != (theirs["response"] is None):
                self.differences.append(
                    f"{where} response: {self.ours.name(response) if response else None} here, "
                    f"{theirs['response']} in Camunda")
            elif response is not None:
                self.compare(f"{where} response", response, theirs["response"])

    def compare(self, where: str, schema: Any, theirs: str) -> None:
        """One value: our schema against Camunda's type name."""
        schema = schema or {}
        mine = self.ours.name(schema)
        resolved = self.ours.deref(schema)
        if theirs in self.models and self.ours.is_model(resolved):
            label = mine if "$ref" in schema else where
            self.compare_models(label, resolved, theirs)
            return
        inner = re.fullmatch(r"list\[(.*)\]", theirs)
        if inner and resolved.get("type") == "array" and resolved.get("items"):
            self.compare(f"{where}[]", resolved["items"], inner.group(1))
            return
        inner = re.fullmatch(r"dict\(str, (.*)\)", theirs)
        extra = resolved.get("additionalProperties")
        if inner and isinstance(extra, dict) and extra:
            self.compare(f"{where}{{}}", extra, inner.group(1))
            return
        if mine == theirs or {mine, theirs} == {"object", "dict(str, object)"}:
            return
        if theirs == "datetime" and mine == "str":
            self.dates.append(where)
            return
        self.differences.append(f"{where}: {mine} here, {theirs} in Camunda")

    def compare_models(self, label: str, schema: dict, theirs: str) -> None:
        if (label, theirs) in self._compared:
            return
        self._compared.add((label, theirs))
        mine = self.ours.properties(schema)
        other = self.models[theirs]
        for name in sorted(set(mine) | set(other)):
            where = f"{label}.{name}"
            if name not in other:
                self.differences.append(f"{where}: not in Camunda's spec")
            elif name not in mine:
                self.differences.append(f"{where}: only in Camunda's spec")
            else:
                self.compare(where, mine[name], other[name])


@pytest.fixture(scope="module")
def comparison(camunda_venv) -> Comparison:
    camunda = json.loads(run_script(camunda_venv, "camunda_spec.py", timeout=120))
    assert camunda["version"] == "7.18.0"
    result = Comparison(Ours(yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))), camunda)
    result.run()
    return result


def test_every_difference_from_camunda_spec_is_deliberate(comparison):
    """operationIds, parameter names and types, request and response properties and types of
    every operation both specs have: what differs is in DELIBERATE, and DELIBERATE is current."""
    unexpected = sorted(set(comparison.differences) - set(DELIBERATE))
    stale = sorted(set(DELIBERATE) - set(comparison.differences))
    assert not unexpected, "differences from Camunda's spec:\n" + "\n".join(unexpected)
    assert not stale, "DELIBERATE lists differences that are gone:\n" + "\n".join(stale)


def test_only_dates_drop_the_date_time_format(comparison):
    """Every value Camunda types `date-time` is a plain string here, and only dates are."""
    assert comparison.dates, "no date found: the comparison walked nothing"
    not_dates = [where for where in comparison.dates
                 if not DATE_NAME.search(re.split(r"[ .?]", where)[-1])
                 and where not in DATE_VALUES]
    assert not not_dates, not_dates


def test_undeclared_camunda_parameters_are_the_listed_ones(comparison):
    """Query parameters Camunda has and openapi.yaml leaves out are exactly the listed ones."""
    assert comparison.undeclared == UNDECLARED_CAMUNDA_PARAMETERS
