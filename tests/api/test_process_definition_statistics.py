"""GET /process-definition/{id}/statistics, /key/{key}/statistics and /statistics: waiting
activity and transition instances, failed jobs and incidents, per activity and per definition."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pytest

from modbatch.store.tables import Incident
from tests.api.conftest import error

ROOT = "/engine-rest"

# three branches wait: a task inside a sub-process, an async task (a transition instance in its
# job) and an external task
BRANCHES = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="branches" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f0" sourceRef="start" targetRef="fork"/>
    <parallelGateway id="fork"/>
    <sequenceFlow id="f1" sourceRef="fork" targetRef="sub"/>
    <sequenceFlow id="f2" sourceRef="fork" targetRef="late"/>
    <sequenceFlow id="f3" sourceRef="fork" targetRef="ext"/>
    <subProcess id="sub">
      <startEvent id="subStart"/>
      <sequenceFlow id="s1" sourceRef="subStart" targetRef="inner"/>
      <userTask id="inner"/>
      <sequenceFlow id="s2" sourceRef="inner" targetRef="subEnd"/>
      <endEvent id="subEnd"/>
    </subProcess>
    <userTask id="late" camunda:asyncBefore="true"/>
    <serviceTask id="ext" camunda:type="external" camunda:topic="bill"/>
    <sequenceFlow id="f4" sourceRef="sub" targetRef="end1"/>
    <sequenceFlow id="f5" sourceRef="late" targetRef="end2"/>
    <sequenceFlow id="f6" sourceRef="ext" targetRef="end3"/>
    <endEvent id="end1"/><endEvent id="end2"/><endEvent id="end3"/>
  </process>
</definitions>"""

IDLE = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
  <process id="idle" isExecutable="true"><startEvent id="s"/></process>
</definitions>"""


@dataclass
class Scenario:
    definition: dict  # ProcessDefinitionDto of branches
    idle: dict  # ProcessDefinitionDto of a definition without instances


def definition_dto(client, definition_id: str) -> dict:
    response = client.get(f"{ROOT}/process-definition/{definition_id}")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def scenario(api, client) -> Scenario:
    """Two instances of branches; the first one's async job has no retries left (failedJob
    incident) and its external task failed for good (failedExternalTask incident)."""
    deployed = api.deploy_xml(BRANCHES, "branches.bpmn").json()
    [definition_id] = deployed["deployedProcessDefinitions"]
    [idle_id] = api.deploy_xml(IDLE, "idle.bpmn").json()["deployedProcessDefinitions"]
    first = api.start("branches")
    api.start("branches")
    [job] = client.get(f"{ROOT}/job", params={"processInstanceId": first["id"]}).json()
    assert client.put(f"{ROOT}/job/{job['id']}/retries",
                      json={"retries": 0}).status_code == 204
    locked = client.post(f"{ROOT}/external-task/fetchAndLock", json={
        "workerId": "w", "maxTasks": 1, "topics": [
            {"topicName": "bill", "lockDuration": 10000,
             "processInstanceIdIn": [first["id"]]}]}).json()
    assert client.post(f"{ROOT}/external-task/{locked[0]['id']}/failure", json={
        "workerId": "w", "errorMessage": "down", "retries": 0}).status_code == 204
    return Scenario(definition_dto(client, definition_id), definition_dto(client, idle_id))


def activity_statistics(client, definition_id: str, status: int = 200, **params):
    response = client.get(f"{ROOT}/process-definition/{definition_id}/statistics", params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_waiting_instances_per_activity(client, scenario):
    """Leaves count (a task inside a sub-process, a transition instance, an external task), an
    entered scope does not; without options failedJobs is 0 and incidents empty."""
    assert activity_statistics(client, scenario.definition["id"]) == [
        {"id": "ext", "instances": 2, "failedJobs": 0, "incidents": []},
        {"id": "inner", "instances": 2, "failedJobs": 0, "incidents": []},
        {"id": "late", "instances": 2, "failedJobs": 0, "incidents": []}]


def test_failed_jobs_and_incidents(client, scenario):
    """failedJobs counts jobs without retries; incidents groups by type per activity."""
    assert activity_statistics(client, scenario.definition["id"], failedJobs="true",
                               incidents="true") == [
        {"id": "ext", "instances": 2, "failedJobs": 0,
         "incidents": [{"incidentType": "failedExternalTask", "incidentCount": 1}]},
        {"id": "inner", "instances": 2, "failedJobs": 0, "incidents": []},
        {"id": "late", "instances": 2, "failedJobs": 1,
         "incidents": [{"incidentType": "failedJob", "incidentCount": 1}]}]


def test_incidents_for_one_type(client, scenario):
    """incidentsForType keeps the incidents of that type only."""
    result = activity_statistics(client, scenario.definition["id"],
                                 incidentsForType="failedJob")
    assert {row["id"]: row["incidents"] for row in result} == {
        "ext": [], "inner": [],
        "late": [{"incidentType": "failedJob", "incidentCount": 1}]}


def test_an_activity_with_only_an_incident_is_listed_when_incidents_are_asked_for(
        client, app, scenario):
    """Camunda unions the activities of waiting instances, failed jobs and incidents."""
    definition = scenario.definition
    with app.engine.transaction() as session:
        session.add(Incident(id="old", incident_timestamp=datetime(2026, 6, 1),
                             incident_type="custom", process_definition_id=definition["id"],
                             activity_id="end1"))
    assert [row["id"] for row in activity_statistics(client, definition["id"])] == [
        "ext", "inner", "late"]
    result = activity_statistics(client, definition["id"], incidents="false",
                                 failedJobs="false")
    assert [row["id"] for row in result] == ["ext", "inner", "late"]
    result = activity_statistics(client, definition["id"], incidentsForType="custom")
    assert result[0] == {"id": "end1", "instances": 0, "failedJobs": 0,
                         "incidents": [{"incidentType": "custom", "incidentCount": 1}]}


def test_by_key_and_unknown_definitions(client, scenario):
    """By key answers the latest version's figures; an unknown id is an empty list and an
    unknown key Camunda's 404."""
    response = client.get(f"{ROOT}/process-definition/key/branches/statistics",
                          params={"failedJobs": "true"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert [(row["id"], row["failedJobs"]) for row in response.json()] == [
        ("ext", 0), ("inner", 0), ("late", 1)]
    assert activity_statistics(client, "unknown:1:x") == []
    missing = client.get(f"{ROOT}/process-definition/key/unknown/statistics")
    assert missing.status_code == 404
    assert missing.json() == error(
        "RestException", "No matching process definition with key: unknown and no tenant-id")


def test_incident_options_combine(client, scenario):
    """Two incident options at once (Camunda's 400; README, "Rules the spec states"):
    incidentsForType keeps its type whatever incidents says."""
    for incidents in ("false", "true"):
        result = activity_statistics(client, scenario.definition["id"], incidents=incidents,
                                     incidentsForType="failedJob")
        assert {row["id"]: row["incidents"] for row in result} == {
            "ext": [], "inner": [],
            "late": [{"incidentType": "failedJob", "incidentCount": 1}]}


def test_definition_statistics(client, scenario):
    """Every definition, with its running instances, failed jobs, incidents and DTO."""
    response = client.get(f"{ROOT}/process-definition/statistics",
                          params={"failedJobs": "true", "incidents": "true"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [
        {"id": scenario.definition["id"], "instances": 2, "failedJobs": 1,
         "incidents": [{"incidentType": "failedExternalTask", "incidentCount": 1},
                       {"incidentType": "failedJob", "incidentCount": 1}],
         "definition": scenario.definition},
        {"id": scenario.idle["id"], "instances": 0, "failedJobs": 0, "incidents": [],
         "definition": scenario.idle}]


def test_definition_statistics_options(client, scenario):
    """Without options no failed jobs nor incidents; rootIncidents and incidentsForType
    select incidents; two incident options combine (README, "Rules the spec states")."""
    response = client.get(f"{ROOT}/process-definition/statistics")
    assert [(r["instances"], r["failedJobs"], r["incidents"]) for r in response.json()] == [
        (2, 0, []), (0, 0, [])]
    response = client.get(f"{ROOT}/process-definition/statistics",
                          params={"rootIncidents": "true"})
    assert response.json()[0]["incidents"] == [
        {"incidentType": "failedExternalTask", "incidentCount": 1},
        {"incidentType": "failedJob", "incidentCount": 1}]
    response = client.get(f"{ROOT}/process-definition/statistics",
                          params={"incidentsForType": "failedJob"})
    assert response.json()[0]["incidents"] == [{"incidentType": "failedJob", "incidentCount": 1}]
    response = client.get(f"{ROOT}/process-definition/statistics",
                          params={"incidents": "false", "rootIncidents": "true"})
    assert response.status_code == 200
    assert len(response.json()[0]["incidents"]) == 2  # either asks for every incident
    response = client.get(f"{ROOT}/process-definition/statistics",
                          params={"rootIncidents": "true", "incidentsForType": "failedJob"})
    assert response.status_code == 200
    assert response.json()[0]["incidents"] == [{"incidentType": "failedJob", "incidentCount": 1}]


def test_by_key_and_tenant(client, api, scenario):
    """The tenant's latest version only; a key the tenant lacks is Camunda's 404."""
    deployed = client.post(f"{ROOT}/deployment/create", data={"tenant-id": "t1"},
                           files={"data": ("branches.bpmn", BRANCHES.encode(), "text/xml")})
    [definition_id] = deployed.json()["deployedProcessDefinitions"]
    started = client.post(f"{ROOT}/process-definition/{definition_id}/start", json={})
    assert started.status_code == 200, started.text
    response = client.get(f"{ROOT}/process-definition/key/branches/tenant-id/t1/statistics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [
        {"id": "ext", "instances": 1, "failedJobs": 0, "incidents": []},
        {"id": "inner", "instances": 1, "failedJobs": 0, "incidents": []},
        {"id": "late", "instances": 1, "failedJobs": 0, "incidents": []}]
    missing = client.get(f"{ROOT}/process-definition/key/branches/tenant-id/t2/statistics")
    assert missing.status_code == 404
    assert missing.json() == error(
        "RestException", "No matching process definition with key: branches and tenant-id: t2")
