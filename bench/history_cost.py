"""What history costs: the same work at each history level, with ``none`` as the baseline.

For each level (none, activity, audit, full) on its own SQLite file it measures
- start:    starting N instances (start event, exclusive gateway, a user task; two variables),
            5,000 per transaction, as ``instances.start_many`` does;
- modify:   one executeAsync batch over all of them (cancel theTask, startBeforeActivity
            theTask), K=100 instances per execution job, run by the job executor.
It prints instances per second and each level's rate as a ratio of ``none``'s in the same run
(absolute figures move with the machine's load; compare the ratios).

    python bench/history_cost.py [--instances 10000] [--levels none,activity,audit,full]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from modbatch.engine import batches, instances, modification, repository
from modbatch.engine.process_engine import ProcessEngine, install
from modbatch.engine.variables import TypedValue
from modbatch.settings import Settings
from modbatch.store.tables import HistoricActivityInstance
from sqlalchemy import func, select

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" targetNamespace="bench">
  <process id="bench" isExecutable="true">
    <startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="route"/>
    <exclusiveGateway id="route"/><sequenceFlow id="f2" sourceRef="route" targetRef="theTask"/>
    <userTask id="theTask"/><sequenceFlow id="f3" sourceRef="theTask" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""

LEVELS = ("none", "activity", "audit", "full")


def variables(number: int) -> dict[str, TypedValue]:
    return {"amount": TypedValue("Integer", number), "customer": TypedValue("String", f"c{number}")}


def run(folder: Path, level: str, count: int) -> tuple[float, float, int]:
    settings = Settings(database_url=f"sqlite:///{folder}/{level}.db", job_executor=False,
                        invocations_per_batch_job=100, history_level=level)
    engine = ProcessEngine(settings)
    install(engine)
    with engine.transaction() as session:
        [definition] = repository.deploy(session, name="bench", source=None, tenant_id=None,
                                         resources=[("bench.bpmn", MODEL)],
                                         max_resource_bytes=1 << 20).definitions
    started = time.perf_counter()
    for offset in range(0, count, 5000):
        with engine.transaction() as session:
            instances.start_many(session, definition, min(5000, count - offset),
                                 variables=variables)
    start_rate = count / (time.perf_counter() - started)
    started = time.perf_counter()
    with engine.transaction() as session:
        request = modification.collect_request(session, {
            "processDefinitionId": definition.id,
            "processInstanceQuery": {"processDefinitionKey": "bench"},
            "instructions": [{"type": "cancel", "activityId": "theTask"},
                             {"type": "startBeforeActivity", "activityId": "theTask"}]})
        batches.create_modification_batch(session, request, replace(settings), tenant_id=None,
                                          deployment_id=definition.deployment_id)
    engine.job_executor.run_until_idle()
    modify_rate = count / (time.perf_counter() - started)
    with engine.read() as session:
        assert instances.count(session, {"activityIdIn": ["theTask"]}) == count
        rows = session.execute(select(func.count()).select_from(HistoricActivityInstance)).scalar_one()
    engine.close()
    return start_rate, modify_rate, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, default=10_000)
    parser.add_argument("--levels", default=",".join(LEVELS))
    args = parser.parse_args()
    levels = args.levels.split(",")
    if "none" not in levels:
        levels.insert(0, "none")
    folder = Path(tempfile.mkdtemp(prefix="modbatch-history-bench-"))
    print(f"{args.instances:,} instances per level, SQLite, one job executor thread, K=100\n")
    print(f"{'level':>9} {'start inst/s':>13} {'vs none':>8} {'modify inst/s':>14} {'vs none':>8} "
          f"{'activity rows':>14}")
    results = {level: run(folder, level, args.instances) for level in levels}
    base_start, base_modify, _ = results["none"]
    for level in levels:
        start_rate, modify_rate, rows = results[level]
        print(f"{level:>9} {start_rate:>13,.0f} {start_rate / base_start:>8.2f} "
              f"{modify_rate:>14,.0f} {modify_rate / base_modify:>8.2f} {rows:>14,}")


if __name__ == "__main__":
    main()
