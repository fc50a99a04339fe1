"""`modbatch batch list|show|watch|suspend|resume|delete|retry` against a served API."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time

from tests.cli.conftest import (ROOT, execute_async, modbatch, modbatch_command, one_line, start,
                                statistics, wait_for)


def blocked(rest, workers, review) -> dict:
    """A batch whose only job failed for good (start before an activity that does not exist),
    with the worker stopped again."""
    batch = execute_async(rest, review, start(rest, 2), to="nosuch")
    workers.start()
    wait_for(lambda: (statistics(rest, batch["id"]) or {}).get("failedJobs") == 1,
             what="the job to fail three times")
    workers.stop()
    return batch


def test_list_shows_each_running_batch_as_a_row(cli, rest, review):
    """`batch list` prints one row per running batch: id, type, state and jobs done."""
    first = execute_async(rest, review, start(rest, 2))
    second = execute_async(rest, review, start(rest, 1, first=2))
    result = cli("batch", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["ID", "TYPE", "STATE", "JOBS", "DONE", "FAILED", "JOBS",
                                "STARTED", "CREATED", "BY"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {first["id"], second["id"]}
    for row in rows.values():
        assert row[1:5] == ["instance-modification", "running", "0/1", "0"]
    assert "\x1b[" not in result.stdout  # no colours when the output is not a terminal


def test_list_json_is_the_servers_statistics(cli, rest, review):
    """`batch list --json` prints /batch/statistics' JSON, newest first."""
    first = execute_async(rest, review, start(rest, 1))
    second = execute_async(rest, review, start(rest, 1, first=1))
    result = cli("batch", "list", "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [b["id"] for b in listed] == [second["id"], first["id"]]
    assert listed[0] == rest.get("/batch/statistics", params={"batchId": second["id"]}).json()[0]


def test_list_without_batches_says_so(cli):
    """With no running batch, `batch list` says so and points at --finished."""
    result = cli("batch", "list")
    assert result.returncode == 0
    assert result.stdout == ("no running batches (completed ones: modbatch batch list "
                             "--finished)\n")


def test_list_finished_shows_the_history(cli, rest, review, workers):
    """`batch list --finished` lists completed batches from /history/batch with their end."""
    batch = execute_async(rest, review, start(rest, 2))
    workers.start()
    wait_for(lambda: rest.get(f"/history/batch/{batch['id']}").json()["endTime"],
             what="the batch to complete")
    result = cli("batch", "list", "--finished")
    assert result.returncode == 0, result.stderr
    [row] = [line.split() for line in result.stdout.splitlines()[1:]]
    assert row[:4] == [batch["id"], "instance-modification", "ended", "1"]
    assert cli("batch", "list").stdout.startswith("no running batches")


def test_show_names_failed_instances_with_their_message(cli, rest, review, workers):
    """`batch show` of a blocked batch shows its state, counts and each failed instance."""
    batch = blocked(rest, workers, review)
    items = rest.get(f"/batch/{batch['id']}/items").json()
    result = cli("batch", "show", batch["id"])
    assert result.returncode == 0, result.stderr
    fields = {line.split(None, 1)[0]: line.split(None, 1)[1].strip()
              for line in result.stdout.split("\n\n")[0].splitlines()}
    assert fields["batch"] == batch["id"]
    assert fields["state"] == "blocked"
    assert fields["instances"] == "2: 0 modified, 2 failed, 0 pending"
    assert fields["jobs"].startswith("0 of 1 done, 1 remaining, 1 failed")
    failures = result.stdout.split("\n\n")[1].splitlines()
    assert failures[:2] == ["failed instances", "PROCESS INSTANCE" + " " * 22 + "MESSAGE"]
    assert {line.split()[0] for line in failures[2:]} == {i["processInstanceId"] for i in items}
    assert all("Start before activity 'nosuch'" in line for line in failures[2:])


def test_show_json_has_the_batch_items_and_failures(cli, rest, review, workers):
    """`batch show --json` prints the statistics, item counts and failed items for scripts."""
    batch = blocked(rest, workers, review)
    shown = json.loads(cli("batch", "show", batch["id"], "--json").stdout)
    assert shown["batch"] == statistics(rest, batch["id"])
    assert shown["running"] is True and shown["state"] == "blocked"
    assert shown["items"] == {"pending": 0, "modified": 0, "failed": 2}
    assert shown["failedItems"] == rest.get(f"/batch/{batch['id']}/items",
                                            params={"status": "failed"}).json()


def test_show_of_an_unknown_batch_is_one_line(cli):
    """An id that is neither running nor in the history: one stderr line, exit status 1."""
    result = cli("batch", "show", "no-such-batch")
    assert result.returncode == 1
    assert one_line(result) == ("modbatch: NotFound: Batch with id 'no-such-batch' does not exist "
                                "(neither running nor in the history)")
    assert result.stdout == ""


def test_watch_follows_a_batch_until_it_completes(cli, rest, review, server, workers):
    """`batch watch` prints the running batch, keeps polling, and exits 0 once completed."""
    ids = start(rest, 3)
    batch = execute_async(rest, review, ids)
    watch = subprocess.Popen([*modbatch_command(), "batch", "watch", batch["id"],
                              "--interval", "0.1"], cwd=ROOT,
                             env={**os.environ, "MODBATCH_URL": server},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = watch.stdout.readline()
    assert first == (f"batch {batch['id']} running: jobs 0/1 done, 0 failed; 0 instance(s) "
                     f"modified, 0 failed, 3 pending\n")
    workers.start()
    rest_of_output, errors = watch.communicate(timeout=120)
    assert watch.returncode == 0, errors
    assert rest_of_output.splitlines()[-1] == (f"batch {batch['id']} completed: 3 instance(s) "
                                               "modified, 0 failed")
    assert errors == ""
    assert rest.get("/process-instance/count",
                    params={"activityIdIn": "approve"}).json() == {"count": 3}


def test_watch_draws_progress_bars_on_a_terminal(rest, review, server, workers):
    """On a terminal `batch watch` draws jobs and instances bars, then the completed line."""
    batch = execute_async(rest, review, start(rest, 2))
    workers.start()
    controller, terminal = pty.openpty()
    watch = subprocess.Popen([*modbatch_command(), "batch", "watch", batch["id"], "--interval",
                              "0.1"], cwd=ROOT, stdout=terminal, stderr=terminal,
                             env={**os.environ, "MODBATCH_URL": server, "TERM": "xterm",
                                  "COLUMNS": "120"})
    os.close(terminal)
    output = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal closes when the command exits
                break
            if not chunk:
                break
            output += chunk
        elif watch.poll() is not None:
            break
    os.close(controller)
    assert watch.wait(timeout=30) == 0
    text = output.decode()
    assert "jobs" in text and "instances" in text and "━" in text  # rich's progress bars
    assert "1/1" in text and "2/2" in text
    assert f"batch {batch['id']} completed: 2 instance(s) modified, 0 failed" in text


def test_watch_json_prints_one_object_per_change(cli, rest, review, workers):
    """`batch watch --json` prints JSON lines, the last one the completed batch's history."""
    batch = execute_async(rest, review, start(rest, 2))
    workers.start()
    result = cli("batch", "watch", batch["id"], "--json", "--interval", "0.1")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1] == {"batch": rest.get(f"/history/batch/{batch['id']}").json(),
                         "running": False, "state": "completed",
                         "items": {"pending": 0, "modified": 2, "failed": 0}}


def test_watch_of_a_blocked_batch_exits_1_and_says_what_to_do(cli, rest, review, workers):
    """Only failed jobs left: watch stops with exit status 1 and points at show/retry/delete."""
    batch = blocked(rest, workers, review)
    result = cli("batch", "watch", batch["id"])
    assert result.returncode == 1
    assert result.stdout.splitlines()[-1] == (f"batch {batch['id']} blocked: jobs 0/1 done, 1 "
                                              "failed; 0 instance(s) modified, 2 failed")
    message = one_line(result)
    assert message.startswith(f"modbatch: batch {batch['id']} is blocked: 1 execution job(s) "
                              "failed with no retries left")
    assert f"modbatch batch retry {batch['id']}" in message


def test_watch_of_a_batch_deleted_midway_exits_1(cli, rest, review):
    """A batch deleted before its instances were modified ended with failures: exit status 1."""
    batch = execute_async(rest, review, start(rest, 2))
    assert rest.delete(f"/batch/{batch['id']}").status_code == 204
    result = cli("batch", "watch", batch["id"])
    assert result.returncode == 1
    assert result.stdout == (f"batch {batch['id']} ended with failures: 0 instance(s) modified, "
                             "0 failed, 2 pending\n")


def test_suspend_and_resume_change_the_batch_over_rest(cli, rest, review):
    """`batch suspend` and `batch resume` flip the suspended flag the API shows."""
    batch = execute_async(rest, review, start(rest, 1))
    result = cli("batch", "suspend", batch["id"])
    assert (result.returncode, result.stdout) == (0, f"batch {batch['id']} suspended\n")
    assert rest.get(f"/batch/{batch['id']}").json()["suspended"] is True
    assert "suspended" in cli("batch", "list").stdout.splitlines()[1].split()
    result = cli("batch", "resume", batch["id"])
    assert (result.returncode, result.stdout) == (0, f"batch {batch['id']} resumed\n")
    assert rest.get(f"/batch/{batch['id']}").json()["suspended"] is False


def test_delete_removes_the_batch_and_keeps_its_history(cli, rest, review):
    """`batch delete` removes the runtime batch; the history keeps it with an end time."""
    batch = execute_async(rest, review, start(rest, 1))
    result = cli("batch", "delete", batch["id"])
    assert (result.returncode, result.stdout) == (0, f"batch {batch['id']} deleted\n")
    assert rest.get(f"/batch/{batch['id']}").status_code == 404
    assert rest.get(f"/history/batch/{batch['id']}").json()["endTime"] is not None


def test_delete_cascade_removes_the_history_too(cli, rest, review):
    """`batch delete --cascade` leaves nothing in the history either."""
    batch = execute_async(rest, review, start(rest, 1))
    result = cli("batch", "delete", batch["id"], "--cascade")
    assert result.stdout == f"batch {batch['id']} deleted with its history\n"
    assert rest.get(f"/history/batch/{batch['id']}").status_code == 404


def test_a_refused_request_is_one_line_with_camundas_type(cli):
    """The server's refusal (a 404 here) comes out as `modbatch: <type>: <message>`, exit status 1."""
    result = cli("batch", "delete", "no-such-batch")
    assert result.returncode == 1
    assert one_line(result) == ("modbatch: InvalidRequestException: Unable to delete batch with "
                                "id 'no-such-batch'")


def test_retry_gives_failed_jobs_new_retries(cli, rest, review, workers):
    """`batch retry` sets the retries of the batch's jobs that have none left."""
    batch = blocked(rest, workers, review)
    result = cli("batch", "retry", batch["id"], "--retries", "2")
    assert (result.returncode, result.stdout) == (
        0, f"batch {batch['id']}: 1 failed job(s) given 2 retries\n")
    [job] = rest.get("/job", params={"jobDefinitionId": batch["batchJobDefinitionId"]}).json()
    assert job["retries"] == 2
    assert statistics(rest, batch["id"])["failedJobs"] == 0
    result = cli("batch", "retry", batch["id"])
    assert result.stdout == f"batch {batch['id']} has no failed jobs\n"


def test_an_unreachable_server_is_one_line(free_url):
    """No server at the URL: one line naming the URL and the setting, exit status 1."""
    result = modbatch("batch", "list", "--url", free_url)
    assert result.returncode == 1
    assert one_line(result).startswith(f"modbatch: ConnectionError: cannot reach {free_url} ")
