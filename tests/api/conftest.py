"""An app on a fresh SQLite file per test, driven in-process through Connexion's test client."""

from __future__ import annotations

import re

import pytest

from modbatch.app import create_app
from modbatch.settings import Settings
from tests.conftest import model_path
from tests.event_rows import Rows, record_runtime

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{4}$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[47][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture(scope="session")
def shared_app(tmp_path_factory, databases):
    """Parsing the spec takes a while: one app for the session, a fresh engine per test."""
    url = databases.fresh(tmp_path_factory.mktemp("app"))
    application = create_app(Settings(database_url=url, job_executor=False))
    yield application
    application.engine.close()
    databases.drop(url)


@pytest.fixture
def app(shared_app, engine):
    """The shared app, answering from this test's own engine and database."""
    shared_app.engine = engine
    return shared_app


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """Small helpers over the REST API so tests read like a user's session."""

    def __init__(self, client):
        self.client = client

    def deploy(self, *names: str, name: str = "test", **form):
        files = [(f"file{i}", (model_path(n).name, model_path(n).read_bytes(), "text/xml"))
                 for i, n in enumerate(names)]
        response = self.client.post("/engine-rest/deployment/create", files=files,
                                    data={"deployment-name": name, **form})
        assert response.status_code == 200, response.text
        return response.json()

    def deploy_xml(self, xml: str, filename: str = "inline.bpmn"):
        return self.client.post("/engine-rest/deployment/create",
                                files={"data": (filename, xml.encode(), "text/xml")})

    def start(self, key: str, **body):
        response = self.client.post(f"/engine-rest/process-definition/key/{key}/start", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def tree(self, instance_id: str):
        response = self.client.get(f"/engine-rest/process-instance/{instance_id}/activity-instances")
        assert response.status_code == 200, response.text
        return response.json()

    def tasks(self, **params):
        response = self.client.get("/engine-rest/task", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def complete(self, instance_id: str, activity_id: str, **body):
        [task] = self.tasks(processInstanceId=instance_id, taskDefinitionKey=activity_id)
        response = self.client.post(f"/engine-rest/task/{task['id']}/complete", json=body)
        assert response.status_code == 204, response.text


@pytest.fixture
def api(client):
    return Api(client)


def error(type_: str, message: str, code=None) -> dict:
    return {"type": type_, "message": message, "code": code}


@pytest.fixture
def runtime(monkeypatch):
    """The engine's trigger and start commands, recorded instead of run (rows-only event tests)."""
    return record_runtime(monkeypatch)


@pytest.fixture
def seed(app):
    """Run ``build(rows)`` in its own committed transaction and return what it returns."""
    def run(build):
        with app.engine.transaction() as session:
            return build(Rows(session))
    return run
