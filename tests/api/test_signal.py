"""POST /signal: Camunda's request checks and error bodies; every active signal subscription
and signal start event of the name is reached (rows inserted by hand, the runtime recorded;
tests/api/test_events_runtime.py runs real models)."""

from __future__ import annotations

import pytest

from tests.api.conftest import error

URL = "/engine-rest/signal"


def post(client, body, status):
    response = client.post(URL, json=body)
    assert response.status_code == status, response.text
    if status == 204:
        assert response.content == b""
        return None
    assert response.headers["content-type"] == "application/json"
    return response.json()


@pytest.mark.parametrize("body, expected", [
    ({}, error("InvalidRequestException", "No signal name given")),
    # the spec declares name a required string: an explicit null fails the schema first
    ({"name": None, "executionId": "x"},
     error("InvalidRequestException", "None is not of type 'string' - 'name'")),
    ({"name": "s", "variables": {"v": {"value": "x1", "type": "Integer"}}},
     error("InvalidRequestException",
           "Cannot convert value 'x1' of type 'Integer' to java type java.lang.Integer")),
    ({"name": "s", "variables": {"v": {"value": 1, "type": "Unknown"}}},
     error("RestException", "Unsupported value type 'Unknown'")),
    ({"name": "s", "executionId": "x", "tenantId": "t"},
     error("BadUserRequestException", "ENGINE-13027 Cannot specify a tenant-id when deliver a "
           "signal to a single execution.", 0)),
])
def test_request_checks_are_400(client, body, expected):
    """Camunda's types and texts; nothing is delivered."""
    assert post(client, body, 400) == expected


def test_unknown_execution_is_a_null_value_404(client):
    """ensureNotNull's type and text, as a 404 (Camunda answers 500)."""
    assert post(client, {"name": "s", "executionId": "nope"}, 404) == error(
        "NullValueException", "Cannot find execution with id 'nope': execution is null", 0)


def test_execution_without_that_subscription_is_404(client, seed, runtime):
    """ensureNotEmpty's text, ' is empty' included, as a 404 (Camunda answers 500)."""
    execution = seed(lambda rows: rows.waiting(rows.instance(rows.definition("d")), "catch",
                                               "alarm", event_type="signal").execution_id)
    assert post(client, {"name": "other", "executionId": execution}, 404) == error(
        "ProcessEngineException", f"Execution '{execution}' has not subscribed to a signal event "
        "with name 'other'. is empty", 0)
    post(client, {"name": "alarm", "executionId": execution}, 204)
    assert len(runtime.triggered) == 1


def test_a_signal_without_receivers_is_fine(client, runtime):
    """204, nothing happens."""
    post(client, {"name": "nobody"}, 204)
    assert (runtime.triggered, runtime.started) == ([], [])


def test_signal_reaches_subscriptions_and_start_events_with_the_variables(client, seed, runtime):
    """Catching executions in one call, one instance per start event; tenant filters apply."""
    def build(rows):
        plain = rows.definition("d")
        catching = rows.waiting(rows.instance(plain), "catch", "alarm", event_type="signal")
        rows.waiting(rows.instance(rows.definition("t", tenant_id="t1")), "catch", "alarm",
                     event_type="signal")
        rows.start_event(plain, "start", "alarm", event_type="signal")
        return catching.id, plain.id
    catching, definition = seed(build)
    post(client, {"name": "alarm", "withoutTenantId": True,
                  "variables": {"level": {"value": "high"}}}, 204)
    [(ids, variables, _)] = runtime.triggered
    assert ids == [catching]
    assert variables["level"].value == "high"
    assert [(d, a) for d, a, _, _ in runtime.started] == [(definition, "start")]
