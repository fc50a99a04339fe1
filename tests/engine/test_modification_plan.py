"""The compiled modification plan: which instruction lists it takes, and optimistic locking.

That its rows equal the general runtime's is shown over REST in tests/api/test_batch_plan.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from modbatch.engine import modification_plan
from modbatch.engine.modification import Instruction
from modbatch.engine.persistence import OptimisticLockingError
from modbatch.store.database import serialises_writers
from modbatch.store.tables import ProcessInstance
from tests.engine.test_runtime import inline, start

USER_TASKS = ('<startEvent id="start"/><userTask id="a"/><userTask id="b"/><endEvent id="end"/>'
              '<sequenceFlow id="f1" sourceRef="start" targetRef="a"/>'
              '<sequenceFlow id="f2" sourceRef="a" targetRef="b"/>'
              '<sequenceFlow id="f3" sourceRef="b" targetRef="end"/>')
MOVE = [Instruction("cancel", activity_id="a"), Instruction("startBeforeActivity", activity_id="b")]


def plan(engine, definition, instructions, **skips):
    with engine.transaction() as session:
        return modification_plan.compile_plan(
            definition.id, modification_plan.repository.model_for(session, definition),
            instructions, skip_io_mappings=skips.get("io", False),
            skip_custom_listeners=skips.get("listeners", False))


@pytest.mark.parametrize("body, compiled", [
    (USER_TASKS, True),
    (USER_TASKS.replace('<userTask id="b"/>', '<userTask id="b" camunda:assignee="${who}"/>'), False),
    (USER_TASKS.replace('<userTask id="b"/>', '<userTask id="b" camunda:asyncBefore="true"/>'), False),
    (USER_TASKS.replace('<userTask id="a"/>', '<userTask id="a"><extensionElements>'
                        '<camunda:executionListener event="end" expression="${true}"/>'
                        '</extensionElements></userTask>'), False),
    (USER_TASKS.replace('<endEvent id="end"/>', '<endEvent id="end"/><boundaryEvent id="t" '
                        'attachedToRef="a"><timerEventDefinition><timeDuration>PT1H</timeDuration>'
                        '</timerEventDefinition></boundaryEvent>'), False),
    (USER_TASKS.replace('<userTask id="b"/>', '<subProcess id="b"><startEvent id="s"/></subProcess>'),
     False),
], ids=["user tasks", "assignee expression", "async", "end listener", "boundary event",
        "sub-process"])
def test_the_plan_takes_only_plain_user_tasks_of_the_process_scope(engine, body, compiled):
    """Anything that runs code or owns more than a task on entering or cancelling needs the
    runtime: expressions, async continuations, listeners, boundary events, scopes."""
    definition = inline(engine, "planned", body)
    assert (plan(engine, definition, MOVE) is not None) is compiled


def test_skipped_listeners_leave_the_plan_applicable(engine):
    """skipCustomListeners makes a listener irrelevant, so the plan applies again."""
    definition = inline(engine, "planned", USER_TASKS.replace(
        '<userTask id="a"/>', '<userTask id="a"><extensionElements><camunda:executionListener '
        'event="end" expression="${true}"/></extensionElements></userTask>'))
    assert plan(engine, definition, MOVE, listeners=True) is not None


def test_a_concurrent_change_fails_the_planned_modification(engine, monkeypatch):
    """Where writers run concurrently (PostgreSQL) an instance changed by another transaction
    between the plan's load and its write fails it as Camunda's OptimisticLockingException."""
    if serialises_writers(engine.database.engine):
        pytest.skip("SQLite runs one writer at a time: no other transaction can change it")
    definition = inline(engine, "planned", USER_TASKS)
    pid = start(engine, definition)
    load = modification_plan.Raw.rows_in

    def load_then_concurrent_change(raw, statement, ids, before=()):
        rows = load(raw, statement, ids, before)
        if statement == modification_plan.LOAD_INSTANCES:
            with engine.database.engine.begin() as other:
                other.execute(text("UPDATE process_instance SET revision = revision + 1 "
                                   "WHERE id = :id"), {"id": pid})
        return rows

    monkeypatch.setattr(modification_plan.Raw, "rows_in", load_then_concurrent_change)
    compiled = plan(engine, definition, MOVE)
    with pytest.raises(OptimisticLockingError), engine.transaction() as session:
        modification_plan.apply(session, compiled, [pid])


def test_the_plan_bumps_the_revision_only_where_writers_run_concurrently(engine):
    """PostgreSQL: a planned modification counts as a change for optimistic locking; SQLite
    writes no revision at all (nothing could have read it concurrently)."""
    definition = inline(engine, "planned", USER_TASKS)
    pid = start(engine, definition)
    with engine.transaction() as session:
        before = session.execute(select(ProcessInstance.revision).where(
            ProcessInstance.id == pid)).scalar_one()
        modification_plan.apply(session, plan(engine, definition, MOVE), [pid])
    with engine.transaction() as session:
        after = session.execute(select(ProcessInstance.revision).where(
            ProcessInstance.id == pid)).scalar_one()
    assert after == before + (0 if serialises_writers(engine.database.engine) else 1)
