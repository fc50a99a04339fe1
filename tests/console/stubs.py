"""A stand-in, in the browser only, for an operation another helper is adding to the server
(POST /modification/executeAsync/dry-run), following the contract in the project notes. It is
installed only while the served spec lacks the operation, so the tests run against the real
operation as soon as the server has it."""

from __future__ import annotations

import json
import re

import httpx


def _operation_ids(base: str) -> set[str]:
    spec = httpx.get(f"{base}/openapi.json", timeout=30).json()
    return {operation.get("operationId") for methods in spec["paths"].values()
            for operation in methods.values() if isinstance(operation, dict)}


def install(context, base: str) -> None:
    """Route the missing operation of the server at ``base`` (…/engine-rest) to a stand-in."""
    operations = _operation_ids(base)
    if "dryRunModification" not in operations:
        def dry_run(route):
            body = json.loads(route.request.post_data)
            query = dict(body.get("processInstanceQuery") or {})
            found = httpx.post(f"{base}/process-instance", json=query).json()
            ids = sorted(i["id"] for i in found if not body.get("processInstanceIds")
                         or i["id"] in body["processInstanceIds"])
            cancel = {i["activityId"] for i in body["instructions"] if i["type"] == "cancel"}
            start = [i["activityId"] for i in body["instructions"] if i["type"] != "cancel"]
            sample = []
            for instance_id in ids[:5]:
                tree = httpx.get(f"{base}/process-instance/{instance_id}/activity-instances").json()
                sample.append({
                    "processInstanceId": instance_id,
                    "cancelledActivityInstances": [
                        {"id": c["id"], "activityId": c["activityId"], "activityName": c["activityName"]}
                        for c in tree["childActivityInstances"] if c["activityId"] in cancel],
                    "startedActivityInstances": [
                        {"id": f"new-{a}", "activityId": a, "activityName": None,
                         "parentActivityInstanceId": tree["id"]} for a in start],
                    "error": None})
            route.fulfill(status=200, content_type="application/json", body=json.dumps(
                {"instanceCount": len(ids), "processInstanceIds": ids[:100], "sample": sample}))

        context.route(re.compile(r".*/engine-rest/modification/executeAsync/dry-run.*"), dry_run)
