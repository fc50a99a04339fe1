"""Event sub-processes over REST: POST /message and POST /signal reach the start event
subscriptions of running scopes; GET /event-subscription lists them with the owning execution;
the activity-instance tree shows the event sub-process under its scope, with Camunda's
activity type for it (subProcess)."""

from __future__ import annotations

from tests.api.test_events_runtime import ROOT, bpmn, correlate, deploy, subscriptions

ESP = """
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
  <userTask id="task"/><sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>
  <subProcess id="onCancel" triggeredByEvent="true">
    <startEvent id="cancelled" isInterrupting="{interrupting}">{definition}</startEvent>
    <sequenceFlow id="f3" sourceRef="cancelled" targetRef="refund"/><userTask id="refund"/>
    <sequenceFlow id="f4" sourceRef="refund" targetRef="end2"/><endEvent id="end2"/>
  </subProcess>"""


def model(key: str, interrupting: bool, definition: str = '<messageEventDefinition messageRef="m_cancel"/>'):
    body = ESP.format(interrupting="true" if interrupting else "false", definition=definition)
    return bpmn(key, body, messages="cancel", signals="alarm")


def children(tree: dict) -> list[tuple[str, str, list]]:
    return sorted((c["activityId"], c["activityType"], children(c)) for c in tree["childActivityInstances"])


def test_message_correlates_into_an_interrupting_event_sub_process(api, client):
    """The subscription belongs to the process instance's execution; the message, with its
    variables, cancels the task and runs the event sub-process under the process instance."""
    deploy(api, model("order", True))
    instance = api.start("order", businessKey="o-1")["id"]
    [subscription] = subscriptions(client, processInstanceId=instance)
    assert {k: subscription[k] for k in ("eventType", "eventName", "activityId", "executionId",
                                         "processInstanceId")} == {
        "eventType": "message", "eventName": "cancel", "activityId": "cancelled",
        "executionId": instance, "processInstanceId": instance}
    [result] = correlate(client, 200, messageName="cancel", businessKey="o-1", resultEnabled=True,
                         variablesInResultEnabled=True,
                         processVariables={"reason": {"value": "late", "type": "String"}})
    assert result["resultType"] == "Execution"
    assert result["processInstance"] is None
    assert result["execution"] == {"id": instance, "processInstanceId": instance, "ended": False,
                                   "tenantId": None}
    assert result["variables"] == {"reason": {"type": "String", "value": "late", "valueInfo": {}}}
    tree = api.tree(instance)
    assert children(tree) == [("onCancel", "subProcess", [("refund", "userTask", [])])]
    assert subscriptions(client, processInstanceId=instance) == []
    body = correlate(client, 400, messageName="cancel", businessKey="o-1")
    assert body["type"] == "RestException"
    assert "No process definition or execution matches the parameters" in body["message"]


def test_non_interrupting_message_keeps_the_subscription(api, client):
    """Each correlation adds an event sub-process instance beside the task."""
    deploy(api, model("orderN", False))
    instance = api.start("orderN")["id"]
    correlate(client, messageName="cancel")
    correlate(client, messageName="cancel")
    assert children(api.tree(instance)) == [
        ("onCancel", "subProcess", [("refund", "userTask", [])]),
        ("onCancel", "subProcess", [("refund", "userTask", [])]),
        ("task", "userTask", [])]
    [subscription] = subscriptions(client, processInstanceId=instance)
    assert subscription["activityId"] == "cancelled"


def test_signal_reaches_the_event_sub_process(api, client):
    """POST /signal triggers the signal start event of a running instance's event sub-process."""
    deploy(api, model("alarmed", False, '<signalEventDefinition signalRef="s_alarm"/>'))
    instance = api.start("alarmed")["id"]
    response = client.post(f"{ROOT}/signal", json={"name": "alarm"})
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert children(api.tree(instance)) == [
        ("onCancel", "subProcess", [("refund", "userTask", [])]), ("task", "userTask", [])]


def test_modification_starts_the_event_sub_process_over_rest(api, client):
    """POST /process-instance/{id}/modification before the interrupting start event: the task
    is cancelled, the event sub-process runs and the process instance's subscription is gone."""
    deploy(api, model("modified", True))
    instance = api.start("modified")["id"]
    response = client.post(f"{ROOT}/process-instance/{instance}/modification",
                           json={"instructions": [{"type": "startBeforeActivity", "activityId": "cancelled"}]})
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert children(api.tree(instance)) == [("onCancel", "subProcess", [("refund", "userTask", [])])]
    assert subscriptions(client, processInstanceId=instance) == []
    api.complete(instance, "refund")
    response = client.get(f"{ROOT}/process-instance/{instance}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


TIMER = '<timerEventDefinition><timeDuration>PT1H</timeDuration></timerEventDefinition>'


def test_the_timer_of_an_event_sub_process_over_rest(api, client):
    """GET /job lists the timer with the process instance's execution and its job definition
    (type timer-start-event-subprocess); POST /job/{id}/execute fires it now."""
    deploy(api, model("timed", True, TIMER))
    instance = api.start("timed")["id"]
    response = client.get(f"{ROOT}/job", params={"processInstanceId": instance})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    [job] = response.json()
    assert (job["executionId"], job["processInstanceId"], job["processDefinitionKey"]) == \
        (instance, instance, "timed")
    definitions = client.get(f"{ROOT}/job-definition", params={"activityIdIn": "cancelled"})
    assert definitions.status_code == 200
    [definition] = definitions.json()
    assert (definition["id"], definition["jobType"], definition["jobConfiguration"]) == \
        (job["jobDefinitionId"], "timer-start-event-subprocess", "DURATION: PT1H")
    response = client.post(f"{ROOT}/job/{job['id']}/execute")
    assert response.status_code == 204, response.text
    assert children(api.tree(instance)) == [("onCancel", "subProcess", [("refund", "userTask", [])])]
    assert client.get(f"{ROOT}/job", params={"processInstanceId": instance}).json() == []


CONDITION = '<conditionalEventDefinition><condition>${late == true}</condition></conditionalEventDefinition>'


def test_a_conditional_start_is_listed_and_fires_on_task_completion(api, client):
    """GET /event-subscription?eventType=conditional lists the waiting conditional start (no
    event name); completing the task with late=true runs the event sub-process."""
    deploy(api, model("conditioned", True, CONDITION))
    instance = api.start("conditioned")["id"]
    [subscription] = subscriptions(client, eventType="conditional")
    assert {k: subscription[k] for k in ("eventType", "eventName", "activityId", "executionId",
                                         "processInstanceId")} == {
        "eventType": "conditional", "eventName": None, "activityId": "cancelled",
        "executionId": instance, "processInstanceId": instance}
    api.complete(instance, "task", variables={"late": {"value": True, "type": "Boolean"}})
    assert children(api.tree(instance)) == [("onCancel", "subProcess", [("refund", "userTask", [])])]
    assert subscriptions(client, processInstanceId=instance) == []
