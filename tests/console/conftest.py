"""The console in real headless Chromium (Debian's package, driven by Playwright) against a real
`modbatch serve`; every test writes screenshots of the pages it visits."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import ROOT
from tests.console.models import ORDER, ORDER_KEY

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("MODBATCH_SCREENSHOTS") or ROOT / "artifacts" / "screenshots")
# a loaded 2-core CI machine: the console polls every second, give pages time to settle
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the console tests drive Debian's chromium package "
                    "(sudo apt-get install -y chromium, as in the README's test command)",
                    pytrace=False)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Console:
    """A browser page on the console plus the REST calls a test needs to set the scene."""

    def __init__(self, page, base: str, test_name: str, database: str):
        self.page = page
        self.database = database
        self.base = base
        self.origin = base.removesuffix("/engine-rest")
        self.rest = httpx.Client(base_url=base, timeout=30)
        self.test_name = test_name

    def open(self, route: str) -> None:
        self.page.goto(f"{self.origin}/console/#{route}")

    def screenshot(self, name: str) -> Path:
        folder = SCREENSHOTS / self.database  # scripts/test runs the suite on both databases
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.test_name}--{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    # ------------------------------------------------------------------ REST

    def deploy(self, xml: str = ORDER, name: str = "order.bpmn") -> str:
        response = self.rest.post("/deployment/create", data={"deployment-name": "console"},
                                  files={"model": (name, xml.encode(), "text/xml")})
        assert response.status_code == 200, response.text
        [definition] = response.json()["deployedProcessDefinitions"].values()
        return definition["id"]

    def start(self, key: str = ORDER_KEY, business_key: str | None = None, **variables) -> str:
        variables.setdefault("chargeFirst", False)
        typed = {name: {"value": value, "type": {bool: "Boolean", int: "Integer"}.get(type(value), "String")}
                 for name, value in variables.items()}
        response = self.rest.post(f"/process-definition/key/{key}/start",
                                  json={"businessKey": business_key, "variables": typed})
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def instances_at(self, activity_id: str) -> list[str]:
        found = self.rest.get("/process-instance", params={"activityIdIn": activity_id}).json()
        return sorted(i["id"] for i in found)

    def wait_for(self, check, what: str, timeout: float = 60):
        """Poll ``check()`` (REST calls) until it returns something truthy."""
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.2)


@pytest.fixture
def console(browser, server, database_url, request):
    """A fresh browser context on the served console; fails the test if the page reaches for
    anything outside the server or throws a JavaScript error."""
    origin = server.removesuffix("/engine-rest")
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    outside: list[str] = []
    errors: list[str] = []

    def only_the_server(route):
        if route.request.url.startswith(f"{origin}/"):
            route.fallback()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_server)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    yield Console(page, server, name, database_url.split(":", 1)[0].split("+", 1)[0])
    context.close()
    assert outside == [], "the console fetched something from outside the server"
    assert errors == [], "the console threw JavaScript errors"
