"""The modification view: instructions picked on the diagram, instances narrowed by filters,
a preview from the dry run, then executeAsync and the new batch's page."""

from __future__ import annotations

from playwright.sync_api import expect


def test_pick_on_diagram_preview_and_submit(console):
    """Cancel review and start before approve for the instances with amount > 150: the preview
    counts and lists them with the sample's changes, Submit creates the batch and shows it."""
    definition_id = console.deploy()
    small = console.start(business_key="order-100", amount=100)
    large = sorted([console.start(business_key="order-200", amount=200),
                    console.start(business_key="order-300", amount=300)])

    console.open(f"/definitions/{definition_id}/modify")
    page = console.page
    expect(page.locator('.badge-instances[data-activity-id="review"] text')).to_have_text("3")
    page.locator('g.mb-shape[data-element-id="review"]').click()
    page.get_by_label("a target: start before it").check()
    page.get_by_role("button", name="Approve order (approve)").press("Enter")  # by keyboard
    instructions = page.locator("li.instruction")
    expect(instructions).to_have_count(2)
    expect(instructions.nth(0)).to_have_attribute("data-type", "cancel")
    expect(instructions.nth(0)).to_have_attribute("data-activity-id", "review")
    expect(instructions.nth(1)).to_have_attribute("data-type", "startBeforeActivity")
    expect(instructions.nth(1)).to_have_attribute("data-activity-id", "approve")
    expect(page.locator('.selected-source[data-activity-id="review"]')).to_have_count(1)
    expect(page.locator('.selected-target[data-activity-id="approve"]')).to_have_count(1)

    page.locator("button.add-variable").click()
    page.get_by_label("Variable name").fill("amount")
    page.get_by_label("Operator").select_option("gt")
    page.get_by_label("Variable value").fill("150")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview-count strong")).to_have_text("2")
    expect(page.locator(".preview-count")).to_contain_text("2 instances would be modified")
    page.locator(".preview-ids summary").click()
    expect(page.locator(".preview-ids li")).to_have_text(large)
    sample = page.locator("table.sample tbody tr")
    expect(sample).to_have_count(2)
    for row in (sample.nth(0), sample.nth(1)):
        expect(row.locator('.cancelled [data-activity-id="review"]')).to_have_count(1)
        expect(row.locator('.started [data-activity-id="approve"]')).to_have_count(1)
    console.screenshot("modify-preview")

    # instance ids and the business key narrow further
    page.locator("textarea[name=processInstanceIds]").fill(f"{large[0]}\n{small}")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator(".preview-count strong")).to_have_text("1")
    expect(page.locator(".preview-count")).to_contain_text("1 instance would be modified")
    page.locator("textarea[name=processInstanceIds]").fill("")
    page.locator("input[name=businessKey]").fill("order-100")
    page.get_by_role("button", name="Preview").click()
    # order-100 has amount 100: nothing selected, which executeAsync refuses
    expect(page.locator('.preview[data-state="error"]')).to_contain_text(
        "executeAsync would refuse this request: Process instance ids cannot be empty")
    page.locator("input[name=businessKey]").fill("")

    page.locator("input[name=annotation]").fill("approve the large orders")
    page.locator("input[name=skipIoMappings]").check()
    with page.expect_request("**/engine-rest/modification/executeAsync") as submitted:
        page.get_by_role("button", name="Submit").click()
    body = submitted.value.post_data_json
    assert body["annotation"] == "approve the large orders"
    assert body["skipIoMappings"] is True and body["skipCustomListeners"] is False
    assert body["instructions"] == [{"type": "cancel", "activityId": "review"},
                                    {"type": "startBeforeActivity", "activityId": "approve"}]

    expect(page.locator("h1")).to_contain_text("Batch")
    batch_id = page.locator("h1 .mono").inner_text()
    expect(page.locator('[data-field="state"]')).to_have_text("completed")
    expect(page.locator('table.items-table tr[data-status="modified"]')).to_have_count(2)
    console.screenshot("batch-completed")
    assert console.rest.get(f"/history/batch/{batch_id}").json()["endTime"] is not None
    assert console.instances_at("approve") == large
    assert console.instances_at("review") == [small]
