"""Routes each operation to ``modbatch.api.<resource>.<snake_case operationId>``.

The resource module comes from the operation's first tag ("Process Instance" → process_instance),
so the spec alone decides which handler serves a request.
"""

from __future__ import annotations

import importlib
import re

from connexion.resolver import Resolution, Resolver


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def module_for(tag: str) -> str:
    return "modbatch.api." + re.sub(r"[^a-z0-9]+", "_", tag.lower()).strip("_")


class OperationResolver(Resolver):
    def resolve(self, operation) -> Resolution:
        operation_id = operation.operation_id
        tags = operation._operation.get("tags") or ["default"]
        module = importlib.import_module(module_for(tags[0]))
        function = getattr(module, snake(operation_id), None)
        if function is None:
            raise ImportError(f"{module.__name__} has no handler {snake(operation_id)} "
                              f"for operationId {operation_id}")
        return Resolution(function, operation_id)
