"""GET /task[/count|/{id}] and POST /task/{id}/complete."""

from __future__ import annotations

import re

from tests.api.conftest import DATE, UUID, error

NESTED = "nestedParallelOneTaskProcess"
ONE_TASK = "oneTaskProcess.bpmn20.xml"


def task_dto(task_id: str, *, name, created: str, execution_id: str, definition_id: str,
             instance_id: str, key: str, suspended: bool = False) -> dict:
    """Camunda's TaskDto with every key; modbatch's tasks are never assigned or due."""
    return {
        "id": task_id, "name": name, "assignee": None, "owner": None, "created": created,
        "lastUpdated": None, "due": None, "followUp": None, "delegationState": None,
        "description": None, "executionId": execution_id, "parentTaskId": None, "priority": 50,
        "processDefinitionId": definition_id, "processInstanceId": instance_id,
        "caseExecutionId": None, "caseDefinitionId": None, "caseInstanceId": None,
        "taskDefinitionKey": key, "suspended": suspended, "formKey": None,
        "camundaFormRef": None, "tenantId": None, "taskState": "Created",
    }


def tree_nodes(tree: dict) -> dict[str, dict]:
    """Activity id → activity-instance node, for a tree where each activity occurs once."""
    nodes = {}
    for child in tree["childActivityInstances"]:
        nodes[child["activityId"]] = child
        nodes.update(tree_nodes(child))
    return nodes


def test_list_returns_full_task_dtos(api, client):
    """GET /task answers each task as a full TaskDto tied to its execution and instance."""
    api.deploy(ONE_TASK)
    started = api.start("oneTaskProcess")
    node = tree_nodes(api.tree(started["id"]))["theTask"]
    response = client.get("/engine-rest/task")
    assert response.status_code == 200
    [task] = response.json()
    assert re.fullmatch(UUID, task["id"]) and DATE.match(task["created"])
    assert task == task_dto(task["id"], name="my task", created=task["created"],
                            execution_id=node["executionIds"][0],
                            definition_id=started["definitionId"],
                            instance_id=started["id"], key="theTask")


def test_filter_by_process_instance_id(api, client):
    """processInstanceId keeps the tasks of that instance only."""
    api.deploy(NESTED)
    first = api.start("nestedOneTaskProcess")
    second = api.start("nestedOneTaskProcess")
    tasks = api.tasks(processInstanceId=second["id"])
    assert sorted(t["taskDefinitionKey"] for t in tasks) == ["innerTask", "outerTask"]
    assert {t["processInstanceId"] for t in tasks} == {second["id"]}
    assert len(api.tasks(processInstanceId=first["id"])) == 2
    assert api.tasks(processInstanceId="nope") == []


def test_filter_by_process_definition_key(api, client):
    """processDefinitionKey keeps the tasks of instances of that key, any version."""
    api.deploy(NESTED)
    api.deploy(ONE_TASK)
    api.deploy(ONE_TASK)
    api.start("nestedOneTaskProcess")
    old = api.start("oneTaskProcess")
    new = api.start("oneTaskProcess")
    tasks = api.tasks(processDefinitionKey="oneTaskProcess")
    assert sorted(t["processInstanceId"] for t in tasks) == sorted([old["id"], new["id"]])
    assert {t["taskDefinitionKey"] for t in tasks} == {"theTask"}


def test_filter_by_task_definition_key(api, client):
    """taskDefinitionKey keeps the tasks of that user task."""
    api.deploy(NESTED)
    started = api.start("nestedOneTaskProcess")
    [task] = api.tasks(taskDefinitionKey="outerTask")
    assert (task["taskDefinitionKey"], task["processInstanceId"]) == ("outerTask", started["id"])
    assert api.tasks(taskDefinitionKey="subProcess") == []


def test_filter_by_activity_instance_id_in(api, client):
    """activityInstanceIdIn matches the tasks' own activity instances, as a,b or repeated keys."""
    api.deploy(NESTED)
    started = api.start("nestedOneTaskProcess")
    nodes = tree_nodes(api.tree(started["id"]))
    outer, inner, sub = nodes["outerTask"]["id"], nodes["innerTask"]["id"], nodes["subProcess"]["id"]
    [task] = api.tasks(activityInstanceIdIn=inner)
    assert task["taskDefinitionKey"] == "innerTask"
    assert task["executionId"] == nodes["innerTask"]["executionIds"][0]
    both = api.tasks(activityInstanceIdIn=f"{outer},{inner}")
    assert sorted(t["taskDefinitionKey"] for t in both) == ["innerTask", "outerTask"]
    response = client.get("/engine-rest/task", params=[("activityInstanceIdIn", outer),
                                                       ("activityInstanceIdIn", inner)])
    assert sorted(t["taskDefinitionKey"] for t in response.json()) == ["innerTask", "outerTask"]
    assert api.tasks(activityInstanceIdIn=sub) == []


def test_sorting_and_unknown_sort_by(api, client):
    """sortBy/sortOrder order the tasks; an unknown sortBy answers Camunda's 400."""
    api.deploy(NESTED)
    api.start("nestedOneTaskProcess")
    ids = sorted(t["id"] for t in api.tasks())
    assert [t["id"] for t in api.tasks(sortBy="id", sortOrder="desc")] == ids[::-1]
    assert [t["id"] for t in api.tasks(sortBy="dueDate", sortOrder="asc")] == ids
    response = client.get("/engine-rest/task", params={"sortBy": "color", "sortOrder": "asc"})
    assert response.status_code == 400
    assert response.json() == error("InvalidRequestException",
                                    "Cannot set query parameter 'sortBy' to value 'color'")


def test_count(api, client):
    """GET /task/count answers {"count"} for the same filters as the list."""
    api.deploy(NESTED)
    started = api.start("nestedOneTaskProcess")
    api.start("nestedOneTaskProcess")
    response = client.get("/engine-rest/task/count")
    assert response.status_code == 200 and response.json() == {"count": 4}
    response = client.get("/engine-rest/task/count", params={
        "processInstanceId": started["id"], "taskDefinitionKey": "innerTask"})
    assert response.json() == {"count": 1}


def test_get_task(api, client):
    """GET /task/{id} answers the same full TaskDto as the list."""
    api.deploy(ONE_TASK)
    started = api.start("oneTaskProcess")
    [listed] = api.tasks()
    response = client.get(f"/engine-rest/task/{listed['id']}")
    assert response.status_code == 200
    assert response.json() == task_dto(
        listed["id"], name="my task", created=listed["created"],
        execution_id=listed["executionId"], definition_id=started["definitionId"],
        instance_id=started["id"], key="theTask")


def test_get_unknown_task_is_404(client):
    """An unknown task id answers Camunda's 404, code null."""
    response = client.get("/engine-rest/task/nope")
    assert response.status_code == 404
    assert response.json() == error("InvalidRequestException", "No matching task with id nope")


def test_complete_moves_the_instance_on(api, client):
    """Completing innerTask answers 204 and leaves the sub-process; outerTask then ends it."""
    api.deploy(NESTED)
    instance_id = api.start("nestedOneTaskProcess")["id"]
    [inner] = api.tasks(taskDefinitionKey="innerTask")
    response = client.post(f"/engine-rest/task/{inner['id']}/complete", json={})
    assert response.status_code == 204 and response.content == b""
    assert [t["taskDefinitionKey"] for t in api.tasks(processInstanceId=instance_id)] == [
        "outerTask"]
    assert [n["activityId"] for n in api.tree(instance_id)["childActivityInstances"]] == [
        "outerTask"]
    assert client.get(f"/engine-rest/task/{inner['id']}").status_code == 404
    [outer] = api.tasks(taskDefinitionKey="outerTask")
    assert client.post(f"/engine-rest/task/{outer['id']}/complete").status_code == 204
    assert client.get(f"/engine-rest/process-instance/{instance_id}").status_code == 404
    assert api.tasks() == []


def test_complete_with_variables(api, client):
    """Variables given on completion become process variables of the instance."""
    api.deploy(NESTED)
    instance_id = api.start("nestedOneTaskProcess")["id"]
    [inner] = api.tasks(taskDefinitionKey="innerTask")
    response = client.post(f"/engine-rest/task/{inner['id']}/complete", json={"variables": {
        "approved": {"type": "Boolean", "value": True}, "comment": {"value": "fine"}}})
    assert response.status_code == 204
    variables = client.get(f"/engine-rest/process-instance/{instance_id}/variables").json()
    assert variables == {"approved": {"type": "Boolean", "value": True, "valueInfo": {}},
                         "comment": {"type": "String", "value": "fine", "valueInfo": {}}}


def test_complete_with_variables_in_return(api, client):
    """withVariablesInReturn answers 200 with all process variables, even when the instance ends."""
    api.deploy(ONE_TASK)
    instance_id = api.start("oneTaskProcess", variables={
        "amount": {"type": "Integer", "value": 3}})["id"]
    [task] = api.tasks(processInstanceId=instance_id)
    response = client.post(f"/engine-rest/task/{task['id']}/complete", json={
        "variables": {"approved": {"type": "Boolean", "value": False}},
        "withVariablesInReturn": True})
    assert response.status_code == 200
    assert response.json() == {"amount": {"type": "Integer", "value": 3, "valueInfo": {}},
                               "approved": {"type": "Boolean", "value": False, "valueInfo": {}}}
    assert client.get(f"/engine-rest/process-instance/{instance_id}").status_code == 404


def test_complete_unknown_task_is_404(client):
    """Completing an unknown task: Camunda's RestException wrapping the engine's message, as a 404
    (Camunda answers 500)."""
    response = client.post("/engine-rest/task/nope/complete", json={})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(
        "RestException", "Cannot complete task nope: Cannot find task with id nope: task is null", 0)


def test_complete_suspended_task_is_500(api, client):
    """A task of a suspended instance cannot be completed: 500 with the engine's ENGINE-03043."""
    api.deploy(ONE_TASK)
    instance_id = api.start("oneTaskProcess")["id"]
    client.put(f"/engine-rest/process-instance/{instance_id}/suspended", json={"suspended": True})
    [task] = api.tasks()
    response = client.post(f"/engine-rest/task/{task['id']}/complete", json={})
    assert response.status_code == 500
    assert response.json() == error(
        "RestException",
        f"Cannot complete task {task['id']}: ENGINE-03043 task with id '{task['id']}' is suspended.",
        0)
    assert api.tasks() == [task]


def test_complete_with_a_bad_variable_is_400(api, client):
    """A bad variable type answers 400 prefixed 'Cannot complete task <id>: ', code null."""
    api.deploy(ONE_TASK)
    api.start("oneTaskProcess")
    [task] = api.tasks()
    response = client.post(f"/engine-rest/task/{task['id']}/complete",
                           json={"variables": {"v": {"type": "Color", "value": "red"}}})
    assert response.status_code == 400
    assert response.json() == error(
        "InvalidRequestException", f"Cannot complete task {task['id']}: Unsupported value type 'Color'")
    assert api.tasks() == [task]


APPROVAL = (
    '<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">'
    '<process id="approval" isExecutable="true"><startEvent id="start"/>'
    '<sequenceFlow id="f1" sourceRef="start" targetRef="approve"/>'
    '<userTask id="approve" name="Approve"><extensionElements>'
    '<camunda:taskListener event="create"><camunda:script scriptFormat="javascript">'
    "if (!!task.getVariable('approver')) { task.setAssignee(approver); }"
    '</camunda:script></camunda:taskListener></extensionElements></userTask>'
    '<sequenceFlow id="f2" sourceRef="approve" targetRef="end"/><endEvent id="end"/>'
    '</process></definitions>')


def test_assignee_set_by_a_javascript_listener_is_rendered_filtered_and_sorted(api, client):
    """A JavaScript create listener assigns the task: GET /task renders the assignee, filters and
    sorts by it."""
    assert api.deploy_xml(APPROVAL, "approval.bpmn").status_code == 200
    assigned = api.start("approval", variables={"approver": {"value": "demo", "type": "String"}})
    free = api.start("approval")
    response = client.get("/engine-rest/task", params={"assignee": "demo"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    [task] = response.json()
    node = tree_nodes(api.tree(assigned["id"]))["approve"]
    assert task == {**task_dto(task["id"], name="Approve", created=task["created"],
                               execution_id=node["executionIds"][0],
                               definition_id=assigned["definitionId"], instance_id=assigned["id"],
                               key="approve"), "assignee": "demo"}
    ordered = api.tasks(sortBy="assignee", sortOrder="desc")
    assert [(t["processInstanceId"], t["assignee"]) for t in ordered] == [
        (assigned["id"], "demo"), (free["id"], None)]
    assert api.tasks(assignee="nobody") == []


def test_failing_javascript_listener_fails_the_start_and_starts_nothing(api, client):
    """A script that throws fails the start as any engine failure does (Camunda's RestException
    wrapping the script error); no instance is left."""
    xml = APPROVAL.replace("if (!!task.getVariable('approver')) { task.setAssignee(approver); }",
                           "throw new Error('no approver')")
    assert api.deploy_xml(xml, "approval.bpmn").status_code == 200
    definition = client.get("/engine-rest/process-definition/key/approval").json()
    response = client.post("/engine-rest/process-definition/key/approval/start", json={})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == error(
        "RestException", f"Cannot instantiate process definition {definition['id']}: Unable to "
        "evaluate script while executing the create listener of user task 'approve': Error: no approver", 0)
    assert client.get("/engine-rest/process-instance").json() == []


def test_javascript_listener_over_its_time_limit_fails_the_completion(api, client):
    """A complete listener that never ends is stopped by the time limit; the completion fails
    (Camunda's RestException wrapping the script error) and the task stays."""
    xml = APPROVAL.replace('event="create"', 'event="complete"').replace(
        "if (!!task.getVariable('approver')) { task.setAssignee(approver); }", "while (true) {}")
    assert api.deploy_xml(xml, "approval.bpmn").status_code == 200
    started = api.start("approval")
    [task] = api.tasks()
    response = client.post(f"/engine-rest/task/{task['id']}/complete", json={})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == error(
        "RestException", f"Cannot complete task {task['id']}: Unable to evaluate script while executing "
        "the complete listener of "
        "user task 'approve': the script ran longer than the time limit of 2 seconds", 0)
    assert [t["id"] for t in api.tasks(processInstanceId=started["id"])] == [task["id"]]
