"""/event-subscription: the message and signal subscriptions of waiting activities and start events."""

from __future__ import annotations

from typing import Any

from modbatch.api import listing, params
from modbatch.engine.events import subscriptions as event_subscriptions
from modbatch.engine.clock import format_date

LISTS = ("tenantIdIn",)


def event_subscription(row) -> dict[str, Any]:
    """Camunda's EventSubscriptionDto."""
    return {"id": row.id, "eventType": row.event_type, "eventName": row.event_name,
            "executionId": row.execution_id, "processInstanceId": row.process_instance_id,
            "activityId": row.activity_id, "createdDate": format_date(row.created),
            "tenantId": row.tenant_id}


def get_event_subscriptions(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS)
    return listing.page(event_subscriptions.find, event_subscription, filters, kwargs)


def get_event_subscriptions_count(**kwargs: Any):
    filters = params.query_filters(kwargs, lists=LISTS)
    return listing.count(event_subscriptions.count, filters)
