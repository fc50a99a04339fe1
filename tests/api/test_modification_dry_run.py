"""POST /modification/executeAsync/dry-run: what executeAsync would select and change, over REST."""

from __future__ import annotations

import re

import pytest

from tests.api.batching import EXCLUSIVE, ROOT, TO_TASK2, definition_id, execute_async, shape
from tests.api.conftest import UUID, error
from tests.api.test_modification import validation_cases

DRY_RUN = f"{ROOT}/modification/executeAsync/dry-run"
NAMED = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="t">
  <process id="named" isExecutable="true">
    <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="check"/>
    <userTask id="check" name="Check claim"/><sequenceFlow id="f2" sourceRef="check" targetRef="settle"/>
    <subProcess id="settle" name="Settle claim">
      <startEvent id="settleStart"/><sequenceFlow id="s1" sourceRef="settleStart" targetRef="pay"/>
      <userTask id="pay" name="Pay out"/><sequenceFlow id="s2" sourceRef="pay" targetRef="settleEnd"/>
      <endEvent id="settleEnd"/>
    </subProcess>
    <sequenceFlow id="f3" sourceRef="settle" targetRef="end"/><endEvent id="end"/>
  </process>
</definitions>"""
INTO_PAY = [{"type": "cancel", "activityId": "check"},
            {"type": "startBeforeActivity", "activityId": "pay"}]


@pytest.fixture
def named(api) -> str:
    response = api.deploy_xml(NAMED, "named.bpmn")
    assert response.status_code == 200, response.text
    return definition_id(response.json())


@pytest.fixture
def exclusive(api) -> str:
    return definition_id(api.deploy(EXCLUSIVE))


def dry_run(client, body, **params):
    return client.post(DRY_RUN, json=body, params=params)


def nothing_was_written(client) -> None:
    for path in ("batch/count", "history/batch/count", "job/count"):
        assert client.get(f"{ROOT}/{path}").json() == {"count": 0}, path


def test_a_dry_run_answers_the_selection_and_the_changes_of_a_sample(api, client, named):
    """200 JSON: the count, the sorted ids, and per sampled instance what ends and what starts."""
    pid = api.start("named")["id"]
    [check] = api.tree(pid)["childActivityInstances"]
    response = dry_run(client, {"processDefinitionId": named, "instructions": INTO_PAY,
                                "processInstanceIds": [pid], "annotation": "preview"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    [item] = body["sample"]
    settle, pay = item["startedActivityInstances"]
    assert re.fullmatch(f"settle:{UUID}", settle["id"]) and re.fullmatch(f"pay:{UUID}", pay["id"])
    assert body == {
        "instanceCount": 1,
        "processInstanceIds": [pid],
        "sample": [{
            "processInstanceId": pid,
            "cancelledActivityInstances": [
                {"id": check["id"], "activityId": "check", "activityName": "Check claim"}],
            "startedActivityInstances": [
                {"id": settle["id"], "activityId": "settle", "activityName": "Settle claim",
                 "parentActivityInstanceId": pid},
                {"id": pay["id"], "activityId": "pay", "activityName": "Pay out",
                 "parentActivityInstanceId": settle["id"]}],
            "error": None}]}
    assert shape(api.tree(pid)) == [("check", [])]
    nothing_was_written(client)


def test_an_instance_that_would_fail_shows_the_batch_items_error(api, client, exclusive):
    """An unknown id is selected like executeAsync selects it; its preview is the batch's failure."""
    pid = api.start(EXCLUSIVE)["id"]
    response = dry_run(client, {"processDefinitionId": exclusive, "instructions": TO_TASK2,
                                "processInstanceIds": ["missing", pid]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    missing, fine = response.json()["sample"]
    assert missing == {
        "processInstanceId": "missing", "cancelledActivityInstances": [],
        "startedActivityInstances": [],
        "error": {"type": "ProcessEngineException",
                  "message": "ENGINE-13036 Process instance 'missing' cannot be modified. The "
                             "process instance does not exist"}}
    assert (fine["processInstanceId"], fine["error"]) == (pid, None)
    assert [a["activityId"] for a in fine["cancelledActivityInstances"]] == ["task1"]
    assert [a["activityId"] for a in fine["startedActivityInstances"]] == ["task2"]
    assert response.json()["processInstanceIds"] == sorted(["missing", pid])


def test_paging_and_sample_size_follow_the_query_parameters(api, client, exclusive):
    """firstResult/maxResults page the sorted ids, sampleSize takes the first in batch order;
    instanceCount stays the whole selection."""
    pids = sorted(api.start(EXCLUSIVE)["id"] for _ in range(4))
    given = [pids[2], pids[0], pids[3], pids[1]]
    response = dry_run(client, {"processDefinitionId": exclusive, "instructions": TO_TASK2,
                                "processInstanceIds": given},
                       firstResult=1, maxResults=2, sampleSize=3)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert (body["instanceCount"], body["processInstanceIds"]) == (4, pids[1:3])
    assert [s["processInstanceId"] for s in body["sample"]] == given[:3]
    query = dry_run(client, {"processDefinitionId": exclusive, "instructions": TO_TASK2,
                             "processInstanceQuery": {"processDefinitionId": exclusive}},
                    firstResult=3, maxResults=1000, sampleSize=0).json()
    assert query == {"instanceCount": 4, "processInstanceIds": pids[3:], "sample": []}


def test_defaults_are_a_page_of_100_and_a_sample_of_5(client, exclusive):
    """Without paging parameters: the first 100 ids, 5 previews (here all failing: unknown ids)."""
    ids = [f"id{n:03d}" for n in range(150)]
    response = dry_run(client, {"processDefinitionId": exclusive, "instructions": TO_TASK2,
                                "processInstanceIds": list(reversed(ids))})
    assert response.status_code == 200
    body = response.json()
    assert (body["instanceCount"], body["processInstanceIds"]) == (150, ids[:100])
    assert [s["processInstanceId"] for s in body["sample"]] == ids[:-6:-1]
    assert {s["error"]["type"] for s in body["sample"]} == {"ProcessEngineException"}
    nothing_was_written(client)


@pytest.mark.parametrize("name, value, message", [
    ("maxResults", "1001", "1001 is greater than the maximum of 1000"),
    ("maxResults", "-1", "-1 is less than the minimum of 0"),
    ("sampleSize", "51", "51 is greater than the maximum of 50"),
    ("sampleSize", "-1", "-1 is less than the minimum of 0"),
    ("firstResult", "-1", "-1 is less than the minimum of 0"),
    ("firstResult", "x", "'x' is not of type 'integer'"),
])
def test_parameters_out_of_range_are_400_with_camundas_body(client, exclusive, name, value,
                                                            message):
    """maxResults at most 1000, sampleSize at most 50, none negative: else a 400."""
    response = client.post(f"{DRY_RUN}?{name}={value}", json={
        "processDefinitionId": exclusive, "instructions": TO_TASK2, "processInstanceIds": ["a"]})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error("InvalidRequestException", message)


def refused_bodies(pd: str) -> list:
    return [body for body, _ in validation_cases(pd)] + [
        {"processDefinitionId": "unknownDefinition:1:x", "instructions": TO_TASK2,
         "processInstanceIds": ["a"]},
        {"processDefinitionId": pd, "instructions": TO_TASK2,
         "processInstanceQuery": {"orQueries": [{"orQueries": [{}]}]}},
        {"processDefinitionId": pd, "instructions": TO_TASK2,
         "historicProcessInstanceQuery": {"startedBefore": "yesterday"}},
        {"processDefinitionId": pd, "instructions": TO_TASK2, "processInstanceIds": [1]},
        {"processDefinitionId": pd, "instructions": [{"type": "move"}]},
        [TO_TASK2],
    ]


def test_requests_executeasync_refuses_are_refused_alike(client, exclusive):
    """Every body executeAsync refuses gets the same status and body from the dry run."""
    for body in refused_bodies(exclusive):
        expected = client.post(f"{ROOT}/modification/executeAsync", json=body)
        assert expected.status_code in (400, 404), body  # 404: an unknown definition (README)
        response = dry_run(client, body)
        assert response.status_code == expected.status_code, body
        assert response.headers["content-type"] == "application/json"
        assert response.json() == expected.json(), body
        assert set(response.json()) == {"type", "message", "code"}
    nothing_was_written(client)


def test_the_preview_matches_the_batch_that_runs(api, client, app, named):
    """The count, ids and started activities are those of the batch made from the same body."""
    pids = sorted(api.start("named")["id"] for _ in range(3))
    body = {"processDefinitionId": named, "instructions": INTO_PAY,
            "processInstanceQuery": {"processDefinitionId": named}}
    preview = dry_run(client, body, sampleSize=3).json()
    batch = execute_async(client, body)
    app.engine.job_executor.run_until_idle()
    items = client.get(f"{ROOT}/history/batch/{batch['id']}/items").json()
    assert preview["instanceCount"] == len(items) == 3
    assert preview["processInstanceIds"] == sorted(i["processInstanceId"] for i in items) == pids
    for item in preview["sample"]:
        started = {a["activityId"] for a in item["startedActivityInstances"]}
        assert shape(api.tree(item["processInstanceId"])) == [("settle", [("pay", [])])]
        assert started == {"settle", "pay"}
