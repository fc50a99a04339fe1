"""The JUEL subset: literals, operators, coercions, errors and the safety bounds."""

import math

import pytest

from modbatch.engine.bpmn.expression import (
    MAX_DEPTH, ConstantExpression, ExpressionError, JuelExpression, compile_expression,
)
from modbatch.errors import ProcessEngineError


def ev(text, **variables):
    return compile_expression(text).evaluate(variables)


def test_plain_text_is_a_constant():
    """Text without ${...} compiles to a constant that evaluates to itself."""
    expr = compile_expression("just text, {not} an $expression")
    assert isinstance(expr, ConstantExpression)
    assert expr.source == "just text, {not} an $expression"
    assert expr.evaluate({}) == "just text, {not} an $expression"


def test_single_expression_keeps_the_value_type():
    """A lone ${...} returns the raw value, not its string form."""
    expr = compile_expression("${x}")
    assert isinstance(expr, JuelExpression)
    assert expr.source == "${x}"
    assert expr.evaluate({"x": [1, 2]}) == [1, 2]
    assert ev("#{x}", x=5) == 5


def test_literals():
    """Integers, decimals, booleans, null and both string quote styles with escapes."""
    assert ev("${42}") == 42
    assert ev("${1.5}") == 1.5
    assert ev("${.5e1}") == 5.0
    assert ev("${true}") is True
    assert ev("${false}") is False
    assert ev("${null}") is None
    assert ev("${'it\\'s'}") == "it's"
    assert ev('${"say \\"hi\\" \\\\ }"}') == 'say "hi" \\ }'


def test_mixed_text_concatenates_string_forms():
    """Composite text joins literal parts with the JUEL string form of each value."""
    assert ev("a ${x} b ${y} c ${z} ${n}", x=1, y=True, z=None, n=2.5) == "a 1 b true c  2.5"
    assert ev("${x}${x}", x="ab") == "abab"


def test_escaped_dollar_is_literal():
    """A backslash before ${ keeps it as text, as in JUEL."""
    assert ev("cost \\${x} is ${x}", x=3) == "cost ${x} is 3"


def test_arithmetic_precedence_and_associativity():
    """* / % bind tighter than + -, which bind tighter than comparisons; chains are left-associative."""
    assert ev("${1 + 2 * 3}") == 7
    assert ev("${(1 + 2) * 3}") == 9
    assert ev("${10 - 4 - 3}") == 3
    assert ev("${2 * 3 + 4 * 5}") == 26
    assert ev("${1 + 2 == 3}") is True
    assert ev("${-2 * 3}") == -6
    assert ev("${- -4}") == 4


def test_division_and_modulo_follow_el():
    """'/' and div always yield a double; % and mod keep longs and truncate toward zero like Java."""
    assert ev("${7 / 2}") == 3.5
    assert isinstance(ev("${8 div 2}"), float)
    assert ev("${8 div 2}") == 4.0
    assert ev("${7 % 3}") == 1
    assert ev("${-7 mod 3}") == -1
    assert ev("${7.5 % 2}") == 1.5
    assert ev("${1 / 0}") == math.inf
    assert math.isnan(ev("${0 / 0}"))


def test_logical_operators_and_word_forms():
    """&& and || short-circuit; and/or/not are synonyms; && binds tighter than ||."""
    assert ev("${true || false && false}") is True
    assert ev("${(true || false) && false}") is False
    assert ev("${not true or !false}") is True
    assert ev("${false && missing}") is False
    assert ev("${true or missing}") is True


def test_comparison_word_operators():
    """eq ne lt gt le ge are the same operators as == != < > <= >=."""
    assert ev("${x eq 7}", x=7) is True
    assert ev("${x ne 7}", x=7) is False
    assert ev("${x lt 8 and x gt 6}", x=7) is True
    assert ev("${x le 7 && x ge 7}", x=7) is True
    assert ev("${x != 7}", x=8) is True


def test_numbers_compare_with_numeric_strings():
    """A number against a numeric string coerces the string; two strings compare lexically."""
    assert ev("${amount > '1000'}", amount=1500) is True
    assert ev("${amount == '1500'}", amount=1500) is True
    assert ev("${amount < 1000.5}", amount="1000") is True
    assert ev("${'b' > 'a'}") is True
    assert ev("${'10' < '9'}") is True
    assert ev("${flag == 'true'}", flag=True) is True


def test_null_comparisons():
    """== works between null and a value; ordering against null is false."""
    assert ev("${x == null}", x=None) is True
    assert ev("${x == null}", x=0) is False
    assert ev("${x != null}", x="a") is True
    assert ev("${x < 5}", x=None) is False
    assert ev("${null + null}") == 0


def test_empty_operator():
    """empty is true for null, '' and empty collections, false otherwise."""
    assert ev("${empty x}", x=None) is True
    assert ev("${empty x}", x="") is True
    assert ev("${empty x}", x=[]) is True
    assert ev("${empty x}", x={}) is True
    assert ev("${empty x}", x="a") is False
    assert ev("${empty x}", x=0) is False
    assert ev("${not empty x}", x=[1]) is True


def test_ternary():
    """a ? b : c picks a branch and nests to the right."""
    assert ev("${x > 5 ? 'big' : 'small'}", x=6) == "big"
    assert ev("${x > 5 ? 'big' : x > 2 ? 'mid' : 'small'}", x=3) == "mid"
    assert ev("${approved ? 1 : missing}", approved=True) == 1


def test_boolean_coercion_of_strings():
    """Strings coerce to booleans like Boolean.valueOf; null and '' are false."""
    assert ev("${!x}", x="true") is False
    assert ev("${!x}", x="yes") is True
    assert ev("${x && true}", x=None) is False


def test_unknown_identifier_uses_camunda_message():
    """A missing variable raises Camunda's 'Unknown property' message quoting the whole expression."""
    with pytest.raises(ExpressionError) as info:
        ev("${x == 1}")
    assert info.value.message == ("Unknown property used in expression: ${x == 1}. "
                                  "Cause: Cannot resolve identifier 'x'")
    assert isinstance(info.value, ProcessEngineError)
    assert info.value.status == 500


def test_bad_coercion_is_an_expression_error():
    """A non-numeric string in arithmetic fails with a coercion message at evaluation time."""
    with pytest.raises(ExpressionError) as info:
        ev("${x + 1}", x="abc")
    assert "Cannot coerce 'abc'" in info.value.message
    assert info.value.message.startswith("Error while evaluating expression: ${x + 1}.")


@pytest.mark.parametrize("text, problem", [
    ("${a.b}", "property access is not supported"),
    ("${a['b']}", "property access is not supported"),
    ("${bean.method(x)}", "property access is not supported"),
    ("${dateTime()}", "method and function calls are not supported"),
    ("${fn:concat('a', 'b')}", "function 'fn:concat' is not supported"),
    ("${x = 1}", "unexpected '='"),
    ("${x instanceof y}", "unexpected 'instanceof'"),
    ("${1 +}", "unexpected end of expression"),
    ("${(1 + 2}", "missing ')'"),
    ("${}", "empty expression"),
    ("${a ? b}", "expected ':'"),
])
def test_unsupported_syntax_fails_at_compile_time(text, problem):
    """Property access, calls, assignment and broken syntax are refused when compiling."""
    with pytest.raises(ExpressionError) as info:
        compile_expression(text)
    assert problem in info.value.message
    assert text in info.value.message


def test_unterminated_expression_and_string():
    """A missing closing brace or quote is a compile error."""
    with pytest.raises(ExpressionError, match="Missing '}'"):
        compile_expression("${x")
    with pytest.raises(ExpressionError, match="Unterminated string"):
        compile_expression("${'abc}")
    with pytest.raises(ExpressionError, match="Unexpected character '&'"):
        compile_expression("${a & b}")


def test_length_limit():
    """Expressions longer than 4000 characters are rejected."""
    text = "${" + " + ".join(["1"] * 1500) + "}"
    with pytest.raises(ExpressionError, match="longer than 4000"):
        compile_expression(text)


def test_depth_limit_for_parentheses_and_unary():
    """Nesting deeper than the limit is refused; the limit itself is allowed."""
    ok = "${" + "(" * (MAX_DEPTH - 1) + "1" + ")" * (MAX_DEPTH - 1) + "}"
    assert compile_expression(ok).evaluate({}) == 1
    with pytest.raises(ExpressionError, match="nesting deeper than 100"):
        compile_expression("${" + "(" * 150 + "1" + ")" * 150 + "}")
    with pytest.raises(ExpressionError, match="nesting deeper than 100"):
        compile_expression("${" + "!" * 150 + "true}")


def test_long_flat_chains_evaluate_without_deep_recursion():
    """A long a+b+c... chain stays a flat node, so it evaluates even past the recursion limit."""
    assert ev("${" + "+".join(["1"] * 1900) + "}") == 1900
    assert ev("${" + "&&".join(["x"] * 1300) + "}", x=True) is True


def test_expressions_compare_by_source():
    """Two compilations of the same text are equal, so parsed models compare by value."""
    assert compile_expression("${a > 1}") == compile_expression("${a > 1}")
    assert compile_expression("${a > 1}") != compile_expression("${a > 2}")
