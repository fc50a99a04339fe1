"""Rows for message and signal tests that do not need the BPMN runtime: definitions, waiting
instances with their subscriptions and variables, inserted straight into the tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from modbatch.engine.runtime import new_id
from modbatch.engine.variables import infer, to_columns
from modbatch.store.tables import (
    ActivityInstance,
    Deployment,
    EventSubscription,
    ProcessDefinition,
    ProcessInstance,
    Variable,
)

T0 = datetime(2026, 6, 1, 12, 0, 0)


@dataclass
class Rows:
    """Inserts rows in one session; ``created`` ticks one second per subscription."""

    session: Any
    tick: int = 0
    definitions: dict[str, ProcessDefinition] = field(default_factory=dict)

    def definition(self, key: str, *, version: int | None = None, tenant_id: str | None = None,
                   suspended: bool = False) -> ProcessDefinition:
        if version is None:  # the next version of the key, as a deployment would number it
            version = 1 + max((d.version for d in self.definitions.values()
                               if d.key == key and d.tenant_id == tenant_id), default=0)
        deployment = Deployment(id=new_id(), name=key, tenant_id=tenant_id, deployment_time=T0)
        self.session.add(deployment)
        self.session.flush()
        definition = ProcessDefinition(id=f"{key}:{version}:{new_id()}", key=key, version=version,
                                       deployment_id=deployment.id, resource_name=f"{key}.bpmn",
                                       tenant_id=tenant_id, suspended=suspended)
        self.session.add(definition)
        self.session.flush()
        self.definitions[definition.id] = definition
        return definition

    def instance(self, definition: ProcessDefinition, *, business_key: str | None = None,
                 suspended: bool = False, **variables: Any) -> str:
        instance_id = new_id()
        self.session.add(ProcessInstance(
            id=instance_id, process_definition_id=definition.id,
            process_definition_key=definition.key, business_key=business_key,
            tenant_id=definition.tenant_id, suspended=suspended, start_time=T0))
        self.session.flush()
        self.variables(instance_id, None, **variables)
        return instance_id

    def variables(self, instance_id: str, scope: str | None, **values: Any) -> None:
        for name, value in values.items():
            self.session.add(Variable(id=new_id(), process_instance_id=instance_id,
                                      activity_instance_id=scope, name=name,
                                      **to_columns(infer(value))))
        self.session.flush()

    def waiting(self, instance_id: str, activity_id: str, event_name: str, *,
                event_type: str = "message", **local_variables: Any) -> EventSubscription:
        """An activity instance of ``activity_id`` waiting for the event, with local variables."""
        instance = self.session.get(ProcessInstance, instance_id)
        activity_instance = f"{activity_id}:{new_id()}"
        execution = new_id()
        self.session.add(ActivityInstance(
            id=activity_instance, process_instance_id=instance_id, parent_id=instance_id,
            activity_id=activity_id, activity_type="receiveTask", execution_id=execution))
        self.session.flush()
        self.variables(instance_id, activity_instance, **local_variables)
        return self.subscription(event_type, event_name, activity_id,
                                 definition_id=instance.process_definition_id,
                                 instance_id=instance_id, execution_id=execution,
                                 activity_instance_id=activity_instance, tenant_id=instance.tenant_id)

    def start_event(self, definition: ProcessDefinition, activity_id: str, event_name: str, *,
                    event_type: str = "message") -> EventSubscription:
        return self.subscription(event_type, event_name, activity_id, definition_id=definition.id,
                                 tenant_id=definition.tenant_id)

    def subscription(self, event_type: str, event_name: str, activity_id: str, *,
                     definition_id: str, instance_id: str | None = None,
                     execution_id: str | None = None, activity_instance_id: str | None = None,
                     tenant_id: str | None = None) -> EventSubscription:
        self.tick += 1
        row = EventSubscription(id=new_id(), event_type=event_type, event_name=event_name,
                                process_instance_id=instance_id, execution_id=execution_id,
                                activity_instance_id=activity_instance_id,
                                activity_id=activity_id, process_definition_id=definition_id,
                                tenant_id=tenant_id, created=T0 + timedelta(seconds=self.tick))
        self.session.add(row)
        self.session.flush()
        return row


def record_runtime(monkeypatch) -> Any:
    """Replace the runtime's trigger_subscriptions and start with recorders; a started instance
    is called ``started-N`` and has the start variables as its variables."""
    from types import SimpleNamespace

    from modbatch.engine import instances
    from modbatch.engine.runtime import VariableState

    calls = SimpleNamespace(triggered=[], started=[])

    def trigger(session, subscriptions, *, variables, local_variables=None):
        calls.triggered.append(([s.id for s in subscriptions], variables, local_variables))
        return list(dict.fromkeys(s.process_instance_id for s in subscriptions))

    def start(session, definition, *, business_key, variables, skip_io_mappings=False,
              start_activity_id=None):
        calls.started.append((definition.id, start_activity_id, business_key, variables))
        state = SimpleNamespace(
            id=f"started-{len(calls.started)}", tenant_id=definition.tenant_id,
            process_definition_id=definition.id, process_definition_key=definition.key,
            business_key=business_key, suspended=False, ended=False,
            variables={name: VariableState(new_id(), name, None, value)
                       for name, value in variables.items()})
        return SimpleNamespace(state=state, definition=definition)

    monkeypatch.setattr(instances, "trigger_subscriptions", trigger, raising=False)
    monkeypatch.setattr(instances, "start", start)
    return calls
