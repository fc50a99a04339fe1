"""A small, safe FEEL subset: simple expressions and simple unary tests of DMN decision tables.

Simple expressions (input expressions, output entries): literals (numbers, ``"strings"``, ``true``,
``false``, ``null``), variable names with ``.`` paths into JSON values, ``+ - * / **``, comparisons
``= != < <= > >=``, ``and``, ``or``, parentheses, and the functions ``date("...")``,
``date and time("...")`` and ``not(...)``.

Simple unary tests (input entries): ``-`` or empty (anything), a value (equality), ``< <= > >=``
with a value, intervals ``[a..b]``, ``(a..b)``, ``]a..b[``, comma lists, ``not(...)`` of those,
and ``null``. A test against a value of another type does not match (FEEL's null).

Like ``modbatch.engine.bpmn.expression`` this is a hand-written tokenizer and recursive-descent
parser building small closures; there is no ``eval`` and nothing reaches Python objects.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, Callable, Mapping

from modbatch.errors import ProcessEngineError

MAX_LENGTH = 4000
MAX_DEPTH = 60
MAX_OPERATIONS = 200  # chained operators nest closures: keep evaluation far from the recursion limit

Evaluator = Callable[[Mapping[str, Any]], Any]
Test = Callable[[Any, Mapping[str, Any]], bool]


class FeelError(ProcessEngineError):
    """An expression that cannot be parsed or evaluated (Camunda's FEEL engine messages)."""

    status = 400
    type = "FeelException"


class _Missing(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


# ----------------------------------------------------------------------------- tokens
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\.\.|<=|>=|!=|\*\*|[-+*/<>=(),.\[\]])
""", re.VERBOSE)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "'": "'"}


def _tokens(text: str) -> list[tuple[str, Any]]:
    if len(text) > MAX_LENGTH:
        raise FeelError(f"FEEL expression is longer than {MAX_LENGTH} characters")
    out: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FeelError(f"failed to parse expression '{text}': unexpected character "
                            f"'{text[pos]}' at position {pos}")
        pos = m.end()
        kind = m.lastgroup
        if kind == "space":
            continue
        value = m.group()
        if kind == "number":
            out.append(("lit", Decimal(value)))
        elif kind == "string":
            out.append(("lit", re.sub(r"\\(.)", lambda e: _ESCAPES.get(e.group(1), e.group(1)),
                                      value[1:-1])))
        elif kind == "name" and value in ("true", "false", "null"):
            out.append(("lit", {"true": True, "false": False, "null": None}[value]))
        elif kind == "name" and value in ("and", "or", "not"):
            out.append(("op", value))
        else:
            out.append((kind or "op", value))
    return out


# ----------------------------------------------------------------------------- values
def number(value: Any) -> Any:
    """Python numbers become Decimal for exact FEEL arithmetic; everything else is unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    return value


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float, Decimal)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "datetime"
    return None


def equal(a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return a is None and b is None
    if _kind(a) != _kind(b) or _kind(a) is None:
        return a == b if type(a) is type(b) else None
    return number(a) == number(b)


def compare(op: str, a: Any, b: Any) -> bool | None:
    """``a op b``, or None (FEEL's null) when the values cannot be ordered against each other."""
    kind = _kind(a)
    if kind is None or kind == "boolean" or kind != _kind(b):
        return None
    a, b = number(a), number(b)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _arith(op: str, a: Any, b: Any) -> Any:
    if op == "+" and isinstance(a, str) and isinstance(b, str):
        return a + b
    if _kind(a) != "number" or _kind(b) != "number":
        return None
    a, b = number(a), number(b)
    try:
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return None if b == 0 else a / b
        if abs(b) > 1000:
            return None
        return a ** b
    except ArithmeticError:
        return None


def _date(text: Any, with_time: bool, source: str) -> datetime:
    if not isinstance(text, str):
        raise FeelError(f"failed to evaluate expression '{source}': date needs a string")
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FeelError(f"failed to evaluate expression '{source}': '{text}' is not a valid "
                        f"{'date and time' if with_time else 'date'}") from None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value if with_time else datetime(value.year, value.month, value.day)


# ----------------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.pos = 0
        self.depth = 0
        self.operations = 0

    def fail(self, problem: str) -> FeelError:
        return FeelError(f"failed to parse expression '{self.text}': {problem}")

    def peek(self, offset: int = 0) -> tuple[str, Any] | None:
        at = self.pos + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def at(self, value: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] in ("op", "name") and tok[1] == value

    def accept(self, value: str) -> bool:
        if self.at(value):
            self.pos += 1
            return True
        return False

    def expect(self, value: str) -> None:
        if not self.accept(value):
            tok = self.peek()
            found = "the end" if tok is None else f"'{tok[1]}'"
            raise self.fail(f"expected '{value}' but found {found}")

    def done(self) -> None:
        if self.peek() is not None:
            raise self.fail(f"unexpected '{self.peek()[1]}'")  # type: ignore[index]

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail("expression nested too deeply")

    def operation(self) -> None:
        self.operations += 1
        if self.operations > MAX_OPERATIONS:
            raise self.fail(f"more than {MAX_OPERATIONS} operators")

    # simple expressions -----------------------------------------------------------
    def expression(self) -> Evaluator:
        self.nested()
        node = self.disjunction()
        self.depth -= 1
        return node

    def disjunction(self) -> Evaluator:
        left = self.conjunction()
        while self.accept("or"):
            self.operation()
            right = self.conjunction()
            left = _or(left, right)
        return left

    def conjunction(self) -> Evaluator:
        left = self.comparison()
        while self.accept("and"):
            self.operation()
            right = self.comparison()
            left = _and(left, right)
        return left

    def comparison(self) -> Evaluator:
        left = self.additive()
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ("=", "!=", "<", "<=", ">", ">="):
            self.pos += 1
            right = self.additive()
            op = tok[1]
            if op in ("=", "!="):
                def eq(v, left=left, right=right, negate=op == "!="):
                    result = equal(left(v), right(v))
                    return None if result is None else result != negate
                return eq
            return lambda v, left=left, right=right, op=op: compare(op, left(v), right(v))
        return left

    def additive(self) -> Evaluator:
        left = self.multiplicative()
        while (tok := self.peek()) and tok[0] == "op" and tok[1] in ("+", "-"):
            self.pos += 1
            self.operation()
            right = self.multiplicative()
            left = (lambda v, left=left, right=right, op=tok[1]: _arith(op, left(v), right(v)))
        return left

    def multiplicative(self) -> Evaluator:
        left = self.power()
        while (tok := self.peek()) and tok[0] == "op" and tok[1] in ("*", "/"):
            self.pos += 1
            self.operation()
            right = self.power()
            left = (lambda v, left=left, right=right, op=tok[1]: _arith(op, left(v), right(v)))
        return left

    def power(self) -> Evaluator:
        left = self.unary()
        if self.accept("**"):
            right = self.unary()
            return lambda v: _arith("**", left(v), right(v))
        return left

    def unary(self) -> Evaluator:
        if self.accept("-"):
            self.nested()
            operand = self.unary()
            self.depth -= 1
            return lambda v: _arith("-", Decimal(0), operand(v))
        return self.path()

    def path(self) -> Evaluator:
        node = self.primary()
        while self.at(".") and (nxt := self.peek(1)) and nxt[0] == "name":
            self.pos += 2
            self.operation()
            node = (lambda v, node=node, key=nxt[1]:
                    base.get(key) if isinstance(base := node(v), dict) else None)
        return node

    def primary(self) -> Evaluator:
        tok = self.peek()
        if tok is None:
            raise self.fail("unexpected end of expression")
        kind, value = tok
        self.pos += 1
        if kind == "lit":
            return lambda v, value=value: value
        if kind == "op" and value == "(":
            node = self.expression()
            self.expect(")")
            return node
        if kind == "op" and value == "not":
            self.expect("(")
            operand = self.expression()
            self.expect(")")
            return lambda v: (not result) if isinstance(result := operand(v), bool) else None
        if kind == "name":
            if value == "date" and self.at("and") and (self.peek(1) or ("", ""))[1] == "time":
                self.pos += 2
                return self.date_function(True)
            if value == "date" and self.at("("):
                return self.date_function(False)
            if self.at("("):
                raise self.fail(f"function '{value}' is not supported")
            return _variable(value)
        raise self.fail(f"unexpected '{value}'")

    def date_function(self, with_time: bool) -> Evaluator:
        self.expect("(")
        argument = self.expression()
        self.expect(")")
        source = self.text
        return lambda v: _date(argument(v), with_time, source)

    # unary tests -------------------------------------------------------------------
    def unary_tests(self) -> Test:
        if self.at("-") and len(self.tokens) == 1:
            self.pos += 1
            return lambda value, v: True
        if self.at("not") and (self.peek(1) or ("", ""))[1] == "(":
            self.pos += 2
            tests = self.positive_tests()
            self.expect(")")
            return lambda value, v: not tests(value, v)
        return self.positive_tests()

    def positive_tests(self) -> Test:
        tests = [self.positive_test()]
        while self.accept(","):
            tests.append(self.positive_test())
        if len(tests) == 1:
            return tests[0]
        return lambda value, v: any(test(value, v) for test in tests)

    def positive_test(self) -> Test:
        tok = self.peek()
        if tok and tok[0] == "op" and tok[1] in ("<", "<=", ">", ">="):
            self.pos += 1
            endpoint = self.endpoint()
            return lambda value, v, op=tok[1]: compare(op, value, endpoint(v)) is True
        if tok and tok[0] == "op" and tok[1] in ("[", "(", "]"):
            self.pos += 1
            low_open = tok[1] != "["
            low = self.endpoint()
            self.expect("..")
            high = self.endpoint()
            closing = self.peek()
            if closing is None or closing[1] not in ("]", ")", "["):
                raise self.fail("an interval must end with ']', ')' or '['")
            self.pos += 1
            high_open = closing[1] != "]"

            def interval(value, v):
                lower = compare(">" if low_open else ">=", value, low(v))
                upper = compare("<" if high_open else "<=", value, high(v))
                return lower is True and upper is True
            return interval
        start = self.pos
        endpoint = self.expression()
        consumed = {tok[1] for tok in self.tokens[start:self.pos] if tok[0] != "lit"}
        if consumed & {"=", "!=", "<", "<=", ">", ">=", "and", "or", "not"}:
            # a boolean expression over the input (``cellInput > 10``): true passes
            return lambda value, v: (lambda result: result is True or equal(value, result) is True)(
                endpoint(v))
        return lambda value, v: equal(value, endpoint(v)) is True

    def endpoint(self) -> Evaluator:
        """A value an input is tested against: a literal, a name, a date, a negative number."""
        self.nested()
        node = self.additive()
        self.depth -= 1
        return node


def _variable(name: str) -> Evaluator:
    def lookup(variables: Mapping[str, Any]) -> Any:
        if name not in variables:
            raise _Missing(name)
        return variables[name]
    return lookup


def _and(left: Evaluator, right: Evaluator) -> Evaluator:
    def both(v):
        a, b = left(v), right(v)
        if a is False or b is False:
            return False
        return True if a is True and b is True else None
    return both


def _or(left: Evaluator, right: Evaluator) -> Evaluator:
    def either(v):
        a, b = left(v), right(v)
        if a is True or b is True:
            return True
        return False if a is False and b is False else None
    return either


# ----------------------------------------------------------------------------- public
class SimpleExpression:
    """A compiled FEEL simple expression; ``evaluate`` answers plain Python values."""

    def __init__(self, text: str) -> None:
        self.source = text
        parser = _Parser(text)
        self._node = parser.expression()
        parser.done()

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        try:
            return plain(self._node(variables))
        except _Missing as missing:
            raise FeelError(f"FEEL/SCALA-01008 Error while evaluating expression: failed to "
                            f"evaluate expression '{self.source}': no variable found for name "
                            f"'{missing.name}'") from None


class UnaryTests:
    """Compiled FEEL simple unary tests; ``matches`` says whether an input value passes."""

    def __init__(self, text: str) -> None:
        self.source = text
        stripped = text.strip()
        if not stripped:
            self._test: Test = lambda value, v: True
            return
        parser = _Parser(stripped)
        self._test = parser.unary_tests()
        parser.done()

    def matches(self, value: Any, variables: Mapping[str, Any]) -> bool:
        try:
            return bool(self._test(value, variables))
        except _Missing as missing:
            raise FeelError(f"FEEL/SCALA-01008 Error while evaluating expression: failed to "
                            f"evaluate expression '{self.source}': no variable found for name "
                            f"'{missing.name}'") from None


def plain(value: Any) -> Any:
    """Decimals back to int (whole) or float; everything else as it is."""
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and abs(value) < 2**63:
            return int(value)
        return float(value)
    return value
