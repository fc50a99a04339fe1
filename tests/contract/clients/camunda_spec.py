"""Run inside the generic-camunda-client venv: print Camunda's operations and models as JSON.

Camunda's side of the comparison comes from the official generated client itself: each API
method is called with a recording `call_api`, so the path, method, parameter names (as sent on
the wire), request body and response type are the ones the client really uses; each model's
`openapi_types` and `attribute_map` give its JSON property names and types.
"""

from __future__ import annotations

import inspect
import json
import re
import sys

import generic_camunda_client
from generic_camunda_client import api as apis
from generic_camunda_client import models

PARAM_DOC = re.compile(r":param (\S+) (\w+):")


class Sent:
    """A unique stand-in value, so that what the client sends can be traced to its parameter."""

    def __init__(self, name: str) -> None:
        self.name = name


class Recorded(Exception):
    pass


def operations() -> list[dict]:
    result = []
    for class_name in sorted(dir(apis)):
        cls = getattr(apis, class_name)
        if not (class_name.endswith("Api") and inspect.isclass(cls)):
            continue
        client = generic_camunda_client.ApiClient()
        captured: dict = {}

        def record(resource_path, method, path_params=None, query_params=None,
                   header_params=None, body=None, post_params=None, files=None,
                   response_type=None, **_ignored):
            captured.update(path=resource_path, method=method, path_params=path_params or {},
                            query_params=query_params or [], body=body,
                            post_params=post_params or [], files=files or {},
                            response_type=response_type)
            raise Recorded

        client.call_api = record
        instance = cls(client)
        for name, method in inspect.getmembers(instance, inspect.ismethod):
            if name.startswith("_") or name.endswith("_with_http_info"):
                continue
            documented = {py: kind for kind, py in PARAM_DOC.findall(method.__doc__ or "")
                          if kind != "async_req" and not py.startswith("_")}
            arguments = {py: Sent(py) for py in documented}
            captured.clear()
            try:
                method(**arguments)
            except Recorded:
                pass
            wire: dict[str, dict] = {}
            for key, value in captured["path_params"].items():
                wire[key] = {"in": "path", "type": documented[value.name]}
            for key, value in captured["query_params"]:
                wire[key] = {"in": "query", "type": documented[value.name]}
            for key, value in captured["post_params"]:
                wire[key] = {"in": "formData", "type": documented[value.name]}
            for key, value in captured["files"].items():
                wire[key] = {"in": "formData", "type": documented[value.name]}
            body = captured["body"]
            result.append({
                "api": class_name, "operation": name, "path": captured["path"],
                "method": captured["method"].lower(), "parameters": wire,
                "body": documented[body.name] if isinstance(body, Sent) else None,
                "response": captured["response_type"]})
    return result


def model_properties() -> dict[str, dict[str, str]]:
    result = {}
    for name in sorted(dir(models)):
        cls = getattr(models, name)
        if inspect.isclass(cls) and hasattr(cls, "attribute_map"):
            result[name] = {cls.attribute_map[attribute]: kind
                            for attribute, kind in cls.openapi_types.items()}
    return result


if __name__ == "__main__":
    json.dump({"version": generic_camunda_client.__version__, "operations": operations(),
               "models": model_properties()}, sys.stdout, indent=1, sort_keys=True)
