"""Persistence: tables, database set-up and sessions. Knows nothing of the engine or HTTP."""
