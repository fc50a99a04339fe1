"""openapi.yaml makes a working client: openapi-python-client, with its default settings (no
configuration file, no option beyond the spec's path), generates one without a warning, and that
client drives the executeAsync flow against a real `modbatch serve`.

The generator and the generated package live in their own venv (`.cache/sdk/venv`), built from
the package index on first use; the client is regenerated from the current spec on every run,
with the command the README shows, run as a newcomer runs it: in a directory of their own, the
venv's `bin` on PATH (so the default post hooks find `ruff`). The package is named after the
spec's title: `modbatch_client`, in the project directory `modbatch-client`.
"""

from __future__ import annotations

import os
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
    "openapi-python-client==0.29.1",
    # the generator's own dependencies, pinned so that a new release cannot change the output
    "annotated-doc==0.0.7", "annotated-types==0.8.0", "anyio==4.16.0", "attrs==26.1.0",
    "certifi==2026.10.19.post1", "h11==0.16.0", "httpcore==1.0.9", "httpx==0.28.1",
    "idna==3.20", "Jinja2==3.1.6", "markdown-it-py==4.3.0", "MarkupSafe==3.0.4", "mdurl==0.1.2",
    "pydantic==2.14.4", "pydantic_core==2.50.5", "Pygments==2.21.0", "rich==15.0.0",
    "ruamel.yaml==0.19.1", "ruff==0.17.6", "shellingham==1.5.4", "typer==0.27.3",
    "typing-inspection==0.4.5", "typing_extensions==4.16.0",
    # the generated package is a Poetry project, installed without build isolation (offline)
    "poetry-core==2.2.1",
]

INSTANCES = 50


def test_generated_client_runs_the_execute_async_flow(server):
    """Generate, install, then deploy, start 50, executeModificationAsync by query, poll the
    batch statistics to completion and read every activity-instance tree through the client."""
    venv = cached_venv("sdk", GENERATOR)
    work = CACHE / "sdk"
    output = work / "modbatch-client"  # the generator's own choice, from the spec's title
    shutil.rmtree(output, ignore_errors=True)
    # the README's commands: the pinned generator, and the generate line run in the repository
    assert ["pip", "install", GENERATOR[0]] in readme_commands("Generate a client", "pip")
    [command] = readme_commands("Generate a client", "openapi-python-client")
    assert command == ["openapi-python-client", "generate", "--path", "openapi.yaml"], command
    environment = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    generated = run([*command[:-1], ROOT / "openapi.yaml"],
                    timeout=180, what="openapi-python-client generate", cwd=work,
                    env=environment)
    problems = [line for line in generated.splitlines()
                if line.strip() and not line.startswith("Generating ")]
    assert not problems, "openapi-python-client reports on openapi.yaml:\n" + generated
    assert (output / "modbatch_client" / "__init__.py").is_file(), sorted(work.iterdir())
    run([python_of(venv), "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
         "--no-deps", "--no-build-isolation", "--force-reinstall", output],
        timeout=180, what="installing the generated client")

    report = run_script(venv, "sdk_flow.py", server, model_path("nestedParallelOneTaskProcess"),
                        str(INSTANCES), timeout=300)
    assert f"OK: {INSTANCES} instances modified" in report, report
