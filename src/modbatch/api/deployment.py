"""/deployment: upload BPMN resources, list, read and delete deployments."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from modbatch.api import listing, params, render
from modbatch.engine import deployment_resources, repository
from modbatch.engine.process_engine import current
from modbatch.errors import InvalidRequest, ProcessEngineError

RESERVED = ("deployment-name", "enable-duplicate-filtering", "deploy-changed-only",
            "deployment-source", "tenant-id", "deployment-activation-time")


def _flag(value: Any) -> bool:
    return str(value).lower() == "true" if value is not None else False


def create_deployment(body: dict | None = None, **files: Any):
    form = dict(body or {})
    for field in RESERVED:
        if "\x00" in str(form.get(field) or ""):
            raise InvalidRequest(f"Form parameter '{field}' must not contain NUL characters "
                                 f"(\\u0000)")
    resources: list[tuple[str, bytes]] = []
    for field, value in list(form.items()) + list(files.items()):
        if field in RESERVED:
            continue
        uploads = value if isinstance(value, list) else [value]
        for upload in uploads:
            filename = getattr(upload, "filename", None)
            if filename and "\x00" in filename:
                raise InvalidRequest(f"The file name of form parameter '{field}' must not "
                                     f"contain NUL characters (\\u0000)")
            if not filename:
                raise InvalidRequest(
                    f"No file name found in the deployment resource described by form "
                    f"parameter '{field}'.")
            resources.append((filename, upload.file.read()))
    engine = current()

    def deploy(session):
        result = repository.deploy(
            session, name=form.get("deployment-name"), source=form.get("deployment-source"),
            tenant_id=form.get("tenant-id") or None, resources=resources,
            duplicate_filtering=_flag(form.get("enable-duplicate-filtering")),
            changed_only=_flag(form.get("deploy-changed-only")),
            max_resource_bytes=engine.settings.max_resource_bytes,
            default_retries=engine.settings.default_retries)
        dto = render.deployment(result.deployment)
        dto["deployedProcessDefinitions"] = (
            {d.id: render.process_definition(d) for d in result.definitions}
            if result.definitions else None)
        dto["deployedCaseDefinitions"] = None
        dto["deployedDecisionDefinitions"] = (
            {d.id: render.decision_definition(d) for d in result.decision_definitions}
            if result.decision_definitions else None)
        dto["deployedDecisionRequirementsDefinitions"] = None
        return dto

    dto = engine.transaction_retrying_conflicts(deploy)
    return dto, 200


def get_deployments(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=("tenantIdIn",), dates=("before", "after"))
    return listing.page(repository.find_deployments, render.deployment, filters, kwargs)


def get_deployments_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=("tenantIdIn",), dates=("before", "after"))
    return listing.count(repository.count_deployments, filters)


def get_deployment(id: str):
    with current().read() as session:
        row = repository.get_deployment(session, id)
        if row is None:
            raise InvalidRequest(f"Deployment with id '{id}' does not exist", status=404)
        return render.deployment(row), 200


def delete_deployment(id: str, cascade: bool = False, **_: Any):
    engine = current()
    with engine.transaction() as session:
        repository.delete_deployment(session, id, cascade=bool(cascade),
                                     default_retries=engine.settings.default_retries)
    return None, 204


# ---------------------------------------------------------------------------- resources
def _resource(row) -> dict[str, Any]:
    """Camunda's DeploymentResourceDto."""
    return {"id": row.id, "name": row.name, "deploymentId": row.deployment_id}


def _resources(session, id: str) -> list:
    rows = deployment_resources.resources(session, id)
    if not rows:
        raise InvalidRequest(f"Deployment resources for deployment id '{id}' do not exist.",
                             status=404)
    return rows


def get_deployment_resources(id: str):
    with current().read() as session:
        return [_resource(row) for row in _resources(session, id)], 200


def get_deployment_resource(id: str, resourceId: str):
    with current().read() as session:
        for row in _resources(session, id):
            if row.id == resourceId:
                return _resource(row), 200
    raise InvalidRequest(f"Deployment resource with resource id '{resourceId}' for deployment id "
                         f"'{id}' does not exist.", status=404)


def get_deployment_resource_data(id: str, resourceId: str):
    """The file as uploaded, typed by its extension as Camunda types it. An unknown resource is
    the engine's NullValueException, which Camunda's REST layer answers with 500; modbatch with
    404 (README)."""
    with current().read() as session:
        row = deployment_resources.resource(session, id, resourceId)
        if row is None:
            raise ProcessEngineError(f"no resource found with id '{resourceId}' in deployment "
                                     f"'{id}': resource is null", type="NullValueException",
                                     status=404)
        # a framework response: Connexion would serialize the bytes of a JSON file once more;
        # the type goes out as Camunda sends it (Starlette would add a charset to text types)
        return Response(bytes(row.content), headers={
            "Content-Type": deployment_resources.media_type(row.name),
            "Content-Disposition": f"attachment; filename={deployment_resources.file_name(row.name)}"})
