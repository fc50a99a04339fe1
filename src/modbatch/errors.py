"""Errors the engine and the REST layer raise, each carrying its HTTP status and Camunda type.

One translator in ``modbatch.api.errors`` renders every one of them as Camunda's
``{"type", "message", "code"}`` body, so the classes here only decide those three values.
"""

from __future__ import annotations

from typing import Any


class ModbatchError(Exception):
    """Base of every error a client may see; subclasses fix status, type and code."""

    status: int = 500
    type: str = "ProcessEngineException"
    code: int | None = 0

    def __init__(self, message: str, *, status: int | None = None, type: str | None = None,
                 code: Any = ...) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if type is not None:
            self.type = type
        if code is not ...:
            self.code = code  # type: ignore[assignment]

    def body(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, "code": self.code}


class InvalidRequest(ModbatchError):
    """A request the REST layer rejects before or instead of the engine (Camunda's InvalidRequestException)."""

    status = 400
    type = "InvalidRequestException"
    code = None


class RestError(ModbatchError):
    """Camunda's RestException: a REST resource wrapping an engine failure with its own message."""

    status = 500
    type = "RestException"
    code = 0


class ProcessEngineError(ModbatchError):
    """An engine failure that is not the user's fault in Camunda's eyes: HTTP 500."""

    status = 500
    type = "ProcessEngineException"
    code = 0


class BadUserRequest(ProcessEngineError):
    """Camunda's BadUserRequestException: the engine rejects the user's input (400)."""

    status = 400
    type = "BadUserRequestException"


class NotValidError(BadUserRequest):
    """Camunda's NotValidException, e.g. an unknown activity in a modification instruction."""

    type = "NotValidException"


class NotFoundError(BadUserRequest):
    """Camunda's NotFoundException: a referenced entity is missing (still a 400 on most resources)."""

    type = "NotFoundException"


class ParseError(ModbatchError):
    """A BPMN resource that cannot be deployed; ``details`` follows Camunda's ParseExceptionDto."""

    status = 400
    type = "ParseException"
    code = 0

    def __init__(self, message: str, *, resource: str | None = None, line: int | None = None,
                 column: int | None = None, element_id: str | None = None) -> None:
        super().__init__(message)
        self.resource = resource
        self.line = line
        self.column = column
        self.element_id = element_id

    def body(self) -> dict[str, Any]:
        problem = {
            "message": self.message,
            "line": self.line,
            "column": self.column,
            "mainElementId": self.element_id,
            "elementIds": [self.element_id] if self.element_id else [],
        }
        # Camunda's getter is misspelled with a Cyrillic "е"; its clients read that key
        problem["\u0435lementIds"] = problem["elementIds"]
        return {
            **super().body(),
            "details": {self.resource or "resource": {"errors": [problem], "warnings": []}},
        }


class MismatchingMessageCorrelation(ProcessEngineError):
    """Camunda's MismatchingMessageCorrelationException: a message matched nothing, or (when
    exactly one match was wanted) more than one execution or process definition."""

    type = "MismatchingMessageCorrelationException"

    JAVA_CLASS = "org.camunda.bpm.engine.MismatchingMessageCorrelationException"
