"""What the operator commands print: rich tables and progress bars on a terminal, plain lines
(no colours, no redraws) when the output goes to a file or a pipe, JSON with ``--json``."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

_console: Console | None = None


def console() -> Console:
    """stdout; wide and plain when it is not a terminal, so that ids never wrap."""
    global _console
    if _console is None:
        terminal = sys.stdout.isatty()
        _console = Console(highlight=False, width=None if terminal else 1000,
                           no_color=not terminal or None)
    return _console


def error(message: str) -> None:
    """One line on stderr: ``modbatch: <message>``."""
    sys.stdout.flush()
    sys.stderr.write(f"modbatch: {' '.join(message.split())}\n")
    sys.stderr.flush()


def show(renderable: Any = "") -> None:
    """Print a table or line; off a terminal without the padding rich adds after the text."""
    out = console()
    if out.is_terminal:
        out.print(renderable)
        return
    with out.capture() as captured:
        out.print(renderable)
    sys.stdout.write("".join(line.rstrip() + "\n" for line in captured.get().splitlines()))
    sys.stdout.flush()


def done(message: str) -> None:
    show(Text(message))


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2) + "\n")
    sys.stdout.flush()


def when(value: str | None) -> str:
    """A Camunda date (2026-12-03T11:00:00.000+0000) as 2026-12-03 11:00:00."""
    return value[:19].replace("T", " ") if value else "-"


STATE_STYLE = {"running": "cyan", "suspended": "yellow", "blocked": "bold red",
               "completed": "green", "ended with failures": "bold red"}


def batch_table(rows: list[dict[str, Any]], states: list[str], *, finished: bool) -> None:
    if not rows:
        show("no batches in the history" if finished else "no running batches "
                  "(completed ones: modbatch batch list --finished)")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("ID", no_wrap=True)
    table.add_column("TYPE", no_wrap=True)
    table.add_column("STATE", no_wrap=True)
    table.add_column("JOBS DONE", justify="right", no_wrap=True)
    if not finished:
        table.add_column("FAILED JOBS", justify="right", no_wrap=True)
    table.add_column("STARTED", no_wrap=True)
    table.add_column("ENDED" if finished else "CREATED BY", no_wrap=True)
    for row, state in zip(rows, states):
        if finished:
            jobs = f"{row['totalJobs']}"
            cells = [jobs, when(row.get("startTime")), when(row.get("endTime"))]
        else:
            jobs = f"{row['completedJobs']}/{row['totalJobs']}"
            cells = [jobs, str(row["failedJobs"]), when(row.get("startTime")),
                     row.get("createUserId") or "-"]
        table.add_row(Text(row["id"]), Text(row["type"]),
                      Text(state, style=STATE_STYLE.get(state, "")), *map(Text, cells))
    show(table)


def batch_details(current: dict[str, Any], failed: list[dict[str, Any]], *, shown: int) -> None:
    batch, items, state = current["batch"], current["items"], current["state"]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("batch", Text(batch["id"]))
    grid.add_row("type", Text(batch["type"]))
    grid.add_row("state", Text(state, style=STATE_STYLE.get(state, "")))
    if current["running"]:
        grid.add_row("jobs", Text(
            f"{batch['completedJobs']} of {batch['totalJobs']} done, {batch['remainingJobs']} "
            f"remaining, {batch['failedJobs']} failed (no retries left); "
            f"{batch['jobsCreated']} created so far"))
    else:
        grid.add_row("jobs", Text(f"{batch['totalJobs']}"))
    grid.add_row("per job", Text(f"{batch['invocationsPerBatchJob']} instances"))
    total = sum(items.values())
    grid.add_row("instances", Text(f"{total}: {items['modified']} modified, {items['failed']} "
                                   f"failed, {items['pending']} pending"))
    grid.add_row("started", Text(when(batch.get("startTime"))))
    grid.add_row("first job", Text(when(batch.get("executionStartTime"))))
    if not current["running"]:
        grid.add_row("ended", Text(when(batch.get("endTime"))))
    grid.add_row("created by", Text(batch.get("createUserId") or "-"))
    show(grid)
    if failed:
        show()
        title = (f"failed instances (first {shown})" if items["failed"] > len(failed)
                 else "failed instances")
        table = Table(title=title, title_justify="left", box=None, header_style="bold",
                      pad_edge=False)
        table.add_column("PROCESS INSTANCE", no_wrap=True)
        table.add_column("MESSAGE")
        for item in failed:
            table.add_row(Text(item["processInstanceId"]), Text(item.get("message") or ""))
        show(table)


def summary(current: dict[str, Any]) -> str:
    batch, items, state = current["batch"], current["items"], current["state"]
    instances = (f"{items['modified']} instance(s) modified, {items['failed']} failed"
                 + (f", {items['pending']} pending" if items["pending"] else ""))
    if current["running"]:
        jobs = (f"jobs {batch['completedJobs']}/{batch['totalJobs']} done, "
                f"{batch['failedJobs']} failed")
        return f"batch {batch['id']} {state}: {jobs}; {instances}"
    return f"batch {batch['id']} {state}: {instances}"


class Watch:
    """Progress bars (jobs, instances) on a terminal; otherwise one line per change."""

    def __init__(self, batch_id: str, *, as_json: bool) -> None:
        self.batch_id = batch_id
        self.as_json = as_json
        self.live = not as_json and sys.stdout.isatty()
        self.last: Any = None
        self.current: dict[str, Any] | None = None
        self.progress: Progress | None = None

    def __enter__(self) -> "Watch":
        if self.live:
            self.progress = Progress(
                TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=console())
            self.jobs = self.progress.add_task("jobs", total=None, detail="")
            self.instances = self.progress.add_task("instances", total=None, detail="")
            self.progress.start()
        return self

    def update(self, current: dict[str, Any]) -> None:
        self.current = current
        batch, items = current["batch"], current["items"]
        if self.as_json:
            key = json.dumps(current, sort_keys=True)
            if key != self.last:
                sys.stdout.write(json.dumps(current) + "\n")
                sys.stdout.flush()
            self.last = key
            return
        if self.progress is not None:
            total_jobs = batch["totalJobs"]
            completed = batch["completedJobs"] if current["running"] else total_jobs
            failed_jobs = batch["failedJobs"] if current["running"] else 0
            self.progress.update(self.jobs, total=total_jobs, completed=completed,
                                 detail=f"{failed_jobs} failed  [{current['state']}]")
            self.progress.update(self.instances, total=sum(items.values()),
                                 completed=items["modified"] + items["failed"],
                                 detail=f"{items['failed']} failed")
            return
        line = summary(current)
        if line != self.last:
            show(Text(line))
        self.last = line

    def __exit__(self, *exc_info: Any) -> None:
        if self.progress is not None:
            self.progress.stop()
            if self.current is not None and exc_info[0] is None:
                state = self.current["state"]
                console().print(Text(summary(self.current),
                                     style=STATE_STYLE.get(state, "")))


def _activities(instances: list[dict[str, Any]]) -> str:
    return ", ".join(i["activityId"] for i in instances) or "-"


def dry_run(definition: dict[str, Any], instructions: list[dict[str, Any]],
            answer: dict[str, Any]) -> None:
    steps = ", ".join(("cancel " if i["type"] == "cancel" else "start before ") + i["activityId"]
                      for i in instructions)
    show(Text(f"dry run: {steps}"))
    show(Text(f"would modify {answer['instanceCount']} instance(s) of {definition['key']} "
                   f"(version {definition['version']}, {definition['id']}); nothing was changed"))
    sample = answer.get("sample") or []
    if not sample:
        return
    table = Table(title=f"sample of {len(sample)}", title_justify="left", box=None,
                  header_style="bold", pad_edge=False)
    table.add_column("PROCESS INSTANCE", no_wrap=True)
    table.add_column("CANCELLED")
    table.add_column("STARTED")
    table.add_column("ERROR")
    for entry in sample:
        problem = entry.get("error")
        table.add_row(Text(entry["processInstanceId"]),
                      Text(_activities(entry.get("cancelledActivityInstances") or [])),
                      Text(_activities(entry.get("startedActivityInstances") or [])),
                      Text(f"{problem['type']}: {problem['message']}" if problem else "",
                           style="red"))
    show(table)
    failing = sum(1 for entry in sample if entry.get("error"))
    if failing:
        show(Text(f"{failing} of the {len(sample)} sampled instance(s) would fail; the batch "
                  "would record them as failed items", style="red"))


def created(definition: dict[str, Any], batch: dict[str, Any], instances: int | None) -> None:
    count = f"{instances} instance(s)" if instances is not None else "instances"
    show(Text(f"batch {batch['id']} created: {count} of {definition['key']} (version "
                   f"{definition['version']}) in {batch['totalJobs']} job(s)"))
    show(Text(f"follow it with: modbatch batch watch {batch['id']}"))
