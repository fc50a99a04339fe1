"""BPMN support: the immutable process model, its deploy-time parser and the JUEL-subset evaluator."""

from .expression import ConstantExpression, ExpressionError, JuelExpression, compile_expression
from .model import Activity, Expression, IoParameter, ProcessModel, SequenceFlow
from .parser import parse_bpmn

__all__ = [
    "Activity", "ConstantExpression", "Expression", "ExpressionError", "IoParameter", "JuelExpression",
    "ProcessModel", "SequenceFlow", "compile_expression", "parse_bpmn",
]
