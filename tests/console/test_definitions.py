"""Process definitions in the console: the list with counts, the diagram with count badges."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.conftest import model_path


def _failed_job_settled(console, definition_id):
    """The charge task's job has used up its retries (a failed job and an incident)."""
    statistics = console.rest.get(f"/process-definition/{definition_id}/statistics",
                                  params={"failedJobs": "true", "incidents": "true"}).json()
    return any(s["id"] == "charge" and s["failedJobs"] == 1 and s["incidents"] for s in statistics)


def test_definition_list_shows_every_version_with_its_counts(console):
    """The list shows key, name and version of each definition with its instances, failed jobs
    and incidents."""
    first = console.deploy()
    second = console.deploy()
    for n in range(3):
        console.start(business_key=f"order-{n}")
    console.start(business_key="declined", chargeFirst=True)
    console.wait_for(lambda: _failed_job_settled(console, second), "the charge job to fail")

    console.open("/definitions")
    latest = console.page.locator(f'tr[data-definition-id="{second}"]')
    expect(latest.locator("td").nth(0)).to_have_text("consoleOrder")
    expect(latest.locator("td").nth(1)).to_have_text("Console order")
    expect(latest.locator('[data-col="version"]')).to_have_text("2")
    expect(latest.locator('[data-col="instances"]')).to_have_text("4")
    expect(latest.locator('[data-col="failed-jobs"]')).to_have_text("1")
    expect(latest.locator('[data-col="incidents"]')).to_have_text("1")
    older = console.page.locator(f'tr[data-definition-id="{first}"]')
    expect(older.locator('[data-col="version"]')).to_have_text("1")
    expect(older.locator('[data-col="instances"]')).to_have_text("0")
    rows = console.page.locator("table.definitions tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-definition-id", second)  # newest version first
    console.screenshot("definitions")

    latest.locator("a", has_text="consoleOrder").click()
    expect(console.page.locator("h1")).to_have_text("Console order version 2")
    expect(console.page.locator(".facts")).to_contain_text(second)


def test_diagram_shows_instances_failed_jobs_and_incidents_on_each_activity(console):
    """The definition page draws the model and puts the counts of activity statistics as
    badges on the activities, from the shapes' bounds; a table repeats them."""
    definition_id = console.deploy()
    for n in range(3):
        console.start(business_key=f"order-{n}")
    console.start(business_key="declined", chargeFirst=True)
    console.wait_for(lambda: _failed_job_settled(console, definition_id), "the charge job to fail")

    console.open(f"/definitions/{definition_id}")
    page = console.page
    expect(page.locator("h1")).to_contain_text("Console order")
    badge = page.locator('.badge-instances[data-activity-id="review"]')
    expect(badge.locator("text")).to_have_text("3")
    expect(page.locator('.badge-instances[data-activity-id="charge"] text')).to_have_text("1")
    expect(page.locator('.badge-failed-jobs[data-activity-id="charge"] text')).to_have_text("1")
    expect(page.locator('.badge-incidents[data-activity-id="charge"] text')).to_have_text("1")
    expect(page.locator('.badge-failed-jobs[data-activity-id="review"]')).to_have_count(0)
    expect(page.locator('.badge[data-activity-id="approve"]')).to_have_count(0)

    shape = page.locator('g.mb-shape[data-element-id="review"]').bounding_box()
    drawn = badge.bounding_box()
    # bottom-left corner of the task: overlapping its lower edge, starting at its left edge
    assert shape["x"] - drawn["width"] < drawn["x"] < shape["x"] + shape["width"] / 2
    assert drawn["y"] < shape["y"] + shape["height"] < drawn["y"] + drawn["height"]

    review = page.locator('table.activities tr[data-activity-id="review"]')
    expect(review.locator("td").nth(1)).to_have_text("Review order")
    expect(review.locator('[data-col="instances"]')).to_have_text("3")
    charge = page.locator('table.activities tr[data-activity-id="charge"]')
    expect(charge.locator('[data-col="failed-jobs"]')).to_have_text("1")
    expect(charge.locator('[data-col="incidents"]')).to_have_text("1")
    console.screenshot("definition")

    # the counts follow the instances: one review completes, its instance moves to approve
    [task] = console.rest.get("/task", params={"taskDefinitionKey": "review", "maxResults": 1}).json()
    assert console.rest.post(f"/task/{task['id']}/complete", json={}).status_code == 204
    expect(badge.locator("text")).to_have_text("2")
    expect(page.locator('.badge-instances[data-activity-id="approve"] text')).to_have_text("1")


def test_model_without_diagram_lists_its_activities(console):
    """A model without BPMN DI gets a notice instead of a drawing, and its activity table."""
    xml = model_path("oneTaskProcess.bpmn20.xml").read_text(encoding="utf-8")
    definition_id = console.deploy(xml, name="oneTaskProcess.bpmn20.xml")
    console.start("oneTaskProcess")

    console.open(f"/definitions/{definition_id}")
    expect(console.page.locator(".diagram-missing")).to_contain_text("no BPMN DI")
    row = console.page.locator('table.activities tr[data-activity-id="theTask"]')
    expect(row.locator('[data-col="instances"]')).to_have_text("1")
    console.screenshot("definition-without-di")
