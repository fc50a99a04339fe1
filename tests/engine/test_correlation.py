"""Message correlation, signals and start event subscriptions on rows inserted by hand; the
runtime's trigger and start commands are recorded instead of run."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from modbatch.engine.events import correlation
from modbatch.engine.events import subscriptions as event_subscriptions
from modbatch.engine.events.correlation import MessageCorrelation
from modbatch.engine.variables import TypedValue, infer
from modbatch.errors import BadUserRequest, MismatchingMessageCorrelation, ProcessEngineError
from tests.event_rows import Rows, record_runtime


@pytest.fixture
def runtime(monkeypatch):
    return record_runtime(monkeypatch)


@pytest.fixture
def session(engine):
    with engine.transaction() as session:
        yield session


@pytest.fixture
def rows(session):
    return Rows(session)


def message(name: str = "paid", **options) -> MessageCorrelation:
    return MessageCorrelation(message_name=name, **options)


def typed(**values) -> dict[str, TypedValue]:
    return {name: infer(value) for name, value in values.items()}


def matched(session, **options) -> list[str]:
    """Activity ids of the waiting executions a message named 'paid' matches."""
    return sorted(s.activity_id for s in correlation.waiting_executions(session, message(**options)))


# ---------------------------------------------------------------------------- matching
def test_only_message_subscriptions_of_that_name_in_running_instances_match(session, rows):
    """Other names, signal subscriptions, start events and suspended instances do not match."""
    definition = rows.definition("order")
    rows.waiting(rows.instance(definition), "waitPaid", "paid")
    rows.waiting(rows.instance(definition), "waitShipped", "shipped")
    rows.waiting(rows.instance(definition), "waitSignal", "paid", event_type="signal")
    rows.waiting(rows.instance(definition, suspended=True), "waitSuspended", "paid")
    rows.start_event(definition, "startPaid", "paid")
    assert matched(session) == ["waitPaid"]


def test_business_key_and_process_instance_id_narrow_the_match(session, rows):
    """businessKey is the instance's; processInstanceId picks one instance."""
    definition = rows.definition("order")
    first = rows.instance(definition, business_key="a")
    rows.waiting(first, "first", "paid")
    rows.waiting(rows.instance(definition, business_key="b"), "second", "paid")
    assert matched(session, business_key="a") == ["first"]
    assert matched(session, process_instance_id=first) == ["first"]
    assert matched(session, business_key="b", process_instance_id=first) == []


@pytest.mark.parametrize("key, hit", [
    (infer("ACME"), True), (infer("acme"), False), (TypedValue("Long", 7), False),
    (TypedValue("Integer", 42), True), (TypedValue("Double", 42.0), True),
    (TypedValue("Long", 42), True), (infer(True), True), (infer(False), False),
    (TypedValue("Null", None), True), (infer("42"), False),
])
def test_correlation_keys_compare_instance_variables_by_type_and_value(session, rows, key, hit):
    """Strings by text, numbers across Integer/Long/Short/Double, booleans, null."""
    definition = rows.definition("order")
    instance = rows.instance(definition, customer="ACME", amount=42, express=True, note=None)
    rows.waiting(instance, "wait", "paid")
    name = {"String": "customer", "Boolean": "express", "Null": "note"}.get(key.type, "amount")
    assert matched(session, correlation_keys={name: key}) == (["wait"] if hit else [])


def test_every_correlation_key_must_match(session, rows):
    """Two keys: both variables must equal (one statement for all of them)."""
    definition = rows.definition("order")
    rows.waiting(rows.instance(definition, a="1", b="2"), "both", "paid")
    rows.waiting(rows.instance(definition, a="1", b="3"), "one", "paid")
    assert matched(session, correlation_keys=typed(a="1", b="2")) == ["both"]
    assert matched(session, correlation_keys=typed(a="1")) == ["both", "one"]


def test_correlation_keys_ignore_local_variables_and_local_keys_ignore_instance_ones(session, rows):
    """correlationKeys read the instance scope; localCorrelationKeys the waiting activity's."""
    definition = rows.definition("order")
    rows.waiting(rows.instance(definition), "local", "paid", order="7")
    rows.waiting(rows.instance(definition, order="7"), "global", "paid")
    assert matched(session, correlation_keys=typed(order="7")) == ["global"]
    assert matched(session, local_correlation_keys=typed(order="7")) == ["local"]


def test_tenant_narrows_to_that_tenant_or_to_none(session, rows):
    """tenantId matches that tenant's instances, withoutTenantId those without one."""
    rows.waiting(rows.instance(rows.definition("order", tenant_id="t1")), "t1", "paid")
    rows.waiting(rows.instance(rows.definition("order")), "none", "paid")
    assert matched(session, tenant_id="t1", tenant_id_set=True) == ["t1"]
    assert matched(session, tenant_id_set=True) == ["none"]
    assert matched(session) == ["none", "t1"]


def test_one_execution_with_two_subscriptions_of_that_name_is_one_match(session, rows):
    """Executions match, not subscriptions: the older subscription is the one triggered."""
    definition = rows.definition("order")
    first = rows.waiting(rows.instance(definition), "task", "paid")
    rows.subscription("message", "paid", "boundary", definition_id=definition.id,
                      instance_id=first.process_instance_id, execution_id=first.execution_id)
    [only] = correlation.waiting_executions(session, message())
    assert only.id == first.id


# ---------------------------------------------------------------------------- correlate
def test_one_match_is_triggered_with_both_variable_maps(session, rows, runtime):
    """processVariables and processVariablesLocal go to trigger_subscriptions."""
    definition = rows.definition("order")
    instance = rows.instance(definition)
    subscription = rows.waiting(instance, "wait", "paid")
    [result] = correlation.correlate_message(session, message(
        variables=typed(a=1), variables_local=typed(b=2)))
    assert runtime.triggered == [([subscription.id], typed(a=1), typed(b=2))]
    assert runtime.started == []
    assert (result.result_type, result.execution_id, result.process_instance_id, result.ended) \
        == ("Execution", subscription.execution_id, instance, False)


def test_waiting_executions_win_over_start_events(session, rows, runtime):
    """A start event is used only when no execution waits."""
    definition = rows.definition("order")
    rows.start_event(definition, "start", "paid")
    rows.waiting(rows.instance(definition), "wait", "paid")
    correlation.correlate_message(session, message())
    assert len(runtime.triggered) == 1 and runtime.started == []


def test_without_waiting_execution_the_start_event_starts_an_instance(session, rows, runtime):
    """Business key and both variable maps (merged) go to the new instance."""
    definition = rows.definition("order")
    rows.start_event(definition, "start", "paid")
    [result] = correlation.correlate_message(session, message(
        business_key="bk", variables=typed(a=1, b=1), variables_local=typed(b=2),
        correlation_keys=typed(ignored="x")))
    assert runtime.started == [(definition.id, "start", "bk", typed(a=1, b=2))]
    assert (result.result_type, result.process_instance_id, result.definition_id,
            result.business_key) == ("ProcessDefinition", "started-1", definition.id, "bk")


def test_suspended_definitions_and_other_tenants_do_not_start(session, rows, runtime):
    """Only active definitions of the asked tenant (if one was asked) start."""
    rows.start_event(rows.definition("a", suspended=True), "start", "paid")
    tenant = rows.definition("b", tenant_id="t1")
    rows.start_event(tenant, "start", "paid")
    with pytest.raises(MismatchingMessageCorrelation):
        correlation.correlate_message(session, message(tenant_id_set=True))
    correlation.correlate_message(session, message(tenant_id="t1", tenant_id_set=True))
    assert [call[0] for call in runtime.started] == [tenant.id]


def test_nothing_matches(session, rows, runtime):
    """Camunda's text without an ENGINE code."""
    with pytest.raises(MismatchingMessageCorrelation) as caught:
        correlation.correlate_message(session, message("nothing"))
    assert caught.value.message == ("Cannot correlate message 'nothing': No process definition or "
                                    "execution matches the parameters")
    assert (caught.value.status, caught.value.code) == (500, 0)


def test_two_executions_are_one_too_many(session, rows, runtime):
    """ENGINE-13031 with the count and Camunda's CorrelationSet text; nothing is triggered."""
    definition = rows.definition("order")
    for _ in range(2):
        rows.waiting(rows.instance(definition, business_key="bk", customer="ACME"), "w", "paid")
    with pytest.raises(MismatchingMessageCorrelation) as caught:
        correlation.correlate_message(session, message(
            business_key="bk", correlation_keys=typed(customer="ACME")))
    assert caught.value.message == (
        "ENGINE-13031 Cannot correlate a message with name 'paid' to a single execution. "
        "2 executions match the correlation keys: CorrelationSet [businessKey=bk, "
        "processInstanceId=null, processDefinitionId=null, correlationKeys={\n"
        "  customer => Value 'ACME' of type 'PrimitiveValueType[string]', isTransient=false\n}, "
        "localCorrelationKeys=null, tenantId=null, isTenantIdSet=false, isExecutionsOnly=false]")
    assert runtime.triggered == []


def test_two_start_events_are_one_too_many(session, rows, runtime):
    """ENGINE-13030 (Camunda's 'correlations keys' typo included)."""
    rows.start_event(rows.definition("a", tenant_id="t1"), "start", "paid")
    rows.start_event(rows.definition("b"), "start", "paid")
    with pytest.raises(MismatchingMessageCorrelation) as caught:
        correlation.correlate_message(session, message())
    assert caught.value.message == (
        "ENGINE-13030 Cannot correlate a message with name 'paid' to a single process "
        "definition. 2 process definitions match the correlations keys: CorrelationSet "
        "[businessKey=null, processInstanceId=null, processDefinitionId=null, "
        "correlationKeys=null, localCorrelationKeys=null, tenantId=null, isTenantIdSet=false, "
        "isExecutionsOnly=false]")


def test_process_instance_id_and_tenant_are_exclusive(session, rows, runtime):
    """ENGINE-13028, a BadUserRequestException."""
    with pytest.raises(BadUserRequest) as caught:
        correlation.correlate_message(session, message(process_instance_id="x",
                                                       tenant_id_set=True))
    assert caught.value.message == ("ENGINE-13028 Cannot specify a tenant-id when correlate a "
                                    "message to a single process instance.")


def test_all_triggers_every_execution_and_starts_every_definition(session, rows, runtime):
    """Executions first (in one trigger call), then one instance per start event."""
    definition = rows.definition("order")
    waiting = [rows.waiting(rows.instance(definition), "w", "paid") for _ in range(2)]
    rows.start_event(definition, "start", "paid")
    rows.start_event(rows.definition("other"), "start", "paid")
    results = correlation.correlate_message(session, message(), all=True)
    assert [r.result_type for r in results] == ["Execution"] * 2 + ["ProcessDefinition"] * 2
    assert sorted(runtime.triggered[0][0]) == sorted(w.id for w in waiting)
    assert len(runtime.started) == 2


def test_all_with_nothing_matching_is_no_error(session, rows, runtime):
    """correlateAll of an unknown message returns an empty list."""
    assert correlation.correlate_message(session, message("nothing"), all=True) == []


def test_variables_in_result_are_the_instance_variables_after_triggering(session, rows, runtime):
    """The instance's own variables, not the waiting activity's local ones."""
    definition = rows.definition("order")
    rows.waiting(rows.instance(definition, customer="ACME"), "w", "paid", local="x")
    [result] = correlation.correlate_message(session, message(), with_variables=True)
    assert result.variables == typed(customer="ACME")


# ---------------------------------------------------------------------------- Camunda's texts
def test_java_hash_map_order():
    """HashMap iterates by bucket of String.hashCode, then insertion order."""
    assert correlation.java_hash_order(["b", "a"]) == ["a", "b"]
    # "Aa" and "BB" share String.hashCode 2112: one bucket, insertion order
    assert correlation.java_hash_order(["BB", "Aa", "a"]) == ["BB", "Aa", "a"]
    assert correlation.java_hash_order(["a", "Aa"]) == ["Aa", "a"]  # bucket 0 before bucket 1
    assert correlation._java_string_hash("aVariable") == (hash_java("aVariable") & 0xFFFFFFFF)


def hash_java(text: str) -> int:
    h = 0
    for char in text:
        h = (31 * h + ord(char)) & 0xFFFFFFFF
    return h


def test_untyped_and_null_keys_print_as_camunda_prints_them():
    """Untyped values, typed null, numbers and booleans in the CorrelationSet text."""
    text = correlation.correlation_set(message(
        correlation_keys={"a": infer("x"), "b": TypedValue("Null", None),
                          "c": TypedValue("Double", 2.0), "d": TypedValue("Boolean", True)},
        untyped_keys={"a"}, tenant_id="t", tenant_id_set=True))
    assert text == (
        "CorrelationSet [businessKey=null, processInstanceId=null, processDefinitionId=null, "
        "correlationKeys={\n  a => Untyped value 'x', isTransient = false\n"
        "  b => Untyped 'null' value\n"
        "  c => Value '2.0' of type 'PrimitiveValueType[double]', isTransient=false\n"
        "  d => Value 'true' of type 'PrimitiveValueType[boolean]', isTransient=false\n}, "
        "localCorrelationKeys=null, tenantId=t, isTenantIdSet=true, isExecutionsOnly=false]")


# ---------------------------------------------------------------------------- signals
def test_signal_reaches_active_subscriptions_and_active_start_events(session, rows, runtime):
    """Suspended instances and definitions, and other names, are left out."""
    definition = rows.definition("order")
    catching = rows.waiting(rows.instance(definition), "catch", "alarm", event_type="signal")
    rows.waiting(rows.instance(definition, suspended=True), "s", "alarm", event_type="signal")
    rows.waiting(rows.instance(definition), "other", "other", event_type="signal")
    rows.waiting(rows.instance(definition), "msg", "alarm")
    rows.start_event(definition, "start", "alarm", event_type="signal")
    rows.start_event(rows.definition("off", suspended=True), "start", "alarm", event_type="signal")
    touched = correlation.throw_signal(session, "alarm", variables=typed(level="high"))
    assert runtime.triggered == [([catching.id], typed(level="high"), None)]
    assert runtime.started == [(definition.id, "start", None, typed(level="high"))]
    assert touched == [catching.process_instance_id, "started-1"]


def test_signal_tenants(session, rows, runtime):
    """tenantId (which wins over withoutTenantId), withoutTenantId, and a throw event's view:
    its tenant plus those without one."""
    for tenant in ("t1", "t2", None):
        rows.waiting(rows.instance(rows.definition("d", tenant_id=tenant)), f"{tenant}", "alarm",
                     event_type="signal")

    def reached(**options):
        targets = correlation.signal_targets(session, "alarm", **options)
        return sorted(s.activity_id for s in targets.catching)

    assert reached() == ["None", "t1", "t2"]
    assert reached(tenant_id="t1") == ["t1"]
    assert reached(tenant_id="t1", without_tenant_id=True) == ["t1"]
    assert reached(without_tenant_id=True) == ["None"]
    assert reached(tenant_id="t1", include_without_tenant=True) == ["None", "t1"]


def test_signal_to_one_execution(session, rows, runtime):
    """Only that execution's subscriptions of the name; errors as Camunda words them."""
    definition = rows.definition("order")
    target = rows.waiting(rows.instance(definition), "catch", "alarm", event_type="signal")
    rows.waiting(rows.instance(definition), "catch", "alarm", event_type="signal")
    correlation.throw_signal(session, "alarm", execution_id=target.execution_id)
    assert runtime.triggered == [([target.id], {}, None)]
    with pytest.raises(ProcessEngineError) as caught:
        correlation.throw_signal(session, "other", execution_id=target.execution_id)
    assert caught.value.message == (f"Execution '{target.execution_id}' has not subscribed to a "
                                    "signal event with name 'other'. is empty")
    with pytest.raises(ProcessEngineError) as caught:
        correlation.throw_signal(session, "alarm", execution_id="nope")
    assert (caught.value.type, caught.value.message) == (
        "NullValueException", "Cannot find execution with id 'nope': execution is null")
    with pytest.raises(BadUserRequest) as caught:
        correlation.throw_signal(session, "alarm", execution_id="nope", without_tenant_id=True)
    assert caught.value.message == ("ENGINE-13027 Cannot specify a tenant-id when deliver a "
                                    "signal to a single execution.")


# ---------------------------------------------------------------------------- start events
def model(key: str, *events: tuple[str, str, str], scope: str | None = None):
    """A stand-in for a parsed model: (type, name, activity id) start events."""
    activities = {activity_id: SimpleNamespace(id=activity_id, type=kind, event_name=name,
                                               scope_id=scope or key)
                  for kind, name, activity_id in events}
    return SimpleNamespace(id=key, activities=activities)


def start_rows(session, definition_ids=None):
    rows = event_subscriptions.start_subscriptions_of(
        session, definition_ids or [d for d in _all_definitions(session)])
    return sorted((r.event_type, r.event_name, r.activity_id, r.process_definition_id)
                  for r in rows)


def _all_definitions(session):
    from sqlalchemy import select

    from modbatch.store.tables import ProcessDefinition
    return list(session.execute(select(ProcessDefinition.id)).scalars())


def test_a_new_version_takes_over_the_start_subscriptions(session, rows):
    """Message and signal start events subscribe; the next version replaces them."""
    first = rows.definition("order")
    m1 = model("order", ("messageStartEvent", "paid", "byMessage"),
               ("signalStartEvent", "alarm", "bySignal"), ("startEvent", None, "plain"))
    event_subscriptions.adjust_on_deploy(session, first, m1)
    assert start_rows(session) == [("message", "paid", "byMessage", first.id),
                                   ("signal", "alarm", "bySignal", first.id)]
    second = rows.definition("order", version=2)
    event_subscriptions.adjust_on_deploy(session, second, model(
        "order", ("messageStartEvent", "paid", "byMessage")))
    assert start_rows(session) == [("message", "paid", "byMessage", second.id)]


def test_event_sub_process_start_events_do_not_subscribe_at_deployment(session, rows):
    """Only start events of the process itself."""
    definition = rows.definition("order")
    event_subscriptions.adjust_on_deploy(session, definition, model(
        "order", ("messageStartEvent", "paid", "inner"), scope="eventSubProcess"))
    assert start_rows(session) == []


def test_a_message_start_name_belongs_to_one_key_per_tenant(session, rows):
    """ENGINE-01011 names the resource; signals may share names; other tenants may reuse it."""
    event_subscriptions.adjust_on_deploy(session, rows.definition("a"), model(
        "a", ("messageStartEvent", "paid", "s"), ("signalStartEvent", "alarm", "t")))
    event_subscriptions.adjust_on_deploy(session, rows.definition("b"), model(
        "b", ("signalStartEvent", "alarm", "t")))
    event_subscriptions.adjust_on_deploy(session, rows.definition("c", tenant_id="t1"), model(
        "c", ("messageStartEvent", "paid", "s")))
    with pytest.raises(ProcessEngineError) as caught:
        event_subscriptions.adjust_on_deploy(session, rows.definition("d"), model(
            "d", ("messageStartEvent", "paid", "s")))
    assert (caught.value.status, caught.value.type, caught.value.message) == (
        500, "ProcessEngineException",
        "ENGINE-01011 Cannot deploy process definition 'd.bpmn': there already is a message "
        "event subscription for the message with name 'paid'.")


def test_deleting_the_latest_version_hands_back_to_the_previous_one(session, rows):
    """Only when the latest version goes; the new latest is the highest remaining one."""
    v1, v2, v3 = (rows.definition("order", version=n) for n in (1, 2, 3))
    assert event_subscriptions.latest_after_delete(session, [v3]) == [v2]
    assert event_subscriptions.latest_after_delete(session, [v2, v3]) == [v1]
    assert event_subscriptions.latest_after_delete(session, [v2]) == []
    assert event_subscriptions.latest_after_delete(session, [v1, v2, v3]) == []


# ---------------------------------------------------------------------------- query
def test_subscription_query_filters_and_sorts(session, rows):
    """Every filter of EventSubscriptionQueryDto; sorting by created and tenant."""
    definition = rows.definition("order", tenant_id="t1")
    waiting = rows.waiting(rows.instance(definition), "wait", "paid")
    start = rows.start_event(rows.definition("other"), "start", "alarm", event_type="signal")

    def ids(**filters):
        return [r.id for r in event_subscriptions.find(session, filters)]

    assert ids(eventSubscriptionId=start.id) == [start.id]
    assert ids(eventName="paid") == ids(eventType="message") == [waiting.id]
    assert ids(executionId=waiting.execution_id) == [waiting.id]
    assert ids(processInstanceId=waiting.process_instance_id) == [waiting.id]
    assert ids(activityId="start") == [start.id]
    assert ids(tenantIdIn=["t1"]) == [waiting.id]
    assert ids(withoutTenantId=True) == [start.id]
    assert sorted(ids(tenantIdIn=["t1"], includeEventSubscriptionsWithoutTenantId=True)) == \
        sorted([waiting.id, start.id])
    assert ids(sortBy="created", sortOrder="desc") == [start.id, waiting.id]
    assert ids(sortBy="tenantId", sortOrder="desc")[0] == waiting.id
    assert event_subscriptions.count(session, {"eventType": "signal"}) == 1
