"""A safe JUEL subset: conditions, service-task expressions and io mappings without any Java runtime.

Only literals, variable identifiers and operators are understood; property access, method and
function calls are refused when the expression is compiled, so nothing a deployer writes can
reach Python objects. A hand-written tokenizer and precedence-climbing parser build a tree of
small nodes; there is no ``eval``. Coercions follow JUEL's ``BooleanOperations`` and
``NumberOperations`` closely enough for conditions such as ``${amount > '1000'}``.
"""

from __future__ import annotations

import math
import operator
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Callable, Mapping

from modbatch.errors import ProcessEngineError

MAX_LENGTH = 4000
MAX_DEPTH = 100


class ExpressionError(ProcessEngineError):
    """An expression that cannot be compiled or evaluated (a 500 ProcessEngineException at run time)."""


class _Unresolved(Exception):
    """Raised by identifier lookup; turned into Camunda's message, which quotes the whole expression."""


# --------------------------------------------------------------------------- tokenizer

_KEYWORDS = {
    "and": "&&", "or": "||", "not": "!", "eq": "==", "ne": "!=", "lt": "<", "gt": ">",
    "le": "<=", "ge": ">=", "div": "/", "mod": "%", "empty": "empty",
    "true": "true", "false": "false", "null": "null", "instanceof": "instanceof",
}
_NUMBER = re.compile(r"\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?", re.ASCII)
_OPERATORS = ("&&", "||", "==", "!=", "<=", ">=", "->", "+=", "!", "<", ">", "+", "-", "*", "/",
              "%", "?", ":", "(", ")", ".", "[", "]", ",", ";", "=")


def _tokenize(text: str, pos: int) -> tuple[list[tuple[str, Any]], int]:
    """Tokens of one ``${...}`` body starting at ``pos``; returns them and the index after ``}``."""
    tokens: list[tuple[str, Any]] = []
    n = len(text)
    while pos < n:
        ch = text[pos]
        if ch.isspace():
            pos += 1
        elif ch == "}":
            return tokens, pos + 1
        elif ch in "'\"":
            out, pos = [], pos + 1
            while pos < n and text[pos] != ch:
                if text[pos] == "\\" and pos + 1 < n and text[pos + 1] in "\\'\"":
                    pos += 1
                out.append(text[pos])
                pos += 1
            if pos >= n:
                raise ExpressionError(f"Unterminated string literal in expression '{text}'")
            tokens.append(("lit", "".join(out)))
            pos += 1
        elif m := _NUMBER.match(text, pos):
            lit = m.group()
            tokens.append(("lit", float(lit) if any(c in lit for c in ".eE") else int(lit)))
            pos = m.end()
        elif ch.isalpha() or ch in "_$":
            end = pos
            while end < n and (text[end].isalnum() or text[end] in "_$"):
                end += 1
            word = text[pos:end]
            kw = _KEYWORDS.get(word)
            if kw in ("true", "false", "null"):
                tokens.append(("lit", {"true": True, "false": False, "null": None}[kw]))
            elif kw is not None:
                tokens.append(("op", kw))
            else:
                tokens.append(("id", word))
            pos = end
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, pos)), None)
            if op is None:
                raise ExpressionError(f"Unexpected character '{ch}' at position {pos} in expression '{text}'")
            tokens.append(("op", op))
            pos += len(op)
    raise ExpressionError(f"Missing '}}' at the end of expression '{text}'")


# --------------------------------------------------------------------------- coercion (JUEL rules)

def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _java_type(v: Any) -> str:
    if isinstance(v, bool):
        return "java.lang.Boolean"
    if _is_int(v):
        return "java.lang.Long"
    if isinstance(v, float):
        return "java.lang.Double"
    if isinstance(v, str):
        return "java.lang.String"
    return type(v).__name__


def _coerce_error(v: Any, target: str) -> ExpressionError:
    return ExpressionError(f"Cannot coerce '{to_string(v)}' of class {_java_type(v)} to class java.lang.{target}")


_LONG = re.compile(r"[+-]?\d+", re.ASCII)
_DOUBLE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[dDfF]?", re.ASCII)


def _to_long(v: Any) -> int:
    if v is None or v == "":
        return 0
    if _is_int(v):
        return v
    if isinstance(v, float):
        return int(v)
    if isinstance(v, str) and _LONG.fullmatch(v):
        return int(v)
    raise _coerce_error(v, "Long")


def _to_double(v: Any) -> float:
    if v is None or v == "":
        return 0.0
    if _is_int(v) or isinstance(v, float):
        return float(v)
    if isinstance(v, str) and _DOUBLE.fullmatch(v):
        return float(v.rstrip("dDfF"))
    raise _coerce_error(v, "Double")


def _to_bool(v: Any) -> bool:
    if v is None or v == "":
        return False
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        return v.lower() == "true"
    raise _coerce_error(v, "Boolean")


def to_string(v: Any) -> str:
    """JUEL's coercion to String, used by composite expressions such as ``Hello ${name}``."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v == 0 or 1e-3 <= abs(v) < 1e7:
            return repr(v)
        sign, digits, exp = Decimal(repr(v)).normalize().as_tuple()
        text = "".join(map(str, digits))
        return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{len(text) + int(exp) - 1}"
    return str(v)


def _floaty(v: Any) -> bool:
    """EL treats a Double operand, or a String that looks like one, as a floating point operation."""
    return isinstance(v, float) or (isinstance(v, str) and any(c in v for c in ".eE"))


def _arith(op: str, a: Any, b: Any) -> Any:
    if a is None and b is None:
        return 0
    if op == "/":
        x, y = _to_double(a), _to_double(b)
        if y == 0:
            return math.nan if x == 0 or math.isnan(x) else math.copysign(math.inf, x) * math.copysign(1, y)
        return x / y
    if _floaty(a) or _floaty(b):
        x, y = _to_double(a), _to_double(b)
        if op == "%":
            return math.nan if y == 0 or math.isinf(x) else math.fmod(x, y)
    else:
        x, y = _to_long(a), _to_long(b)
        if op == "%":
            if y == 0:
                raise ExpressionError("/ by zero")
            r = abs(x) % abs(y)
            return -r if x < 0 else r
    return x + y if op == "+" else x - y if op == "-" else x * y


def _kind(v: Any) -> str:
    if isinstance(v, float):
        return "double"
    if _is_int(v):
        return "long"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, str):
        return "str"
    return "other"


def _equals(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if a is None or b is None:
        return False
    kinds = {_kind(a), _kind(b)}
    if "double" in kinds:
        return _to_double(a) == _to_double(b)
    if "long" in kinds:
        return _to_long(a) == _to_long(b)
    if "bool" in kinds:
        return _to_bool(a) == _to_bool(b)
    if "str" in kinds:
        return to_string(a) == to_string(b)
    return bool(a == b)


def _compare(op: str, a: Any, b: Any) -> bool:
    if a is None and b is None:
        return op in ("<=", ">=")
    if a is None or b is None:
        return False
    kinds = {_kind(a), _kind(b)}
    if "double" in kinds:
        a, b = _to_double(a), _to_double(b)
    elif "long" in kinds:
        a, b = _to_long(a), _to_long(b)
    elif "str" in kinds:
        a, b = to_string(a), to_string(b)
    try:
        return bool(_ORDER[op](a, b))
    except TypeError:
        raise ExpressionError(f"Cannot compare '{a}' and '{b}'") from None


def _negate(v: Any) -> Any:
    if v is None:
        return 0
    if isinstance(v, bool) or not (_is_int(v) or isinstance(v, (float, str))):
        raise _coerce_error(v, "Long")
    return -_to_double(v) if _floaty(v) else -_to_long(v)


def _is_empty(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, (str, list, tuple, dict, set, frozenset)):
        return len(v) == 0
    return False


_ORDER = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    **{op: partial(_arith, op) for op in "+-*/%"},
    **{op: partial(_compare, op) for op in _ORDER},
    "==": _equals,
    "!=": lambda a, b: not _equals(a, b),
}
# binding power of each binary operator; higher binds tighter (EL precedence)
_POWER = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, ">": 4, "<=": 4, ">=": 4,
          "+": 5, "-": 5, "*": 6, "/": 6, "%": 6}
_UNARY: dict[str, Callable[[Any], Any]] = {"!": lambda v: not _to_bool(v), "-": _negate, "empty": _is_empty}


# --------------------------------------------------------------------------- tree

class _Node:
    """A tree node; ``height`` bounds evaluation recursion."""

    height = 1

    def eval(self, variables: Mapping[str, Any]) -> Any:
        raise NotImplementedError


@dataclass
class _Literal(_Node):
    value: Any

    def eval(self, variables: Mapping[str, Any]) -> Any:
        return self.value


@dataclass
class _Identifier(_Node):
    name: str

    def eval(self, variables: Mapping[str, Any]) -> Any:
        try:
            return variables[self.name]
        except KeyError:
            raise _Unresolved(self.name) from None


@dataclass
class _Unary(_Node):
    op: str
    operand: _Node

    def __post_init__(self) -> None:
        self.height = self.operand.height + 1

    def eval(self, variables: Mapping[str, Any]) -> Any:
        return _UNARY[self.op](self.operand.eval(variables))


@dataclass
class _Chain(_Node):
    """Operands of one precedence level, kept flat so ``1+1+...+1`` is not a deep tree."""

    power: int
    operands: list[_Node]
    ops: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.height = max(o.height for o in self.operands) + 1

    def eval(self, variables: Mapping[str, Any]) -> Any:
        if self.power == 1:
            return any(_to_bool(o.eval(variables)) for o in self.operands)
        if self.power == 2:
            return all(_to_bool(o.eval(variables)) for o in self.operands)
        acc = self.operands[0].eval(variables)
        for op, operand in zip(self.ops, self.operands[1:]):
            acc = _BINARY[op](acc, operand.eval(variables))
        return acc


@dataclass
class _Conditional(_Node):
    test: _Node
    then: _Node
    otherwise: _Node

    def __post_init__(self) -> None:
        self.height = max(self.test.height, self.then.height, self.otherwise.height) + 1

    def eval(self, variables: Mapping[str, Any]) -> Any:
        return (self.then if _to_bool(self.test.eval(variables)) else self.otherwise).eval(variables)


# --------------------------------------------------------------------------- parser

class _Parser:
    """Recursive descent over one ``${...}`` body; ``depth`` counts parentheses, unary and ternary nesting."""

    def __init__(self, tokens: list[tuple[str, Any]], source: str) -> None:
        self.tokens, self.pos, self.source, self.depth = tokens, 0, source, 0

    def fail(self, problem: str) -> ExpressionError:
        return ExpressionError(f"Error parsing '{self.source}': {problem}")

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def accept(self, op: str) -> bool:
        if self.peek() == ("op", op):
            self.pos += 1
            return True
        return False

    def parse(self) -> _Node:
        if not self.tokens:
            raise self.fail("empty expression")
        node = self.conditional()
        if (tok := self.peek()) is not None:
            raise self.fail(f"unexpected {self.describe(tok)}")
        return node

    def nested(self, build: Callable[[], _Node]) -> _Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH}")
        node = self.checked(build())
        self.depth -= 1
        return node

    def conditional(self) -> _Node:
        test = self.binary(0)
        if not self.accept("?"):
            return test
        then = self.nested(self.conditional)
        if not self.accept(":"):
            raise self.fail("expected ':' in conditional expression")
        otherwise = self.nested(self.conditional)
        return self.checked(_Conditional(test, then, otherwise))

    def binary(self, min_power: int) -> _Node:
        left = self.unary()
        chain: _Chain | None = None
        while (tok := self.peek()) is not None and tok[0] == "op" and _POWER.get(tok[1], 0) > min_power:
            power = _POWER[tok[1]]
            self.pos += 1
            right = self.binary(power)
            if chain is not None and chain.power == power:
                chain.operands.append(right)
                chain.ops.append(tok[1])
                chain.height = max(chain.height, right.height + 1)
            else:
                chain = _Chain(power, [left, right], [tok[1]])
                left = chain
            self.checked(left)
        return left

    def checked(self, node: _Node) -> _Node:
        if node.height > MAX_DEPTH:
            raise self.fail(f"nesting deeper than {MAX_DEPTH}")
        return node

    def unary(self) -> _Node:
        tok = self.peek()
        if tok is not None and tok[0] == "op" and tok[1] in _UNARY:
            self.pos += 1
            return self.checked(_Unary(tok[1], self.nested(self.unary)))
        node = self.primary()
        if (after := self.peek()) is not None and after[0] == "op" and after[1] in (".", "[", "("):
            what = {"(": "method and function calls are", ".": "property access is", "[": "property access is"}
            raise self.fail(f"{what[after[1]]} not supported (after {self.describe(tok)})")
        return node

    def primary(self) -> _Node:
        tok = self.peek()
        if tok is None:
            raise self.fail("unexpected end of expression")
        self.pos += 1
        if tok[0] == "lit":
            return _Literal(tok[1])
        if tok[0] == "id":
            if self.tokens[self.pos:self.pos + 3:2] == [("op", ":"), ("op", "(")]:
                raise self.fail(f"function '{tok[1]}:{self.tokens[self.pos + 1][1]}' is not supported")
            return _Identifier(tok[1])
        if tok == ("op", "("):
            node = self.nested(self.conditional)
            if not self.accept(")"):
                raise self.fail("missing ')'")
            return node
        raise self.fail(f"unexpected {self.describe(tok)}")

    @staticmethod
    def describe(tok: tuple[str, Any] | None) -> str:
        if tok is None:
            return "end of expression"
        kind, value = tok
        return f"identifier '{value}'" if kind == "id" else f"'{value}'" if kind == "op" else f"literal {value!r}"


# --------------------------------------------------------------------------- public API

@dataclass(frozen=True)
class ConstantExpression:
    """Text without ``${...}``: evaluates to itself, like JUEL's literal expressions."""

    source: str

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        return self.source


@dataclass(frozen=True)
class JuelExpression:
    """A compiled ``${...}``/``#{...}`` expression, possibly mixed with literal text."""

    source: str
    parts: tuple[str | _Node, ...] = field(compare=False, repr=False)

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        try:
            if len(self.parts) == 1 and isinstance(self.parts[0], _Node):
                return self.parts[0].eval(variables)
            return "".join(p if isinstance(p, str) else to_string(p.eval(variables)) for p in self.parts)
        except _Unresolved as e:
            raise ExpressionError(f"Unknown property used in expression: {self.source}. "
                                  f"Cause: Cannot resolve identifier '{e.args[0]}'") from None
        except (ExpressionError, ArithmeticError) as e:
            cause = e.message if isinstance(e, ExpressionError) else str(e)
            raise ExpressionError(f"Error while evaluating expression: {self.source}. Cause: {cause}") from None


def compile_expression(text: str) -> ConstantExpression | JuelExpression:
    """Compile once at deploy time so a broken expression is a parse error, not a runtime surprise."""
    if "${" not in text and "#{" not in text:
        return ConstantExpression(text)
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"Expression is longer than {MAX_LENGTH} characters")
    parts: list[str | _Node] = []
    literal: list[str] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "\\" and text[pos + 1:pos + 2] in ("$", "#"):
            literal.append(text[pos + 1])
            pos += 2
        elif ch in "$#" and text[pos + 1:pos + 2] == "{":
            if literal:
                parts.append("".join(literal))
                literal = []
            tokens, pos = _tokenize(text, pos + 2)
            parts.append(_Parser(tokens, text).parse())
        else:
            literal.append(ch)
            pos += 1
    if literal:
        parts.append("".join(literal))
    return JuelExpression(text, tuple(parts))


@dataclass(frozen=True)
class ForeignScript:
    """A camunda:script value modbatch cannot run (Groovy, Python, ..., or a camunda:resource).

    It deploys, as in Camunda, and fails loudly only when a token evaluates it; a start or a
    modification with skipIoMappings never does.
    """

    source: str
    language: str
    owner: str

    def evaluate(self, variables: Mapping[str, Any]) -> Any:
        raise ProcessEngineError(
            f"modbatch runs no Java or script code: cannot run the {self.language} script of "
            f"{self.owner}. Use an expression instead, or skip io mappings", status=400)
