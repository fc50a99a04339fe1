"""The operator commands (``modbatch batch ...``, ``modbatch modify``): a REST client of a running
server. They talk HTTP only and import nothing of the API, the engine or the store
(import-linter)."""
