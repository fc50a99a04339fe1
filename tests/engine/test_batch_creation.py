"""Batch creation at scale: items streamed to the database, a query's ids stored set-based."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from modbatch.engine import batches, instances, modification
from modbatch.errors import InvalidRequest
from modbatch.store import bulk
from modbatch.store.tables import Batch, BatchItem, HistoricBatch
from tests.engine.test_batches import batch_engine, deploy_one_task  # noqa: F401  (fixture)
from tests.engine.test_runtime import start

INSTRUCTIONS = [{"type": "cancel", "activityId": "theTask"},
                {"type": "startBeforeActivity", "activityId": "theTask"}]


def create(engine, dto):
    with engine.transaction() as session:
        request = modification.collect_request(session, dto, set_based_query=True)
        batch = batches.create_modification_batch(session, request, engine.settings,
                                                  tenant_id=None, deployment_id=None)
        return batch.id, request


def items(engine, batch_id):
    with engine.transaction() as session:
        return session.execute(select(BatchItem.seq, BatchItem.process_instance_id,
                                      BatchItem.status, BatchItem.message)
                               .where(BatchItem.batch_id == batch_id)
                               .order_by(BatchItem.seq)).all()


def test_a_query_only_batch_stores_its_ids_in_the_database_in_id_order(batch_engine):
    """processInstanceQuery alone: no ids in memory, items numbered from 0 in id order."""
    definition = deploy_one_task(batch_engine)
    pids = [start(batch_engine, definition) for _ in range(5)]
    batch_id, request = create(batch_engine, {
        "processDefinitionId": definition.id, "instructions": INSTRUCTIONS,
        "processInstanceQuery": {"processDefinitionId": definition.id}})
    assert request.instance_ids == [] and request.instance_query is not None
    assert items(batch_engine, batch_id) == [(seq, pid, "pending", None)
                                             for seq, pid in enumerate(sorted(pids))]
    with batch_engine.transaction() as session:
        batch = session.get(Batch, batch_id)
        historic = session.get(HistoricBatch, batch_id)
    # invocationsPerBatchJob is 1 in this engine: one job per instance
    assert (batch.total_items, batch.total_jobs, historic.total_jobs) == (5, 5, 5)


def test_ids_and_a_query_make_one_set_in_first_seen_order(batch_engine):
    """Explicit ids first (duplicates once), then the query's ids not already among them."""
    definition = deploy_one_task(batch_engine)
    pids = sorted(start(batch_engine, definition) for _ in range(4))
    explicit = [pids[3], pids[1], pids[3]]
    batch_id, request = create(batch_engine, {
        "processDefinitionId": definition.id, "instructions": INSTRUCTIONS,
        "processInstanceIds": explicit,
        "processInstanceQuery": {"processDefinitionId": definition.id}})
    assert request.instance_query is None
    expected = [pids[3], pids[1], pids[0], pids[2]]
    assert items(batch_engine, batch_id) == [(seq, pid, "pending", None)
                                             for seq, pid in enumerate(expected)]


def test_a_query_matching_nothing_is_refused_before_anything_is_stored(batch_engine):
    """An empty query answers Camunda's message and creates no batch."""
    definition = deploy_one_task(batch_engine)
    with pytest.raises(InvalidRequest) as raised:
        create(batch_engine, {"processDefinitionId": definition.id, "instructions": INSTRUCTIONS,
                              "processInstanceQuery": {"processDefinitionKey": "nothing"}})
    assert raised.value.message == ("Process instance ids cannot be empty: Process instance ids "
                                    "is empty")
    with batch_engine.transaction() as session:
        assert session.execute(select(Batch)).all() == []
        assert session.execute(select(BatchItem)).all() == []


def test_bulk_insert_streams_rows_and_counts_them(engine):
    """insert_rows takes an iterator of tuples and returns how many rows it wrote."""
    rows = ((f"b{n % 2}", n, f"pi-{n}", "pending") for n in range(1000))
    with engine.transaction() as session:
        written = bulk.insert_rows(session, BatchItem.__table__, batches.ITEM_COLUMNS, rows)
        nothing = bulk.insert_rows(session, BatchItem.__table__, batches.ITEM_COLUMNS, iter(()))
    with engine.transaction() as session:
        stored = session.execute(select(BatchItem.batch_id, BatchItem.seq,
                                        BatchItem.process_instance_id, BatchItem.message)
                                 .order_by(BatchItem.seq)).all()
    assert (written, nothing) == (1000, 0)
    assert stored == [(f"b{n % 2}", n, f"pi-{n}", None) for n in range(1000)]


def test_bulk_insert_rolls_back_with_the_transaction(engine):
    """The rows belong to the session's transaction: a failure after them removes them."""
    with pytest.raises(RuntimeError):
        with engine.transaction() as session:
            bulk.insert_rows(session, BatchItem.__table__, batches.ITEM_COLUMNS,
                             [("b", 0, "pi", "pending")])
            raise RuntimeError("later failure")
    with engine.transaction() as session:
        assert session.execute(select(BatchItem)).all() == []


def test_numbered_insert_numbers_a_selects_values_in_ascending_order(batch_engine):
    """insert_numbered: one row per value, numbered from ``first`` in value order, twice in one
    transaction (SQLite's temporary numbering table is gone after each call)."""
    definition = deploy_one_task(batch_engine)
    pids = sorted(start(batch_engine, definition) for _ in range(3))
    query = instances.ids_query({"processDefinitionId": definition.id})
    with batch_engine.transaction() as session:
        counts = [bulk.insert_numbered(session, BatchItem.__table__, query,
                                       value_column="process_instance_id", number_column="seq",
                                       constants={"batch_id": batch, "status": "pending"},
                                       first=first)
                  for batch, first in (("a", 3), ("b", 0))]
    assert counts == [3, 3]
    assert items(batch_engine, "a") == [(3 + n, pid, "pending", None) for n, pid in enumerate(pids)]
    assert items(batch_engine, "b") == [(n, pid, "pending", None) for n, pid in enumerate(pids)]
