"""Request validation from the spec, except the rules the handlers check for Camunda's messages.

A schema in openapi.yaml that carries ``x-modbatch-checked-by-handler: true`` keeps its ``enum``,
``pattern``, ``required``, ``minimum``, ``minItems`` and ``not`` as the contract (a list instead
of ``true`` names the rules, e.g. ``[maximum]``), but Connexion does not enforce them: the handler
does, because Camunda answers those with its own messages (``Cannot set query parameter 'sortBy'
to value 'x'``, ``Invalid variable comparator specified: notLike``, ``Unsupported value type
'Color'``, ``workerId is null``, ``lockTime is not greater than 0``). Types, unmarked bounds and
every unmarked rule stay Connexion's. The contract tests fuzz both sides of
each marked rule, so the handler and the spec cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterator

from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator
from connexion.validators import (
    VALIDATOR_MAP,
    JSONRequestBodyValidator,
    MediaTypeDict,
    ParameterValidator,
)
from jsonschema import Draft4Validator
from jsonschema.validators import extend

MARKER = "x-modbatch-checked-by-handler"
# what `true` marks; a list of rule names marks exactly those (e.g. `[maximum]`)
HANDLER_RULES = ("enum", "pattern", "required", "minimum", "minItems", "not")
MARKABLE_RULES = (*HANDLER_RULES, "maximum")


def _handled(schema: Any) -> tuple[str, ...]:
    """The rules a schema leaves to its handler."""
    marker = schema.get(MARKER) if isinstance(schema, dict) else None
    if isinstance(marker, list):
        return tuple(marker)
    return HANDLER_RULES if marker else ()


def _unmarked(schema: Any) -> Any:
    handled = _handled(schema)
    if not handled:
        return schema
    return {k: v for k, v in schema.items() if k not in handled}


NUL_MESSAGE = "{} must not contain NUL characters (\\u0000)"
# a JSON string escape for NUL that is not itself an escaped backslash followed by "u0000"
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def refuse_nul(scope: dict) -> None:
    """No text column takes NUL (PostgreSQL refuses it): refuse it at the door, on any database."""
    if "\x00" in scope.get("path", ""):
        raise BadRequestProblem(detail=NUL_MESSAGE.format("The request path"))
    query = scope.get("query_string", b"")
    if b"\x00" in query or b"%00" in query:
        raise BadRequestProblem(detail=NUL_MESSAGE.format("Query parameters"))


class HandlerCheckedParameters(ParameterValidator):
    """Connexion's parameter validator, leaving marked enums and patterns to the handlers."""

    def __init__(self, parameters, *args: Any, **kwargs: Any) -> None:
        parameters = [{**p, "schema": _unmarked(p["schema"])} if "schema" in p else p
                      for p in parameters]
        super().__init__(parameters, *args, **kwargs)

    def validate(self, scope) -> None:
        refuse_nul(scope)
        super().validate(scope)


def _skip_marked(name: str, rule: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    def check(validator, value, instance, schema) -> Iterator[Any]:
        if name in _handled(schema):
            return
        yield from rule(validator, value, instance, schema)

    return check


# jsonschema keyword validators for request bodies: marked rules are skipped
HANDLER_CHECKED_BODY_RULES = {rule: _skip_marked(rule, Draft4RequestValidator.VALIDATORS[rule])
                              for rule in MARKABLE_RULES}


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

    async def _parse(self, stream, scope) -> Any:
        raw = b"".join([message async for message in stream])
        # the substring test is a memchr scan; the regex (slow on megabytes of ids) only confirms
        if b"\\u0000" in raw and _JSON_NUL.search(raw):
            raise BadRequestProblem(detail=NUL_MESSAGE.format("The request body"))

        async def replay():
            yield raw

        return await super()._parse(replay(), scope)


VALIDATORS = {"body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": _JSONBodyValidator}),
              "parameter": HandlerCheckedParameters}
