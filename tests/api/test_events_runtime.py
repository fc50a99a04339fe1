"""Messages and signals through real deployments and the runtime: receive task, intermediate
catch events, boundary events, message and signal start events, and the start event
subscriptions that deployments create, replace and give back."""

from __future__ import annotations


from tests.api.conftest import error

ROOT = "/engine-rest"
HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<definitions '
        'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">')


def bpmn(key: str, body: str, messages: str = "paid", signals: str = "") -> str:
    declared = "".join(f'<message id="m_{n}" name="{n}"/>' for n in messages.split() if n)
    declared += "".join(f'<signal id="s_{n}" name="{n}"/>' for n in signals.split() if n)
    return f'{HEAD}{declared}<process id="{key}" isExecutable="true">{body}</process></definitions>'


RECEIVE = bpmn("receive", """
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
  <receiveTask id="wait" messageRef="m_paid"/><sequenceFlow id="f2" sourceRef="wait" targetRef="after"/>
  <userTask id="after"/><sequenceFlow id="f3" sourceRef="after" targetRef="end"/><endEvent id="end"/>""")

CATCH = bpmn("catch", """
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
  <intermediateCatchEvent id="wait"><messageEventDefinition messageRef="m_paid"/></intermediateCatchEvent>
  <sequenceFlow id="f2" sourceRef="wait" targetRef="end"/><endEvent id="end"/>""")

BOUNDARY = bpmn("boundary", """
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
  <userTask id="task"/><sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>
  <boundaryEvent id="cancelled" attachedToRef="task"><messageEventDefinition messageRef="m_cancel"/></boundaryEvent>
  <sequenceFlow id="f3" sourceRef="cancelled" targetRef="handle"/><userTask id="handle"/>
  <sequenceFlow id="f4" sourceRef="handle" targetRef="end2"/><endEvent id="end2"/>
  <boundaryEvent id="noted" attachedToRef="task" cancelActivity="false"><messageEventDefinition messageRef="m_note"/></boundaryEvent>
  <sequenceFlow id="f5" sourceRef="noted" targetRef="note"/><userTask id="note"/>
  <sequenceFlow id="f6" sourceRef="note" targetRef="end3"/><endEvent id="end3"/>""",
                messages="cancel note")

MESSAGE_START = bpmn("messageStart", """
  <startEvent id="byMessage"><messageEventDefinition messageRef="m_paid"/></startEvent>
  <sequenceFlow id="f1" sourceRef="byMessage" targetRef="task"/><userTask id="task"/>
  <sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>""")

SIGNALS = bpmn("signals", """
  <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="wait"/>
  <intermediateCatchEvent id="wait"><signalEventDefinition signalRef="s_alarm"/></intermediateCatchEvent>
  <sequenceFlow id="f2" sourceRef="wait" targetRef="task"/><userTask id="task"/>
  <sequenceFlow id="f3" sourceRef="task" targetRef="end"/><endEvent id="end"/>""",
               messages="", signals="alarm")

SIGNAL_START = bpmn("signalStart", """
  <startEvent id="bySignal"><signalEventDefinition signalRef="s_alarm"/></startEvent>
  <sequenceFlow id="f1" sourceRef="bySignal" targetRef="task"/><userTask id="task"/>
  <sequenceFlow id="f2" sourceRef="task" targetRef="end"/><endEvent id="end"/>""",
                    messages="", signals="alarm")


def deploy(api, xml: str, name: str = "model.bpmn") -> dict:
    response = api.deploy_xml(xml, name)
    assert response.status_code == 200, response.text
    return response.json()


def activities(api, instance_id: str) -> list[str]:
    tree = api.tree(instance_id)
    return sorted(child["activityId"] for child in tree["childActivityInstances"])


def subscriptions(client, **params) -> list[dict]:
    response = client.get(f"{ROOT}/event-subscription", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def correlate(client, status: int = 204, **body):
    response = client.post(f"{ROOT}/message", json=body)
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def test_receive_task_waits_for_its_message(api, client):
    """A subscription while waiting; the message moves the token on with the variables."""
    deploy(api, RECEIVE)
    instance = api.start("receive", businessKey="order-1")["id"]
    [subscription] = subscriptions(client, processInstanceId=instance)
    assert (subscription["eventType"], subscription["eventName"], subscription["activityId"]) \
        == ("message", "paid", "wait")
    [result] = correlate(client, 200, messageName="paid", businessKey="order-1",
                         resultEnabled=True, variablesInResultEnabled=True,
                         processVariables={"amount": {"value": 30, "type": "Integer"}})
    assert result["resultType"] == "Execution"
    assert result["execution"]["processInstanceId"] == instance
    assert result["variables"] == {"amount": {"type": "Integer", "value": 30, "valueInfo": {}}}
    assert activities(api, instance) == ["after"]
    assert subscriptions(client, processInstanceId=instance) == []


def test_correlation_keys_pick_the_instance(api, client):
    """Process variables as correlation keys; a mismatch leaves everything waiting."""
    deploy(api, CATCH)
    first = api.start("catch", variables={"order": {"value": "A", "type": "String"}})["id"]
    second = api.start("catch", variables={"order": {"value": "B", "type": "String"}})["id"]
    correlate(client, messageName="paid", correlationKeys={"order": {"value": "B",
                                                                      "type": "String"}})
    assert activities(api, first) == ["wait"]
    response = client.get(f"{ROOT}/process-instance/{second}")
    assert response.status_code == 404
    body = correlate(client, 400, messageName="paid",
                     correlationKeys={"order": {"value": "C", "type": "String"}})
    assert body["type"] == "RestException"


def test_two_waiting_instances_need_all(api, client):
    """Without all: ENGINE-13031; with all: both continue."""
    deploy(api, CATCH)
    ids = [api.start("catch")["id"] for _ in range(2)]
    body = correlate(client, 400, messageName="paid")
    assert "ENGINE-13031" in body["message"] and "2 executions match" in body["message"]
    results = correlate(client, 200, messageName="paid", all=True, resultEnabled=True)
    assert sorted(r["execution"]["processInstanceId"] for r in results) == sorted(ids)
    assert client.get(f"{ROOT}/process-instance/count").json() == {"count": 0}


def test_message_boundary_events(api, client):
    """Non-interrupting: the task stays and a token leaves; interrupting: the task is cancelled."""
    deploy(api, BOUNDARY)
    instance = api.start("boundary")["id"]
    assert sorted(s["eventName"] for s in subscriptions(client, processInstanceId=instance)) \
        == ["cancel", "note"]
    correlate(client, messageName="note")
    assert activities(api, instance) == ["note", "task"]
    correlate(client, messageName="cancel")
    assert activities(api, instance) == ["handle", "note"]
    assert subscriptions(client, processInstanceId=instance) == []


def test_message_start_event(api, client):
    """The deployment subscribes; the message starts an instance there with the business key."""
    definition = deploy(api, MESSAGE_START)
    [start] = subscriptions(client, eventType="message")
    assert (start["activityId"], start["executionId"], start["processInstanceId"]) == \
        ("byMessage", None, None)
    [result] = correlate(client, 200, messageName="paid", businessKey="bk", resultEnabled=True)
    instance = result["processInstance"]
    assert result["resultType"] == "ProcessDefinition" and result["execution"] is None
    assert instance["businessKey"] == "bk"
    assert instance["definitionId"] in definition["deployedProcessDefinitions"]
    assert activities(api, instance["id"]) == ["task"]


def test_redeploying_moves_the_start_subscription_and_deleting_gives_it_back(api, client):
    """One start subscription per latest version; deleting the latest restores the previous."""
    first = deploy(api, MESSAGE_START)
    [old_id] = first["deployedProcessDefinitions"]
    second = deploy(api, MESSAGE_START.replace('id="task"/>', 'id="task" name="v2"/>'))
    [new_id] = second["deployedProcessDefinitions"]
    [start] = subscriptions(client, eventType="message")
    response = client.get(f"{ROOT}/event-subscription", params={"activityId": "byMessage"})
    assert [s["id"] for s in response.json()] == [start["id"]]
    [result] = correlate(client, 200, messageName="paid", resultEnabled=True)
    assert result["processInstance"]["definitionId"] == new_id
    response = client.delete(f"{ROOT}/deployment/{second['id']}", params={"cascade": "true"})
    assert response.status_code == 204
    [result] = correlate(client, 200, messageName="paid", resultEnabled=True)
    assert result["processInstance"]["definitionId"] == old_id
    assert len(subscriptions(client, eventType="message")) == 1


def test_a_message_start_name_is_unique_among_keys(api, client):
    """Camunda's ENGINE-01011 (500) names the resource and the message."""
    deploy(api, MESSAGE_START)
    response = api.deploy_xml(MESSAGE_START.replace('id="messageStart"', 'id="other"'),
                              "other.bpmn")
    assert response.status_code == 500
    assert response.json() == error(
        "ProcessEngineException", "ENGINE-01011 Cannot deploy process definition 'other.bpmn': "
        "there already is a message event subscription for the message with name 'paid'.", 0)


def test_signal_reaches_catch_events_and_start_events(api, client):
    """One POST /signal: the waiting instance continues and a new instance starts."""
    deploy(api, SIGNALS)
    deploy(api, SIGNAL_START)
    waiting = api.start("signals")["id"]
    assert [s["eventType"] for s in subscriptions(client, eventName="alarm")] == \
        ["signal", "signal"]
    response = client.post(f"{ROOT}/signal", json={
        "name": "alarm", "variables": {"level": {"value": "high", "type": "String"}}})
    assert response.status_code == 204, response.text
    assert activities(api, waiting) == ["task"]
    started = client.get(f"{ROOT}/process-instance",
                         params={"processDefinitionKey": "signalStart"}).json()
    assert len(started) == 1
    variables = client.get(f"{ROOT}/process-instance/{waiting}/variables").json()
    assert variables["level"]["value"] == "high"


def test_signal_to_one_execution(api, client):
    """executionId: only that execution's subscription."""
    deploy(api, SIGNALS)
    first, second = (api.start("signals")["id"] for _ in range(2))
    [subscription] = subscriptions(client, processInstanceId=first)
    response = client.post(f"{ROOT}/signal", json={"name": "alarm",
                                                   "executionId": subscription["executionId"]})
    assert response.status_code == 204, response.text
    assert (activities(api, first), activities(api, second)) == (["task"], ["wait"])
