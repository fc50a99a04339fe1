"""camunda's call activity attributes and its camunda:in / camunda:out mappings.

``calledElement`` names the process key (an expression is allowed); ``camunda:calledElementBinding``
decides which version is called: ``latest`` (the default), ``deployment`` (the caller's own
deployment), ``version`` (``camunda:calledElementVersion``) or ``versionTag``
(``camunda:calledElementVersionTag``). CMMN cases (``camunda:caseRef``) are refused.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lxml import etree

from .expression import ExpressionError, compile_expression
from .model import CallDefinition, CallMapping

if TYPE_CHECKING:
    from .parser import _ProcessParser

CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BINDINGS = ("latest", "deployment", "version", "versionTag")


def _camunda(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def _where(el: etree._Element) -> str:
    return f"'callActivity' with id '{el.get('id')}'"


_BEAN_SYNTAX = re.compile(r"(property access is|method and function calls are|function '[^']*' is) not supported")


def calls_a_bean(text: str) -> bool:
    """Whether an expression fails to compile only because it calls a bean's method or property
    (``#{jobAnnouncementService.notify(id)}``): Java code, which modbatch cannot run."""
    try:
        compile_expression(text)
    except ExpressionError as error:
        return _BEAN_SYNTAX.search(error.message) is not None
    return False


def check_call(parser: "_ProcessParser", el: etree._Element) -> None:
    """Pass 1: a call activity must call a BPMN process; CMMN cases are not supported."""
    if el.get(_camunda("caseRef")) is not None:
        raise parser.unsupported(el, "camunda:caseRef calls a CMMN case, and modbatch runs no CMMN; "
                                     "call a BPMN process with calledElement instead")
    if not (el.get("calledElement") or "").strip():
        raise parser.error(f"Missing attribute 'calledElement' on {_where(el)} at line {el.sourceline}", el)


def parse_call(parser: "_ProcessParser", el: etree._Element) -> dict:
    """Pass 2: the Activity fields of a call activity (``call`` and maybe ``jvm_implementation``)."""
    what = _where(el)
    binding = el.get(_camunda("calledElementBinding")) or "latest"
    if binding not in BINDINGS:
        raise parser.error(f"Invalid camunda:calledElementBinding '{binding}' on {what}: expected one of "
                           f"{', '.join(BINDINGS)}", el)
    attributes = {"version": "calledElementVersion", "versionTag": "calledElementVersionTag"}
    if binding in attributes and not el.get(_camunda(attributes[binding])):
        raise parser.error(f"Missing attribute 'camunda:{attributes[binding]}' when "
                           f"'camunda:calledElementBinding' has value '{binding}' on {what}", el)

    def expression(attribute: str, text: str | None):
        if text is None or not text.strip():
            return None
        return parser.compile(text.strip(), el, f"{attribute} of {what}", el)

    definition = CallDefinition(
        called_element=expression("calledElement", el.get("calledElement")),
        binding=binding,
        version=expression("camunda:calledElementVersion", el.get(_camunda("calledElementVersion")))
        if binding == "version" else None,
        version_tag=expression("camunda:calledElementVersionTag",
                               el.get(_camunda("calledElementVersionTag")))
        if binding == "versionTag" else None,
        tenant_id=expression("camunda:calledElementTenantId", el.get(_camunda("calledElementTenantId"))),
        inputs=tuple(_mappings(parser, el, "in")),
        outputs=tuple(_mappings(parser, el, "out")))
    result: dict = {"call": definition}
    for attribute in ("variableMappingClass", "variableMappingDelegateExpression"):
        if el.get(_camunda(attribute)) is not None:
            result["jvm_implementation"] = f"camunda:{attribute} '{el.get(_camunda(attribute))}'"
    return result


def _mappings(parser: "_ProcessParser", el: etree._Element, kind: str) -> list[CallMapping]:
    found = []
    for mapping in parser.camunda_children(el, kind):
        where = f"camunda:{kind} of {_where(el)}"
        local = (mapping.get("local") or "").lower() == "true"
        if mapping.get("businessKey") is not None:
            if kind == "out":
                raise parser.error(f"Unsupported businessKey in {where}: only camunda:in passes a business key",
                                   mapping, el.get("id"))
            found.append(CallMapping(business_key=parser.compile(
                mapping.get("businessKey"), mapping, f"the businessKey of {where}", el)))
            continue
        if mapping.get("variables") is not None:
            if mapping.get("variables") != "all":
                raise parser.error(f"Invalid variables='{mapping.get('variables')}' in {where}: only 'all' "
                                   "is allowed", mapping, el.get("id"))
            found.append(CallMapping(all_variables=True, local=local))
            continue
        source, source_expression = mapping.get("source"), mapping.get("sourceExpression")
        if not source and not source_expression:
            raise parser.error(f"Missing parameter 'source' or 'sourceExpression' when passing variables "
                               f"in {where}", mapping, el.get("id"))
        target = mapping.get("target")
        if not target:
            raise parser.error(f"Missing attribute 'target' when attribute 'source' or 'sourceExpression' "
                               f"is set in {where}", mapping, el.get("id"))
        found.append(CallMapping(
            source=source or None,
            source_expression=parser.compile(source_expression, mapping, f"the sourceExpression of {where}", el)
            if source_expression else None,
            target=target, local=local))
    return found
