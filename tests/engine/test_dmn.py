"""DMN decision tables in memory: parsing, FEEL unary tests and expressions, hit policies,
aggregations, typeRefs and the business rule task's result mappers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from modbatch.engine.dmn import DecisionError, evaluate, map_result, parse_dmn
from modbatch.engine.dmn.feel import FeelError, SimpleExpression, UnaryTests
from modbatch.engine.variables import TypedValue
from modbatch.errors import ParseError

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMN11 = "http://www.omg.org/spec/DMN/20151101/dmn.xsd"
APPROVERS = Path(__file__).resolve().parents[1] / "dmn" / "invoice-assign-approver.dmn"


def table_xml(rules: list[tuple[list[str], list[str]]], *, hit_policy: str = "UNIQUE",
              aggregation: str | None = None, inputs: list[tuple[str, str | None]] | None = None,
              outputs: list[tuple[str, str | None]] | None = None, key: str = "decision",
              namespace: str = DMN13, extra: str = "") -> str:
    """A decision table: inputs (expression, typeRef), outputs (name, typeRef), rules of texts."""
    inputs = inputs if inputs is not None else [("amount", "integer")]
    outputs = outputs if outputs is not None else [("result", "string")]
    parts = [f'<input id="in{i}"><inputExpression id="ie{i}"{f" typeRef={chr(34)}{t}{chr(34)}" if t else ""}>'
             f'<text>{e}</text></inputExpression></input>' for i, (e, t) in enumerate(inputs)]
    parts += [f'<output id="out{i}" name="{n}"{f" typeRef={chr(34)}{t}{chr(34)}" if t else ""}/>'
              for i, (n, t) in enumerate(outputs)]
    for r, (tests, values) in enumerate(rules):
        parts.append(f'<rule id="rule{r}">'
                     + "".join(f'<inputEntry id="r{r}i{i}"><text>{t}</text></inputEntry>'
                               for i, t in enumerate(tests))
                     + "".join(f'<outputEntry id="r{r}o{i}"><text>{v}</text></outputEntry>'
                               for i, v in enumerate(values))
                     + "</rule>")
    policy = f' hitPolicy="{hit_policy}"' + (f' aggregation="{aggregation}"' if aggregation else "")
    return (f'<definitions xmlns="{namespace}" xmlns:camunda="http://camunda.org/schema/1.0/dmn" '
            f'id="defs" name="Tables" namespace="tables"><decision id="{key}" name="A table"{extra}>'
            f'<decisionTable id="table"{policy}>{"".join(parts)}</decisionTable></decision></definitions>')


def decide(xml: str, **variables):
    [decision] = parse_dmn(xml.encode(), "table.dmn", max_bytes=1 << 20)
    return [{name: (value.type, value.value) for name, value in entries.items()}
            for entries in evaluate(decision, variables)]


GRADES = [(["&lt; 50"], ['"low"']), (["[50..100]"], ['"mid"']), (["&gt; 100"], ['"high"'])]


# ------------------------------------------------------------------------------- FEEL
@pytest.mark.parametrize("text,value,expected", [
    ("-", None, True), ("", "anything", True), ('"Misc"', "Misc", True), ('"Misc"', "misc", False),
    ("< 10", 9, True), ("< 10", 10, False), ("<= 10", 10, True), ("> 1.5", 2, True),
    (">= 2", 1.99, False), ("[1..5]", 5, True), ("[1..5[", 5, False), ("(1..5]", 1, False),
    ("]1..5]", 2, True), ("1, 2, 3", 2, True), ('"a","b"', "c", False),
    ('not("a", "b")', "c", True), ('not("a", "b")', "a", False), ("not(< 5)", 7, True),
    ("true", True, True), ("false", True, False), ("null", None, True), ("5", None, False),
    ("-5", -5, True), ("< 10", "nine", False), ('"10"', 10, False),
    ('date and time("2026-12-01T10:00:00")', datetime(2026, 12, 1, 10), True),
    ('> date and time("2026-12-01T10:00:00")', datetime(2026, 12, 1, 9), False),
    ('[date("2026-01-01")..date("2026-12-31")]', datetime(2026, 6, 1, 12), True),
    ("< limit", 3, True),
])
def test_unary_tests(text, value, expected):
    """Simple unary tests: any, equality, comparisons, intervals, lists, not(), null, dates, names."""
    assert UnaryTests(text).matches(value, {"limit": 4}) is expected


@pytest.mark.parametrize("text,expected", [
    ("amount", 40), ("amount * 2 + 1", 81), ("amount / 8", 5), ("amount / 16", 2.5),
    ("2 ** 3", 8), ('"a" + "b"', "ab"), ("amount > 10 and flag", True),
    ("amount < 10 or flag", True), ("not(flag)", False), ("invoice.category", "Misc"),
    ("-amount", -40), ("(1 + 2) * 3", 9), ("amount = 40", True), ("amount != 40", False),
    ("null", None), ('"say \\"hi\\""', 'say "hi"'), ("1 / 0", None), ('"x" * 2', None),
])
def test_simple_expressions(text, expected):
    """Simple expressions: arithmetic, comparisons, and/or/not, strings, JSON paths, FEEL's nulls."""
    variables = {"amount": 40, "flag": True, "invoice": {"category": "Misc"}}
    assert SimpleExpression(text).evaluate(variables) == expected


@pytest.mark.parametrize("text", ["amount +", "[1..", "now()", "a ! b", "(1", "1 2"])
def test_broken_feel_is_refused_when_compiled(text):
    """Text that is not a FEEL simple expression fails when compiled, naming the expression."""
    with pytest.raises(FeelError) as caught:
        SimpleExpression(text)
    assert caught.value.message.startswith(f"failed to parse expression '{text}'")
    assert caught.value.status == 400


def test_unknown_variable_is_camundas_feel_error():
    """A name that is no variable fails with the message of Camunda's FEEL engine."""
    with pytest.raises(FeelError) as caught:
        SimpleExpression("amount").evaluate({})
    assert caught.value.message == (
        "FEEL/SCALA-01008 Error while evaluating expression: failed to evaluate expression "
        "'amount': no variable found for name 'amount'")


# ------------------------------------------------------------------------------- hit policies
def test_unique_answers_the_one_matching_rule():
    """UNIQUE (the default): the single matching rule's outputs; no match is an empty result."""
    xml = table_xml(GRADES)
    assert decide(xml, amount=70) == [{"result": ("String", "mid")}]
    assert decide(table_xml(GRADES[:1]), amount=70) == []


def test_unique_refuses_two_matches():
    """UNIQUE with two matching rules is Camunda's DMN-03001."""
    xml = table_xml(GRADES + [(["&gt;= 100"], ['"top"'])])
    with pytest.raises(DecisionError) as caught:
        decide(xml, amount=100)
    assert caught.value.message == ("DMN-03001 Hit policy 'UNIQUE' only allows a single rule to "
                                    "match. Actually match rules: '[rule1, rule3]'.")
    assert (caught.value.status, caught.value.type) == (400, "DmnHitPolicyException")


def test_first_answers_the_first_match_in_rule_order():
    """FIRST: only the first matching rule counts."""
    xml = table_xml([(["&gt; 10"], ['"big"']), (["&gt; 0"], ['"positive"'])], hit_policy="FIRST")
    assert decide(xml, amount=20) == [{"result": ("String", "big")}]
    assert decide(xml, amount=5) == [{"result": ("String", "positive")}]


def test_any_needs_equal_outputs():
    """ANY: several matches are fine when their outputs agree (one result), else DMN-03002."""
    xml = table_xml([(["&gt; 10"], ['"yes"']), (["&gt; 5"], ['"yes"']), (["&gt; 50"], ['"no"'])],
                    hit_policy="ANY")
    assert decide(xml, amount=20) == [{"result": ("String", "yes")}]
    with pytest.raises(DecisionError) as caught:
        decide(xml, amount=60)
    assert caught.value.message == ("DMN-03002 Hit policy 'ANY' only allows multiple matching rules "
                                    "with equal output. Matching rules: '[rule0, rule1, rule2]'.")


def test_rule_order_and_collect_answer_every_match_in_order():
    """RULE ORDER and COLLECT without aggregation: every matching rule's outputs, in rule order."""
    rules = [(["&gt; 10"], ['"a"']), (["&gt; 50"], ['"b"']), (["&gt; 5"], ['"c"'])]
    for policy in ("RULE ORDER", "COLLECT"):
        assert decide(table_xml(rules, hit_policy=policy), amount=60) == [
            {"result": ("String", "a")}, {"result": ("String", "b")}, {"result": ("String", "c")}]


@pytest.mark.parametrize("aggregation,typeref,expected", [
    ("SUM", "integer", ("Integer", 60)), ("MIN", "integer", ("Integer", 10)),
    ("MAX", "integer", ("Integer", 30)), ("COUNT", "integer", ("Integer", 3)),
    ("SUM", "long", ("Long", 60)), ("SUM", "double", ("Double", 60.0)),
])
def test_collect_aggregations(aggregation, typeref, expected):
    """COLLECT with SUM, MIN, MAX, COUNT: one result under the output's name, typed like Camunda."""
    rules = [(["-"], ["10"]), (["-"], ["20"]), (["-"], ["30"])]
    xml = table_xml(rules, hit_policy="COLLECT", aggregation=aggregation,
                    outputs=[("total", typeref)])
    assert decide(xml, amount=1) == [{"total": expected}]


def test_collect_aggregations_without_matches():
    """No match: SUM answers an empty result, COUNT a count of 0."""
    rules = [(["&lt; 0"], ["10"])]
    assert decide(table_xml(rules, hit_policy="COLLECT", aggregation="SUM",
                            outputs=[("total", "integer")]), amount=1) == []
    assert decide(table_xml(rules, hit_policy="COLLECT", aggregation="COUNT",
                            outputs=[("total", "integer")]), amount=1) == [{"total": ("Integer", 0)}]


def test_aggregation_of_strings_is_refused():
    """SUM over strings is Camunda's DMN-03006."""
    xml = table_xml([(["-"], ['"a"'])], hit_policy="COLLECT", aggregation="SUM")
    with pytest.raises(DecisionError) as caught:
        decide(xml, amount=1)
    assert caught.value.message.startswith("DMN-03006 Unable to convert value '['a']'")


# ------------------------------------------------------------------------------- typing
def test_inputs_convert_to_their_type_ref():
    """An input's typeRef converts the value (a string amount to a double); failures are DMN-01005."""
    xml = table_xml([(["&gt; 2.5"], ['"over"'])], inputs=[("amount", "double")])
    assert decide(xml, amount="3.5") == [{"result": ("String", "over")}]
    with pytest.raises(DecisionError) as caught:
        decide(xml, amount="three")
    assert caught.value.message == "DMN-01005 Invalid value 'three' for clause with type 'double'."
    with pytest.raises(DecisionError) as caught:
        decide(table_xml([(["-"], ['"x"'])]), amount=2.5)
    assert caught.value.message == "DMN-01005 Invalid value '2.5' for clause with type 'integer'."


def test_outputs_are_typed_by_type_ref_or_inferred():
    """Typed outputs take their typeRef's type; untyped FEEL numbers are Long or Double."""
    xml = table_xml([(["-"], ["amount * 2", "amount / 4", '"x"', "true", "7"])], outputs=[
        ("double", None), ("quarter", None), ("text", None), ("flag", None), ("seven", "integer")])
    assert decide(xml, amount=10) == [{"double": ("Long", 20), "quarter": ("Double", 2.5),
                                       "text": ("String", "x"), "flag": ("Boolean", True),
                                       "seven": ("Integer", 7)}]


def test_other_type_refs_pass_values_unchanged():
    """A typeRef Camunda has no transformer for (number, any) leaves the value as it is."""
    xml = table_xml([(["&gt; 2"], ["amount"])], inputs=[("amount", "number")],
                    outputs=[("same", "any")])
    assert decide(xml, amount=2.5) == [{"same": ("Double", 2.5)}]


def test_empty_output_entries_set_no_value_and_compound_outputs_keep_all():
    """A compound output answers every named output; an empty output entry leaves its name out."""
    xml = table_xml([(["-"], ['"a"', ""])], outputs=[("first", "string"), ("second", "string")])
    assert decide(xml, amount=1) == [{"first": ("String", "a")}]


def test_dmn_11_juel_inputs_and_input_variable():
    """DMN 1.1 tables, JUEL input expressions, and entries that read the input as cellInput."""
    xml = table_xml([(["cellInput &gt; 11"], ['"big"']), (["&gt;= limit"], ['"over"'])],
                    inputs=[("${amount + 1}", None)], namespace=DMN11, hit_policy="FIRST")
    assert decide(xml, amount=10, limit=11) == [{"result": ("String", "over")}]
    assert decide(xml, amount=11, limit=11) == [{"result": ("String", "big")}]


def test_literal_expression_decision():
    """A decision with a literal expression answers one entry named after its variable."""
    xml = (f'<definitions xmlns="{DMN13}" id="d" name="d" namespace="n"><decision id="double" '
           'name="Double"><variable name="doubled" typeRef="integer"/><literalExpression id="le">'
           '<text>amount * 2</text></literalExpression></decision></definitions>')
    assert decide(xml, amount=21) == [{"doubled": ("Integer", 42)}]


# ------------------------------------------------------------------------------- parsing
@pytest.mark.parametrize("xml,message", [
    (table_xml(GRADES, hit_policy="PRIORITY"),
     "DMN-02007 The hit policy 'PRIORITY' of decision table 'decision' is not supported."),
    (table_xml(GRADES, hit_policy="FIRST", aggregation="SUM"),
     "DMN-02007 The hit policy 'FIRST' with aggregation 'SUM' of decision table 'decision' is "
     "not supported."),
    (table_xml([(["1", "2"], ['"x"'])]),
     "DMN-02005 The number of inputs '1' and input entries differ '2' for rule 'rule0'."),
    (table_xml([(["1"], ['"x"', '"y"'])]),
     "DMN-02006 The number of outputs '1' and output entries differ '2' for rule 'rule0'."),
    (table_xml([(["[1..5"], ['"x"'])]), "Invalid input entry 'r0i0' in rule 'rule0' at line 1: "
     "failed to parse expression '[1..5': an interval must end with ']', ')' or '['"),
    (table_xml([(["1"], ['"x"', '"y"'])], outputs=[("a", None), ("", None)]),
     "DMN-02008 The decision table 'decision' has a compound output but output 'out1' does not "
     "have an output name."),
    ('<definitions xmlns="urn:other"/>',
     "DMN-02004 Error while transforming decisions: root element of 'table.dmn' must be "
     "'definitions' in a DMN 1.1, 1.2 or 1.3 namespace, found '{urn:other}definitions'"),
])
def test_parse_errors(xml, message):
    """Tables modbatch cannot evaluate faithfully are refused at deployment with Camunda's codes."""
    with pytest.raises(ParseError) as caught:
        parse_dmn(xml.encode(), "table.dmn", max_bytes=1 << 20)
    assert caught.value.message == message
    assert caught.value.resource == "table.dmn"


def test_decision_attributes_are_read():
    """Name, camunda:versionTag, camunda:historyTimeToLive and the definitions' namespace."""
    [decision] = parse_dmn(APPROVERS.read_bytes(), APPROVERS.name, max_bytes=1 << 20)
    assert (decision.id, decision.name, decision.version_tag, decision.history_time_to_live,
            decision.category, decision.hit_policy) == (
        "invoice-assign-approver", "Approver groups for an invoice", "2026-12", 30,
        "modbatch-tests", "COLLECT")


@pytest.mark.parametrize("category,amount,groups", [
    ("Misc", 30, ["accounting"]), ("Misc", 9000, ["accounting", "management"]),
    ("Travel Expenses", 10, ["sales"]), ("Software License Costs", 5000, ["it"]),
    ("Software License Costs", 5001, ["management"]), ("Internal", 100, ["team-lead"]),
    ("Internal", 9000, []),
])
def test_our_approver_table(category, amount, groups):
    """The test suite's own invoice-assign-approver table routes by category and amount."""
    [decision] = parse_dmn(APPROVERS.read_bytes(), APPROVERS.name, max_bytes=1 << 20)
    result = evaluate(decision, {"invoiceCategory": category, "amount": amount})
    assert [entries["approverGroup"].value for entries in result] == groups


# ------------------------------------------------------------------------------- result mappers
RESULT = [{"group": TypedValue("String", "a")}, {"group": TypedValue("String", "b")}]


def test_result_mappers():
    """singleEntry, singleResult, collectEntries and resultList as Camunda maps them (Json here)."""
    one = RESULT[:1]
    assert map_result(one, "singleEntry") == TypedValue("String", "a")
    assert map_result([], "singleEntry") == TypedValue("Null", None)
    assert map_result(one, "singleResult") == TypedValue("Json", '{"group":"a"}')
    assert map_result([], "singleResult") == TypedValue("Null", None)
    assert map_result(RESULT, "collectEntries") == TypedValue("Json", '["a","b"]')
    assert map_result([], "collectEntries") == TypedValue("Json", "[]")
    assert map_result(RESULT, "resultList") == TypedValue("Json", '[{"group":"a"},{"group":"b"}]')


def test_single_mappers_refuse_several_results_and_collect_several_names():
    """ENGINE-22001 for singleEntry/singleResult on several results, ENGINE-22002 for collectEntries
    over more than one output name."""
    with pytest.raises(DecisionError) as caught:
        map_result(RESULT, "singleEntry")
    assert caught.value.message == (
        "ENGINE-22001 The decision result mapper 'SingleEntryDecisionResultMapper{}' failed to "
        "process '[{group=a}, {group=b}]': DMN-01009 Unable to get single decision result as it "
        "has more than one result '[{group=a}, {group=b}]'")
    two_names = [{"a": TypedValue("String", "x"), "b": TypedValue("String", "y")}]
    with pytest.raises(DecisionError) as caught:
        map_result(two_names, "collectEntries")
    assert caught.value.message == (
        "ENGINE-22002 The decision result mapper 'CollectEntriesDecisionResultMapper{}' failed to "
        "process '[{a=x, b=y}]'. The decision outputs should only contains values for one output "
        "name but found '[a, b]'.")
    with pytest.raises(DecisionError):
        map_result(two_names, "singleEntry")


@pytest.mark.parametrize("text,problem", [
    ("-" * 100 + "1", "expression nested too deeply"), ("(" * 100 + "1" + ")" * 100,
                                                      "expression nested too deeply"),
    ("+".join(["1"] * 300), "more than 200 operators"), ("a" + ".b" * 300, "more than 200 operators"),
])
def test_deeply_nested_or_chained_feel_is_refused(text, problem):
    """Nesting and operator chains are bounded when compiled, so evaluation never recurses deeply."""
    with pytest.raises(FeelError) as caught:
        SimpleExpression(text)
    assert caught.value.message.endswith(problem)
