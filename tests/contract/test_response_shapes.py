"""Responses have the shape openapi.yaml documents: every required key present, every date in
Camunda's format. Checked on the spec's own examples and on real responses of a scripted session
that reaches every operation with a JSON success response.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from tests.api.conftest import DATE, app, client, shared_app  # noqa: F401 (fixtures)
from tests.conftest import model_path

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete")
ROOT = "/engine-rest"

DATE_SUFFIXES = ("Time", "Date", "time")
DATE_NAMES = {"created", "due", "followUp", "lastUpdated", "deploymentTime", "startTime",
              "endTime", "removalTime", "incidentTimestamp", "dueDate", "createTime"}


def is_date_name(name: str) -> bool:
    return name in DATE_NAMES or name.endswith(DATE_SUFFIXES)


SPEC: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))


def deref(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = SPEC
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def object_parts(schema: dict) -> tuple[dict[str, Any], list[str]]:
    """Properties and required keys of an object schema, allOf parts merged."""
    schema = deref(schema)
    properties: dict[str, Any] = {}
    required: list[str] = []
    for part in [deref(p) for p in schema.get("allOf", [])] + [schema]:
        properties.update(part.get("properties", {}))
        required += part.get("required", [])
    return properties, required


def shape_problems(value: Any, schema: Any, where: str) -> Iterator[str]:
    """What in `value` breaks the documented shape: a missing required key (all properties when
    the schema lists none), a date-named property whose value is not a Camunda date."""
    schema = deref(schema) or {}
    if value is None:
        return
    if isinstance(value, list) and schema.get("type") == "array":
        for index, item in enumerate(value):
            yield from shape_problems(item, schema.get("items"), f"{where}[{index}]")
        return
    if not isinstance(value, dict):
        return
    properties, required = object_parts(schema)
    if properties:
        for key in (required if required or "required" in schema else list(properties)):
            if key not in value:
                yield f"{where}: documented key {key!r} missing"
        for key, item in value.items():
            if key not in properties:
                continue
            if is_date_name(key) and item is not None and not (
                    isinstance(item, str) and DATE.match(item)):
                yield f"{where}.{key}: {item!r} is not yyyy-MM-dd'T'HH:mm:ss.SSSZ"
            yield from shape_problems(item, properties[key], f"{where}.{key}")
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and extra:
        for key, item in value.items():
            if key not in properties:
                yield from shape_problems(item, extra, f"{where}{{{key}}}")


def operations() -> Iterator[tuple[str, str, dict]]:
    for path, item in SPEC["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield method, path, item[method]


def json_schema(operation: dict, status: str) -> Any:
    response = deref(operation["responses"].get(status) or operation["responses"].get("default"))
    if response is None:
        return None
    media = response.get("content", {}).get("application/json")
    return media.get("schema", {}) if media is not None else None


def test_date_examples_and_documented_examples_have_the_documented_shape():
    """Every example in a response (media examples and property examples at any depth)."""
    problems, checked = [], 0
    for method, path, operation in operations():
        for status, response in operation["responses"].items():
            for media_type, media in deref(response).get("content", {}).items():
                where = f"{method.upper()} {path} {status} {media_type}"
                examples = [media["example"]] if "example" in media else []
                examples += [deref(e).get("value") for e in media.get("examples", {}).values()]
                for example in examples:
                    checked += 1
                    if media_type == "application/json":
                        problems += shape_problems(example, media.get("schema"), where)
    for name, schema in SPEC["components"]["schemas"].items():
        properties, _ = object_parts(schema)
        for key, property_schema in properties.items():
            example = deref(property_schema).get("example")
            if example is not None and is_date_name(key):
                checked += 1
                if not (isinstance(example, str) and DATE.match(example)):
                    problems.append(f"{name}.{key} example {example!r}")
    assert checked > 10
    assert not problems, "\n".join(problems)


class Session:
    """A client that remembers which operation answered what."""

    def __init__(self, client) -> None:
        self.client = client
        self.answers: list[tuple[str, str, int, Any, str]] = []

    def __call__(self, method: str, template: str, status: int = 200, **options) -> Any:
        path = options.pop("path", {})
        url = ROOT + template.format(**path)
        response = self.client.request(method.upper(), url, **options)
        assert response.status_code == status, (method, url, response.status_code, response.text)
        content_type = response.headers.get("content-type", "")
        body = response.json() if content_type.startswith("application/json") and \
            response.content else response.text
        self.answers.append((method, template, status, body, content_type))
        return body


def run_jobs(call: Session, batch: dict) -> None:
    """Step a batch's seed, execution and monitor jobs by hand until none is left."""
    for _ in range(20):
        jobs = call("get", "/job", params={"batchId": batch["id"]})
        if not jobs:
            return
        for job in jobs:
            call("post", "/job/{id}/execute", 204, path={"id": job["id"]})
    raise AssertionError("the batch did not complete in 20 rounds")


@pytest.fixture
def session(client) -> Session:  # noqa: F811 (the imported fixture)
    call = Session(client)
    nested = model_path("nestedParallelOneTaskProcess")
    deployment = call("post", "/deployment/create", files=[
        ("data", (nested.name, nested.read_bytes(), "text/xml"))],
        data={"deployment-name": "shapes", "deployment-source": "test"})
    [definition_id] = deployment["deployedProcessDefinitions"]
    call("post", "/deployment/create", 400,
         files={"data": ("broken.bpmn", b"<definitions", "text/xml")})
    call("get", "/deployment")
    call("get", "/deployment/count")
    call("get", "/deployment/{id}", path={"id": deployment["id"]})
    call("get", "/deployment/{id}", 404, path={"id": "unknown"})

    call("get", "/version")
    call("get", "/engine")
    key = "nestedOneTaskProcess"
    call("get", "/process-definition")
    call("get", "/process-definition/count")
    call("get", "/process-definition/{id}", path={"id": definition_id})
    call("get", "/process-definition/key/{key}", path={"key": key})
    call("get", "/process-definition/{id}/xml", path={"id": definition_id})
    call("get", "/process-definition/{id}/svg", 204, path={"id": definition_id})
    call("get", "/process-definition/{id}/svg", 404, path={"id": "unknown"})
    first = call("post", "/process-definition/{id}/start", path={"id": definition_id}, json={
        "businessKey": "first", "withVariablesInReturn": True,
        "variables": {"amount": {"value": 3, "type": "Integer"},
                      "startTime": {"value": "2026-11-27T10:15:30.000+0000", "type": "Date"}}})
    instances = [first["id"]] + [
        call("post", "/process-definition/key/{key}/start", path={"key": key},
             json={"businessKey": f"instance-{n}"})["id"] for n in range(4)]

    call("get", "/process-instance", params={"processDefinitionKey": key})
    call("post", "/process-instance", json={"processDefinitionKey": key,
                                             "sorting": [{"sortBy": "instanceId",
                                                          "sortOrder": "asc"}]})
    call("get", "/process-instance/count")
    call("post", "/process-instance/count", json={})
    call("get", "/process-instance/{id}", path={"id": first["id"]})
    call("get", "/process-instance/{id}", 404, path={"id": "unknown"})
    call("get", "/process-instance/{id}/activity-instances", path={"id": first["id"]})
    call("get", "/process-instance/{id}/variables", path={"id": first["id"]})
    for suspended in (True, False):
        call("put", "/process-instance/{id}/suspended", 204, path={"id": first["id"]},
             json={"suspended": suspended})

    tasks = call("get", "/task", params={"processInstanceId": instances[1]})
    call("get", "/task/count")
    call("get", "/task/{id}", path={"id": tasks[0]["id"]})
    call("post", "/task/{id}/complete", path={"id": tasks[0]["id"]},
         json={"withVariablesInReturn": True})
    call("post", "/task/{id}/complete", 204, path={"id": tasks[1]["id"]}, json={})

    move = [{"type": "cancel", "activityId": "innerTask"},
            {"type": "startBeforeActivity", "activityId": "outerTask"}]
    call("post", "/modification/execute", 204, json={
        "processDefinitionId": definition_id, "processInstanceIds": [instances[2]],
        "instructions": move})
    call("post", "/process-instance/{id}/modification", 204, path={"id": instances[3]},
         json={"instructions": [{"type": "startBeforeActivity", "activityId": "outerTask"}]})
    single = call("post", "/process-instance/{id}/modification-async", path={"id": instances[3]},
                  json={"instructions": [{"type": "cancel", "activityId": "outerTask"}]})
    call("post", "/modification/executeAsync/dry-run", params={"sampleSize": 2}, json={
        "processDefinitionId": definition_id, "processInstanceIds": ["unknown"],
        "processInstanceQuery": {"processDefinitionKey": key}, "instructions": move})
    call("post", "/modification/executeAsync/dry-run", 400, json={"processDefinitionId": definition_id})
    good = call("post", "/modification/executeAsync", json={
        "processDefinitionId": definition_id,
        "processInstanceQuery": {"processDefinitionKey": key}, "instructions": move})
    bad = call("post", "/modification/executeAsync", json={
        "processDefinitionId": definition_id, "processInstanceIds": [instances[4]],
        "instructions": [{"type": "startBeforeActivity", "activityId": "noSuchActivity"}]})
    call("post", "/modification/executeAsync", 400, json={"processDefinitionId": definition_id})

    call("get", "/batch")
    call("get", "/batch/count")
    call("get", "/batch/statistics")
    call("get", "/batch/statistics/count")
    call("get", "/batch/{id}", path={"id": good["id"]})
    call("get", "/batch/{id}", 404, path={"id": "unknown"})
    call("get", "/batch/{id}/items", path={"id": good["id"]})
    call("get", "/batch/{id}/items/count", path={"id": good["id"]})
    call("get", "/job-definition")
    call("get", "/job-definition/count")
    call("get", "/job-definition/{id}", path={"id": good["seedJobDefinitionId"]})

    run_jobs(call, single)
    run_jobs(call, good)
    [seed] = call("get", "/job", params={"jobDefinitionId": bad["seedJobDefinitionId"]})
    call("post", "/job/{id}/execute", 204, path={"id": seed["id"]})
    [failing] = call("post", "/job", json={"jobDefinitionId": bad["batchJobDefinitionId"]})
    call("post", "/job/{id}/execute", 404, path={"id": failing["id"]})
    call("get", "/job/{id}", path={"id": failing["id"]})
    call("get", "/job/{id}/stacktrace", path={"id": failing["id"]})
    call("put", "/job/{id}/retries", 204, path={"id": failing["id"]}, json={"retries": 0})
    call("get", "/job", params={"withException": "true"})
    call("get", "/job/count")
    call("post", "/job/count", json={"withException": True})
    call("get", "/incident")
    call("get", "/incident/count")
    call("put", "/job/{id}/suspended", 204, path={"id": failing["id"]}, json={"suspended": True})
    call("put", "/batch/{id}/suspended", 204, path={"id": bad["id"]}, json={"suspended": True})
    call("get", "/batch/statistics", params={"batchId": bad["id"]})

    external_task_session(call)
    history_session(call, first["id"])
    decision_session(call)

    call("get", "/history/batch")
    call("get", "/history/batch/count")
    call("get", "/history/batch/{id}", path={"id": good["id"]})
    call("get", "/history/batch/{id}", path={"id": bad["id"]})
    call("get", "/history/batch/{id}/items", path={"id": good["id"]})
    call("get", "/history/batch/{id}/items/count", path={"id": good["id"]})
    call("get", "/process-instance/{id}/activity-instances", path={"id": instances[2]})
    call("delete", "/job/{id}", 204, path={"id": failing["id"]})
    call("delete", "/batch/{id}", 204, path={"id": bad["id"]})
    call("delete", "/history/batch/{id}", 204, path={"id": single["id"]})
    call("delete", "/process-instance/{id}", 204, path={"id": instances[0]})
    call("delete", "/deployment/{id}", 204, path={"id": deployment["id"]},
         params={"cascade": "true"})
    call("get", "/job/{id}", 404, path={"id": "unknown"})
    call("get", "/batch", 400, params={"sortBy": "nonsense", "sortOrder": "asc"})

    call("post", "/deployment/create", files={"data": ("paid.bpmn", MESSAGE_START, "text/xml")})
    call("get", "/event-subscription")
    call("get", "/event-subscription/count")
    call("post", "/message", json={"messageName": "paid", "resultEnabled": True,
                                   "variablesInResultEnabled": True,
                                   "processVariables": {"a": {"value": 1}}})
    call("post", "/message", 400, json={"messageName": "nothing"})
    call("post", "/message", 204, json={"messageName": "paid", "all": True})
    call("post", "/signal", 204, json={"name": "nothing"})
    reads_session(call)
    return call


def reads_session(call: Session) -> None:
    """Variable instances, executions, statistics and deployment resources of a waiting instance."""
    deployment = call("post", "/deployment/create", files=[
        ("data", ("waits.bpmn", MESSAGE_CATCH, "text/xml")),
        ("notes", ("notes.json", b'{"note": 1}', "application/json"))])
    [definition_id] = deployment["deployedProcessDefinitions"]
    started = call("post", "/process-definition/key/{key}/start", path={"key": "waits"},
                   json={"variables": {"amount": {"value": 5, "type": "Integer"}}})
    [variable] = call("get", "/variable-instance", params={"processInstanceIdIn": started["id"]})
    call("post", "/variable-instance", json={"variableName": "amount"})
    call("get", "/variable-instance/count")
    call("post", "/variable-instance/count", json={})
    call("get", "/variable-instance/{id}", path={"id": variable["id"]})
    call("get", "/variable-instance/{id}", 404, path={"id": "unknown"})
    call("get", "/variable-instance/{id}/data", 400, path={"id": variable["id"]})
    [waiting] = call("get", "/execution", params={"messageEventSubscriptionName": "go"})
    call("post", "/execution", json={"processInstanceId": started["id"]})
    call("get", "/execution/count")
    call("post", "/execution/count", json={})
    call("get", "/execution/{id}", path={"id": waiting["id"]})
    call("get", "/execution/{id}", 404, path={"id": "unknown"})
    message = {"id": waiting["id"], "messageName": "go"}
    call("get", "/execution/{id}/messageSubscriptions/{messageName}", path=message)
    call("get", "/process-definition/statistics", params={"failedJobs": "true",
                                                          "incidents": "true"})
    call("get", "/process-definition/{id}/statistics", path={"id": definition_id},
         params={"failedJobs": "true", "incidentsForType": "failedJob"})
    call("get", "/process-definition/key/{key}/statistics", path={"key": "waits"})
    call("get", "/process-definition/key/{key}/tenant-id/{tenant-id}/statistics", 404,
         path={"key": "waits", "tenant-id": "t1"})
    call("post", "/deployment/create", data={"tenant-id": "t1"},
         files={"data": ("waits.bpmn", MESSAGE_CATCH, "text/xml")})
    call("get", "/process-definition/key/{key}/tenant-id/{tenant-id}/statistics",
         path={"key": "waits", "tenant-id": "t1"})
    call("get", "/process-definition/{id}/statistics", 400, path={"id": definition_id},
         params={"incidents": "maybe"})
    resources = call("get", "/deployment/{id}/resources", path={"id": deployment["id"]})
    [notes] = [r for r in resources if r["name"] == "notes.json"]
    call("get", "/deployment/{id}/resources/{resourceId}",
         path={"id": deployment["id"], "resourceId": notes["id"]})
    call("get", "/deployment/{id}/resources/{resourceId}/data",
         path={"id": deployment["id"], "resourceId": notes["id"]})  # a JSON file: JSON
    call("get", "/deployment/{id}/resources", 404, path={"id": "unknown"})
    call("post", "/execution/{id}/messageSubscriptions/{messageName}/trigger", 204, path=message,
         json={"variables": {"paid": {"value": True}}})
    call("post", "/execution/{id}/messageSubscriptions/{messageName}/trigger", 404, path=message,
         json={})


def decision_session(call: Session) -> None:
    """A decision table deployed alone, listed, read and evaluated by id and by key."""
    table = Path(__file__).resolve().parents[1] / "dmn" / "invoice-assign-approver.dmn"
    deployment = call("post", "/deployment/create", files=[
        ("data", (table.name, table.read_bytes(), "text/xml"))])
    [decision_id] = deployment["deployedDecisionDefinitions"]
    key = "invoice-assign-approver"
    call("get", "/decision-definition")
    call("get", "/decision-definition/count")
    call("get", "/decision-definition/{id}", path={"id": decision_id})
    call("get", "/decision-definition/{id}", 404, path={"id": "unknown"})
    call("get", "/decision-definition/key/{key}", path={"key": key})
    call("get", "/decision-definition/{id}/xml", path={"id": decision_id})
    call("get", "/decision-definition/key/{key}/xml", path={"key": key})
    variables = {"invoiceCategory": {"value": "Misc"}, "amount": {"value": 30, "type": "Double"}}
    call("post", "/decision-definition/{id}/evaluate", path={"id": decision_id},
         json={"variables": variables})
    call("post", "/decision-definition/key/{key}/evaluate", path={"key": key},
         json={"variables": variables})
    call("post", "/decision-definition/key/{key}/evaluate", 400, path={"key": key},
         json={"variables": {"invoiceCategory": {"value": "Misc"}}})


def external_task_session(call: Session) -> None:
    """Two external tasks fetched and locked: one fails without retries, one is completed."""
    parallel = model_path("camunda-external-task-client-python3__parallel_steps_example.bpmn")
    call("post", "/deployment/create", files=[
        ("data", (parallel.name, parallel.read_bytes(), "text/xml"))])
    started = call("post", "/process-definition/key/{key}/start",
                   path={"key": "PARALLEL_STEPS_EXAMPLE"}, json={"businessKey": "ext"})
    call("get", "/external-task")
    call("post", "/external-task", json={"processInstanceId": started["id"]})
    call("get", "/external-task/count")
    call("post", "/external-task/count", json={})
    call("get", "/external-task/topic-names")
    locked = call("post", "/external-task/fetchAndLock", json={
        "workerId": "w", "maxTasks": 2, "topics": [
            {"topicName": "PARALLEL_STEP_1", "lockDuration": 1000},
            {"topicName": "PARALLEL_STEP_2", "lockDuration": 1000}]})
    failed, done = (task["id"] for task in locked)
    call("get", "/external-task/{id}", path={"id": failed})
    call("post", "/external-task/{id}/failure", 204, path={"id": failed}, json={
        "workerId": "w", "errorMessage": "down", "errorDetails": "details", "retries": 0})
    call("get", "/external-task/{id}/errorDetails", path={"id": failed})
    call("get", "/incident", params={"processInstanceId": started["id"]})
    call("put", "/external-task/{id}/retries", 204, path={"id": failed}, json={"retries": 1})
    call("post", "/external-task/{id}/complete", 204, path={"id": done},
         json={"workerId": "w", "variables": {"ok": {"value": True}}})
    call("get", "/external-task/{id}", 404, path={"id": "unknown"})


def history_session(call: Session, instance_id: str) -> None:
    """The history of the instances and incidents the session made, each resource once."""
    call("get", "/history/process-instance", params={"sortBy": "startTime", "sortOrder": "asc"})
    call("post", "/history/process-instance", json={"finished": True})
    call("get", "/history/process-instance/count")
    call("post", "/history/process-instance/count", json={"unfinished": True})
    call("get", "/history/process-instance/{id}", path={"id": instance_id})
    call("get", "/history/process-instance/{id}", 404, path={"id": "unknown"})
    [activity, *_] = call("get", "/history/activity-instance",
                          params={"processInstanceId": instance_id})
    call("post", "/history/activity-instance", json={"canceled": False})
    call("get", "/history/activity-instance/count")
    call("post", "/history/activity-instance/count", json={})
    call("get", "/history/activity-instance/{id}", path={"id": activity["id"]})
    [variable, *_] = call("get", "/history/variable-instance",
                          params={"processInstanceId": instance_id})
    call("post", "/history/variable-instance", json={"variableName": "amount"})
    call("get", "/history/variable-instance/count")
    call("post", "/history/variable-instance/count", json={})
    call("get", "/history/variable-instance/{id}", path={"id": variable["id"]})
    call("get", "/history/incident")
    call("get", "/history/incident/count")


MESSAGE_START = (
    b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">'
    b'<message id="m" name="paid"/><process id="paid" isExecutable="true">'
    b'<startEvent id="start"><messageEventDefinition messageRef="m"/></startEvent>'
    b'<sequenceFlow id="f" sourceRef="start" targetRef="task"/><userTask id="task"/>'
    b'</process></definitions>')


MESSAGE_CATCH = (
    b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">'
    b'<message id="m" name="go"/><process id="waits" isExecutable="true">'
    b'<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>'
    b'<intermediateCatchEvent id="wait"><messageEventDefinition messageRef="m"/>'
    b'</intermediateCatchEvent><sequenceFlow id="f2" sourceRef="wait" targetRef="task"/>'
    b'<userTask id="task"/></process></definitions>')


def test_the_session_reaches_every_operation(session):
    """Every operation with a JSON success response answered it at least once."""
    answered = {(method, template) for method, template, status, _, _ in session.answers
                if status < 300}
    expected = {(method, path) for method, path, operation in operations()
                if any(code.startswith("2") and json_schema(operation, code) is not None
                       for code in operation["responses"])}
    missing = sorted(f"{method.upper()} {path}" for method, path in expected - answered)
    assert not missing, "the session never called:\n" + "\n".join(missing)


def test_real_responses_have_the_documented_shape(session):
    """Each answer's status is documented; each JSON body has the documented keys and dates."""
    problems = []
    for method, template, status, body, content_type in session.answers:
        operation = SPEC["paths"][template][method]
        where = f"{method.upper()} {template} {status}"
        if str(status) not in operation["responses"]:
            problems.append(f"{where}: status not documented")
            continue
        schema = json_schema(operation, str(status))
        if schema is None:
            continue
        if not content_type.startswith("application/json"):
            problems.append(f"{where}: {content_type!r}, documented as application/json")
            continue
        problems += shape_problems(body, schema, where)
    assert not problems, "\n".join(problems)


def test_shape_check_finds_a_missing_key_and_a_bad_date():
    """The checker itself: a BatchDto without `suspended` and with an ISO 'Z' date fails."""
    batch = {"id": "b", "type": "instance-modification", "totalJobs": 1, "jobsCreated": 1,
             "batchJobsPerSeed": 100, "invocationsPerBatchJob": 100, "seedJobDefinitionId": "s",
             "monitorJobDefinitionId": "m", "batchJobDefinitionId": "e", "tenantId": None,
             "createUserId": None, "startTime": "2026-11-27T10:15:30Z", "executionStartTime": None}
    problems = list(shape_problems([batch], {"type": "array", "items": {
        "$ref": "#/components/schemas/BatchDto"}}, "batches"))
    assert problems == ["batches[0]: documented key 'suspended' missing",
                        "batches[0].startTime: '2026-11-27T10:15:30Z' is not "
                        "yyyy-MM-dd'T'HH:mm:ss.SSSZ"]
    assert re.match(DATE, "2026-11-27T10:15:30.000+0000")
