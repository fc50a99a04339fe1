"""create_app(): the Connexion app, routed and validated by openapi.yaml."""

from __future__ import annotations

import functools
import json
import logging
import sys
import warnings
from contextlib import asynccontextmanager
from pathlib import Path

# Connexion imports Starlette's test client at import time, whose httpx deprecation notice would
# greet every `modbatch serve`; the server never uses the test client
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

import connexion  # noqa: E402
from connexion.options import SwaggerUIOptions
import yaml
from starlette.responses import Response

from modbatch.api import errors
from modbatch.api.resolver import OperationResolver
from modbatch.api.validation import VALIDATORS
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.settings import Settings

SPEC = Path(__file__).with_name("openapi.yaml")
SWITCH_INTERVAL_S = 0.001
BASE_PATH = "/engine-rest"


@functools.cache
def _spec() -> dict:
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


@functools.cache
def _spec_bytes() -> bytes:
    return json.dumps(_spec()).encode()


async def _spec_json(request):
    """The spec as written (recursive schemas keep their $refs; Connexion's resolved copy loops)."""
    return Response(_spec_bytes(), media_type="application/json")


def create_app(settings: Settings | None = None) -> connexion.AsyncApp:
    settings = settings or Settings.from_env()
    engine = ProcessEngine(settings)
    install(engine)

    @asynccontextmanager
    async def lifespan(_app):
        # request threads block on the database for microseconds at a time and then wait for the
        # GIL while the event loop (or the job executor) runs on; CPython's default 5 ms switch
        # interval makes each of those waits cost up to 5 ms, so a request pays it several times
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        engine.start()
        yield
        engine.close()

    app = connexion.AsyncApp(__name__, lifespan=lifespan)
    app.add_api(
        SPEC,
        base_path=BASE_PATH,
        resolver=OperationResolver(),
        pythonic_params=False,
        strict_validation=False,
        validate_responses=False,
        validator_map=VALIDATORS,
        swagger_ui_options=SwaggerUIOptions(swagger_ui_path="/ui", spec_path="/openapi.json",
                                            serve_spec=False),
    )
    app.add_url_rule(f"{BASE_PATH}/openapi.json", "openapi", _spec_json)
    errors.install(app, allow=errors.allowed_methods(_spec()["paths"], BASE_PATH))
    app.engine = engine  # type: ignore[attr-defined]
    logging.getLogger("connexion").setLevel(logging.ERROR)
    return app
