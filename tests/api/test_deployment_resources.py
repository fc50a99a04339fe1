"""GET /deployment/{id}/resources, /resources/{resourceId} and /resources/{resourceId}/data:
every uploaded file, kept byte for byte and typed by its extension as Camunda types it."""

from __future__ import annotations

import pytest

from tests.api.conftest import error
from tests.conftest import model_path

ROOT = "/engine-rest"
MODEL = model_path("oneTaskProcess.bpmn20.xml")

FILES = {
    "oneTaskProcess.bpmn20.xml": MODEL.read_bytes(),
    "rules/discount.xml": b"<definitions/>",
    "form.json": b'{"fields": []}',
    "README.txt": "caf\u00e9\n".encode(),
    "diagram.png": b"\x89PNG\r\n\x1a\n\x00\x01",
    "page.html": b"<p>hi</p>",
    "archive.zip": b"PK\x03\x04",
}


@pytest.fixture
def deployment(client) -> dict:
    """One deployment of a BPMN model and six other files, in the order they were uploaded."""
    files = [(f"part{n}", (name, content, "application/octet-stream"))
             for n, (name, content) in enumerate(FILES.items())]
    response = client.post(f"{ROOT}/deployment/create", files=files,
                           data={"deployment-name": "files"})
    assert response.status_code == 200, response.text
    return response.json()


def resources(client, deployment_id: str) -> list[dict]:
    response = client.get(f"{ROOT}/deployment/{deployment_id}/resources")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def test_every_uploaded_file_is_a_resource(client, deployment):
    """DeploymentResourceDto for each file, BPMN or not, by name."""
    listed = resources(client, deployment["id"])
    assert [row["name"] for row in listed] == sorted(FILES)
    for row in listed:
        assert row == {"id": row["id"], "name": row["name"], "deploymentId": deployment["id"]}
    assert len({row["id"] for row in listed}) == len(FILES)


def test_one_resource_and_unknown_ones(client, deployment):
    """GET /resources/{resourceId}; unknown deployments and resources are Camunda's 404s."""
    [first, *_] = resources(client, deployment["id"])
    response = client.get(f"{ROOT}/deployment/{deployment['id']}/resources/{first['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == first
    missing = client.get(f"{ROOT}/deployment/{deployment['id']}/resources/nope")
    assert missing.status_code == 404
    assert missing.json() == error(
        "InvalidRequestException",
        f"Deployment resource with resource id 'nope' for deployment id '{deployment['id']}' "
        "does not exist.")
    for url in (f"{ROOT}/deployment/nope/resources", f"{ROOT}/deployment/nope/resources/x"):
        response = client.get(url)
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/json"
        assert response.json() == error(
            "InvalidRequestException",
            "Deployment resources for deployment id 'nope' do not exist.")


@pytest.mark.parametrize("name, content_type, filename", [
    ("oneTaskProcess.bpmn20.xml", "application/xml", "oneTaskProcess.bpmn20.xml"),
    ("rules/discount.xml", "application/xml", "discount.xml"),
    ("form.json", "application/json", "form.json"),
    ("README.txt", "text/plain", "README.txt"),
    ("diagram.png", "image/png", "diagram.png"),
    ("page.html", "text/html", "page.html"),
    ("archive.zip", "application/octet-stream", "archive.zip"),
])
def test_data_is_the_file_with_camundas_media_type(client, deployment, name, content_type,
                                                   filename):
    """The bytes as uploaded, the media type by extension, an attachment named by the last
    path segment."""
    [row] = [r for r in resources(client, deployment["id"]) if r["name"] == name]
    response = client.get(f"{ROOT}/deployment/{deployment['id']}/resources/{row['id']}/data")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["content-disposition"] == f"attachment; filename={filename}"
    assert response.content == FILES[name]


def test_data_of_an_unknown_resource_is_the_engines_null_value_exception(client, deployment):
    """Camunda's engine raises NullValueException (its REST layer answers 500): a 404 here."""
    response = client.get(f"{ROOT}/deployment/{deployment['id']}/resources/nope/data")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error(
        "NullValueException",
        f"no resource found with id 'nope' in deployment '{deployment['id']}': resource is null",
        code=0)


def test_a_resource_of_another_deployment_is_not_found(client, deployment, api):
    """A resource id only answers under its own deployment."""
    other = api.deploy("oneTaskProcess.bpmn20.xml")
    [row] = resources(client, other["id"])
    response = client.get(f"{ROOT}/deployment/{deployment['id']}/resources/{row['id']}/data")
    assert response.status_code == 404
    response = client.get(f"{ROOT}/deployment/{deployment['id']}/resources/{row['id']}")
    assert response.status_code == 404
