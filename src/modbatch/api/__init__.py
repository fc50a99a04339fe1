"""HTTP only: one module per REST resource, handlers named after Camunda's operationIds."""
