"""Deployed decision definitions: storing, querying, the cache of parsed decisions, and the lookup
the runtime uses to evaluate business rule tasks without touching the database itself.

A deployment's DMN resources are parsed with its BPMN ones (``repository.deploy`` calls ``parse``
before it writes anything, then ``deploy``); each decision gets a new version per key and tenant.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Mapping

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session, aliased

from modbatch.engine import queries
from modbatch.engine.dmn import Decision, is_dmn, parse_dmn
from modbatch.engine.runtime import new_id
from modbatch.errors import NotFoundError, ParseError, ProcessEngineError
from modbatch.store.tables import DecisionDefinition, Deployment, ProcessDefinition, Resource

Parsed = list[tuple[str, Decision]]


class _DecisionCache:
    """A bounded LRU of parsed decisions keyed by decision definition id."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._items: OrderedDict[str, Decision] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, definition_id: str) -> Decision | None:
        with self._lock:
            item = self._items.get(definition_id)
            if item is not None:
                self._items.move_to_end(definition_id)
            return item

    def put(self, definition_id: str, decision: Decision) -> None:
        with self._lock:
            self._items[definition_id] = decision
            self._items.move_to_end(definition_id)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def forget(self, definition_ids: list[str]) -> None:
        with self._lock:
            for definition_id in definition_ids:
                self._items.pop(definition_id, None)


cache = _DecisionCache()


# ---------------------------------------------------------------------------- deploying
def parse(resources: list[tuple[str, bytes]], max_bytes: int) -> Parsed:
    """Every decision of the deployment's DMN resources; duplicate keys are refused as Camunda does."""
    parsed: Parsed = []
    for name, content in resources:
        if is_dmn(name):
            parsed += [(name, decision) for decision in parse_dmn(content, name, max_bytes=max_bytes)]
    keys = [decision.id for _, decision in parsed]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ParseError(f"The deployment contains definitions with the same key '{duplicates[0]}' "
                         "(id attribute), this is not allowed")
    return parsed


def _same_tenant(tenant_id: str | None) -> Any:
    column = DecisionDefinition.tenant_id
    return column.is_(None) if tenant_id is None else column == tenant_id


def deploy(session: Session, deployment_id: str, tenant_id: str | None,
           parsed: Parsed) -> list[DecisionDefinition]:
    definitions = []
    for resource_name, decision in parsed:
        version = (session.execute(
            select(func.max(DecisionDefinition.version)).where(
                DecisionDefinition.key == decision.id, _same_tenant(tenant_id))
        ).scalar() or 0) + 1
        definition = DecisionDefinition(
            id=f"{decision.id}:{version}:{new_id()}", key=decision.id, name=decision.name,
            version=version, deployment_id=deployment_id, resource_name=resource_name,
            tenant_id=tenant_id, version_tag=decision.version_tag,
            history_time_to_live=decision.history_time_to_live, category=decision.category)
        session.add(definition)
        cache.put(definition.id, decision)
        definitions.append(definition)
    session.flush()
    return definitions


def delete_for_deployment(session: Session, deployment_id: str) -> None:
    ids = list(session.execute(select(DecisionDefinition.id).where(
        DecisionDefinition.deployment_id == deployment_id)).scalars())
    session.execute(delete(DecisionDefinition).where(DecisionDefinition.deployment_id == deployment_id))
    cache.forget(ids)


def definitions_of(session: Session, deployment_id: str) -> list[DecisionDefinition]:
    return list(session.execute(
        select(DecisionDefinition).where(DecisionDefinition.deployment_id == deployment_id)
        .order_by(DecisionDefinition.key)).scalars())


# ---------------------------------------------------------------------------- reading
def decision_for(session: Session, definition: DecisionDefinition) -> Decision:
    """The parsed decision, from the cache or parsed once from its stored resource."""
    cached = cache.get(definition.id)
    if cached is not None:
        return cached
    content = _content(session, definition)
    for decision in parse_dmn(content, definition.resource_name, max_bytes=len(content) + 1):
        if decision.id == definition.key:
            cache.put(definition.id, decision)
            return decision
    raise ProcessEngineError(  # pragma: no cover - a stored resource always holds its decision
        f"Decision '{definition.key}' is missing from resource '{definition.resource_name}'")


def _content(session: Session, definition: DecisionDefinition) -> bytes:
    return session.execute(
        select(Resource.content).where(Resource.deployment_id == definition.deployment_id,
                                       Resource.name == definition.resource_name)).scalar_one()


def definition_xml(session: Session, definition: DecisionDefinition) -> str:
    return _content(session, definition).decode("utf-8", errors="replace")


def get(session: Session, definition_id: str) -> DecisionDefinition | None:
    return session.get(DecisionDefinition, definition_id)


def latest_by_key(session: Session, key: str, tenant_id: str | None = None) -> DecisionDefinition | None:
    return session.execute(
        select(DecisionDefinition).where(DecisionDefinition.key == key, _same_tenant(tenant_id))
        .order_by(DecisionDefinition.version.desc()).limit(1)).scalar_one_or_none()


def query(filters: Mapping[str, Any]):
    dd = DecisionDefinition
    stmt = select(dd)
    f = filters.get
    equal = {"decisionDefinitionId": dd.id, "name": dd.name, "deploymentId": dd.deployment_id,
             "key": dd.key, "version": dd.version, "resourceName": dd.resource_name,
             "versionTag": dd.version_tag, "category": dd.category}
    for name, column in equal.items():
        if f(name) is not None:
            stmt = stmt.where(column == f(name))
    likes = {"nameLike": dd.name, "keyLike": dd.key, "resourceNameLike": dd.resource_name,
             "versionTagLike": dd.version_tag, "categoryLike": dd.category}
    for name, column in likes.items():
        if f(name) is not None:
            stmt = stmt.where(column.like(f(name)))
    if f("decisionDefinitionIdIn"):
        stmt = stmt.where(dd.id.in_(f("decisionDefinitionIdIn")))
    if f("decisionRequirementsDefinitionId") is not None \
            or f("decisionRequirementsDefinitionKey") is not None:
        stmt = stmt.where(False)  # no decision belongs to a decision requirements definition here
    stmt = queries.tenant_filter(stmt, dd, filters, "includeDecisionDefinitionsWithoutTenantId")
    if f("latestVersion") is True:
        newer = aliased(dd)
        stmt = stmt.where(~select(newer.id).where(
            newer.key == dd.key, newer.version > dd.version,
            or_(newer.tenant_id == dd.tenant_id,
                and_(newer.tenant_id.is_(None), dd.tenant_id.is_(None)))).exists())
    if f("deployedAfter") is not None or f("deployedAt") is not None:
        stmt = stmt.join(Deployment, Deployment.id == dd.deployment_id)
        if f("deployedAfter") is not None:
            stmt = stmt.where(Deployment.deployment_time > f("deployedAfter"))
        if f("deployedAt") is not None:
            stmt = stmt.where(Deployment.deployment_time == f("deployedAt"))
    deployed = aliased(Deployment)
    return queries.apply_sorting(stmt, filters, {
        "id": dd.id, "key": dd.key, "name": dd.name, "version": dd.version,
        "deploymentId": dd.deployment_id, "tenantId": dd.tenant_id, "versionTag": dd.version_tag,
        "category": dd.category, "decisionRequirementsDefinitionKey": None,
        "deployTime": select(deployed.deployment_time)
        .where(deployed.id == dd.deployment_id).correlate(dd).scalar_subquery()}, dd.id)


def find(session: Session, filters: Mapping[str, Any], first_result: int | None = None,
         max_results: int | None = None) -> list[DecisionDefinition]:
    return queries.page(session, query(filters), first_result, max_results)


def count(session: Session, filters: Mapping[str, Any]) -> int:
    return queries.count(session, query(filters))


# ---------------------------------------------------------------------------- the runtime's lookup
class DecisionLookup:
    """What a business rule task's ``camunda:decisionRef`` names, found with this session.

    The runtime holds no session; the command layer hands it one of these (on the
    ``InstanceState``) so that a token reaching the task can resolve and evaluate synchronously.
    """

    def __init__(self, session: Session) -> None:
        self.session = session

    def __call__(self, key: str, *, binding: str, version: int | None, version_tag: str | None,
                 tenant_id: str | None, process_definition_id: str) -> Decision:
        dd = DecisionDefinition
        stmt = select(dd).where(dd.key == key)
        tenant = "null" if tenant_id is None else tenant_id
        if binding == "deployment":
            process = self.session.get(ProcessDefinition, process_definition_id)
            deployment_id = process.deployment_id if process is not None else None
            stmt = stmt.where(dd.deployment_id == deployment_id)
            missing = f"no decision definition deployed with key = '{key}' in deployment = '{deployment_id}'"
        elif binding == "version":
            stmt = stmt.where(dd.version == version, _same_tenant(tenant_id))
            missing = (f"no decision definition deployed with key = '{key}', version = '{version}' "
                       f"and tenant-id = '{tenant}'")
        elif binding == "versionTag":
            stmt = stmt.where(dd.version_tag == version_tag, _same_tenant(tenant_id))
            missing = (f"no decision definition deployed with key = '{key}', versionTag = "
                       f"'{version_tag}' and tenant-id = '{tenant}'")
        else:
            stmt = stmt.where(_same_tenant(tenant_id))
            missing = (f"no decision definition deployed with key '{key}'" if tenant_id is None else
                       f"no decision definition deployed with key '{key}' and tenant-id '{tenant_id}'")
        found = list(self.session.execute(stmt.order_by(dd.version.desc()).limit(2)).scalars())
        if not found:
            raise NotFoundError(missing)
        if binding == "versionTag" and len(found) > 1:
            raise ProcessEngineError(
                f"There are '{len(found)}' results for a decision definition with key = '{key}', "
                f"versionTag = '{version_tag}' and tenant-id = '{tenant}'.", status=400)
        return decision_for(self.session, found[0])


def hand_to(session: Session, states: Any) -> None:
    """Give loaded or new instances the lookup their business rule tasks evaluate through."""
    lookup = DecisionLookup(session)
    for state in states:
        state.decisions = lookup
