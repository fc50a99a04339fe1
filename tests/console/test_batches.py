"""Batches in the console: the running and completed lists, one batch's items, failed jobs
with stack traces, incidents, and suspend, resume, retry and delete."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect


def _failing_batch(console):
    """A batch over two waiting instances and a deleted one: its one execution job fails (the
    deleted instance cannot be modified) until its retries are used up."""
    definition_id = console.deploy()
    waiting = [console.start(business_key=f"order-{n}") for n in range(2)]
    gone = console.start(business_key="cancelled")
    assert console.rest.delete(f"/process-instance/{gone}").status_code == 204
    response = console.rest.post("/modification/executeAsync", json={
        "processDefinitionId": definition_id, "processInstanceIds": [*waiting, gone],
        "instructions": [{"type": "cancel", "activityId": "review"},
                         {"type": "startBeforeActivity", "activityId": "approve"}],
        "annotation": "console test"})
    assert response.status_code == 200, response.text
    batch = response.json()
    console.wait_for(lambda: _statistics(console, batch["id"])["failedJobs"] == 1,
                     "the execution job to use up its retries")
    return batch, gone


def _statistics(console, batch_id):
    [statistics] = console.rest.get("/batch/statistics", params={"batchId": batch_id}).json()
    return statistics


def _failed_job(console, batch):
    [job] = console.rest.get("/job", params={"jobDefinitionId": batch["batchJobDefinitionId"]}).json()
    return job


def test_batch_list_shows_running_and_completed_batches(console):
    """Running batches show their progress and failed jobs, completed ones come from the
    history; the list refreshes by itself."""
    failing, _gone = _failing_batch(console)
    console.open("/batches")
    page = console.page
    running = page.locator(f'table.running tr[data-batch-id="{failing["id"]}"]')
    expect(running.locator('[data-col="failed-jobs"]')).to_have_text("1")
    expect(running.locator('[data-col="remaining"]')).to_have_text("1")
    expect(running.locator('[data-col="state"]')).to_have_text("failed jobs")
    expect(running.locator(".progress-label")).to_have_text("0 / 1 jobs (0%)")
    expect(page.locator("table.completed")).to_have_count(0)

    # a second batch appears while the page is open, runs and moves to the completed list
    instance = console.start(business_key="quick")
    response = console.rest.post("/modification/executeAsync", json={
        "processDefinitionId": _definition_of(console, instance),
        "processInstanceIds": [instance],
        "instructions": [{"type": "startBeforeActivity", "activityId": "approve"}]})
    assert response.status_code == 200, response.text
    completed = page.locator(f'table.completed tr[data-batch-id="{response.json()["id"]}"]')
    expect(completed).to_have_count(1)
    expect(completed.locator("td").nth(1)).to_have_text("instance-modification")
    console.screenshot("batches")
    completed.locator("a").click()
    expect(page.locator('[data-field="state"]')).to_have_text("completed")
    expect(page.locator('table.items-table tr[data-status="modified"]')).to_have_count(1)
    console.screenshot("batch-historic")


def _definition_of(console, instance_id):
    return console.rest.get(f"/process-instance/{instance_id}").json()["definitionId"]


def test_batch_page_shows_failures_and_its_controls_work(console):
    """The batch page shows the failed item with its message, the failed job with its exception
    and stack trace, and the incident; suspend, retry, resume and delete act on the server."""
    batch, gone = _failing_batch(console)
    console.open(f"/batches/{batch['id']}")
    page = console.page
    expect(page.locator('[data-field="state"]')).to_have_text("failed jobs")
    expect(page.locator('[data-field="jobs"]')).to_contain_text("0 completed, 1 remaining, 1 failed")

    page.locator('button.tab[data-status="failed"]').click()
    failed_item = page.locator(f'table.items-table tr[data-process-instance-id="{gone}"]')
    expect(failed_item.locator("td.message")).to_contain_text(
        f"ENGINE-13036 Process instance '{gone}' cannot be modified")
    expect(page.locator("table.items-table tbody tr")).to_have_count(1)

    job = _failed_job(console, batch)
    job_row = page.locator(f'table.failed-jobs-table tr[data-job-id="{job["id"]}"]')
    expect(job_row.locator('[data-col="retries"]')).to_have_text("0")
    expect(job_row.locator("td.message")).to_contain_text("ENGINE-13036")
    job_row.get_by_role("button", name="Show stack trace").click()
    trace = console.rest.get(f"/job/{job['id']}/stacktrace").text
    stacktrace = page.locator(f'tr[data-stacktrace-of="{job["id"]}"] pre.stacktrace')
    expect(stacktrace).to_be_visible()
    expect(stacktrace).to_contain_text(trace.splitlines()[0])
    incident = page.locator("table.incidents-table tbody tr")
    expect(incident).to_have_count(1)
    expect(incident.locator("td").nth(1)).to_have_text("failedJob")
    expect(incident.locator("td.message")).to_contain_text("ENGINE-13036")
    console.screenshot("batch-failed")

    page.get_by_role("button", name="Suspend").click()
    expect(page.locator('[data-field="state"]')).to_have_text("suspended")
    assert console.rest.get(f"/batch/{batch['id']}").json()["suspended"] is True

    # retried while suspended: the job keeps its new retry until the batch resumes
    page.get_by_role("button", name="Retry failed jobs").click()
    expect(job_row.locator('[data-col="retries"]')).to_have_text("1")
    assert _failed_job(console, batch)["retries"] == 1
    expect(page.locator('[data-field="jobs"]')).to_contain_text("0 failed")
    expect(page.get_by_role("button", name="Retry failed jobs")).to_be_disabled()
    console.screenshot("batch-suspended")

    page.get_by_role("button", name="Resume").click()
    expect(page.get_by_role("button", name="Suspend")).to_be_visible()
    assert console.rest.get(f"/batch/{batch['id']}").json()["suspended"] is False
    # the deleted instance still cannot be modified: the job fails again, down to 0 retries
    expect(job_row.locator('[data-col="retries"]')).to_have_text("0")
    expect(page.locator('[data-field="state"]')).to_have_text("failed jobs")

    page.get_by_role("button", name="Delete").click()
    expect(page.locator("dialog#confirm")).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text(batch["id"])
    console.screenshot("batch-delete-confirm")
    page.get_by_role("button", name="Delete batch").click()
    expect(page.locator("h1")).to_have_text("Batches")
    assert console.rest.get(f"/batch/{batch['id']}").status_code == 404
    assert console.rest.get(f"/history/batch/{batch['id']}").status_code == 404
    expect(page.locator(f'tr[data-batch-id="{batch["id"]}"]')).to_have_count(0)


def test_delete_can_be_cancelled(console):
    """Cancelling the confirmation keeps the batch."""
    batch, _gone = _failing_batch(console)
    console.open(f"/batches/{batch['id']}")
    page = console.page
    page.get_by_role("button", name="Delete").click()
    page.locator("dialog#confirm").get_by_role("button", name="Cancel").click()
    expect(page.locator("dialog#confirm")).to_be_hidden()
    expect(page.locator('[data-field="state"]')).to_have_text("failed jobs")
    assert console.rest.get(f"/batch/{batch['id']}").status_code == 200


def test_items_are_paged(console):
    """A completed batch's items come from the history, 50 to a page."""
    definition_id = console.deploy()
    instances = [console.start(business_key=f"order-{n}") for n in range(60)]
    response = console.rest.post("/modification/executeAsync", json={
        "processDefinitionId": definition_id, "processInstanceIds": instances,
        "instructions": [{"type": "cancel", "activityId": "review"},
                         {"type": "startBeforeActivity", "activityId": "approve"}]})
    assert response.status_code == 200, response.text
    batch_id = response.json()["id"]
    console.wait_for(lambda: console.rest.get(f"/history/batch/{batch_id}").json()["endTime"],
                     "the batch to complete")

    console.open(f"/batches/{batch_id}")
    page = console.page
    rows = page.locator("table.items-table tbody tr")
    expect(page.locator(".pager span")).to_have_text("1–50 of 60")
    expect(rows).to_have_count(50)
    page.get_by_role("button", name="Next ›").click()
    expect(page.locator(".pager span")).to_have_text("51–60 of 60")
    expect(rows).to_have_count(10)
    expect(page.get_by_role("button", name="Next ›")).to_be_disabled()
    shown = rows.evaluate_all("rows => rows.map(r => r.dataset.processInstanceId)")
    page.get_by_role("button", name="‹ Previous").click()
    expect(page.locator(".pager span")).to_have_text("1–50 of 60")
    shown += rows.evaluate_all("rows => rows.map(r => r.dataset.processInstanceId)")
    assert sorted(shown) == sorted(instances)
    page.locator('button.tab[data-status="failed"]').click()
    expect(page.locator(".items-body")).to_contain_text("No item in this state.")
    console.screenshot("batch-items-paged")


def test_unknown_batch_says_so(console):
    """A batch id that is neither running nor in the history gets a plain answer."""
    console.open("/batches/no-such-batch")
    expect(console.page.locator("h1")).to_have_text("No such batch")
    expect(console.page.locator("main")).to_contain_text("no-such-batch")
    console.screenshot("batch-unknown")


@pytest.fixture
def stepped_console(monkeypatch, request):
    """The console on a server without job executor that puts one instance in each execution
    job: the test executes the batch's jobs one by one over REST."""
    monkeypatch.setenv("MODBATCH_JOB_EXECUTOR", "false")
    monkeypatch.setenv("MODBATCH_INVOCATIONS_PER_BATCH_JOB", "1")
    return request.getfixturevalue("console")  # the server starts after the settings are set


def test_batch_list_follows_progress_live(stepped_console):
    """Each execution job done moves the progress bar of the open list, without a reload, until
    the batch moves to the completed list."""
    console = stepped_console
    definition_id = console.deploy()
    instances = [console.start(business_key=f"order-{n}") for n in range(3)]
    response = console.rest.post("/modification/executeAsync", json={
        "processDefinitionId": definition_id, "processInstanceIds": instances,
        "instructions": [{"type": "startBeforeActivity", "activityId": "approve"}]})
    assert response.status_code == 200, response.text
    batch = response.json()
    console.open("/batches")
    page = console.page
    row = page.locator(f'table.running tr[data-batch-id="{batch["id"]}"]')
    expect(row.locator(".progress-label")).to_have_text("0 / 3 jobs (0%)")
    expect(row.locator('[data-col="state"]')).to_have_text("running")

    def execute(definition_id):
        jobs = console.rest.get("/job", params={"jobDefinitionId": definition_id}).json()
        assert console.rest.post(f"/job/{jobs[0]['id']}/execute").status_code == 204
        return jobs

    execute(batch["seedJobDefinitionId"])
    for done in (1, 2, 3):
        execute(batch["batchJobDefinitionId"])
        expect(row.locator(".progress-label")).to_have_text(f"{done} / 3 jobs ({100 * done // 3}%)")
        expect(row.locator('[data-col="remaining"]')).to_have_text(str(3 - done))
        if done == 2:
            console.screenshot("batches-progress")
    execute(batch["monitorJobDefinitionId"])
    expect(row).to_have_count(0)
    expect(page.locator(f'table.completed tr[data-batch-id="{batch["id"]}"]')).to_have_count(1)
