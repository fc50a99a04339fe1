"""DMN decision tables: the frozen model, its deploy-time parser, a FEEL subset and the evaluator.

Nothing here touches the database: the runtime evaluates decisions in memory, handed to it by the
engine's command layer (``modbatch.engine.decisions``).
"""

from .evaluate import MAPPERS, DecisionError, evaluate, map_result
from .model import Decision
from .parser import is_dmn, parse_dmn

__all__ = ["MAPPERS", "Decision", "DecisionError", "evaluate", "is_dmn", "map_result", "parse_dmn"]
