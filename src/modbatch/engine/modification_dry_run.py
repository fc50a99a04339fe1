"""A dry run of ``/modification/executeAsync``: which instances it selects and, for a sample,
what it would change in their activity-instance trees, without writing anything.

The selection is ``modification.collect_request(set_based_query=True)``, the very call
``executeAsync`` makes, so a request it would refuse is refused here with the same message, and
the instances counted are the ones its batch would hold, in the batch's order (explicit ids
first-seen, then the queries' ids; a processInstanceQuery alone stays a SELECT, counted and paged
in the database). The sample runs what a batch execution job runs on each instance
(``check_instance``, ``modify``, the call-activity settlement) on states loaded into memory, and
never flushes them; the database refuses writes besides (``refusing_writes``), and the caller's
``ProcessEngine.read()`` rolls it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from modbatch.engine import batches, calls, modification, persistence
from modbatch.engine.modification import Instruction, ModificationRequest
from modbatch.engine.runtime import ActivityInstanceState, InstanceState
from modbatch.errors import ModbatchError
from modbatch.store.database import refusing_writes

MAX_RESULTS_LIMIT = 1000
SAMPLE_SIZE_LIMIT = 50


@dataclass(frozen=True)
class ActivityInstanceChange:
    """An activity (or transition) instance the modification ends or starts."""

    id: str
    activity_id: str
    activity_name: str | None
    parent_activity_instance_id: str | None = None


@dataclass
class SampleInstance:
    """What the modification would do to one instance, or why it would fail there."""

    process_instance_id: str
    cancelled: list[ActivityInstanceChange] = field(default_factory=list)
    started: list[ActivityInstanceChange] = field(default_factory=list)
    # (Camunda exception type, the message the batch item would record)
    error: tuple[str, str] | None = None


@dataclass
class DryRun:
    instance_count: int
    process_instance_ids: list[str]
    sample: list[SampleInstance]


def dry_run(session: Session, dto: Mapping[str, Any], *, first_result: int = 0,
            max_results: int = 100, sample_size: int = 5) -> DryRun:
    """Select as executeAsync selects; page the ids (sorted by id); preview the first
    ``sample_size`` instances in batch order. Reads only."""
    with refusing_writes(session):
        request = modification.collect_request(session, dto, set_based_query=True)
        count, page, first = _selection(session, request, max(first_result, 0),
                                        max(max_results, 0), max(sample_size, 0))
        # the instructions as the batch stores and its execution jobs read them back
        instructions = batches.instructions_of(
            {"instructions": [i.to_json() for i in request.instructions]})
        sample = preview(session, first, instructions,
                         process_definition_id=request.process_definition_id,
                         skip_io_mappings=request.skip_io_mappings,
                         skip_custom_listeners=request.skip_custom_listeners)
    return DryRun(count, page, sample)


def _selection(session: Session, request: ModificationRequest, first_result: int,
               max_results: int, sample_size: int) -> tuple[int, list[str], list[str]]:
    """(how many items the batch would hold, a page of them sorted by id, its first items)."""
    if request.instance_query is None:
        ids = request.instance_ids  # deduplicated, first-seen: the batch's item order
        return (len(ids), sorted(ids)[first_result:first_result + max_results],
                ids[:sample_size])
    # a processInstanceQuery alone: the batch stores its ids with INSERT ... SELECT in id order
    query = request.instance_query
    count = session.execute(select(func.count()).select_from(
        query.order_by(None).subquery())).scalar_one()
    page = list(session.execute(query.offset(first_result).limit(max_results)).scalars()) \
        if max_results else []
    first = list(session.execute(query.limit(sample_size)).scalars()) if sample_size else []
    return count, page, first


def preview(session: Session, instance_ids: list[str], instructions: list[Instruction], *,
            process_definition_id: str | None, skip_io_mappings: bool,
            skip_custom_listeners: bool) -> list[SampleInstance]:
    """Modify each instance in memory as a batch execution job would; nothing is written.

    One load for all of them; each instance then runs on its own (with its own call-activity
    settlement), so one failing is reported for that instance alone, as a batch item."""
    states = persistence.load(session, instance_ids)
    result = []
    for instance_id in instance_ids:
        state = states.get(instance_id)
        before = dict(state.activity_instances) if state is not None else {}
        try:
            state = modification.check_instance(state, instance_id, process_definition_id)
            modification.modify(state, instructions, skip_io_mappings=skip_io_mappings,
                                 skip_custom_listeners=skip_custom_listeners)
            calls.settle(session, [state])
        except ModbatchError as error:
            result.append(SampleInstance(instance_id, error=(error.type, error.message)))
            continue
        except Exception as error:  # noqa: BLE001 - a batch job would fail with it as well
            result.append(SampleInstance(instance_id, error=(type(error).__name__, str(error))))
            continue
        result.append(_changes(state, before))
    return result


def _changes(state: InstanceState, before: dict[str, ActivityInstanceState]) -> SampleInstance:
    after = state.activity_instances
    cancelled = [ActivityInstanceChange(ai.id, ai.activity_id, ai.activity_name)
                 for ai in sorted(before.values(), key=lambda a: a.seq) if ai.id not in after]
    started = [ActivityInstanceChange(ai.id, ai.activity_id, ai.activity_name, ai.parent_id)
               for ai in sorted(after.values(), key=lambda a: a.seq) if ai.id not in before]
    return SampleInstance(state.id, cancelled, started)
