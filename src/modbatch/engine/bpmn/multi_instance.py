"""Multi-instance activities at deployment: each one becomes a body scope around its inner activity.

As Camunda's BpmnParse does, an activity with ``multiInstanceLoopCharacteristics`` is wrapped in
an activity ``<id>#multiInstanceBody`` (type ``multiInstanceBody``) that takes over the
activity's place in its scope: its sequence flows, its boundary events, and the asynchronous
continuations declared on the activity element. The inner activity keeps its id, io mappings and
listeners, lives in the body's scope, and continues asynchronously only when the loop
characteristics element says so (``camunda:asyncBefore`` / ``camunda:asyncAfter`` there).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from lxml import etree

from .model import (
    MULTI_INSTANCE_BODY,
    MULTI_INSTANCE_SUFFIX,
    Activity,
    LoopCharacteristics,
    SequenceFlow,
)

if TYPE_CHECKING:
    from .parser import _ProcessParser

LOOP_TAG = "multiInstanceLoopCharacteristics"
# activities Camunda lets repeat; everything else (events, gateways) is refused
REPEATABLE = frozenset({"userTask", "task", "manualTask", "serviceTask", "sendTask", "businessRuleTask",
                        "scriptTask", "receiveTask", "subProcess", "callActivity"})


def loop_element(el: etree._Element) -> etree._Element | None:
    return next((c for c in el if isinstance(c.tag, str) and c.tag.endswith("}" + LOOP_TAG)), None)


def is_body_id(activity_id: str) -> bool:
    """``#`` cannot appear in an XML id, so only a body's id ends like this."""
    return activity_id.endswith(MULTI_INSTANCE_SUFFIX)


def body_id(activity_id: str) -> str:
    return activity_id + MULTI_INSTANCE_SUFFIX


def wrap_bodies(parser: "_ProcessParser", activities: dict[str, Activity],
                flows: dict[str, SequenceFlow]) -> tuple[dict[str, Activity], dict[str, SequenceFlow]]:
    """Put a multi-instance body around every activity with loop characteristics."""
    wrapped: dict[str, str] = {}
    result = dict(activities)
    for ident, activity in activities.items():
        el = parser.nodes[ident][0]
        loop_el = loop_element(el)
        if loop_el is None:
            continue
        body = body_id(ident)
        wrapped[ident] = body
        loop = _loop(parser, el, loop_el, ident)
        own_async = parser.async_settings(el)
        inner_async = parser.async_settings(loop_el)
        result[body] = Activity(
            # Camunda's body has no name of its own
            id=body, type=MULTI_INSTANCE_BODY, name=None, scope_id=activity.scope_id,
            incoming=activity.incoming, outgoing=activity.outgoing, default_flow=activity.default_flow,
            is_scope=True, line=activity.line, loop=loop, **own_async)
        result[ident] = replace(activity, scope_id=body, incoming=(), outgoing=(), default_flow=None,
                                **inner_async)
    if not wrapped:
        return activities, flows
    for ident, activity in list(result.items()):
        if activity.attached_to in wrapped:
            result[ident] = replace(activity, attached_to=wrapped[activity.attached_to])
    new_flows = {fid: replace(flow, source_id=wrapped.get(flow.source_id, flow.source_id),
                              target_id=wrapped.get(flow.target_id, flow.target_id))
                 for fid, flow in flows.items()}
    return result, new_flows


def _loop(parser: "_ProcessParser", el: etree._Element, loop_el: etree._Element,
          ident: str) -> LoopCharacteristics:
    from .parser import CAMUNDA_NS
    camunda = "{" + CAMUNDA_NS + "}"

    def child_text(name: str) -> tuple[str | None, etree._Element | None]:
        child = next((c for c in loop_el if isinstance(c.tag, str) and c.tag.endswith("}" + name)), None)
        if child is None:
            return None, None
        return "".join(child.itertext()).strip() or None, child

    def compile_(text: str, where: etree._Element, what: str):
        return parser.compile(text, where, f"{what} of the multi-instance activity '{ident}'", el)

    cardinality_text, cardinality_el = child_text("loopCardinality")
    condition_text, condition_el = child_text("completionCondition")
    collection_text = loop_el.get(camunda + "collection")
    if collection_text is None:
        collection_text, _ = child_text("loopDataInputRef")
    element_variable = loop_el.get(camunda + "elementVariable")
    if element_variable is None:
        data_item = next((c for c in loop_el if isinstance(c.tag, str) and c.tag.endswith("}inputDataItem")),
                         None)
        element_variable = data_item.get("name") if data_item is not None else None
    where = f"the multi-instance activity '{ident}' at line {loop_el.sourceline}"
    if cardinality_el is not None and cardinality_text is None:
        raise parser.error(f"loopCardinality must be defined for a multiInstanceLoopCharacteristics "
                           f"definition ({where})", loop_el, ident)
    if cardinality_text is None and collection_text is None:
        raise parser.error(f"Either loopCardinality or loopDataInputRef/activiti:collection must be set "
                           f"({where})", loop_el, ident)
    if collection_text is None and element_variable is not None:
        raise parser.error(f"LoopDataInputRef/activiti:collection must be set when using inputDataItem or "
                           f"activiti:elementVariable ({where})", loop_el, ident)
    collection = None
    if collection_text is not None:
        # as in Camunda, text without "{" names the variable holding the collection
        is_expression = "{" in collection_text
        collection = compile_(collection_text if is_expression else "${" + collection_text + "}",
                              loop_el, "camunda:collection")
    return LoopCharacteristics(
        inner_id=ident, sequential=(loop_el.get("isSequential") or "").lower() == "true",
        cardinality=compile_(cardinality_text, cardinality_el, "loopCardinality")
        if cardinality_text is not None and cardinality_el is not None else None,
        collection=collection, element_variable=element_variable,
        completion_condition=compile_(condition_text, condition_el, "completionCondition")
        if condition_text is not None and condition_el is not None else None)
