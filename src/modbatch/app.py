"""create_app(): the Connexion app, routed and validated by openapi.yaml."""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager
from pathlib import Path

import connexion
from connexion.json_schema import Draft4RequestValidator
from connexion.options import SwaggerUIOptions
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, MediaTypeDict
from jsonschema import Draft4Validator
from jsonschema.validators import extend
import yaml
from starlette.responses import Response

from modbatch.api import errors
from modbatch.api.resolver import OperationResolver
from modbatch.api.validation import HANDLER_CHECKED_BODY_RULES, HandlerCheckedParameters
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.settings import Settings

SPEC = Path(__file__).with_name("openapi.yaml")
BASE_PATH = "/engine-rest"


_SPEC_JSON: bytes | None = None


async def _spec_json(request):
    """The spec as written (recursive schemas keep their $refs; Connexion's resolved copy loops)."""
    global _SPEC_JSON
    if _SPEC_JSON is None:
        _SPEC_JSON = json.dumps(yaml.safe_load(SPEC.read_text(encoding="utf-8"))).encode()
    return Response(_SPEC_JSON, media_type="application/json")


def _items(validator, items, instance, schema):
    """`items: {}` (untyped items, e.g. processInstanceIds) accepts anything: skip the per-item walk."""
    if items == {}:
        return
    yield from _DRAFT4_ITEMS(validator, items, instance, schema)


_DRAFT4_ITEMS = Draft4RequestValidator.VALIDATORS["items"]
_BodySchemaValidator = extend(Draft4RequestValidator,
                              {"items": _items, **HANDLER_CHECKED_BODY_RULES})


class _JSONBodyValidator(JSONRequestBodyValidator):
    """Connexion's JSON body validator, without a per-item pass over a million untyped ids."""

    @property
    def _validator(self):
        return _BodySchemaValidator(self._schema, format_checker=Draft4Validator.FORMAT_CHECKER)


VALIDATORS = {"body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": _JSONBodyValidator}),
              "parameter": HandlerCheckedParameters}


def create_app(settings: Settings | None = None) -> connexion.AsyncApp:
    settings = settings or Settings.from_env()
    engine = ProcessEngine(settings)
    install(engine)

    @asynccontextmanager
    async def lifespan(_app):
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
    paths = yaml.safe_load(SPEC.read_text(encoding="utf-8"))["paths"]
    errors.install(app, allow=errors.allowed_methods(paths, BASE_PATH))
    app.engine = engine  # type: ignore[attr-defined]
    logging.getLogger("connexion").setLevel(logging.ERROR)
    return app
