"""/version: the Camunda REST API version modbatch answers as (Camunda Modeler reads it)."""

from __future__ import annotations

# The version of Camunda's OpenAPI spec that openapi.yaml is compared with
# (tests/contract/test_camunda_client.py, generic-camunda-client 7.18.0).
CAMUNDA_VERSION = "7.18.0"


def get_rest_api_version():
    return {"version": CAMUNDA_VERSION}, 200
