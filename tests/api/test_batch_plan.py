"""The compiled plan for batches that move tokens between user tasks writes what the runtime writes.

Each test builds instances in several states, copies the database, runs the same batch on both
copies (once with the plan, once with the plan switched off so that every instance takes the
general runtime) and compares everything the REST API shows about those same instances: the
activity-instance tree, tasks, variables, historic activity and variable instances, the historic
process instance and the batch's items. Ids created by the batch are random on each side; they
are replaced by labels in the order they first appear.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime

import pytest

from modbatch.engine import batches, clock, instances, modification, modification_plan, repository, tasks
from modbatch.engine.modification import Instruction, ModificationRequest
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.engine.variables import TypedValue
from modbatch.settings import Settings
from modbatch.store.tables import Task

NOW = datetime(2026, 12, 1, 10, 0, 0)
XML = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
             xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="plan">
  <process id="planned" isExecutable="true">
    <startEvent id="start"/><sequenceFlow id="toFork" sourceRef="start" targetRef="fork"/>
    <parallelGateway id="fork"/>
    <sequenceFlow id="toA" sourceRef="fork" targetRef="A"/>
    <sequenceFlow id="toC" sourceRef="fork" targetRef="C"/>
    <userTask id="A" name="Task A" camunda:assignee="demo"/>
    <sequenceFlow id="toB" sourceRef="A" targetRef="B"/>
    <userTask id="B" name="Task B"/>
    <sequenceFlow id="toEnd1" sourceRef="B" targetRef="end1"/><endEvent id="end1"/>
    <userTask id="C"/>
    <sequenceFlow id="toEnd2" sourceRef="C" targetRef="end2"/><endEvent id="end2"/>
  </process>
</definitions>"""
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def cancel(activity_id: str, current: bool = False) -> Instruction:
    return Instruction("cancel", activity_id=activity_id,
                       cancel_current_active_activity_instances=current)


# instruction lists the plan compiles; the last one ends some instances (those take the runtime)
CASES = {
    "move": [cancel("A"), Instruction("startBeforeActivity", activity_id="B")],
    "start-then-cancel": [Instruction("startBeforeActivity", activity_id="B"), cancel("B")],
    "current-after-transition": [cancel("A", current=True),
                                 Instruction("startAfterActivity", activity_id="A"),
                                 Instruction("startTransition", transition_id="toC"),
                                 Instruction("startBeforeActivity", activity_id="A")],
    "cancel-everything-but-B": [cancel("A"), cancel("C")],
}


def build_instances(engine) -> tuple[str, dict[str, str]]:
    """One instance per state the plan must handle; returns (definition id, {state: id})."""
    with engine.transaction() as session:
        [definition] = repository.deploy(session, name="plan", source=None, tenant_id=None,
                                         resources=[("plan.bpmn", XML.encode())],
                                         max_resource_bytes=1 << 20).definitions

    def start(**variables) -> str:
        with engine.transaction() as session:
            return instances.start(session, definition, business_key="b", variables={
                name: TypedValue("Integer", value) for name, value in variables.items()}).state.id

    def complete(pid: str, activity_id: str) -> None:
        with engine.transaction() as session:
            [task] = session.query(Task).filter_by(process_instance_id=pid,
                                                   task_definition_key=activity_id).all()
            tasks.complete(session, task.id, {})

    ids = {"fresh": start(amount=5), "A done": start(), "doubled A": start(), "suspended": start(),
           "C done": start(amount=7)}
    complete(ids["A done"], "A")
    complete(ids["C done"], "C")
    with engine.transaction() as session:
        modification.modify_single(session, ids["doubled A"], [Instruction(
            "startBeforeActivity", activity_id="A",
            variables={"note": (TypedValue("String", "local"), True),
                       "shared": (TypedValue("String", "global"), False)})],
            skip_io_mappings=False)
        instances.set_suspended(session, ids["suspended"], True)
    return definition.id, ids


def run_batch(engine, definition_id: str, instance_ids: list[str],
              instructions: list[Instruction]) -> str:
    with engine.transaction() as session:
        batch = batches.create_modification_batch(session, ModificationRequest(
            process_definition_id=definition_id, instructions=instructions,
            instance_ids=instance_ids, skip_custom_listeners=False, skip_io_mappings=False,
            annotation=None), engine.settings, tenant_id=None, deployment_id=None)
    engine.job_executor.run_until_idle()
    return batch.id


def reads(client, instance_ids: list[str], batch_id: str) -> dict:
    """What the REST API shows about the instances and the batch."""
    def get(path: str, **params):
        response = client.get(f"/engine-rest{path}", params=params)
        assert response.headers["content-type"].startswith("application/json")
        return response.status_code, response.json()

    shown = {}
    for pid in instance_ids:
        shown[pid] = {
            # first: the order in which labels are handed out is the order activities started
            "historic activities": get("/history/activity-instance", processInstanceId=pid,
                                       sortBy="occurrence", sortOrder="asc"),
            "tree": get(f"/process-instance/{pid}/activity-instances"),
            "instance": get(f"/process-instance/{pid}"),
            "tasks": get("/task", processInstanceId=pid),
            "variables": get("/variable-instance", processInstanceIdIn=pid),
            "historic variables": get("/history/variable-instance", processInstanceId=pid),
            "historic instance": get(f"/history/process-instance/{pid}"),
        }
    shown["items"] = get(f"/history/batch/{batch_id}/items")
    shown["historic batch"] = get(f"/history/batch/{batch_id}")
    return shown


def normalised(shown: dict, known: set[str], batch_id: str) -> dict:
    """Ids that did not exist before the batch become labels in order of appearance; lists are
    compared as sets of records (their order follows the random ids)."""
    labels: dict[str, str] = {batch_id: "batch"}

    def label(match: re.Match) -> str:
        uuid = match.group(0)
        if uuid in known:
            return uuid
        return labels.setdefault(uuid, f"<new {len(labels)}>")

    def walk(value):
        if isinstance(value, str):
            return UUID.sub(label, value)
        if isinstance(value, dict):
            return {key: walk(value[key]) for key in value}
        if isinstance(value, list):
            items = [walk(item) for item in value]
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
        if isinstance(value, tuple):
            return tuple(walk(item) for item in value)
        return value

    return walk(shown)


@pytest.mark.parametrize("case", list(CASES))
def test_plan_and_runtime_leave_the_same_rows(case, shared_app, databases, tmp_path, monkeypatch):
    """The plan's rows read back exactly like the general runtime's for the same instances."""
    clock.pin(NOW)
    original = databases.fresh(tmp_path)
    copied = None
    try:
        settings = Settings(database_url=original, job_executor=False, invocations_per_batch_job=2)
        engine = ProcessEngine(settings)
        install(engine)
        definition_id, ids = build_instances(engine)
        shared_app.engine = engine
        before = reads(shared_app.test_client(), list(ids.values()), "none")
        engine.close()
        known = set(UUID.findall(json.dumps(before)))
        copied = databases.copy(original, tmp_path)

        planned_ids: list[str] = []
        apply = modification_plan.apply

        def spy(session, plan, instance_ids):
            modified, left = apply(session, plan, instance_ids)
            planned_ids.extend(modified)
            return modified, left

        monkeypatch.setattr(modification_plan, "apply", spy)
        results = {}
        for path, url in (("plan", original), ("runtime", copied)):
            if path == "runtime":
                monkeypatch.setattr(modification_plan, "plan_for", lambda *a, **k: None)
            engine = ProcessEngine(replace(settings, database_url=url))
            install(engine)
            shared_app.engine = engine
            batch_id = run_batch(engine, definition_id, [*ids.values(), "missing"], CASES[case])
            results[path] = normalised(reads(shared_app.test_client(), list(ids.values()), batch_id),
                                       known, batch_id)
            engine.close()
    finally:
        clock.pin(None)
        databases.drop(original)
        if copied is not None:
            databases.drop(copied)

    for key in results["plan"]:
        assert results["plan"][key] == results["runtime"][key], key
    # the plan did the work wherever the instance keeps a token; the runtime ended the others
    ended = {name for name, pid in ids.items()
             if results["plan"][pid]["instance"][0] == 404}
    assert {name for name, pid in ids.items() if pid in planned_ids} == set(ids) - ended
    assert planned_ids
    status, items = results["plan"]["items"]
    assert status == 200
    assert sorted((item["processInstanceId"], item["status"]) for item in items) == sorted(
        [(pid, "modified") for pid in ids.values()] + [("missing", "failed")])
