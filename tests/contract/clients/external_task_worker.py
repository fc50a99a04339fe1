"""Run inside the camunda-external-task-client-python3 venv: a real worker on the bpmn error example.

Usage: external_task_worker.py BASE_URL EXPECTED_ACTIONS

Each process instance carries a `scenario` variable that tells VALIDATE_IMAGE what to do:
approve (complete), invalid / poor (BPMN errors INVALID_IMAGE / POOR_QUALITY_IMAGE, caught by the
boundary events), flaky (one failure with retries, then complete), broken (failures until the
retries run out). APPROVE_IMAGE and REJECT_IMAGE are completed; ENHANCE_IMAGE_QUALITY is left
waiting. The worker uses the library's own fetch-and-lock (its default config: long polling with
asyncResponseTimeout 30000, maxTasks 1, lockDuration 300000) until it has acted EXPECTED_ACTIONS
times, then checks that an empty long poll waits for its timeout, and prints OK.
"""

from __future__ import annotations

import sys
import time

from camunda.external_task.external_task_worker import ExternalTaskWorker, NoExternalTaskFound

base_url, expected = sys.argv[1], int(sys.argv[2])
TOPICS = ["VALIDATE_IMAGE", "APPROVE_IMAGE", "REJECT_IMAGE"]
actions: list[str] = []
attempts: dict[str, int] = {}


def handle(task):
    topic, scenario = task.get_topic_name(), task.get_variable("scenario")
    actions.append(f"{topic}:{scenario}")
    if topic != "VALIDATE_IMAGE":
        return task.complete({f"{topic.lower()}_done": True})
    attempts[task.get_task_id()] = attempts.get(task.get_task_id(), 0) + 1
    if scenario == "approve":
        return task.complete({"validated": True}, {"validator": "worker-1"})
    if scenario == "invalid":
        return task.bpmn_error("INVALID_IMAGE", "not a JPEG", {"checked": True})
    if scenario == "poor":
        return task.bpmn_error("POOR_QUALITY_IMAGE", "too dark")
    if scenario == "flaky" and attempts[task.get_task_id()] == 1:
        return task.failure("image service timed out", "TimeoutError: 30 s", max_retries=3,
                            retry_timeout=100)
    if scenario == "flaky":
        return task.complete({"validated": True})
    return task.failure("image is corrupt", "ValueError: bad header", max_retries=1,
                        retry_timeout=100)


worker = ExternalTaskWorker("worker-1", base_url, {"sleepSeconds": 0, "isDebug": True})
deadline = time.monotonic() + 240
while len(actions) < expected:
    if time.monotonic() > deadline:
        sys.exit(f"only {len(actions)} of {expected} actions before the deadline: {actions}")
    try:
        worker.fetch_and_execute(TOPICS, handle)
    except NoExternalTaskFound:
        pass

# long polling: an empty answer only after the timeout
idle = ExternalTaskWorker("worker-2", base_url, {"asyncResponseTimeout": 1500})
started = time.monotonic()
assert idle.client.fetch_and_lock(["NO_SUCH_TOPIC"]) == []
waited = time.monotonic() - started
assert waited >= 1.5, waited
print(f"OK: {len(actions)} actions: {sorted(actions)}; empty long poll waited {waited:.1f} s")
