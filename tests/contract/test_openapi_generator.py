"""openapi.yaml makes a working client with openapi-generator: the `python` generator, spec
validation on, accepts the spec without an error or a warning about it, and the client it writes
drives the executeAsync flow against a real `modbatch serve`.

openapi-generator is a Java program; PyPI's `openapi-generator-cli` ships its jar and runs it with
the machine's `java` (Debian's `default-jre-headless`, installed by `.ci/run` when missing). The
generator, the generated client's dependencies and the client itself live in their own venv
(`.cache/openapi-generator/venv`), built from the package index on first use; the client is
regenerated from the current spec on every run, with the command the README shows.
"""

from __future__ import annotations

import os
import re
import shutil

from tests.conftest import model_path
from tests.contract.venvs import (
    CACHE,
    ROOT,
    cached_venv,
    python_of,
    readme_commands,
    run,
    run_script,
)

GENERATOR = [
    "openapi-generator-cli==7.26.0",
    # what the generated client needs (its pyproject.toml), pinned so that a new release cannot
    # change what runs
    "annotated-types==0.8.0", "pydantic==2.14.4", "pydantic_core==2.50.5",
    "python-dateutil==4.0.0", "six==1.17.0", "typing-inspection==0.4.5",
    "typing_extensions==4.16.0", "tzdata==2026.6", "urllib3==2.8.0",
    # the generated package builds with setuptools, installed without build isolation (offline)
    "setuptools==80.9.0",
]

INSTANCES = 20

# openapi-generator's log: `[main] LEVEL logger - message`. Every WARN and ERROR line is about
# the spec, except the ones listed here with their reason.
LOG_LINE = re.compile(r"^\[main\] (?P<level>[A-Z]+)\s+(?P<logger>\S+) - (?P<message>.*)$")
NOT_ABOUT_THE_SPEC: dict[str, str] = {
    "Failed to get the schema name: null":
        "logged for any spec, even one with a single schema and a single operation",
    "Could not compute datatypeWithEnum from bytes":
        "logged for any multipart array of files (`items: {type: string, format: binary}`, "
        "OpenAPI 3.0's way to upload several files): createDeployment's repeatable `data` part; "
        "the generated method takes a list of files all the same, and the flow deploys with it",
    # the spec states rules between properties as `not` schemas (README, "Rules the spec
    # states"); the generator validates and models them, but its documentation example builder
    # cannot make an example for a `not` nested in an `anyOf`, or for a property whose only
    # allowed value is null (JobDefinitionPriorityDto's rule)
    "Error in generating `example` for the property not_schema":
        "the example builder's limit with `not` inside `anyOf` (the instruction rules)",
    "Error in generating `example` for the property priority":
        "the example builder's limit with `enum: [null]` (JobDefinitionPriorityDto's `not`)",
}


def _generator_complaints(log: str) -> list[str]:
    complaints = []
    for line in log.splitlines():
        match = LOG_LINE.match(line)
        if match and match["level"] in ("WARN", "ERROR") and \
                not any(known in match["message"] for known in NOT_ABOUT_THE_SPEC):
            complaints.append(line)
    return complaints


def test_openapi_generator_client_runs_the_execute_async_flow(server):
    """Generate with validation on (no warning, no error about the spec), install, then deploy,
    start 20 instances, executeModificationAsync by ids, poll the batch statistics to completion
    and read every activity-instance tree through the client."""
    venv = cached_venv("openapi-generator", GENERATOR)
    work = CACHE / "openapi-generator"
    # the README's commands: the pinned generator, and the generate line run in the repository
    assert ["pip", "install", GENERATOR[0]] in readme_commands("Generate a client", "pip")
    [command] = readme_commands("Generate a client", "openapi-generator-cli")
    assert "--skip-validate-spec" not in command and command[command.index("-g") + 1] == "python"
    output = work / command[command.index("-o") + 1]
    shutil.rmtree(output, ignore_errors=True)
    # the venv's bin first, as for a newcomer with the venv activated; the jar runs on `java`
    environment = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    generated = run([ROOT / "openapi.yaml" if word == "openapi.yaml" else word
                     for word in command],
                    timeout=300, what="openapi-generator-cli generate", cwd=work,
                    env=environment)
    assert "SpecValidationException" not in generated, generated
    complaints = _generator_complaints(generated)
    assert not complaints, "openapi-generator reports on openapi.yaml:\n" + "\n".join(complaints)
    run([python_of(venv), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
         "--no-deps", "--no-build-isolation", "--force-reinstall", output],
        timeout=180, what="installing the generated client")

    report = run_script(venv, "openapi_generator_flow.py", server,
                        model_path("nestedParallelOneTaskProcess"), str(INSTANCES), timeout=300)
    assert f"OK: {INSTANCES} instances modified" in report, report
