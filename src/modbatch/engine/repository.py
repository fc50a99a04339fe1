"""Deployments and process definitions, and the cache of parsed models.

A definition's model is parsed once from its stored resource and kept in memory: execution jobs
touching thousands of instances of one definition must not parse XML per instance.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Mapping

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from modbatch.engine import clock, decisions, history, jobs, queries
from modbatch.engine.events import subscriptions as event_subscriptions
from modbatch.engine.jobs import deployment as deployment_jobs
from modbatch.engine.bpmn import parse_bpmn
from modbatch.engine.bpmn.model import ProcessModel
from modbatch.engine.runtime import new_id
from modbatch.errors import InvalidRequest, NotFoundError, ParseError, ProcessEngineError
from modbatch.store.database import lock_deployments
from modbatch.store.tables import (
    Deployment,
    EventSubscription,
    HistoricProcessInstance,
    Incident,
    Job,
    ProcessDefinition,
    ProcessInstance,
    Resource,
)

BPMN_SUFFIXES = (".bpmn", ".bpmn20.xml")


@dataclass
class DeploymentResult:
    deployment: Deployment
    definitions: list[ProcessDefinition] | None
    decision_definitions: list[Any] | None = None


class ModelCache:
    """A bounded LRU of parsed process models keyed by process definition id."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._models: OrderedDict[str, ProcessModel] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, definition_id: str) -> ProcessModel | None:
        with self._lock:
            model = self._models.get(definition_id)
            if model is not None:
                self._models.move_to_end(definition_id)
            return model

    def put(self, definition_id: str, model: ProcessModel) -> None:
        with self._lock:
            self._models[definition_id] = model
            self._models.move_to_end(definition_id)
            while len(self._models) > self._size:
                self._models.popitem(last=False)

    def forget(self, definition_ids: list[str]) -> None:
        with self._lock:
            for definition_id in definition_ids:
                self._models.pop(definition_id, None)


models = ModelCache()


def model_for(session: Session, definition: ProcessDefinition) -> ProcessModel:
    cached = models.get(definition.id)
    if cached is not None:
        return cached
    content = session.execute(
        select(Resource.content).where(Resource.deployment_id == definition.deployment_id,
                                       Resource.name == definition.resource_name)
    ).scalar_one()
    for model in parse_bpmn(content, definition.resource_name, max_bytes=len(content) + 1):
        if model.id == definition.key:
            models.put(definition.id, model)
            return model
    raise ProcessEngineError(  # pragma: no cover - a stored resource always holds its process
        f"Process '{definition.key}' is missing from resource '{definition.resource_name}'")


def model_for_id(session: Session, definition_id: str) -> ProcessModel:
    """The parsed model of a definition, from the cache without a query when possible."""
    cached = models.get(definition_id)
    if cached is not None:
        return cached
    return model_for(session, session.get(ProcessDefinition, definition_id))


def is_bpmn(name: str) -> bool:
    return name.lower().endswith(BPMN_SUFFIXES)


def deploy(session: Session, *, name: str | None, source: str | None, tenant_id: str | None,
           resources: list[tuple[str, bytes]], duplicate_filtering: bool = False,
           changed_only: bool = False, max_resource_bytes: int,
           default_retries: int = 3) -> DeploymentResult:
    """Store the resources and a new version of every process they define, with their job
    definitions and timer start jobs (``default_retries`` is the new jobs' retries)."""
    if not resources:
        raise InvalidRequest("No deployment resources contained in the form upload.")
    parsed: list[tuple[str, ProcessModel]] = []
    for resource_name, content in resources:
        if is_bpmn(resource_name):
            parsed += [(resource_name, m) for m in
                       parse_bpmn(content, resource_name, max_bytes=max_resource_bytes)]
    parsed_decisions = decisions.parse(resources, max_resource_bytes)
    keys = [model.id for _, model in parsed]
    duplicates = {key for key in keys if keys.count(key) > 1}
    if duplicates:
        raise ParseError(
            f"The deployment contains definitions with the same key '{sorted(duplicates)[0]}' "
            "(id attribute), this is not allowed")

    # like Camunda's deployment lock: deployments queue here, so each sees the versions the
    # one before it committed (the unique index on (key, version, tenant) stays as the backstop)
    lock_deployments(session)

    if duplicate_filtering or changed_only:
        previous = _previous_resources(session, name, source, tenant_id)
        unchanged = {n for n, c in resources if previous.get(n) == c}
        if previous and len(unchanged) == len(resources) and not changed_only:
            latest = _latest_deployment(session, name, source, tenant_id)
            return DeploymentResult(latest, None)
        if changed_only:
            parsed = [(n, m) for n, m in parsed if n not in unchanged]
            parsed_decisions = [(n, d) for n, d in parsed_decisions if n not in unchanged]
            if previous and len(unchanged) == len(resources):
                latest = _latest_deployment(session, name, source, tenant_id)
                return DeploymentResult(latest, None)

    deployment = Deployment(id=new_id(), name=name, source=source, tenant_id=tenant_id,
                            deployment_time=clock.now())
    session.add(deployment)
    session.flush()
    session.add_all(Resource(id=new_id(), deployment_id=deployment.id, name=n, content=c)
                    for n, c in resources)
    definitions = []
    deployed = []
    for resource_name, model in parsed:
        version = (session.execute(
            select(func.max(ProcessDefinition.version)).where(
                ProcessDefinition.key == model.id, _same_tenant(ProcessDefinition, tenant_id))
        ).scalar() or 0) + 1
        definition = ProcessDefinition(
            id=f"{model.id}:{version}:{new_id()}", key=model.id, name=model.name,
            version=version, deployment_id=deployment.id, resource_name=resource_name,
            tenant_id=tenant_id, version_tag=model.version_tag,
            history_time_to_live=model.history_time_to_live, category=model.target_namespace,
            description=model.documentation)
        session.add(definition)
        models.put(definition.id, model)
        definitions.append(definition)
        deployed.append((definition, model))
    session.flush()
    for definition in definitions:
        # each new version is the latest: its start events replace the previous version's
        event_subscriptions.adjust_on_deploy(session, definition, models.get(definition.id)
                                             or model_for(session, definition))
    deployment_jobs.deployed(session, deployed, default_retries=default_retries)
    return DeploymentResult(deployment, definitions,
                            decisions.deploy(session, deployment.id, tenant_id, parsed_decisions))


def _same_tenant(table: Any, tenant_id: str | None) -> Any:
    return table.tenant_id.is_(None) if tenant_id is None else table.tenant_id == tenant_id


def _latest_deployment(session: Session, name: str | None, source: str | None,
                       tenant_id: str | None) -> Deployment:
    return session.execute(
        select(Deployment).where(Deployment.name == name, _same_tenant(Deployment, tenant_id),
                                 Deployment.source.is_(None) if source is None
                                 else Deployment.source == source)
        .order_by(Deployment.deployment_time.desc()).limit(1)
    ).scalar_one()


def _previous_resources(session: Session, name: str | None, source: str | None,
                        tenant_id: str | None) -> dict[str, bytes]:
    """The newest content of each resource deployed under this deployment name."""
    if name is None:
        return {}
    rows = session.execute(
        select(Resource.name, Resource.content).join(Deployment)
        .where(Deployment.name == name, _same_tenant(Deployment, tenant_id),
               Deployment.source.is_(None) if source is None else Deployment.source == source)
        .order_by(Deployment.deployment_time.asc())
    ).all()
    return {row.name: row.content for row in rows}


# ---------------------------------------------------------------------------- deployments
def get_deployment(session: Session, deployment_id: str) -> Deployment | None:
    return session.get(Deployment, deployment_id)


def deployment_query(filters: Mapping[str, Any]):
    stmt = select(Deployment)
    f = filters.get
    if f("id") is not None:
        stmt = stmt.where(Deployment.id == f("id"))
    if f("name") is not None:
        stmt = stmt.where(Deployment.name == f("name"))
    if f("nameLike") is not None:
        stmt = stmt.where(Deployment.name.like(f("nameLike")))
    if f("source") is not None:
        stmt = stmt.where(Deployment.source == f("source"))
    if f("withoutSource") is True:
        stmt = stmt.where(Deployment.source.is_(None))
    stmt = queries.tenant_filter(stmt, Deployment, filters, "includeDeploymentsWithoutTenantId")
    if f("before") is not None:
        stmt = stmt.where(Deployment.deployment_time < f("before"))
    if f("after") is not None:
        stmt = stmt.where(Deployment.deployment_time > f("after"))
    return queries.apply_sorting(stmt, filters, {
        "id": Deployment.id, "name": Deployment.name, "deploymentTime": Deployment.deployment_time,
        "tenantId": Deployment.tenant_id}, Deployment.id)


def find_deployments(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
                     max_results: int | None = None) -> list[Deployment]:
    return queries.page(session, deployment_query(filters), first_result, max_results)


def count_deployments(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, deployment_query(filters))


def delete_deployment(session: Session, deployment_id: str, *, cascade: bool,
                      default_retries: int = 3) -> None:
    if session.get(Deployment, deployment_id) is None:
        raise InvalidRequest(f"Deployment with id '{deployment_id}' do not exist", status=404)
    deleted = list(session.execute(
        select(ProcessDefinition).where(ProcessDefinition.deployment_id == deployment_id)
    ).scalars())
    definition_ids = [d.id for d in deleted]
    # versions that become latest again get their start event subscriptions back
    restored = event_subscriptions.latest_after_delete(session, deleted)
    if not cascade:
        running = session.execute(
            select(ProcessInstance.process_definition_id, func.count())
            .where(ProcessInstance.process_definition_id.in_(definition_ids))
            .group_by(ProcessInstance.process_definition_id)
            .order_by(ProcessInstance.process_definition_id)).first()
        if running:
            raise ProcessEngineError(
                f"ENGINE-03076 Deletion of process definition without cascading failed. Process "
                f"definition with id: {running[0]} can't be deleted, because there are "
                f"{running[1]} dependent process instances.", status=409)
    jobs.delete_for_process_definitions(session, definition_ids)
    if definition_ids:
        # what the instances' scopes owned goes with them (start-event rows included)
        for table in (Job, EventSubscription, Incident):
            session.execute(delete(table).where(table.process_definition_id.in_(definition_ids)))
        session.execute(delete(ProcessInstance).where(
            ProcessInstance.process_definition_id.in_(definition_ids)))
        if cascade:
            session.execute(delete(HistoricProcessInstance).where(
                HistoricProcessInstance.process_definition_id.in_(definition_ids)))
            history.delete_for_definitions(session, definition_ids)
    event_subscriptions.remove_for_definitions(session, definition_ids)
    session.execute(delete(ProcessDefinition).where(ProcessDefinition.deployment_id == deployment_id))
    decisions.delete_for_deployment(session, deployment_id)
    session.execute(delete(Resource).where(Resource.deployment_id == deployment_id))
    session.execute(delete(Deployment).where(Deployment.id == deployment_id))
    models.forget(definition_ids)
    for definition in restored:
        event_subscriptions.add_start_subscriptions(session, definition,
                                                    model_for(session, definition))
        deployment_jobs.replace_start_timers(session, definition, model_for(session, definition),
                                             default_retries=default_retries)


def definitions_of(session: Session, deployment_id: str) -> list[ProcessDefinition]:
    return list(session.execute(
        select(ProcessDefinition).where(ProcessDefinition.deployment_id == deployment_id)
        .order_by(ProcessDefinition.key)).scalars())


# ---------------------------------------------------------------------------- definitions
def get_definition(session: Session, definition_id: str) -> ProcessDefinition | None:
    return session.get(ProcessDefinition, definition_id)


def latest_definition_by_key(session: Session, key: str,
                             tenant_id: str | None = None) -> ProcessDefinition | None:
    return session.execute(
        select(ProcessDefinition).where(ProcessDefinition.key == key,
                                        _same_tenant(ProcessDefinition, tenant_id))
        .order_by(ProcessDefinition.version.desc()).limit(1)
    ).scalar_one_or_none()


def definition_query(filters: Mapping[str, Any]):
    pd = ProcessDefinition
    stmt = select(pd)
    f = filters.get
    equal = {"processDefinitionId": pd.id, "name": pd.name, "deploymentId": pd.deployment_id,
             "key": pd.key, "version": pd.version, "resourceName": pd.resource_name,
             "versionTag": pd.version_tag, "category": pd.category}
    for name, column in equal.items():
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    likes = {"nameLike": pd.name, "keyLike": pd.key, "resourceNameLike": pd.resource_name,
             "versionTagLike": pd.version_tag, "categoryLike": pd.category}
    for name, column in likes.items():
        if f(name) is not None:
            stmt = stmt.where(column.like(f(name)))
    if f("processDefinitionIdIn"):
        stmt = stmt.where(pd.id.in_(f("processDefinitionIdIn")))
    if f("keysIn"):
        stmt = stmt.where(pd.key.in_(f("keysIn")))
    if f("active") is True:
        stmt = stmt.where(pd.suspended.is_(False))
    if f("suspended") is True:
        stmt = stmt.where(pd.suspended.is_(True))
    if f("withoutVersionTag") is True:
        stmt = stmt.where(pd.version_tag.is_(None))
    stmt = queries.tenant_filter(stmt, pd, filters, "includeProcessDefinitionsWithoutTenantId")
    if f("latestVersion") is True:
        newer = aliased(pd)
        stmt = stmt.where(~select(newer.id).where(
            newer.key == pd.key, newer.version > pd.version,
            or_(newer.tenant_id == pd.tenant_id,
                and_(newer.tenant_id.is_(None), pd.tenant_id.is_(None)))).exists())
    if f("deployedAfter") is not None or f("deployedAt") is not None:
        stmt = stmt.join(Deployment, Deployment.id == pd.deployment_id)
        if f("deployedAfter") is not None:
            stmt = stmt.where(Deployment.deployment_time > f("deployedAfter"))
        if f("deployedAt") is not None:
            stmt = stmt.where(Deployment.deployment_time == f("deployedAt"))
    return queries.apply_sorting(stmt, filters, {
        "id": pd.id, "key": pd.key, "name": pd.name, "version": pd.version,
        "deploymentId": pd.deployment_id, "tenantId": pd.tenant_id, "versionTag": pd.version_tag,
        "category": pd.category,
        "deployTime": select(Deployment.deployment_time)
        .where(Deployment.id == pd.deployment_id).scalar_subquery()}, pd.id)


def find_definitions(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
                     max_results: int | None = None) -> list[ProcessDefinition]:
    return queries.page(session, definition_query(filters), first_result, max_results)


def count_definitions(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, definition_query(filters))


def definition_xml(session: Session, definition: ProcessDefinition) -> str:
    content = session.execute(
        select(Resource.content).where(Resource.deployment_id == definition.deployment_id,
                                       Resource.name == definition.resource_name)).scalar_one()
    return content.decode("utf-8", errors="replace")


def require_definition(session: Session, definition_id: str | None) -> ProcessDefinition:
    """Camunda's deployment-cache lookup, with its NotFoundException message."""
    definition = session.get(ProcessDefinition, definition_id) if definition_id else None
    if definition is None:
        raise NotFoundError(
            f"no deployed process definition found with id '{definition_id}': "
            "processDefinition is null")
    return definition
