"""How the server hands out the console's files (one server for all the checks: starting one
takes seconds on a loaded machine)."""

from __future__ import annotations

import fnmatch
import re
import tomllib

import httpx

from tests.conftest import ROOT

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


def test_every_console_file_is_package_data():
    """A `pip install .` ships every console file: each one matches a package-data pattern."""
    package = ROOT / "src" / "modbatch"
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "tool"]["setuptools"]["package-data"]["modbatch"]
    files = [p.relative_to(package).as_posix()
             for p in (package / "console" / "static").rglob("*") if p.is_file()]
    assert files
    # setuptools' globs: `*` stays within one folder
    globs = [re.compile(fnmatch.translate(p).replace(".*", "[^/]*")) for p in patterns]
    assert [f for f in files if not any(g.fullmatch(f) for g in globs)] == []
