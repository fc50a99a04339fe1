"""An acquisition round's jobs: each job's outcome is its own, wherever the round commits.

On SQLite the executor runs a whole round in the transaction that acquired it (``jobs.rounds``),
one savepoint per job; elsewhere each job has its own transaction. Either way one job's failure
must not undo the others; a round in one transaction that dies midway leaves no job locked.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from modbatch.engine import jobs
from modbatch.engine.jobs import rounds
from modbatch.engine.jobs.executor import JobExecutor
from modbatch.store.tables import Job

DONE: list[str] = []


def _ok(session, job, settings):
    DONE.append(job.handler_configuration)
    return jobs.JobOutcome()


def _failing(session, job, settings):
    raise RuntimeError(f"handler of {job.handler_configuration} broke")


@pytest.fixture
def round_of_three(engine, monkeypatch):
    """Three due jobs in one acquisition round: ``first`` and ``third`` succeed, ``second``
    raises in its handler."""
    monkeypatch.setitem(jobs.HANDLERS, "test-ok", _ok)
    monkeypatch.setitem(jobs.HANDLERS, "test-failing", _failing)
    DONE.clear()
    with engine.transaction() as session:
        definition = jobs.create_definition(session, job_type="test", configuration="round")
        session.flush()
        rows = []
        for name, handler in (("first", "test-ok"), ("second", "test-failing"), ("third", "test-ok")):
            rows.append(jobs.new_job_row(definition=definition, handler_type=handler,
                                         configuration=name, settings=engine.settings))
        jobs.insert_jobs(session, rows)
    return {row["handler_configuration"]: row["id"] for row in rows}


def job_rows(engine) -> dict[str, tuple]:
    with engine.transaction() as session:
        return {job.handler_configuration: (job.retries, job.exception_message, job.lock_owner)
                for job in session.execute(select(Job)).scalars()}


def test_a_failing_job_leaves_the_rest_of_its_round_done(engine, round_of_three):
    """The failing job keeps its row with one retry less and its message; the others are done."""
    executor = JobExecutor(engine, owner="worker")
    assert executor.run_once() == 3
    assert DONE == ["first", "third"]
    assert job_rows(engine) == {"second": (engine.settings.default_retries - 1,
                                           "handler of second broke", None)}


def test_an_error_outside_the_handler_rolls_the_round_back(engine, round_of_three, monkeypatch):
    """In a round run in one transaction, an error escaping the job run itself (not its
    handler) undoes the round and is recorded on that job alone; the next round does the rest."""
    run = jobs.run

    def breaking(session, job, settings):
        outcome = run(session, job, settings)
        if job.handler_configuration == "first":
            raise RuntimeError("after the handler")
        return outcome

    monkeypatch.setattr(jobs, "run", breaking)
    monkeypatch.setitem(jobs.HANDLERS, "test-failing", _ok)
    executor = JobExecutor(engine, owner="worker")
    assert rounds.run_round(executor) == 1
    retries = engine.settings.default_retries
    assert job_rows(engine) == {"first": (retries - 1, "after the handler", None),
                                "second": (retries, None, None), "third": (retries, None, None)}
    monkeypatch.setattr(jobs, "run", run)
    DONE.clear()
    assert rounds.run_round(executor) == 3
    assert DONE == ["first", "second", "third"] and job_rows(engine) == {}


def test_a_round_cut_short_leaves_no_job_done_or_locked(engine, round_of_three, monkeypatch):
    """A round run in one transaction that dies midway commits nothing: every job is still
    there, not locked, with all its retries."""
    run = jobs.run

    def dying(session, job, settings):
        if job.handler_configuration == "second":
            raise SystemExit("killed")
        return run(session, job, settings)

    monkeypatch.setattr(jobs, "run", dying)
    with pytest.raises(SystemExit):
        rounds.run_round(JobExecutor(engine, owner="worker"))
    assert job_rows(engine) == {name: (engine.settings.default_retries, None, None)
                                for name in ("first", "second", "third")}


def test_cheap_jobs_share_a_transaction_for_the_rounds_time(engine, monkeypatch):
    """The executor's own loops (``more``) acquire again in the same transaction while
    acquisitions come back full and time is left (ROUND_SECONDS); without ``more``, or with no
    time left, a round is one acquisition."""
    monkeypatch.setitem(jobs.HANDLERS, "test-ok", _ok)
    DONE.clear()
    with engine.transaction() as session:
        definition = jobs.create_definition(session, job_type="test", configuration="cheap")
        session.flush()
        jobs.insert_jobs(session, [jobs.new_job_row(definition=definition, handler_type="test-ok",
                                                    configuration=str(n), settings=engine.settings)
                                   for n in range(10)])
    executor = JobExecutor(engine, owner="worker")
    monkeypatch.setattr(rounds, "ROUND_SECONDS", 0)
    assert rounds.run_round(executor, more=True) == engine.settings.job_acquisition_size
    monkeypatch.setattr(rounds, "ROUND_SECONDS", 60)
    assert rounds.run_round(executor) == engine.settings.job_acquisition_size  # one round only
    assert rounds.run_round(executor, more=True) == 10 - 2 * engine.settings.job_acquisition_size
    assert sorted(DONE, key=int) == [str(n) for n in range(10)] and job_rows(engine) == {}
