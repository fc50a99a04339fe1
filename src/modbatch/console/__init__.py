"""The batch console: static pages under /console/ that talk to the REST API in /engine-rest.

Plain HTML, CSS and JavaScript modules shipped inside the package (no build step, nothing fetched
from elsewhere); this module only serves them.
"""

from __future__ import annotations

from pathlib import Path

from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse

PATH = "/console"
STATIC = Path(__file__).with_name("static").resolve()
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


async def _file(request):
    name = request.path_params.get("path") or "index.html"
    target = (STATIC / name).resolve()
    media_type = MEDIA_TYPES.get(target.suffix)
    if not target.is_relative_to(STATIC) or not target.is_file() or media_type is None:
        return PlainTextResponse(f"No console file '{name}'", status_code=404)
    # the console is small and changes with the server: let browsers revalidate every load
    return FileResponse(target, media_type=media_type, headers={"Cache-Control": "no-cache"})


async def _root(request):
    return RedirectResponse(f"{PATH}/")


def install(app) -> None:
    """Serve the console at /console/ (and redirect /console there)."""
    app.add_url_rule(PATH, "console-root", _root)
    app.add_url_rule(f"{PATH}/{{path:path}}", "console", _file)
