"""/engine: the process engines behind this REST API; modbatch has the one named `default`."""

from __future__ import annotations


def get_process_engine_names():
    return [{"name": "default"}], 200
