"""SQLite's writers of one process take turns first come, first served (store.database.WriterQueue)."""

from __future__ import annotations

import threading

from sqlalchemy.exc import OperationalError

from modbatch.store.database import is_conflict
from modbatch.store.database import WriterQueue


def _wait_for_waiters(queue: WriterQueue, count: int) -> None:
    for _ in range(10_000):
        with queue._mutex:
            if len(queue._waiters) == count:
                return
        threading.Event().wait(0.001)
    raise AssertionError(f"{count} waiters never queued")


def test_a_waiting_writer_goes_before_the_holder_takes_the_lock_again():
    """A thread that releases and at once re-acquires (a job executor) queues behind a waiter."""
    queue = WriterQueue(timeout=10)
    order: list[str] = []
    queue.acquire()
    waiter = threading.Thread(target=lambda: (queue.acquire(), order.append("request"),
                                              queue.release()))
    waiter.start()
    _wait_for_waiters(queue, 1)
    queue.release()
    queue.acquire()
    order.append("executor")
    queue.release()
    waiter.join()
    assert order == ["request", "executor"]


def test_waiters_are_served_in_arrival_order():
    """Three queued writers get the lock in the order they asked for it."""
    queue = WriterQueue(timeout=10)
    order: list[int] = []
    queue.acquire()
    threads = []
    for number in range(3):
        thread = threading.Thread(target=lambda n=number: (queue.acquire(), order.append(n),
                                                           queue.release()))
        thread.start()
        _wait_for_waiters(queue, number + 1)
        threads.append(thread)
    queue.release()
    for thread in threads:
        thread.join()
    assert order == [0, 1, 2]


def test_the_holder_may_nest_write_transactions():
    """A thread holding the lock takes it again without waiting for itself."""
    queue = WriterQueue(timeout=10)
    with queue.held():
        with queue.held():
            assert queue._owner == threading.get_ident()
        assert queue._owner == threading.get_ident()
    assert queue._owner is None


def test_a_writer_gives_up_after_the_timeout_like_sqlite_busy_timeout():
    """Waiting longer than the timeout raises SQLite's busy error; the queue forgets the waiter."""
    queue = WriterQueue(timeout=0.01)
    queue.acquire()
    failure: list[BaseException] = []

    def wait() -> None:
        try:
            queue.acquire()
        except OperationalError as error:
            failure.append(error)

    thread = threading.Thread(target=wait)
    thread.start()
    thread.join()
    assert len(failure) == 1 and "database is locked" in str(failure[0])
    assert is_conflict(failure[0])  # as SQLite's own busy timeout: retried, never a bare 500
    assert not queue._waiters
    queue.release()
    with queue.held():
        assert queue._owner == threading.get_ident()


def test_write_transactions_of_a_sqlite_engine_take_turns(engine):
    """The engine's write transactions go through the queue on SQLite, not on PostgreSQL."""
    queue = engine.database.writers
    if engine.database.engine.dialect.name != "sqlite":
        assert queue is None  # row locks and MVCC: writers do not queue in the process
        return
    with engine.transaction():
        assert queue._owner == threading.get_ident()
    with engine.read():
        assert queue._owner is None
