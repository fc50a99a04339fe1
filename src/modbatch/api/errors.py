"""The one error translator: every failure leaves as Camunda's ``{type, message, code}``."""

from __future__ import annotations

import json
import logging

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException

from modbatch.errors import ModbatchError

log = logging.getLogger("modbatch.api")


def _response(status: int, body: dict) -> ConnexionResponse:
    return ConnexionResponse(status_code=status, mimetype="application/json",
                             content_type="application/json", body=json.dumps(body))


def exception_body(type_: str, message: str, code: int | None) -> dict:
    return {"type": type_, "message": message, "code": code}


def modbatch_error(_request: ConnexionRequest, exc: ModbatchError) -> ConnexionResponse:
    if exc.status >= 500:
        log.warning("%s: %s", exc.type, exc.message)
    return _response(exc.status, exc.body())


def problem(_request: ConnexionRequest, exc: ProblemException) -> ConnexionResponse:
    """Connexion's own validation failures (400, 415 ...) keep their status, lose problem+json."""
    message = str(exc.detail or exc.title or "Invalid request").split("\n\n")[0]
    return _response(exc.status, exception_body("InvalidRequestException", message, None))


def http_error(_request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
    """Routing failures: unknown path (404) and wrong method (405)."""
    messages = {404: "The requested resource does not exist",
                405: "The method is not allowed for the requested resource"}
    message = messages.get(exc.status_code) or str(exc.detail)
    response = _response(exc.status_code, exception_body("InvalidRequestException", message, None))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def unexpected(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A bug or an infrastructure failure: log it, never show a trace or SQL to the client."""
    if isinstance(exc, ModbatchError):
        return modbatch_error(_request, exc)
    if isinstance(exc, UnicodeDecodeError):
        return _response(400, exception_body(
            "InvalidRequestException", "The request body is not valid UTF-8", None))
    log.exception("unexpected error", exc_info=exc)
    return _response(500, exception_body(type(exc).__name__, "An internal error occurred", None))


def install(app) -> None:
    app.add_error_handler(ModbatchError, modbatch_error)
    app.add_error_handler(ProblemException, problem)
    app.add_error_handler(HTTPException, http_error)
    app.add_error_handler(Exception, unexpected)
