"""Deploy-time checks and links for compensation and transactions, as Camunda's BpmnParse makes them.

A compensation boundary event names its handler only through an ``association``; the link is
stored on the compensated activity (``Activity.compensation_handler``) because that is what the
runtime looks at when the activity completes. Cancel end and boundary events only make sense on a
``transaction`` sub-process, and a compensation throw's ``activityRef`` must name an activity of
the throw's own scope.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from .model import Activity

if TYPE_CHECKING:
    from .parser import _ProcessParser

_ASSOCIATION = "{http://www.omg.org/spec/BPMN/20100524/MODEL}association"
THROWS_COMPENSATION = ("intermediateCompensationThrowEvent", "compensationEndEvent")


def link_compensation(parser: "_ProcessParser", activities: dict[str, Activity]) -> dict[str, Activity]:
    """Attach each compensation handler to the activity it compensates; refuse what Camunda refuses."""
    def error(message: str, activity_id: str):
        return parser.error(message, parser.nodes[activity_id][0], activity_id)

    seen: dict[tuple[str, str], str] = {}
    for event in activities.values():
        if event.is_for_compensation and (event.incoming or event.outgoing):
            direction = "outgoing" if event.outgoing else "incoming"
            raise error(f"Invalid {direction} sequence flow of compensation activity '{event.id}'. A "
                        "compensation activity should not have an incoming or outgoing sequence flow.",
                        event.id)
        if event.type in ("compensationBoundaryCatch", "cancelBoundaryCatch") and event.attached_to:
            key = (event.type, event.attached_to)
            if key in seen:
                what = ("boundary events with compensateEventDefinition not supported on same activity"
                        if event.type == "compensationBoundaryCatch" else
                        "boundary events with cancelEventDefinition not supported on same transaction "
                        "subprocess")
                raise error(f"multiple {what} ('{seen[key]}', '{event.id}')", event.id)
            seen[key] = event.id
        if event.type == "cancelBoundaryCatch" and activities[event.attached_to or ""].type != "transaction":
            raise error(f"boundary event with cancelEventDefinition only supported on transaction "
                        f"subprocesses ('{event.id}')", event.id)
        if event.type == "cancelEndEvent":
            scope = activities.get(event.scope_id)
            if scope is None or scope.type != "transaction":
                raise error(f"end event with cancelEventDefinition only supported inside transaction "
                            f"subprocess ('{event.id}')", event.id)
        if event.type in THROWS_COMPENSATION and event.activity_ref is not None:
            target = activities.get(event.activity_ref)
            scopes = {event.scope_id}
            if getattr(activities.get(event.scope_id), "triggered_by_event", False):
                # inside an event sub-process, activityRef may name an activity of its parent scope
                scopes.add(activities[event.scope_id].scope_id)
            if target is None or target.scope_id not in scopes:
                raise error(f"Invalid attribute value for 'activityRef': no activity with id "
                            f"'{event.activity_ref}' in scope '{event.scope_id}'", event.id)
    result = dict(activities)
    for start in [a for a in activities.values() if a.type == "compensationStartEvent"]:
        # an event sub-process with a compensation start event compensates its parent sub-process
        handler = activities[start.scope_id]
        host = result.get(handler.scope_id)
        if host is None:
            raise error("event subprocess with compensation start event is only supported for embedded "
                        "subprocess (since throwing compensation through a call activity-induced process "
                        "hierarchy is not supported)", start.id)
        if host.compensation_handler is not None:
            raise error(f"multiple event subprocesses with compensation start event are not supported on "
                        f"the same scope ('{host.compensation_handler}', '{handler.id}')", start.id)
        if any(e.type == "compensationBoundaryCatch" and e.attached_to == host.id for e in activities.values()):
            raise error("compensation boundary event and event subprocess with compensation start event are "
                        f"not supported on the same scope ('{host.id}')", start.id)
        result[host.id] = replace(host, compensation_handler=handler.id)
        result[handler.id] = replace(handler, is_for_compensation=True)
    if not any(a.type == "compensationBoundaryCatch" for a in activities.values()):
        return result
    for association in parser.el.iter(_ASSOCIATION):
        source = activities.get(association.get("sourceRef") or "")
        if source is None or source.type != "compensationBoundaryCatch":
            continue
        target = activities.get(association.get("targetRef") or "")
        if target is None or not target.is_for_compensation:
            raise parser.error(
                f"compensation boundary catch must be connected to element with isForCompensation=true "
                f"(association from '{source.id}' to '{association.get('targetRef')}')",
                association, source.id)
        host = result[source.attached_to or ""]
        result[host.id] = replace(host, compensation_handler=target.id)
    return result
