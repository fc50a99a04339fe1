"""Rules every response follows: Camunda-shaped errors, lenient input, the served spec and UI."""

from __future__ import annotations

import yaml

from modbatch.app import SPEC
from modbatch.engine import instances
from tests.api.conftest import error

ONE_TASK = "oneTaskProcess.bpmn20.xml"
JSON = {"content-type": "application/json"}


def assert_camunda_error(response, status: int, body: dict) -> None:
    """Status, body and an application/json content type (never problem+json)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == body


# ------------------------------------------------------------------ Connexion's validation
def test_bad_integer_query_parameter_is_400(client):
    """A non-integer firstResult or version is a Camunda-shaped 400 from the spec's validation."""
    assert_camunda_error(
        client.get("/engine-rest/process-instance", params={"firstResult": "abc"}), 400,
        error("InvalidRequestException", "'abc' is not of type 'integer'"))
    assert_camunda_error(
        client.get("/engine-rest/process-definition/count", params={"version": "1.5"}), 400,
        error("InvalidRequestException", "'1.5' is not of type 'integer'"))


def test_bad_boolean_query_parameter_is_400(client):
    """A value that is no boolean at all is a Camunda-shaped 400."""
    assert_camunda_error(
        client.get("/engine-rest/process-instance", params={"active": "maybe"}), 400,
        error("InvalidRequestException", "'maybe' is not of type 'boolean'"))


def test_bad_enum_in_a_body_is_400(client):
    """A value outside a body property's enum is a Camunda-shaped 400 naming the property."""
    response = client.post("/engine-rest/process-instance",
                           json={"sorting": [{"sortBy": "color", "sortOrder": "asc"}]})
    assert_camunda_error(response, 400, error(
        "InvalidRequestException",
        "'color' is not one of ['instanceId', 'definitionKey', 'definitionId', 'tenantId', "
        "'businessKey'] - 'sorting.0.sortBy'"))


def test_wrongly_typed_body_property_is_400(client):
    """A body property of the wrong JSON type is a Camunda-shaped 400 naming the property."""
    response = client.put("/engine-rest/process-instance/any/suspended", json={"suspended": "yes"})
    assert_camunda_error(response, 400, error(
        "InvalidRequestException", "'yes' is not of type 'boolean' - 'suspended'"))
    response = client.post("/engine-rest/process-instance", json=["not", "an", "object"])
    assert_camunda_error(response, 400, error(
        "InvalidRequestException", "['not', 'an', 'object'] is not of type 'object'"))


def test_malformed_json_is_400(client):
    """A body that is not JSON is a Camunda-shaped 400."""
    response = client.post("/engine-rest/process-instance", content=b"{bad", headers=JSON)
    assert_camunda_error(response, 400, error(
        "InvalidRequestException",
        "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"))


def test_non_utf8_body_is_400(client):
    """A JSON body that is not UTF-8 is a 400, not a 500."""
    response = client.post("/engine-rest/process-instance", content=b'{"businessKey": "\xff"}',
                           headers=JSON)
    assert_camunda_error(response, 400, error("InvalidRequestException",
                                              "The request body is not valid UTF-8"))


def test_wrong_content_type_is_415(client):
    """A JSON operation called with another content type answers a Camunda-shaped 415."""
    response = client.post("/engine-rest/process-instance", content=b"{}",
                           headers={"content-type": "text/plain"})
    assert_camunda_error(response, 415, error(
        "InvalidRequestException", "Invalid Content-type (text/plain), expected ['application/json']"))


def test_unknown_path_is_404(client):
    """An unknown path answers a Camunda-shaped 404."""
    for path in ("/engine-rest/nope", "/engine-rest/process-instance/a/b/c", "/nope"):
        assert_camunda_error(client.get(path), 404, error(
            "InvalidRequestException", "The requested resource does not exist"))


def test_wrong_method_is_405(client):
    """A known path with an unsupported method answers a Camunda-shaped 405 with Allow."""
    response = client.delete("/engine-rest/process-definition")
    assert_camunda_error(response, 405, error(
        "InvalidRequestException", "The method is not allowed for the requested resource"))
    assert sorted(m.strip() for m in response.headers["allow"].split(",")) == ["GET", "HEAD"]


def test_unexpected_exception_is_500_without_details(client, monkeypatch):
    """A bug answers 500 with the exception's class name only: no message, no traceback."""

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret detail from /srv/modbatch/engine/instances.py")

    monkeypatch.setattr(instances, "find", broken)
    response = client.get("/engine-rest/process-instance")
    assert_camunda_error(response, 500, error("RuntimeError", "An internal error occurred"))
    assert "Traceback" not in response.text and "secret" not in response.text


# --------------------------------------------------------------------------- lenient input
def test_unknown_query_parameters_are_ignored(api, client):
    """Query parameters the operation does not know change nothing."""
    api.deploy(ONE_TASK)
    started = api.start("oneTaskProcess")
    response = client.get("/engine-rest/process-instance",
                          params={"colour": "blue", "processDefinitionKey": "oneTaskProcess"})
    assert response.status_code == 200
    assert [i["id"] for i in response.json()] == [started["id"]]
    assert client.get("/engine-rest/process-definition/count",
                      params={"nonsense": "1"}).json() == {"count": 1}


def test_unknown_json_properties_are_ignored(api, client):
    """JSON properties the DTO does not know change nothing, in queries and in starts."""
    api.deploy(ONE_TASK)
    response = client.post("/engine-rest/process-definition/key/oneTaskProcess/start",
                           json={"businessKey": "bk", "colour": "blue"})
    assert response.status_code == 200 and response.json()["businessKey"] == "bk"
    listed = client.post("/engine-rest/process-instance",
                         json={"businessKey": "bk", "colour": "blue", "nested": {"x": 1}})
    assert listed.status_code == 200
    assert [i["id"] for i in listed.json()] == [response.json()["id"]]


def test_boolean_parameters_are_case_insensitive(api, client):
    """TRUE, True, False ... are booleans in every boolean query parameter."""
    api.deploy(ONE_TASK)
    api.deploy(ONE_TASK)
    latest = client.get("/engine-rest/process-definition", params={"latestVersion": "TRUE"})
    assert [d["version"] for d in latest.json()] == [2]
    started = api.start("oneTaskProcess")
    client.put(f"/engine-rest/process-instance/{started['id']}/suspended",
               json={"suspended": True})
    suspended = client.get("/engine-rest/process-instance", params={"suspended": "True"})
    assert [i["id"] for i in suspended.json()] == [started["id"]]
    assert client.get("/engine-rest/process-instance",
                      params={"active": "TRUE"}).json() == []
    assert client.get("/engine-rest/process-instance/count",
                      params={"active": "False"}).json() == {"count": 1}
    response = client.delete("/engine-rest/process-instance/nope",
                             params={"failIfNotExists": "False"})
    assert response.status_code == 204


def test_json_body_on_get_and_delete_is_ignored(api, client):
    """A JSON body sent with GET or DELETE, even a malformed one, is ignored."""
    api.deploy(ONE_TASK)
    started = api.start("oneTaskProcess", businessKey="bk")
    response = client.request("GET", "/engine-rest/process-instance", headers=JSON,
                              content=b'{"businessKey": "other"}')
    assert response.status_code == 200
    assert [i["id"] for i in response.json()] == [started["id"]]
    response = client.request("GET", "/engine-rest/process-instance/count", headers=JSON,
                              content=b"{bad")
    assert response.status_code == 200 and response.json() == {"count": 1}
    response = client.request("DELETE", f"/engine-rest/process-instance/{started['id']}",
                              headers=JSON, content=b'{"failIfNotExists": false}')
    assert response.status_code == 204
    response = client.request("DELETE", "/engine-rest/process-instance/nope", headers=JSON,
                              content=b"{bad")
    assert_camunda_error(response, 404, error(
        "InvalidRequestException",
        "No process instance found for id 'nope': processInstance is null", 0))


def test_body_without_content_type_is_read_as_json(api, client):
    """A POST body without Content-Type is read as JSON; no body at all counts as {}."""
    api.deploy(ONE_TASK)
    response = client.post("/engine-rest/process-definition/key/oneTaskProcess/start",
                           content=b'{"businessKey": "raw"}')
    assert response.status_code == 200 and response.json()["businessKey"] == "raw"
    counted = client.post("/engine-rest/process-instance/count")
    assert counted.status_code == 200 and counted.json() == {"count": 1}


# -------------------------------------------------------------------------- spec and UI
def test_spec_is_served_as_json(client):
    """GET /engine-rest/openapi.json answers the contract exactly as written in openapi.yaml."""
    response = client.get("/engine-rest/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == yaml.safe_load(SPEC.read_text(encoding="utf-8"))


def test_swagger_ui_is_served(client):
    """GET /engine-rest/ui/ answers Swagger UI pointed at the served spec, with its assets."""
    response = client.get("/engine-rest/ui/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>Swagger UI</title>" in response.text
    assert 'url: "/engine-rest/openapi.json"' in response.text
    bundle = client.get("/engine-rest/ui/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.content) > 100_000
