"""How the server hands out the console's files (one server for all the checks: starting one
takes seconds on a loaded machine)."""

from __future__ import annotations

import httpx

FILES = {
    "/console/": "text/html; charset=utf-8",
    "/console/index.html": "text/html; charset=utf-8",
    "/console/console.css": "text/css; charset=utf-8",
    "/console/js/app.js": "text/javascript; charset=utf-8",
    "/console/js/diagram.js": "text/javascript; charset=utf-8",
}
NOT_SERVED = ["/console/missing.js", "/console/%2e%2e/__init__.py", "/console/..%2f__init__.py",
              "/console/js/", "/console/%2e%2e/%2e%2e/app.py"]


def test_console_files_and_nothing_else(server):
    """Each console file answers 200 with its media type and no-cache; /console redirects to
    /console/; unknown files and paths leaving the console's folder answer 404."""
    origin = server.removesuffix("/engine-rest")
    for path, media_type in FILES.items():
        response = httpx.get(origin + path)
        assert (path, response.status_code) == (path, 200)
        assert response.headers["content-type"] == media_type
        assert response.headers["cache-control"] == "no-cache"
        assert response.content

    response = httpx.get(origin + "/console")
    assert response.status_code == 307
    assert response.headers["location"].endswith("/console/")

    for path in NOT_SERVED:
        response = httpx.get(origin + path)
        assert (path, response.status_code) == (path, 404)
        assert response.headers["content-type"].startswith("text/plain")
