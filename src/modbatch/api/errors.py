"""The one error translator: every failure leaves as Camunda's ``{type, message, code}``."""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Callable

from connexion.exceptions import ProblemException
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from modbatch.engine.process_engine import database_failure
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


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def allowed_methods(paths: dict[str, Any], base_path: str) -> Callable[[str], str | None]:
    """Request path → the spec's methods for it, as an ``Allow`` header value.

    Starlette's 405 lists the methods of the first route matching the path only, while the spec
    may declare several operations on it (``GET`` and ``DELETE /batch/{id}``). Literal segments
    win over templated ones, as in routing (``/batch/statistics`` is not ``/batch/{id}``).
    ``HEAD`` comes with ``GET``, as Starlette serves it.
    """
    table = []
    for template, item in paths.items():
        pattern = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(base_path + template))
        methods = [m.upper() for m in item if m in HTTP_METHODS]
        if "GET" in methods:
            methods.append("HEAD")  # Starlette answers HEAD wherever it answers GET
        table.append((template.count("{"), re.compile(pattern + "/?"), ", ".join(methods)))
    table.sort(key=lambda entry: entry[0])

    def allow(path: str) -> str | None:
        return next((methods for _, regex, methods in table if regex.fullmatch(path)), None)

    return allow


def _http_error(allow: Callable[[str], str | None] | None):
    def http_error(request: ConnexionRequest, exc: HTTPException) -> ConnexionResponse:
        """Routing failures: unknown path (404), wrong method (405, with the spec's ``Allow``)."""
        messages = {404: "The requested resource does not exist",
                    405: "The method is not allowed for the requested resource"}
        message = messages.get(exc.status_code) or str(exc.detail)
        response = _response(exc.status_code,
                             exception_body("InvalidRequestException", message, None))
        if exc.headers:
            response.headers.update(exc.headers)
        if exc.status_code == 405 and allow is not None:
            methods = allow(request.url.path)
            if methods:
                response.headers["Allow"] = methods
        return response

    return http_error


def unexpected(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A bug or an infrastructure failure: log it, never show a trace or SQL to the client."""
    if isinstance(exc, ModbatchError):
        return modbatch_error(_request, exc)
    if isinstance(exc, UnicodeDecodeError):
        return _response(400, exception_body(
            "InvalidRequestException", "The request body is not valid UTF-8", None))
    if isinstance(exc, MultiPartException):  # a multipart body Starlette cannot parse
        return _response(400, exception_body("InvalidRequestException", exc.message, None))
    failure = database_failure(exc)
    if failure is not None:
        log.warning("%s: %s (%s)", failure.type, failure.message, str(exc).split("\n")[0])
        return modbatch_error(_request, failure)
    log.exception("unexpected error", exc_info=exc)
    return _response(500, exception_body(type(exc).__name__, "An internal error occurred", None))


def install(app, allow: Callable[[str], str | None] | None = None) -> None:
    app.add_error_handler(ModbatchError, modbatch_error)
    app.add_error_handler(ProblemException, problem)
    app.add_error_handler(HTTPException, _http_error(allow))
    app.add_error_handler(Exception, unexpected)
