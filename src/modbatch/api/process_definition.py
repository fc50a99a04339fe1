"""/process-definition: query definitions, read their XML and start instances."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from modbatch.api import listing, params, render
from modbatch.engine import diagrams, instances, repository, statistics
from modbatch.engine.process_engine import current
from modbatch.engine.variables import to_dto
from modbatch.errors import InvalidRequest, ModbatchError, RestError

LISTS = ("processDefinitionIdIn", "keysIn", "tenantIdIn")


def get_process_definitions(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=("deployedAfter", "deployedAt"))
    return listing.page(repository.find_definitions, render.process_definition, filters, kwargs)


def get_process_definitions_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS, dates=("deployedAfter", "deployedAt"))
    return listing.count(repository.count_definitions, filters)


def _by_id(session, id: str):
    definition = repository.get_definition(session, id)
    if definition is None:
        raise InvalidRequest(f"No matching definition with id {id}", status=404, code=0)
    return definition


def _by_key(session, key: str):
    definition = repository.latest_definition_by_key(session, key)
    if definition is None:
        raise RestError(f"No matching process definition with key: {key} and no tenant-id",
                        status=404, code=None)
    return definition


def get_process_definition(id: str):
    with current().read() as session:
        return render.process_definition(_by_id(session, id)), 200


def get_process_definition_by_key(key: str):
    with current().read() as session:
        return render.process_definition(_by_key(session, key)), 200


def get_process_definition_bpmn20_xml(id: str):
    with current().read() as session:
        definition = _by_id(session, id)
        return {"id": definition.id, "bpmn20Xml": repository.definition_xml(session, definition)}, 200


def get_process_definition_bpmn20_xml_by_key(key: str):
    with current().read() as session:
        definition = _by_key(session, key)
        return {"id": definition.id, "bpmn20Xml": repository.definition_xml(session, definition)}, 200


def get_process_definition_svg(id: str):
    """The diagram drawn from the model's BPMN DI (an extension); 204 without DI, as Camunda's
    `/diagram` answers for a definition without a diagram."""
    with current().read() as session:
        svg = diagrams.definition_svg(session, _by_id(session, id))
    if svg is None:  # a framework response: the operation has two media types to choose from
        return Response(status_code=204)
    return Response(svg, headers={"Content-Type": "image/svg+xml"})


def _start(session, definition_id: str, body: Any, lookup):
    dto = params.body_dict(body)
    prefix = f"Cannot instantiate process definition {definition_id}: "
    variables = params.typed_variables(dto.get("variables") or None, prefix=prefix)
    if dto.get("startInstructions"):
        raise InvalidRequest(prefix + "startInstructions are not supported yet")
    definition = lookup(session)
    try:
        started = instances.start(session, definition, business_key=dto.get("businessKey"),
                                  variables=variables,
                                  skip_io_mappings=bool(dto.get("skipIoMappings")))
    except ModbatchError as error:
        # Camunda's RestException is a 500; a missing resource keeps its 404 (README)
        raise RestError(prefix + error.message,
                        status=404 if error.status == 404 else 500) from None
    state = started.state
    result = render.process_instance(
        id=state.id, definition_id=state.process_definition_id,
        definition_key=state.process_definition_key, business_key=state.business_key,
        tenant_id=state.tenant_id, suspended=state.suspended, ended=state.ended,
        links=[{"method": "GET", "href": params.base_url() + f"/process-instance/{state.id}",
                "rel": "self"}])
    # Camunda answers ProcessInstanceDto, or ProcessInstanceWithVariablesDto only when asked
    if dto.get("withVariablesInReturn"):
        result["variables"] = {var.name: to_dto(var.value) for var in state.variables.values()
                               if var.scope is None}
    return result


def start_process_instance(id: str, body: Any = None):
    def lookup(session):
        definition = repository.get_definition(session, id)
        if definition is None:
            raise RestError(f"Cannot instantiate process definition {id}: no deployed process "
                            f"definition found with id '{id}': processDefinition is null",
                            status=404)
        return definition

    with current().transaction() as session:
        return _start(session, id, body, lookup), 200


def start_process_instance_by_key(key: str, body: Any = None):
    with current().transaction() as session:
        definition = _by_key(session, key)
        return _start(session, definition.id, body, lambda _session: definition), 200


# ---------------------------------------------------------------------------- statistics
def _incident_options(incidents: bool | None, incidents_for_type: str | None,
                      root_incidents: bool | None = None) -> tuple[bool, str | None]:
    """Camunda refuses two incident options at once; here they combine (README, "Rules the spec
    states"): includeIncidentsForType counts the incidents of its type whatever the others say,
    includeIncidents or includeRootIncidents true count every incident."""
    return incidents is True or root_incidents is True, incidents_for_type


def _figures(figures) -> dict[str, Any]:
    return {"id": figures.id, "instances": figures.instances, "failedJobs": figures.failed_jobs,
            "incidents": [{"incidentType": kind, "incidentCount": number}
                          for kind, number in figures.incidents]}


def _activity_statistics(session, definition_id: str, failedJobs, incidents, incidentsForType):
    include, for_type = _incident_options(incidents, incidentsForType)
    return [_figures(f) for f in statistics.activity_statistics(
        session, definition_id, failed_jobs=failedJobs is True, incidents=include,
        incident_type=for_type)]


def get_activity_statistics(id: str, failedJobs: bool | None = None, incidents: bool | None = None,
                            incidentsForType: str | None = None):
    with current().read() as session:
        return _activity_statistics(session, id, failedJobs, incidents, incidentsForType), 200


def get_activity_statistics_by_process_definition_key(
        key: str, failedJobs: bool | None = None, incidents: bool | None = None,
        incidentsForType: str | None = None):
    with current().read() as session:
        definition = _by_key(session, key)
        return _activity_statistics(session, definition.id, failedJobs, incidents,
                                    incidentsForType), 200


def get_activity_statistics_by_process_definition_key_and_tenant_id(
        key: str, tenant_id: str, failedJobs: bool | None = None, incidents: bool | None = None,
        incidentsForType: str | None = None):
    """``tenant_id`` is Connexion's name for the path parameter ``tenant-id``."""
    with current().read() as session:
        definition = repository.latest_definition_by_key(session, key, tenant_id)
        if definition is None:
            raise RestError(f"No matching process definition with key: {key} and tenant-id: "
                            f"{tenant_id}", status=404, code=None)
        return _activity_statistics(session, definition.id, failedJobs, incidents,
                                    incidentsForType), 200


def get_process_definition_statistics(failedJobs: bool | None = None,
                                      incidents: bool | None = None,
                                      incidentsForType: str | None = None,
                                      rootIncidents: bool | None = None):
    """Every definition, running or not; without cause chains every incident is a root one."""
    include, for_type = _incident_options(incidents, incidentsForType, rootIncidents)
    with current().read() as session:
        return [{**_figures(f), "definition": render.process_definition(f.definition)}
                for f in statistics.definition_statistics(
                    session, failed_jobs=failedJobs is True, incidents=include,
                    incident_type=for_type)], 200
