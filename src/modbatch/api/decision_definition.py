"""/decision-definition: query deployed decisions, read their DMN XML and evaluate them."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params, render
from modbatch.engine import decisions
from modbatch.engine.dmn import DecisionError, evaluate
from modbatch.engine.process_engine import current
from modbatch.engine.variables import plain, to_dto
from modbatch.errors import InvalidRequest, RestError

LISTS = ("decisionDefinitionIdIn", "tenantIdIn")
DATES = ("deployedAfter", "deployedAt")


def get_decision_definitions(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    return listing.page(decisions.find, render.decision_definition, filters, kwargs)


def get_decision_definitions_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=DATES)
    return listing.count(decisions.count, filters)


def _by_id(session, id: str):
    definition = decisions.get(session, id)
    if definition is None:
        raise InvalidRequest(f"no deployed decision definition found with id '{id}': "
                             "decisionDefinition is null", status=404)
    return definition


def _by_key(session, key: str):
    definition = decisions.latest_by_key(session, key)
    if definition is None:
        raise RestError(f"No matching decision definition with key: {key} and no tenant-id",
                        status=404, code=None)
    return definition


def get_decision_definition_by_id(id: str):
    with current().read() as session:
        return render.decision_definition(_by_id(session, id)), 200


def get_decision_definition_by_key(key: str):
    with current().read() as session:
        return render.decision_definition(_by_key(session, key)), 200


def get_decision_definition_dmn_xml_by_id(id: str):
    with current().read() as session:
        definition = _by_id(session, id)
        return {"id": definition.id, "dmnXml": decisions.definition_xml(session, definition)}, 200


def get_decision_definition_dmn_xml_by_key(key: str):
    with current().read() as session:
        definition = _by_key(session, key)
        return {"id": definition.id, "dmnXml": decisions.definition_xml(session, definition)}, 200


def _evaluate(session, definition, body: Any) -> list[dict[str, Any]]:
    dto = params.body_dict(body)
    variables = params.typed_variables(dto.get("variables") or None)
    decision = decisions.decision_for(session, definition)
    try:
        result = evaluate(decision, {name: plain(value) for name, value in variables.items()})
    except DecisionError as error:
        # Camunda answers these with a 500 RestException; a table that cannot decide on the
        # caller's variables is not a server fault, so modbatch answers 400 with the same message
        raise RestError(f"Cannot evaluate decision {definition.id}: {error.message}",
                        status=400) from None
    return [{name: to_dto(value) for name, value in entries.items()} for entries in result]


def evaluate_decision_by_id(id: str, body: Any = None):
    with current().read() as session:
        definition = decisions.get(session, id)
        if definition is None:
            raise InvalidRequest(f"Cannot evaluate decision {id}: no deployed decision definition "
                                 f"found with id '{id}': decisionDefinition is null", status=404)
        return _evaluate(session, definition, body), 200


def evaluate_decision_by_key(key: str, body: Any = None):
    with current().read() as session:
        return _evaluate(session, _by_key(session, key), body), 200
