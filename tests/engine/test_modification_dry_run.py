"""The dry run of executeAsync: the batch's selection, a preview of its changes, nothing written.

Each preview is checked against the real thing: the selection against the items of a batch
created afterwards from the same body, the changes against the tree an execution job leaves.
"""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import event, insert, select, text
from sqlmodel import SQLModel

from modbatch.engine import batches, clock, instances, modification, modification_dry_run
from modbatch.engine.runtime import new_id
from modbatch.errors import InvalidRequest
from modbatch.store.tables import BatchItem, ProcessInstance
from tests.engine.test_modification import before as start_before
from tests.engine.test_modification import modify
from tests.engine.test_runtime import complete, inline, start

ORDER = """
<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="review"/>
<userTask id="review" name="Review order"/><sequenceFlow id="f2" sourceRef="review" targetRef="handle"/>
<subProcess id="handle" name="Handle order">
  <startEvent id="handleStart"/><sequenceFlow id="h1" sourceRef="handleStart" targetRef="pack"/>
  <userTask id="pack" name="Pack goods"/><sequenceFlow id="h2" sourceRef="pack" targetRef="handleEnd"/>
  <endEvent id="handleEnd"/>
</subProcess>
<sequenceFlow id="f3" sourceRef="handle" targetRef="ship"/>
<userTask id="ship"/><sequenceFlow id="f4" sourceRef="ship" targetRef="end"/><endEvent id="end"/>"""

REVIEW_TO_SHIP = [{"type": "cancel", "activityId": "review"},
                  {"type": "startBeforeActivity", "activityId": "ship"}]
NEW_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture
def order(engine):
    return inline(engine, "order", ORDER)


def dry_run(engine, dto, **paging):
    with engine.read() as session:
        return modification_dry_run.dry_run(session, dto, **paging)


def body(definition, instructions=REVIEW_TO_SHIP, **selection):
    return {"processDefinitionId": definition.id, "instructions": instructions, **selection}


def batch_items(engine, dto) -> list[str]:
    """The instance ids of a batch created from ``dto`` as executeAsync creates it, in item order."""
    with engine.transaction() as session:
        request = modification.collect_request(session, dto, set_based_query=True)
        batch = batches.create_modification_batch(session, request, engine.settings,
                                                  tenant_id=None, deployment_id=None)
    with engine.read() as session:
        return list(session.execute(select(BatchItem.process_instance_id).where(
            BatchItem.batch_id == batch.id).order_by(BatchItem.seq)).scalars())


def activity_instances(engine, instance_id):
    """(id, activityId, activityName, parent id) of every activity instance, in tree order."""
    with engine.read() as session:
        state = instances.load_one(session, instance_id)
        if state is None:
            return []
        return [(ai.id, ai.activity_id, ai.activity_name, ai.parent_id)
                for ai in sorted(state.activity_instances.values(), key=lambda a: a.seq)]


def run_batch_on(engine, definition, instance_ids, instructions):
    """What one execution job does to these instances (the batch's own code path)."""
    stored = batches.instructions_of({"instructions": instructions})
    with engine.transaction() as session:
        return modification.execute_partial(session, list(instance_ids), stored,
                                            process_definition_id=definition.id,
                                            skip_io_mappings=False)


def changes(item):
    return ([(c.id, c.activity_id, c.activity_name) for c in item.cancelled],
            [(s.activity_id, s.activity_name, s.parent_activity_instance_id) for s in item.started])


def database(engine) -> dict:
    """Every row of every table, in a stable order."""
    with engine.read() as session:
        return {table.name: sorted(tuple(map(repr, row)) for row in
                                   session.execute(select(table)).all())
                for table in SQLModel.metadata.sorted_tables}


# ------------------------------------------------------------------------------- selection
@pytest.mark.parametrize("selection", ["ids", "query", "historicQuery", "mixed"])
def test_the_selection_is_what_the_batch_would_hold(engine, order, selection):
    """Count, the id page and the sample's order equal the items of the batch made from the body."""
    pids = [start(engine, order) for _ in range(5)]
    finished = start(engine, order)
    with engine.transaction() as session:
        instances.delete(session, finished)
    other = inline(engine, "other", ORDER)
    stranger = start(engine, other)
    dto = {
        "ids": body(order, processInstanceIds=[pids[3], pids[1], pids[3], "unknown"]),
        "query": body(order, processInstanceQuery={"processDefinitionId": order.id}),
        "historicQuery": body(order, historicProcessInstanceQuery={"processDefinitionId": order.id}),
        "mixed": body(order, processInstanceIds=[stranger, pids[2]],
                      processInstanceQuery={"processDefinitionId": order.id},
                      historicProcessInstanceQuery={"finished": True}),
    }[selection]
    result = dry_run(engine, dto, max_results=1000, sample_size=50)
    items = batch_items(engine, dto)
    assert result.instance_count == len(items)
    assert result.process_instance_ids == sorted(items)
    assert [s.process_instance_id for s in result.sample] == items
    expected_count = {"ids": 3, "query": 5, "historicQuery": 6, "mixed": 7}[selection]
    assert len(items) == expected_count


def test_the_id_page_and_the_sample_follow_their_parameters(engine, order):
    """processInstanceIds is the firstResult/maxResults page of the sorted ids; the sample the
    first sampleSize in batch order; the count ignores both."""
    pids = sorted(start(engine, order) for _ in range(6))
    given = [pids[5], pids[0], pids[4], pids[1], pids[3], pids[2]]
    result = dry_run(engine, body(order, processInstanceIds=given), first_result=2, max_results=3,
                     sample_size=2)
    assert result.instance_count == 6
    assert result.process_instance_ids == pids[2:5]
    assert [s.process_instance_id for s in result.sample] == given[:2]
    query_only = dry_run(engine, body(order, processInstanceQuery={"processDefinitionId": order.id}),
                         first_result=4, max_results=10, sample_size=0)
    assert (query_only.instance_count, query_only.process_instance_ids, query_only.sample) == (
        6, pids[4:], [])


def test_a_request_executeasync_refuses_is_refused_with_its_message(engine, order):
    """The same validation runs: a query that matches nothing is Camunda's empty-ids error."""
    with pytest.raises(InvalidRequest) as raised:
        dry_run(engine, body(order, processInstanceQuery={"businessKey": "nobody"}))
    assert raised.value.message == ("Process instance ids cannot be empty: Process instance ids "
                                    "is empty")


def test_counting_a_large_query_selection_reads_no_instance_state(engine, order, monkeypatch):
    """A processInstanceQuery alone is counted and paged in SQL; only the sample is loaded."""
    for _ in range(30):
        start(engine, order)
    loaded = []
    real_load = modification_dry_run.persistence.load
    monkeypatch.setattr(modification_dry_run.persistence, "load",
                        lambda session, ids: loaded.append(list(ids)) or real_load(session, ids))
    result = dry_run(engine, body(order, processInstanceQuery={"processDefinitionId": order.id}),
                     max_results=5, sample_size=2)
    assert (result.instance_count, len(result.process_instance_ids)) == (30, 5)
    assert [len(ids) for ids in loaded] == [2]


@pytest.mark.parametrize("selection", ["query", "ids and query"])
def test_a_large_selection_takes_a_fixed_number_of_statements(engine, order, selection):
    """20,000 selected instances: a handful of statements, however many there are."""
    pids = sorted(new_id() for _ in range(20_000))
    with engine.transaction() as session:
        session.execute(insert(ProcessInstance.__table__), [{
            "id": pid, "process_definition_id": order.id, "process_definition_key": "order",
            "start_time": clock.now(), "root_process_instance_id": pid} for pid in pids])
    dto = body(order, processInstanceQuery={"processDefinitionId": order.id},
               **({"processInstanceIds": pids[-3:]} if selection == "ids and query" else {}))
    statements = []
    sqlalchemy_engine = engine.database.read_engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(sqlalchemy_engine, "before_cursor_execute", listener)
    try:
        result = dry_run(engine, dto, first_result=100, max_results=10, sample_size=3)
    finally:
        event.remove(sqlalchemy_engine, "before_cursor_execute", listener)
    assert result.instance_count == 20_000
    assert result.process_instance_ids == pids[100:110]
    assert len(statements) < 25, statements


# ------------------------------------------------------------------------------- sample
def test_a_plain_move_previews_what_the_execution_job_does(engine, order):
    """cancel review + startBefore ship: review's instance goes, ship starts under the process."""
    pid = start(engine, order)
    [(review_id, *_)] = activity_instances(engine, pid)
    [item] = dry_run(engine, body(order, processInstanceIds=[pid])).sample
    assert item.process_instance_id == pid and item.error is None
    assert changes(item) == ([(review_id, "review", "Review order")], [("ship", None, pid)])
    assert re.fullmatch(f"ship:{NEW_ID}", item.started[0].id)
    assert run_batch_on(engine, order, [pid], REVIEW_TO_SHIP).modified == [pid]
    [(_, *shipped)] = activity_instances(engine, pid)
    assert shipped == ["ship", None, pid]


def test_a_cancel_only_instruction_previews_the_cancellation(engine, order):
    """cancel review alone: the one activity instance is cancelled, nothing starts."""
    pid = start(engine, order)
    [(review_id, *_)] = activity_instances(engine, pid)
    [item] = dry_run(engine, body(order, [{"type": "cancel", "activityId": "review"}],
                                  processInstanceIds=[pid])).sample
    assert (changes(item), item.error) == (([(review_id, "review", "Review order")], []), None)


def test_a_start_only_instruction_previews_the_new_activity_instance(engine, order):
    """startBefore ship alone: review stays, ship starts beside it."""
    pid = start(engine, order)
    [item] = dry_run(engine, body(order, [{"type": "startBeforeActivity", "activityId": "ship"}],
                                  processInstanceIds=[pid])).sample
    assert (changes(item), item.error) == (([], [("ship", None, pid)]), None)


def test_moving_into_a_sub_process_starts_the_scope_and_the_task(engine, order):
    """cancel review + startBefore pack: the sub-process instance starts first, pack inside it."""
    pid = start(engine, order)
    [(review_id, *_)] = activity_instances(engine, pid)
    instructions = [{"type": "cancel", "activityId": "review"},
                    {"type": "startBeforeActivity", "activityId": "pack"}]
    [item] = dry_run(engine, body(order, instructions, processInstanceIds=[pid])).sample
    handle_id = item.started[0].id
    assert changes(item) == ([(review_id, "review", "Review order")],
                             [("handle", "Handle order", pid), ("pack", "Pack goods", handle_id)])
    run_batch_on(engine, order, [pid], instructions)
    assert [row[1:] for row in activity_instances(engine, pid)] == [
        ("handle", "Handle order", pid), ("pack", "Pack goods", activity_instances(engine, pid)[0][0])]


def test_moving_out_of_a_sub_process_cancels_the_task_and_its_scope(engine, order):
    """cancel pack + startBefore ship: pack and its emptied sub-process both end, as they do."""
    pid = start(engine, order)
    complete(engine, pid, "review")
    existing = activity_instances(engine, pid)
    assert [row[1] for row in existing] == ["handle", "pack"]
    instructions = [{"type": "cancel", "activityId": "pack"},
                    {"type": "startBeforeActivity", "activityId": "ship"}]
    [item] = dry_run(engine, body(order, instructions, processInstanceIds=[pid])).sample
    assert changes(item) == ([(existing[0][0], "handle", "Handle order"),
                              (existing[1][0], "pack", "Pack goods")], [("ship", None, pid)])
    run_batch_on(engine, order, [pid], instructions)
    assert [row[1:] for row in activity_instances(engine, pid)] == [("ship", None, pid)]


def test_instances_that_cannot_take_the_modification_show_the_batch_items_message(engine, order):
    """An ambiguous scope, a deleted instance and one of another definition fail alone, each
    with the message its batch item records; the others preview their changes."""
    fine, ambiguous, deleted = (start(engine, order) for _ in range(3))
    modify(engine, order, [ambiguous], start_before("handle"), start_before("handle"))
    with engine.transaction() as session:
        instances.delete(session, deleted)
    stranger = start(engine, inline(engine, "other", ORDER))
    instructions = [{"type": "startBeforeActivity", "activityId": "pack"}]
    ids = [fine, ambiguous, deleted, stranger]
    sample = dry_run(engine, body(order, instructions, processInstanceIds=ids)).sample
    [stranger_definition] = {s.process_definition_id for s in [_state(engine, stranger)]}
    expected = {
        ambiguous: ("ProcessEngineException",
                    "Ancestor activity execution is ambiguous for activity Activity(handle)"),
        deleted: ("ProcessEngineException", f"ENGINE-13036 Process instance '{deleted}' cannot "
                  "be modified. The process instance does not exist"),
        stranger: ("ProcessEngineException", f"ENGINE-13037 Process instance '{stranger}' cannot "
                   f"be modified. Its process definition '{stranger_definition}' does not match "
                   f"given process definition '{order.id}'"),
    }
    assert [s.process_instance_id for s in sample] == ids
    assert {s.process_instance_id: s.error for s in sample} == {fine: None, **expected}
    assert all(s.cancelled == [] == s.started for s in sample if s.error)
    assert [a.activity_id for a in sample[0].started] == ["handle", "pack"]
    failed = run_batch_on(engine, order, ids, instructions).failed
    assert failed == {pid: message for pid, (_, message) in expected.items()}


def _state(engine, instance_id):
    with engine.read() as session:
        return instances.load_one(session, instance_id)


# ------------------------------------------------------------------------------- writes nothing
def test_a_dry_run_leaves_every_table_as_it_was(engine, order):
    """Moves, starts in sub-processes, cancellations and failures leave no row, history or job."""
    pids = [start(engine, order) for _ in range(4)]
    complete(engine, pids[0], "review")
    modify(engine, order, [pids[1]], start_before("handle"), start_before("handle"))
    snapshot = database(engine)
    trees = {pid: activity_instances(engine, pid) for pid in pids}
    for instructions in (REVIEW_TO_SHIP, [{"type": "cancel", "activityId": "review"}],
                         [{"type": "cancel", "activityId": "pack"}],
                         [{"type": "startBeforeActivity", "activityId": "pack"}]):
        result = dry_run(engine, body(order, instructions, processInstanceIds=pids + ["gone"],
                                      processInstanceQuery={"processDefinitionId": order.id}),
                         sample_size=50)
        assert len(result.sample) == 5
    assert database(engine) == snapshot
    assert {pid: activity_instances(engine, pid) for pid in pids} == trees
    assert run_batch_on(engine, order, pids[2:3], REVIEW_TO_SHIP).modified == pids[2:3]
    assert database(engine) != snapshot  # the same comparison sees a real modification


def test_the_database_refuses_a_write_during_the_dry_run(engine, order, monkeypatch):
    """Should the runtime ever write, the database refuses it: the instance shows the error."""
    pid = start(engine, order)
    snapshot = database(engine)

    def writing_modify(state, instructions, **_):
        session = writing_modify.session
        session.execute(text("DELETE FROM activity_instance"))

    real_load = modification_dry_run.persistence.load

    def load(session, ids):
        writing_modify.session = session
        return real_load(session, ids)

    monkeypatch.setattr(modification_dry_run.persistence, "load", load)
    monkeypatch.setattr(modification_dry_run.modification, "modify", writing_modify)
    [item] = dry_run(engine, body(order, processInstanceIds=[pid])).sample
    assert item.error is not None and item.error[0] in ("OperationalError", "InternalError")
    assert re.search("readonly|read-only", item.error[1])
    assert database(engine) == snapshot
    assert run_batch_on(engine, order, [pid], REVIEW_TO_SHIP).modified == [pid]  # writable again


def test_a_dry_run_does_not_wait_for_an_open_write_transaction(engine, order):
    """It reads: a writer holding its transaction open (the job executor) does not block it."""
    pid = start(engine, order)
    outcome = []
    with engine.transaction() as session:
        modification.modify_single(session, pid, [modification.parse_instruction(
            {"type": "startBeforeActivity", "activityId": "ship"}, single=True)],
            skip_io_mappings=False)
        session.flush()
        worker = threading.Thread(target=lambda: outcome.append(
            dry_run(engine, body(order, processInstanceIds=[pid]))))
        worker.start()
        worker.join(timeout=20)
        assert not worker.is_alive()
    [item] = outcome[0].sample
    assert [s.activity_id for s in item.started] == ["ship"]  # the writer's ship is not seen yet
    assert [c.activity_id for c in item.cancelled] == ["review"]
