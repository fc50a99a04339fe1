"""Deploy-time DMN parsing: decision tables (DMN 1.1, 1.2 and 1.3) onto ``model``.

What modbatch cannot evaluate faithfully is refused with a ``ParseError`` naming the element and
line: decision requirements between decisions, hit policies Camunda itself does not run
(PRIORITY, OUTPUT ORDER), script languages. A decision with a literal expression becomes a table
with one rule that always matches.
"""

from __future__ import annotations

from lxml import etree

from modbatch.engine.bpmn.expression import ExpressionError, compile_expression
from modbatch.engine.bpmn.parser import _load
from modbatch.errors import ParseError

from .feel import FeelError, SimpleExpression, UnaryTests
from .model import AGGREGATIONS, HIT_POLICIES, Decision, Expression, Input, Output, Rule

DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",  # 1.1
    "http://www.omg.org/spec/DMN/20180521/MODEL/",  # 1.2
    "https://www.omg.org/spec/DMN/20191111/MODEL/",  # 1.3
)
CAMUNDA_NS = "http://camunda.org/schema/1.0/dmn"
DMN_SUFFIXES = (".dmn", ".dmn11.xml")
FEEL = ("feel", "http://www.omg.org/spec/feel/20140401", "https://www.omg.org/spec/dmn/20191111/feel/",
        "http://www.omg.org/spec/dmn/20180521/feel/")
_TYPE_REFS = ("string", "boolean", "integer", "long", "double", "date")


def is_dmn(name: str) -> bool:
    return name.lower().endswith(DMN_SUFFIXES)


def parse_dmn(data: bytes, resource: str, *, max_bytes: int) -> list[Decision]:
    root = _load(data, resource, max_bytes)
    namespace = etree.QName(root).namespace if isinstance(root.tag, str) else None
    if namespace not in DMN_NAMESPACES or etree.QName(root).localname != "definitions":
        raise ParseError(f"DMN-02004 Error while transforming decisions: root element of "
                         f"'{resource}' must be 'definitions' in a DMN 1.1, 1.2 or 1.3 namespace, "
                         f"found '{root.tag}'", resource=resource, line=root.sourceline)
    return _DmnParser(root, namespace, resource).parse()


def _camunda(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


class _DmnParser:
    def __init__(self, root: etree._Element, namespace: str, resource: str) -> None:
        self.root, self.ns, self.resource = root, namespace, resource
        self.language = (root.get("expressionLanguage") or "feel").lower()

    def tag(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def children(self, el: etree._Element, name: str) -> list[etree._Element]:
        return [c for c in el if c.tag == self.tag(name)]

    def child(self, el: etree._Element, name: str) -> etree._Element | None:
        found = self.children(el, name)
        return found[0] if found else None

    def error(self, message: str, el: etree._Element) -> ParseError:
        return ParseError(message, resource=self.resource, line=el.sourceline,
                          element_id=el.get("id"))

    def parse(self) -> list[Decision]:
        decisions = []
        for el in self.children(self.root, "decision"):
            decision = self.decision(el)
            if decision is not None:
                decisions.append(decision)
        return decisions

    def decision(self, el: etree._Element) -> Decision | None:
        ident = el.get("id")
        if not ident:
            raise self.error(f"DMN-02010 The decision '{el.get('name')}' must have a 'id' "
                             "attribute set.", el)
        if self.child(el, "informationRequirement") is not None:
            raise self.error(f"Unsupported decision requirements in decision '{ident}' at line "
                             f"{el.sourceline}: modbatch evaluates single decision tables only", el)
        ttl = el.get(_camunda("historyTimeToLive"))
        try:
            history_time_to_live = int(ttl) if ttl not in (None, "") else None
        except ValueError:
            raise self.error(f"Cannot parse historyTimeToLive '{ttl}' of decision '{ident}': "
                             "not an integer", el) from None
        common = {"id": ident, "name": el.get("name"), "version_tag": el.get(_camunda("versionTag")),
                  "history_time_to_live": history_time_to_live,
                  "category": self.root.get("namespace")}
        table = self.child(el, "decisionTable")
        if table is not None:
            return self.table(table, common)
        literal = self.child(el, "literalExpression")
        if literal is not None:
            return self.literal(el, literal, common)
        return None  # Camunda ignores a decision without a decision table or literal expression

    def table(self, table: etree._Element, common: dict) -> Decision:
        ident = common["id"]
        hit_policy = (table.get("hitPolicy") or "UNIQUE").upper()
        aggregation = table.get("aggregation")
        if hit_policy not in HIT_POLICIES or (aggregation is not None and (
                hit_policy != "COLLECT" or aggregation not in AGGREGATIONS)):
            with_aggregation = f" with aggregation '{aggregation}'" if aggregation else ""
            raise self.error(f"DMN-02007 The hit policy '{hit_policy}'{with_aggregation} of decision "
                             f"table '{ident}' is not supported.", table)
        inputs = tuple(self.input(el) for el in self.children(table, "input"))
        outputs = tuple(self.output(el, index) for index, el in enumerate(self.children(table, "output")))
        if not outputs:
            raise self.error(f"Decision table '{ident}' has no output", table)
        if len(outputs) > 1:
            names = [o.name for o in outputs]
            for output, el in zip(outputs, self.children(table, "output")):
                if not output.name:
                    raise self.error(f"DMN-02008 The decision table '{ident}' has a compound output "
                                     f"but output '{output.id}' does not have an output name.", el)
                if names.count(output.name) > 1:
                    raise self.error(f"DMN-02009 The decision table '{ident}' has a compound output "
                                     f"but name of output '{output.id}' is duplicate.", el)
        rules = tuple(self.rule(el, len(inputs), len(outputs)) for el in self.children(table, "rule"))
        return Decision(hit_policy=hit_policy, aggregation=aggregation, inputs=inputs,
                        outputs=outputs, rules=rules, **common)

    def literal(self, decision: etree._Element, literal: etree._Element, common: dict) -> Decision:
        variable = self.child(decision, "variable")
        name = variable.get("name") if variable is not None else None
        type_ref = self.type_ref(variable if variable is not None else literal)
        output = Output(id=literal.get("id") or common["id"], name=name or common["id"],
                        label=None, type_ref=type_ref)
        expression = self.expression(literal, self.language)
        return Decision(hit_policy="UNIQUE", aggregation=None, inputs=(), outputs=(output,),
                        rules=(Rule(id=common["id"], inputs=(), outputs=(expression,)),), **common)

    def type_ref(self, el: etree._Element) -> str | None:
        type_ref = el.get("typeRef")
        if type_ref is None:
            return None
        # Camunda converts only its own data types; any other typeRef passes values as they are
        return type_ref.lower() if type_ref.lower() in _TYPE_REFS else None

    def input(self, el: etree._Element) -> Input:
        if not el.get("id"):
            raise self.error("DMN-02011 The decision table input must have a 'id' attribute set.", el)
        expression_el = self.child(el, "inputExpression")
        expression = None
        type_ref = None
        if expression_el is not None:
            type_ref = self.type_ref(expression_el)
            expression = self.expression(expression_el, self.language)
        return Input(id=el.get("id"), label=el.get("label"), expression=expression, type_ref=type_ref,
                     variable=el.get(_camunda("inputVariable")) or "cellInput")

    def output(self, el: etree._Element, index: int) -> Output:
        if not el.get("id"):
            raise self.error("DMN-02012 The decision table output must have a 'id' attribute set.", el)
        return Output(id=el.get("id"), name=el.get("name"), label=el.get("label"),
                      type_ref=self.type_ref(el))

    def rule(self, el: etree._Element, n_inputs: int, n_outputs: int) -> Rule:
        ident = el.get("id")
        if not ident:
            raise self.error("DMN-02013 The decision table rule must have a 'id' attribute set.", el)
        entries = self.children(el, "inputEntry")
        if len(entries) != n_inputs:
            raise self.error(f"DMN-02005 The number of inputs '{n_inputs}' and input entries differ "
                             f"'{len(entries)}' for rule '{ident}'.", el)
        conclusions = self.children(el, "outputEntry")
        if len(conclusions) != n_outputs:
            raise self.error(f"DMN-02006 The number of outputs '{n_outputs}' and output entries "
                             f"differ '{len(conclusions)}' for rule '{ident}'.", el)
        tests = []
        for entry in entries:
            language = (entry.get("expressionLanguage") or "feel").lower()
            if language not in FEEL:
                raise self.error(f"Unsupported expression language '{language}' of input entry "
                                 f"'{entry.get('id')}' in rule '{ident}': input entries are FEEL "
                                 "simple unary tests", entry)
            try:
                tests.append(UnaryTests(self.text(entry)))
            except FeelError as e:
                raise self.error(f"Invalid input entry '{entry.get('id')}' in rule '{ident}' at line "
                                 f"{entry.sourceline}: {e.message}", entry) from None
        outputs = []
        for conclusion in conclusions:
            outputs.append(self.expression(conclusion, "feel") if self.text(conclusion).strip() else None)
        return Rule(id=ident, inputs=tuple(tests), outputs=tuple(outputs))

    def text(self, el: etree._Element) -> str:
        text = self.child(el, "text")
        return "".join(text.itertext()) if text is not None else ""

    def expression(self, el: etree._Element, default_language: str) -> Expression | None:
        """A FEEL simple expression, or JUEL when the language says so (or the text is ``${...}``)."""
        text = self.text(el).strip()
        language = (el.get("expressionLanguage") or default_language).lower()
        what = f"'{etree.QName(el).localname}' at line {el.sourceline}"
        if not text:
            return None
        if language == "juel" or (language in FEEL and text.startswith(("${", "#{"))):
            try:
                return compile_expression(text if "${" in text or "#{" in text else "${" + text + "}")
            except ExpressionError as e:
                raise self.error(f"Invalid expression in {what}: {e.message}", el) from None
        if language not in FEEL:
            raise self.error(f"Unsupported expression language '{language}' in {what}: modbatch "
                             "evaluates FEEL simple expressions and JUEL", el)
        try:
            return SimpleExpression(text)
        except FeelError as e:
            raise self.error(f"Invalid expression in {what}: {e.message}", el) from None
