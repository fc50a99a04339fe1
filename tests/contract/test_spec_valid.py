"""Static checks on openapi.yaml, the contract the REST layer is generated from."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from openapi_spec_validator import validate

SPEC_PATH = Path(__file__).parents[2] / "openapi.yaml"
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    """openapi.yaml is a valid OpenAPI 3.0.x document."""
    assert spec["openapi"].startswith("3.0.")
    validate(spec)


def test_every_operation_is_documented(spec: dict[str, Any]) -> None:
    """Every operation has operationId, summary, tags and 400 and 500 responses."""
    problems = []
    for path, method, operation in _operations(spec):
        where = f"{method.upper()} {path}"
        for key in ("operationId", "summary", "tags"):
            if not operation.get(key):
                problems.append(f"{where}: missing {key}")
        responses = operation.get("responses", {})
        for code in ("400", "500"):
            if code not in responses:
                problems.append(f"{where}: missing {code} response")
    assert not problems, "\n".join(problems)


def test_operation_ids_are_unique(spec: dict[str, Any]) -> None:
    """No two operations share an operationId."""
    counts = Counter(op.get("operationId") for _, _, op in _operations(spec))
    duplicates = sorted(str(op_id) for op_id, n in counts.items() if n > 1)
    assert not duplicates, f"duplicate operationIds: {duplicates}"
