"""Timer start events and the job definitions of timers, through the REST API: deploying creates
the job definition and the timer job, the job executor starts instances when it is due, a cycle
schedules its successors, a new version replaces the old one's timer, deleting removes it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from tests.api.batching import ROOT, pin
from tests.api.conftest import UUID

T0 = datetime(2026, 6, 1, 12, 0, 0)
STAMP = "2026-06-01T12:00:00.000+0000"


def process_xml(key: str, timer: str, *, boundary: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
             targetNamespace="http://modbatch/tests">
  <process id="{key}" isExecutable="true">
    <startEvent id="start">
      <timerEventDefinition>{timer}</timerEventDefinition>
    </startEvent>
    <sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <userTask id="task"/>
    {boundary}
    <sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""


def deploy(api, xml: str) -> dict:
    response = api.deploy_xml(xml)
    assert response.status_code == 200, response.text
    [definition_id] = response.json()["deployedProcessDefinitions"]
    return {"id": response.json()["id"], "definition_id": definition_id}


def timer_jobs(client, key: str) -> list[dict]:
    response = client.get(f"{ROOT}/job", params={"processDefinitionKey": key, "timers": "true"})
    assert response.status_code == 200, response.text
    return response.json()


def instance_count(client, key: str) -> int:
    response = client.get(f"{ROOT}/process-instance/count", params={"processDefinitionKey": key})
    return response.json()["count"]


def test_deploying_a_timer_start_event_schedules_its_job(api, client):
    """The job: a timer of the definition, due by its timer; its job definition is Camunda's."""
    pin(T0)
    deployed = deploy(api, process_xml("nightly", "<timeDuration>PT5M</timeDuration>"))
    [job] = timer_jobs(client, "nightly")
    assert job == {
        "id": job["id"], "jobDefinitionId": job["jobDefinitionId"], "processInstanceId": None,
        "processDefinitionId": deployed["definition_id"], "processDefinitionKey": "nightly",
        "executionId": None, "exceptionMessage": None, "failedActivityId": None, "retries": 3,
        "dueDate": "2026-06-01T12:05:00.000+0000", "suspended": False, "priority": 0,
        "tenantId": None, "createTime": STAMP, "batchId": None}
    response = client.get(f"{ROOT}/job-definition/{job['jobDefinitionId']}")
    assert response.status_code == 200
    assert response.json() == {
        "id": job["jobDefinitionId"], "processDefinitionId": deployed["definition_id"],
        "processDefinitionKey": "nightly", "jobType": "timer-start-event",
        "jobConfiguration": "DURATION: PT5M", "activityId": "start", "suspended": False,
        "overridingJobPriority": None, "tenantId": None, "deploymentId": deployed["id"]}
    assert re.fullmatch(UUID, job["id"])


def test_a_due_start_timer_starts_an_instance(api, app, client):
    """When the job runs, an instance starts at the timer start event and waits in the task."""
    pin(T0)
    deploy(api, process_xml("once", "<timeDate>2026-06-01T12:30:00Z</timeDate>"))
    assert app.engine.job_executor.run_until_idle() == 0  # not due yet
    pin(T0 + timedelta(minutes=30))
    assert app.engine.job_executor.run_until_idle() == 1
    assert instance_count(client, "once") == 1
    assert timer_jobs(client, "once") == []


def test_a_cycle_start_timer_fires_its_repetitions(api, app, client):
    """R2/PT1H starts an instance an hour after deployment and another an hour later."""
    pin(T0)
    deploy(api, process_xml("hourly", "<timeCycle>R2/PT1H</timeCycle>"))
    pin(T0 + timedelta(hours=1))
    app.engine.job_executor.run_until_idle()
    assert instance_count(client, "hourly") == 1
    [job] = timer_jobs(client, "hourly")
    assert job["dueDate"] == "2026-06-01T14:00:00.000+0000"
    pin(T0 + timedelta(hours=2))
    app.engine.job_executor.run_until_idle()
    assert instance_count(client, "hourly") == 2
    assert timer_jobs(client, "hourly") == []


def test_a_new_version_replaces_the_timer_and_deleting_it_restores_the_old_one(api, client):
    """Version 2's timer replaces version 1's; deleting version 2 makes version 1 the latest
    again, with a new timer job; deleting that leaves none."""
    pin(T0)
    first = deploy(api, process_xml("versioned", "<timeDuration>PT5M</timeDuration>"))
    second = deploy(api, process_xml("versioned", "<timeDuration>PT10M</timeDuration>"))
    [job] = timer_jobs(client, "versioned")
    assert (job["processDefinitionId"], job["dueDate"]) == (second["definition_id"],
                                                            "2026-06-01T12:10:00.000+0000")
    pin(T0 + timedelta(minutes=1))
    assert client.delete(f"{ROOT}/deployment/{second['id']}").status_code == 204
    [job] = timer_jobs(client, "versioned")
    assert (job["processDefinitionId"], job["dueDate"]) == (first["definition_id"],
                                                            "2026-06-01T12:06:00.000+0000")
    assert client.delete(f"{ROOT}/deployment/{first['id']}").status_code == 204
    assert timer_jobs(client, "versioned") == []
    assert client.get(f"{ROOT}/job-definition/count").json() == {"count": 0}


def test_boundary_timers_get_job_definitions_at_deployment(api, client):
    """A boundary timer declares a timer-transition job definition with its configuration."""
    boundary = ('<boundaryEvent id="remind" attachedToRef="task" cancelActivity="false">'
                "<timerEventDefinition><timeCycle>R3/PT10M</timeCycle></timerEventDefinition>"
                '</boundaryEvent><sequenceFlow id="f3" sourceRef="remind" targetRef="done"/>'
                '<endEvent id="done"/>')
    deployed = deploy(api, process_xml("reminding", "<timeDuration>PT5M</timeDuration>",
                                       boundary=boundary))
    response = client.get(f"{ROOT}/job-definition",
                          params={"processDefinitionId": deployed["definition_id"],
                                  "sortBy": "activityId", "sortOrder": "asc"})
    assert [(d["activityId"], d["jobType"], d["jobConfiguration"]) for d in response.json()] == [
        ("remind", "timer-transition", "CYCLE: R3/PT10M"),
        ("start", "timer-start-event", "DURATION: PT5M")]


@pytest.mark.parametrize("timer, message", [
    ("<timeDuration>PT5</timeDuration>",
     "Invalid timeDuration 'PT5': not an ISO 8601 duration such as PT5M, P1DT2H or P2W in "
     "'startEvent' with id 'start' at line 6"),
    ("<timeCycle>0 0 12 * * *</timeCycle>",
     "Invalid timeCycle '0 0 12 * * *': exactly one of day-of-month and day-of-week must be '?' "
     "(Quartz supports no other combination) in 'startEvent' with id 'start' at line 6"),
])
def test_a_literal_timer_that_cannot_be_read_fails_the_deployment(api, timer, message):
    """The parser checks literal timer texts: a 400 ParseException naming the element."""
    response = api.deploy_xml(process_xml("broken", timer))
    assert response.status_code == 400
    body = response.json()
    assert (body["type"], body["message"]) == ("ParseException", message)
    [problem] = body["details"]["inline.bpmn"]["errors"]
    assert (problem["mainElementId"], problem["line"]) == ("start", 7)


def test_an_expression_timer_is_checked_when_evaluated(api, client):
    """A start timer expression is evaluated at deployment: an unreadable value is Camunda's
    ENGINE-09027, a 500."""
    response = api.deploy_xml(process_xml("exprs", "<timeDuration>${'soon'}</timeDuration>"))
    assert response.status_code == 500
    assert response.json() == {
        "type": "ProcessEngineException", "code": 0,
        "message": "ENGINE-09027 Exception while resolving duedate 'soon': not an ISO 8601 "
                   "date-time such as 2026-03-01T10:00:00Z"}
