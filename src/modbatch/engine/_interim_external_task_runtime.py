"""TEMPORARY (feat-ext only, delete when the lead's runtime is merged): the two runtime commands
``modbatch.engine.instances`` will provide, and the ExternalTask rows the runtime will create.

``external_tasks`` calls ``instances.complete_external_task`` / ``external_task_bpmn_error`` when
they exist and these stand-ins otherwise; ``materialize`` inserts the rows of waiting external
activities that have none (a no-op once the runtime writes them itself).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from modbatch.engine import clock, persistence, repository
from modbatch.engine.runtime import Runtime, new_id
from modbatch.engine.variables import TypedValue
from modbatch.errors import ProcessEngineError
from modbatch.store.tables import ActivityInstance, ExternalTask, ProcessDefinition, ProcessInstance


def complete_external_task(session: Session, task: ExternalTask, *,
                           variables: dict[str, TypedValue],
                           local_variables: dict[str, TypedValue]) -> None:
    state = persistence.load(session, [task.process_instance_id])[task.process_instance_id]
    runtime = Runtime(state)
    for name, value in variables.items():
        runtime.set_variable(name, value, task.activity_instance_id)
    for name, value in local_variables.items():
        runtime.set_variable(name, value, task.activity_instance_id, local=True)
    ai = state.activity_instances[task.activity_instance_id]
    runtime._remove_activity_instance(ai.id)
    runtime._push("leave", ai.activity_id, ai.parent_id)
    runtime.run()
    runtime._end_if_empty()
    session.execute(delete(ExternalTask).where(ExternalTask.id == task.id))
    persistence.flush(session, [state])
    materialize(session)


def external_task_bpmn_error(session: Session, task: ExternalTask, *, error_code: str,
                             error_message: str | None,
                             variables: dict[str, TypedValue]) -> None:
    raise ProcessEngineError("interim runtime: BPMN errors need the lead's runtime")


def materialize(session: Session) -> None:
    """Insert an ExternalTask row for every waiting external activity instance without one."""
    have = set(session.execute(select(ExternalTask.activity_instance_id)).scalars())
    rows = session.execute(
        select(ActivityInstance, ProcessInstance, ProcessDefinition)
        .join(ProcessInstance, ProcessInstance.id == ActivityInstance.process_instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.process_definition_id)
    ).all()
    for ai, pi, pd in rows:
        if ai.id in have:
            continue
        activity = repository.model_for(session, pd).activities.get(ai.activity_id)
        if activity is None or activity.external_topic is None:
            continue
        session.add(ExternalTask(
            id=new_id(), topic_name=activity.external_topic, activity_id=ai.activity_id,
            activity_instance_id=ai.id, execution_id=ai.execution_id,
            process_instance_id=pi.id, process_definition_id=pd.id,
            process_definition_key=pd.key, process_definition_version_tag=pd.version_tag,
            tenant_id=pi.tenant_id, business_key=pi.business_key, create_time=clock.now()))
    session.flush()
