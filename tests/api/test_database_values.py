"""Values at the edges of what a database column holds: 64-bit Longs, dates, NUL characters.

These run on SQLite and on PostgreSQL (``--database-url``); PostgreSQL is the one that refuses
a 64-bit number in a 32-bit column and a NUL inside text.
"""

from __future__ import annotations

import pytest

LONG_MAX = 2**63 - 1
LONG_MIN = -(2**63)
NUL_QUERY = "Query parameters must not contain NUL characters (\\u0000)"
NUL_BODY = "The request body must not contain NUL characters (\\u0000)"


def _invalid(response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"type": "InvalidRequestException", "message": message,
                               "code": None}


@pytest.mark.parametrize("value", [LONG_MAX, LONG_MIN, 2**40])
def test_long_variables_keep_all_64_bits(api, client, value):
    """A Long variable at the ends of Java's range is stored and read back unchanged."""
    api.deploy("oneTaskProcess.bpmn20.xml")
    instance = api.start("oneTaskProcess", variables={"big": {"type": "Long", "value": value}})
    response = client.get(f"/engine-rest/process-instance/{instance['id']}/variables")
    assert response.status_code == 200
    assert response.json() == {"big": {"type": "Long", "value": value, "valueInfo": {}}}
    found = client.post("/engine-rest/process-instance", json={"variables": [
        {"name": "big", "operator": "eq", "value": value}]})
    assert [i["id"] for i in found.json()] == [instance["id"]]


def test_date_variables_are_stored_as_epoch_milliseconds(api, client):
    """A Date variable (far beyond 32 bits in milliseconds) round-trips to the millisecond."""
    api.deploy("oneTaskProcess.bpmn20.xml")
    instance = api.start("oneTaskProcess", variables={
        "due": {"type": "Date", "value": "2999-12-31T23:59:59.999+0000"}})
    response = client.get(f"/engine-rest/process-instance/{instance['id']}/variables")
    assert response.json() == {"due": {"type": "Date", "value": "2999-12-31T23:59:59.999+0000",
                                       "valueInfo": {}}}
    history = client.get("/engine-rest/history/variable-instance",
                         params={"processInstanceId": instance["id"]}).json()
    assert [(v["name"], v["type"], v["value"]) for v in history] == [
        ("due", "Date", "2999-12-31T23:59:59.999+0000")]


@pytest.mark.parametrize("path", ["/engine-rest/job", "/engine-rest/external-task"])
@pytest.mark.parametrize("value", [LONG_MAX, LONG_MIN])
def test_priority_filters_take_the_whole_long_range(api, client, path, value):
    """Priority filters compare against 64-bit priorities, at either end of the range."""
    api.deploy("oneTaskProcess.bpmn20.xml")
    api.start("oneTaskProcess")
    for name in ("priorityHigherThanOrEquals", "priorityLowerThanOrEquals"):
        response = client.get(path, params={name: value})
        assert response.status_code == 200, response.text
        assert response.json() == []


def test_job_priority_can_be_set_to_a_long(api, client):
    """A job's priority may be any Long (Camunda's job priorities are longs)."""
    api.deploy("oneTaskProcess.bpmn20.xml")
    instance = api.start("oneTaskProcess")
    batch = client.post("/engine-rest/modification/executeAsync", json={
        "processDefinitionId": instance["definitionId"], "processInstanceIds": [instance["id"]],
        "instructions": [{"type": "startBeforeActivity", "activityId": "theTask"}]}).json()
    [seed] = client.get("/engine-rest/job", params={"jobDefinitionId": batch["seedJobDefinitionId"]}).json()
    response = client.put(f"/engine-rest/job/{seed['id']}/priority", json={"priority": LONG_MAX})
    assert response.status_code == 204, response.text
    assert client.get(f"/engine-rest/job/{seed['id']}").json()["priority"] == LONG_MAX
    ordered = client.get("/engine-rest/job", params={"priorityHigherThanOrEquals": LONG_MAX}).json()
    assert [j["id"] for j in ordered] == [seed["id"]]


@pytest.mark.parametrize("query", [
    {"businessKey": "order\x00"},
    {"processDefinitionKey": "\x00"},
    {"unknownParameter": "a\x00b"},
])
def test_nul_in_a_query_parameter_is_a_400(client, query):
    """A NUL character in a query string is refused with Camunda's error body."""
    _invalid(client.get("/engine-rest/process-instance", params=query), NUL_QUERY)


@pytest.mark.parametrize("body", [
    {"businessKey": "a\x00"},
    {"variables": [{"name": "x\x00", "operator": "eq", "value": "y"}]},
    {"processInstanceIds": ["\x00"]},
])
def test_nul_in_a_json_body_is_a_400(client, body):
    """A NUL character anywhere in a JSON body is refused before it reaches the database."""
    _invalid(client.post("/engine-rest/process-instance", json=body), NUL_BODY)


def test_an_escaped_backslash_before_u0000_is_text_not_nul(api, client):
    """``\\\\u0000`` in JSON is a backslash followed by "u0000": ordinary text, accepted."""
    api.deploy("oneTaskProcess.bpmn20.xml")
    instance = api.start("oneTaskProcess", businessKey="a\\u0000")
    assert instance["businessKey"] == "a\\u0000"
    found = client.get("/engine-rest/process-instance", params={"businessKey": "a\\u0000"})
    assert [i["id"] for i in found.json()] == [instance["id"]]


def test_nul_in_variables_of_a_start_is_a_400(api, client):
    """A start request whose variable value holds NUL writes nothing."""
    api.deploy("oneTaskProcess.bpmn20.xml")
    response = client.post("/engine-rest/process-definition/key/oneTaskProcess/start",
                           json={"variables": {"v": {"type": "String", "value": "a\x00"}}})
    _invalid(response, NUL_BODY)
    assert client.get("/engine-rest/process-instance/count").json() == {"count": 0}


def test_nul_in_a_path_is_a_400(client):
    """A NUL in a path parameter is refused, not looked up."""
    _invalid(client.get("/engine-rest/process-instance/a%00b"),
             "The request path must not contain NUL characters (\\u0000)")


def test_nul_in_a_deployment_name_is_a_400(client):
    """A deployment whose name holds NUL is refused and nothing is deployed."""
    response = client.post("/engine-rest/deployment/create",
                           files={"data": ("a.bpmn", b"<x/>", "text/xml")},
                           data={"deployment-name": "bad\x00name"})
    # the spec's pattern on the form field refuses it (Connexion's message, Camunda's shape)
    _invalid(response, "'bad\\x00name' does not match '^[^\\\\u0000]*$' - 'deployment-name'")
    assert client.get("/engine-rest/deployment/count").json() == {"count": 0}


@pytest.fixture
def settings(database_url):
    """This module's engine gives up on a row lock after 300 ms (PostgreSQL's lock_timeout)."""
    from modbatch.settings import Settings

    return Settings(database_url=database_url, job_executor=False, db_lock_timeout_ms=300)


def test_a_row_locked_elsewhere_answers_a_conflict_and_writes_nothing(databases, api, client,
                                                                       engine):
    """While another node holds an instance's row lock, deleting the instance answers Camunda's
    OptimisticLockingException after the lock timeout instead of an anonymous 500."""
    if not databases.postgres:
        pytest.skip("SQLite has no row locks: its writers queue on one database lock")
    from sqlalchemy import create_engine, text

    api.deploy("oneTaskProcess.bpmn20.xml")
    instance = api.start("oneTaskProcess")
    other_node = create_engine(engine.settings.database_url)
    with other_node.begin() as connection:
        connection.execute(text("SELECT id FROM process_instance WHERE id = :id FOR UPDATE"),
                           {"id": instance["id"]})
        response = client.delete(f"/engine-rest/process-instance/{instance['id']}")
    other_node.dispose()
    assert response.status_code == 500
    assert response.json() == {
        "type": "OptimisticLockingException",
        "message": "The request conflicted with a concurrent change (a row lock or optimistic "
                   "lock); nothing was written: try again", "code": 0}
    assert client.get(f"/engine-rest/process-instance/{instance['id']}").status_code == 200
