"""A small REST client of the Camunda API: JSON in and out, errors as ``RestError``."""

from __future__ import annotations

from typing import Any

import httpx


class RestError(Exception):
    """A request the server refused (its Camunda ``type`` and ``message``) or could not make."""

    def __init__(self, type_: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{type_}: {message}")
        self.type = type_
        self.message = message
        self.status = status


class Rest:
    """Requests against one base URL such as ``http://127.0.0.1:8080/engine-rest``."""

    def __init__(self, base_url: str, *, timeout: float = 30.0) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                json: Any = None, missing_ok: bool = False) -> Any:
        """The decoded JSON body (None for 204); None too for a 404 when ``missing_ok``."""
        params = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        try:
            response = self.http.request(method, path, params=params, json=json)
        except httpx.TimeoutException:
            raise RestError("Timeout", f"{self.base_url} did not answer {method} {path} in "
                                       f"{self.http.timeout.read:g} s") from None
        except httpx.TransportError as exc:
            raise RestError("ConnectionError", f"cannot reach {self.base_url} ({exc}); is the "
                                               "server running? (--url, MODBATCH_URL)") from None
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 400:
            raise _error(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise RestError("InvalidResponse", f"{method} {path} answered {response.status_code} "
                                               "with a body that is not JSON") from None

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params)

    def find(self, path: str, **params: Any) -> Any:
        """GET that answers None for a 404."""
        return self.request("GET", path, params=params, missing_ok=True)

    def count(self, path: str, **params: Any) -> int:
        return self.get(path, **params)["count"]


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return str(value)


def _error(response: httpx.Response) -> RestError:
    try:
        body = response.json()
    except ValueError:
        body = None
    status = response.status_code
    if isinstance(body, dict) and body.get("message") is not None:
        return RestError(str(body.get("type") or f"HTTP {status}"), str(body["message"]), status)
    text = " ".join(response.text.split())[:200]
    return RestError(f"HTTP {status}", f"{response.request.method} {response.request.url.path}: "
                                       f"{text or 'no body'}", status)
