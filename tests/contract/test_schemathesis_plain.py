"""A stock, configuration-free Schemathesis run against a real `modbatch serve` finds nothing.

The command is what a newcomer would type: `schemathesis run <server>/engine-rest/openapi.json
--checks all`, from an empty directory (no schemathesis.toml is read), with only a bounded
`--max-examples` and a fixed `--seed` (neither changes what counts as a failure) and a JUnit
report to read the result from. Everything the server refuses must therefore be stated by
openapi.yaml itself, or be accepted with the meaning the README gives it ("Rules the spec
states").

Allowed are only the failures no OpenAPI 3.0 document can describe: a deployment whose part is
not a BPMN or DMN model (`POST /deployment/create` refusing a schema-valid request with Camunda's
ParseException, or "No deployment resources ..." for parts that are not files); a NUL in a map
key, a variable name (OpenAPI 3.0 has no `propertyNames`); and a fetchAndLock long poll of 10 s or
more that outlasts the client's read timeout (the spec allows up to 1800000 ms). tests/contract/test_schemathesis.py stays the deeper run (its hooks bring
seeded ids and a real model into the generated requests, and it walks the spec's links).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import model_path

MODEL = model_path("exclusiveGateway")
EXAMPLES = int(os.environ.get("MODBATCH_PLAIN_FUZZ_EXAMPLES", "10"))
SEED = 20261203
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")

# The multipart case: a schema-valid deployment whose resource is not a model
DEPLOYMENT = "POST /deployment/create"
NOT_A_MODEL = re.compile(r'"type": "ParseException"|No deployment resources contained in the form')


def _seed(base: str) -> None:
    """A deployed model, running instances with variables, a batch with its jobs."""
    with httpx.Client(base_url=base, timeout=30) as client:
        deployed = client.post("/deployment/create", data={"deployment-name": "plain"},
                               files={"data": (MODEL.name, MODEL.read_bytes(), "text/xml")})
        assert deployed.status_code == 200, deployed.text
        [definition] = deployed.json()["deployedProcessDefinitions"]
        instances = []
        for amount in range(4):
            started = client.post(f"/process-definition/{definition}/start", json={
                "businessKey": f"order-{amount}",
                "variables": {"amount": {"value": amount, "type": "Integer"}}})
            assert started.status_code == 200, started.text
            instances.append(started.json()["id"])
        batch = client.post("/modification/executeAsync", json={
            "processDefinitionId": definition, "processInstanceIds": instances[:2],
            "instructions": [{"type": "cancel", "activityId": "task1"},
                             {"type": "startBeforeActivity", "activityId": "task2"}]})
        assert batch.status_code == 200, batch.text


def _failures(report: Path) -> list[tuple[str, str]]:
    """(operation, failure text) for every failed or erroring test case of the JUnit report."""
    found = []
    for case in ET.parse(report).iter("testcase"):
        for outcome in case:
            if outcome.tag in ("failure", "error"):
                # the text holds every failure of the operation, each from "<n>. Test Case ID"
                text = (outcome.text or outcome.get("message") or "").strip()
                blocks = [block for block in re.split(r"\n(?=\d+\. Test Case ID)", text)
                          if "Test Case ID" in block] or [text]  # an error: the whole text
                found += [(case.get("name", ""), block) for block in blocks]
    return found


NUL_BODY = "The request body must not contain NUL characters"


def _body(text: str) -> Any:
    """The JSON body of the failure's curl command, if it has one."""
    match = re.search(r"curl [^\n]*? -d '(.*?)' http", text)
    try:
        # the shell quoting of a single quote: '\'' or '"'"'
        body = match.group(1).replace("'\\''", "'").replace("'\"'\"'", "'") if match else None
        return json.loads(body) if body is not None else None
    except ValueError:
        return None


def _nul_in_a_key(value: Any) -> bool:
    if isinstance(value, dict):
        return any("\x00" in key or _nul_in_a_key(item) for key, item in value.items())
    return isinstance(value, list) and any(_nul_in_a_key(item) for item in value)


# Refusals that depend on the server's data, which no schema can know: a selection that matches
# nothing, an activity id the deployed model does not have, a message no execution waits for, a
# variable that holds no binary value. Each is Camunda's 400, checked for its operation and message.
MODIFICATIONS = re.compile(r"^POST /(modification/|process-instance/\{id\}/modification)")
DATA_DEPENDENT = [
    (MODIFICATIONS, "Process instance ids cannot be empty: Process instance ids is empty"),
    (MODIFICATIONS, re.compile(r"Element '[^']*' does not exist in process")),
    (re.compile(r"^POST /message$"), "Cannot correlate message"),
    (re.compile(r"^PUT /external-task/retries$"), "externalTaskIds is empty"),
    (re.compile(r"^GET /variable-instance/\{id\}/data$"), "is not a binary value."),
    # the async form of the single-instance modification needs an instruction; its body is
    # Camunda's ProcessInstanceModificationDto, shared with the sync form (where none is fine), and
    # a schema of its own would rename that DTO in every generated client
    (re.compile(r"^POST /process-instance/\{id\}/modification-async$"),
     "The provided instuctions are invalid."),
]


def _data_dependent(operation: str, text: str) -> bool:
    return any(where.search(operation) and (message.search(text) if isinstance(message, re.Pattern)
                                            else message in text)
               for where, message in DATA_DEPENDENT)


def _allowed(operation: str, text: str) -> bool:
    """What no OpenAPI 3.0 document can describe (README, "Rules the spec states")."""
    rejected = "Schema-valid request rejected" in text and "[400]" in text
    if rejected and _data_dependent(operation, text):
        return True
    if operation == DEPLOYMENT:  # a resource part that is not a model
        return rejected and NOT_A_MODEL.search(text) is not None
    if rejected and NUL_BODY in text:  # a NUL in a map key (a variable name): no propertyNames
        return _nul_in_a_key(_body(text))
    if operation == "POST /external-task/fetchAndLock" and "Read timed out" in text:
        # a long poll the spec allows (asyncResponseTimeout up to 1800000 ms) outlasts the
        # client's 10 s read timeout when no task comes; a timeout is no answer to check
        body = _body(text)
        timeout = body.get("asyncResponseTimeout") if isinstance(body, dict) else None
        return isinstance(timeout, int) and timeout >= 10_000
    return False


@pytest.mark.once  # the spec is the same on every database; scripts/test runs it on SQLite
def test_a_plain_schemathesis_run_finds_nothing(server, tmp_path):
    """Every operation, every check, every phase (examples, coverage, fuzzing, stateful
    links), no configuration: the only failures are deployments of a file that is no model."""
    _seed(server)
    workdir = tmp_path / "empty"  # no schemathesis.toml to find
    workdir.mkdir()
    report = tmp_path / "junit.xml"
    run = subprocess.run(
        [str(SCHEMATHESIS), "run", f"{server}/openapi.json", "--checks", "all",
         "--max-examples", str(EXAMPLES), "--seed", str(SEED),
         "--report", "junit", "--report-junit-path", str(report)],
        cwd=workdir, capture_output=True, text=True, timeout=1800,
        env={k: v for k, v in os.environ.items() if not k.startswith("SCHEMATHESIS_")})
    output = run.stdout + run.stderr
    assert report.exists(), output[-5000:]
    failures = _failures(report)
    unexpected = [(operation, text) for operation, text in failures
                  if not _allowed(operation, text)]
    assert not unexpected, "\n\n".join(f"{operation}\n{text}" for operation, text in unexpected)
    # exit code 1 only for the allowed failures; anything else (2: a crash or a bad schema) fails
    assert run.returncode == (1 if failures else 0), output[-5000:]
