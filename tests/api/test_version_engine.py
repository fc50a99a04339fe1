"""GET /version and GET /engine: the Camunda endpoints tools probe before talking to an engine."""

from __future__ import annotations

import re

import yaml

from tests.conftest import ROOT, model_path


def test_version_answers_camundas_version_dto(client):
    """GET /version answers VersionDto with the Camunda version modbatch is compatible with."""
    response = client.get("/engine-rest/version")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"version": "7.18.0"}


def test_version_is_a_release_that_camunda_modeler_accepts(client):
    """The version is plain `major.minor.patch` (Camunda Modeler compares it as semver)."""
    version = client.get("/engine-rest/version").json()["version"]
    assert re.fullmatch(r"7\.\d+\.\d+", version)


def test_version_is_the_spec_version_compared_against(client):
    """The claimed version is the one of Camunda's spec that openapi.yaml is compared with."""
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    example = spec["paths"]["/version"]["get"]["responses"]["200"]["content"][
        "application/json"]["example"]
    assert client.get("/engine-rest/version").json() == example
    assert "generic-camunda-client==7.18.0" in (
        ROOT / "tests/contract/test_camunda_client.py").read_text(encoding="utf-8")


def test_engine_lists_the_default_engine(client):
    """GET /engine answers a list of ProcessEngineDto with the one engine, `default`."""
    response = client.get("/engine-rest/engine")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == [{"name": "default"}]


def test_version_ignores_query_parameters(client):
    """Unknown query parameters change nothing (as for every operation)."""
    response = client.get("/engine-rest/version", params={"foo": "bar"})
    assert response.status_code == 200
    assert response.json() == {"version": "7.18.0"}


def test_camunda_modeler_connection_check_version_and_deploy(client):
    """Camunda Modeler's deploy dialog: `GET /deployment?maxResults=0`, `GET /version` (reads
    `version`), then a multipart deploy with the diagram in a part named after its file."""
    headers = {"accept": "application/json"}
    check = client.get("/engine-rest/deployment", params={"maxResults": 0}, headers=headers)
    assert check.status_code == 200
    assert check.json() == []
    version = client.get("/engine-rest/version", headers=headers)
    assert version.status_code == 200
    assert version.headers["content-type"] == "application/json"
    assert version.json()["version"] == "7.18.0"
    path = model_path("camunda-bpm-platform__reviewInvoice.bpmn")
    deployed = client.post(
        "/engine-rest/deployment/create", headers=headers,
        data={"deployment-name": "review", "deployment-source": "Camunda Modeler",
              "enable-duplicate-filtering": "true"},
        files=[(path.name, (path.name, path.read_bytes(), "text/xml"))])
    assert deployed.status_code == 200
    assert deployed.headers["content-type"] == "application/json"
    [definition] = deployed.json()["deployedProcessDefinitions"].values()
    assert definition["key"] == "ReviewInvoice"
    assert deployed.json()["source"] == "Camunda Modeler"
