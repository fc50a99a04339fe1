"""`modbatch modify`: an executeAsync batch (or its dry run) from flags, against a served API."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import modbatch, one_line, start


def items_of(rest, batch_id: str) -> set[str]:
    return {i["processInstanceId"] for i in rest.get(f"/batch/{batch_id}/items").json()}


def created_batch_id(result) -> str:
    first = result.stdout.splitlines()[0]
    assert first.startswith("batch ") and " created: " in first, result.stdout + result.stderr
    return first.split()[1]


def test_modify_creates_a_batch_over_the_instances_in_the_source_activity(cli, rest, review):
    """`modify KEY --from A --to B` batches every instance waiting in A: cancel A, start B."""
    ids = start(rest, 3)
    result = cli("modify", "cliReview", "--from", "review", "--to", "approve",
                 "--annotation", "move to approval")
    assert result.returncode == 0, result.stderr
    batch_id = created_batch_id(result)
    assert result.stdout == (
        f"batch {batch_id} created: 3 instance(s) of cliReview (version 1) in 1 job(s)\n"
        f"follow it with: modbatch batch watch {batch_id}\n")
    assert items_of(rest, batch_id) == set(ids)
    batch = rest.get(f"/batch/{batch_id}").json()
    assert batch["type"] == "instance-modification" and batch["totalJobs"] == 1


@pytest.mark.parametrize(("flags", "selected"), [
    (["--business-key", "order-1"], [1]),
    (["--variable", "amount>=20"], [2, 3]),
    (["--variable", "amount!=20", "--variable", "amount<30"], [0, 1]),
    (["--instance-id", "{0}", "--instance-id", "{3}"], [0, 3]),
    (["--instance-id", "{0}", "--business-key", "order-0"], [0]),
])
def test_modify_filters_narrow_the_instances(cli, rest, review, flags, selected):
    """Business key, variable conditions and instance ids all narrow the same query."""
    ids = start(rest, 4)
    flags = [flag.format(*ids) for flag in flags]
    result = cli("modify", "cliReview", "--from", "review", "--to", "approve", *flags)
    assert result.returncode == 0, result.stderr
    assert items_of(rest, created_batch_id(result)) == {ids[n] for n in selected}


def test_modify_by_definition_id_and_json(cli, rest, review):
    """The definition may be named by id; --json prints the BatchDto executeAsync answered."""
    start(rest, 1)
    result = cli("modify", review["id"], "--from", "review", "--to", "approve", "--json")
    assert result.returncode == 0, result.stderr
    batch = json.loads(result.stdout)
    assert batch == rest.get(f"/batch/{batch['id']}").json()


def test_modify_watch_follows_the_batch_to_completion(cli, rest, review, workers):
    """`modify --watch` creates the batch, follows it and exits 0 once every instance moved."""
    ids = start(rest, 3)
    workers.start()
    result = cli("modify", "cliReview", "--from", "review", "--to", "approve", "--watch",
                 "--interval", "0.1")
    assert result.returncode == 0, result.stderr
    batch_id = created_batch_id(result)
    assert result.stdout.splitlines()[-1] == (f"batch {batch_id} completed: 3 instance(s) "
                                              "modified, 0 failed")
    for instance_id in ids:
        tree = rest.get(f"/process-instance/{instance_id}/activity-instances").json()
        assert [c["activityId"] for c in tree["childActivityInstances"]] == ["approve"]


def test_modify_dry_run_shows_the_selection_and_writes_nothing(cli, rest, review):
    """`modify --dry-run` prints the count and a sample of changes; no batch is created.

    Needs the dry-run operation (POST /modification/executeAsync/dry-run) on the server."""
    ids = start(rest, 3)
    result = cli("modify", "cliReview", "--from", "review", "--to", "approve", "--dry-run",
                 "--sample", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == [
        "dry run: cancel review, start before approve",
        f"would modify 3 instance(s) of cliReview (version 1, {review['id']}); nothing was "
        "changed"]
    assert lines[2] == "sample of 2"
    assert lines[3].split() == ["PROCESS", "INSTANCE", "CANCELLED", "STARTED", "ERROR"]
    rows = [line.split() for line in lines[4:]]
    assert [row[1:] for row in rows] == [["review", "approve"], ["review", "approve"]]
    assert {row[0] for row in rows} <= set(ids)
    assert rest.get("/batch/count").json() == {"count": 0}
    answer = json.loads(cli("modify", "cliReview", "--from", "review", "--to", "approve",
                            "--dry-run", "--json").stdout)
    assert answer["instanceCount"] == 3
    assert answer["processInstanceIds"] == sorted(ids)


def test_modify_of_an_unknown_definition_is_one_line(cli, review):
    """Neither an id nor a key: one line, exit status 1, nothing created."""
    result = cli("modify", "nosuchProcess", "--from", "review", "--to", "approve")
    assert result.returncode == 1
    assert one_line(result) == ("modbatch: NotFound: No process definition has the id or key "
                                "'nosuchProcess'")


def test_modify_selecting_nothing_reports_the_servers_refusal(cli, rest, review):
    """No instance matches: executeAsync's 400 comes out as one line, exit status 1."""
    start(rest, 1)
    result = cli("modify", "cliReview", "--from", "review", "--to", "approve",
                 "--business-key", "nobody")
    assert result.returncode == 1
    assert one_line(result).startswith("modbatch: InvalidRequestException: ")
    assert rest.get("/batch/count").json() == {"count": 0}


@pytest.mark.parametrize(("args", "message"), [
    (["cliReview"], "modbatch modify: give at least one --from ACTIVITY or --to ACTIVITY"),
    (["cliReview", "--to", "approve", "--variable", "amount"],
     "modbatch modify: argument --variable: must be NAME=VALUE (or !=, >, >=, <, <=, ~ for "
     "like), not 'amount'"),
    (["cliReview", "--to", "approve", "--watch", "--interval", "soon"],
     "modbatch modify: argument --interval: must be a number of seconds, not 'soon'"),
    (["cliReview", "--to", "approve", "--url", "localhost:8080"],
     "modbatch modify: argument --url: must be an http:// or https:// URL such as "
     "http://127.0.0.1:8080/engine-rest, not 'localhost:8080'"),
])
def test_bad_modify_arguments_are_one_line_exit_2(free_url, args, message):
    """A bad flag is refused before any request: one line naming it, exit status 2."""
    result = modbatch("modify", *args, url=free_url)
    assert result.returncode == 2
    assert one_line(result) == f"{message} (see modbatch modify --help)"
