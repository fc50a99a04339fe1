"""GET /version and GET /engine: the Camunda endpoints tools probe before talking to an engine."""

from __future__ import annotations

import re

import yaml

from tests.contract.test_camunda_client import SPEC_PATH


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
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    example = spec["paths"]["/version"]["get"]["responses"]["200"]["content"][
        "application/json"]["example"]
    assert client.get("/engine-rest/version").json() == example
    assert "generic-camunda-client==7.18.0" in (
        SPEC_PATH.parent / "tests/contract/test_camunda_client.py").read_text(encoding="utf-8")


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
