"""Evaluating a decision table against variables, and mapping its result for a business rule task.

Works in memory on plain values (the runtime's ``visible_variables``); answers one entry map per
rule result, each output name to a ``TypedValue``. Errors carry Camunda's DMN-xxxxx and
ENGINE-22xxx messages and answer 400: a decision that cannot decide is the caller's input or the
deployer's table, never a server fault.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Mapping

from modbatch.engine import clock
from modbatch.engine.bpmn.expression import ExpressionError
from modbatch.engine.variables import INT_MAX, INT_MIN, LONG_MAX, LONG_MIN, TypedValue, infer
from modbatch.errors import ProcessEngineError

from .feel import FeelError, equal
from .model import Decision

Result = list[dict[str, TypedValue]]
MAPPERS = ("singleEntry", "singleResult", "collectEntries", "resultList")


class DecisionError(ProcessEngineError):
    """A decision that cannot be evaluated or whose result cannot be mapped (400)."""

    status = 400
    type = "DmnEngineException"


def evaluate(decision: Decision, variables: Mapping[str, Any]) -> Result:
    """The decision's result: the matching rules' outputs after its hit policy."""
    values = []
    for index, clause in enumerate(decision.inputs):
        raw = _run(clause.expression, variables) if clause.expression is not None else None
        values.append(_transform(raw, clause.type_ref))
    contexts = [{**variables, clause.variable: value}
                for clause, value in zip(decision.inputs, values)]
    matched = []
    for rule in decision.rules:
        try:
            if all(test.matches(value, context)
                   for test, value, context in zip(rule.inputs, values, contexts)):
                matched.append(rule)
        except FeelError as e:
            raise DecisionError(e.message, type="FeelException") from None
    if decision.hit_policy == "FIRST":
        matched = matched[:1]
    elif decision.hit_policy == "UNIQUE" and len(matched) > 1:
        raise DecisionError(f"DMN-03001 Hit policy 'UNIQUE' only allows a single rule to match. "
                            f"Actually match rules: '{_ids(matched)}'.", type="DmnHitPolicyException")
    results = [(rule.id, _outputs(decision, rule, variables)) for rule in matched]
    if decision.hit_policy == "ANY" and len(results) > 1:
        first = results[0][1]
        if any(not _same(first, other) for _, other in results[1:]):
            raise DecisionError(f"DMN-03002 Hit policy 'ANY' only allows multiple matching rules "
                                f"with equal output. Matching rules: '{_ids(matched)}'.",
                                type="DmnHitPolicyException")
        results = results[:1]
    if decision.hit_policy == "COLLECT" and decision.aggregation is not None:
        return _aggregate(decision, [entries for _, entries in results])
    return [entries for _, entries in results]


def _ids(rules: list) -> str:
    return "[" + ", ".join(rule.id for rule in rules) + "]"


def _same(a: dict[str, TypedValue], b: dict[str, TypedValue]) -> bool:
    return a.keys() == b.keys() and all(equal(a[k].value, b[k].value) is True for k in a)


def _run(expression: Any, variables: Mapping[str, Any]) -> Any:
    try:
        return expression.evaluate(variables)
    except FeelError as e:
        raise DecisionError(e.message, type="FeelException") from None
    except ExpressionError as e:
        raise DecisionError(e.message) from None


def _outputs(decision: Decision, rule: Any, variables: Mapping[str, Any]) -> dict[str, TypedValue]:
    entries: dict[str, TypedValue] = {}
    for index, expression in enumerate(rule.outputs):
        if expression is None:
            continue  # an empty output entry sets no value
        output = decision.outputs[index]
        entries[decision.output_name(index)] = _typed(_run(expression, variables), output.type_ref)
    return entries


def _invalid(value: Any, type_ref: str) -> DecisionError:
    return DecisionError(f"DMN-01005 Invalid value '{_java(value)}' for clause with type "
                         f"'{type_ref}'.")


def _transform(value: Any, type_ref: str | None) -> Any:
    """Camunda's data type transformers: the value as the clause's typeRef demands."""
    if value is None or type_ref is None:
        return value
    if type_ref == "string":
        return value if isinstance(value, str) else _java(value)
    if type_ref == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise _invalid(value, type_ref)
    if type_ref in ("integer", "long"):
        low, high = (INT_MIN, INT_MAX) if type_ref == "integer" else (LONG_MIN, LONG_MAX)
        try:
            if isinstance(value, bool):
                raise ValueError
            number = Decimal(value.strip()) if isinstance(value, str) else Decimal(repr(value)) \
                if isinstance(value, float) else Decimal(value)
        except (ValueError, ArithmeticError, TypeError):
            raise _invalid(value, type_ref) from None
        if number != number.to_integral_value() or not low <= number <= high:
            raise _invalid(value, type_ref)
        return int(number)
    if type_ref == "double":
        try:
            if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
                raise ValueError
            return float(value)
        except ValueError:
            raise _invalid(value, type_ref) from None
    if type_ref == "date":
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S")
            except ValueError:
                pass
        raise _invalid(value, type_ref)
    return value  # pragma: no cover - the parser accepts only the type refs above


def _typed(value: Any, type_ref: str | None) -> TypedValue:
    value = _transform(value, type_ref)
    if type_ref is not None and value is not None:
        return TypedValue({"string": "String", "boolean": "Boolean", "integer": "Integer",
                           "long": "Long", "double": "Double", "date": "Date"}[type_ref], value)
    if isinstance(value, datetime):
        return TypedValue("Date", value)
    if isinstance(value, int) and not isinstance(value, bool):
        return TypedValue("Long", value)  # FEEL numbers are whole Longs or Doubles in Camunda
    return infer(_json_ready(value))


def _aggregate(decision: Decision, results: Result) -> Result:
    values: list[TypedValue] = []
    name = None
    for entries in results:
        if len(entries) > 1:
            raise DecisionError(f"DMN-03004 Unable to execute aggregation '{decision.aggregation}' "
                                f"on compound decision output '{_java_map(entries)}'. Only one "
                                "output value allowed.", type="DmnHitPolicyException")
        for key, typed in entries.items():
            name = name or key
            values.append(typed)
    if decision.aggregation == "COUNT":
        return [{name or decision.output_name(0): TypedValue("Integer", len(values))}]
    if not values:
        return []
    for type_name in ("Integer", "Long", "Double"):
        allowed = {"Integer": ("Integer",), "Long": ("Integer", "Long"),
                   "Double": ("Integer", "Long", "Double")}[type_name]
        if all(v.type in allowed and v.value is not None for v in values):
            numbers = [v.value if type_name != "Double" else float(v.value) for v in values]
            total = {"SUM": sum, "MIN": min, "MAX": max}[decision.aggregation or "SUM"](numbers)
            if type_name == "Integer" and not INT_MIN <= total <= INT_MAX:
                continue
            return [{name or decision.output_name(0): TypedValue(type_name, total)}]
    raise DecisionError(f"DMN-03006 Unable to convert value '{[_java(v.value) for v in values]}' "
                        "to a support aggregatable type '[Integer, Long, Double]'.",
                        type="DmnHitPolicyException")


# --------------------------------------------------------------------------- result mapping
def map_result(result: Result, mapper: str) -> TypedValue:
    """camunda:mapDecisionResult: the value a business rule task stores in its result variable."""
    name = {"singleEntry": "SingleEntryDecisionResultMapper",
            "singleResult": "SingleResultDecisionResultMapper",
            "collectEntries": "CollectEntriesDecisionResultMapper",
            "resultList": "ResultListDecisionResultMapper"}[mapper]
    failed = f"ENGINE-22001 The decision result mapper '{name}{{}}' failed to process '{_java_list(result)}'"
    if mapper in ("singleEntry", "singleResult") and len(result) > 1:
        raise DecisionError(f"{failed}: DMN-01009 Unable to get single decision result as it has "
                            f"more than one result '{_java_list(result)}'",
                            type="ProcessEngineException")
    if mapper == "singleEntry":
        if not result:
            return TypedValue("Null", None)
        entries = result[0]
        if len(entries) > 1:
            raise DecisionError(f"{failed}: DMN-01010 Unable to get single decision result entry as "
                                f"it has more than one entry '{_java_map(entries)}'",
                                type="ProcessEngineException")
        return next(iter(entries.values())) if entries else TypedValue("Null", None)
    if mapper == "singleResult":
        return infer(_plain_map(result[0])) if result else TypedValue("Null", None)
    if mapper == "collectEntries":
        names = sorted({key for entries in result for key in entries})
        if len(names) > 1:
            raise DecisionError(
                f"ENGINE-22002 The decision result mapper '{name}{{}}' failed to process "
                f"'{_java_list(result)}'. The decision outputs should only contains values for one "
                f"output name but found '[{', '.join(names)}]'.", type="ProcessEngineException")
        return infer([_json_ready(v.value) for entries in result for v in entries.values()])
    return infer([_plain_map(entries) for entries in result])


def _plain_map(entries: dict[str, TypedValue]) -> dict[str, Any]:
    return {key: _json_ready(value.value) for key, value in entries.items()}


def _json_ready(value: Any) -> Any:
    return clock.format_date(value) if isinstance(value, datetime) else value


def _java(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return clock.format_date(value)
    return str(value)


def _java_map(entries: dict[str, TypedValue]) -> str:
    return "{" + ", ".join(f"{k}={_java(v.value)}" for k, v in entries.items()) + "}"


def _java_list(result: Result) -> str:
    return "[" + ", ".join(_java_map(entries) for entries in result) + "]"
