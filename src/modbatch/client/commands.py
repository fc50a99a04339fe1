"""``modbatch batch list|show|watch|suspend|resume|delete|retry`` and ``modbatch modify``.

Each command is a few REST calls against ``--url`` (``MODBATCH_URL``); ``--json`` prints what the
server answered for scripts, otherwise tables and progress bars are drawn with rich.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from typing import Any, Callable
from urllib.parse import quote

from modbatch.client import view
from modbatch.client.rest import Rest, RestError
from modbatch.settings import DEFAULT_URL, parse_integer, parse_server_url, server_url

ITEM_STATUSES = ("pending", "modified", "failed")
# --variable name<op>value: Camunda's variable query operators, two-character ones first
OPERATORS = {"!=": "neq", ">=": "gteq", "<=": "lteq", "=": "eq", ">": "gt", "<": "lt",
             "~": "like"}
VARIABLE = re.compile(r"^([^=!<>~]+?)\s*(!=|>=|<=|=|>|<|~)(.*)$", re.S)
FAILED_ITEMS_SHOWN = 10


# ------------------------------------------------------------------------- argument types
def flag(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """An argparse type from a settings parser: its ValueError becomes the flag's message."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__.removeprefix("parse_")
    return convert


def parse_positive(text: str) -> int:
    number = parse_integer(text)
    if number < 1:
        raise ValueError(f"must be at least 1, not {number}")
    return number


def parse_not_negative(text: str) -> int:
    number = parse_integer(text)
    if number < 0:
        raise ValueError(f"must not be negative, not {number}")
    return number


def parse_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"must be a number of seconds, not {text!r}") from None
    if not 0.05 <= seconds <= 3600:
        raise ValueError(f"must be between 0.05 and 3600 seconds, not {text}")
    return seconds


def parse_variable(text: str) -> dict[str, Any]:
    """``amount>100`` -> Camunda's ``{"name": "amount", "operator": "gt", "value": 100}``.

    The value is read as JSON when it is JSON (numbers, true, false, null, "quoted strings"),
    otherwise taken as a string: ``code=100`` compares with the number 100, ``code='"100"'``
    with the string.
    """
    match = VARIABLE.match(text)
    if not match or not match.group(1).strip():
        raise ValueError(f"must be NAME=VALUE (or !=, >, >=, <, <=, ~ for like), not {text!r}")
    name, operator, raw = match.group(1).strip(), match.group(2), match.group(3).strip()
    try:
        value = json.loads(raw)
        if isinstance(value, (dict, list)):
            value = raw
    except ValueError:
        value = raw
    return {"name": name, "operator": OPERATORS[operator], "value": value}


class Instruction(argparse.Action):
    """--from/--to append Camunda instructions to one list, in command-line order."""

    def __call__(self, parser, namespace, value, option_string=None):
        instructions = list(getattr(namespace, "instructions", None) or [])
        instructions.append({"type": self.const, "activityId": value})
        namespace.instructions = instructions


# ------------------------------------------------------------------------- the parsers
def add_commands(commands: argparse._SubParsersAction) -> None:
    """Register ``batch`` and ``modify`` on the top-level ``modbatch`` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", type=flag(parse_server_url), default=None,
                        help=f"the server's REST API (MODBATCH_URL, default {DEFAULT_URL})")
    reading = argparse.ArgumentParser(add_help=False)
    reading.add_argument("--json", action="store_true",
                         help="print the server's JSON instead of tables (for scripts)")
    batch_id = argparse.ArgumentParser(add_help=False)
    batch_id.add_argument("batch_id", metavar="BATCH_ID", help="the batch's id")

    batch = commands.add_parser("batch", help="list, watch and manage batches on a server")
    actions = batch.add_subparsers(dest="batch_command", required=True, metavar="COMMAND")
    listing = actions.add_parser("list", parents=[common, reading],
                                 help="running batches with their progress")
    listing.add_argument("--finished", action="store_true",
                         help="list batches in the history (completed or deleted) instead")
    listing.add_argument("--type", default=None, help="only batches of this type, e.g. "
                                                      "instance-modification")
    listing.add_argument("--max", type=flag(parse_positive), default=50, dest="max_results",
                         help="at most this many (default 50)")
    listing.set_defaults(operator=batch_list)
    show = actions.add_parser("show", parents=[common, reading, batch_id],
                              help="one batch: jobs, instances, failure messages")
    show.set_defaults(operator=batch_show)
    watch = actions.add_parser("watch", parents=[common, reading, batch_id],
                               help="follow a batch with progress bars until it ends; exit 0 "
                                    "if every instance was modified, 1 otherwise")
    watch.add_argument("--interval", type=flag(parse_seconds), default=0.5,
                       help="seconds between polls (default 0.5)")
    watch.set_defaults(operator=batch_watch)
    for name, operator, text in (("suspend", batch_suspend, "suspend a batch and its jobs"),
                                 ("resume", batch_resume, "activate a suspended batch")):
        action = actions.add_parser(name, parents=[common, batch_id], help=text)
        action.set_defaults(operator=operator)
    delete = actions.add_parser("delete", parents=[common, batch_id],
                                help="delete a running batch (modifications already made stay)")
    delete.add_argument("--cascade", action="store_true",
                        help="also delete the batch's history")
    delete.set_defaults(operator=batch_delete)
    retry = actions.add_parser("retry", parents=[common, batch_id],
                               help="give the batch's failed jobs (no retries left) new retries")
    retry.add_argument("--retries", type=flag(parse_positive), default=3,
                       help="retries to set (default 3)")
    retry.set_defaults(operator=batch_retry)

    modify = commands.add_parser(
        "modify", parents=[common, reading],
        help="create a modification batch (executeAsync), or --dry-run it",
        description="Move tokens in the instances of one process definition with one "
                    "executeAsync batch. Instances are those of the definition (the latest "
                    "version for a key) with a token in one of the --from activities (all "
                    "running instances without --from), narrowed by the filters.")
    modify.add_argument("definition", metavar="DEFINITION",
                        help="process definition id, or key (its latest version)")
    modify.add_argument("--from", dest="instructions", metavar="ACTIVITY", action=Instruction,
                        const="cancel", help="cancel the tokens in ACTIVITY (repeatable)")
    modify.add_argument("--to", dest="instructions", metavar="ACTIVITY", action=Instruction,
                        const="startBeforeActivity",
                        help="start a token before ACTIVITY (repeatable)")
    modify.add_argument("--business-key", default=None, help="only the instance with this "
                                                             "business key")
    modify.add_argument("--variable", type=flag(parse_variable), action="append", default=[],
                        metavar="NAME=VALUE",
                        help="only instances whose variable matches (repeatable; also !=, >, "
                             ">=, <, <=, ~ for like; VALUE is JSON if it parses, else a string)")
    modify.add_argument("--instance-id", action="append", default=[], metavar="ID",
                        help="only this instance (repeatable)")
    modify.add_argument("--annotation", default=None,
                        help="why, for the operation log (executeAsync's annotation)")
    modify.add_argument("--skip-custom-listeners", action="store_true",
                        help="do not call the execution listeners of the activities")
    modify.add_argument("--skip-io-mappings", action="store_true",
                        help="do not run the input/output mappings of the activities")
    modify.add_argument("--dry-run", action="store_true",
                        help="show which instances the batch would touch and how, change nothing")
    modify.add_argument("--sample", type=flag(parse_positive), default=5,
                        help="instances the dry run details (default 5, at most 50)")
    modify.add_argument("--watch", action="store_true",
                        help="follow the created batch until it ends (like batch watch)")
    modify.add_argument("--interval", type=flag(parse_seconds), default=0.5,
                        help="seconds between polls with --watch (default 0.5)")
    modify.set_defaults(operator=modify_command, instructions=[], parser=modify)


def run(args: argparse.Namespace) -> int:
    """Run an operator command; REST failures are one line on stderr and exit status 1."""
    rest = Rest(args.url or server_url())
    try:
        return args.operator(rest, args) or 0
    except RestError as exc:
        view.error(f"{exc.type}: {exc.message}")
        return 1
    finally:
        rest.close()


# ------------------------------------------------------------------------- batch
def batch_list(rest: Rest, args) -> int:
    if args.finished:
        rows = rest.get("/history/batch", type=args.type, sortBy="startTime", sortOrder="desc",
                        maxResults=args.max_results)
    else:
        rows = rest.get("/batch/statistics", type=args.type, sortBy="startTime",
                        sortOrder="desc", maxResults=args.max_results)
    if args.json:
        view.print_json(rows)
    else:
        states = [("running" if row.get("endTime") is None else "ended") if args.finished
                  else state_of(row, True, {}) for row in rows]
        view.batch_table(rows, states, finished=args.finished)
    return 0


def snapshot(rest: Rest, batch_id: str) -> dict[str, Any]:
    """The batch as the server shows it now: runtime statistics, or its history once it ended,
    with its items counted by status."""
    for _ in range(3):
        statistics = rest.get("/batch/statistics", batchId=batch_id)
        if statistics:
            batch, path = statistics[0], f"/batch/{quote(batch_id, safe='')}"
        else:
            batch = rest.find(f"/history/batch/{quote(batch_id, safe='')}")
            if batch is None:
                raise RestError("NotFound", f"Batch with id '{batch_id}' does not exist (neither "
                                            "running nor in the history)")
            path = f"/history/batch/{quote(batch_id, safe='')}"
        items = {}
        for status in ITEM_STATUSES:
            counted = rest.find(f"{path}/items/count", status=status)
            if counted is None:
                break  # completed between two requests: ask the history
            items[status] = counted["count"]
        else:
            return {"batch": batch, "running": bool(statistics), "items": items,
                    "state": state_of(batch, bool(statistics), items)}
    raise RestError("NotFound", f"Batch with id '{batch_id}' vanished while being read")


def state_of(batch: dict[str, Any], running: bool, items: dict[str, int]) -> str:
    """running | suspended | blocked (only failed jobs left) | completed | ended with failures."""
    if running:
        if batch.get("suspended"):
            return "suspended"
        if batch["failedJobs"] and batch["failedJobs"] == batch["remainingJobs"]:
            return "blocked"
        return "running"
    if batch.get("endTime") is None:  # in the history but not ended: the runtime row just went
        return "running"
    return "ended with failures" if items.get("failed") or items.get("pending") else "completed"


def batch_show(rest: Rest, args) -> int:
    current = snapshot(rest, args.batch_id)
    base = "/batch" if current["running"] else "/history/batch"
    failed = rest.find(f"{base}/{quote(args.batch_id, safe='')}/items", status="failed",
                       maxResults=FAILED_ITEMS_SHOWN) or []
    if args.json:
        view.print_json(current | {"failedItems": failed})
    else:
        view.batch_details(current, failed, shown=FAILED_ITEMS_SHOWN)
    return 0


def batch_watch(rest: Rest, args) -> int:
    return watch(rest, args.batch_id, interval=args.interval, as_json=args.json)


def watch(rest: Rest, batch_id: str, *, interval: float, as_json: bool) -> int:
    """Poll until the batch ends (0 if every instance was modified) or is blocked by failed
    jobs (1)."""
    with view.Watch(batch_id, as_json=as_json) as shown:
        while True:
            current = snapshot(rest, batch_id)
            shown.update(current)
            if current["state"] in ("completed", "ended with failures", "blocked"):
                break
            time.sleep(interval)
    if current["state"] == "completed":
        return 0
    if current["state"] == "blocked" and not as_json:
        view.error(f"batch {batch_id} is blocked: {current['batch']['failedJobs']} execution "
                   f"job(s) failed with no retries left; see 'modbatch batch show {batch_id}', "
                   f"then 'modbatch batch retry {batch_id}' or 'modbatch batch delete {batch_id}'")
    return 1


def _suspension(rest: Rest, batch_id: str, suspended: bool) -> None:
    rest.request("PUT", f"/batch/{quote(batch_id, safe='')}/suspended",
                 json={"suspended": suspended})


def batch_suspend(rest: Rest, args) -> int:
    _suspension(rest, args.batch_id, True)
    view.done(f"batch {args.batch_id} suspended")
    return 0


def batch_resume(rest: Rest, args) -> int:
    _suspension(rest, args.batch_id, False)
    view.done(f"batch {args.batch_id} resumed")
    return 0


def batch_delete(rest: Rest, args) -> int:
    rest.request("DELETE", f"/batch/{quote(args.batch_id, safe='')}",
                 params={"cascade": args.cascade})
    view.done(f"batch {args.batch_id} deleted" + (" with its history" if args.cascade else ""))
    return 0


def batch_retry(rest: Rest, args) -> int:
    """PUT /job/{id}/retries for each execution job of the batch that has no retries left."""
    batch = rest.find(f"/batch/{quote(args.batch_id, safe='')}")
    if batch is None:
        raise RestError("NotFound", f"Batch with id '{args.batch_id}' does not exist (a "
                                    "completed or deleted batch has no jobs to retry)")
    failed: list[str] = []
    while True:  # every id first: jobs given retries leave the query while we page
        page = rest.get("/job", jobDefinitionId=batch["batchJobDefinitionId"],
                        noRetriesLeft=True, sortBy="jobId", sortOrder="asc",
                        firstResult=len(failed), maxResults=500)
        failed += [job["id"] for job in page]
        if len(page) < 500:
            break
    for job_id in failed:
        rest.request("PUT", f"/job/{quote(job_id, safe='')}/retries",
                     json={"retries": args.retries})
    if failed:
        view.done(f"batch {args.batch_id}: {len(failed)} failed job(s) given {args.retries} "
                  f"retries")
    else:
        view.done(f"batch {args.batch_id} has no failed jobs")
    return 0


# ------------------------------------------------------------------------- modify
def definition_of(rest: Rest, reference: str) -> dict[str, Any]:
    """A process definition by id, else the latest version of the key."""
    found = rest.find(f"/process-definition/{quote(reference, safe='')}")
    if found is None:
        found = rest.find(f"/process-definition/key/{quote(reference, safe='')}")
    if found is None:
        raise RestError("NotFound", f"No process definition has the id or key '{reference}'")
    return found


def modification_body(definition: dict[str, Any], args) -> dict[str, Any]:
    query: dict[str, Any] = {"processDefinitionId": definition["id"]}
    cancelled = [i["activityId"] for i in args.instructions if i["type"] == "cancel"]
    if cancelled:
        query["activityIdIn"] = cancelled
    if args.business_key is not None:
        query["businessKey"] = args.business_key
    if args.variable:
        query["variables"] = args.variable
    if args.instance_id:
        query["processInstanceIds"] = args.instance_id
    body: dict[str, Any] = {"processDefinitionId": definition["id"],
                            "instructions": args.instructions,
                            "processInstanceQuery": query,
                            "skipCustomListeners": args.skip_custom_listeners,
                            "skipIoMappings": args.skip_io_mappings}
    if args.annotation is not None:
        body["annotation"] = args.annotation
    return body


def modify_command(rest: Rest, args) -> int:
    if not args.instructions:
        args.parser.error("give at least one --from ACTIVITY or --to ACTIVITY")
    definition = definition_of(rest, args.definition)
    body = modification_body(definition, args)
    if args.dry_run:
        try:
            answer = rest.request("POST", "/modification/executeAsync/dry-run", json=body,
                                  params={"sampleSize": min(args.sample, 50), "maxResults": 100})
        except RestError as exc:
            if exc.status in (404, 405):
                raise RestError("NotSupported", f"{rest.base_url} has no dry run (POST "
                                "/modification/executeAsync/dry-run is a modbatch extension; "
                                "Camunda and older modbatch servers lack it)") from None
            raise
        if args.json:
            view.print_json(answer)
        else:
            view.dry_run(definition, args.instructions, answer)
        return 0
    batch = rest.request("POST", "/modification/executeAsync", json=body)
    if args.json:
        view.print_json(batch)
    else:
        instances = rest.find(f"/batch/{quote(batch['id'], safe='')}/items/count")
        view.created(definition, batch, instances["count"] if instances else None)
    if args.watch:
        return watch(rest, batch["id"], interval=args.interval, as_json=args.json)
    return 0
