"""A real external task worker, `camunda-external-task-client-python3` from PyPI in its own venv,
drives instances of its own bpmn error example against a `modbatch serve` process: fetch and
lock with the library's default long polling, complete, failures with retries (down to an
incident) and BPMN errors caught by the boundary events; the final state is read through REST."""

from __future__ import annotations

import httpx

from tests.conftest import model_path
from tests.contract.venvs import cached_venv, run_script

# the library imports pydantic (its basic auth) without declaring it
CLIENT = [
    "camunda-external-task-client-python3==4.5.0", "pydantic==2.14.4",
    "annotated-types==0.8.0", "certifi==2026.10.19.post1", "charset-normalizer==3.5.3",
    "idna==3.20", "pydantic-core==2.50.5", "requests==2.34.2", "typing-inspection==0.4.5",
    "typing-extensions==4.16.0", "urllib3==2.8.0",
]
MODEL = "camunda-external-task-client-python3__bpmn_error_example.bpmn"
SCENARIOS = ("approve", "invalid", "poor", "flaky", "broken")
# approve 2 (validate, approve), invalid 2 (validate, reject), poor 1, flaky 3, broken 2
ACTIONS = 10


def test_worker_completes_fails_and_throws_bpmn_errors(server):
    """Every scenario ends where the model sends it: approved and rejected instances end, the
    poor-quality one waits in ENHANCE_IMAGE_QUALITY, the broken one has a failedExternalTask
    incident with the worker's message and no retries left."""
    venv = cached_venv("external-task-client", CLIENT)
    rest = httpx.Client(base_url=server, timeout=30)
    path = model_path(MODEL)
    response = rest.post("/deployment/create", files={"data": (path.name, path.read_bytes())})
    assert response.status_code == 200, response.text
    started = {}
    for scenario in SCENARIOS:
        response = rest.post("/process-definition/key/BPMN_ERROR_EXAMPLE/start", json={
            "businessKey": scenario, "variables": {"scenario": {"value": scenario}}})
        assert response.status_code == 200, response.text
        started[scenario] = response.json()["id"]

    report = run_script(venv, "external_task_worker.py", server, str(ACTIONS), timeout=300)
    assert f"OK: {ACTIONS} actions" in report, report

    for scenario in ("approve", "invalid", "flaky"):
        response = rest.get(f"/process-instance/{started[scenario]}")
        assert response.status_code == 404, (scenario, response.text)
    [waiting] = rest.get("/external-task", params={"processInstanceId": started["poor"]}).json()
    assert (waiting["activityId"], waiting["topicName"], waiting["workerId"]) == (
        "ENHANCE_IMAGE_QUALITY", "ENHANCE_IMAGE_QUALITY", None)
    variables = rest.get(f"/process-instance/{started['poor']}/variables").json()
    assert {name: value["value"] for name, value in variables.items()} == {
        "scenario": "poor", "quality_code": "POOR_QUALITY_IMAGE", "quality_description": "too dark"}
    [broken] = rest.get("/external-task", params={"processInstanceId": started["broken"]}).json()
    assert (broken["activityId"], broken["retries"], broken["errorMessage"]) == (
        "VALIDATE_IMAGE", 0, "image is corrupt")
    assert rest.get(f"/external-task/{broken['id']}/errorDetails").text == "ValueError: bad header"
    [incident] = rest.get("/incident", params={"processInstanceId": started["broken"]}).json()
    assert (incident["incidentType"], incident["incidentMessage"], incident["configuration"],
            incident["activityId"]) == ("failedExternalTask", "image is corrupt", broken["id"],
                                        "VALIDATE_IMAGE")
    assert rest.get("/external-task/count").json() == {"count": 2}
